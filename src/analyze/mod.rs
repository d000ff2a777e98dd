//! Detectors. Pure functions over the [`Trace`] model: no I/O, no printing.
//!
//! Order of work for one trace:
//!
//! 1. thread roles from behaviour ([`threads`]);
//! 2. requests and what their time went into ([`requests`]);
//! 3. per (endpoint, kind of work) group: where the heavy work ran (thread roles, a child busy
//!    while its request was idle, or, failing both, its effect on concurrent requests), hence
//!    the pattern and verdict;
//! 4. stalls (exact from polls on event-loop threads, else inferred), episodes and collateral
//!    ([`stalls`]).

pub mod browser;
pub mod join;
pub mod requests;
pub mod runtime;
pub mod stalls;
pub mod threads;

use crate::config::Config;
use crate::model::{Execution, Ns, SpanIdx, ThreadIdx, ThreadRole, Trace};
use requests::{Location, Request, WorkKind, merge};
use serde::Serialize;
use stalls::{Collateral, Episode, Stall};
use std::collections::HashMap;
use std::sync::Arc;
use threads::ThreadInfo;

/// The verdict patterns (rows of the table in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    SyncIo,
    AsyncIo,
    AsyncCpu,
    SyncCpu,
    /// An async handler making a blocking I/O call on the event loop.
    AsyncBlockingIo,
    /// Seen from a browser: the server took long to send the first byte.
    SlowServerResponse,
    /// Seen from a browser: tasks over 50 ms on a renderer main thread.
    MainThreadLongTasks,
    Unknown,
}

impl Pattern {
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::SyncIo => "sync-io",
            Pattern::AsyncIo => "async-io",
            Pattern::AsyncCpu => "async-cpu",
            Pattern::SyncCpu => "sync-cpu",
            Pattern::AsyncBlockingIo => "async-blocking-io",
            Pattern::SlowServerResponse => "slow-server-response",
            Pattern::MainThreadLongTasks => "main-thread-long-tasks",
            Pattern::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Bad,
    Ok,
    Good,
    Unknown,
}

/// How concurrent, non-heavy requests fared while a group's heavy work ran.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Impact {
    /// Lighter requests (of any other group) that started while the heavy work ran.
    pub observers: usize,
    /// How much longer they took, on average, than the median of their endpoint's requests
    /// that started outside the heavy work.
    pub delay_ms: f64,
    /// Their mean extra time over the typical heavy poll: a sizeable fraction when what was
    /// queued waited for the work, about 0 when nothing did.
    pub stretch: f64,
    /// The stretch's two-standard-error band: how sure the figure is.
    pub stretch_low: f64,
    pub stretch_high: f64,
}

/// One row: an endpoint whose requests share a kind of work.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub endpoint: String,
    pub kind: WorkKind,
    pub pattern: Pattern,
    pub level: Level,
    pub requests: Vec<usize>,
    /// Sorted durations of the requests.
    pub durations: Vec<Ns>,
    pub slow: usize,
    pub loop_threads: usize,
    pub blocking_threads: usize,
    pub threads_known: bool,
    pub location_by: LocationBy,
    /// Median per request of the heavy work (CPU or blocking I/O) and of awaited time.
    pub heavy_p50: Ns,
    pub wait_p50: Ns,
    pub heavy_name: Option<String>,
    pub max_poll: Option<Ns>,
    pub impact: Option<Impact>,
    pub stalls: usize,
    pub longest_stall: Ns,
    pub delayed_others: usize,
    pub max_delay: Ns,
    /// This group's own requests that stall episodes (of any endpoint) delayed.
    pub victims_here: usize,
    pub evidence: Vec<String>,
}

/// What settled where the work ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationBy {
    Threads,
    ChildWhileIdle,
    Impact,
    NotNeeded,
    Unsettled,
}

impl Verdict {
    pub fn percentile(&self, p: f64) -> Ns {
        percentile(&self.durations, p)
    }
}

/// Nearest-rank percentile of sorted values (p in 0..=100).
pub fn percentile(sorted: &[Ns], p: f64) -> Ns {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// An endpoint with nothing heavy to judge.
#[derive(Debug, Clone, Serialize)]
pub struct FastEndpoint {
    pub endpoint: String,
    pub requests: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// Everything found in one trace.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub threads: Vec<ThreadInfo>,
    pub requests: Vec<Request>,
    pub verdicts: Vec<Verdict>,
    pub fast: Vec<FastEndpoint>,
    pub stalls: Vec<Stall>,
    pub episodes: Vec<Episode>,
    pub collateral: Collateral,
    pub stall_threshold: Ns,
    pub notes: Vec<String>,
    pub browser: browser::BrowserFindings,
    pub console: runtime::RuntimeFindings,
}

/// An execution long enough to be a stall, kept while the trace is read.
#[derive(Debug, Clone)]
pub struct LongExec {
    pub thread: Option<ThreadIdx>,
    pub start: Ns,
    pub end: Ns,
    pub request: Option<usize>,
    /// Name of the tree's root span, for stalls outside any request.
    pub culprit: Arc<str>,
}

/// Collects what the detectors need from each span tree as it finishes, so that a trace is
/// read in one pass and only compact per-request records are kept. It is a
/// [`TreeSink`](crate::model::TreeSink) for streaming readers; [`Collector::finish`] takes the
/// finished trace (with whatever trees are still in it) and runs the detectors.
#[derive(Debug)]
pub struct Collector<'c> {
    cfg: &'c Config,
    requests: Vec<Request>,
    long_execs: Vec<LongExec>,
    names: requests::Names,
    has_execs: bool,
    has_thread_execs: bool,
    spans_seen: u64,
    keep_executions: bool,
}

impl crate::model::TreeSink for Collector<'_> {
    fn tree(&mut self, trace: &Trace, tree: crate::model::Tree<'_>) {
        self.add_tree(trace, tree.members, tree.executions);
    }

    fn task_retention(&self) -> Option<crate::model::Retention> {
        Some(runtime::retention(self.cfg))
    }
}

impl<'c> Collector<'c> {
    pub fn new(cfg: &'c Config) -> Self {
        Collector {
            cfg,
            requests: Vec::new(),
            long_execs: Vec::new(),
            names: requests::Names::default(),
            has_execs: false,
            has_thread_execs: false,
            spans_seen: 0,
            keep_executions: false,
        }
    }

    /// Keeps every request's executions ([`Request::executions`]), or when the trace has none,
    /// its spans ([`Request::spans`]), for a join.
    pub fn keep_executions(mut self) -> Self {
        self.keep_executions = true;
        self
    }

    fn add_tree(&mut self, trace: &Trace, members: &[SpanIdx], executions: &[Execution]) {
        self.spans_seen += members.len() as u64;
        self.has_execs |= !executions.is_empty();
        self.has_thread_execs |= executions.iter().any(|e| e.thread.is_some());
        let found =
            requests::requests_in_tree(trace, members, executions, self.cfg, &mut self.names);
        let first = self.requests.len();
        let spans: Vec<SpanIdx> = found.iter().map(|(s, _)| *s).collect();
        self.requests.extend(found.into_iter().map(|(_, r)| r));
        let threshold = self.cfg.stall_threshold();
        let keep = self.keep_executions;
        let request_of = |s: SpanIdx| {
            let mut cur = Some(s);
            for _ in 0..crate::model::MAX_DEPTH {
                let c = cur?;
                if let Some(k) = spans.iter().position(|s| *s == c) {
                    return Some(first + k);
                }
                cur = trace.span(c).parent;
            }
            None
        };
        if keep && executions.is_empty() {
            // No polls recorded: the spans of each request stand in for them in a join.
            for &m in members {
                if let Some(r) = request_of(m).and_then(|k| self.requests.get_mut(k)) {
                    let s = trace.span(m);
                    r.spans.push((s.start, s.end, s.busy));
                }
            }
        }
        for e in executions
            .iter()
            .filter(|e| keep || e.duration() >= threshold)
        {
            // The request this execution belongs to: the nearest request span above its span.
            let request = request_of(e.span);
            if keep {
                if let Some(r) = request.and_then(|k| self.requests.get_mut(k)) {
                    r.executions.push((e.start, e.end));
                }
                if e.duration() < threshold {
                    continue;
                }
            }
            let root = trace.root_of(e.span);
            self.long_execs.push(LongExec {
                thread: e.thread,
                start: e.start,
                end: e.end,
                request,
                culprit: self.names.get(trace.name(trace.span(root))),
            });
        }
    }

    /// Runs the detectors. `trace` is the finished trace: trees still in it (all of them when
    /// nothing was streamed) are measured here; records taken earlier are rebased onto its
    /// time line.
    pub fn finish(mut self, trace: &Trace) -> Analysis {
        let by = trace.rebased_by;
        for r in &mut self.requests {
            r.rebase(by);
        }
        for e in &mut self.long_execs {
            e.start -= by;
            e.end -= by;
        }
        let mut trees: HashMap<SpanIdx, (Vec<SpanIdx>, Vec<Execution>)> = HashMap::new();
        for i in 0..trace.spans.len() {
            let idx = SpanIdx(i as u32);
            trees.entry(trace.root_of(idx)).or_default().0.push(idx);
        }
        for e in &trace.executions {
            trees.entry(trace.root_of(e.span)).or_default().1.push(*e);
        }
        let mut roots: Vec<SpanIdx> = trees.keys().copied().collect();
        roots.sort_unstable();
        for root in roots {
            if let Some((members, execs)) = trees.remove(&root) {
                self.add_tree(trace, &members, &execs);
            }
        }
        self.run(trace)
    }
}

/// Analyzes one trace held whole in memory.
pub fn analyze(trace: &Trace, cfg: &Config) -> Analysis {
    Collector::new(cfg).finish(trace)
}

impl Collector<'_> {
    fn run(self, trace: &Trace) -> Analysis {
        let cfg = self.cfg;
        let stall_threshold = cfg.stall_threshold();
        let threads = threads::infer_roles(trace);
        let mut requests = self.requests;
        for r in &mut requests {
            r.location = r.locate(&threads).0;
        }
        let long_execs = self.long_execs;
        let mut notes = Vec::new();
        let (has_execs, has_thread_execs) = (self.has_execs, self.has_thread_execs);
        let browser_trace = trace.browser.is_browser
            || !trace.network.is_empty()
            || !trace.browser.main_threads.is_empty()
            || !trace.tasks.is_empty();
        if requests.is_empty() && self.spans_seen > 0 && !browser_trace {
            notes.push(format!(
            "no request spans found among {} spans: request spans are root spans with HTTP fields (method, route, uri, path, status, http.route, ...); name yours with --request-span NAME",
            self.spans_seen
        ));
        }
        if !has_execs && !requests.is_empty() {
            notes.push("no ENTER/EXIT span events: single polls cannot be seen, stalls are inferred from time.busy (record with FmtSpan::FULL or ACTIVE to measure them)".into());
        } else if has_execs && !has_thread_execs && !requests.is_empty() {
            notes.push("no thread ids: which thread ran a poll is unknown (record with .with_thread_ids(true) to settle it)".into());
        }

        // Heavy work of all requests, and the healthy baseline of every endpoint.

        // Group by (endpoint, kind).
        let mut order: Vec<(Arc<str>, WorkKind)> = Vec::new();
        let mut groups: HashMap<(Arc<str>, WorkKind), Vec<usize>> = HashMap::new();
        for (i, r) in requests.iter().enumerate() {
            let key = (r.endpoint.clone(), r.kind);
            if !groups.contains_key(&key) {
                order.push(key.clone());
            }
            groups.entry(key).or_default().push(i);
        }
        let mut verdicts = Vec::new();
        let mut fast = Vec::new();
        for key in order {
            let members = &groups[&key];
            let mut durations: Vec<Ns> = members.iter().map(|&i| requests[i].duration()).collect();
            durations.sort_unstable();
            if key.1 == WorkKind::Light {
                fast.push(FastEndpoint {
                    endpoint: key.0.to_string(),
                    requests: members.len(),
                    p50_ms: ms(percentile(&durations, 50.0)),
                    p95_ms: ms(percentile(&durations, 95.0)),
                });
                continue;
            }
            verdicts.push(judge(
                &key.0, key.1, members, durations, &requests, &threads, cfg,
            ));
        }

        // Stalls: exact from polls on event-loop threads; otherwise inferred for groups judged to
        // run their heavy work on the event loop.
        let mut stall_list = Vec::new();
        let role_of =
            |t: Option<ThreadIdx>| t.and_then(|t| threads.get(t.0 as usize)).map(|i| i.role);
        for e in &long_execs {
            // Browser slices are judged by the browser rules (long tasks), not as runtime polls.
            if trace.browser.is_browser || role_of(e.thread) != Some(ThreadRole::EventLoop) {
                continue;
            }
            stall_list.push(Stall {
                thread: e.thread,
                start: e.start,
                end: e.end,
                request: e.request,
                culprit: e.request.map_or_else(
                    || e.culprit.to_string(),
                    |i| requests[i].endpoint.to_string(),
                ),
                inferred: false,
                reason: None,
                delayed_requests: 0,
            });
        }
        for v in &verdicts {
            if !matches!(v.pattern, Pattern::AsyncCpu | Pattern::AsyncBlockingIo) || v.threads_known
            {
                continue;
            }
            for &ri in &v.requests {
                let r = &requests[ri];
                let (sections, reason): (Vec<(Ns, Ns)>, String) = if has_execs {
                    let polls: Vec<(Ns, Ns)> = long_execs
                        .iter()
                        .filter(|e| e.thread.is_none() && e.request == Some(ri))
                        .map(|e| (e.start, e.end))
                        .collect();
                    (merge(polls), "no thread ids: a measured poll, placed on the event loop because this endpoint's work delays concurrent requests".into())
                } else {
                    (
                        r.heavy
                            .iter()
                            .copied()
                            .filter(|(s, e)| e - s >= stall_threshold)
                            .collect(),
                        format!(
                            "no ENTER/EXIT events: from the busy time of {} (busy through its whole life)",
                            r.heavy_name.as_deref().unwrap_or("the request span")
                        ),
                    )
                };
                for (s, e) in sections {
                    stall_list.push(Stall {
                        thread: None,
                        start: s,
                        end: e,
                        request: Some(ri),
                        culprit: r.endpoint.to_string(),
                        inferred: true,
                        reason: Some(reason.clone()),
                        delayed_requests: 0,
                    });
                }
            }
        }
        let workers = threads
            .iter()
            .filter(|t| t.role == ThreadRole::EventLoop)
            .count();
        let (episodes, collateral) = stalls::episodes(&mut stall_list, &requests, workers);
        let mut group_of: Vec<Option<usize>> = vec![None; requests.len()];
        for (gi, v) in verdicts.iter().enumerate() {
            for &ri in &v.requests {
                group_of[ri] = Some(gi);
            }
        }
        let mut own_stalls: Vec<Vec<&Stall>> = vec![Vec::new(); verdicts.len()];
        for s in &stall_list {
            if let Some(g) = s.request.and_then(|r| group_of[r]) {
                own_stalls[g].push(s);
            }
        }
        for (v, own) in verdicts.iter_mut().zip(&own_stalls) {
            v.stalls = own.len();
            v.longest_stall = own.iter().map(|s| s.duration()).max().unwrap_or(0);
            // Victims: requests delayed in episodes, overlapping one of this group's stalls.
            let windows = merge(own.iter().map(|s| (s.start, s.end)).collect());
            let mut victims = 0;
            let mut max_delay = 0;
            for (ri, delay) in &collateral.victims {
                let r = &requests[*ri];
                if requests::overlap(&windows, r.start, r.end) > 0 {
                    victims += 1;
                    max_delay = max_delay.max(*delay);
                }
            }
            v.delayed_others = victims;
            v.max_delay = max_delay;
            v.victims_here = v
                .requests
                .iter()
                .filter(|r| collateral.victims.contains_key(r))
                .count();
            if v.victims_here > 0 {
                v.evidence.push(format!(
                "{} of its requests were in flight during event-loop stalls and took longer than its healthy median",
                v.victims_here
            ));
            }
            if v.stalls > 0 {
                let inferred = own.iter().filter(|s| s.inferred).count();
                v.evidence.push(format!(
                    "{} ≥ {} on event-loop threads{}, longest {}",
                    if v.stalls == 1 {
                        "1 poll".to_string()
                    } else {
                        format!("{} polls", v.stalls)
                    },
                    fmt_ms(stall_threshold),
                    if inferred > 0 {
                        format!(" ({inferred} inferred)")
                    } else {
                        String::new()
                    },
                    fmt_ms(v.longest_stall)
                ));
            }
            if victims > 0 {
                v.evidence.push(format!(
                "{victims} other requests in flight during its stalls took longer than their endpoint's healthy median, by up to {}",
                fmt_ms(max_delay)
            ));
            }
        }
        if !collateral.no_baseline.is_empty() {
            notes.push(format!(
            "no healthy baseline (every request overlapped a stall) for {}: their delay is not counted",
            collateral.no_baseline.join(", ")
        ));
        }
        verdicts.sort_by(|a, b| {
            a.level
                .cmp(&b.level)
                .then(b.percentile(95.0).cmp(&a.percentile(95.0)))
                .then(a.endpoint.cmp(&b.endpoint))
        });
        Analysis {
            threads,
            requests,
            verdicts,
            fast,
            stalls: stall_list,
            episodes,
            collateral,
            stall_threshold,
            notes,
            browser: browser::analyze(trace, cfg),
            console: runtime::analyze(trace, cfg),
        }
    }
}

pub fn ms(ns: Ns) -> f64 {
    (ns as f64 / 1e4).round() / 100.0
}

/// `12.3 ms`, `1.52 s`, `850 µs`.
pub fn fmt_ms(ns: Ns) -> String {
    let v = ns as f64;
    if v >= 1e9 {
        format!("{:.2} s", v / 1e9)
    } else if v >= 10e6 {
        format!("{:.0} ms", v / 1e6)
    } else if v >= 1e6 {
        format!("{:.1} ms", v / 1e6)
    } else {
        format!("{:.0} µs", v / 1e3)
    }
}

fn median(mut v: Vec<Ns>) -> Ns {
    v.sort_unstable();
    percentile(&v, 50.0)
}

/// Effect of a group's heavy work on the other requests.
///
/// Requests are split by whether they *started* inside one of the group's heavy sections
/// (selection on start time, not on overlap: a longer request overlaps more by chance, which
/// would bias the comparison). Each request that started inside is compared with the median of
/// its endpoint's requests that started outside:
///
/// ```text
/// heavy:        [── 100 ms ──][── 100 ms ──]
/// started in:        [req ··· waited ··· ]          extra = its duration - baseline
/// started out:  [req]                       [req]   baseline: median of these
/// ```
///
/// A blocked event loop makes what is queued behind a poll wait up to the length of that poll;
/// work on its own thread makes nobody wait (CPU contention aside). So the mean extra time is
/// set against the typical heavy poll (`section_len`): the *stretch*. Means, not medians: with
/// one of two workers blocked only some requests wait, and the median extra is then 0.
/// The decision also asks whether the mean is clearly above noise (see [`judge`]).
fn impact(
    sections: &[(Ns, Ns)],
    members: &[usize],
    requests: &[Request],
    section_len: Ns,
) -> Impact {
    let inside = |t: Ns| {
        let i = sections.partition_point(|s| s.1 <= t);
        sections.get(i).is_some_and(|s| s.0 <= t)
    };
    let mut member = vec![false; requests.len()];
    for &m in members {
        member[m] = true;
    }
    let mut by: HashMap<&str, (Vec<Ns>, Vec<Ns>)> = HashMap::new();
    for (i, r) in requests.iter().enumerate() {
        if member[i] || !r.heavy.is_empty() || r.cut_off {
            continue;
        }
        let e = by.entry(&r.endpoint).or_default();
        if inside(r.start) {
            e.0.push(r.duration());
        } else {
            e.1.push(r.duration());
        }
    }
    let mut extras: Vec<f64> = Vec::new();
    for (_, (ins, outs)) in by {
        if ins.is_empty() || outs.len() < 3 {
            continue;
        }
        let base = median(outs);
        extras.extend(ins.iter().map(|d| (d - base) as f64));
    }
    let n = extras.len();
    if n == 0 {
        return Impact::default();
    }
    let mean = extras.iter().sum::<f64>() / n as f64;
    let var = extras.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n.max(2) - 1) as f64;
    let se = (var / n as f64).sqrt();
    let len = section_len.max(1) as f64;
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Impact {
        observers: n,
        delay_ms: round(mean / 1e6),
        stretch: round(mean / len),
        stretch_low: round((mean - 2.0 * se) / len),
        stretch_high: round((mean + 2.0 * se) / len),
    }
}

/// Minimum observers, and the stretch band: heavy work blocks the event loop when even the low
/// end of the stretch's two-standard-error band is above `STRETCH_BLOCKS` (others clearly waited
/// for it), and runs on its own thread when even the high end is at most `STRETCH_FREE` (nobody
/// waited more than a few percent of a poll). Otherwise the effect is inconclusive.
///
/// Calibrated on the demo server's recordings (sample-traces/README.md): ~100 ms of CPU inline
/// on a 2-worker runtime gives stretches of 0.09 to 0.26 (low ends 0.05 to 0.20), the same CPU on
/// the blocking pool 0.00 (high ends at most 0.01).
const IMPACT_MIN_OBSERVERS: usize = 3;
const STRETCH_BLOCKS: f64 = 0.03;
const STRETCH_FREE: f64 = 0.03;

#[allow(clippy::too_many_arguments)]
fn judge(
    endpoint: &str,
    kind: WorkKind,
    members: &[usize],
    durations: Vec<Ns>,
    requests: &[Request],
    threads: &[ThreadInfo],
    cfg: &Config,
) -> Verdict {
    let rs: Vec<&Request> = members.iter().map(|&i| &requests[i]).collect();
    let mut evidence = Vec::new();
    let n = rs.len();
    let slow = durations.iter().filter(|d| **d >= cfg.slow).count();
    let heavy_p50 = median(
        rs.iter()
            .map(|r| match kind {
                WorkKind::Cpu => r.cpu,
                WorkKind::IoBlocking => r.io_block,
                _ => r.work_busy,
            })
            .collect(),
    );
    let wait_p50 = median(
        rs.iter()
            .map(|r| r.io_wait.max(r.duration() - r.work_busy))
            .collect(),
    );
    let max_poll = rs.iter().filter_map(|r| r.max_poll).max();
    let heavy_name = rs.iter().find_map(|r| r.heavy_name.clone());
    // Threads that ran the heavy work.
    let mut loop_threads = Vec::new();
    let mut blocking_threads = Vec::new();
    for r in &rs {
        for t in r.heavy_threads() {
            let t = &t;
            match threads.get(t.0 as usize).map(|i| i.role) {
                Some(ThreadRole::EventLoop) if !loop_threads.contains(t) => loop_threads.push(*t),
                Some(ThreadRole::Blocking) if !blocking_threads.contains(t) => {
                    blocking_threads.push(*t)
                }
                _ => {}
            }
        }
    }
    let threads_known = rs.iter().any(|r| r.heavy_threads().next().is_some())
        && threads.iter().any(|t| t.role != ThreadRole::Unknown);

    if let Some(ev) = rs.iter().find_map(|r| r.io_evidence.clone()) {
        evidence.push(format!("I/O call: {ev}"));
    }
    match kind {
        WorkKind::IoWait => evidence.push(format!(
            "awaits (idle) {} per request, busy {} (medians)",
            fmt_ms(wait_p50),
            fmt_ms(median(rs.iter().map(|r| r.work_busy).collect()))
        )),
        WorkKind::IoBlocking => evidence.push(format!(
            "the I/O call is busy (blocking) {} per request, idle {} (medians): busy is wall time, so the call held its thread",
            fmt_ms(heavy_p50),
            fmt_ms(median(rs.iter().map(|r| r.io_wait).collect()))
        )),
        WorkKind::Cpu => evidence.push(format!(
            "busy outside I/O calls {} per request (median){}",
            fmt_ms(heavy_p50),
            heavy_name.as_deref().map(|h| format!(", in {h}")).unwrap_or_default()
        )),
        WorkKind::Light => {}
        WorkKind::Unmeasured => evidence.push(
            "the trace records only when spans were created and closed (e.g. tracing-chrome's async style): with no busy or idle time, computation cannot be told from waiting; record with tracing-chrome's threaded style, or tracing-subscriber with FmtSpan::CLOSE or FULL".into(),
        ),
    }

    // Where did the heavy work run?
    let mut location = Location::Unknown;
    let mut location_by = LocationBy::Unsettled;
    let mut imp = None;
    if kind == WorkKind::IoWait {
        location_by = LocationBy::NotNeeded;
        if let Some(p) = max_poll {
            evidence.push(format!(
                "longest poll {}: it yields while it waits",
                fmt_ms(p)
            ));
        }
    } else {
        let off = rs
            .iter()
            .filter(|r| r.location == Location::Offloaded)
            .count();
        let on = rs
            .iter()
            .filter(|r| r.location == Location::EventLoop)
            .count();
        if off + on > 0 {
            let first = rs
                .iter()
                .find_map(|r| r.locate(threads).1)
                .unwrap_or_default();
            if off >= on {
                location = Location::Offloaded;
                evidence.push(format!(
                    "ran off the event loop in {off} of {n} requests: e.g. {first}"
                ));
            } else {
                location = Location::EventLoop;
                evidence.push(format!(
                    "ran on the event loop in {on} of {n} requests: e.g. {first}"
                ));
            }
            location_by = if threads_known {
                LocationBy::Threads
            } else {
                LocationBy::ChildWhileIdle
            };
        }
        let sections = merge(rs.iter().flat_map(|r| r.heavy.iter().copied()).collect());
        let i = impact(&sections, members, requests, heavy_p50);
        if i.observers > 0 {
            evidence.push(format!(
                "{} lighter requests started while its work ran and took {:+.1} ms on average vs the median of their endpoint's requests started outside it: stretch {:.2} of a {} poll (±2 SE: {:.2}..{:.2})",
                i.observers, i.delay_ms, i.stretch, fmt_ms(heavy_p50), i.stretch_low, i.stretch_high
            ));
        }
        if location == Location::Unknown {
            if i.observers >= IMPACT_MIN_OBSERVERS && i.stretch_low >= STRETCH_BLOCKS {
                location = Location::EventLoop;
                location_by = LocationBy::Impact;
            } else if i.observers >= IMPACT_MIN_OBSERVERS && i.stretch_high <= STRETCH_FREE {
                location = Location::Offloaded;
                location_by = LocationBy::Impact;
            } else {
                evidence.push(format!(
                    "where the work ran is not settled: {}; record thread ids (.with_thread_ids(true)) and ENTER/EXIT span events (FmtSpan::FULL) to settle it",
                    if i.observers < IMPACT_MIN_OBSERVERS {
                        format!("only {} lighter requests started while it ran, too few to measure its effect on others", i.observers)
                    } else {
                        format!("its effect on concurrent requests (stretch {:.2}) is in between", i.stretch)
                    }
                ));
            }
        }
        imp = Some(i);
    }
    let (pattern, level) = match (kind, location) {
        (WorkKind::IoWait, _) => (Pattern::AsyncIo, Level::Good),
        (WorkKind::IoBlocking, Location::EventLoop) => (Pattern::AsyncBlockingIo, Level::Bad),
        (WorkKind::IoBlocking, Location::Offloaded) => (Pattern::SyncIo, Level::Bad),
        (WorkKind::IoBlocking, Location::Unknown) => (Pattern::Unknown, Level::Bad),
        (WorkKind::Cpu, Location::EventLoop) => (Pattern::AsyncCpu, Level::Bad),
        (WorkKind::Cpu, Location::Offloaded) => (Pattern::SyncCpu, Level::Ok),
        (WorkKind::Cpu, Location::Unknown) | (WorkKind::Light | WorkKind::Unmeasured, _) => {
            (Pattern::Unknown, Level::Unknown)
        }
    };
    Verdict {
        endpoint: endpoint.to_string(),
        kind,
        pattern,
        level,
        requests: members.to_vec(),
        durations,
        slow,
        loop_threads: loop_threads.len(),
        blocking_threads: blocking_threads.len(),
        threads_known,
        location_by,
        heavy_p50,
        wait_p50,
        heavy_name: heavy_name.map(|h| h.to_string()),
        max_poll,
        impact: imp,
        stalls: 0,
        longest_stall: 0,
        delayed_others: 0,
        max_delay: 0,
        victims_here: 0,
        evidence,
    }
}
