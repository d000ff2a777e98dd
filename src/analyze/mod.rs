//! Detectors. Pure functions over the [`Trace`] model: no I/O, no printing, no prose. Every
//! conclusion is a typed [`Judgement`] (one per verdict row), a [`Stall`], an [`Episode`] or a
//! [`Note`], with times in nanoseconds; `report` words them.
//!
//! Order of work for one trace:
//!
//! 1. span trees are measured as they close ([`Collector`], a `TreeSink`): requests and what
//!    their time went into ([`requests`]), executions long enough to be stalls;
//! 2. thread roles from behaviour ([`threads`]);
//! 3. per (endpoint, kind of work) group: where the heavy work ran (thread roles, a child busy
//!    while its request was idle, or, failing both, its effect on concurrent requests:
//!    `impact`), hence the pattern and verdict (`judge`);
//! 4. stalls (exact from polls on event-loop threads, else inferred), episodes and victims
//!    ([`stalls`], with the sweep in [`overlap`]);
//! 5. the browser family ([`browser`]: network waits, long tasks, LCP) and the runtime-task
//!    family ([`runtime`]: tokio-console recordings), each from its own part of the model.

pub mod browser;
mod collector;
mod impact;
pub mod join;
mod judge;
pub mod lifecycle;
pub mod mmu;
pub mod overlap;
pub mod page_join;
pub mod python;
pub mod requests;
pub mod route;
pub mod runtime;
pub mod server_model;
pub mod stalls;
pub mod stats;
pub mod threads;
pub mod timing;
pub mod verdict;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod timeline;

pub use collector::{Collector, LongExecution};
pub use stalls::{Episode, Inferred, Stall, StallSource, Victim, Victims};
pub use stats::percentile;
pub use verdict::{
    Detail, FastEndpoint, Impact, Judgement, LocationBy, Note, OtherBehaviour, Pattern, Recorded,
    RootSpans, ServerEvidence, ServerJudgement, Unit, Verdict, WorkersFrom,
};

use crate::config::Config;
use crate::model::{Ns, ThreadIdx, ThreadRole, Trace};
use overlap::merge;
use requests::RequestWork;
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;
use threads::ThreadInfo;

/// Everything found in one trace.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub threads: Vec<ThreadInfo>,
    pub requests: Vec<requests::Request>,
    /// Spans read (every span of every tree, streamed or not).
    pub spans: u64,
    /// The verdict rows, most severe first.
    pub judgements: Vec<Judgement>,
    pub fast: Vec<FastEndpoint>,
    pub stalls: Vec<Stall>,
    pub episodes: Vec<Episode>,
    pub victims: Victims,
    pub stall_threshold: Ns,
    pub notes: Vec<Note>,
    pub browser: browser::BrowserFindings,
    /// Runtime tasks (tokio-console recordings and captures).
    pub runtime: runtime::RuntimeFindings,
    /// A span trace without requests: its root spans per name, most frequent first.
    pub root_spans: Vec<RootSpans>,
    /// Issue 11: the server model a trace of spans without polls shows (ASGI, WSGI, unknown).
    pub server_model: Option<server_model::ServerModel>,
}

/// The groups of requests that are judged one by one, in the order they were first seen: one
/// per endpoint and kind of work. An endpoint's light requests join its largest heavy group;
/// an endpoint with only light ones is fast. The groups of one endpoint then become its one
/// row ([`judge::one_row`]).
type Groups = (
    Vec<(Arc<str>, RequestWork)>,
    HashMap<(Arc<str>, RequestWork), Vec<usize>>,
);

fn group_requests(requests: &[requests::Request]) -> Groups {
    let mut order: Vec<(Arc<str>, RequestWork)> = Vec::new();
    let mut groups: HashMap<(Arc<str>, RequestWork), Vec<usize>> = HashMap::default();
    for (i, r) in requests.iter().enumerate() {
        let key = (r.endpoint.clone(), r.kind);
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(i);
    }
    // Per endpoint, its groups in first-seen order (one pass: thousands of endpoints must not
    // cost endpoints x groups).
    let mut endpoints: Vec<Vec<(Arc<str>, RequestWork)>> = Vec::new();
    let mut endpoint_no: HashMap<Arc<str>, usize> = HashMap::default();
    for k in &order {
        let next = endpoints.len();
        let e = *endpoint_no.entry(k.0.clone()).or_insert(next);
        if e == next {
            endpoints.push(Vec::new());
        }
        endpoints[e].push(k.clone());
    }
    let mut gone: std::collections::HashSet<(Arc<str>, RequestWork)> = Default::default();
    for keys in endpoints {
        let Some(light) = keys.iter().find(|k| k.1 == RequestWork::Light) else {
            continue;
        };
        // The largest heavy group (the first among equals) takes the light requests in.
        let Some(target) = keys
            .iter()
            .filter(|k| k.1 != RequestWork::Light)
            .rev()
            .max_by_key(|k| groups.get(*k).map_or(0, Vec::len))
            .cloned()
        else {
            continue;
        };
        let moved = groups.remove(light).unwrap_or_default();
        gone.insert(light.clone());
        if let Some(t) = groups.get_mut(&target) {
            t.extend(moved);
            t.sort_unstable();
        }
    }
    order.retain(|o| !gone.contains(o));
    (order, groups)
}

/// Analyzes one trace held whole in memory.
pub fn analyze(trace: &Trace, cfg: &Config) -> Analysis {
    Collector::new(cfg).finish(trace)
}

impl Collector<'_> {
    /// Runs the detectors over what was collected (see the module docs for the order).
    pub(super) fn run(self, trace: &Trace) -> Analysis {
        let cfg = self.cfg;
        let stall_threshold = cfg.stall_threshold();
        let mut threads = threads::infer_roles(trace);
        let mut requests = self.requests;
        // Issue 10, items 3-4: without polls, the threads spans were created and closed on
        // give thread roles, kinds of work and where the work ran (lifecycle.rs).
        let mut life = self.lifecycle;
        life.roles(&mut threads);
        // Issue 11: the server model (one shared loop, or a thread per request from a pool)
        // places the threads creation and close alone could not (server_model.rs).
        let server_model = server_model::find(&life, &mut threads, &requests);
        life.apply(&mut requests);
        for r in &mut requests {
            r.location = r.locate(&threads).0;
        }
        // Issue 11: requests with only start and end but child spans, judged from timing
        // alone (timing.rs); a shared loop it shows is the server model when threads showed
        // none.
        let timing = self.timing.apply(&mut requests, stall_threshold);
        let server_model = server_model.or_else(|| {
            timing
                .shared_loop()
                .map(|f| server_model::from_timing(f, life.django))
        });
        let long_executions = self.long_executions;
        let mut notes = Vec::new();
        let (has_executions, has_thread_executions) =
            (self.has_executions, self.has_thread_executions);
        let browser_trace = trace.browser.is_browser
            || !trace.network.is_empty()
            || !trace.browser.main_threads.is_empty()
            || !trace.tasks.is_empty();
        let no_requests = requests.is_empty() && self.spans_seen > 0 && !browser_trace;
        let mut root_spans: Vec<RootSpans> = Vec::new();
        if no_requests {
            for (name, mut ds) in self.roots {
                ds.sort_unstable();
                root_spans.push(RootSpans {
                    name: name.to_string(),
                    spans: ds.len(),
                    p50: percentile(&ds, 50.0),
                    p95: percentile(&ds, 95.0),
                    max: ds.last().copied().unwrap_or(0),
                    slow: ds.iter().filter(|d| **d >= cfg.slow).count(),
                    stalls: 0,
                    longest_stall: 0,
                });
            }
            // Most frequent first; the first seen among equals (a stable sort).
            root_spans.sort_by_key(|r| std::cmp::Reverse(r.spans));
            notes.push(Note::NoRequestSpans {
                spans: self.spans_seen,
                named: cfg.request_span.clone(),
                roots: root_spans
                    .iter()
                    .take(3)
                    .map(|r| (r.name.clone(), r.spans))
                    .collect(),
            });
        }
        if trace.ended_at_last_exit > 0 {
            notes.push(Note::EndedAtLastExit {
                spans: trace.ended_at_last_exit,
            });
        }
        let nothing_timed = !requests.is_empty()
            && requests
                .iter()
                .all(|r| r.kind == RequestWork::Unmeasured && r.duration() == 0);
        let only_start_end =
            !requests.is_empty() && requests.iter().all(|r| r.kind == RequestWork::Unmeasured);
        if nothing_timed {
            notes.push(Note::NothingTimed);
        } else if only_start_end {
            notes.push(Note::OnlyStartEnd);
        } else if !has_executions && !requests.is_empty() {
            notes.push(Note::NoPolls);
        } else if has_executions && !has_thread_executions && !requests.is_empty() {
            notes.push(Note::NoThreadIds);
        }
        // Issue 10, item 3: thread ids on span creation and close showed thread roles
        // (lifecycle.rs); that note replaces NoPolls, whose advice is for tracing-subscriber.
        let (workers, blocking) = lifecycle::Lifecycle::thread_counts(&threads);
        if workers + blocking > 0 && !requests.is_empty() && !nothing_timed {
            notes.retain(|n| *n != Note::NoPolls);
            notes.push(Note::CreationCloseThreads { workers, blocking });
        }
        // Issue 11: a server model read from creation/close threads says what the trace rests
        // on (its header line); NoPolls' advice (FmtSpan, time.busy) is for tracing-subscriber.
        if server_model.is_some() {
            notes.retain(|n| *n != Note::NoPolls);
        }
        if timing.requests > 0 {
            notes.retain(|n| !matches!(n, Note::NoPolls | Note::OnlyStartEnd));
            notes.push(Note::TimingAlone {
                requests: timing.requests,
            });
        }

        // Heavy work of all requests, and the healthy baseline of every endpoint.

        let (order, groups) = group_requests(&requests);
        // The loop's workers: threads that show it, else what the user states.
        let loop_threads = threads
            .iter()
            .filter(|t| t.role == ThreadRole::EventLoop)
            .count();
        let workers = if loop_threads > 0 {
            Some((loop_threads, WorkersFrom::Threads))
        } else {
            cfg.workers.map(|w| (w, WorkersFrom::Option))
        };
        // Judged group by group (`parts`), then one row per endpoint once stalls are known.
        let mut judgements = Vec::new();
        let mut fast = Vec::new();
        let observers = impact::Observers::new(&requests);
        for key in order {
            let members = &groups[&key];
            let mut durations: Vec<Ns> = members.iter().map(|&i| requests[i].duration()).collect();
            durations.sort_unstable();
            if key.1 == RequestWork::Light {
                fast.push(FastEndpoint {
                    endpoint: key.0.to_string(),
                    requests: members.len(),
                    p50: percentile(&durations, 50.0),
                    p95: percentile(&durations, 95.0),
                });
                continue;
            }
            let mut j = judge::judge(
                &key.0,
                key.1,
                members,
                durations,
                &requests,
                &observers,
                &threads,
                Recorded {
                    polls: has_executions,
                    // Thread ids on span creation and close count (issue 10, item 3).
                    thread_ids: has_thread_executions || life.threads_seen(),
                },
                workers,
                cfg,
            );
            if let (Some(o), Some(v)) = (self.names.origin(&key.0), j.server_mut()) {
                v.evidence.push(ServerEvidence::Route(o.clone()));
            }
            judgements.push(j);
        }

        // Stalls: exact from polls on event-loop threads; otherwise inferred for groups judged to
        // run their heavy work on the event loop.
        let mut stall_list = Vec::new();
        let role_of =
            |t: Option<ThreadIdx>| t.and_then(|t| threads.get(t.0 as usize)).map(|i| i.role);
        // When no thread shows its role (the only thread ran one span tree in one poll), a
        // long poll on it may be a stall: counted as one, inferred.
        let no_role_shown = threads.iter().all(|t| t.role == ThreadRole::Unknown);
        for e in &long_executions {
            // Browser slices are judged by the browser rules (long tasks), not as runtime polls.
            if trace.browser.is_browser {
                continue;
            }
            let source = match role_of(e.thread) {
                Some(ThreadRole::EventLoop) => StallSource::EventLoopPoll,
                Some(ThreadRole::Unknown) if no_role_shown => {
                    StallSource::Inferred(Inferred::RoleUnknown)
                }
                _ => continue,
            };
            stall_list.push(Stall {
                source,
                thread: e.thread,
                start: e.start,
                end: e.end,
                request: e.request,
                culprit: e.request.map_or_else(
                    || e.culprit.to_string(),
                    |i| requests[i].endpoint.to_string(),
                ),
                delayed: 0,
            });
        }
        for j in &judgements {
            let Some(v) = j.server() else { continue };
            if !matches!(j.pattern, Pattern::AsyncCpu | Pattern::AsyncBlockingIo) || v.threads_known
            {
                continue;
            }
            for &ri in &v.requests {
                let r = &requests[ri];
                // Placed by creation/close threads: its stalls come from lifecycle.rs below.
                if lifecycle::Lifecycle::placed(r, &threads) {
                    continue;
                }
                let (sections, how): (Vec<(Ns, Ns)>, Inferred) = if r.timed.is_some() {
                    (
                        r.heavy
                            .iter()
                            .copied()
                            .filter(|(s, e)| e - s >= stall_threshold)
                            .collect(),
                        Inferred::Timing {
                            span: r.heavy_name.as_deref().map(str::to_string),
                        },
                    )
                } else if has_executions {
                    let polls: Vec<(Ns, Ns)> = long_executions
                        .iter()
                        .filter(|e| e.thread.is_none() && e.request == Some(ri))
                        .map(|e| (e.start, e.end))
                        .collect();
                    (merge(polls), Inferred::UnthreadedPoll)
                } else {
                    (
                        r.heavy
                            .iter()
                            .copied()
                            .filter(|(s, e)| e - s >= stall_threshold)
                            .collect(),
                        Inferred::BusyTime {
                            span: r.heavy_name.as_deref().map(str::to_string),
                        },
                    )
                };
                for (s, e) in sections {
                    stall_list.push(Stall {
                        source: StallSource::Inferred(how.clone()),
                        thread: None,
                        start: s,
                        end: e,
                        request: Some(ri),
                        culprit: r.endpoint.to_string(),
                        delayed: 0,
                    });
                }
            }
        }
        // Issue 10, items 3-4: work spans that held a worker, from creation/close threads.
        stall_list.extend(life.stalls(&requests, &threads, stall_threshold));
        // Python (viztracer): loop threads and their stalls are asyncio's long callbacks.
        self.python.apply(trace, &mut threads, &mut stall_list);
        let workers = threads
            .iter()
            .filter(|t| t.role == ThreadRole::EventLoop)
            .count();
        let (episodes, victims) = stalls::episodes(&mut stall_list, &requests, workers);
        for r in &mut root_spans {
            let own = stall_list
                .iter()
                .filter(|s| s.request.is_none() && s.culprit == r.name);
            for s in own {
                r.stalls += 1;
                r.longest_stall = r.longest_stall.max(s.duration());
            }
        }
        let group_of = |judgements: &[Judgement]| {
            let mut group_of: Vec<Option<usize>> = vec![None; requests.len()];
            for (gi, j) in judgements.iter().enumerate() {
                for &ri in j.server().map_or(&[][..], |v| &v.requests) {
                    group_of[ri] = Some(gi);
                }
            }
            let mut own_stalls: Vec<Vec<&Stall>> = vec![Vec::new(); judgements.len()];
            for s in &stall_list {
                if let Some(g) = s.request.and_then(|r| group_of[r]) {
                    own_stalls[g].push(s);
                }
            }
            own_stalls
        };
        let own_parts = group_of(&judgements);
        for (j, own) in judgements.iter_mut().zip(own_parts) {
            let Some(v) = j.server_mut() else { continue };
            v.stalls = own.len();
            v.longest_stall = own.iter().map(|s| s.duration()).max().unwrap_or(0);
        }
        // One row per endpoint, in the order endpoints were first seen.
        let mut rows: Vec<Vec<Judgement>> = Vec::new();
        let mut row_of: HashMap<String, usize> = HashMap::default();
        for j in judgements {
            let next = rows.len();
            let r = *row_of.entry(j.subject.clone()).or_insert(next);
            if r == next {
                rows.push(Vec::new());
            }
            rows[r].push(j);
        }
        let mut judgements: Vec<Judgement> = rows
            .into_iter()
            .map(|parts| judge::one_row(parts, &requests, cfg))
            .collect();
        let own_stalls = group_of(&judgements);
        for (j, own) in judgements.iter_mut().zip(&own_stalls) {
            let Some(v) = j.server_mut() else { continue };
            // Victims: requests delayed in episodes, overlapping one of this group's stalls.
            let windows = merge(own.iter().map(|s| (s.start, s.end)).collect());
            let mut caused = 0;
            let mut max_delay = 0;
            for (ri, delay) in &victims.victims {
                let r = &requests[*ri];
                if overlap::overlap(&windows, r.start, r.end) > 0 {
                    caused += 1;
                    max_delay = max_delay.max(*delay);
                }
            }
            v.delays_caused = caused;
            v.max_delay = max_delay;
            v.delays_suffered = v
                .requests
                .iter()
                .filter(|r| victims.victims.contains_key(r))
                .count();
            if v.delays_suffered > 0 {
                v.evidence
                    .push(ServerEvidence::DelaysSuffered(v.delays_suffered));
            }
            if v.stalls > 0 {
                v.evidence.push(ServerEvidence::Stalls {
                    count: v.stalls,
                    threshold: stall_threshold,
                    inferred: own.iter().filter(|s| s.inferred()).count(),
                    longest: v.longest_stall,
                });
            }
            if caused > 0 {
                v.evidence.push(ServerEvidence::DelaysCaused {
                    count: caused,
                    max: max_delay,
                });
            }
        }
        // What timing alone showed, on the rows of the endpoints it judged.
        for f in &timing.endpoints {
            if let Some(v) = judgements
                .iter_mut()
                .find(|j| *j.subject == *f.endpoint)
                .and_then(|j| j.server_mut())
            {
                v.evidence.push(ServerEvidence::Timing(f.evidence.clone()));
            }
        }
        if !victims.no_baseline.is_empty() {
            notes.push(Note::NoBaseline(victims.no_baseline.clone()));
        }
        let p95 = |j: &Judgement| j.server().map_or(0, |s| s.percentile(95.0));
        judgements.sort_by(|a, b| {
            a.verdict
                .cmp(&b.verdict)
                .then(p95(b).cmp(&p95(a)))
                .then(a.subject.cmp(&b.subject))
        });
        // Browser rows follow the server rows, then runtime rows, in the order of their groups.
        let browser = browser::analyze(trace, cfg);
        judgements.extend(browser::judgements(&browser, cfg));
        let tasks = runtime::analyze(trace, cfg);
        judgements.extend(runtime::verdicts(&tasks, stall_threshold));
        Analysis {
            threads,
            requests,
            spans: self.spans_seen,
            judgements,
            fast,
            stalls: stall_list,
            episodes,
            victims,
            stall_threshold,
            notes,
            browser,
            runtime: tasks,
            root_spans,
            server_model,
        }
    }
}
