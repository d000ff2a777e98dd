//! Issue 10's rules for verdicts on thin evidence, on the demo's real recordings: one row per
//! endpoint, and `--workers` for CLOSE-only logs without threads.

use crate::support::{analyze_json, samples_dir, stallscope};
use serde_json::Value;

/// (endpoint, pattern, verdict, count) of every request row.
fn rows(report: &Value) -> Vec<(String, String, String, u64)> {
    let mut out: Vec<(String, String, String, u64)> = report["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .filter(|v| v["unit"] == "requests")
        .map(|v| {
            (
                v["endpoint"].as_str().unwrap_or("").to_string(),
                v["pattern"].as_str().unwrap_or("").to_string(),
                v["verdict"].as_str().unwrap_or("").to_string(),
                v["count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

fn row<'a>(report: &'a Value, endpoint: &str) -> &'a Value {
    report["verdicts"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["endpoint"] == endpoint))
        .unwrap_or_else(|| panic!("no row for {endpoint}"))
}

/// The patterns recordings without threads or polls: 4 clients call `/thumbnail` and
/// `/export` at once (sample-traces/README.md), each request's `compute` or blocking
/// `db.query` busy through its whole life. With `--workers 2`, four at once cannot all be on
/// the 2-worker loop: both endpoints are settled by concurrency, and say so; `/report` (2
/// clients) is still settled by its effect on others. Every row keeps its request count.
#[test]
fn workers_settle_close_only_logs_by_concurrency() {
    for file in ["patterns.json-close.log", "patterns.text.log"] {
        let path = samples_dir().join(file);
        let plain = analyze_json(&[], &[&path]);
        let report = analyze_json(&["--workers", "2"], &[&path]);
        let s =
            |e: &str, p: &str, v: &str, n: u64| (e.to_string(), p.to_string(), v.to_string(), n);
        assert_eq!(
            rows(&report),
            vec![
                s("GET /export", "sync-io", "bad", 56),
                s("GET /orders", "async-io", "good", 152),
                s("GET /report", "async-cpu", "bad", 28),
                s("GET /thumbnail", "sync-cpu", "ok", 56),
            ],
            "{file}"
        );
        assert_eq!(
            rows(&plain),
            rows(&report),
            "{file}: same verdicts by impact alone"
        );
        for e in ["GET /thumbnail", "GET /export"] {
            let ev = row(&report, e)["evidence"].to_string();
            assert!(
                ev.contains("up to 4 of its heavy sections held a thread at once, more than the 2 event-loop workers (--workers)"),
                "{file} {e}: {ev}"
            );
            let cell = row(&report, e)["row"]["server_threads"].to_string();
            assert!(
                cell.contains("more at once than there are workers"),
                "{cell}"
            );
            assert!(!row(&plain, e)["evidence"].to_string().contains("--workers"));
        }
        // /report ran at most 2 at once: concurrency says nothing, impact decides.
        assert!(
            !row(&report, "GET /report")["evidence"]
                .to_string()
                .contains("--workers")
        );
    }
}

#[test]
fn workers_must_be_at_least_one() {
    let out = stallscope()
        .args(["analyze", "--workers", "0"])
        .arg(samples_dir().join("patterns.text.log"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--workers must be at least 1"));
}
