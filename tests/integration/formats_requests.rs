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
