//! Agreement with Chrome DevTools' own trace engine on the shared corpus
//! (`../shared/corpus/chrome`, with `expected/<file>.devtools.json` computed by
//! `@paulirish/trace_engine`): request count, main document, every request's server-response
//! wait (within 0.01 ms), and long tasks per renderer main thread.
//!
//! The corpus lives outside the repository. When it is missing the test is skipped, except in
//! CI (`CI=true`), where it fails.

use serde_json::Value;
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/chrome");
    if dir.join("expected").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "CI=true but the Chrome corpus is missing at {}",
        dir.display()
    );
    eprintln!("skipping: no corpus at {}", dir.display());
    None
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn network_and_long_tasks_agree_with_devtools() {
    let Some(dir) = corpus() else { return };
    let cfg = stallscope::Config::default();
    let mut checked = 0;
    let (mut waits_checked, mut threads_checked, mut long_tasks_checked) = (0, 0, 0);
    let (mut lcps_checked, mut phases_checked) = (0, 0);
    let mut failures = Vec::new();
    let mut expected_files: Vec<PathBuf> = std::fs::read_dir(dir.join("expected"))
        .expect("expected/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    expected_files.sort();
    for exp_path in expected_files {
        let exp: Value =
            serde_json::from_str(&std::fs::read_to_string(&exp_path).expect("read")).expect("json");
        let file = exp["file"].as_str().expect("file").to_string();
        if exp.get("error").is_some_and(|e| !e.is_null()) {
            // The engine itself failed on this file; nothing to agree with, but we must read it.
            stallscope::ingest::ingest(&dir.join(&file), &cfg)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            continue;
        }
        let ing = stallscope::ingest::ingest(&dir.join(&file), &cfg)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let a = stallscope::analyze::analyze(&ing.trace, &cfg);
        let b = &a.browser;
        let mut fail = |msg: String| failures.push(format!("{file}: {msg}"));
        // Requests.
        let net = &exp["network"];
        let want_count = net["count"].as_u64().unwrap_or(0) as usize;
        if b.network.len() != want_count {
            fail(format!(
                "{} requests, DevTools {}",
                b.network.len(),
                want_count
            ));
        }
        for r in net["requests"].as_array().into_iter().flatten() {
            let id = r["requestId"].as_str().unwrap_or_default();
            let Some(ours) = b.network.iter().find(|n| n.request_id == id) else {
                fail(format!("request {id} missing"));
                continue;
            };
            waits_checked += 1;
            match (r["serverResponse_ms"].as_f64(), ours.server_wait_ms) {
                (Some(want), Some(got)) if close(want, got, 0.01) => {}
                (None, None) => {}
                (want, got) => fail(format!(
                    "request {id}: server wait {got:?}, DevTools {want:?}"
                )),
            }
            if r["isMainDocument"].as_bool() != Some(ours.is_document) {
                fail(format!(
                    "request {id}: document {}, DevTools {}",
                    ours.is_document, r["isMainDocument"]
                ));
            }
        }
        if let Some(doc) = net["mainDocument"].as_object() {
            let id = doc["requestId"].as_str().unwrap_or_default();
            if !b
                .network
                .iter()
                .any(|n| n.request_id == id && n.is_document)
            {
                fail(format!("main document {id} not found"));
            }
        }
        // Long tasks per main thread.
        for m in exp["longTasks"]["mainThreads"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let (pid, tid) = (m["pid"].to_string(), m["tid"].to_string());
            let Some(ours) = b.main_threads.iter().find(|t| t.pid == pid && t.tid == tid) else {
                fail(format!("main thread {pid}:{tid} missing"));
                continue;
            };
            let want_n = m["longTasks"].as_u64().unwrap_or(0) as usize;
            threads_checked += 1;
            long_tasks_checked += want_n;
            if ours.long_tasks != want_n {
                fail(format!(
                    "{pid}:{tid}: {} long tasks, DevTools {want_n}",
                    ours.long_tasks
                ));
            }
            for (key, got) in [
                ("longTaskTotal_ms", ours.long_task_total_ms),
                ("blockingSum_ms", ours.blocking_ms),
                ("longest_ms", ours.longest_ms.unwrap_or(0.0)),
            ] {
                let want = m[key].as_f64().unwrap_or(0.0);
                if !close(want, got, 0.01) {
                    fail(format!("{pid}:{tid}: {key} {got}, DevTools {want}"));
                }
            }
        }
        // LCP and its subparts, per navigation insight set, within 1 ms.
        for set in exp["insightSets"].as_array().into_iter().flatten() {
            let Some(want) = set["lcp"]["lcp_ms"].as_f64() else {
                continue;
            };
            let url = set["url"].as_str().unwrap_or_default();
            let start = set["bounds"]["start_ms"].as_f64().unwrap_or(0.0);
            let Some(nav) = b
                .navigations
                .iter()
                .find(|n| n.lcp_ms.is_some_and(|l| close(l, want, 1.0)) || n.url == url)
            else {
                fail(format!("navigation {url} (at {start} ms) missing"));
                continue;
            };
            lcps_checked += 1;
            match nav.lcp_ms {
                Some(got) if close(got, want, 1.0) => {}
                got => fail(format!("{url}: LCP {got:?}, DevTools {want}")),
            }
            let sub = &set["lcp"]["subparts_ms"];
            if let (Some(p), true) = (nav.phases, sub.is_object()) {
                for (key, got) in [
                    ("ttfb", Some(p.ttfb_ms)),
                    ("loadDelay", p.load_delay_ms),
                    ("loadDuration", p.load_duration_ms),
                    ("renderDelay", Some(p.render_delay_ms)),
                ] {
                    if let Some(w) = sub[key].as_f64() {
                        phases_checked += 1;
                        if !got.is_some_and(|g| close(g, w, 1.0)) {
                            fail(format!("{url}: LCP {key} {got:?}, DevTools {w}"));
                        }
                    }
                }
            } else if sub.is_object() {
                fail(format!("{url}: no LCP phases"));
            }
        }
        checked += 1;
    }
    eprintln!(
        "checked {checked} files: {waits_checked} request waits, {threads_checked} main threads, {long_tasks_checked} long tasks, {lcps_checked} LCPs, {phases_checked} LCP phases"
    );
    assert!(checked >= 25, "only {checked} corpus files checked");
    // The corpus's expected files list 338 requests and 70 long tasks on 29 main threads.
    assert_eq!(
        (waits_checked, threads_checked, long_tasks_checked),
        (338, 29, 70)
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
