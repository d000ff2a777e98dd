//! tracing-subscriber text logs as people write them (issue 9, sections 1-3): every formatter,
//! option, timer and per-line prefix, and logs mixed with other lines, in
//! `tests/data/formats/text/` (its README says what each file shows). The request rows are
//! checked by figures read off the files: three `GET /work` requests of 10, 20 and 30 ms
//! (p50 20 ms, p95 30 ms) unless said otherwise.

use crate::support::{analyze, analyze_json, manifest_dir};
use serde_json::Value;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    manifest_dir().join("tests/data/formats/text").join(name)
}

/// The request rows: (endpoint, requests, p50 ms, p95 ms), sorted.
fn rows(report: &Value) -> Vec<(String, u64, f64, f64)> {
    let mut out: Vec<_> = report["verdicts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| {
            (
                v["endpoint"].as_str().unwrap_or_default().to_string(),
                v["requests"].as_u64().unwrap_or_default(),
                v["p50_ms"].as_f64().unwrap_or_default(),
                v["p95_ms"].as_f64().unwrap_or_default(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn work_rows() -> Vec<(String, u64, f64, f64)> {
    vec![("GET /work".to_string(), 3, 20.0, 30.0)]
}

fn warnings(report: &Value) -> Vec<String> {
    report["inputs"][0]["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect()
}

#[test]
fn compact_span_fields_find_the_requests() {
    let report = analyze_json(&[], &[&data("compact.close.log")]);
    assert_eq!(report["inputs"][0]["format"], "tracing-text");
    // 6 CLOSE lines, 6 spans: the children's fields did not make extra requests.
    assert_eq!(report["inputs"][0]["spans"], 6);
    assert_eq!(report["inputs"][0]["requests"], 4);
    let mut want = work_rows();
    want.push(("POST /other".to_string(), 1, 40.0, 40.0));
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(rows(&report), want);

    let report = analyze_json(&[], &[&data("compact.target-off.file-line.log")]);
    assert_eq!(report["inputs"][0]["spans"], 4);
    assert_eq!(rows(&report), work_rows());
}

#[test]
fn pretty_records_and_pretty_fields() {
    for file in [
        "pretty.log",
        "pretty-0.3-early.log",
        "pretty-fields-one-line.log",
    ] {
        let report = analyze_json(&[], &[&data(file)]);
        assert_eq!(report["inputs"][0]["format"], "tracing-text", "{file}");
        assert_eq!(rows(&report), work_rows(), "{file}");
    }
    // The child span in pretty.log belongs to its request: 4 spans, 3 requests.
    let report = analyze_json(&[], &[&data("pretty.log")]);
    assert_eq!(report["inputs"][0]["spans"], 4);
    assert_eq!(report["inputs"][0]["requests"], 3);
}

#[test]
fn span_names_with_colons_are_one_span() {
    let file = data("full.threads.span-names.log");
    let report = analyze_json(&["--request-span", "conn"], &[&file]);
    assert_eq!(rows(&report), vec![("conn".to_string(), 3, 20.0, 30.0)]);
    let report = analyze_json(&["--request-span", "Server::start_server"], &[&file]);
    assert_eq!(
        rows(&report),
        vec![("Server::start_server".to_string(), 1, 80.0, 80.0)]
    );
    // tracing-actix-web's `HTTP request` span, no thread names: one span, not a thread `HTTP`.
    let file = data("full.span-name-with-space.log");
    let report = analyze_json(&["--request-span", "HTTP request"], &[&file]);
    assert_eq!(report["inputs"][0]["spans"], 3);
    assert_eq!(rows(&report), work_rows());
}

#[test]
fn every_timer_gives_the_same_requests() {
    for (file, missing) in [
        ("timer-0.2-month-day.log", Some("timestamps without a year")),
        ("timer-time-of-day.log", Some("timestamps without a date")),
        ("timer-date-space.log", None),
        ("timer-uptime.log", None),
        ("timer-rfc3339-offset.log", None),
    ] {
        let report = analyze_json(&[], &[&data(file)]);
        assert_eq!(rows(&report), work_rows(), "{file}");
        let warned = warnings(&report)
            .iter()
            .find(|w| w.contains("timestamps without a"))
            .map(|w| {
                if w.contains("without a year") {
                    "timestamps without a year"
                } else {
                    "timestamps without a date"
                }
            });
        assert_eq!(warned, missing, "{file}: {:?}", warnings(&report));
    }
}

#[test]
fn an_unreadable_timer_is_counted_not_fatal() {
    let report = analyze_json(&[], &[&data("timer-unreadable.log")]);
    assert_eq!(report["inputs"][0]["format"], "tracing-text");
    // CLOSE-only: each request lasts its busy + idle.
    assert_eq!(rows(&report), work_rows());
    let w = warnings(&report);
    assert!(
        w.iter()
            .any(|w| w.contains("3 span events had a timestamp that could not be read")),
        "{w:?}"
    );
}

#[test]
fn other_lines_are_skipped_with_a_count() {
    let (code, _, stderr) = analyze(&data("mixed.log"), &[]);
    assert_eq!(code, 0, "{stderr}");
    let report = analyze_json(&[], &[&data("mixed.log")]);
    assert_eq!(rows(&report), work_rows());
    // `$ cargo run`, `Compiling`, the spinner, `n: 20`, `Successfully generated proof!`.
    assert_eq!(report["inputs"][0]["skipped"], 5);
    let w = warnings(&report);
    assert!(
        w.iter()
            .any(|w| w.contains("5 lines did not look like log lines")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("line 8: no readable timestamp ('T+0.9')")),
        "{w:?}"
    );
}

#[test]
fn collector_prefixes_are_stripped() {
    for file in [
        "docker-service-logs.log",
        "kubectl-prefix.log",
        "journald.log",
    ] {
        let report = analyze_json(&[], &[&data(file)]);
        assert_eq!(report["inputs"][0]["format"], "tracing-text", "{file}");
        assert_eq!(report["inputs"][0]["skipped"], 0, "{file}");
        assert_eq!(rows(&report), work_rows(), "{file}");
    }
}
