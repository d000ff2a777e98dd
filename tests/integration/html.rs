//! `stallscope analyze --format html` (issue 15, part 2).
//!
//! Without a browser: the page is self-contained (no external URL in a `src` or `href`, no
//! `@import` or `url(` in its style) and input text cannot break out of it (a route holding
//! `</script>` and terminal escape sequences).
//!
//! As a user sees it (ignored unless run with `--include-ignored`, as `.ci/run` does; fails
//! when Chromium cannot start): the page rendered by headless Chromium, its DOM after the
//! script ran checked against the JSON report (one row per verdict, one lane per event-loop
//! thread, the p95 each chart shows, the victims of episode 1 selected from the address), no
//! script errors, and a screenshot saved in `target/tmp/html-report/` to look at.

use crate::support::{analyze, analyze_json, samples_dir, stallscope};
use regex::Regex;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Renders `input` to an HTML file in `dir`; returns its path.
fn render(input: &Path, dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    let status = stallscope()
        .args(["analyze", "--format", "html", "-o"])
        .arg(&out)
        .arg(input)
        .output()
        .expect("runs");
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(status.stdout.is_empty(), "-o FILE writes nothing to stdout");
    out
}

/// No `src`/`href` pointing outside the file, no style import or `url(`, and the CSP that
/// keeps the browser from fetching anything.
fn assert_self_contained(html: &str) {
    let external = Regex::new(r#"(?i)\b(src|href)\s*=\s*["']?\s*(https?:|//|ftp:)"#).unwrap();
    assert!(
        external.find(html).is_none(),
        "external reference: {:?}",
        external.find(html)
    );
    assert!(!html.contains("@import") && !html.contains("url("));
    assert!(!html.contains("//cdn"));
    assert!(html.contains("default-src 'none'"), "the CSP is there");
}

#[test]
fn html_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    // A server trace has no URL at all in it: none may appear.
    let page = render(
        &samples_dir().join("incident.json-full.log"),
        dir.path(),
        "incident.html",
    );
    let html = std::fs::read_to_string(page).unwrap();
    assert_self_contained(&html);
    assert!(!html.contains("http://") && !html.contains("https://"));
    // A browser trace's URLs are text, never a reference.
    let page = render(
        &samples_dir().join("devtools.page-burst.json.gz"),
        dir.path(),
        "page.html",
    );
    let html = std::fs::read_to_string(page).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("GET http://127.0.0.1:8931/chart"));
}

#[test]
fn html_escapes_what_the_input_says() {
    // The incident sample with `/report` renamed to a route holding a script end tag, an
    // attribute breaker and a terminal title sequence.
    let evil = r#"/report</script><script>alert(1)</script>\"'\u001b]0;pwned\u0007\u2028"#;
    let log = std::fs::read_to_string(samples_dir().join("incident.json-full.log")).unwrap();
    let log = log.replace(r#""route":"/report""#, &format!(r#""route":"{evil}""#));
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("evil.log");
    std::fs::write(&input, log).unwrap();
    let page = render(&input, dir.path(), "evil.html");
    let html = std::fs::read_to_string(page).unwrap();
    // The page's own three script elements end, nothing else does; nothing starts one.
    assert_eq!(html.matches("</script>").count(), 3);
    assert_eq!(html.matches("<script").count(), 3);
    assert!(!html.contains("<script>alert"));
    // No raw control characters or line separators; the route is shown escaped.
    assert!(!html.contains('\u{1b}') && !html.contains('\u{7}'));
    assert!(!html.contains('\u{2028}'));
    assert!(html.contains(
        "GET /report&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;\\u{1b}]0;pwned\\u{7}"
    ));
    // In the embedded JSON, as JSON escapes.
    assert!(html.contains(r"/report\u003c/script\u003e\u003cscript\u003ealert(1)"));
    // The verdict is still there for the renamed endpoint: 41 requests, as in the sample.
    assert!(html.contains("(41 req)"));
}

#[test]
fn output_file_and_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let input = samples_dir().join("incident.json-full.log");
    // Without -o the page goes to stdout, as every format does.
    let (code, stdout, _) = analyze(&input, &["--format", "html"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("<!DOCTYPE html>"));
    // -o works for the other formats too: the same JSON as on stdout.
    let json = dir.path().join("r.json");
    let (code, stdout, _) = analyze(&input, &["--format", "json", "-o", json.to_str().unwrap()]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    let written: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(written, analyze_json(&[], &[&input]));
    // An unreadable input leaves no file.
    let missing = dir.path().join("missing.log");
    let page = dir.path().join("none.html");
    let (code, _, stderr) = analyze(
        &missing,
        &["--format", "html", "-o", page.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(!page.exists());
}

/// A Chromium to run: `$STALLSCOPE_CHROMIUM`, else `chromium` (Debian's package),
/// `chromium-browser` or `google-chrome` on the PATH. Panics with what to install.
#[track_caller]
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("STALLSCOPE_CHROMIUM") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "Chromium is missing: this test needs a headless Chromium (apt-get install chromium, or \
         set STALLSCOPE_CHROMIUM); .ci/run installs it"
    );
}

/// Runs headless Chromium on `page` with `args` (after the flags it needs here: no sandbox
/// as root, no background network, a fresh profile); returns its stdout. Panics when it
/// cannot start or fails.
#[track_caller]
fn run_chromium(page: &Path, fragment: &str, args: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}{fragment}", page.display());
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(&url)
        .output()
        .unwrap_or_else(|e| panic!("Chromium could not start ({}): {e}", chromium().display()));
    assert!(
        out.status.success(),
        "Chromium failed on {url}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The DOM after the page's script ran, and a screenshot of the page in
/// `target/tmp/html-report/NAME.png`.
fn in_chromium(page: &Path, fragment: &str, name: &str) -> String {
    let dom = run_chromium(page, fragment, &["--dump-dom"]);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&shots).unwrap();
    let png = shots.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&png);
    run_chromium(
        page,
        fragment,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1400,1000",
        ],
    );
    let bytes = std::fs::read(&png).expect("Chromium wrote the screenshot");
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{}",
        png.display()
    );
    dom
}

/// The attributes of the `<html>` element: ready, no errors.
fn assert_ran_clean(dom: &str) {
    let head = Regex::new(r"<html[^>]*>").unwrap();
    let tag = head.find(dom).expect("an html element").as_str();
    assert!(
        tag.contains(r#"data-ready="1""#),
        "script did not finish: {tag}"
    );
    assert!(
        tag.contains(r#"data-errors="0""#),
        "script errors: {tag}\n{}",
        dom.split("id=\"js-errors\"").nth(1).unwrap_or("")
    );
}

/// HTML text as the DOM serializes it.
fn dom_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\u{a0}', "&nbsp;")
}

#[test]
#[ignore = "needs chromium (apt-get install chromium); .ci/run installs it"]
fn html_report_in_chromium_server_trace() {
    let input = samples_dir().join("incident.json-full.log");
    let dir = tempfile::tempdir().unwrap();
    let page = render(&input, dir.path(), "incident.html");
    let report = analyze_json(&[], &[&input]);
    let dom = in_chromium(&page, "#episode=1", "incident");
    assert_ran_clean(&dom);

    // One row per verdict, with the terminal's texts.
    let verdicts = report["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 2);
    assert_eq!(
        dom.matches(r#"<tr class="verdict "#).count(),
        verdicts.len()
    );
    for v in verdicts {
        let impact = v["row"]["response_time_impact"].as_str().unwrap();
        assert!(
            dom.contains(&format!(r#"<td class="c3">{}</td>"#, dom_text(impact))),
            "{impact}"
        );
        // Its latency chart shows the JSON's p50 and p95.
        let endpoint = v["endpoint"].as_str().unwrap();
        let re = Regex::new(&format!(
            r#"class="epchart" data-endpoint="{}" data-p50="([0-9.]+)" data-p95="([0-9.]+)""#,
            regex::escape(endpoint)
        ))
        .unwrap();
        let c = re
            .captures(&dom)
            .unwrap_or_else(|| panic!("chart of {endpoint}"));
        assert_eq!(c[1].parse::<f64>().unwrap(), v["p50_ms"].as_f64().unwrap());
        assert_eq!(c[2].parse::<f64>().unwrap(), v["p95_ms"].as_f64().unwrap());
    }
    // The evidence folded under each row.
    assert_eq!(dom.matches("<details><summary>Evidence").count(), 2);

    // One lane per event-loop thread: the two tokio workers.
    let loops: Vec<&str> = report["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["role"] == "event-loop")
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(loops, ["ThreadId(2)", "ThreadId(3)"]);
    assert_eq!(
        dom.matches(r#"class="lane lane-thread""#).count(),
        loops.len()
    );
    // Its 41 stalls drawn, each a rect on a lane.
    let stall = Regex::new(r#"<rect class="stall( sel)?""#).unwrap();
    assert_eq!(
        stall.find_iter(&dom).count(),
        report["stalls"].as_array().unwrap().len()
    );

    // #episode=1 selected the first episode: every request it delayed (36, as the JSON says).
    let delayed = report["episodes"][0]["delayed"].as_u64().unwrap();
    assert_eq!(delayed, 36);
    assert!(
        dom.contains(&format!(
            r#"class="selbox" data-episode="1" data-victims="{delayed}""#
        )),
        "selection of episode 1"
    );
    // Each victim ringed in its endpoint's chart.
    assert_eq!(
        dom.matches(r#"class="pt delayed sel""#).count() as u64,
        delayed
    );
}

#[test]
#[ignore = "needs chromium (apt-get install chromium); .ci/run installs it"]
fn html_report_in_chromium_browser_trace() {
    let input = samples_dir().join("devtools.page-burst.json.gz");
    let dir = tempfile::tempdir().unwrap();
    let page = render(&input, dir.path(), "page-burst.html");
    let report = analyze_json(&[], &[&input]);
    let dom = in_chromium(&page, "", "page-burst");
    assert_ran_clean(&dom);
    let verdicts = report["verdicts"].as_array().unwrap();
    assert_eq!(
        dom.matches(r#"<tr class="verdict "#).count(),
        verdicts.len()
    );
    // One lane per renderer main thread.
    let mains = report["main_threads"].as_array().unwrap().len();
    assert_eq!(mains, 1);
    assert_eq!(dom.matches(r#"class="lane lane-thread""#).count(), mains);
    // Each page load's LCP as a stacked bar of its subparts.
    let navs: Vec<&Value> = report["navigations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| !n["phases"].is_null())
        .collect();
    assert_eq!(navs.len(), 1);
    assert!(dom.contains(r#"data-navigations="1""#));
    let phases = &navs[0]["phases"];
    let parts = [
        "ttfb_ms",
        "load_delay_ms",
        "load_duration_ms",
        "render_delay_ms",
    ]
    .iter()
    .filter(|k| !phases[**k].is_null())
    .count();
    let bar = Regex::new(r#"<rect class="lcp-[a-z]+""#).unwrap();
    assert_eq!(bar.find_iter(&dom).count(), parts);
    // Every request the browser made is a point of the server-wait chart.
    let network = report["network"].as_array().unwrap().len();
    assert!(dom.contains(&format!(
        r#"class="epchart waits" data-requests="{network}""#
    )));
}

/// A browser trace joined to its server's log: the page tells the join's story in text, the
/// same lines the table prints (the LCP image GET /chart waited 815 ms, 407 ms of it before its
/// handler started, behind 3 stalls of GET /report: sample-traces/har/README.md).
#[test]
fn html_tells_the_page_join() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("join.html");
    let har = samples_dir().join("har");
    let run = stallscope()
        .args(["analyze", "--format", "html", "-o"])
        .arg(&out)
        .arg(har.join("demo-page-burst.devtools.json.gz"))
        .arg(har.join("demo-page-burst.json-full.log"))
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(0));
    let html = std::fs::read_to_string(&out).unwrap();
    let section = html
        .split("<section class=\"joins\">")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("a joins section");
    assert!(
        section.contains("2 of 3 browser requests matched"),
        "{section}"
    );
    assert!(
        section.contains(
            "the LCP image GET /chart waited 815 ms, of which 407 ms before its handler started, while 3 stalls of GET /report held the server"
        ),
        "{section}"
    );
}
