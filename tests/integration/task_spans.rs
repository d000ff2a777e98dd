//! tokio's own task spans (`runtime.spawn`, issue 10 item 5), end to end on the four small
//! traces of one timeline in `tests/data/formats/task_spans/` (its README and `gen.py` give
//! every figure asserted here).

use crate::support::{analyze, analyze_json, manifest_dir};
use serde_json::Value;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    manifest_dir()
        .join("tests/data/formats/task_spans")
        .join(name)
}

/// `(endpoint, pattern, verdict, requests)` of every verdict row, sorted.
fn rows(r: &Value) -> Vec<(String, String, String, u64)> {
    let mut rows: Vec<_> = r["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .map(|v| {
            (
                v["endpoint"].as_str().unwrap_or_default().to_string(),
                v["pattern"].as_str().unwrap_or_default().to_string(),
                v["verdict"].as_str().unwrap_or_default().to_string(),
                v["requests"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    rows.sort();
    rows
}

/// `(thread key, role)` of every thread listed.
fn roles(r: &Value) -> Vec<(String, String)> {
    r["threads"]
        .as_array()
        .expect("threads")
        .iter()
        .map(|t| {
            (
                t["key"].as_str().unwrap_or_default().to_string(),
                t["role"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `(culprit, duration_ms, thread)` of every stall, sorted.
fn stalls(r: &Value) -> Vec<(String, f64, String)> {
    let mut s: Vec<_> = r["stalls"]
        .as_array()
        .expect("stalls")
        .iter()
        .map(|s| {
            (
                s["culprit"].as_str().unwrap_or_default().to_string(),
                s["duration_ms"].as_f64().unwrap_or(0.0),
                s["thread"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    s.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
    s
}

fn row(endpoint: &str, pattern: &str, verdict: &str) -> (String, String, String, u64) {
    (endpoint.into(), pattern.into(), verdict.into(), 2)
}

/// Neither the table nor the JSON ever names tokio's task span as an endpoint or a culprit.
fn never_runtime_spawn(name: &str) {
    let path = data(name);
    let (code, table, stderr) = analyze(&path, &["--color", "never"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!table.contains("runtime.spawn"), "{name}: {table}");
    let json = analyze_json(&[], &[&path]).to_string();
    let named = ["endpoint", "culprit", "culprits", "name"]
        .iter()
        .any(|k| json.contains(&format!("\"{k}\":\"runtime.spawn\"")));
    assert!(!named, "{name}: {json}");
}

/// The rows of the four endpoints, as the demo's verdict table has them.
fn the_four_rows() -> Vec<(String, String, String, u64)> {
    vec![
        row("GET /export", "sync-io", "bad"),
        row("GET /orders", "async-io", "good"),
        row("GET /report", "async-cpu", "bad"),
        row("GET /thumbnail", "sync-cpu", "ok"),
    ]
}

/// tracing-chrome, threaded: every task poll is a `runtime.spawn` slice, each worker's run loop a
/// `kind=blocking` slice around them all, the `block_on` future a slice on `main`.
///
/// Each poll is the request's, not `runtime.spawn`'s; `main` is not a worker (both of 2 workers
/// blocked, not 2 of 3); a request re-entered in its `spawn_blocking` task is the same request
/// (8, not 12; one row per endpoint).
#[test]
fn chrome_threaded_polls_are_the_requests_and_block_on_is_no_worker() {
    let r = analyze_json(&[], &[&data("chrome-threaded.json")]);
    assert_eq!(r["inputs"][0]["requests"], 8);
    assert_eq!(rows(&r), the_four_rows());
    assert_eq!(
        roles(&r),
        [
            ("1:0", "block-on"),
            ("1:1", "event-loop"),
            ("1:2", "event-loop"),
            ("1:3", "blocking"),
        ]
        .map(|(k, r)| (k.to_string(), r.to_string()))
    );
    let w1 = "tokio-rt-worker 1:1".to_string();
    let w2 = "tokio-rt-worker 1:2".to_string();
    assert_eq!(
        stalls(&r),
        vec![
            ("GET /report".into(), 99.93, w1.clone()),
            ("GET /report".into(), 99.93, w2),
            ("cache-refresh".into(), 30.0, w1.clone()),
            ("src/main.rs:130:5".into(), 30.0, w1),
        ]
    );
    let first = &r["episodes"][0];
    assert_eq!(first["culprits"], serde_json::json!(["GET /report"]));
    assert_eq!(first["max_workers_blocked"], 2);
    assert_eq!(first["event_loop_threads"], 2);
    let (_, table, _) = analyze(&data("chrome-threaded.json"), &["--color", "never"]);
    assert!(
        table.contains("2 stalls by GET /report; both workers blocked"),
        "{table}"
    );
    never_runtime_spawn("chrome-threaded.json");
}

/// The same timeline as a JSON FULL log with thread ids: the same rows, stalls and roles.
#[test]
fn json_full_reads_the_same() {
    let r = analyze_json(&[], &[&data("json-full.log")]);
    assert_eq!(r["inputs"][0]["requests"], 8);
    assert_eq!(rows(&r), the_four_rows());
    assert_eq!(
        roles(&r),
        [
            ("ThreadId(1)", "block-on"),
            ("ThreadId(2)", "event-loop"),
            ("ThreadId(3)", "event-loop"),
            ("ThreadId(4)", "blocking"),
        ]
        .map(|(k, r)| (k.to_string(), r.to_string()))
    );
    assert_eq!(
        stalls(&r),
        vec![
            ("GET /report".into(), 99.93, "ThreadId(2)".into()),
            ("GET /report".into(), 99.93, "ThreadId(3)".into()),
            ("cache-refresh".into(), 30.0, "ThreadId(2)".into()),
            ("src/main.rs:130:5".into(), 30.0, "ThreadId(2)".into()),
        ]
    );
    // The evidence says what showed each role. ThreadId(2) polled its run loop once and 9 task
    // polls: /orders id 1 twice, /report id 3 once, /export ids 5 and 6 twice each, and the two
    // task-only polls.
    let evidence = r["threads"][1]["evidence"].as_str().unwrap_or_default();
    assert_eq!(
        evidence,
        "polls of tokio's task spans: 9 of kind task, 1 of kind blocking"
    );
    never_runtime_spawn("json-full.log");
}

/// NEW and CLOSE only: no polls, but the kinds of the task spans that closed on each thread
/// still tell the workers, the blocking-pool thread and the `block_on` thread apart; the
/// requests are the same 8, one row per endpoint.
#[test]
fn json_new_close_roles_come_from_the_tasks_that_closed() {
    let r = analyze_json(&[], &[&data("json-newclose.log")]);
    assert_eq!(r["inputs"][0]["requests"], 8);
    let endpoints: Vec<String> = rows(&r).into_iter().map(|r| r.0).collect();
    assert_eq!(
        endpoints,
        [
            "GET /export",
            "GET /orders",
            "GET /report",
            "GET /thumbnail"
        ]
    );
    assert_eq!(
        roles(&r),
        [
            ("ThreadId(1)", "block-on"),
            ("ThreadId(2)", "event-loop"),
            ("ThreadId(3)", "event-loop"),
            ("ThreadId(4)", "blocking"),
        ]
        .map(|(k, r)| (k.to_string(), r.to_string()))
    );
    assert_eq!(
        r["threads"][3]["evidence"],
        "finished here, of tokio's task spans: 4 of kind blocking"
    );
    never_runtime_spawn("json-newclose.log");
}

/// tracing-chrome, async: a request's `b` carries its connection task's id (tracing's root), so
/// it nests in that task by time; it is still a request of its own, one row per endpoint. (This
/// held before task spans were known too: a guard that they stay out of the requests.)
#[test]
fn chrome_async_requests_are_not_nested_in_their_tasks() {
    let r = analyze_json(&[], &[&data("chrome-async.json")]);
    assert_eq!(r["inputs"][0]["requests"], 8);
    let endpoints: Vec<String> = rows(&r).into_iter().map(|r| r.0).collect();
    assert_eq!(
        endpoints,
        [
            "GET /export",
            "GET /orders",
            "GET /report",
            "GET /thumbnail"
        ]
    );
    never_runtime_spawn("chrome-async.json");
}

/// The reports fit the schema (`block-on` is a role it lists).
#[test]
fn every_report_fits_the_schema() {
    for name in [
        "chrome-threaded.json",
        "chrome-async.json",
        "json-full.log",
        "json-newclose.log",
    ] {
        crate::schema::check_with(&[], &[&data(name)]);
    }
}
