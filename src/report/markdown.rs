//! GitHub-flavoured markdown: the same table, for reports and PR comments.

use super::Report;
use super::rows::HEADERS;
use super::text::episode_line;
use std::io::{self, Write};

fn esc(s: &str) -> String {
    super::text::safe(s).replace('|', "\\|")
}

pub fn render(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    for input in &r.inputs {
        writeln!(
            out,
            "### `{}` ({}, {} requests)\n",
            esc(&input.path),
            input.format,
            input.requests
        )?;
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
    Ok(())
}
