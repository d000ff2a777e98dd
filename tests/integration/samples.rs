//! Walks sample-traces/: every recording states its expected findings in
//! sample-traces/expected.json (figures cross-checked by scripts/check-samples.py, which
//! computes them from the raw files without stallscope's code), and the real binary must
//! reproduce them.

use crate::support::{analyze_json, manifest_dir, samples_dir, stallscope};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn run_json(path: &Path, extra: &[&str]) -> Value {
    analyze_json(extra, &[path])
}

/// The table `stallscope analyze FILES...` prints (paths relative to the crate, as a user
/// types them), checked to fit 100 columns.
fn table_of(files: &[&str]) -> String {
    let out = stallscope()
        .arg("analyze")
        .args(files)
        .current_dir(manifest_dir())
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.lines().all(|l| l.chars().count() <= 100),
        "wider than 100 columns:\n{text}"
    );
    text
}

/// Issue 10's recordings, which the tests over every sample skip until issue 10's analysis is
/// merged (see [`crate::issue10::PENDING`]); `issue10` asserts their rows meanwhile.
pub fn pending(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| crate::issue10::PENDING.contains(&n.trim_end_matches(".gz")))
}

fn trace_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples_dir())
        .expect("sample-traces/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        // Subfolders (sample-traces/django/) have their own expected.json.
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name != "README.md" && name != "expected.json"
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_sample_matches_its_expected_findings() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(samples_dir().join("expected.json")).expect("expected.json"),
    )
    .expect("expected.json is JSON");
    let files = trace_files();
    assert!(files.len() >= 10, "sample traces missing: {files:?}");
    for path in files.into_iter().filter(|p| !pending(p)) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let want = &expected[name];
        assert!(
            want.is_object(),
            "{name}: no entry in sample-traces/expected.json"
        );
        let got = run_json(&path, &[]);
        assert_eq!(got["schema_version"], 2);
        assert_eq!(got["inputs"][0]["format"], want["format"], "{name}");
        assert_eq!(got["inputs"][0]["requests"], want["requests"], "{name}");
        let verdicts = got["verdicts"].as_array().expect("verdicts");
        let want_eps = want["endpoints"].as_object().expect("endpoints");
        assert_eq!(verdicts.len(), want_eps.len(), "{name}: {verdicts:#?}");
        for v in verdicts {
            let ep = v["endpoint"].as_str().expect("endpoint");
            let w = &want_eps[ep];
            for key in ["pattern", "verdict", "p50_ms", "p95_ms", "max_ms"] {
                assert_eq!(v[key], w[key], "{name}: {ep}: {key}");
            }
            // expected.json counts what the row judges: requests, or tasks for recordings.
            assert_eq!(v["count"], w["requests"], "{name}: {ep}: count");
            if v["unit"] == "requests" {
                assert_eq!(v["requests"], v["count"], "{name}: {ep}: requests");
            } else {
                assert!(
                    v["requests"].is_null(),
                    "{name}: {ep}: requests of a {} row",
                    v["unit"]
                );
            }
            assert!(
                !v["evidence"].as_array().expect("evidence").is_empty(),
                "{name}: {ep}: no evidence"
            );
            for col in [
                "pattern",
                "server_threads",
                "blocking_behavior",
                "response_time_impact",
                "verdict",
            ] {
                assert!(
                    v["row"][col].as_str().is_some_and(|s| !s.is_empty()),
                    "{name}: {ep}: row.{col}"
                );
            }
        }
        let stalls = got["stalls"].as_array().expect("stalls");
        // towerhttp.text-events.log: latencies only, no work spans or polls: no stall either way.
        if want.get("stalls").is_none() {
            assert!(stalls.is_empty(), "{name}: {stalls:?}");
            continue;
        }
        assert_eq!(
            stalls.len() as u64,
            want["stalls"].as_u64().expect("n"),
            "{name}: stalls"
        );
        let inferred = stalls.iter().filter(|s| s["inferred"] == true).count();
        assert_eq!(
            inferred as u64,
            want["inferred_stalls"].as_u64().expect("n"),
            "{name}: inferred stalls"
        );
        // towerhttp.json-close.log: its request spans carry no id that ties a work span to its
        // request, so scripts/check-samples.py places no episode (its stalls are still counted).
        if want.get("episodes").is_none() {
            assert!(
                name.starts_with("towerhttp."),
                "{name}: no episodes in expected.json"
            );
            continue;
        }
        assert_eq!(
            got["episodes"].as_array().map(Vec::len),
            want["episodes"].as_u64().map(|n| n as usize),
            "{name}: episodes"
        );
        // expected.json's delayed_requests counts tasks for recordings.
        let recording = got["inputs"][0]["tasks"].as_u64().unwrap_or(0) > 0;
        let (delayed, other) = if recording {
            ("delayed_tasks", "delayed_requests")
        } else {
            ("delayed_requests", "delayed_tasks")
        };
        assert_eq!(
            got["victims"][delayed], want["delayed_requests"],
            "{name}: victims"
        );
        assert_eq!(got["victims"][other], 0, "{name}: victims");
        assert_eq!(
            got["victims"]["max_delay_ms"], want["max_delay_ms"],
            "{name}: max delay"
        );
    }
}

/// The four patterns of the demo server, whatever the recording format: verdicts come from
/// behaviour (the routes' names reveal nothing).
#[test]
fn demo_endpoints_get_their_rows_in_every_format() {
    for path in trace_files() {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if crate::issue10::FILES.contains(&file.trim_end_matches(".gz")) {
            // their endpoints and verdicts differ by file: see the issue10 module
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let got = run_json(&path, &[]);
        let find = |ep: &str| {
            got["verdicts"]
                .as_array()
                .and_then(|vs| vs.iter().find(|v| v["endpoint"] == ep))
                .map(|v| {
                    (
                        v["pattern"].as_str().unwrap_or("").to_string(),
                        v["verdict"].as_str().unwrap_or("").to_string(),
                    )
                })
        };
        if name.starts_with("devtools.") || name.contains("console.") || name.starts_with("diff.") {
            // see devtools_recordings_agree_with_devtools, console_recordings and
            // console_recordings_joined_to_logs; the diff pair (/report moved to the blocking
            // pool in diff.after) in diff.rs
            continue;
        }
        assert_eq!(
            find("GET /orders"),
            Some(("async-io".into(), "good".into())),
            "{name}"
        );
        assert_eq!(
            find("GET /report"),
            Some(("async-cpu".into(), "bad".into())),
            "{name}"
        );
        if name.contains("patterns.") {
            assert_eq!(
                find("GET /export"),
                Some(("sync-io".into(), "bad".into())),
                "{name}"
            );
            assert_eq!(
                find("GET /thumbnail"),
                Some(("sync-cpu".into(), "ok".into())),
                "{name}"
            );
        }
    }
}

/// Thread roles from behaviour: in the full JSON recording the two tokio workers interleave
/// requests and the four blocking-pool threads run one request at a time; all six are named
/// `tokio-rt-worker`.
#[test]
fn thread_roles_from_behaviour_not_names() {
    let got = run_json(&samples_dir().join("patterns.json-full.log.gz"), &[]);
    let threads = got["threads"].as_array().expect("threads");
    let role_count = |r: &str| threads.iter().filter(|t| t["role"] == r).count();
    assert_eq!(role_count("event-loop"), 2);
    assert_eq!(role_count("blocking"), 4);
    assert!(threads.iter().all(|t| t["name"] == "tokio-rt-worker"));
}

/// The incident: a 2-second burst of CPU-inline requests stalls both workers; the stall
/// episode, its culprit and its victims (figures checked by scripts/check-samples.py).
#[test]
fn incident_episode_names_culprit_and_victims() {
    let got = run_json(&samples_dir().join("incident.json-full.log"), &[]);
    let eps = got["episodes"].as_array().expect("episodes");
    assert_eq!(eps.len(), 1);
    let ep = &eps[0];
    assert_eq!(ep["stalls"], 41);
    assert_eq!(ep["culprits"], serde_json::json!(["GET /report"]));
    assert_eq!(ep["max_workers_blocked"], 2);
    assert_eq!(ep["event_loop_threads"], 2);
    assert_eq!(ep["unit"], "requests");
    assert_eq!(ep["delayed"], 36);
    let dur = ep["duration_ms"].as_f64().expect("duration");
    assert!(
        (1900.0..2300.0).contains(&dur),
        "episode lasts the burst: {dur}"
    );
    let both = ep["all_workers_blocked_ms"].as_f64().expect("both");
    assert!(
        both > 0.5 * dur && both <= dur,
        "both workers blocked most of the burst: {both}"
    );
    // Each stall names its culprit and is not inferred when ENTER/EXIT and thread ids exist.
    for s in got["stalls"].as_array().expect("stalls") {
        assert_eq!(s["culprit"], "GET /report");
        assert_eq!(s["inferred"], false);
        assert!(s["duration_ms"].as_f64().unwrap_or(0.0) >= 10.0);
        assert!(
            s["thread"]
                .as_str()
                .is_some_and(|t| t.contains("ThreadId("))
        );
    }
    // The /report row carries the same figures.
    let report = got["verdicts"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["endpoint"] == "GET /report"))
        .expect("row");
    assert_eq!(report["stalls"], 41);
    assert_eq!(report["victims"]["unit"], "requests");
    assert_eq!(report["victims"]["delayed"], 36);
    assert!(
        report["row"]["response_time_impact"]
            .as_str()
            .unwrap_or("")
            .contains("delayed 36 other requests")
    );
}

/// Text, ANSI text and JSON of the same kind of run agree on the verdicts; a lower --stall
/// finds at least as many stalls; --fail-on turns a Bad verdict into exit 3.
#[test]
fn options_change_what_they_say() {
    let path = samples_dir().join("incident.json-full.log");
    let low = run_json(&path, &["--stall", "1ms"]);
    let high = run_json(&path, &["--stall", "150ms"]);
    let n = |v: &Value| v["stalls"].as_array().map_or(0, Vec::len);
    assert!(n(&low) >= 41, "{}", n(&low));
    assert_eq!(n(&high), 0);
    assert_eq!(low["settings"]["stall_ms"], 1.0);

    let top = run_json(&path, &["--top", "1"]);
    assert_eq!(top["verdicts"].as_array().map(Vec::len), Some(1));
    assert_eq!(top["verdicts"][0]["verdict"], "bad");

    let status = stallscope()
        .args(["analyze", "--fail-on", "bad"])
        .arg(&path)
        .output()
        .expect("runs")
        .status;
    assert_eq!(status.code(), Some(3));
}

#[test]
fn markdown_has_the_table_header_and_rows() {
    let out = stallscope()
        .args(["analyze", "--format", "markdown"])
        .arg(samples_dir().join("patterns.text.log"))
        .output()
        .expect("runs");
    assert!(out.status.success());
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains(
            "| Pattern | Server Threads Used | Blocking Behavior | Response Time Impact | Verdict |"
        ),
        "{md}"
    );
    assert_eq!(
        md.lines()
            .filter(|l| l.starts_with("| ") && l.contains("[X] Bad"))
            .count(),
        2,
        "{md}"
    );
    assert!(
        md.lines()
            .any(|l| l.contains("GET /thumbnail") && l.contains("[!] OK")),
        "{md}"
    );
}

/// The rendered table, as a user sees it in a pipe (100 columns, no colour). The snapshot is
/// backed by the figures asserted first, which expected.json and scripts/check-samples.py hold.
#[test]
fn incident_table_snapshot() {
    let text = table_of(&["sample-traces/incident.json-full.log"]);
    // The cells wrap in the table; their full texts are in the JSON rows.
    let got = run_json(&samples_dir().join("incident.json-full.log"), &[]);
    let row = |ep: &str, col: &str| {
        got["verdicts"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["endpoint"] == ep))
            .and_then(|v| v["row"][col].as_str().map(str::to_string))
            .unwrap_or_default()
    };
    assert_eq!(
        row("GET /report", "pattern"),
        "Async handler with CPU-heavy task — GET /report (41 req)"
    );
    assert_eq!(
        row("GET /report", "blocking_behavior"),
        "Blocks event loop: 41 stalls, longest 113 ms"
    );
    assert_eq!(
        row("GET /report", "response_time_impact"),
        "p50 103 ms, p95 107 ms; delayed 36 other requests by up to 187 ms"
    );
    assert_eq!(row("GET /orders", "verdict"), "[OK] Good");
    assert_eq!(
        row("GET /orders", "response_time_impact"),
        "p50 82 ms, p95 105 ms; 4 req ≥ 200 ms; 36 req delayed by stalls"
    );
    for needle in [
        "[X] Bad",
        "[OK] Good",
        "41 stalls by GET /report; both workers blocked for 2.06 s",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    insta::assert_snapshot!(text);
}

/// The table for a recording joined to its log, as a user reads it: rows named by endpoint.
/// Backed by the figures of console_recordings_joined_to_logs (41 long polls, 30 delayed tasks,
/// 24 of them GET /orders').
#[test]
fn joined_incident_table_snapshot() {
    let text = table_of(&[
        "sample-traces/joined.incident.console.jsonl",
        "sample-traces/joined.incident.json-full.log",
    ]);
    // Cells wrap; their full texts and figures are asserted from the JSON in
    // console_recordings_joined_to_logs.
    for needle in [
        "Event-loop stalls (polls ≥ 10 ms): 41 in 1 episode",
        "41 stalls by GET /report; both workers blocked",
        "[X] Bad",
        "[OK] Good",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    insta::assert_snapshot!(text);
}

/// Reading in one streaming pass (trees measured as they close, then forgotten) finds exactly
/// what reading the whole trace first finds.
#[test]
fn streaming_and_whole_trace_analysis_agree() {
    let cfg = stallscope::Config::default();
    for path in trace_files().into_iter().filter(|p| !pending(p)) {
        let whole = stallscope::ingest::ingest(&path).expect("reads");
        let a = stallscope::analyze::analyze(&whole.trace, &cfg);
        let mut collector = stallscope::analyze::Collector::new(&cfg);
        let streamed = stallscope::ingest::ingest_streaming(&path, &mut collector).expect("reads");
        assert!(
            whole.trace.spans.is_empty()
                || streamed.trace.spans.len() < whole.trace.spans.len() / 10,
            "{}: trees were not released",
            path.display()
        );
        let b = collector.finish(&streamed.trace);
        let key = |r: &stallscope::analyze::requests::Request| {
            (
                r.endpoint.to_string(),
                r.start,
                r.end,
                format!("{:?}", r.kind),
            )
        };
        let mut ra: Vec<_> = a.requests.iter().map(key).collect();
        let mut rb: Vec<_> = b.requests.iter().map(key).collect();
        ra.sort();
        rb.sort();
        assert_eq!(ra, rb, "{}", path.display());
        let stalls = |x: &stallscope::analyze::Analysis| {
            x.stalls
                .iter()
                .map(|s| (s.start, s.end, s.culprit.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(stalls(&a), stalls(&b), "{}", path.display());
        assert_eq!(a.victims.delayed_requests, b.victims.delayed_requests);
    }
}

/// The two headless-Chromium recordings of the demo page (scripts/record-chrome.sh). Reference
/// figures from Chrome DevTools' own trace engine (scripts/devtools_reference.mjs): every
/// request's server wait, the LCP and its four subparts.
#[test]
fn devtools_recordings_agree_with_devtools() {
    struct Want {
        file: &'static str,
        waits: [(&'static str, f64); 3],
        lcp: f64,
        subparts: [f64; 4],
        slow_rows: usize,
    }
    let wants = [
        Want {
            file: "devtools.page-idle.json.gz",
            waits: [("/", 1.190), ("/chart", 134.854), ("/favicon.ico", 0.102)],
            lcp: 187.305,
            subparts: [6.638, 21.421, 137.588, 21.658],
            slow_rows: 0,
        },
        Want {
            file: "devtools.page-burst.json.gz",
            waits: [
                ("/", 129.497),
                ("/chart", 355.332),
                ("/favicon.ico", 120.639),
            ],
            lcp: 538.975,
            subparts: [135.879, 11.778, 358.170, 33.148],
            slow_rows: 1,
        },
    ];
    for w in wants {
        let got = run_json(&samples_dir().join(w.file), &[]);
        for (path, wait) in w.waits {
            let url = format!("http://127.0.0.1:8931{path}");
            let n = got["network"]
                .as_array()
                .and_then(|v| v.iter().find(|n| n["url"] == url.as_str()));
            let n = n.unwrap_or_else(|| panic!("{}: no request {url}", w.file));
            assert_eq!(
                n["server_wait_ms"].as_f64(),
                Some(wait),
                "{}: {url}",
                w.file
            );
        }
        let nav = &got["navigations"][0];
        assert_eq!(nav["lcp_ms"].as_f64(), Some(w.lcp), "{}", w.file);
        assert_eq!(nav["lcp_type"], "image");
        let p = &nav["phases"];
        let subs = [
            p["ttfb_ms"].as_f64(),
            p["load_delay_ms"].as_f64(),
            p["load_duration_ms"].as_f64(),
            p["render_delay_ms"].as_f64(),
        ];
        assert_eq!(subs, w.subparts.map(Some), "{}", w.file);
        let slow = got["verdicts"].as_array().map_or(0, |v| {
            v.iter()
                .filter(|v| v["pattern"] == "slow-server-response")
                .count()
        });
        assert_eq!(slow, w.slow_rows, "{}", w.file);
    }
}

/// console-subscriber recordings of the demo (scripts/record-console.sh). Figures checked by
/// scripts/check-samples.py: kind=task tasks and their polls of 10 ms or more, one per `/report`
/// request the clients sent (22 in the incident, 28 in patterns).
#[test]
fn console_recordings() {
    // (file, kind=task tasks, their polls, long polls, Spawn lines: every task of any kind)
    for (file, tasks, polls, long_polls, spawned) in [
        ("console.incident.jsonl", 168, 1226, 22, 173),
        ("console.patterns.jsonl.gz", 330, 2112, 28, 447),
    ] {
        let got = run_json(&samples_dir().join(file), &[]);
        assert_eq!(got["inputs"][0]["format"], "console-recording");
        assert_eq!(got["inputs"][0]["tasks"], spawned, "{file}");
        let groups = got["tasks"].as_array().expect("tasks");
        let task = groups
            .iter()
            .find(|g| g["kind"] == "task")
            .expect("async tasks");
        assert_eq!(
            (task["tasks"].as_u64(), task["polls"].as_u64()),
            (Some(tasks), Some(polls)),
            "{file}"
        );
        assert_eq!(task["long_polls"].as_u64(), Some(long_polls), "{file}");
        let row = got["verdicts"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["pattern"] == "async-cpu"));
        let row = row.unwrap_or_else(|| panic!("{file}: no async-cpu row"));
        assert_eq!(row["verdict"], "bad");
        assert_eq!(row["stalls"].as_u64(), Some(long_polls));
        // Two workers: never more than two long polls at once.
        for e in got["episodes"].as_array().expect("episodes") {
            assert!(
                e["max_workers_blocked"].as_u64().unwrap_or(0) <= 2,
                "{file}: {e}"
            );
        }
        assert_eq!(
            got["stalls"].as_array().map(Vec::len),
            Some(long_polls as usize)
        );
    }
    // The blocking pool's work is named by its closure type, and not judged without evidence.
    let got = run_json(&samples_dir().join("console.patterns.jsonl.gz"), &[]);
    let blocking: Vec<&Value> = got["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|g| g["kind"] == "blocking")
        .collect();
    assert_eq!(blocking.len(), 2);
    assert!(blocking.iter().all(|g| g["tasks"] == 56 && g["site"].as_str().unwrap_or("").contains("::{{closure}}")));
}

/// A console-subscriber recording given with a tracing log of the same run
/// (scripts/record-console.sh, `joined.*`: requests in unnamed connection tasks, so the
/// recording alone calls them all `task`). The tasks are joined to the log's requests by time,
/// and the rows name endpoints. scripts/check-samples.py counts, independently, the long polls
/// that contain an execution of a `/report` request (41 in the incident, 28 in patterns) and
/// the blocking tasks that contain one of `/export` and of `/thumbnail` (56 each).
#[test]
fn console_recordings_joined_to_logs() {
    let dir = samples_dir();
    let group = |got: &Value, site: &str, kind: &str| -> Value {
        got["tasks"]
            .as_array()
            .and_then(|g| g.iter().find(|g| g["site"] == site && g["kind"] == kind))
            .cloned()
            .unwrap_or(Value::Null)
    };
    for (log, rec, requests, long_polls) in [
        (
            "joined.incident.json-full.log",
            "joined.incident.console.jsonl",
            189,
            41,
        ),
        (
            "joined.incident.json-close.log",
            "joined.incident.console.jsonl",
            189,
            41,
        ),
        (
            "joined.patterns.json-full.log.gz",
            "joined.patterns.console.jsonl.gz",
            292,
            28,
        ),
        (
            "joined.patterns.json-close.log",
            "joined.patterns.console.jsonl.gz",
            292,
            28,
        ),
    ] {
        // Either order on the command line; the report keeps it.
        for args in [[log, rec], [rec, log]] {
            let paths: Vec<PathBuf> = args.iter().map(|a| dir.join(a)).collect();
            let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
            let got = analyze_json(&[], &refs);
            assert!(
                got["inputs"][0]["path"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with(args[0])
            );
            let join = &got["joins"][0];
            assert_eq!(join["requests"], requests, "{log}");
            assert_eq!(join["requests_placed"], requests, "{log}");
            // Every long poll is a /report task's: none is left under the recording's `task`.
            let report = group(&got, "GET /report", "task");
            assert_eq!(report["long_polls"], long_polls, "{log}: {report}");
            assert_eq!(report["joined_endpoint"], true);
            assert_eq!(
                group(&got, "task", "task")["long_polls"]
                    .as_u64()
                    .unwrap_or(0),
                0,
                "{log}"
            );
            let row = got["verdicts"]
                .as_array()
                .and_then(|v| {
                    v.iter()
                        .find(|v| v["input"].as_str().unwrap_or("").ends_with(rec))
                })
                .cloned()
                .unwrap_or(Value::Null);
            assert_eq!(row["endpoint"], "GET /report", "{log}");
            assert_eq!(row["pattern"], "async-cpu");
            assert_eq!(row["stalls"], long_polls);
            assert!(
                row["evidence"].as_array().is_some_and(|e| e
                    .iter()
                    .any(|e| e.as_str().unwrap_or("").contains("joined from"))),
                "{log}: {row}"
            );
            // The log's own analysis is unchanged by the join.
            let log_row = got["verdicts"]
                .as_array()
                .and_then(|v| {
                    v.iter().find(|v| {
                        v["input"].as_str().unwrap_or("").ends_with(log)
                            && v["endpoint"] == "GET /report"
                    })
                })
                .cloned()
                .unwrap_or(Value::Null);
            assert_eq!(log_row["stalls"], long_polls, "{log}");
        }
    }
    // The blocking pool's tasks land on their endpoints (56 requests each); with a log of
    // every poll, all of them.
    let got = analyze_json(
        &[],
        &[
            &dir.join("joined.patterns.json-full.log.gz"),
            &dir.join("joined.patterns.console.jsonl.gz"),
        ],
    );
    for (ep, pattern, verdict) in [
        ("GET /export", "sync-io", "bad"),
        ("GET /thumbnail", "sync-cpu", "ok"),
    ] {
        assert_eq!(group(&got, ep, "blocking")["tasks"], 56, "{ep}");
        // The recording cannot tell a blocking call from CPU work; the log of the same run
        // can, and its verdict settles the blocking tasks' row.
        let row = got["verdicts"]
            .as_array()
            .and_then(|v| {
                v.iter().find(|v| {
                    v["input"]
                        .as_str()
                        .unwrap_or("")
                        .ends_with("console.jsonl.gz")
                        && v["endpoint"] == ep
                })
            })
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(
            (row["pattern"].as_str(), row["verdict"].as_str()),
            (Some(pattern), Some(verdict)),
            "{ep}: {row}"
        );
        assert!(
            row["row"]["blocking_behavior"]
                .as_str()
                .unwrap_or("")
                .contains("per the log")
        );
    }
    // Victims are named by endpoint: the /orders tasks delayed behind /report's polls.
    let got = analyze_json(
        &[],
        &[
            &dir.join("joined.incident.json-full.log"),
            &dir.join("joined.incident.console.jsonl"),
        ],
    );
    let sites = group(&got, "GET /report", "task")["victim_sites"].clone();
    assert_eq!(sites[0], serde_json::json!(["GET /orders", 24]), "{sites}");
    let orders = group(&got, "GET /orders", "task");
    assert_eq!(orders["delayed_here"], 24, "{orders}");
    assert_eq!(orders["long_polls"], 0);
    // Their own row: short polls, and the log of the same run says what they await.
    let row = got["verdicts"]
        .as_array()
        .and_then(|v| {
            v.iter().find(|v| {
                v["input"].as_str().unwrap_or("").ends_with("console.jsonl")
                    && v["endpoint"] == "GET /orders"
            })
        })
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(
        (row["pattern"].as_str(), row["verdict"].as_str()),
        (Some("async-io"), Some("good")),
        "{row}"
    );
    assert!(
        row["row"]["response_time_impact"]
            .as_str()
            .unwrap_or("")
            .starts_with("24 waited for a worker"),
        "{row}"
    );
    assert_eq!(got["task_victims"][0]["delayed_tasks"], 30);
    assert_eq!(got["task_victims"][0]["max_delay_ms"], 102.75);
    // A log of another run: nothing falls inside a poll, and the tasks keep their own names.
    let got = analyze_json(
        &[],
        &[
            &dir.join("joined.patterns.json-close.log"),
            &dir.join("joined.incident.console.jsonl"),
        ],
    );
    assert_eq!(got["joins"][0]["requests_placed"], 0);
    assert_eq!(group(&got, "task", "task")["long_polls"], 41);
    assert!(
        got["notes"].as_array().is_some_and(|n| n
            .iter()
            .any(|n| n.as_str().unwrap_or("").contains("not the same run"))),
        "{}",
        got["notes"]
    );
}

/// A log without wall-clock times (tracing-chrome counts from the process start) cannot be
/// placed against a recording: nothing is joined, and a note says why.
#[test]
fn a_log_without_wall_clock_times_is_not_joined() {
    let dir = samples_dir();
    let log = dir.join("patterns.chrome-threaded.json");
    let got = analyze_json(&[], &[&log, &dir.join("joined.incident.console.jsonl")]);
    let note = format!(
        "{}: not joined to the tokio-console recordings: its times are not wall-clock times",
        log.display()
    );
    assert!(
        got["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| *n == *note),
        "{:#?}",
        got["notes"]
    );
    let joined = got["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|g| g["joined_endpoint"] == true)
        .count();
    assert_eq!(joined, 0);
}

/// One endpoint, one verdict: no endpoint appears twice among the request rows of one input, and
/// no row with stalls says it does not block,
/// in any sample (alone or joined) or, with `--include-ignored`, any corpus trace.
#[test]
fn no_endpoint_has_two_request_rows_in_the_samples() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(samples_dir())
        .expect("sample-traces")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n != "expected.json" && !n.ends_with(".md"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 20);
    for path in files.iter().filter(|p| !pending(p)) {
        assert_one_row_per_endpoint(&analyze_json(&[], &[path]), path);
    }
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn no_endpoint_has_two_request_rows_in_the_corpus() {
    let dir = crate::support::chrome_corpus_dir();
    let mut n = 0;
    for e in std::fs::read_dir(&dir)
        .expect("corpus")
        .filter_map(|e| e.ok())
    {
        let path = e.path();
        if path.extension().is_some_and(|x| x == "json" || x == "gz") {
            assert_one_row_per_endpoint(&analyze_json(&[], &[&path]), &path);
            n += 1;
        }
    }
    assert!(n >= 25, "only {n} corpus traces");
}

#[track_caller]
fn assert_one_row_per_endpoint(report: &Value, path: &Path) {
    let mut seen = std::collections::HashSet::new();
    for v in report["verdicts"].as_array().expect("verdicts") {
        if v["unit"] != "requests" {
            continue;
        }
        let key = (
            v["input"].to_string(),
            v["endpoint"].to_string(),
            v["pattern"] == "slow-server-response",
        );
        assert!(
            seen.insert(key),
            "{}: {} has two rows",
            path.display(),
            v["endpoint"]
        );
        // A row never contradicts its own figures: a row with stalls does not "not block".
        if v["stalls"].as_u64().unwrap_or(0) > 0 {
            assert_ne!(v["pattern"], "async-io", "{}: {v}", path.display());
            let cell = v["row"]["blocking_behavior"].as_str().unwrap_or("");
            assert!(
                !cell.contains("Does not block"),
                "{}: {cell}",
                path.display()
            );
        }
    }
}
