//! Which spans are requests, what the headline says, ENTER/EXIT without CLOSE, and several
//! files with one bad (issue 9, sections 4-6), end to end on the small logs in
//! `tests/data/formats/requests/` (its README says what each shows).

use crate::support::{analyze, analyze_json, manifest_dir};
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    manifest_dir()
        .join("tests/data/formats/requests")
        .join(name)
}

/// `FmtSpan::ACTIVE`: ENTER at 0, EXIT at 300 ms, no CLOSE. The poll is 300 ms of busy time,
/// not 300 ms of awaiting; the span ends at its exit; it is a stall.
#[test]
fn enter_exit_without_close_is_busy_time_and_a_stall() {
    // The same two events as JSON (`fmt().json()`) read the same.
    let json = data("active-enter-exit.json");
    let r = analyze_json(&[], &[&json]);
    assert_eq!(r["inputs"][0]["format"], "tracing-json");
    assert_eq!(r["verdicts"][0]["heavy_ms_p50"], 300.0);
    assert_eq!(r["stalls"][0]["duration_ms"], 300.0);
    assert_eq!(r["inputs"][0]["warnings"].as_array().map(Vec::len), Some(0));

    let path = data("active-enter-exit.log");
    let r = analyze_json(&[], &[&path]);
    let input = &r["inputs"][0];
    assert_eq!(input["spans"], 1);
    assert_eq!(input["requests"], 1);
    let warnings = input["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().all(|w| !w
            .as_str()
            .unwrap_or_default()
            .contains("close time - busy - idle")),
        "{warnings:?}"
    );
    let v = &r["verdicts"][0];
    assert_eq!(v["endpoint"], "GET /a");
    assert_eq!(v["max_ms"], 300.0);
    assert_eq!(v["heavy_ms_p50"], 300.0, "busy is enter -> exit");
    assert_eq!(v["wait_ms_p50"], 0.0, "nothing was awaited");
    assert_ne!(v["verdict"], "good");
    // The log has polls and thread ids: the advice must not ask to record them.
    let evidence = v["evidence"].to_string();
    assert!(
        !evidence.contains("with_thread_ids") && !evidence.contains("FmtSpan::FULL"),
        "{evidence}"
    );
    let stalls = r["stalls"].as_array().expect("stalls");
    assert_eq!(stalls.len(), 1, "{stalls:?}");
    assert_eq!(stalls[0]["duration_ms"], 300.0);
    assert_eq!(stalls[0]["thread"], "ThreadId(2)");
    assert_eq!(stalls[0]["culprit"], "GET /a");
    let notes = r["notes"].as_array().expect("notes");
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap_or_default().starts_with(
                "1 span never closed (ENTER/EXIT without CLOSE): each ends at its last exit"
            )),
        "{notes:?}"
    );

    let (code, table, stderr) = analyze(&path, &["--color", "never"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!table.contains("[OK] Good"), "{table}");
    assert!(
        table.contains("stalls (polls ≥ 10 ms): 1 in 1 episode"),
        "{table}"
    );
    assert!(!stderr.contains("close time - busy - idle"), "{stderr}");
}

/// `FmtSpan::ACTIVE` with two requests polled in turn on ThreadId(2): an event loop. GET /a's
/// second poll (10 ms -> 310 ms) is a 300 ms stall on it: async-cpu, Bad; GET /b, polled
/// 2 ms + 1 ms over 307 ms, awaits: async-io, Good.
#[test]
fn enter_exit_without_close_judges_an_event_loop() {
    let path = data("active-event-loop.log");
    let r = analyze_json(&[], &[&path]);
    assert_eq!(r["threads"][0]["role"], "event-loop");
    let stalls = r["stalls"].as_array().expect("stalls");
    assert_eq!(stalls.len(), 1);
    assert_eq!(stalls[0]["source"], "event-loop-poll");
    assert_eq!(stalls[0]["start_ms"], 10.0);
    assert_eq!(stalls[0]["duration_ms"], 300.0);
    let row = |e: &str| {
        r["verdicts"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["endpoint"] == e))
            .cloned()
            .unwrap_or_default()
    };
    let a = row("GET /a");
    assert_eq!(
        (a["pattern"].as_str(), a["verdict"].as_str()),
        (Some("async-cpu"), Some("bad"))
    );
    assert_eq!(a["max_ms"], 310.0);
    assert_eq!(a["heavy_ms_p50"], 305.0);
    let b = row("GET /b");
    assert_eq!(
        (b["pattern"].as_str(), b["verdict"].as_str()),
        (Some("async-io"), Some("good"))
    );
    assert_eq!(b["max_ms"], 307.0);
    assert_eq!(b["heavy_ms_p50"], 3.0);
    let notes = strings(&r["notes"]);
    assert!(
        notes.iter().any(|n| n.starts_with("2 spans never closed")),
        "{notes:?}"
    );
}

fn strings(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default()
}

/// A tracing-chrome span with `path: ["core"]` and no method is not an HTTP request: no
/// endpoint `["core"]`; the headline names the root spans to try instead.
#[test]
fn a_path_without_a_method_is_not_a_request() {
    let path = data("chrome-path-not-http.json");
    let r = analyze_json(&[], &[&path]);
    assert_eq!(r["inputs"][0]["requests"], 0);
    assert_eq!(r["inputs"][0]["spans"], 3);
    assert_eq!(r["verdicts"].as_array().map(Vec::len), Some(0));
    assert_eq!(r["fast_endpoints"].as_array().map(Vec::len), Some(0));
    let load = &r["long_spans"][0];
    assert_eq!(load["name"], "load");
    assert_eq!(load["spans"], 2);
    assert_eq!(load["max_ms"], 250.0);
    assert_eq!(load["slow_spans"], 1);
    assert_eq!(r["long_spans"][1]["name"], "run");
    let (code, table, _) = analyze(&path, &["--color", "never"]);
    assert_eq!(code, 0);
    assert!(!table.contains("[\"core\"]"), "{table}");
    assert!(
        table.contains(
            "0 requests found (no span had HTTP fields; try --request-span NAME, e.g. one of: load, run)"
        ),
        "{table}"
    );
    assert!(
        table.contains("load: 1 of 2 spans ≥ 200 ms (p50 20 ms, p95 250 ms, max 250 ms)"),
        "{table}"
    );
}

/// No HTTP fields: the headline says 0 requests and lists the most frequent root spans
/// (handle 5, step 2, run 1); the note counts the same 8 spans as `inputs[].spans`.
#[test]
fn without_requests_the_headline_says_so_and_names_root_spans() {
    let path = data("request-span.log");
    let r = analyze_json(&[], &[&path]);
    assert_eq!(r["inputs"][0]["spans"], 8);
    assert_eq!(r["inputs"][0]["requests"], 0);
    let notes = strings(&r["notes"]);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("no request spans found among 8 spans:")
                && n.ends_with("handle (5 spans), step (2 spans), run (1 span)")),
        "{notes:?}"
    );
    let (code, table, _) = analyze(&path, &["--color", "never"]);
    assert_eq!(code, 0);
    let one_line = table.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        one_line.contains(
            "0 requests found (no span had HTTP fields; try --request-span NAME, e.g. one of: handle, step, run)"
        ),
        "{table}"
    );
    assert!(
        !table.contains("no request with slow or heavy work"),
        "{table}"
    );
    assert!(
        table.contains("handle: 3 of 5 spans ≥ 200 ms (p50 251 ms, p95 251 ms, max 251 ms)"),
        "{table}"
    );
    let (_, md, _) = analyze(&path, &["--format", "markdown"]);
    assert!(
        md.contains("0 requests found (no span had HTTP fields;"),
        "{md}"
    );
}

/// `--request-span handle`: the five `handle` spans are requests, three busy 250 ms and two
/// light; one row of 5, and `handle` is not also listed as fast.
#[test]
fn request_span_gives_one_row_per_endpoint() {
    let path = data("request-span.log");
    let r = analyze_json(&["--request-span", "handle"], &[&path]);
    assert_eq!(r["inputs"][0]["requests"], 5);
    let rows = r["verdicts"].as_array().expect("verdicts");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["endpoint"], "handle");
    assert_eq!(rows[0]["count"], 5);
    assert_eq!(rows[0]["slow_requests"], 3);
    assert_eq!(rows[0]["max_ms"], 251.0);
    assert_eq!(r["fast_endpoints"].as_array().map(Vec::len), Some(0));
    assert!(r.get("long_spans").is_none());
    let (_, table, _) = analyze(&path, &["--color", "never", "--request-span", "handle"]);
    assert!(table.contains("handle (5 req)"), "{table}");
    assert!(!table.contains("Fast, nothing to judge"), "{table}");

    let r = analyze_json(&["--request-span", "nope"], &[&path]);
    assert_eq!(r["inputs"][0]["requests"], 0);
    let (_, table, _) = analyze(&path, &["--color", "never", "--request-span", "nope"]);
    assert!(
        table.contains("0 requests found (no span is named nope;"),
        "{table}"
    );
}

/// A batch job without requests still shows its stall: `job{n=1}` polled for 120 ms (10 ms ->
/// 130 ms) on ThreadId(2), which went back and forth between the two jobs (an event loop).
#[test]
fn without_requests_stalls_and_long_spans_still_show() {
    let path = data("batch-stall.log");
    let r = analyze_json(&[], &[&path]);
    assert_eq!(r["inputs"][0]["requests"], 0);
    assert_eq!(r["threads"][0]["role"], "event-loop");
    let stalls = r["stalls"].as_array().expect("stalls");
    assert_eq!(stalls.len(), 1);
    assert_eq!(stalls[0]["culprit"], "job");
    assert_eq!(stalls[0]["start_ms"], 10.0);
    assert_eq!(stalls[0]["duration_ms"], 120.0);
    let job = &r["long_spans"][0];
    assert_eq!(job["name"], "job");
    assert_eq!(job["spans"], 2);
    assert_eq!(job["max_ms"], 130.0);
    assert_eq!(job["stalls"], 1);
    assert_eq!(job["longest_stall_ms"], 120.0);
    let (_, table, _) = analyze(&path, &["--color", "never"]);
    assert!(
        table.contains("job: 0 of 2 spans ≥ 200 ms (p50 127 ms, p95 130 ms, max 130 ms); 1 stall ≥ 10 ms, longest 120 ms"),
        "{table}"
    );
    assert!(
        table.contains("Event-loop stalls (polls ≥ 10 ms): 1 in 1 episode"),
        "{table}"
    );
}

/// Every report of these inputs fits the schema (`long_spans[]` included).
#[test]
fn reports_fit_the_schema() {
    for (name, extra) in [
        ("active-enter-exit.log", &[][..]),
        ("active-event-loop.log", &[]),
        ("chrome-path-not-http.json", &[]),
        ("request-span.log", &[]),
        ("request-span.log", &["--request-span", "handle"]),
        ("batch-stall.log", &[]),
    ] {
        crate::schema::check_with(extra, &[&data(name)]);
    }
}

/// `stallscope analyze good.log bad.log` (either order): the good file is reported, the bad
/// one is named on stderr, exit 2. The bad one alone: exit 2, nothing on stdout.
#[test]
fn several_files_one_bad_reports_the_good_and_names_the_bad() {
    let good = data("active-enter-exit.log");
    let bad = data("bad.log");
    for paths in [[&good, &bad], [&bad, &good]] {
        let out = crate::support::stallscope()
            .args(["analyze", "--color", "never"])
            .args(paths)
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        let one_line = stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            one_line.contains("active-enter-exit.log: tracing-text, 2 events, 1 requests"),
            "{stdout}"
        );
        // The log records `uri=/a`, no route template: the row says so (issue 10, item 7; the
        // table wraps the rest of it).
        assert!(stdout.contains("(1 req; route"), "{stdout}");
        assert!(!stdout.contains("bad.log"), "{stdout}");
        let named: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("stallscope: ") && l.contains("bad.log: unrecognised input"))
            .collect();
        assert_eq!(named.len(), 1, "{stderr}");
    }
    let out = crate::support::stallscope()
        .args(["analyze", "--format", "json"])
        .args([&good, &bad])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(r["inputs"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["verdicts"][0]["endpoint"], "GET /a");

    let (code, stdout, stderr) = analyze(&bad, &[]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("bad.log: unrecognised input"), "{stderr}");
}

/// `--keep-going`: the same good and bad files exit 0, the bad one named as a warning; alone,
/// the bad file still exits 2 (nothing could be read).
#[test]
fn keep_going_reports_the_readable_and_exits_zero() {
    let good = data("active-enter-exit.log");
    let bad = data("bad.log");
    let out = crate::support::stallscope()
        .args(["analyze", "--keep-going", "--color", "never"])
        .args([&good, &bad])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("(1 req; route"), "{stdout}");
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("stallscope: warning: ")
                && l.contains("bad.log: unrecognised input"))
            .count(),
        1,
        "{stderr}"
    );
    let (code, _, _) = analyze(&bad, &["--keep-going"]);
    assert_eq!(code, 2);
}
