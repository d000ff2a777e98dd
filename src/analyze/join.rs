//! Joining runtime tasks (a tokio-console recording) to the requests of a log of the same run,
//! by time alone: names are never compared.
//!
//! A request span is only ever entered inside a poll of the task that runs it, so what the log
//! recorded of a request falls inside that task's polls on the same wall clock. Each such piece
//! is an *anchor*:
//!
//! * **strong**: an interval the request was running without a break. With a log of polls
//!   (ENTER/EXIT), each execution of the request (any thread). Without (a CLOSE-only log), the
//!   life of each span of the request that never waited (idle about 0, so it started and ended
//!   inside one poll; its start was computed from printed durations, so it gets 0.5 % slack);
//! * **weak**, only without executions: each span's close, a point (a span closes in a poll of
//!   the task that drops it).
//!
//! Another worker may be in a poll at the same moment, so an anchor can lie inside polls of
//! several tasks. It goes to the *tightest* one: the shortest poll containing it. A short
//! request poll inside its own short task poll beats a long poll that merely ran beside it on
//! another worker; a long request poll fits only the task poll that ran it.
//!
//! ```text
//! worker 1   task A  [==================== long poll ====================]
//! worker 2   task B        [=]         [==]                [=]
//! request R of B            e1          e2                  close
//!                    e1, e2 and the close lie inside A's poll too, but B's polls are tighter
//! ```
//!
//! Placing is then settled for the whole recording ([`JoinIndex::resolve`]):
//!
//! 1. strong anchors, tightest fit first, each in its tightest poll that holds no overlapping
//!    interval of another request (one poll runs on one thread), or its next choice, moving an
//!    earlier anchor to its own next choice if that frees the poll (bipartite matching's
//!    augmenting path; each anchor keeps its `FITS` tightest polls);
//! 2. an anchor whose other choice is the task holding more of the same request's anchors
//!    moves there (a stray short poll of an unrelated task on another thread);
//! 3. a task is labelled with the endpoint holding two thirds or more of its anchor weight
//!    (strong 1, weak 1/4); below that it is *mixed* and keeps its own site.
//!
//! Memory: anchors grow with the log's requests (what is reported), and the tasks of a joined
//! recording are held until the end of the recording, when labels are known.
//!
//! The recording's reader knows nothing of this: it is handed a [`TaskJoin`] as its sink, which
//! asks it for every poll of an application task ([`Retention::every_poll`]) and to hold those
//! tasks unsummed; [`TaskJoin::finish`] then places the anchors and [`regroup`]s the tasks
//! under the endpoints they served.

use crate::model::{JoinSummary, Ns, Retention, TaskData, TaskRole, Trace, Tree, TreeSink};
use std::collections::HashMap;
use std::sync::Arc;

/// Slack for clock granularity when testing containment: tracing-subscriber's timestamps
/// have microsecond precision.
pub const JOIN_SLACK: Ns = 5_000;

/// A request's life counts as one unbroken run when it idled no more than this, or 1 %.
const NEVER_WAITED: Ns = 50_000;

/// Most slack given a computed start (a busy time printed as `1.23s` is good to 5 ms).
const MAX_SLACK: Ns = 10_000_000;

/// Weight of a point anchor against an interval's 1.
const WEAK: f64 = 0.25;

/// Share of a task's anchor weight its label must hold.
const MAJORITY: f64 = 2.0 / 3.0;

/// One request of a log, as the join needs it. Times are on the log's time line (see
/// [`JoinIndex::add`]).
#[derive(Debug, Clone)]
pub struct JoinRequest<'a> {
    pub endpoint: &'a str,
    /// Its recorded executions (top-level activations), if the log has them.
    pub executions: &'a [(Ns, Ns)],
    /// Without executions: the spans of its tree, itself included, as (start, end, busy).
    pub spans: &'a [(Ns, Ns, Option<Ns>)],
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    start: Ns,
    end: Ns,
    /// Extra slack on the start side: starts computed as close - busy - idle carry the
    /// rounding of the printed durations.
    slack: Ns,
    request: u32,
    strong: bool,
}

/// The anchors of one or more logs, sorted by start, ready to be matched against polls.
#[derive(Debug, Default)]
pub struct JoinIndex {
    /// Where the requests came from, for the report.
    pub sources: Vec<String>,
    endpoints: Vec<Arc<str>>,
    request_endpoint: Vec<u32>,
    anchors: Vec<Anchor>,
    max_slack: Ns,
    /// [`JoinIndex::seal`] ran after the last [`JoinIndex::add`].
    sorted: bool,
}

impl JoinIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the requests of one log whose time 0 is `origin` in Unix nanoseconds (a console
    /// recording's clock).
    pub fn add<'a>(
        &mut self,
        source: &str,
        origin: Ns,
        requests: impl IntoIterator<Item = JoinRequest<'a>>,
    ) {
        self.sources.push(source.to_string());
        for r in requests {
            let endpoint = match self.endpoints.iter().position(|e| &**e == r.endpoint) {
                Some(i) => i as u32,
                None => {
                    self.endpoints.push(Arc::from(r.endpoint));
                    (self.endpoints.len() - 1) as u32
                }
            };
            let request = self.request_endpoint.len() as u32;
            self.request_endpoint.push(endpoint);
            for &(a, b) in r.executions {
                if b >= a {
                    self.push(Anchor {
                        start: origin + a,
                        end: origin + b,
                        slack: 0,
                        request,
                        strong: true,
                    });
                }
            }
            // Without executions (a close-only log), the spans stand in for them: the life of
            // one that never waited ran inside one poll, and each closed inside a poll. Starts
            // were then computed from printed durations of three significant digits: 0.5 %
            // covers their rounding.
            if r.executions.is_empty() {
                for &(s, e, busy) in r.spans {
                    let (s, e) = (origin + s, origin + e);
                    let life = (e - s).max(0);
                    if busy.is_some_and(|b| life - b <= NEVER_WAITED.max(life / 100)) {
                        self.push(Anchor {
                            start: s,
                            end: e,
                            slack: (life / 200).min(MAX_SLACK),
                            request,
                            strong: true,
                        });
                    }
                    self.push(Anchor {
                        start: e,
                        end: e,
                        slack: 0,
                        request,
                        strong: false,
                    });
                }
            }
        }
        self.sorted = false;
    }

    fn push(&mut self, a: Anchor) {
        self.max_slack = self.max_slack.max(a.slack);
        self.anchors.push(a);
    }

    /// Sorts the anchors; call once all logs are added.
    pub fn seal(&mut self) {
        self.anchors.sort_by_key(|a| (a.start, a.end));
        self.sorted = true;
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Fresh matching state for one recording.
    pub fn state(&self) -> JoinState {
        JoinState {
            best: vec![[None; FITS]; self.anchors.len()],
        }
    }

    /// Offers the poll `[start, end]` of task `task` (a number unique within the recording):
    /// every anchor inside it that has no tighter poll yet now points at it.
    pub fn poll(&self, state: &mut JoinState, task: u32, start: Ns, end: Ns) {
        debug_assert!(self.sorted, "JoinIndex::seal not called");
        let len = end - start;
        if len < 0 {
            return;
        }
        let from = start - JOIN_SLACK - self.max_slack;
        let first = self.anchors.partition_point(|a| a.start < from);
        for (i, a) in self.anchors[first..]
            .iter()
            .enumerate()
            .take_while(|(_, a)| a.start <= end + JOIN_SLACK)
        {
            if a.start + a.slack + JOIN_SLACK < start || a.end > end + JOIN_SLACK {
                continue;
            }
            // Kept sorted, tightest first.
            let slots = &mut state.best[first + i];
            if let Some(k) = slots.iter().position(|s| s.is_none_or(|s| len < s.len)) {
                slots[k..].rotate_right(1);
                slots[k] = Some(Fit { task, start, len });
            }
        }
    }

    /// Labels tasks from where their anchors went.
    ///
    /// One poll runs on one thread, so intervals of two requests that overlap in time cannot
    /// both have run inside it: strong anchors are placed tightest fit first, and one whose tightest poll
    /// already holds an overlapping anchor takes its second choice. This settles two requests
    /// that ran side by side on two workers with about the same start and end, which a
    /// close-only log cannot tell apart otherwise.
    pub fn resolve(&self, state: &JoinState, source: &str) -> JoinResult {
        let mut order: Vec<usize> = (0..self.anchors.len())
            .filter(|&i| state.best[i][0].is_some())
            .collect();
        order.sort_by_key(|&i| {
            let a = &self.anchors[i];
            let spare = state.best[i][0].map_or(0, |f| f.len - (a.end - a.start));
            (!a.strong, spare, a.start)
        });
        // Per poll (task, poll start): the strong anchors placed in it.
        let mut held: HashMap<(u32, Ns), Vec<usize>> = HashMap::new();
        let mut placed_in: Vec<Option<u32>> = vec![None; self.anchors.len()];
        for i in order {
            if self.anchors[i].strong {
                let mut visited = Vec::new();
                self.place(i, state, &mut held, &mut placed_in, &mut visited, 0);
            } else {
                placed_in[i] = state.best[i][0].map(|f| f.task);
            }
        }
        // A short anchor can fit a short poll of an unrelated task (another thread's) better
        // than the poll that ran it: when its other choice is the task holding more of the
        // same request's anchors, it goes there.
        let mut support: HashMap<(u32, u32), u32> = HashMap::new();
        for (a, t) in self.anchors.iter().zip(&placed_in) {
            if let Some(t) = *t {
                *support.entry((a.request, t)).or_default() += 1;
            }
        }
        for (i, a) in self.anchors.iter().enumerate() {
            let Some(t1) = placed_in[i] else { continue };
            let s1 = support.get(&(a.request, t1)).copied().unwrap_or(0);
            let better = state.best[i]
                .iter()
                .flatten()
                .filter(|f| f.task != t1)
                .filter(|f| {
                    !a.strong
                        || held
                            .get(&(f.task, f.start))
                            .is_none_or(|v| v.iter().all(|&j| !a.conflicts(&self.anchors[j])))
                })
                .map(|f| {
                    (
                        support.get(&(a.request, f.task)).copied().unwrap_or(0),
                        f.task,
                    )
                })
                .filter(|&(s2, _)| s2 >= s1)
                .max();
            if let Some((_, t2)) = better {
                placed_in[i] = Some(t2);
                *support.entry((a.request, t1)).or_default() -= 1;
                *support.entry((a.request, t2)).or_default() += 1;
            }
        }
        let mut votes: HashMap<u32, Vec<(u32, f64)>> = HashMap::new();
        let mut placed = 0;
        let mut requests_placed = vec![false; self.request_endpoint.len()];
        for (a, task) in self.anchors.iter().zip(&placed_in) {
            let Some(task) = *task else { continue };
            placed += 1;
            requests_placed[a.request as usize] = true;
            let endpoint = self.request_endpoint[a.request as usize];
            let w = if a.strong { 1.0 } else { WEAK };
            let v = votes.entry(task).or_default();
            match v.iter_mut().find(|(e, _)| *e == endpoint) {
                Some(x) => x.1 += w,
                None => v.push((endpoint, w)),
            }
        }
        let mut labels = HashMap::new();
        let mut mixed = 0;
        for (task, v) in votes {
            let total: f64 = v.iter().map(|x| x.1).sum();
            let Some(&(top, w)) = v.iter().max_by(|a, b| a.1.total_cmp(&b.1)) else {
                continue;
            };
            if w >= MAJORITY * total {
                labels.insert(task, self.endpoints[top as usize].clone());
            } else {
                mixed += 1;
            }
        }
        JoinResult {
            summary: JoinSummary {
                logs: self.sources.clone(),
                recording: source.to_string(),
                requests: self.request_endpoint.len(),
                requests_placed: requests_placed.iter().filter(|p| **p).count(),
                anchors: self.anchors.len(),
                anchors_placed: placed,
                tasks_labelled: labels.len(),
                tasks_mixed: mixed,
            },
            labels,
        }
    }
}

/// A poll that contains an anchor.
#[derive(Debug, Clone, Copy)]
struct Fit {
    task: u32,
    start: Ns,
    len: Ns,
}

/// Polls kept per anchor: enough for the workers and a thread or two of other runtimes
/// (a load generator, the blocking pool) in a poll at the same moment.
const FITS: usize = 3;

impl Anchor {
    /// Two requests' intervals overlapping in time: they cannot share a poll.
    fn conflicts(&self, other: &Anchor) -> bool {
        self.request != other.request && self.start < other.end && other.start < self.end
    }
}

impl JoinIndex {
    /// Places strong anchor `i` in the tightest of its polls that holds no conflicting anchor,
    /// moving a single conflicting one to another of its polls if that frees one (an
    /// augmenting path, as in bipartite matching; `visited` polls are not tried twice).
    fn place(
        &self,
        i: usize,
        state: &JoinState,
        held: &mut HashMap<(u32, Ns), Vec<usize>>,
        placed_in: &mut [Option<u32>],
        visited: &mut Vec<(u32, Ns)>,
        depth: usize,
    ) -> bool {
        if depth > 16 {
            return false;
        }
        let a = &self.anchors[i];
        for f in state.best[i].iter().flatten() {
            let key = (f.task, f.start);
            if visited.contains(&key) {
                continue;
            }
            visited.push(key);
            let blockers: Vec<usize> = held.get(&key).map_or_else(Vec::new, |v| {
                v.iter()
                    .copied()
                    .filter(|&j| a.conflicts(&self.anchors[j]))
                    .collect()
            });
            match blockers[..] {
                [] => {}
                [j] => {
                    if let Some(v) = held.get_mut(&key) {
                        v.retain(|&k| k != j);
                    }
                    placed_in[j] = None;
                    if !self.place(j, state, held, placed_in, visited, depth + 1) {
                        held.entry(key).or_default().push(j);
                        placed_in[j] = Some(f.task);
                        continue;
                    }
                }
                _ => continue,
            }
            held.entry(key).or_default().push(i);
            placed_in[i] = Some(f.task);
            return true;
        }
        false
    }
}

/// Sums the tasks a reader held back ([`TaskData::held`]) into their groups, application tasks
/// the join labelled under the endpoint they served (by task number,
/// [`TaskRecord::seq`](crate::model::TaskRecord::seq)), and seals the data.
pub fn regroup(data: &mut TaskData, labels: &HashMap<u32, Arc<str>>) {
    for (mut rec, mut group) in std::mem::take(&mut data.held) {
        if let (TaskRole::App, Some(label)) = (rec.role, labels.get(&rec.seq)) {
            rec.site = label.to_string();
            let kind = rec.kind.clone();
            group = data.group(rec.site.clone(), &kind, rec.role);
            if let Some(g) = data.totals.get_mut(group) {
                g.joined = true;
            }
        }
        data.add(rec, group);
    }
    data.seal();
}

/// Settles the rows of recordings joined to logs of the same run. A recording cannot tell a
/// blocking call from CPU work, but the log's verdict on the same endpoint, made off the event
/// loop too, can: a joined runtime row still unknown takes the pattern and verdict of the
/// first judgement of the same endpoint in one of its logs that fits what the recording saw
/// (work off the event loop, `sync-io` or `sync-cpu`, for blocking tasks; nothing long on it,
/// `async-io`, for async tasks without long polls), and keeps that judgement
/// ([`Settled`](crate::analyze::runtime::Settled)) for `report` to quote.
///
/// `inputs` are every input's path and analysis; only the first `top` server rows of each log
/// are candidates (the rows the report shows).
pub fn settle(inputs: &mut [(&str, &mut crate::analyze::Analysis)], top: Option<usize>) {
    use crate::analyze::Pattern;
    use crate::analyze::runtime::Settled;
    let limit = top.unwrap_or(usize::MAX);
    let candidates: Vec<(String, crate::analyze::Judgement)> = inputs
        .iter()
        .flat_map(|(path, a)| {
            a.judgements
                .iter()
                .filter(|j| j.server().is_some())
                .take(limit)
                .map(move |j| (path.to_string(), j.clone()))
        })
        .collect();
    for (_, a) in inputs.iter_mut() {
        for j in &mut a.judgements {
            if j.pattern != Pattern::Unknown {
                continue;
            }
            let subject = j.subject.clone();
            let Some(r) = j.runtime_mut() else { continue };
            let Some(joined) = &r.joined else { continue };
            let fits = |p: Pattern| {
                if joined.blocking {
                    matches!(p, Pattern::SyncIo | Pattern::SyncCpu)
                } else {
                    p == Pattern::AsyncIo
                }
            };
            let Some((log, found)) = candidates.iter().find(|(log, l)| {
                joined.logs.contains(log) && l.subject == subject && fits(l.pattern)
            }) else {
                continue;
            };
            r.settled = Some(Settled {
                log: log.clone(),
                judgement: found.clone(),
            });
            j.pattern = found.pattern;
            j.verdict = found.verdict;
        }
    }
}

/// The sink for a recording read beside logs of the same run: span trees go on to `inner`,
/// every poll of an application task is offered to the index.
pub struct TaskJoin<'a> {
    inner: &'a mut dyn TreeSink,
    index: Arc<JoinIndex>,
    state: JoinState,
}

impl<'a> TaskJoin<'a> {
    /// Joins to the requests in `index` (sealed); `inner` gets the span trees.
    pub fn new(inner: &'a mut dyn TreeSink, index: Arc<JoinIndex>) -> Self {
        let state = index.state();
        TaskJoin {
            inner,
            index,
            state,
        }
    }

    /// Places the anchors, labels the tasks and regroups those of `recording` (whose reader
    /// held them) under the endpoints they served.
    pub fn finish(self, data: &mut TaskData, recording: &str) {
        let res = self.index.resolve(&self.state, recording);
        regroup(data, &res.labels);
        data.join = Some(res.summary);
    }
}

impl TreeSink for TaskJoin<'_> {
    fn tree(&mut self, trace: &Trace, tree: Tree<'_>) {
        self.inner.tree(trace, tree);
    }

    fn task_retention(&mut self) -> Option<Retention> {
        Some(Retention {
            every_poll: true,
            ..self.inner.task_retention().unwrap_or_default()
        })
    }

    fn task_poll(&mut self, task: u32, start: Ns, end: Ns) {
        self.index.poll(&mut self.state, task, start, end);
    }
}

/// Per recording: the tightest polls found so far for each anchor.
#[derive(Debug, Clone)]
pub struct JoinState {
    best: Vec<[Option<Fit>; FITS]>,
}

/// Task labels and what the join found.
#[derive(Debug, Clone)]
pub struct JoinResult {
    pub labels: HashMap<u32, Arc<str>>,
    pub summary: JoinSummary,
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Ns = 1_000_000;

    type Spans<'a> = &'a [(Ns, Ns, Option<Ns>)];
    type Req<'a> = (&'a str, &'a [(Ns, Ns)], Spans<'a>);

    fn index(reqs: &[Req<'_>]) -> JoinIndex {
        let mut ix = JoinIndex::new();
        ix.add(
            "app.log",
            0,
            reqs.iter().map(|&(e, ex, spans)| JoinRequest {
                endpoint: e,
                executions: ex,
                spans,
            }),
        );
        ix.seal();
        ix
    }

    fn label(res: &JoinResult, task: u32) -> Option<&str> {
        res.labels.get(&task).map(|s| &**s)
    }

    #[test]
    fn each_execution_goes_to_the_tightest_poll() {
        // R1 (/orders) polled at 10..10.2 ms and 90..90.3 ms inside task 2's polls; task 1
        // runs a 100 ms poll beside it on the other worker, which also contains both.
        let r1: &[(Ns, Ns)] = &[(10 * MS, 10 * MS + 200_000), (90 * MS, 90 * MS + 300_000)];
        // R2 (/report) ran 0.1..100 ms in one poll of task 1.
        let r2: &[(Ns, Ns)] = &[(MS / 10, 100 * MS)];
        let ix = index(&[("GET /orders", r1, &[]), ("GET /report", r2, &[])]);
        let mut st = ix.state();
        ix.poll(&mut st, 1, 0, 100 * MS + 10_000);
        ix.poll(&mut st, 2, 10 * MS - 5_000, 10 * MS + 210_000);
        ix.poll(&mut st, 2, 90 * MS - 3_000, 90 * MS + 310_000);
        let res = ix.resolve(&st, "rec.jsonl");
        assert_eq!(label(&res, 1), Some("GET /report"));
        assert_eq!(label(&res, 2), Some("GET /orders"));
        assert_eq!(res.summary.anchors, 3);
        assert_eq!(res.summary.anchors_placed, 3);
        assert_eq!(res.summary.requests_placed, 2);
        assert_eq!(res.summary.tasks_labelled, 2);
        assert_eq!(res.summary.tasks_mixed, 0);
    }

    #[test]
    fn a_span_that_waited_is_placed_by_its_close_only() {
        // Close-only log: /orders lived 5..85 ms, busy 1 ms: it waited, so its life is not one
        // poll even though task 1's long poll contains it; its close (weak) places it.
        let ix = index(&[("GET /orders", &[], &[(5 * MS, 85 * MS, Some(MS))])]);
        assert_eq!(ix.anchors.len(), 1);
        let mut st = ix.state();
        ix.poll(&mut st, 1, 0, 100 * MS);
        ix.poll(&mut st, 2, 85 * MS - 50_000, 85 * MS + 20_000);
        let res = ix.resolve(&st, "rec.jsonl");
        assert_eq!(label(&res, 2), Some("GET /orders"));
        assert_eq!(label(&res, 1), None);
    }

    #[test]
    fn a_child_that_never_waited_places_the_blocking_task() {
        // /export in a close-only log: the request waited on the worker; its child ran 80 ms
        // without waiting, on the blocking pool (task 9).
        let spans: Spans<'_> = &[(0, 82 * MS, Some(MS)), (MS, 81 * MS, Some(80 * MS))];
        let ix = index(&[("GET /export", &[], spans)]);
        // Request close (weak), child life (strong), child close (weak).
        assert_eq!(ix.anchors.len(), 3);
        let mut st = ix.state();
        ix.poll(&mut st, 9, MS - 10_000, 81 * MS + 10_000);
        ix.poll(&mut st, 4, 82 * MS - 20_000, 82 * MS + 20_000);
        let res = ix.resolve(&st, "rec.jsonl");
        assert_eq!(label(&res, 9), Some("GET /export"));
        assert_eq!(label(&res, 4), Some("GET /export"));
    }

    #[test]
    fn split_votes_leave_a_task_mixed_and_outside_polls_count_nothing() {
        let ix = index(&[
            ("GET /a", &[(MS, 2 * MS)], &[]),
            ("GET /b", &[(3 * MS, 4 * MS)], &[]),
            ("GET /c", &[], &[(50 * MS, 60 * MS, Some(10 * MS))]),
        ]);
        let mut st = ix.state();
        // One keep-alive task ran both /a and /b in one long poll: 50/50.
        ix.poll(&mut st, 7, 0, 10 * MS);
        let res = ix.resolve(&st, "rec.jsonl");
        assert!(res.labels.is_empty());
        assert_eq!(res.summary.tasks_mixed, 1);
        assert_eq!(res.summary.requests, 3);
        assert_eq!(res.summary.requests_placed, 2);
    }

    #[test]
    fn side_by_side_requests_take_one_poll_each() {
        // Two never-waiting requests from a close-only log, on two workers, started and ended
        // within a millisecond of each other: both lives fit both polls (with the slack for
        // computed starts), but one poll cannot have run both.
        let ix = index(&[
            ("GET /report", &[], &[(10 * MS, 210 * MS, Some(200 * MS))]),
            (
                "GET /report",
                &[],
                &[(10 * MS + 500_000, 210 * MS + 300_000, Some(200 * MS))],
            ),
        ]);
        let mut st = ix.state();
        ix.poll(&mut st, 1, 10 * MS - 100_000, 211 * MS);
        ix.poll(&mut st, 2, 9 * MS, 212 * MS);
        let res = ix.resolve(&st, "rec.jsonl");
        assert_eq!(label(&res, 1), Some("GET /report"));
        assert_eq!(label(&res, 2), Some("GET /report"));
        assert_eq!(res.summary.anchors_placed, 4);
    }

    #[test]
    fn a_stray_short_poll_loses_to_the_task_holding_the_rest_of_the_request() {
        // R's three executions ran in task 1's polls; a 6 us poll of task 5 (another runtime's
        // thread) happened to contain the last, 4 us one, more tightly than task 1's 30 us poll.
        let ex: &[(Ns, Ns)] = &[
            (MS, MS + 50_000),
            (80 * MS, 80 * MS + 40_000),
            (81 * MS, 81 * MS + 4_000),
        ];
        let ix = index(&[("GET /orders", ex, &[])]);
        let mut st = ix.state();
        ix.poll(&mut st, 1, MS - 2_000, MS + 60_000);
        ix.poll(&mut st, 1, 80 * MS - 2_000, 80 * MS + 45_000);
        ix.poll(&mut st, 1, 81 * MS - 20_000, 81 * MS + 10_000);
        ix.poll(&mut st, 5, 81 * MS - 1_000, 81 * MS + 5_000);
        let res = ix.resolve(&st, "rec.jsonl");
        assert_eq!(label(&res, 1), Some("GET /orders"));
        assert_eq!(label(&res, 5), None);
        assert_eq!(res.summary.tasks_labelled, 1);
    }

    /// A joined blocking-task row still unknown takes the verdict of the log's row of the same
    /// endpoint when that one ran off the event loop; an async row only from an `async-io` row.
    #[test]
    fn settle_takes_a_fitting_verdict_from_the_log() {
        use crate::analyze::requests::RequestWork;
        use crate::analyze::runtime::{JoinedFrom, RuntimeJudgement, RuntimeRow, TaskGroup};
        use crate::analyze::{
            Analysis, Detail, Judgement, LocationBy, Pattern, ServerJudgement, Unit, Verdict,
        };
        use crate::config::Config;
        let empty = || crate::analyze::analyze(&Trace::default(), &Config::default());
        let server = |subject: &str, pattern, verdict| Judgement {
            subject: subject.into(),
            pattern,
            verdict,
            unit: Unit::Requests,
            count: 3,
            detail: Detail::Server(Box::new(ServerJudgement {
                kind: RequestWork::Cpu,
                requests: vec![0, 1, 2],
                durations_known: true,
                durations: vec![80 * MS; 3],
                slow: 0,
                polls: 0,
                loop_threads: 0,
                blocking_threads: 1,
                threads_known: true,
                threads_seen: true,
                location_by: LocationBy::Threads,
                heavy_p50: 80 * MS,
                wait_p50: 0,
                heavy_name: None,
                max_poll: None,
                impact: None,
                stalls: 0,
                longest_stall: 0,
                delays_caused: 0,
                max_delay: 0,
                delays_suffered: 0,
                evidence: Vec::new(),
                mixed: Vec::new(),
            })),
        };
        let runtime = |subject: &str, blocking: bool| Judgement {
            subject: subject.into(),
            pattern: Pattern::Unknown,
            verdict: Verdict::Unknown,
            unit: Unit::Tasks,
            count: 3,
            detail: Detail::Runtime(Box::new(RuntimeJudgement {
                row: if blocking {
                    RuntimeRow::Blocking
                } else {
                    RuntimeRow::ShortPolls
                },
                group: TaskGroup {
                    site: subject.into(),
                    joined_endpoint: true,
                    kind: if blocking { "blocking" } else { "task" }.into(),
                    tasks: 3,
                    completed: 3,
                    polls: 3,
                    busy: 240 * MS,
                    scheduled: 0,
                    idle: 0,
                    max_poll: 80 * MS,
                    max_first_poll_delay: 0,
                    wakes: 0,
                    self_wakes: 0,
                    long_polls: 0,
                    victims: 0,
                    max_delay: 0,
                    victim_sites: Vec::new(),
                    delayed_here: 0,
                    max_delay_here: 0,
                    held_idle_here: 0,
                    max_held_idle_here: 0,
                },
                threshold: 10 * MS,
                joined: Some(JoinedFrom {
                    logs: vec!["app.log".into()],
                    blocking,
                }),
                settled: None,
            })),
        };
        let mut log: Analysis = empty();
        log.judgements = vec![
            server("GET /export", Pattern::SyncCpu, Verdict::Ok),
            server("GET /orders", Pattern::SyncCpu, Verdict::Ok),
        ];
        let mut rec: Analysis = empty();
        rec.judgements = vec![runtime("GET /export", true), runtime("GET /orders", false)];
        settle(&mut [("app.log", &mut log), ("rec.jsonl", &mut rec)], None);
        let export = &rec.judgements[0];
        assert_eq!(
            (export.pattern, export.verdict),
            (Pattern::SyncCpu, Verdict::Ok)
        );
        let settled = export.runtime().and_then(|r| r.settled.as_ref());
        assert_eq!(settled.map(|s| s.log.as_str()), Some("app.log"));
        // Async tasks with short polls fit only an async-io row.
        let orders = &rec.judgements[1];
        assert_eq!(orders.pattern, Pattern::Unknown);
        assert!(orders.runtime().is_some_and(|r| r.settled.is_none()));
    }
}
