//! Real recordings of the demo server's `incident` mode in every tracing-subscriber text
//! formatter, option and timer (issue 9), in `tests/data/formats/demo/` (its README says how they
//! were made and what each shows; `scripts/record-formats.sh` re-records them).
//!
//! The request counts are computed here from the files' own lines, independently of stallscope:
//! one CLOSE line (or pretty CLOSE record) of an `http.request` span per request. For the FULL
//! recordings the polls of the request spans are also measured here, from their ENTER/EXIT pairs
//! per thread.

use crate::support::analyze_json;
use crate::support::manifest_dir;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;

/// The text of `tests/data/formats/demo/incident.<format>.log[.gz]`.
fn recording(format: &str) -> (std::path::PathBuf, String) {
    let dir = manifest_dir().join("tests/data/formats/demo");
    let plain = dir.join(format!("incident.{format}.log"));
    let gz = dir.join(format!("incident.{format}.log.gz"));
    if plain.is_file() {
        let text = std::fs::read_to_string(&plain).expect("readable");
        return (plain, text);
    }
    let file = std::fs::File::open(&gz).unwrap_or_else(|e| panic!("{}: {e}", gz.display()));
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .expect("gzip text");
    (gz, text)
}

/// The text after `key` up to the first of `end`.
fn field<'a>(s: &'a str, key: &str, end: &[char]) -> Option<&'a str> {
    let rest = &s[s.find(key)? + key.len()..];
    Some(&rest[..rest.find(end).unwrap_or(rest.len())])
}

/// "METHOD /route" from an `http.request` span's fields in any of the layouts.
fn endpoint(s: &str) -> String {
    let method = field(s, "method=", &[' ', ',', '}'])
        .or_else(|| field(s, "method: ", &[' ', ',']))
        .expect("method");
    let route = field(s, "route=\"", &['"'])
        .or_else(|| field(s, "route: \"", &['"']))
        .expect("route");
    format!("{method} {route}")
}

/// Requests per endpoint: the CLOSE lines of the `http.request` spans. One-line layouts: a
/// `: close` message whose span chain ends with `http.request` (`http.request{..}: ` in the
/// default layout, ` http.request: ` in compact, where children print `http.request:db.query:`).
/// Pretty: a `close,` record whose first `in` line is the request span.
fn request_closes(text: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.contains(": close, time.busy") {
            let first_in = lines[i + 1..]
                .iter()
                .map(|l| l.trim_start())
                .take_while(|l| !l.is_empty())
                .find(|l| l.starts_with("in "));
            if let Some(scope) = first_in
                && scope.starts_with("in demo_server::http.request with ")
            {
                *out.entry(endpoint(scope)).or_insert(0) += 1;
            }
            continue;
        }
        if !(line.ends_with(": close") || line.contains(": close ")) {
            continue;
        }
        let own_close = match line.find("http.request{") {
            Some(at) => line[at..]
                .find('}')
                .is_some_and(|end| line[at + end + 1..].starts_with(": ")),
            None => line.contains(" http.request: "),
        };
        if own_close {
            *out.entry(endpoint(line)).or_insert(0) += 1;
        }
    }
    out
}

/// Seconds since midnight of an RFC 3339 UTC timestamp (the recordings are seconds long).
fn seconds(ts: &str) -> f64 {
    let t = &ts[11..ts.len() - 1];
    let mut parts = t.split(':').map(|p| p.parse::<f64>().expect("time"));
    let (h, m, s) = (
        parts.next().unwrap_or(0.0),
        parts.next().unwrap_or(0.0),
        parts.next().unwrap_or(0.0),
    );
    h * 3600.0 + m * 60.0 + s
}

/// Polls of the `http.request` spans at or over 10 ms, per endpoint, from the ENTER/EXIT events
/// (time, thread, enter?, endpoint, request id) of a FULL recording with thread ids.
fn long_request_polls(text: &str) -> BTreeMap<String, u64> {
    let mut events = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let ts = trimmed.split(' ').next().unwrap_or_default();
        let enter = trimmed.ends_with(": enter") || trimmed.contains(": enter ");
        let exit = trimmed.ends_with(": exit") || trimmed.contains(": exit ");
        if !(enter || exit) {
            continue;
        }
        if trimmed.contains(" http.request: demo_server: ") {
            // compact: `TS  INFO tokio-rt-worker ThreadId(03) http.request: demo_server: enter ...`
            let thread = field(trimmed, "ThreadId(", &[')']).expect("thread id");
            let id = field(trimmed, "request_id=", &[' ']).expect("request id");
            events.push((
                seconds(ts),
                thread.to_string(),
                enter,
                endpoint(trimmed),
                id,
            ));
        } else if trimmed.ends_with("INFO demo_server: enter")
            || trimmed.ends_with("INFO demo_server: exit")
        {
            // pretty: the next line is `at FILE:LINE on NAME ThreadId(N)`, then the `in` lines.
            let (Some(at), Some(scope)) = (lines.get(i + 1), lines.get(i + 2)) else {
                continue;
            };
            let scope = scope.trim_start();
            if !scope.starts_with("in demo_server::http.request with ") {
                continue;
            }
            let thread = field(at, "ThreadId(", &[')']).expect("thread id");
            let id = field(scope, "request_id: ", &[',']).expect("request id");
            events.push((seconds(ts), thread.to_string(), enter, endpoint(scope), id));
        }
    }
    let mut open: HashMap<(String, String), f64> = HashMap::new();
    let mut out = BTreeMap::new();
    for (t, thread, enter, ep, id) in events {
        if enter {
            open.insert((thread, id.to_string()), t);
        } else if let Some(start) = open.remove(&(thread, id.to_string())) {
            let n = out.entry(ep).or_insert(0);
            if t - start >= 0.010 {
                *n += 1;
            }
        }
    }
    out
}

/// (endpoint, requests, pattern, verdict) per verdict row, sorted.
fn rows(report: &Value) -> Vec<(String, u64, String, String)> {
    let mut out: Vec<_> = report["verdicts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            (
                v["endpoint"].as_str().unwrap_or_default().to_string(),
                v["requests"].as_u64().unwrap_or_default(),
                v["pattern"].as_str().unwrap_or_default().to_string(),
                v["verdict"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn verdict_row<'a>(report: &'a Value, endpoint: &str) -> &'a Value {
    report["verdicts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["endpoint"] == endpoint)
        .unwrap_or_else(|| panic!("no row for {endpoint}"))
}

/// Reads one recording, checks its format, endpoints and request counts against the file's
/// CLOSE lines, and returns the report and the expected (pattern, verdict) rows' base.
fn read_and_count(format: &str) -> (Value, BTreeMap<String, u64>) {
    let (path, text) = recording(format);
    let closes = request_closes(&text);
    assert_eq!(
        closes.keys().collect::<Vec<_>>(),
        ["GET /orders", "GET /report"],
        "{format}: the recording should hold both endpoints"
    );
    // The /report burst is 2 s of 3 clients of ~100 ms requests: about 40 of them.
    assert!(closes["GET /report"] >= 20, "{format}: {closes:?}");
    let report = analyze_json(&[], &[&path]);
    assert_eq!(report["inputs"][0]["format"], "tracing-text", "{format}");
    assert_eq!(
        report["inputs"][0]["requests"].as_u64(),
        Some(closes.values().sum::<u64>()),
        "{format}"
    );
    let counted: Vec<(String, u64)> = rows(&report)
        .into_iter()
        .map(|(e, n, _, _)| (e, n))
        .collect();
    let want: Vec<(String, u64)> = closes.iter().map(|(e, n)| (e.clone(), *n)).collect();
    assert_eq!(
        counted, want,
        "{format}: request rows vs the file's CLOSE lines"
    );
    (report, closes)
}

fn judged(report: &Value, format: &str) {
    let got: Vec<(String, String, String)> = rows(report)
        .into_iter()
        .map(|(e, _, p, v)| (e, p, v))
        .collect();
    let want = [
        ("GET /orders", "async-io", "good"),
        ("GET /report", "async-cpu", "bad"),
    ]
    .map(|(e, p, v)| (e.to_string(), p.to_string(), v.to_string()));
    assert_eq!(got, want, "{format}");
}

/// FULL with thread ids (compact and pretty): every poll is visible, so the rows are judged as
/// in the JSON FULL sample of the same mode, and /report's stalls are exactly its polls of
/// 10 ms or more, measured here from the ENTER/EXIT pairs.
#[test]
fn full_recordings_are_judged_from_their_polls() {
    for format in ["compact-full", "pretty-full"] {
        let (report, _) = read_and_count(format);
        judged(&report, format);
        let (_, text) = recording(format);
        let long = long_request_polls(&text);
        assert_eq!(long.get("GET /orders"), Some(&0), "{format}: {long:?}");
        let report_row = verdict_row(&report, "GET /report");
        assert_eq!(
            report_row["stalls"].as_u64(),
            long.get("GET /report").copied(),
            "{format}: stalls vs the polls >= 10 ms in the file"
        );
        assert!(report_row["max_poll_ms"].as_f64().unwrap_or_default() >= 90.0);
        assert_eq!(report_row["event_loop_threads"], 2, "{format}");
        assert_eq!(
            report["threads"].as_array().map(Vec::len),
            Some(2),
            "{format}: the two tokio workers"
        );
    }
}

/// CLOSE only, with a timer: no poll is in the file, but each /report CLOSE says ~100 ms busy
/// (its `compute` child ~100 ms busy, no idle) and each /orders CLOSE says µs busy and ~80 ms idle,
/// which is what stallscope's CLOSE rule judges (stalls inferred from time.busy, as for the
/// `incident.text.log` sample); which thread ran the work is not in the file.
#[test]
fn close_recordings_are_judged_from_busy_and_idle() {
    for format in [
        "compact-close",
        "pretty-close",
        "text-notarget",
        "text-fileline",
        "text-threads-close",
        "text-uptime",
        "text-systime",
        "text-datespace",
        "text-timeofday",
        "text-monthday",
    ] {
        let (report, _) = read_and_count(format);
        judged(&report, format);
        let notes = report["notes"].to_string();
        assert!(
            notes.contains("no ENTER/EXIT span events"),
            "{format}: {notes}"
        );
    }
    // The time-of-day and 0.2-default timers have no date (no year): said once, not a reason
    // to reject the file.
    let (_, text) = recording("text-timeofday");
    assert!(text.starts_with(|c: char| c.is_ascii_digit()) && text.as_bytes()[2] == b':');
    let (_, text) = recording("text-monthday");
    assert!(text.starts_with(|c: char| c.is_ascii_uppercase()) && text.as_bytes()[3] == b' ');
    for (format, without) in [
        ("text-timeofday", "timestamps without a date"),
        ("text-monthday", "timestamps without a year"),
    ] {
        let (report, _) = read_and_count(format);
        assert!(
            report["inputs"][0]["warnings"]
                .to_string()
                .contains(without),
            "{format}: {}",
            report["inputs"][0]["warnings"]
        );
    }
}

/// `without_time()` drops the timestamps and time.busy/time.idle as well: the file holds only
/// which requests closed, so the requests are counted, nothing can be judged, and the report
/// says that durations were not recorded instead of printing them as 0.
#[test]
fn a_recording_without_time_only_counts_requests() {
    let (text_path, text) = recording("text-notime");
    assert!(!text.contains("time.busy"), "{}", text_path.display());
    let (report, _) = read_and_count("text-notime");
    for (endpoint, _, pattern, verdict) in rows(&report) {
        assert_eq!(
            (pattern.as_str(), verdict.as_str()),
            ("unknown", "unknown"),
            "{endpoint}"
        );
    }
    for v in report["verdicts"].as_array().expect("verdicts") {
        assert_eq!(
            v["row"]["response_time_impact"], "durations not recorded (no timestamps)",
            "{v}"
        );
        assert_eq!(
            v["row"]["blocking_behavior"],
            "Unknown: no busy or idle time was recorded"
        );
    }
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("no timestamps and no time.busy/time.idle"),
        "{notes}"
    );
    assert!(!notes.contains("inferred from time.busy"), "{notes}");
}
