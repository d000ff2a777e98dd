//! GitHub-flavoured markdown: the same table, for reports and PR comments.

use super::Report;
use super::rows::HEADERS;
use super::text::{episode_line, long_spans_line, no_requests_headline};
use crate::config::Config;
use std::io::{self, Write};

fn esc(s: &str) -> String {
    super::text::safe(s).replace('|', "\\|")
}

pub fn render(r: &Report, cfg: &Config, out: &mut dyn Write) -> io::Result<()> {
    for line in super::page::lines(r) {
        writeln!(out, "{}\n", esc(&line))?;
    }
    for input in &r.inputs {
        writeln!(
            out,
            "### `{}` ({}, {} requests)\n",
            esc(&input.path),
            input.format,
            input.requests
        )?;
        if let Some(m) = &input.server_model {
            writeln!(out, "{}\n", esc(&super::server::server_model_headline(m)))?;
        }
        let roots: Vec<_> = r
            .long_spans
            .iter()
            .filter(|l| l.input == input.path)
            .collect();
        if input.requests == 0 && !roots.is_empty() {
            let headline = no_requests_headline(&roots, cfg.request_span.as_deref());
            writeln!(out, "{}\n", esc(&headline))?;
            let lines: Vec<String> = roots
                .iter()
                .filter_map(|l| long_spans_line(l, r.settings.slow_ms, r.settings.stall_ms))
                .collect();
            if !lines.is_empty() {
                writeln!(out, "**Long spans per root span name**\n")?;
                for l in &lines {
                    writeln!(out, "- {}", esc(l))?;
                }
                writeln!(out)?;
            }
        }
        writeln!(out, "| {} |", HEADERS.join(" | "))?;
        writeln!(out, "|---|---|---|---|---|")?;
        for v in r.verdicts.iter().filter(|v| v.input == input.path) {
            let cells: Vec<String> = v.row.cells().iter().map(|c| esc(c)).collect();
            writeln!(out, "| {} |", cells.join(" | "))?;
        }
        let eps: Vec<_> = r
            .episodes
            .iter()
            .filter(|e| e.input == input.path)
            .collect();
        if !eps.is_empty() {
            writeln!(out, "\n**Event-loop stall episodes**\n")?;
            for e in eps {
                writeln!(out, "- {}", esc(&episode_line(e)))?;
            }
        }
        let advice: Vec<_> = r
            .verdicts
            .iter()
            .filter(|v| v.input == input.path)
            .filter_map(|v| v.advice.as_ref())
            .collect();
        if !advice.is_empty() {
            writeln!(out, "\n**Advice**\n")?;
            for a in advice {
                writeln!(out, "- {}", esc(a))?;
            }
        }
        writeln!(out)?;
    }
    // The notes (what the inputs could not tell, and why), as the table prints them.
    if !r.notes.is_empty() {
        writeln!(out, "**Notes**\n")?;
        for n in &r.notes {
            writeln!(out, "- {}", esc(n))?;
        }
        writeln!(out)?;
    }
    Ok(())
}
