//! The report: judgements turned into the report model ([`Report`], what JSON serializes) and
//! its renderers (table, Markdown, JSON). This is the only module that words anything for
//! people; it decides nothing.

pub mod browser;
mod build;
pub mod diff;
pub mod html;
mod markdown;
mod page;
mod rows;
mod runtime;
mod schema;
mod server;
mod table;
pub mod text;
pub mod timeline;

#[cfg(test)]
mod tests;

use crate::analyze::Verdict;
use crate::config::{Config, OutputFormat};
use std::io::{self, Write};

pub use rows::Row;
pub use schema::*;

impl Report {
    /// The most severe verdict level present.
    pub fn worst(&self) -> Option<Verdict> {
        self.verdicts
            .iter()
            .map(|v| v.verdict)
            .filter(|l| *l != Verdict::Unknown)
            .min()
    }

    pub fn render(&self, cfg: &Config, out: &mut dyn Write) -> io::Result<()> {
        match cfg.format {
            OutputFormat::Json => {
                serde_json::to_writer_pretty(&mut *out, self)?;
                writeln!(out)
            }
            OutputFormat::Table => table::render(self, cfg, out),
            OutputFormat::Markdown => markdown::render(self, cfg, out),
            // From the report alone: its text, no charts (`html::render` with the series of
            // each trace draws them; `crate::run` does).
            OutputFormat::Html => html::render(self, &[], cfg, out),
        }
    }
}
