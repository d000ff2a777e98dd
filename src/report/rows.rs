//! The five columns of a verdict row, with measured figures. Table, markdown and JSON share
//! these texts.

use super::text::{fmt_duration as fmt_ms, plural};
use crate::analyze::Verdict;
use crate::config::Config;
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

/// A row for slow server responses seen from a browser.
pub fn slow_server_row(g: &crate::analyze::browser::SlowEndpoint, cfg: &Config) -> Row {
    let what = if g.documents > 0 {
        "document"
    } else {
        "request"
    };
    let threads = match g.one_at_a_time {
        Some((n, gap)) => format!(
            "Server appears to process one at a time (concurrency ≈ 1): {n} requests sent together, answered {} apart",
            fmt_ms(gap)
        ),
        None => "Not visible from the browser (no server trace)".to_string(),
    };
    let mut blocking = format!(
        "Waits for the server: {} before the first byte",
        fmt_ms(crate::analyze::percentile(&g.waits, 50.0))
    );
    if !g.server_timing.is_empty() {
        let parts: Vec<String> = g
            .server_timing
            .iter()
            .take(4)
            .map(|(n, d)| format!("{n} {}", fmt_ms(*d)))
            .collect();
        blocking.push_str(&format!("; Server-Timing: {}", parts.join(", ")));
    }
    let threshold = if g.documents > 0 {
        "600 ms (DevTools' document rule)".to_string()
    } else {
        fmt_ms(cfg.slow)
    };
    Row {
        pattern: format!(
            "Slow server response — {} ({} {what}{})",
            g.endpoint,
            g.requests,
            if g.requests == 1 { "" } else { "s" }
        ),
        server_threads: threads,
        blocking_behavior: blocking,
        response_time_impact: format!(
            "server wait p50 {}, max {} (over {threshold})",
            fmt_ms(crate::analyze::percentile(&g.waits, 50.0)),
            fmt_ms(g.waits.last().copied().unwrap_or(0))
        ),
        verdict: verdict_label(Verdict::Bad).into(),
    }
}

/// A row for long tasks on one renderer main thread.
pub fn long_tasks_row(m: &crate::analyze::browser::MainThreadOut, heaviest: Option<&str>) -> Row {
    let longest = m.longest_ms.unwrap_or(0.0);
    let mut blocking = format!(
        "Blocks the main thread's event loop: {} over 50 ms, longest {}",
        plural(m.long_tasks, "task", "tasks"),
        fmt_ms((longest * 1e6) as i64)
    );
    if let Some(h) = heaviest {
        blocking.push_str(&format!("; heaviest work: {h}"));
    }
    Row {
        pattern: format!(
            "Main-thread long tasks — renderer {}:{} ({} tasks)",
            m.pid, m.tid, m.run_tasks
        ),
        server_threads: "Browser main thread (one event loop for the page)".into(),
        blocking_behavior: blocking,
        response_time_impact: format!(
            "blocking time {} of {} in long tasks: input and rendering wait",
            fmt_ms((m.blocking_ms * 1e6) as i64),
            fmt_ms((m.long_task_total_ms * 1e6) as i64)
        ),
        verdict: verdict_label(Verdict::Bad).into(),
    }
}
