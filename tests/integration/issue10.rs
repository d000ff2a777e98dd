//! Issue 10's recordings (`scripts/record-issue10.sh`, described in sample-traces/README.md):
//! the demo served as four other common setups record it. For each file, every endpoint has
//! exactly one server row, with the pattern and verdict the handler really has, and the request
//! count and p50/p95 that `scripts/check-samples.py` computed from the raw file without
//! stallscope's code (sample-traces/expected.json).
//!
//! The tests over every sample (in `samples` and `schema`) cover these files too; [`PENDING`]
//! names any they must skip (none since issue 10's analysis was merged).

use crate::support::{analyze_json, samples_dir};
use serde_json::Value;

/// Every recording made for issue 10.
pub const FILES: [&str; 10] = [
    "tasks.chrome-threaded.json",
    "tasks.chrome-async.json",
    "tasks.json-full.log",
    "tasks.json-newclose.log",
    "patterns.json-newclose.log",
    "patterns.text-newclose.log",
    "towerhttp.json-close.log",
    "towerhttp.text-events.log",
    "mixed.json-full.log",
    "mixed.json-close.log",
];

/// Recordings that the tests over every sample (expected findings, one row per endpoint,
/// streaming, schema) skip: none since issue 10's analysis was merged.
pub const PENDING: &[&str] = &[];

/// The file's name in sample-traces/ (gzipped when over 1 MB) and its expected.json entry.
fn expected(name: &str) -> (std::path::PathBuf, Value) {
    let all: Value = serde_json::from_str(
        &std::fs::read_to_string(samples_dir().join("expected.json")).expect("expected.json"),
    )
    .expect("expected.json is JSON");
    let gz = format!("{name}.gz");
    for file in [name, gz.as_str()] {
        let path = samples_dir().join(file);
        if path.is_file() {
            let want = all[file].clone();
            assert!(want.is_object(), "{file}: no entry in expected.json");
            return (path, want);
        }
    }
    panic!("no sample-traces/{name}[.gz]");
}

/// Every endpoint of the file has exactly one server row (unit `requests`), with its expected
/// pattern, verdict, request count, p50 and p95; no other server row exists (no row for
/// tokio's `runtime.spawn`, none per URL); stalls as expected where the file has them.
#[track_caller]
fn assert_rows(name: &str) {
    let (path, want) = expected(name);
    let got = analyze_json(&[], &[&path]);
    let rows: Vec<&Value> = got["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .filter(|v| v["unit"] == "requests")
        .collect();
    let want_eps = want["endpoints"].as_object().expect("endpoints");
    let names: Vec<&str> = rows.iter().filter_map(|v| v["endpoint"].as_str()).collect();
    let mut want_names: Vec<&str> = want_eps.keys().map(String::as_str).collect();
    let mut got_names = names.clone();
    want_names.sort_unstable();
    got_names.sort_unstable();
    assert_eq!(got_names, want_names, "{name}: server rows");
    for (ep, w) in want_eps {
        let row = rows
            .iter()
            .find(|v| v["endpoint"] == ep.as_str())
            .expect("checked above");
        for key in ["pattern", "verdict", "p50_ms", "p95_ms"] {
            assert_eq!(row[key], w[key], "{name}: {ep}: {key}");
        }
        assert_eq!(row["requests"], w["requests"], "{name}: {ep}: requests");
        assert_eq!(row["count"], w["requests"], "{name}: {ep}: count");
    }
    assert_eq!(
        got["inputs"][0]["requests"], want["requests"],
        "{name}: requests"
    );
    if let Some(n) = want["stalls"].as_u64() {
        let stalls = got["stalls"].as_array().expect("stalls");
        assert_eq!(stalls.len() as u64, n, "{name}: stalls");
        let inferred = stalls.iter().filter(|s| s["inferred"] == true).count() as u64;
        assert_eq!(
            Some(inferred),
            want["inferred_stalls"].as_u64(),
            "{name}: inferred stalls"
        );
    }
}

/// tokio's task spans in tracing-chrome's threaded style: a B/E slice per poll of every task
/// (`runtime.spawn`) around the demo's spans.
#[test]
fn tasks_chrome_threaded() {
    assert_rows("tasks.chrome-threaded.json");
}

/// tokio's task spans in tracing-chrome's async style: b/e at creation and close, with the
/// thread of each.
#[test]
fn tasks_chrome_async() {
    assert_rows("tasks.chrome-async.json");
}

/// tokio's task spans in a JSON log of every poll with thread ids.
#[test]
fn tasks_json_full() {
    assert_rows("tasks.json-full.log");
}

/// tokio's task spans in a JSON log of NEW and CLOSE with thread ids and names.
#[test]
fn tasks_json_newclose() {
    assert_rows("tasks.json-newclose.log");
}

/// NEW and CLOSE with thread ids and names, JSON: where each span was created and closed.
#[test]
fn patterns_json_newclose() {
    assert_rows("patterns.json-newclose.log");
}

/// NEW and CLOSE with thread ids, text.
#[test]
fn patterns_text_newclose() {
    assert_rows("patterns.text-newclose.log");
}

/// tower-http's TraceLayer, JSON with CLOSE: `request` spans with a URI and no route.
#[test]
fn towerhttp_json_close() {
    assert_rows("towerhttp.json-close.log");
}

/// tower-http's TraceLayer, default text format with no span events: its events only.
#[test]
fn towerhttp_text_events() {
    assert_rows("towerhttp.text-events.log");
}

/// `/report` awaits a 5 ms query, then computes ~100 ms inline: one async-cpu Bad row.
#[test]
fn mixed_json_full() {
    assert_rows("mixed.json-full.log");
}

/// The same in a CLOSE-only log: every `/report` request's CPU inline is an inferred stall.
#[test]
fn mixed_json_close() {
    assert_rows("mixed.json-close.log");
}
