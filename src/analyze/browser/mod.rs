//! Detectors for browser traces: slow server responses seen from the browser, long tasks on
//! renderer main threads, and LCP per navigation. Pure functions over [`Trace`]'s network
//! requests and [`BrowserData`](crate::model::BrowserData); every figure is computed the way
//! Chrome DevTools computes it (checked against DevTools' engine on the shared corpus by
//! `tests/integration/chrome_corpus.rs`).
//!
//! Figures stay in [`Ns`]; `report::browser` rounds them and writes the words. The verdicts
//! (a slow response, long tasks on a main thread) are decided here, in [`judgements`].

use super::{Detail, Judgement, Pattern, Unit, Verdict, percentile};
use crate::config::Config;
use crate::model::{HeaviestWork, NetworkRequest, Ns, Trace};

mod navigation;
mod network;
mod tasks;
#[cfg(test)]
mod tests;

pub use navigation::{LcpPhases, NavigationFacts};
pub use network::{DOCUMENT_SLOW_MS, SerialResponses, SlowEndpoint, endpoint};
pub use tasks::{LongTask, MainThreadFigures, is_long, legacy_long_tasks_of, long_tasks_of};

/// Everything found in a browser trace, in [`Ns`].
#[derive(Debug, Clone, Default)]
pub struct BrowserFindings {
    pub navigations: Vec<NavigationFacts>,
    /// Every request the browser made, as read.
    pub network: Vec<NetworkRequest>,
    /// Every long task of every renderer main thread: per thread, `RunTask`s first, then the
    /// legacy ones.
    pub long_tasks: Vec<LongTask>,
    pub main_threads: Vec<MainThreadFigures>,
    pub slow: Vec<SlowEndpoint>,
}

impl BrowserFindings {
    pub fn is_empty(&self) -> bool {
        self.network.is_empty() && self.main_threads.is_empty()
    }

    /// Long tasks under pre-2019 task names, over every main thread.
    pub fn legacy_long_tasks(&self) -> usize {
        self.main_threads.iter().map(|m| m.legacy_long_tasks).sum()
    }
}

/// Which rule made a response slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowRule {
    /// DevTools' DocumentLatency rule (a main document over 600 ms).
    Document,
    /// `--slow`: a request waiting at least this long.
    Slow(Ns),
}

/// Slow server responses to one endpoint, seen from the browser.
#[derive(Debug, Clone)]
pub struct SlowResponse {
    pub endpoint: String,
    pub requests: usize,
    pub documents: usize,
    pub rule: SlowRule,
    pub p50: Ns,
    pub p95: Ns,
    pub max: Ns,
    /// `Server-Timing` entries of the slow responses, in order.
    pub server_timing: Vec<(String, Ns)>,
    /// Answered one at a time: (requests in the batch, time per request).
    pub one_at_a_time: Option<(usize, Ns)>,
    pub evidence: BrowserEvidence,
}

/// Long tasks on one renderer main thread.
#[derive(Debug, Clone)]
pub struct LongTasks {
    pub pid: String,
    pub tid: String,
    pub run_tasks: u64,
    pub long_tasks: usize,
    pub longest: Ns,
    pub total: Ns,
    pub blocking: Ns,
    /// The heaviest work inside the longest task, when the trace says.
    pub heaviest: Option<HeaviestWork>,
    pub evidence: BrowserEvidence,
}

/// Why a browser verdict was reached, as facts; `report` words them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserEvidence {
    /// Server wait (first response byte - request sent, the browser's resource timing) over the
    /// threshold for `over` of the `of` requests to the endpoint.
    ServerWaitOverThreshold { over: usize, of: usize },
    /// `long` of `run_tasks` top-level tasks over 50 ms on a renderer main thread.
    TasksOverLongTaskRule {
        long: usize,
        run_tasks: u64,
        total: Ns,
        blocking: Ns,
    },
}

pub fn analyze(trace: &Trace, cfg: &Config) -> BrowserFindings {
    BrowserFindings {
        navigations: trace
            .browser
            .navigations
            .iter()
            .filter(|n| n.main_frame)
            .map(|n| navigation::navigation(trace, n))
            .collect(),
        network: trace.network.clone(),
        long_tasks: tasks::long_tasks(trace),
        main_threads: tasks::main_threads(trace),
        slow: network::slow_endpoints(trace, cfg),
    }
}

/// The verdict rows, slow endpoints first, then main threads: every group of slow responses is
/// Bad (the server made the page wait), and so is every renderer main thread with a long task
/// (input and rendering waited).
pub fn judgements(f: &BrowserFindings, cfg: &Config) -> Vec<Judgement> {
    let mut out = Vec::new();
    for g in &f.slow {
        out.push(Judgement {
            subject: g.endpoint.clone(),
            pattern: Pattern::SlowServerResponse,
            verdict: Verdict::Bad,
            unit: Unit::Requests,
            count: g.requests,
            detail: Detail::SlowResponse(Box::new(SlowResponse {
                endpoint: g.endpoint.clone(),
                requests: g.requests,
                documents: g.documents,
                rule: if g.documents > 0 {
                    SlowRule::Document
                } else {
                    SlowRule::Slow(cfg.slow)
                },
                p50: percentile(&g.waits, 50.0),
                p95: percentile(&g.waits, 95.0),
                max: g.waits.last().copied().unwrap_or(0),
                server_timing: g.server_timing.clone(),
                one_at_a_time: g.serial.as_ref().map(|s| (s.requests, s.processing)),
                evidence: BrowserEvidence::ServerWaitOverThreshold {
                    over: g.requests,
                    of: g.requests,
                },
            })),
        });
    }
    for m in f.main_threads.iter().filter(|m| m.long_tasks > 0) {
        let heaviest = f
            .long_tasks
            .iter()
            .filter(|t| t.pid == m.pid && t.tid == m.tid && !t.legacy)
            .max_by_key(|t| t.stall.duration())
            .and_then(|t| t.work.heaviest.clone());
        out.push(Judgement {
            subject: format!("renderer {}:{}", m.pid, m.tid),
            pattern: Pattern::MainThreadLongTasks,
            verdict: Verdict::Bad,
            unit: Unit::LongTasks,
            count: m.long_tasks,
            detail: Detail::LongTasks(Box::new(LongTasks {
                pid: m.pid.clone(),
                tid: m.tid.clone(),
                run_tasks: m.run_tasks,
                long_tasks: m.long_tasks,
                longest: m.longest.unwrap_or(0),
                total: m.long_task_total,
                blocking: m.blocking,
                heaviest,
                evidence: BrowserEvidence::TasksOverLongTaskRule {
                    long: m.long_tasks,
                    run_tasks: m.run_tasks,
                    total: m.long_task_total,
                    blocking: m.blocking,
                },
            })),
        });
    }
    out
}
