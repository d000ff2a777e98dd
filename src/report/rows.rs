//! The five columns of a verdict row, with measured figures. Table, markdown and JSON share
//! these texts.

use crate::analyze::Verdict;
use serde::Serialize;

/// One row of the verdict table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub pattern: String,
    pub server_threads: String,
    pub blocking_behavior: String,
    pub response_time_impact: String,
    pub verdict: String,
}

pub const HEADERS: [&str; 5] = [
    "Pattern",
    "Server Threads Used",
    "Blocking Behavior",
    "Response Time Impact",
    "Verdict",
];

impl Row {
    pub fn cells(&self) -> [&str; 5] {
        [
            &self.pattern,
            &self.server_threads,
            &self.blocking_behavior,
            &self.response_time_impact,
            &self.verdict,
        ]
    }
}

pub fn verdict_label(level: Verdict) -> &'static str {
    match level {
        Verdict::Bad => "[X] Bad",
        Verdict::Good => "[OK] Good",
        Verdict::Ok => "[!] OK",
        Verdict::Unknown => "[?] Unknown",
    }
}
