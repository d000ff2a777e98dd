//! `--format html`: one self-contained page (no network when viewed: no external script, style
//! sheet, font or image; a Content-Security-Policy says so to the browser too).
//!
//! What is text is written here, in Rust, from the finished [`Report`]: the verdict table (the
//! same rows and texts as the terminal table, each with its evidence folded under it in a
//! `<details>`), the episodes, navigations, slow server responses, advice, notes, inputs,
//! warnings and settings. So the page reads without JavaScript, and everything taken from the
//! input is escaped in one place ([`esc`]).
//!
//! What is drawn (the swimlanes per thread, latency over time per endpoint, LCP bars) is drawn
//! by `page.js` (plain JavaScript, no library) from two JSON documents embedded in the page:
//! the report itself (`--format json`, with its longest arrays cut, see [`report_json`]) and
//! the series the charts need ([`series::InputSeries`]), bounded whatever the trace's size.
//! Drawing in the browser lets zoom redraw at the zoomed resolution and keeps the page to data
//! rather than to thousands of pre-drawn SVG elements.

pub mod series;

use super::Report;
use super::rows::{HEADERS, verdict_label};
use super::text::{episode_line, long_spans_line, navigation_line, no_requests_headline, safe};
use crate::analyze::Verdict;
use crate::config::Config;
use series::InputSeries;
use std::fmt::Write as _;
use std::io::{self, Write};

const STYLE: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Entries kept per array of the embedded report JSON (the page lists them; a trace with more
/// says how many were left out, and `--format json` has them all).
pub const REPORT_ARRAY_CAP: usize = 500;
/// Episodes listed in words per input (the longest first), as the table lists 5.
const EPISODES_LISTED: usize = 50;
/// Server responses listed, slowest first.
const RESPONSES_LISTED: usize = 25;

/// Text taken from the input, for HTML text and attribute values: control characters shown
/// escaped as in the terminal (`\u{1b}`), then `& < > " '` and U+2028/U+2029 as entities.
pub fn esc(s: &str) -> String {
    let s = safe(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Line separators: harmless in HTML text, but no raw one anywhere in the page.
            '\u{2028}' => out.push_str("&#x2028;"),
            '\u{2029}' => out.push_str("&#x2029;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON text made safe inside `<script type="application/json">`: `<`, `>` and `&` as `\u003c`
/// and so on (no `</script>` or `<!--` can end or change the element), and U+2028/U+2029 as
/// escapes (line terminators to older JavaScript parsers). All of these occur only inside JSON
/// strings, where the escapes mean the same characters.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The report as embedded: the `--format json` document with each top-level array cut to
/// [`REPORT_ARRAY_CAP`] entries; `html_cut` names the arrays cut and their full lengths.
pub fn report_json(r: &Report) -> serde_json::Result<String> {
    let mut v = serde_json::to_value(r)?;
    let mut cut = serde_json::Map::new();
    if let Some(obj) = v.as_object_mut() {
        for (k, val) in obj.iter_mut() {
            if let Some(a) = val.as_array_mut()
                && a.len() > REPORT_ARRAY_CAP
            {
                cut.insert(k.clone(), a.len().into());
                a.truncate(REPORT_ARRAY_CAP);
            }
        }
        obj.insert("html_cut".into(), serde_json::Value::Object(cut));
    }
    serde_json::to_string(&v)
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Bad => "bad",
        Verdict::Ok => "ok",
        Verdict::Good => "good",
        Verdict::Unknown => "unknown",
    }
}

/// Writes the page. `series` holds one entry per input that was read as a trace (none when
/// only the report is at hand: the page then has its text and no charts).
pub fn render(
    r: &Report,
    series: &[InputSeries],
    cfg: &Config,
    out: &mut dyn Write,
) -> io::Result<()> {
    let report = report_json(r).map_err(io::Error::other)?;
    let data = serde_json::to_string(series).map_err(io::Error::other)?;
    let mut h = String::with_capacity(64 * 1024 + report.len() + data.len());
    let title = match r.inputs.as_slice() {
        [one] => format!("stallscope: {}", one.path),
        many => format!("stallscope: {} inputs", many.len()),
    };
    // writeln! into a String cannot fail.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\" data-ready=\"0\" data-errors=\"0\">\n<head>\n\
<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = writeln!(
        h,
        "<header><h1>stallscope report</h1><p class=\"sub\">{} {} &middot; long server processing &ge; {} ms &middot; event-loop stall &ge; {} ms</p></header>",
        r.tool.name, r.tool.version, r.settings.slow_ms, r.settings.stall_ms
    );
    let _ = writeln!(
        h,
        "<noscript><p class=\"warn\">The charts need JavaScript; the tables below do not.</p></noscript>"
    );
    // The page joins' story (browser inputs joined to a server input), as the table prints it.
    let joins = super::page::lines(r);
    if !joins.is_empty() {
        h.push_str("<section class=\"joins\"><h2>Page loads joined to the server</h2><ul>\n");
        for line in &joins {
            let _ = writeln!(h, "<li>{}</li>", esc(line));
        }
        h.push_str("</ul></section>\n");
    }
    for i in 0..r.inputs.len() {
        input_section(&mut h, r, cfg, i, series);
    }
    browser_section(&mut h, r);
    if !r.notes.is_empty() {
        h.push_str("<section class=\"notes\"><h2>Notes</h2><ul>\n");
        for n in &r.notes {
            let _ = writeln!(h, "<li>{}</li>", esc(n));
        }
        h.push_str("</ul></section>\n");
    }
    inputs_section(&mut h, r, series);
    let _ = write!(
        h,
        "<div id=\"tip\" role=\"tooltip\" hidden></div>\n\
<script type=\"application/json\" id=\"report-data\">{}</script>\n\
<script type=\"application/json\" id=\"series-data\">{}</script>\n\
<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        script_json(&report),
        script_json(&data)
    );
    out.write_all(h.as_bytes())
}

fn input_section(h: &mut String, r: &Report, cfg: &Config, i: usize, series: &[InputSeries]) {
    let input = &r.inputs[i];
    let rows: Vec<_> = r
        .verdicts
        .iter()
        .filter(|v| v.input == input.path)
        .collect();
    let mut what = format!("{}, {} events", input.format, input.events);
    if input.tasks > 0 {
        what.push_str(&format!(", {} tasks", input.tasks));
    } else {
        what.push_str(&format!(", {} requests", input.requests));
    }
    if !r.network.is_empty() && r.inputs.len() == 1 {
        what.push_str(&format!(", {} network requests", r.network.len()));
    }
    let _ = writeln!(
        h,
        "<section class=\"input\" data-input=\"{i}\">\n<h2><code>{}</code></h2>\n<p class=\"sub\">{}</p>",
        esc(&input.path),
        esc(&what)
    );
    if let Some(m) = &input.server_model {
        let _ = writeln!(
            h,
            "<p>{}</p>",
            esc(&super::server::server_model_headline(m))
        );
    }
    let roots: Vec<_> = r
        .long_spans
        .iter()
        .filter(|l| l.input == input.path)
        .collect();
    if rows.is_empty() && input.requests == 0 && !roots.is_empty() {
        let headline = no_requests_headline(&roots, cfg.request_span.as_deref());
        let _ = writeln!(h, "<p>{}</p>", esc(&headline));
        let lines: Vec<String> = roots
            .iter()
            .filter_map(|l| long_spans_line(l, r.settings.slow_ms, r.settings.stall_ms))
            .collect();
        if !lines.is_empty() {
            h.push_str("<h3>Long spans per root span name</h3><ul>\n");
            for l in &lines {
                let _ = writeln!(h, "<li>{}</li>", esc(l));
            }
            h.push_str("</ul>\n");
        }
    } else if rows.is_empty() {
        h.push_str("<p>No verdicts: no request with slow or heavy work.</p>\n");
    } else {
        h.push_str("<table class=\"verdicts\">\n<thead><tr>");
        for c in HEADERS {
            let _ = write!(h, "<th>{c}</th>");
        }
        h.push_str("</tr></thead>\n");
        for v in &rows {
            let cells = v.row.cells();
            let _ = write!(
                h,
                "<tbody class=\"row\"><tr class=\"verdict {}\" data-fingerprint=\"{}\" data-endpoint=\"{}\">",
                verdict_class(v.verdict),
                esc(&v.fingerprint),
                esc(&v.endpoint)
            );
            for (k, c) in cells[..4].iter().enumerate() {
                let _ = write!(h, "<td class=\"c{k}\">{}</td>", esc(c));
            }
            let _ = writeln!(
                h,
                "<td class=\"c4 v\">{}</td></tr>",
                verdict_label(v.verdict)
            );
            let _ = write!(
                h,
                "<tr class=\"evidence\"><td colspan=\"5\"><details><summary>Evidence ({})</summary><ul>",
                v.evidence.len()
            );
            for e in &v.evidence {
                let _ = write!(h, "<li>{}</li>", esc(e));
            }
            h.push_str("</ul>");
            if !v.mixed.is_empty() {
                h.push_str("<p>Requests that behaved otherwise:</p><ul>");
                for m in &v.mixed {
                    let _ = write!(
                        h,
                        "<li>{} requests: {} ({}), heavy work p50 {} ms, waiting p50 {} ms, {} stalls</li>",
                        m.requests,
                        esc(&format!("{:?}", m.pattern)),
                        verdict_label(m.verdict),
                        m.heavy_ms_p50,
                        m.wait_ms_p50,
                        m.stalls
                    );
                }
                h.push_str("</ul>");
            }
            if let Some(a) = &v.advice {
                let _ = write!(h, "<p class=\"advice\">Advice: {}</p>", esc(a));
            }
            h.push_str("</details></td></tr></tbody>\n");
        }
        h.push_str("</table>\n");
    }
    let fast: Vec<String> = r
        .fast_endpoints
        .iter()
        .filter(|f| f.input == input.path)
        .map(|f| {
            format!(
                "{} ({} req, p95 {:.1} ms)",
                f.endpoint, f.requests, f.p95_ms
            )
        })
        .collect();
    if !fast.is_empty() {
        let _ = writeln!(
            h,
            "<p>Fast, nothing to judge: {}</p>",
            esc(&fast.join(", "))
        );
    }
    // The charts: filled in by page.js from the series of this input. A HAR holds browser
    // requests only: no lane for the timeline to draw, said in one line instead (its requests'
    // waits are still charted under "Latency over time").
    if let Some(s) = series.get(i) {
        let path = esc(&input.path);
        let timeline = if s.lanes.is_empty() && input.format == "har" {
            format!(
                "<p class=\"help\">{path} holds the browser's requests only (no threads, no stalls): nothing for a timeline of threads to draw. Their server waits are charted below and listed under Page loads; <code>stallscope timeline {path}</code> draws each request by phase (setup, wait, receive).</p>"
            )
        } else {
            format!(
                "<p class=\"help\">Scroll or <kbd>+</kbd>/<kbd>-</kbd> to zoom, drag or <kbd>&larr;</kbd>/<kbd>&rarr;</kbd> to pan, <kbd>0</kbd> to reset; hover a stall for details; click an episode (the bands on top) to select the requests it delayed.</p>\n\
<div class=\"timeline\" tabindex=\"0\" data-series=\"{i}\" aria-label=\"timeline of {path}\"></div>\n<div class=\"selection\" data-series=\"{i}\"></div>"
            )
        };
        let _ = writeln!(
            h,
            "<h3>Timeline</h3>\n{timeline}\n<h3>Latency over time</h3>\n<div class=\"latency\" data-series=\"{i}\"></div>"
        );
        if !s.sampling.is_empty() {
            h.push_str("<p class=\"sampled\">");
            for (k, line) in s.sampling.iter().enumerate() {
                if k > 0 {
                    h.push(' ');
                }
                h.push_str(&esc(line));
            }
            h.push_str("</p>\n");
        }
    }
    let mut eps: Vec<(usize, &super::EpisodeOut)> = r
        .episodes
        .iter()
        .filter(|e| e.input == input.path)
        .enumerate()
        .collect();
    if !eps.is_empty() {
        let stalls = r.stalls.iter().filter(|s| s.input == input.path).count();
        let _ = writeln!(
            h,
            "<h3>Event-loop stalls (polls &ge; {} ms): {} in {}</h3>\n<ol class=\"episodes\">",
            r.settings.stall_ms,
            stalls,
            if eps.len() == 1 {
                "1 episode".to_string()
            } else {
                format!("{} episodes", eps.len())
            }
        );
        let total = eps.len();
        eps.sort_by(|a, b| b.1.duration_ms.total_cmp(&a.1.duration_ms));
        eps.truncate(EPISODES_LISTED);
        eps.sort_by_key(|e| e.0);
        for (n, e) in eps {
            let _ = writeln!(
                h,
                "<li value=\"{}\" data-episode=\"{n}\">{}</li>",
                n + 1,
                esc(&episode_line(e))
            );
        }
        h.push_str("</ol>\n");
        if total > EPISODES_LISTED {
            let _ = writeln!(
                h,
                "<p class=\"sampled\">The {EPISODES_LISTED} longest of {total} episodes are listed (all are on the timeline; --format json has each).</p>"
            );
        }
    }
    let advice: Vec<_> = rows.iter().filter_map(|v| v.advice.as_ref()).collect();
    if !advice.is_empty() {
        h.push_str("<h3>Advice</h3><ul class=\"advice\">\n");
        for a in advice {
            let _ = writeln!(h, "<li>{}</li>", esc(a));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</section>\n");
}

/// Navigations (LCP, drawn as stacked bars by page.js) and the slowest server responses.
fn browser_section(h: &mut String, r: &Report) {
    let navs = r.navigations.iter().filter(|n| n.lcp_ms.is_some()).count();
    // Navigations without LCP whose input gives DOMContentLoaded or load (a HAR's pages).
    let timed: Vec<_> = r
        .navigations
        .iter()
        .filter(|n| {
            n.lcp_ms.is_none() && (n.dom_content_loaded_ms.is_some() || n.load_ms.is_some())
        })
        .collect();
    let waits: Vec<_> = {
        let mut w: Vec<_> = r
            .network
            .iter()
            .filter(|n| n.server_wait_ms.is_some())
            .collect();
        w.sort_by(|a, b| {
            b.server_wait_ms
                .unwrap_or(0.0)
                .total_cmp(&a.server_wait_ms.unwrap_or(0.0))
        });
        w
    };
    if navs == 0 && timed.is_empty() && waits.is_empty() {
        return;
    }
    h.push_str("<section class=\"browser\"><h2>Page loads</h2>\n");
    if navs > 0 {
        h.push_str("<h3>Largest contentful paint and its subparts</h3>\n<div class=\"lcp\"></div>\n<ul class=\"lcp-text\">\n");
        for n in r.navigations.iter().filter(|n| n.lcp_ms.is_some()) {
            let _ = writeln!(h, "<li>{}</li>", esc(&navigation_line(n)));
        }
        h.push_str("</ul>\n");
    }
    if !timed.is_empty() {
        h.push_str("<h3>DOMContentLoaded and load after the page's start</h3>\n<ul class=\"page-timings\">\n");
        for n in timed {
            let _ = writeln!(h, "<li>{}</li>", esc(&navigation_line(n)));
        }
        h.push_str("</ul>\n");
    }
    if !waits.is_empty() {
        let max = waits[0].server_wait_ms.unwrap_or(0.0).max(1e-9);
        let _ = writeln!(
            h,
            "<h3>Slowest server responses</h3>\n<p class=\"help\">DevTools' \"Waiting for server response\"; a document over 600 ms, or another request over {} ms (--slow), is slow.</p>\n<table class=\"responses\"><thead><tr><th>Request</th><th>Status</th><th>Server wait</th><th>Total</th><th></th></tr></thead><tbody>",
            r.settings.slow_ms
        );
        for n in waits.iter().take(RESPONSES_LISTED) {
            let w = n.server_wait_ms.unwrap_or(0.0);
            let slow = if n.is_document {
                w >= 600.0
            } else {
                w >= r.settings.slow_ms
            };
            let _ = writeln!(
                h,
                "<tr class=\"{}\"><td class=\"url\">{}{} {}</td><td>{}</td><td>{:.1} ms</td><td>{:.1} ms</td><td class=\"bar\"><span style=\"width:{:.1}%\"></span></td></tr>",
                if slow { "slow" } else { "" },
                if n.is_document { "[document] " } else { "" },
                esc(&n.method),
                esc(&n.url),
                n.status.map_or("-".to_string(), |s| s.to_string()),
                w,
                n.total_ms,
                w / max * 100.0
            );
        }
        h.push_str("</tbody></table>\n");
        if waits.len() > RESPONSES_LISTED {
            let _ = writeln!(
                h,
                "<p class=\"sampled\">The {RESPONSES_LISTED} slowest of {} responses with a server wait.</p>",
                waits.len()
            );
        }
    }
    h.push_str("</section>\n");
}

/// Inputs (what was read, warnings) and settings.
fn inputs_section(h: &mut String, r: &Report, series: &[InputSeries]) {
    h.push_str("<section class=\"inputs\"><h2>Inputs and settings</h2>\n<table class=\"inputs\"><thead><tr><th>Input</th><th>Format</th><th>Events</th><th>Skipped</th><th>Spans</th><th>Requests</th><th>Tasks</th></tr></thead><tbody>\n");
    for i in &r.inputs {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&i.path),
            if i.gzip { " (gzip)" } else { "" },
            i.format,
            i.events,
            i.skipped,
            i.spans,
            i.requests,
            i.tasks
        );
    }
    h.push_str("</tbody></table>\n");
    let warnings: Vec<(&str, &String)> = r
        .inputs
        .iter()
        .flat_map(|i| i.warnings.iter().map(move |w| (i.path.as_str(), w)))
        .collect();
    if warnings.is_empty() {
        h.push_str("<p>No warnings.</p>\n");
    } else {
        h.push_str("<h3>Warnings</h3><ul class=\"warnings\">\n");
        for (p, w) in warnings {
            let _ = writeln!(h, "<li><code>{}</code>: {}</li>", esc(p), esc(w));
        }
        h.push_str("</ul>\n");
    }
    let _ = writeln!(
        h,
        "<h3>Settings</h3><ul class=\"settings\"><li>long server processing (--slow): {} ms</li><li>event-loop stall (--stall): {} ms</li><li>{} {}</li></ul>",
        r.settings.slow_ms, r.settings.stall_ms, r.tool.name, r.tool.version
    );
    if !series.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"help\">The charts draw at most {} lanes' worth of {} time bins, {} request points and {} stalls per input; what a big trace had beyond that is said under its charts.</p>",
            series::MAX_LANES,
            series::BINS,
            series::MAX_POINTS,
            series::MAX_STALLS
        );
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests;
