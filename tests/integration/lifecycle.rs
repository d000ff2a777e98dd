//! Creation and close threads as evidence (issue 10, items 3 and 4), end to end on the
//! hand-written logs in `tests/data/formats/lifecycle/` (its README gives the timeline every
//! figure below is read from): tracing-subscriber `FmtSpan::NEW | FmtSpan::CLOSE` with thread ids
//! (JSON and text) and tracing-chrome's async style.

use crate::support::{analyze_json, manifest_dir};
use serde_json::Value;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    manifest_dir()
        .join("tests/data/formats/lifecycle")
        .join(name)
}

fn row<'a>(r: &'a Value, endpoint: &str) -> &'a Value {
    r["verdicts"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["endpoint"] == endpoint))
        .unwrap_or_else(|| panic!("no row for {endpoint}: {r:#}"))
}

/// The four endpoints of the README's timeline, in each of the three shapes.
#[test]
fn every_endpoint_is_judged_from_creation_and_close_threads() {
    // (file, the two workers' keys, the pool threads' keys)
    let files = [
        (
            "newclose.json.log",
            ["ThreadId(2)", "ThreadId(3)"],
            ["ThreadId(5)", "ThreadId(6)"],
        ),
        (
            "newclose.text.log",
            ["ThreadId(2)", "ThreadId(3)"],
            ["ThreadId(5)", "ThreadId(6)"],
        ),
        ("async.chrome.json", ["1:0", "1:1"], ["1:2", "1:3"]),
    ];
    for (file, workers, pool) in files {
        let r = analyze_json(&[], &[&data(file)]);
        let rows = r["verdicts"].as_array().expect("verdicts");
        assert_eq!(rows.len(), 4, "{file}: one row per endpoint: {r:#}");
        for (endpoint, pattern, verdict, count) in [
            ("GET /orders", "async-io", "good", 6),
            ("GET /report", "async-cpu", "bad", 2),
            ("GET /export", "sync-io", "bad", 2),
            ("GET /thumbnail", "sync-cpu", "ok", 3),
        ] {
            let v = row(&r, endpoint);
            assert_eq!(
                (
                    v["pattern"].as_str(),
                    v["verdict"].as_str(),
                    v["count"].as_u64()
                ),
                (Some(pattern), Some(verdict), Some(count)),
                "{file} {endpoint}: {v:#}"
            );
        }
        // Which evidence decided: the creation/close threads.
        for endpoint in ["GET /report", "GET /export", "GET /thumbnail"] {
            let v = row(&r, endpoint);
            let evidence = v["evidence"].to_string();
            assert!(
                evidence.contains("was created and closed on"),
                "{file} {endpoint}: {evidence}"
            );
            assert!(
                v["row"]["server_threads"]
                    .as_str()
                    .is_some_and(|c| !c.starts_with("Unknown")),
                "{file} {endpoint}: {v:#}"
            );
        }
        let report = row(&r, "GET /report");
        assert_eq!(report["event_loop_threads"], 2, "{file}");
        assert!(
            report["row"]["server_threads"]
                .as_str()
                .is_some_and(|c| c.contains("created and closed on")),
            "{file}: {report:#}"
        );
        assert_eq!(row(&r, "GET /thumbnail")["blocking_threads"], 2, "{file}");

        // Roles: the two workers interleave requests, the two pool threads run one at a time.
        let threads = r["threads"].as_array().expect("threads");
        let role = |key: &str| {
            threads
                .iter()
                .find(|t| t["key"] == key)
                .map(|t| t["role"].as_str().unwrap_or_default().to_string())
        };
        for w in workers {
            assert_eq!(
                role(w).as_deref(),
                Some("event-loop"),
                "{file} {w}: {threads:?}"
            );
        }
        for p in pool {
            assert_eq!(
                role(p).as_deref(),
                Some("blocking"),
                "{file} {p}: {threads:?}"
            );
        }

        // Two inferred stalls, `compute` holding W3 from 20.1 ms and W2 from 130.1 ms, 100 ms each.
        let stalls = r["stalls"].as_array().expect("stalls");
        assert_eq!(stalls.len(), 2, "{file}: {stalls:#?}");
        for (s, (start, thread)) in stalls.iter().zip([(20.1, workers[1]), (130.1, workers[0])]) {
            assert_eq!(s["start_ms"], start, "{file}: {s:#}");
            assert_eq!(s["duration_ms"], 100.0, "{file}: {s:#}");
            assert_eq!(s["culprit"], "GET /report");
            assert_eq!(s["inferred"], true);
            assert!(
                s["thread"].as_str().is_some_and(|t| t.ends_with(thread)),
                "{file}: {s:#}"
            );
            assert!(
                s["reason"].as_str().is_some_and(
                    |t| t.contains("compute was created and closed on this event-loop worker")
                ),
                "{file}: {s:#}"
            );
        }

        // Never ask for what the file has: it has thread ids.
        let all = format!("{}{}", r["notes"], r["verdicts"]);
        assert!(!all.contains("with_thread_ids"), "{file}: {all}");
        assert!(!all.contains("no thread ids"), "{file}: {all}");
    }
}

/// tracing-chrome has no busy time: a `compute` that is silent on its worker held it; the
/// `db.query` spans, each with other requests created or closed on its thread meanwhile (or
/// closed on another thread), were awaited.
#[test]
fn chrome_async_kinds_of_work_come_from_silence() {
    let r = analyze_json(&[], &[&data("async.chrome.json")]);
    let report = row(&r, "GET /report");
    assert_eq!(report["heavy_ms_p50"], 100.0);
    let orders = row(&r, "GET /orders");
    // Waiting is the request's time outside held work: its whole 80.2 ms (README: 0 to 80.2).
    assert_eq!(orders["wait_ms_p50"], 80.2);
    assert_eq!(orders["stalls"], 0);
    let export = row(&r, "GET /export");
    assert_eq!(export["heavy_ms_p50"], 80.0);
    let reasons = r["stalls"].to_string();
    assert!(
        reasons.contains("no other span created or closed on the worker meanwhile"),
        "{reasons}"
    );
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("2 threads created interleaved requests"),
        "{notes}"
    );
    assert!(
        !notes.contains("FmtSpan::FULL or ACTIVE"),
        "advice for another format: {notes}"
    );
}

/// One request on the only thread shows no role: the row stays unknown, and what it asks for
/// is ENTER/EXIT span events, not the thread ids the file already has.
#[test]
fn advice_never_asks_for_thread_ids_the_file_has() {
    let r = analyze_json(&[], &[&data("one-thread.json.log")]);
    let v = row(&r, "GET /report");
    assert_eq!(v["verdict"], "unknown");
    let evidence = v["evidence"].to_string();
    assert!(
        evidence.contains("record ENTER/EXIT span events"),
        "{evidence}"
    );
    assert!(!evidence.contains("with_thread_ids"), "{evidence}");
    assert!(!r["notes"].to_string().contains("with_thread_ids"));
}
