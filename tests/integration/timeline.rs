//! `stallscope timeline` (issue 15 §1) on `sample-traces/incident.json-full.log`: the drawing
//! (an insta snapshot), its figures, and the worst windows (MMU) checked against an
//! independent computation from the same file's JSON report.

use crate::support::{analyze_json, samples_dir, stallscope};
use serde_json::Value;

fn timeline(args: &[&str]) -> (i32, String, String) {
    let out = stallscope()
        .arg("timeline")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn incident() -> String {
    samples_dir()
        .join("incident.json-full.log")
        .display()
        .to_string()
}

/// The lowest mean fraction of `workers` free of stalls over any window of `w_ms` in
/// `[0, end_ms)`, on a 10 µs grid (window starts on the grid): a brute force independent of
/// `analyze::mmu`, from the report's `stalls[]` (ms, rounded to 0.01 ms).
fn mmu_brute(report: &Value, end_ms: f64, w_ms: f64) -> f64 {
    let workers: Vec<&str> = report["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["role"] == "event-loop")
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    let step = 0.01;
    let n = (end_ms / step).round() as usize;
    let mut stalled = vec![0u32; n];
    for (i, key) in workers.iter().enumerate() {
        let mut mine = vec![false; n];
        for s in report["stalls"].as_array().unwrap() {
            let thread = s["thread"].as_str().unwrap_or("");
            if !thread.ends_with(key) {
                continue;
            }
            let a = (s["start_ms"].as_f64().unwrap() / step).round() as usize;
            let b = ((s["start_ms"].as_f64().unwrap() + s["duration_ms"].as_f64().unwrap()) / step)
                .round() as usize;
            for m in mine.iter_mut().take(b.min(n)).skip(a) {
                *m = true;
            }
        }
        let _ = i;
        for (c, m) in stalled.iter_mut().zip(mine) {
            *c += m as u32;
        }
    }
    let w = ((w_ms / step).round() as usize).min(n);
    let mut sum: u64 = stalled[..w].iter().map(|&c| c as u64).sum();
    let mut worst = sum;
    for s in 1..=n - w {
        sum = sum + stalled[s + w - 1] as u64 - stalled[s - 1] as u64;
        worst = worst.max(sum);
    }
    1.0 - worst as f64 / (w * workers.len()) as f64
}

/// `free N %` of the line for one window size.
fn printed_free(text: &str, window: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.contains(&format!("in the worst {window} (")))
        .unwrap_or_else(|| panic!("no line for {window} in:\n{text}"));
    let after = line
        .split("was free ")
        .nth(1)
        .unwrap_or_else(|| panic!("'was free' not on the line: {line}"));
    after.split(" %").next().unwrap().parse().unwrap()
}

#[test]
fn incident_timeline_snapshot() {
    // Run from sample-traces/ so that the path in the first line is the same everywhere.
    let out = stallscope()
        .current_dir(samples_dir())
        .args([
            "timeline",
            "--width",
            "100",
            "--color",
            "never",
            "incident.json-full.log",
        ])
        .output()
        .expect("runs");
    let (code, text, err) = (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(code, 0, "{err}");
    // The sample's one episode: 41 stalls of GET /report from 1.50 s for 2.18 s (as
    // `analyze` says, and sample-traces/README.md).
    assert!(
        text.contains("   1  at 1.50 s for 2.18 s: 41 stalls by GET /report"),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
    let rows: Vec<&str> = text.lines().collect();
    // Two event-loop workers, then the two endpoints' density rows.
    let workers: Vec<&&str> = rows.iter().filter(|l| l.starts_with("ThreadId(")).collect();
    assert_eq!(workers.len(), 2, "{text}");
    assert!(rows.iter().any(|l| l.starts_with("GET /orders ")));
    assert!(rows.iter().any(|l| l.starts_with("GET /report ")));
    // Each drawn row is exactly as wide as asked.
    for l in workers {
        assert_eq!(l.chars().count(), 100, "{l}");
        assert!(l.contains('█') && l.contains('·'), "{l}");
    }
    assert!(!text.contains('\x1b'), "colour with --color never");
    insta::assert_snapshot!(text);
}

#[test]
fn worst_windows_match_an_independent_computation() {
    let path = samples_dir().join("incident.json-full.log");
    let report = analyze_json(&[], &[&path]);
    // Wide enough that each window's figure stays on its line.
    let (_, text, _) = timeline(&["--color", "never", "--width", "300", &incident()]);
    // The range drawn: `PATH: 0.00-END s`.
    let head = text.lines().next().unwrap();
    let end_s: f64 = head
        .split(": 0.00-")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no range in {head}"));
    for (window, ms) in [("10 ms", 10.0), ("100 ms", 100.0), ("1 s", 1000.0)] {
        let want = mmu_brute(&report, end_s * 1000.0, ms) * 100.0;
        let got = printed_free(&text, window);
        assert!(
            (got - want).abs() <= 1.0,
            "{window}: printed {got} %, brute force {want:.2} %\n{text}"
        );
    }
    // The burst held both workers for 2.06 s: no 10 ms or 100 ms window in it was free.
    assert_eq!(printed_free(&text, "10 ms"), 0.0);
    assert_eq!(printed_free(&text, "100 ms"), 0.0);
}

#[test]
fn no_colour_when_piped_or_no_color_and_colour_when_asked() {
    let (_, piped, _) = timeline(&[&incident()]);
    assert!(!piped.contains('\x1b'));
    let out = stallscope()
        .args(["timeline", "--color", "auto", &incident()])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
    let (_, coloured, _) = timeline(&["--color", "always", &incident()]);
    assert!(coloured.contains("\x1b[31m█"), "stalls in the Bad colour");
    // Not a terminal and no --width: 100 columns.
    assert!(
        piped
            .lines()
            .any(|l| l.starts_with("ThreadId(") && l.chars().count() == 100)
    );
}

#[test]
fn since_and_until_zoom_in() {
    let (code, text, err) = timeline(&[
        "--since",
        "1.4s",
        "--until",
        "1.9s",
        "--width",
        "80",
        "--color",
        "never",
        &incident(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with(": 1.40-1.90 s, 58 columns of 8.6 ms"),
        "{text}"
    );
    // Half a second is shorter than 1 s: that window is the whole range.
    assert!(
        text.contains("in the worst 1 s window (here the whole range: 1.40-1.90 s)"),
        "{text}"
    );
    let (code, _, err) = timeline(&["--since", "2s", "--until", "1s", &incident()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("nothing to draw from 2.00 s to 1.00 s"),
        "{err}"
    );
    let (code, _, err) = timeline(&["--since", "yesterday", &incident()]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid time 'yesterday'"), "{err}");
}

#[test]
fn wall_clock_times_are_offsets_from_the_first_timestamp() {
    // The log's first line is its earliest record: 1.4 s after it is offset 1.4 s.
    let text = std::fs::read_to_string(samples_dir().join("incident.json-full.log")).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let ts = first["timestamp"].as_str().unwrap();
    // `2026-...T04:05:06.123456Z` -> the time of day, plus 1.4 s.
    let tod = ts.split('T').nth(1).unwrap().trim_end_matches('Z');
    let mut parts = tod.split(':');
    let (h, m, s): (f64, f64, f64) = (
        parts.next().unwrap().parse().unwrap(),
        parts.next().unwrap().parse().unwrap(),
        parts.next().unwrap().parse().unwrap(),
    );
    let t = h * 3600.0 + m * 60.0 + s + 1.4;
    let since = format!(
        "{:02}:{:02}:{:09.6}",
        (t / 3600.0) as u32,
        ((t % 3600.0) / 60.0) as u32,
        t % 60.0
    );
    let (code, out, err) = timeline(&["--since", &since, "--until", "1.9s", &incident()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines().next().unwrap().contains(": 1.40-1.90 s"),
        "{since}: {out}"
    );
}

#[test]
fn worst_windows_by_hand() {
    // tests/data/formats/timeline/README.md works these figures out from the timestamps.
    let path = crate::support::manifest_dir().join("tests/data/formats/timeline/two-workers.log");
    let (code, text, err) =
        timeline(&["--width", "72", "--color", "never", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // Every line but the first (which names the file as given) fits the width.
    assert!(
        text.lines().skip(1).all(|l| l.chars().count() <= 72),
        "{text}"
    );
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "in the worst 10 ms (0.20-0.21 s) the event loop was free 0 % of the time; worst thread ThreadId(2) free 0 %",
        "in the worst 100 ms (0.16-0.26 s) the event loop was free 20 % of the time; worst thread ThreadId(2) free 0 %",
        "in the worst 1 s (0.00-1.00 s) the event loop was free 87 % of the time; worst thread ThreadId(2) free 80 % (0.00-1.00 s)",
        "2 event-loop threads together",
        "1 at 100 ms for 200 ms: 2 stalls by GET /a, GET /c; both workers blocked for 60 ms",
    ] {
        assert!(flat.contains(want), "missing {want:?} in:\n{text}");
    }
    // 50 columns of 20 ms: GET /a's stall covers columns 5-14 on ThreadId(2).
    let w2 = text.lines().find(|l| l.starts_with("ThreadId(2)")).unwrap();
    let cells: String = w2.chars().skip(22).collect();
    assert_eq!(
        cells,
        format!("{}{}{}", "·".repeat(5), "█".repeat(10), "·".repeat(35))
    );
}

#[test]
fn a_browser_trace_has_a_row_per_main_thread_only() {
    // DevTools recording of a page: one renderer main thread (29582:29582, 188 tasks, no long
    // task); the browser's IO, compositor and pool threads get no row.
    let path = samples_dir().join("devtools.page-burst.json.gz");
    let (code, text, err) = timeline(&["--color", "never", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(' '))
        .filter(|l| {
            l.chars()
                .nth(22)
                .is_some_and(|c| c == '·' || c == '█' || c == '▓')
        })
        .collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(rows[0].starts_with("29582:29582 CrRendere"), "{text}");
    assert!(!rows[0].contains('█'), "no long task: {text}");
    assert!(text.contains("1 event-loop thread"), "{text}");
    assert!(text.contains("in the worst 1 s (0.00-1.00 s) the event loop was free 100 %"));
}

/// A HAR (tests/data/formats/har/firefox.har) has no threads: its requests are drawn, one row
/// each, in columns of 10 ms (`--until 1s`, 100 columns). Read off the file: the document
/// starts 10 ms after the page and waits 640 ms (10-650 ms) then receives 2 ms; the image
/// starts at 700 ms, is blocked 1 ms, waits 250 ms (701-951) and receives 3 ms; the favicon
/// starts at 710 ms and waits 5 ms. Nothing is in flight from 652 to 700 ms.
#[test]
fn a_har_draws_its_requests() {
    let path = crate::support::manifest_dir().join("tests/data/formats/har/firefox.har");
    let (code, text, err) = timeline(&[
        "--color",
        "never",
        "--width",
        "122",
        "--until",
        "1s",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{name:<22}")))
            .map(|l| l.chars().skip(22).collect::<String>())
            .unwrap_or_default()
    };
    let cells = |runs: &[(char, usize)]| {
        runs.iter()
            .map(|&(c, n)| c.to_string().repeat(n))
            .collect::<String>()
    };
    assert_eq!(
        row("GET /"),
        cells(&[(' ', 1), ('=', 64), ('~', 1), (' ', 34)]),
        "{text}"
    );
    assert_eq!(
        row("GET /inventory/?as=pn"),
        cells(&[(' ', 70), ('=', 25), ('~', 1), (' ', 4)]),
        "{text}"
    );
    assert_eq!(
        row("GET /favicon.ico"),
        cells(&[(' ', 71), ('=', 1), (' ', 28)]),
        "{text}"
    );
    let flight: Vec<char> = row("requests in flight").chars().collect();
    assert!(flight[66..70].iter().all(|&c| c == ' '), "{text}");
    assert!(flight[1..65].iter().all(|&c| c != ' '), "{text}");
    assert!(
        text.contains("no worst window to show; `stallscope analyze"),
        "{text}"
    );
    assert!(!text.contains("no event-loop worker or main thread in this trace"));
}
