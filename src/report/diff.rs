//! `stallscope diff` in words: the table, Markdown and JSON of a [`Diff`]. Decides nothing (the
//! statuses and regressions come from [`crate::diff`]).

use super::rows::verdict_label;
use super::text::safe;
use crate::analyze::Verdict;
use crate::config::OutputFormat;
use crate::diff::{Change, DIFF_SCHEMA_VERSION, Diff, Figures, Regression, Status};
use serde::Serialize;
use std::io::{self, Write};

fn verdict_word(v: Option<Verdict>) -> &'static str {
    match v {
        Some(Verdict::Bad) => "Bad",
        Some(Verdict::Ok) => "OK",
        Some(Verdict::Good) => "Good",
        Some(Verdict::Unknown) => "Unknown",
        None => "no verdict",
    }
}

/// `640`, `85.3`, `0.42`: milliseconds as a person reads them.
fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn stalls_word(n: usize) -> &'static str {
    if n == 1 { "stall" } else { "stalls" }
}

/// The plain-language line: `GET /report: Bad -> Good: 39 stalls -> 0; p95 640 -> 212 ms`.
pub fn line(c: &Change) -> String {
    let e = safe(&c.endpoint);
    let mut s = match (&c.before, &c.after) {
        (Some(b), Some(a)) => {
            let vb = verdict_word(b.verdict);
            let va = verdict_word(a.verdict);
            let mut s = if b.verdict == a.verdict && b.pattern == a.pattern {
                format!("{e}: {vb}, unchanged")
            } else if b.verdict == a.verdict {
                format!(
                    "{e}: {vb}, pattern {} -> {}",
                    b.pattern.as_deref().unwrap_or("none"),
                    a.pattern.as_deref().unwrap_or("none")
                )
            } else {
                format!("{e}: {vb} -> {va}")
            };
            if b.stalls != a.stalls {
                s.push_str(&format!(
                    ": {} {} -> {}",
                    b.stalls,
                    stalls_word(b.stalls),
                    a.stalls
                ));
            } else if b.stalls > 0 {
                s.push_str(&format!(": {} {}", b.stalls, stalls_word(b.stalls)));
            }
            if b.longest_stall_ms != a.longest_stall_ms
                && (b.longest_stall_ms > 0.0 || a.longest_stall_ms > 0.0)
            {
                s.push_str(&format!(
                    ", longest {} -> {} ms",
                    ms(b.longest_stall_ms),
                    ms(a.longest_stall_ms)
                ));
            }
            if b.p95_ms > 0.0 || a.p95_ms > 0.0 {
                s.push_str(&format!("; p95 {} -> {} ms", ms(b.p95_ms), ms(a.p95_ms)));
            }
            s
        }
        (None, Some(a)) => one_side(&e, "new", a),
        (Some(b), None) => one_side(&e, "not in the candidate run; was", b),
        (None, None) => format!("{e}: in neither run"),
    };
    if !c.regressions.is_empty() {
        let why: Vec<&str> = c
            .regressions
            .iter()
            .map(|r| match r {
                Regression::Verdict => "worse verdict",
                Regression::P95 => "p95 up",
            })
            .collect();
        s.push_str(&format!(" (regressed: {})", why.join(", ")));
    }
    s
}

fn one_side(e: &str, what: &str, f: &Figures) -> String {
    let mut s = format!("{e}: {what} {}", verdict_word(f.verdict));
    if let Some(p) = &f.pattern {
        s.push_str(&format!(" ({p})"));
    }
    if f.stalls > 0 {
        s.push_str(&format!(
            ": {} {}, longest {} ms",
            f.stalls,
            stalls_word(f.stalls),
            ms(f.longest_stall_ms)
        ));
    }
    if f.p95_ms > 0.0 {
        s.push_str(&format!("; p95 {} ms", ms(f.p95_ms)));
    }
    s
}

fn summary(d: &Diff) -> String {
    let better = d.changes.iter().filter(|c| c.improved).count();
    let mut s = format!(
        "{} new, {} changed, {} resolved, {} unchanged; {} better, {} regressed (worse verdict, or p95 up more than {} %)",
        d.count(Status::New),
        d.count(Status::Changed),
        d.count(Status::Resolved),
        d.count(Status::Unchanged),
        better,
        d.regressed(),
        fmt_pct(d.tolerance)
    );
    if d.not_compared > 0 {
        s.push_str(&format!(
            "; {} endpoint{} seen in one run only, without a verdict, not compared",
            d.not_compared,
            if d.not_compared == 1 { "" } else { "s" }
        ));
    }
    s
}

fn fmt_pct(t: f64) -> String {
    let p = t * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}")
    } else {
        format!("{p}")
    }
}

fn cell_verdicts(c: &Change) -> String {
    let v = |f: &Option<Figures>| match f {
        Some(f) => match f.verdict {
            Some(v) => verdict_label(v).to_string(),
            None => "-".to_string(),
        },
        None => "absent".to_string(),
    };
    format!("{} -> {}", v(&c.before), v(&c.after))
}

fn cell<F: Fn(&Figures) -> String>(c: &Change, f: F) -> String {
    let side = |x: &Option<Figures>| x.as_ref().map(&f).unwrap_or_else(|| "-".into());
    format!("{} -> {}", side(&c.before), side(&c.after))
}

fn status_cell(c: &Change) -> String {
    if c.regressions.is_empty() {
        c.status.as_str().to_string()
    } else {
        format!("{}, regressed", c.status.as_str())
    }
}

const HEADERS: [&str; 6] = [
    "Endpoint",
    "Status",
    "Verdict",
    "Stalls",
    "Longest stall",
    "p95",
];

fn cells(c: &Change) -> [String; 6] {
    [
        safe(&c.endpoint).into_owned(),
        status_cell(c),
        cell_verdicts(c),
        cell(c, |f| f.stalls.to_string()),
        cell(c, |f| format!("{} ms", ms(f.longest_stall_ms))),
        cell(c, |f| format!("{} ms", ms(f.p95_ms))),
    ]
}

fn heading(d: &Diff) -> String {
    format!(
        "baseline {} ({}) -> candidate {} ({})",
        safe(&d.baseline.path),
        d.baseline.kind,
        safe(&d.candidate.path),
        d.candidate.kind
    )
}

pub fn render(d: &Diff, format: OutputFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        OutputFormat::Table => table(d, out),
        OutputFormat::Markdown => markdown(d, out),
        OutputFormat::Html => Err(io::Error::other(
            "stallscope diff has no HTML format: use table, json or markdown",
        )),
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &json(d))?;
            writeln!(out)
        }
    }
}

fn table(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL};
    writeln!(out, "{}", heading(d))?;
    if d.changes.is_empty() {
        writeln!(out, "  no endpoint with a verdict in either run")?;
    } else {
        let mut t = Table::new();
        t.load_style(UTF8_FULL)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(100)
            .set_header(HEADERS);
        for c in &d.changes {
            t.add_row(cells(c));
        }
        writeln!(out, "{t}")?;
    }
    for c in &d.changes {
        writeln!(out, "  {}", line(c))?;
    }
    writeln!(out, "{}", summary(d))
}

fn markdown(d: &Diff, out: &mut dyn Write) -> io::Result<()> {
    let esc = |s: String| s.replace('|', "\\|");
    writeln!(out, "### stallscope diff: {}", heading(d))?;
    writeln!(out)?;
    if !d.changes.is_empty() {
        writeln!(out, "| {} |", HEADERS.join(" | "))?;
        writeln!(out, "|{}", "---|".repeat(HEADERS.len()))?;
        for c in &d.changes {
            let row: Vec<String> = cells(c).into_iter().map(esc).collect();
            writeln!(out, "| {} |", row.join(" | "))?;
        }
        writeln!(out)?;
    }
    for c in &d.changes {
        writeln!(out, "- {}", line(c))?;
    }
    if !d.changes.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary(d))
}

#[derive(Serialize)]
struct DiffOut<'a> {
    schema_version: u32,
    tool: super::Tool,
    baseline: SideOut<'a>,
    candidate: SideOut<'a>,
    tolerance: f64,
    summary: SummaryOut,
    endpoints: Vec<ChangeOut<'a>>,
}

#[derive(Serialize)]
struct SideOut<'a> {
    path: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
struct SummaryOut {
    new: usize,
    changed: usize,
    resolved: usize,
    unchanged: usize,
    improved: usize,
    regressed: usize,
    not_compared: usize,
}

#[derive(Serialize)]
struct ChangeOut<'a> {
    endpoint: &'a str,
    fingerprint: &'a str,
    unit: &'a str,
    status: Status,
    regressed: bool,
    regressions: &'a [Regression],
    improved: bool,
    before: Option<&'a Figures>,
    after: Option<&'a Figures>,
    line: String,
}

fn json(d: &Diff) -> DiffOut<'_> {
    DiffOut {
        schema_version: DIFF_SCHEMA_VERSION,
        tool: super::Tool {
            name: "stallscope",
            version: env!("CARGO_PKG_VERSION"),
        },
        baseline: SideOut {
            path: &d.baseline.path,
            kind: d.baseline.kind,
        },
        candidate: SideOut {
            path: &d.candidate.path,
            kind: d.candidate.kind,
        },
        tolerance: d.tolerance,
        summary: SummaryOut {
            new: d.count(Status::New),
            changed: d.count(Status::Changed),
            resolved: d.count(Status::Resolved),
            unchanged: d.count(Status::Unchanged),
            improved: d.changes.iter().filter(|c| c.improved).count(),
            regressed: d.regressed(),
            not_compared: d.not_compared,
        },
        endpoints: d
            .changes
            .iter()
            .map(|c| ChangeOut {
                endpoint: &c.endpoint,
                fingerprint: &c.fingerprint,
                unit: &c.unit,
                status: c.status,
                regressed: !c.regressions.is_empty(),
                regressions: &c.regressions,
                improved: c.improved,
                before: c.before.as_ref(),
                after: c.after.as_ref(),
                line: line(c),
            })
            .collect(),
    }
}
