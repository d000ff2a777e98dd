//! The report: judgements turned into the report model ([`Report`], what JSON serializes) and
//! its renderers (table, Markdown, JSON). This is the only module that words anything for
//! people; it decides nothing.

mod build;
mod markdown;
mod rows;
mod runtime;
mod schema;
mod server;
mod table;
pub mod text;

#[cfg(test)]
mod tests;

use crate::analyze::{Pattern, Unit, Verdict, fmt_ms, ms};
use crate::config::{Config, OutputFormat};
use std::io::{self, Write};

pub use rows::Row;
pub use schema::*;

impl Report {
    fn add_browser(
        &mut self,
        path: &str,
        b: &crate::analyze::browser::BrowserFindings,
        cfg: &Config,
    ) {
        for g in &b.slow {
            let waits = &g.waits;
            self.advice.push(format!(
                "{}: the server took {} before the first byte; look at what it does before responding (a server-side trace of it, analyzed here too, shows where the time goes).",
                g.endpoint,
                fmt_ms(crate::analyze::percentile(waits, 50.0))
            ));
            self.verdicts.push(VerdictOut {
                input: path.to_string(),
                endpoint: g.endpoint.clone(),
                pattern: Pattern::SlowServerResponse,
                verdict: Verdict::Bad,
                unit: Unit::Requests,
                count: g.requests,
                requests: Some(g.requests),
                p50_ms: ms(crate::analyze::percentile(waits, 50.0)),
                p95_ms: ms(crate::analyze::percentile(waits, 95.0)),
                max_ms: ms(waits.last().copied().unwrap_or(0)),
                slow_requests: g.requests,
                heavy_ms_p50: 0.0,
                wait_ms_p50: ms(crate::analyze::percentile(waits, 50.0)),
                max_poll_ms: None,
                stalls: 0,
                longest_stall_ms: 0.0,
                victims: build::row_victims(Unit::Requests, 0, 0.0),
                event_loop_threads: 0,
                blocking_threads: 0,
                impact: None,
                row: rows::slow_server_row(g, cfg),
                evidence: vec![format!(
                    "server wait = first response byte - request sent, from the browser's resource timing (DevTools' formula); {} of {} requests to this endpoint over the threshold",
                    g.requests, g.requests
                )],
                advice: self.advice.last().cloned(),
                joined: None,
            });
        }
        for m in b.main_threads.iter().filter(|m| m.long_tasks > 0) {
            let heaviest = b
                .long_tasks
                .iter()
                .filter(|t| t.pid == m.pid && t.tid == m.tid && !t.legacy)
                .max_by(|x, y| x.duration_ms.total_cmp(&y.duration_ms))
                .and_then(|t| t.heaviest.clone());
            let advice = format!(
                "renderer {}:{}: split the long tasks (yield to the event loop, move work to a worker){}.",
                m.pid,
                m.tid,
                heaviest
                    .as_deref()
                    .map(|h| format!("; the longest is mostly {h}"))
                    .unwrap_or_default()
            );
            self.advice.push(advice.clone());
            self.verdicts.push(VerdictOut {
                input: path.to_string(),
                endpoint: format!("renderer {}:{}", m.pid, m.tid),
                pattern: Pattern::MainThreadLongTasks,
                verdict: Verdict::Bad,
                unit: Unit::LongTasks,
                count: m.long_tasks,
                requests: None,
                p50_ms: 0.0,
                p95_ms: 0.0,
                max_ms: m.longest_ms.unwrap_or(0.0),
                slow_requests: 0,
                heavy_ms_p50: 0.0,
                wait_ms_p50: 0.0,
                max_poll_ms: m.longest_ms,
                stalls: m.long_tasks,
                longest_stall_ms: m.longest_ms.unwrap_or(0.0),
                victims: build::row_victims(Unit::Requests, 0, 0.0),
                event_loop_threads: 1,
                blocking_threads: 0,
                impact: None,
                row: rows::long_tasks_row(m, heaviest.as_deref()),
                evidence: vec![format!(
                    "{} RunTask over 50 ms of {} on this CrRendererMain thread (DevTools' long-task rule); total {:.1} ms, blocking time {:.1} ms",
                    m.long_tasks, m.run_tasks, m.long_task_total_ms, m.blocking_ms
                )],
                advice: Some(advice),
                joined: None,
            });
        }
        if b.main_threads.iter().any(|m| m.legacy_long_tasks > 0) {
            let n: usize = b.main_threads.iter().map(|m| m.legacy_long_tasks).sum();
            self.notes.push(format!(
                "{path}: {n} long tasks under pre-2019 task names (MessageLoop::RunTask, ThreadControllerImpl::RunTask, ...) are listed in long_tasks with legacy=true; DevTools does not count them"
            ));
        }
        self.navigations.extend(b.navigations.iter().cloned());
        self.network.extend(b.network.iter().cloned());
        self.long_tasks.extend(b.long_tasks.iter().cloned());
        self.main_threads.extend(b.main_threads.iter().cloned());
    }

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
            OutputFormat::Markdown => markdown::render(self, out),
        }
    }
}
