//! Python inputs (issue 11): asyncio debug logs (their own reader) and viztracer traces (read
//! by the Chrome reader, their loop found by `analyze::python`), on the files in
//! `tests/data/formats/python/` (its README says what each shows and how it was written).
//! Every figure below is read off those files: a log line's `took`, and its time minus the
//! first line's start; a viztracer `Handle._run` event's `dur`, and its `ts` minus the first.

use crate::support::{analyze, analyze_json, manifest_dir};
use serde_json::Value;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    manifest_dir().join("tests/data/formats/python").join(name)
}

/// The stalls: (culprit, start ms, duration ms), in time order.
fn stalls(report: &Value) -> Vec<(String, f64, f64)> {
    let mut out: Vec<_> = report["stalls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["culprit"].as_str().unwrap_or_default().to_string(),
                s["start_ms"].as_f64().unwrap_or(-1.0),
                s["duration_ms"].as_f64().unwrap_or(-1.0),
            )
        })
        .collect();
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    out
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect()
}

fn owned(want: &[(&str, f64, f64)]) -> Vec<(String, f64, f64)> {
    want.iter()
        .map(|(c, s, d)| (c.to_string(), *s, *d))
        .collect()
}

/// Stalls equal to `want` within 0.01 ms (the JSON rounds).
fn assert_stalls(report: &Value, want: &[(&str, f64, f64)]) {
    let got = stalls(report);
    let close = got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| g.0 == w.0 && (g.1 - w.1).abs() < 0.01 && (g.2 - w.2).abs() < 0.01);
    assert!(close, "got {got:?}\nwant {:?}", owned(want));
}

const FLOOR_NOTE: &str = "asyncio logs only callbacks that held the loop for at least its slow_callback_duration (0.1 s by default)";

#[test]
fn asctime_log_each_line_a_stall_on_the_loop() {
    let r = analyze_json(&[], &[&data("asyncio-asctime.log")]);
    assert_eq!(r["inputs"][0]["format"], "asyncio-debug");
    assert_eq!(r["inputs"][0]["events"], 4);
    assert_eq!(r["inputs"][0]["spans"], 4);
    assert!(strs(&r["inputs"][0]["warnings"]).is_empty());
    // 03:54:32,661 took 0.116 starts at .545 = 0; ,832 - .171 = .661; ,953 - .120 = .833;
    // 33,083 - .130 = 32.953.
    assert_stalls(
        &r,
        &[
            ("flush_cache()", 0.0, 116.0),
            ("render_report()", 116.0, 171.0),
            ("render_report()", 288.0, 120.0),
            ("rotate_keys()", 408.0, 130.0),
        ],
    );
    for s in r["stalls"].as_array().into_iter().flatten() {
        assert_eq!(s["source"], "event-loop-poll");
        assert_eq!(s["inferred"], false);
    }
    // The first two touch, the last two touch: two episodes on the one loop.
    assert_eq!(r["episodes"].as_array().map(Vec::len), Some(2));
    assert_eq!(r["episodes"][0]["stalls"], 2);
    assert_eq!(r["episodes"][0]["duration_ms"], 287.0);
    let threads = r["threads"].as_array().cloned().unwrap_or_default();
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0]["role"], "event-loop");
    assert_eq!(threads[0]["polls"], 4);
    // Per name: render_report() twice, longest 171 ms.
    let spans = &r["long_spans"][0];
    assert_eq!(
        (
            &spans["name"],
            &spans["spans"],
            &spans["stalls"],
            &spans["longest_stall_ms"]
        ),
        (
            &"render_report()".into(),
            &2.into(),
            &2.into(),
            &171.0.into()
        )
    );
    assert!(
        strs(&r["notes"]).iter().any(|n| n.starts_with(FLOOR_NOTE)),
        "{:?}",
        r["notes"]
    );
}

#[test]
fn iso_log_is_placed_in_time_too() {
    let r = analyze_json(&[], &[&data("asyncio-iso.log")]);
    assert_eq!(r["inputs"][0]["format"], "asyncio-debug");
    // 34.529Z took .114 starts at .415 = 0; .682 - .152 = .530; .804 - .122 = .682;
    // .934 - .130 = .804.
    assert_stalls(
        &r,
        &[
            ("flush_cache()", 0.0, 114.0),
            ("render_report()", 115.0, 152.0),
            ("render_report()", 267.0, 122.0),
            ("rotate_keys()", 389.0, 130.0),
        ],
    );
}

#[test]
fn lines_without_a_timestamp_are_counted_not_placed() {
    for (file, want) in [
        ("asyncio-plain.log", vec![112.0, 155.0, 120.0, 139.0]),
        ("asyncio-untimed.log", vec![300.0, 100.0, 200.0]),
    ] {
        let r = analyze_json(&[], &[&data(file)]);
        assert_eq!(r["inputs"][0]["events"], want.len(), "{file}");
        let got: Vec<f64> = stalls(&r).iter().map(|s| s.2).collect();
        assert_eq!(got, want, "{file}");
        let warnings = strs(&r["inputs"][0]["warnings"]);
        let said = format!("{} slow-callback lines carry no timestamp", want.len());
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with(&said) && w.contains("not placed in time")),
            "{file}: {warnings:?}"
        );
        // Laid one after another, 1 ns apart: no two in one episode.
        assert_eq!(
            r["episodes"].as_array().map(Vec::len),
            Some(want.len()),
            "{file}"
        );
    }
}

#[test]
fn every_repr_shape_is_named_by_its_coroutine_or_callback() {
    let r = analyze_json(&[], &[&data("asyncio-shapes.log")]);
    assert_eq!(r["inputs"][0]["events"], 8);
    // The traceback's three lines and the access-log line.
    assert_eq!(r["inputs"][0]["skipped"], 4);
    // Each line's time minus its took, from 12:00:00,100 (the first line's start).
    assert_stalls(
        &r,
        &[
            ("view()", 0.0, 200.0),
            ("view()", 200.0, 150.0),
            (
                "ASGIHandler.handle.<locals>.process_request()",
                500.0,
                400.0,
            ),
            ("fetch()", 1790.0, 110.0),
            ("flush_cache()", 2780.0, 120.0),
            ("Store.save()", 3770.0, 130.0),
            ("rotate_keys()", 4760.0, 140.0),
            ("<lambda>()", 5400.0, 500.0),
        ],
    );
    // The two steps of view() touch: 8 stalls in 7 episodes.
    assert_eq!(r["episodes"].as_array().map(Vec::len), Some(7));
    let (code, out, _) = analyze(&data("asyncio-shapes.log"), &["--color", "never"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Event-loop stalls (polls ≥ 10 ms): 8 in 7 episodes"),
        "{out}"
    );
    assert!(out.contains("slow_callback_duration"), "{out}");
}

#[test]
fn a_lowered_slow_callback_duration_is_noted() {
    let r = analyze_json(&[], &[&data("asyncio-lowered.log")]);
    let notes = strs(&r["notes"]);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("(lowered here: it logged one of 30 ms)")),
        "{notes:?}"
    );
    assert_stalls(&r, &[("tick()", 0.0, 50.0), ("tick()", 220.0, 30.0)]);
    // `--stall 40ms`: the 30 ms one is no stall.
    let r = analyze_json(&["--stall", "40ms"], &[&data("asyncio-lowered.log")]);
    assert_stalls(&r, &[("tick()", 0.0, 50.0)]);
}

/// A slow-callback line whose duration does not parse (`0,2 seconds`) is skipped and said,
/// with its line; the good line before it is still read: one stall of 200 ms.
#[test]
fn a_slow_callback_line_that_does_not_parse_is_skipped_and_named() {
    let path = data("asyncio-bad-duration.log");
    let (code, out, err) = analyze(&path, &["--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("asyncio-bad-duration.log: line 2: an asyncio slow-callback line whose duration does not parse"),
        "{err}"
    );
    assert!(err.contains("found 'took 0,2 seconds'; skipped"), "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(r["inputs"][0]["skipped"], 1, "{r}");
    assert!(
        r["inputs"][0]["warnings"].as_array().is_some_and(|w| w
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("line 2:")))),
        "{r}"
    );
    assert_stalls(&r, &[("tick()", 0.0, 200.0)]);
}

#[test]
fn viztracer_long_callbacks_are_stalls_named_by_what_ran_inside() {
    let r = analyze_json(&[], &[&data("viztracer-min.json")]);
    assert_eq!(r["inputs"][0]["format"], "chrome-trace");
    // 9 calls: 9 spans. Handle._run of 150 ms (view), 1 ms (under --stall) and 80 ms
    // (poll_queue, same times as its Handle._run); the 500 ms <module> call is no stall.
    assert_eq!(r["inputs"][0]["spans"], 9);
    assert_stalls(
        &r,
        &[
            ("view (views.py:9)", 1.0, 150.0),
            ("poll_queue (jobs.py:5)", 300.0, 80.0),
        ],
    );
    let t = &r["threads"][0];
    assert_eq!(t["name"], "MainThread");
    assert_eq!(t["role"], "event-loop");
    assert_eq!(
        t["evidence"],
        "ran asyncio's callback runner (Handle._run) 3 times: a Python event loop"
    );
    let r = analyze_json(&["--stall", "100ms"], &[&data("viztracer-min.json")]);
    assert_stalls(&r, &[("view (views.py:9)", 1.0, 150.0)]);

    // --log_async: view's frames are on the Task-2 track, inside the loop's Handle._run.
    let r = analyze_json(&[], &[&data("viztracer-min-async.json")]);
    assert_stalls(&r, &[("view (views.py:9)", 1.0, 150.0)]);
}

#[test]
fn viztracer_recordings_of_the_script() {
    // Handle._run events of 10 ms or more in each file (ts minus the first ts, dur), named by
    // the innermost Python frame covering half of each (`burn`, the CPU loop) and its caller,
    // on the loop thread itself or, with --log_async, on the coroutine's Task track.
    for (file, want) in [
        (
            "viztracer.json.gz",
            [
                (
                    "burn (record-python.py:17), called from flush_cache (record-python.py:39)",
                    112.83,
                    110.018,
                ),
                (
                    "burn (record-python.py:17), called from render_report (record-python.py:26)",
                    223.246,
                    150.265,
                ),
                (
                    "burn (record-python.py:17), called from render_report (record-python.py:26)",
                    374.07,
                    120.268,
                ),
                (
                    "burn (record-python.py:17), called from rotate_keys (record-python.py:44)",
                    494.553,
                    136.359,
                ),
            ],
        ),
        (
            "viztracer-async.json.gz",
            [
                (
                    "burn (record-python.py:17), called from flush_cache (record-python.py:39)",
                    10.264,
                    117.839,
                ),
                (
                    "burn (record-python.py:17), called from render_report (record-python.py:26)",
                    128.482,
                    150.287,
                ),
                (
                    "burn (record-python.py:17), called from render_report (record-python.py:26)",
                    279.238,
                    125.127,
                ),
                (
                    "burn (record-python.py:17), called from rotate_keys (record-python.py:44)",
                    404.576,
                    130.017,
                ),
            ],
        ),
    ] {
        let r = analyze_json(&[], &[&data(file)]);
        assert_eq!(r["inputs"][0]["gzip"], true, "{file}");
        assert_stalls(&r, &want);
        let loops: Vec<&Value> = r["threads"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["role"] == "event-loop")
            .collect();
        assert_eq!(loops.len(), 1, "{file}");
        assert_eq!(loops[0]["name"], "MainThread", "{file}");
    }
}
