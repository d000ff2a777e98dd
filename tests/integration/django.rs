//! Django views judged from OpenTelemetry spans (issue 11, section 2), on the committed
//! recordings of `sample-traces/django/` against the figures `scripts/check-django.py` wrote
//! independently into `sample-traces/django/expected.json` (its README says how Django ran and
//! what a correct analysis shows): each view's pattern and verdict, its request count and p50,
//! the server model, and the stall count (every `/leaderboard/` request under ASGI, none under
//! WSGI).

use crate::schema::check_with;
use crate::support::{analyze, analyze_json, manifest_dir};
use serde_json::Value;
use std::path::PathBuf;

fn recording(name: &str) -> PathBuf {
    manifest_dir().join("sample-traces/django").join(name)
}

fn expected() -> Value {
    let path = recording("expected.json");
    let text = std::fs::read_to_string(&path).expect("expected.json is committed");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// The row of `endpoint` as `expected.json` names it (`GET /inventory/`: Django's `http.route`
/// is relative to the root, `inventory/`, and the row puts the root back).
#[track_caller]
fn row<'a>(r: &'a Value, endpoint: &str) -> &'a Value {
    r["verdicts"]
        .as_array()
        .and_then(|rows| rows.iter().find(|v| v["endpoint"] == endpoint))
        .unwrap_or_else(|| panic!("no row {endpoint}: {}", r["verdicts"]))
}

/// The recordings with thread attributes (`thread.id`/`thread.name` on every span), and the
/// Zipkin files of the same runs.
const THREADED: [&str; 4] = [
    "asgi.otlp-threads.jsonl",
    "asgi.zipkin.json",
    "wsgi.otlp-threads.jsonl",
    "wsgi.zipkin.json",
];

#[test]
fn each_view_gets_the_pattern_and_verdict_its_behaviour_shows() {
    let all = expected();
    for file in THREADED {
        let want = &all[file];
        let r = analyze_json(&[], &[&recording(file)]);
        let endpoints = want["endpoints"].as_object().expect("endpoints");
        let mut judged = 0;
        for (endpoint, e) in endpoints {
            // `GET home` is fast (p50 under 3 ms) and has no pattern to check.
            let Some(pattern) = e["pattern"].as_str() else {
                continue;
            };
            let v = row(&r, endpoint);
            assert_eq!(v["pattern"], pattern, "{file} {endpoint}");
            assert_eq!(v["verdict"], e["verdict"], "{file} {endpoint}");
            assert_eq!(v["requests"], e["requests"], "{file} {endpoint}");
            // Zipkin keeps whole microseconds: within 0.01 ms of the script's figure.
            let (got, exp) = (
                v["p50_ms"].as_f64().unwrap_or(-1.0),
                e["p50_ms"].as_f64().unwrap_or(-2.0),
            );
            assert!(
                (got - exp).abs() <= 0.011,
                "{file} {endpoint}: p50 {got} vs {exp}"
            );
            judged += 1;
        }
        assert_eq!(judged, 4, "{file}: the four views");
    }
}

#[test]
fn the_server_model_and_the_stalls_follow_the_server() {
    let all = expected();
    for file in THREADED {
        let want = &all[file];
        let r = analyze_json(&[], &[&recording(file)]);
        let model = &r["inputs"][0]["server_model"];
        assert_eq!(model["model"], want["server_model"]["model"], "{file}");
        let evidence = model["evidence"].to_string();
        let stalls = r["stalls"].as_array().map_or(0, Vec::len) as u64;
        assert_eq!(Some(stalls), want["stalls"].as_u64(), "{file}");
        if file.starts_with("asgi") {
            // README: MainThread runs spans of 132 requests, 175 pairs of them overlapping;
            // 205 server spans on 205 threads. Every stall is a `/leaderboard/` request's.
            assert_eq!(stalls, 44, "{file}");
            assert!(evidence.contains("thread MainThread"), "{file}: {evidence}");
            assert!(
                evidence.contains("of 132 requests, 175 pairs"),
                "{file}: {evidence}"
            );
            assert!(
                evidence.contains("205 request spans opened on 205 threads"),
                "{file}"
            );
            let culprits: Vec<&str> = r["stalls"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["culprit"].as_str())
                .collect();
            assert!(
                culprits.iter().all(|c| c.contains("leaderboard/")),
                "{file}: {culprits:?}"
            );
            assert_eq!(row(&r, "GET /leaderboard/")["stalls"], 44, "{file}");
        } else {
            // README: 206 server spans on 4 pool threads, never more than 4 in flight; the
            // async views' children on 132 one-off threads.
            assert_eq!(stalls, 0, "{file}");
            assert_eq!(want["server_model"]["pool_threads"], 4);
            assert!(
                evidence.contains("206 request spans opened on 4 threads"),
                "{file}"
            );
            assert!(
                evidence.contains("at most 4 requests in progress at once"),
                "{file}"
            );
            assert!(evidence.contains("132 threads opened no request"), "{file}");
        }
        check_with(&[], &[&recording(file)]);
    }
}

#[test]
fn the_table_header_names_the_server_model() {
    let (code, out, err) = analyze(&recording("asgi.otlp-threads.jsonl"), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Server model: ASGI, one event loop shared by requests"),
        "{out}"
    );
    // The tracing-subscriber advice of a log without polls does not apply to these spans.
    assert!(!out.contains("FmtSpan"), "{out}");
    let (code, out, err) = analyze(&recording("wsgi.otlp-threads.jsonl"), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Server model: WSGI, a thread per request from a pool"),
        "{out}"
    );
}

/// Without thread attributes, timing alone (README, "Spans without threads"): every view's row
/// is the `timing_alone` answer `scripts/check-django.py` computed independently from the same
/// files, and where timing settles a view it agrees with the thread-based answer (`pattern`).
/// Under ASGI it settles all four and shows the shared loop; under WSGI it settles the two CPU
/// views (their `tally` spans overlap) and leaves the two I/O views unknown, saying why.
#[test]
fn spans_without_threads_are_judged_from_timing_alone() {
    let all = expected();
    for file in ["asgi.otlp.jsonl", "wsgi.otlp.jsonl"] {
        let want = &all[file];
        let r = analyze_json(&[], &[&recording(file)]);
        assert_eq!(r["inputs"][0]["requests"], 205, "{file}");
        let endpoints = want["endpoints"].as_object().expect("endpoints");
        let mut settled = 0;
        for (endpoint, e) in endpoints {
            let Some(t) = e.get("timing_alone") else {
                continue;
            };
            let v = row(&r, endpoint);
            assert_eq!(v["pattern"], t["pattern"], "{file} {endpoint}");
            assert_eq!(v["verdict"], t["verdict"], "{file} {endpoint}");
            assert_eq!(v["requests"], e["requests"], "{file} {endpoint}");
            assert_eq!(v["p50_ms"], e["p50_ms"], "{file} {endpoint}");
            let evidence = v["evidence"].to_string();
            assert!(
                evidence.contains("judged from timing alone"),
                "{file} {endpoint}: {evidence}"
            );
            if t["pattern"] != "unknown" {
                assert_eq!(t["pattern"], e["pattern"], "{file} {endpoint}");
                settled += 1;
            }
        }
        let stalls = r["stalls"].as_array().map_or(0, Vec::len) as u64;
        assert_eq!(Some(stalls), want["stalls"].as_u64(), "{file}");
        let text = r.to_string();
        assert!(text.contains("judged from timing alone"), "{file}");
        if file.starts_with("asgi") {
            assert_eq!(settled, 4, "{file}");
            // expected.json: 44 CPU spans of /leaderboard/, 0 overlapping pairs, 43 pairs of its
            // requests overlapping; /shipping/'s 40 calls: 13 starts or ends inside a loop
            // window, 12 crossing one; /inventory/'s 88 calls: 10 crossing, none inside.
            assert_eq!(stalls, 44);
            let model = &r["inputs"][0]["server_model"];
            assert_eq!(model["model"], "asgi");
            assert!(
                model["evidence"].to_string().contains(
                    "the 44 work sections of GET /leaderboard/ never overlapped one another although 43 pairs"
                ),
                "{model}"
            );
            let ev = |e: &str| row(&r, e)["evidence"].to_string();
            assert!(ev("GET /shipping/").contains("its 40 I/O calls started or ended 13 times while the shared loop was stalled (12 crossed a stall)"));
            assert!(ev("GET /inventory/").contains("10 of its 88 I/O calls crossed a stall"));
            assert!(ev("GET /invoice/").contains("32 pairs of its 28 work sections"));
            assert_eq!(row(&r, "GET /leaderboard/")["stalls"], 44);
        } else {
            // expected.json: the tallies overlap (41 and 30 pairs); no loop window, so the I/O
            // views stay unknown; no model, no stall.
            assert_eq!(settled, 2, "{file}");
            assert_eq!(stalls, 0);
            assert!(r["inputs"][0].get("server_model").is_none(), "{file}");
            let ev = row(&r, "GET /inventory/")["evidence"].to_string();
            assert!(
                ev.contains("no work was seen to stall a shared loop"),
                "{ev}"
            );
            assert!(
                row(&r, "GET /leaderboard/")["evidence"]
                    .to_string()
                    .contains("41 pairs of its 44 work sections")
            );
        }
        check_with(&[], &[&recording(file)]);
    }
}

/// Under WSGI the two async views (their work on a one-off thread, not on the pool thread that
/// opened the request: README, 132 such threads) say so in their row and advice; the sync
/// views do not. Under ASGI the advice is in Django's terms (the spans' scope is Django's
/// instrumentation).
#[test]
fn rows_and_advice_say_what_the_server_model_means_for_a_view() {
    let r = analyze_json(&[], &[&recording("wsgi.otlp-threads.jsonl")]);
    for endpoint in ["GET /inventory/", "GET /leaderboard/"] {
        let v = row(&r, endpoint);
        let cell = v["row"]["pattern"].as_str().unwrap_or_default();
        assert!(
            cell.starts_with("Async view under WSGI: "),
            "{endpoint}: {cell}"
        );
        let evidence = v["evidence"].to_string();
        assert!(
            evidence.contains("cannot stall other requests"),
            "{endpoint}"
        );
    }
    // /inventory/: 88 requests, all on one-off threads; Bad, so advised.
    let inventory = row(&r, "GET /inventory/");
    assert!(
        inventory["evidence"]
            .to_string()
            .contains("the work of 88 requests")
    );
    let advice = inventory["advice"].as_str().unwrap_or_default();
    assert!(
        advice.contains("holds a pool thread for the whole request, like a sync view; serve it with an ASGI server"),
        "{advice}"
    );
    for endpoint in ["GET /shipping/", "GET /invoice/"] {
        let cell = row(&r, endpoint)["row"]["pattern"].to_string();
        assert!(!cell.contains("WSGI"), "{endpoint}: {cell}");
    }
    let shipping = row(&r, "GET /shipping/")["advice"].to_string();
    assert!(shipping.contains("ASGI server"), "{shipping}");

    let r = analyze_json(&[], &[&recording("asgi.otlp-threads.jsonl")]);
    let leaderboard = row(&r, "GET /leaderboard/")["advice"].to_string();
    assert!(leaderboard.contains("sync_to_async"), "{leaderboard}");
    assert!(
        leaderboard.contains("thread_sensitive=True"),
        "{leaderboard}"
    );
    let shipping = row(&r, "GET /shipping/")["advice"].to_string();
    assert!(shipping.contains("httpx.AsyncClient"), "{shipping}");
    assert!(!shipping.contains("ASGI server"), "{shipping}");
    for v in r["verdicts"].as_array().into_iter().flatten() {
        assert!(!v["row"]["pattern"].to_string().contains("WSGI"), "{v}");
    }
}

fn small(name: &str) -> PathBuf {
    manifest_dir().join("tests/data/formats/django").join(name)
}

/// The hand-written shapes (README of `tests/data/formats/django/`): figures read off the files.
#[test]
fn hand_written_asgi_and_wsgi_shapes() {
    let r = analyze_json(&[], &[&small("asgi-loop.jsonl")]);
    let model = &r["inputs"][0]["server_model"];
    assert_eq!(model["model"], "asgi");
    let evidence = model["evidence"].to_string();
    // Thread 1 ran children of requests 1, 2 (overlapping: 10-90 and 20-95 ms) and 3.
    assert!(
        evidence.contains("of 3 requests, 1 pair in progress"),
        "{evidence}"
    );
    assert!(
        evidence.contains("4 request spans opened on 4 threads"),
        "{evidence}"
    );
    for (endpoint, pattern, verdict, stalls) in [
        ("GET /a/", "async-io", "good", 0),
        ("GET /b/", "async-cpu", "bad", 1),
        ("GET /c/", "sync-io", "bad", 0),
    ] {
        let v = row(&r, endpoint);
        assert_eq!(v["pattern"], pattern, "{endpoint}");
        assert_eq!(v["verdict"], verdict, "{endpoint}");
        assert_eq!(v["stalls"], stalls, "{endpoint}");
    }
    // b/'s work: 115-235 ms on the loop.
    assert_eq!(r["stalls"][0]["culprit"], "GET /b/");
    assert_eq!(r["stalls"].as_array().map(Vec::len), Some(1));
    check_with(&[], &[&small("asgi-loop.jsonl")]);

    let r = analyze_json(&[], &[&small("wsgi-pool.jsonl")]);
    let model = &r["inputs"][0]["server_model"];
    assert_eq!(model["model"], "wsgi");
    let evidence = model["evidence"].to_string();
    assert!(
        evidence.contains("4 request spans opened on 2 threads"),
        "{evidence}"
    );
    assert!(evidence.contains("at most 2 on one thread"), "{evidence}");
    assert!(
        evidence.contains("at most 2 requests in progress at once"),
        "{evidence}"
    );
    assert!(
        evidence.contains("1 thread opened no request"),
        "{evidence}"
    );
    for (endpoint, pattern, verdict, own_loop) in [
        ("GET /a/", "sync-io", "bad", true),
        ("GET /b/", "sync-cpu", "ok", false),
        ("GET /c/", "sync-io", "bad", false),
    ] {
        let v = row(&r, endpoint);
        assert_eq!(v["pattern"], pattern, "{endpoint}");
        assert_eq!(v["verdict"], verdict, "{endpoint}");
        let cell = v["row"]["pattern"].as_str().unwrap_or_default();
        assert_eq!(
            cell.starts_with("Async view under WSGI"),
            own_loop,
            "{endpoint}: {cell}"
        );
    }
    assert_eq!(r["stalls"].as_array().map(Vec::len), Some(0));
    check_with(&[], &[&small("wsgi-pool.jsonl")]);
}

/// Issue 11: what a span file is told to record is OpenTelemetry's (a span processor adding
/// `thread.id`/`thread.name`, child spans), never tracing-subscriber's or tracing-chrome's
/// options nor tokio's calls, and never what the file already has: files with thread
/// attributes are not asked for them, files without them are.
#[test]
fn span_files_are_advised_in_opentelemetry_terms() {
    let rust_words = [
        "FmtSpan",
        "with_thread_ids",
        "tracing-chrome",
        "tracing-subscriber",
        "spawn_blocking",
        "ENTER/EXIT",
    ];
    for file in [
        "asgi.otlp-threads.jsonl",
        "asgi.zipkin.json",
        "wsgi.otlp-threads.jsonl",
        "wsgi.zipkin.json",
        "asgi.otlp.jsonl",
        "wsgi.otlp.jsonl",
    ] {
        let r = analyze_json(&[], &[&recording(file)]);
        let text = r.to_string();
        for w in rust_words {
            assert!(!text.contains(w), "{file}: {w} in {text}");
        }
        let asks_for_threads = text
            .contains("thread.id/thread.name on each span (a span processor")
            || text.contains("record thread.id and thread.name");
        assert_eq!(
            asks_for_threads,
            !file.contains("threads") && !file.contains("zipkin"),
            "{file}"
        );
    }
    // Spans with threads but a row unsettled (`GET /` of the Zipkin file: no child span) are
    // told what spans can add: child spans around the work.
    let r = analyze_json(&[], &[&recording("asgi.zipkin.json")]);
    let home = row(&r, "GET /")["evidence"].to_string();
    assert!(home.contains("child spans around the"), "{home}");
}

/// viztracer (`--log_async`): a long loop callback (`Handle._run` on MainThread) is named by
/// the innermost Python frame that filled it, through asyncio's wrappers
/// (`_contextvars.Context.run` on the loop thread, the coroutine's frames on its Task track):
/// the `/leaderboard/` view's `tally`, as many times as `check-django.py` counts `tally` calls
/// of 10 ms or more on Task tracks (20).
#[test]
fn viztracer_stalls_are_named_by_the_coroutine_that_ran() {
    let want = &expected()["asgi.viztracer.json.gz"];
    let r = analyze_json(&[], &[&recording("asgi.viztracer.json.gz")]);
    let culprits: Vec<&str> = r["stalls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["culprit"].as_str())
        .collect();
    let tally = culprits
        .iter()
        .filter(|c| **c == "tally (views.py:26), called from leaderboard (views.py:66)")
        .count() as u64;
    assert_eq!(
        Some(tally),
        want["tally_on_loop_ge_10ms"].as_u64(),
        "{culprits:?}"
    );
    assert!(
        !culprits.iter().any(|c| c.contains("Context.run")),
        "{culprits:?}"
    );
    // No sync view's work is named as a loop stall: `invoice` ran on its own threads.
    assert!(
        !culprits.iter().any(|c| c.contains("invoice")),
        "{culprits:?}"
    );
}

/// Jaeger JSON derived from the OTLP recordings (`scripts/otlp-to-jaeger.py`, as a Jaeger server
/// returns OTLP spans from `/api/traces`: µs times, `CHILD_OF` references, `span.kind` and typed
/// tags, `processes`): the same rows, server model and stalls as the OTLP file they come from
/// (p50 within 1 µs: Jaeger keeps whole microseconds).
#[test]
fn jaeger_json_derived_from_the_recordings_gives_the_same_rows() {
    for (jaeger, otlp) in [
        ("asgi.jaeger.json", "asgi.otlp-threads.jsonl"),
        ("wsgi.jaeger.json", "wsgi.otlp-threads.jsonl"),
    ] {
        let j = analyze_json(&[], &[&recording(jaeger)]);
        let o = analyze_json(&[], &[&recording(otlp)]);
        assert_eq!(j["inputs"][0]["format"], "jaeger-json", "{jaeger}");
        for key in ["spans", "requests", "warnings"] {
            assert_eq!(j["inputs"][0][key], o["inputs"][0][key], "{jaeger} {key}");
        }
        assert_eq!(
            j["inputs"][0]["server_model"], o["inputs"][0]["server_model"],
            "{jaeger}"
        );
        assert_eq!(
            j["stalls"].as_array().map(Vec::len),
            o["stalls"].as_array().map(Vec::len),
            "{jaeger}"
        );
        let rows = |r: &Value| -> Vec<(String, String, String, u64)> {
            r["verdicts"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|v| {
                    (
                        v["endpoint"].as_str().unwrap_or_default().to_string(),
                        v["pattern"].as_str().unwrap_or_default().to_string(),
                        v["verdict"].as_str().unwrap_or_default().to_string(),
                        v["requests"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        };
        assert_eq!(rows(&j), rows(&o), "{jaeger}");
        assert_eq!(rows(&j).len(), 5, "{jaeger}");
        for (a, b) in j["verdicts"]
            .as_array()
            .into_iter()
            .flatten()
            .zip(o["verdicts"].as_array().into_iter().flatten())
        {
            let (x, y) = (
                a["p50_ms"].as_f64().unwrap_or(-1.0),
                b["p50_ms"].as_f64().unwrap_or(-2.0),
            );
            assert!((x - y).abs() <= 0.0011, "{jaeger}: {x} vs {y}");
        }
        check_with(&[], &[&recording(jaeger)]);
    }
}
