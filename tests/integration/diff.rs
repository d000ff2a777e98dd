//! `stallscope diff` (issue 15 §3) on the two recordings of the demo made for it:
//! `sample-traces/diff.before.json-full.log` (`/report`'s CPU work inline on the event loop)
//! and `diff.after.json-full.log.gz` (moved to `spawn_blocking`, `--offload-report`). Their
//! figures are in `sample-traces/expected.json` (checked by `samples`) and README.

use crate::support::{samples_dir, stallscope};
use serde_json::Value;

fn before() -> String {
    samples_dir()
        .join("diff.before.json-full.log")
        .display()
        .to_string()
}

fn after() -> String {
    samples_dir()
        .join("diff.after.json-full.log.gz")
        .display()
        .to_string()
}

fn diff(args: &[&str]) -> (i32, String, String) {
    let out = stallscope().arg("diff").args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn endpoint<'a>(d: &'a Value, name: &str) -> &'a Value {
    d["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["endpoint"] == name)
        .unwrap_or_else(|| panic!("no {name} in {d:#}"))
}

#[test]
fn the_fix_shows_endpoint_by_endpoint() {
    let (code, text, err) = diff(&["--format", "json", &before(), &after()]);
    assert_eq!(code, 0, "{err}");
    let d: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(d["schema_version"], 1);
    assert_eq!(d["baseline"]["kind"], "trace");
    // GET /report (expected.json): async-cpu Bad, 25 stalls, longest 256.38 ms, p95 214.15 ms
    // -> sync-cpu OK on the blocking pool, 1 stall of 11.6 ms (a short poll still over 10 ms),
    // p95 334.01 ms (three CPU-bound requests at once now share 2 cores).
    let r = endpoint(&d, "GET /report");
    assert_eq!(r["status"], "changed");
    assert_eq!(r["fingerprint"], "8b2d9e928a9a2bc7");
    assert_eq!(r["before"]["verdict"], "bad");
    assert_eq!(r["after"]["verdict"], "ok");
    assert_eq!(r["before"]["pattern"], "async-cpu");
    assert_eq!(r["after"]["pattern"], "sync-cpu");
    assert_eq!(r["before"]["stalls"], 25);
    assert_eq!(r["after"]["stalls"], 1);
    assert_eq!(r["before"]["p95_ms"], 214.15);
    assert_eq!(r["after"]["p95_ms"], 334.01);
    assert_eq!(r["improved"], true);
    // 334.01 > 214.15 * 1.1: p95 up more than the default 10 %.
    assert_eq!(r["regressions"], serde_json::json!(["p95"]));
    assert_eq!(
        r["line"],
        "GET /report: Bad -> OK: 25 stalls -> 1, longest 256 -> 11.6 ms; p95 214 -> 334 ms \
         (regressed: p95 up)"
    );
    // GET /orders: its p95 fell (248.46 -> 92.45 ms: no more waiting behind /report), but one
    // of its polls in the candidate took 12.3 ms (over --stall 10ms), and one stall makes an
    // endpoint Bad.
    let o = endpoint(&d, "GET /orders");
    assert_eq!(o["before"]["verdict"], "good");
    assert_eq!(o["after"]["verdict"], "bad");
    assert_eq!(o["before"]["p95_ms"], 248.46);
    assert_eq!(o["after"]["p95_ms"], 92.45);
    assert_eq!(o["regressions"], serde_json::json!(["verdict"]));
    assert_eq!(d["summary"]["changed"], 2);
    assert_eq!(d["summary"]["regressed"], 2);
}

#[test]
fn tolerance_and_fail_on() {
    // No --fail-on: exit 0 whatever changed.
    let (code, _, _) = diff(&[&before(), &after()]);
    assert_eq!(code, 0);
    let (code, _, _) = diff(&["--fail-on", "regressed", &before(), &after()]);
    assert_eq!(code, 3);
    // With a 60 % tolerance /report's p95 rise (56 %) is not a regression; /orders' worse
    // verdict still is.
    let (code, text, _) = diff(&[
        "--format",
        "json",
        "--tolerance",
        "60%",
        &before(),
        &after(),
    ]);
    assert_eq!(code, 0);
    let d: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(endpoint(&d, "GET /report")["regressed"], false);
    assert_eq!(endpoint(&d, "GET /orders")["regressed"], true);
    // The same run against itself: nothing changed, nothing regressed.
    let (code, text, _) = diff(&["--fail-on", "regressed", &before(), &before()]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("0 new, 0 changed, 0 resolved, 2 unchanged; 0 better, 0 regressed"));
    let (code, _, err) = diff(&["--tolerance=-5%", &before(), &after()]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid tolerance"), "{err}");
}

#[test]
fn saved_reports_give_the_same_diff_as_traces() {
    let dir = tempfile::tempdir().unwrap();
    let save = |src: &str, name: &str| {
        let out = stallscope()
            .args(["analyze", "--format", "json", src])
            .output()
            .unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &out.stdout).unwrap();
        path.display().to_string()
    };
    let b = save(&before(), "before.json");
    let a = save(&after(), "after.json");
    let (_, from_traces, _) = diff(&["--format", "json", &before(), &after()]);
    let (code, from_reports, err) = diff(&["--format", "json", &b, &a]);
    assert_eq!(code, 0, "{err}");
    let mut t: Value = serde_json::from_str(&from_traces).unwrap();
    let mut r: Value = serde_json::from_str(&from_reports).unwrap();
    assert_eq!(r["baseline"]["kind"], "report");
    for v in [&mut t, &mut r] {
        v["baseline"] = Value::Null;
        v["candidate"] = Value::Null;
    }
    assert_eq!(t, r);
    // A report without fingerprints (written before they existed) matches by the same rule.
    let mut old: Value = serde_json::from_str(&std::fs::read_to_string(&b).unwrap()).unwrap();
    for v in old["verdicts"].as_array_mut().unwrap() {
        v.as_object_mut().unwrap().remove("fingerprint");
    }
    let old_path = dir.path().join("old.json");
    std::fs::write(&old_path, old.to_string()).unwrap();
    let (_, text, _) = diff(&["--format", "json", old_path.to_str().unwrap(), &a]);
    let o: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(o["endpoints"], r["endpoints"]);
    // Another schema version is refused with the file's name.
    let v1 = dir.path().join("v1.json");
    std::fs::write(
        &v1,
        r#"{"schema_version": 1, "tool": {"name": "stallscope"}, "verdicts": []}"#,
    )
    .unwrap();
    let (code, _, err) = diff(&[v1.to_str().unwrap(), &a]);
    assert_eq!(code, 2);
    assert!(
        err.contains("v1.json") && err.contains("schema_version 1"),
        "{err}"
    );
}

#[test]
fn table_and_markdown_say_it_in_words() {
    let (_, table, _) = diff(&[&before(), &after()]);
    assert!(table.contains(
        "  GET /report: Bad -> OK: 25 stalls -> 1, longest 256 -> 11.6 ms; p95 214 -> 334 ms"
    ));
    // The table is sized for 100 columns (the lines in words under it are not cut).
    assert!(
        table
            .lines()
            .filter(|l| l.starts_with(['┌', '│', '├', '╞', '└']))
            .all(|l| l.chars().count() <= 100),
        "{table}"
    );
    let (_, md, _) = diff(&["--format", "markdown", &before(), &after()]);
    assert!(md.starts_with("### stallscope diff: baseline "));
    assert!(md.contains("| Endpoint | Status | Verdict | Stalls | Longest stall | p95 |"));
    assert!(md.contains("| GET /report | changed, regressed | [X] Bad -> [!] OK | 25 -> 1 |"));
    assert!(md.contains("- GET /orders: Good -> Bad: 0 stalls -> 1"));
}
