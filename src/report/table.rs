//! The terminal table (comfy-table), sized for a 100-column terminal.

use super::Report;
use super::rows::{HEADERS, verdict_label};
use super::text::{episode_line, long_spans_line, navigation_line, no_requests_headline, safe};
use crate::analyze::Verdict;
use crate::config::Config;
use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL};
use std::io::{self, Write};

/// Width used when stdout is not a terminal (pipes, files, CI logs).
const DEFAULT_WIDTH: u16 = 100;

pub fn render(r: &Report, cfg: &Config, out: &mut dyn Write) -> io::Result<()> {
    let multi = r.inputs.len() > 1;
    for line in super::page::lines(r) {
        write_wrapped(out, &line, "", "  ")?;
    }
    for input in &r.inputs {
        let rows: Vec<_> = r
            .verdicts
            .iter()
            .filter(|v| v.input == input.path)
            .collect();
        let network = r.network.len();
        let mut what = format!("{}, {} events", input.format, input.events);
        if input.tasks > 0 {
            what.push_str(&format!(", {} tasks", input.tasks));
        } else if input.requests > 0 || network == 0 {
            what.push_str(&format!(", {} requests", input.requests));
        }
        if network > 0 && !multi {
            what.push_str(&format!(", {network} network requests"));
        }
        write_wrapped(out, &format!("{}: {what}", input.path), "", "  ")?;
        if let Some(m) = &input.server_model {
            write_wrapped(out, &super::server::server_model_headline(m), "  ", "    ")?;
        }
        let roots: Vec<_> = r
            .long_spans
            .iter()
            .filter(|l| l.input == input.path)
            .collect();
        if rows.is_empty() && input.requests == 0 && !roots.is_empty() {
            let headline = no_requests_headline(&roots, cfg.request_span.as_deref());
            write_wrapped(out, &headline, "  ", "    ")?;
            let lines: Vec<String> = roots
                .iter()
                .filter_map(|l| long_spans_line(l, r.settings.slow_ms, r.settings.stall_ms))
                .collect();
            if !lines.is_empty() {
                writeln!(out, "Long spans per root span name:")?;
                for l in &lines {
                    write_wrapped(out, l, "  ", "    ")?;
                }
            }
        } else if rows.is_empty() {
            writeln!(out, "  no verdicts: no request with slow or heavy work")?;
        } else {
            let mut t = Table::new();
            t.load_style(UTF8_FULL)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(HEADERS.iter().map(Cell::new));
            // On a terminal comfy-table uses its width; elsewhere wrap for 100 columns.
            if t.width().is_none() {
                t.set_width(DEFAULT_WIDTH);
            }
            if cfg.color {
                t.enforce_styling();
            }
            for v in &rows {
                let cells = v.row.cells();
                let mut row: Vec<Cell> = cells[..4].iter().map(|c| Cell::new(safe(c))).collect();
                let mut verdict = Cell::new(verdict_label(v.verdict));
                if cfg.color {
                    verdict = verdict.fg(match v.verdict {
                        Verdict::Bad => Color::Red,
                        Verdict::Good => Color::Green,
                        Verdict::Ok => Color::Yellow,
                        Verdict::Unknown => Color::Grey,
                    });
                }
                row.push(verdict);
                t.add_row(row);
            }
            writeln!(out, "{t}")?;
        }
        let fast: Vec<_> = r
            .fast_endpoints
            .iter()
            .filter(|f| f.input == input.path)
            .collect();
        if !fast.is_empty() {
            let list: Vec<String> = fast
                .iter()
                .map(|f| {
                    format!(
                        "{} ({} req, p95 {:.1} ms)",
                        f.endpoint, f.requests, f.p95_ms
                    )
                })
                .collect();
            writeln!(out, "Fast, nothing to judge: {}", safe(&list.join(", ")))?;
        }
        let eps: Vec<_> = r
            .episodes
            .iter()
            .filter(|e| e.input == input.path)
            .collect();
        if !eps.is_empty() {
            let stalls = r.stalls.iter().filter(|s| s.input == input.path).count();
            writeln!(
                out,
                "\nEvent-loop stalls (polls ≥ {} ms): {} in {}",
                r.settings.stall_ms,
                stalls,
                if eps.len() == 1 {
                    "1 episode".to_string()
                } else {
                    format!("{} episodes", eps.len())
                }
            )?;
            const SHOW: usize = 5;
            let mut sorted = eps.clone();
            sorted.sort_by(|a, b| b.duration_ms.total_cmp(&a.duration_ms));
            for e in sorted.iter().take(SHOW) {
                write_wrapped(out, &episode_line(e), "  ", "    ")?;
            }
            if eps.len() > SHOW {
                writeln!(
                    out,
                    "  ... {} shorter episodes (see --format json)",
                    eps.len() - SHOW
                )?;
            }
        }
        let navs: Vec<_> = r
            .navigations
            .iter()
            .filter(|n| {
                n.lcp_ms.is_some() || n.dom_content_loaded_ms.is_some() || n.load_ms.is_some()
            })
            .collect();
        if !navs.is_empty() && r.inputs.len() == 1 {
            if navs.iter().any(|n| n.lcp_ms.is_some()) {
                writeln!(out, "\nNavigations (largest contentful paint):")?;
            } else {
                writeln!(
                    out,
                    "\nNavigations (DOMContentLoaded and load after the page's start):"
                )?;
            }
            for n in navs {
                write_wrapped(out, &navigation_line(n), "  ", "    ")?;
            }
        }
        let in_window = r
            .long_tasks
            .iter()
            .filter(|t| t.in_lcp_window.is_some() && !t.legacy)
            .count();
        if in_window > 0 && r.inputs.len() == 1 {
            writeln!(
                out,
                "  {in_window} long tasks ran between a navigation's start and its LCP (they can delay it)"
            )?;
        }
        let advice: Vec<_> = rows.iter().filter_map(|v| v.advice.as_ref()).collect();
        if !advice.is_empty() {
            writeln!(out, "\nAdvice:")?;
            for a in advice {
                write_wrapped(out, a, "  - ", "    ")?;
            }
        }
        if multi {
            writeln!(out)?;
        }
    }
    if !r.notes.is_empty() {
        writeln!(out, "\nNotes:")?;
        for n in &r.notes {
            write_wrapped(out, n, "  - ", "    ")?;
        }
    }
    Ok(())
}

/// Writes `text` word-wrapped to [`DEFAULT_WIDTH`] columns, the first line after `first`, the
/// others after `rest`.
fn write_wrapped(out: &mut dyn Write, text: &str, first: &str, rest: &str) -> io::Result<()> {
    let text = &*safe(text);
    let width = DEFAULT_WIDTH as usize;
    let mut line = String::from(first);
    let mut empty = true;
    // Words longer than a line (URLs) are cut into pieces that fit.
    let pieces: Vec<String> = text
        .split_whitespace()
        .flat_map(|w| {
            let chars: Vec<char> = w.chars().collect();
            chars
                .chunks(width - rest.chars().count().max(first.chars().count()))
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
        })
        .collect();
    for word in &pieces {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            writeln!(out, "{line}")?;
            line = String::from(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    writeln!(out, "{line}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_width_with_indent() {
        let mut out = Vec::new();
        let text = "word ".repeat(40);
        write_wrapped(&mut out, &text, "  - ", "    ").unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.lines().count() >= 2);
        assert!(
            s.lines()
                .all(|l| l.chars().count() <= DEFAULT_WIDTH as usize)
        );
        assert!(s.lines().nth(1).unwrap().starts_with("    word"));
    }
}
