//! What reading one input counted besides the trace: events used and skipped, and warnings
//! (capped, so a broken file cannot print one per line).

use super::Format;
use serde::Serialize;

/// Per-input counts and warnings.
#[derive(Debug, Clone, Serialize)]
pub struct InputStats {
    pub path: String,
    pub format: Format,
    /// Records read and used (lines, trace events).
    pub events: u64,
    /// Records read and skipped (log lines that are not span events, unknown event kinds...).
    pub skipped: u64,
    pub warnings: Vec<String>,
    pub gzip: bool,
    /// The format records only work that lasted at least this long (asyncio logs only
    /// callbacks over its `slow_callback_duration`): shorter stalls are not in the input.
    #[serde(skip)]
    pub logged_from: Option<crate::model::Ns>,
}

impl InputStats {
    /// Nothing counted yet.
    pub fn new(path: &str, format: Format, gzip: bool) -> Self {
        InputStats {
            path: path.to_string(),
            format,
            events: 0,
            skipped: 0,
            warnings: Vec::new(),
            gzip,
            logged_from: None,
        }
    }

    pub fn warn(&mut self, msg: impl Into<String>) {
        // Keep the list readable: a broken file could otherwise warn once per line.
        const MAX: usize = 20;
        if self.warnings.len() < MAX {
            self.warnings.push(msg.into());
        } else if self.warnings.len() == MAX {
            self.warnings
                .push("further warnings suppressed".to_string());
        }
    }
}
