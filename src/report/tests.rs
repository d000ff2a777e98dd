//! The renderers, each on one report built from a timeline: the figures are asserted first,
//! then the whole text is a snapshot.

use super::*;
use crate::analyze::timeline::{S, Timeline};
use crate::ingest::{Format, InputStats};

/// Two workers; `GET /report` computes 100 ms inside its poll, twice at once; `GET /orders`
/// awaits its database for 78 ms, and the two that start in the burst finish 60 ms late.
fn incident() -> (Config, Report) {
    let mut t = Timeline::new();
    let w = [t.thread("w1"), t.thread("w2")];
    let orders = |t: &mut Timeline, th: usize, at: f64, len: f64| -> S {
        let r = t.request("GET /orders", at, at + len);
        t.poll(r, Some(th), at, at + 0.2);
        let db = t.span(
            "db",
            &[("db.system", "postgresql")],
            Some(r),
            at + 0.5,
            at + len - 0.5,
        );
        t.poll(db, Some(th), at + 0.5, at + 0.6);
        t.poll(r, Some(th), at + len - 0.2, at + len);
        r
    };
    for (i, at) in [100.0, 110.0].into_iter().enumerate() {
        let r = t.request("GET /report", at, at + 100.0);
        t.poll(r, Some(w[i]), at, at + 100.0);
    }
    for (i, at) in [0.0, 20.0, 40.0, 300.0, 320.0, 340.0]
        .into_iter()
        .enumerate()
    {
        orders(&mut t, w[i % 2], at, 80.0);
    }
    orders(&mut t, w[0], 150.0, 140.0);
    orders(&mut t, w[1], 160.0, 140.0);
    let trace = t.finish();
    let cfg = Config {
        inputs: vec!["incident.log".into()],
        ..Config::default()
    };
    let analysis = crate::analyze::analyze(&trace, &cfg);
    let mut stats = InputStats::new("incident.log", Format::TracingJson, false);
    stats.events = 123;
    let mut report = Report::new(&cfg);
    report.add(&stats, &trace, &analysis, &cfg);
    (cfg, report)
}

fn rendered(format: OutputFormat) -> String {
    let (mut cfg, report) = incident();
    cfg.format = format;
    let mut out = Vec::new();
    report.render(&cfg, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn json_report() {
    let text = rendered(OutputFormat::Json);
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["inputs"][0]["requests"], 10);
    let rows = v["verdicts"].as_array().expect("verdicts");
    assert_eq!(rows.len(), 2);
    let report = &rows[0];
    assert_eq!(report["endpoint"], "GET /report");
    assert_eq!(report["pattern"], "async-cpu");
    assert_eq!(report["verdict"], "bad");
    assert_eq!(
        (report["unit"].as_str(), report["count"].as_u64()),
        (Some("requests"), Some(2))
    );
    assert_eq!(report["requests"], 2);
    assert_eq!(report["stalls"], 2);
    assert_eq!(report["longest_stall_ms"], 100.0);
    assert_eq!(report["victims"]["delayed"], 2);
    assert_eq!(report["victims"]["max_delay_ms"], 60.0);
    assert_eq!(rows[1]["endpoint"], "GET /orders");
    assert_eq!(rows[1]["verdict"], "good");
    assert_eq!(rows[1]["p50_ms"], 80.0);
    assert_eq!(rows[1]["max_ms"], 140.0);
    let stalls = v["stalls"].as_array().expect("stalls");
    assert_eq!(stalls.len(), 2);
    assert!(
        stalls
            .iter()
            .all(|s| s["source"] == "event-loop-poll" && s["inferred"] == false)
    );
    let ep = &v["episodes"][0];
    assert_eq!(
        (ep["stalls"].as_u64(), ep["max_workers_blocked"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(ep["all_workers_blocked_ms"], 90.0);
    assert_eq!(
        (ep["unit"].as_str(), ep["delayed"].as_u64()),
        (Some("requests"), Some(2))
    );
    assert_eq!(v["victims"]["delayed_requests"], 2);
    assert_eq!(v["victims"]["delayed_tasks"], 0);
    insta::assert_snapshot!(text);
}

#[test]
fn markdown_report() {
    let text = rendered(OutputFormat::Markdown);
    assert!(text.starts_with("### `incident.log` (tracing-json, 10 requests)"));
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("| ")).collect();
    // Header, then one line per verdict.
    assert_eq!(rows.len(), 3, "{text}");
    assert!(rows[1].contains("Async handler with CPU-heavy task — GET /report (2 req)"));
    assert!(rows[1].contains("Blocks event loop: 2 stalls, longest 100 ms"));
    assert!(rows[1].contains("delayed 2 other requests by up to 60 ms"));
    assert!(rows[1].ends_with("| [X] Bad |"));
    assert!(rows[2].contains("GET /orders (8 req)"));
    assert!(rows[2].ends_with("| [OK] Good |"));
    assert!(
        text.contains("both workers blocked for 90 ms; delayed 2 other requests by up to 60 ms")
    );
    insta::assert_snapshot!(text);
}

#[test]
fn table_report() {
    let text = rendered(OutputFormat::Table);
    assert!(text.starts_with("incident.log: tracing-json, 123 events, 10 requests"));
    assert!(text.contains("Event-loop stalls (polls ≥ 10 ms): 2 in 1 episode"));
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn fingerprint_is_fnv1a_of_identity_only() {
    // FNV-1a 64 of "server\0requests\0GET /report", computed independently with Python.
    assert_eq!(
        fingerprint("server", "requests", "GET /report"),
        "8b2d9e928a9a2bc7"
    );
    // The family is part of the identity: a runtime row of the same name is another row.
    assert_ne!(
        fingerprint("server", "requests", "GET /report"),
        fingerprint("runtime-tasks", "requests", "GET /report")
    );
    let json = rendered(OutputFormat::Json);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = v["verdicts"].as_array().unwrap();
    let report = rows
        .iter()
        .find(|r| r["endpoint"] == "GET /report")
        .unwrap();
    assert_eq!(report["fingerprint"], "8b2d9e928a9a2bc7");
}
