//! Evidence from the threads spans were created and closed on, for traces that record span
//! creation and close with a thread but no polls: `fmt().json()` or the text format with
//! `FmtSpan::NEW | FmtSpan::CLOSE` and `.with_thread_ids(true)`, and tracing-chrome's
//! `TraceStyle::Async` (`b`/`e` events, each with the `tid` it ran on). The model carries both
//! threads as [`Span::opened_on`](crate::model::Span::opened_on) and
//! [`Span::closed_on`](crate::model::Span::closed_on).
//!
//! ```text
//! worker 1:  new req A   new req B  new compute(B)──────────close compute(B)   close req A
//! worker 2:                                              new req C    close req B
//! pool 5:           new db(A)─────close db(A)    new db(D)─────close db(D)
//! ```
//!
//! * **Workers**: a thread that created request spans, two of which were in progress at once
//!   (it created B before A closed). A thread running one request at a time cannot do that.
//! * **Blocking pool**: a thread on which no request span was created or closed, whose work
//!   spans (created and closed on it) never overlap another request's: one thing at a time.
//! * **A held worker**: a work span created and closed on one worker that was busy through its
//!   life. Busy comes from CLOSE's `time.busy` (busy at least 90 % of its lifetime); without busy
//!   time (tracing-chrome), from silence: no other span was created or closed on that thread
//!   between its creation and close. Silence alone may be an idle worker with nothing to do, so
//!   it counts only for a span that is silent in most of its endpoint's requests (`compute`,
//!   silent 43 of 43 times, held; `db.query`, silent 3 of 150 times, awaited).
//!
//! A held worker is where the request's heavy work ran (`Location::EventLoop`), and an inferred
//! stall ([`Inferred::HeldWorker`]) when it lasted `--stall` or more; a work span on a blocking
//! thread ran off the loop (`Location::Offloaded`). Without busy time the kind of work of a
//! request comes from the same readings: held spans are CPU (or blocking I/O when I/O-shaped),
//! I/O-shaped spans that were not held were awaited.
//!
//! Traces with polls (ENTER/EXIT, complete slices) are judged from the polls: a tree with
//! executions adds nothing here.

use super::overlap::{merge, overlap};
use super::requests::{Kids, Names, Request, RequestWork, is_io, significant};
use super::stalls::{Inferred, Stall, StallSource};
use super::threads::{RoleEvidence, ThreadInfo};
use crate::config::Config;
use crate::model::{Execution, Ns, SpanIdx, ThreadIdx, ThreadRole, Trace};
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// Busy at least this share of its lifetime (in tenths): the span held its thread.
const HELD_TENTHS: Ns = 9;
/// Work spans shorter than this are not kept.
const MIN_WORK: Ns = 1_000_000;

/// How a work span showed that it held its thread through its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldBy {
    /// Its busy time (CLOSE's `time.busy`) is at least 90 % of its lifetime.
    BusyTime,
    /// No other span was created or closed on its thread in between, as in most of its
    /// endpoint's requests.
    NoOtherEvent,
}

/// Where a request's heaviest work span was created and closed (one thread), for
/// `Request::locate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub thread: ThreadIdx,
    pub lifetime: Ns,
    /// It held that thread through its life, and how that shows.
    pub held: Option<HeldBy>,
}

/// A work span of a request (a descendant of the request span) whose creation and close
/// threads are known.
#[derive(Debug, Clone)]
struct Work {
    /// The request it is a work span of (an index into the collector's requests).
    request: usize,
    name: Arc<str>,
    io: bool,
    /// The thread it was created on.
    thread: ThreadIdx,
    /// It was closed on the same thread (otherwise it moved: it yielded, and held no thread
    /// through its life).
    same: bool,
    start: Ns,
    end: Ns,
    busy: Option<Ns>,
    /// Creations and closes of its own descendants on its thread (not "other" events).
    inner: u32,
    /// No other span event on its thread between its creation and close (set by `apply`).
    silent: bool,
    /// It held its thread through its life (set by `apply`).
    held: Option<HeldBy>,
}

impl Work {
    fn lifetime(&self) -> Ns {
        self.end - self.start
    }
}

/// What one thread did, as span creation and close show it (read by [`super::server_model`]
/// too).
#[derive(Debug, Default)]
pub(super) struct ThreadLife {
    /// Request spans created on it: (start, end).
    pub(super) created: Vec<(Ns, Ns)>,
    /// A request span was created or closed on it.
    pub(super) hosts_requests: bool,
    /// Work spans created and closed on it: (start, end, request).
    pub(super) work: Vec<(Ns, Ns, usize)>,
}

/// Collects creation/close evidence tree by tree (the collector calls [`Lifecycle::tree`]),
/// then reads it once every tree is in.
#[derive(Debug, Default)]
pub struct Lifecycle {
    /// The requests' work spans, in the order of their requests (`Work::request`): one flat
    /// vector, not one per request (a long trace has hundreds of thousands of requests).
    works: Vec<Work>,
    threads: HashMap<ThreadIdx, ThreadLife>,
    /// Creations and closes of spans without busy time, per thread: what "silent" is read from.
    marks: Vec<(ThreadIdx, Ns)>,
    names: Names,
    /// Some span of a tree without polls was created or closed on a known thread.
    seen: bool,
    /// A request span names Django's OpenTelemetry instrumentation as its scope (for
    /// [`super::server_model`]'s wording only).
    pub(super) django: bool,
}

impl Lifecycle {
    /// What each thread did, by creation and close (for [`super::server_model`]).
    pub(super) fn lives(&self) -> &HashMap<ThreadIdx, ThreadLife> {
        &self.threads
    }

    /// Thread ids were seen on span creation or close in a trace part without polls.
    pub fn threads_seen(&self) -> bool {
        self.seen
    }

    /// Reads one span tree (its members, executions and links): `request_spans[k]` is the
    /// span of request `first + k`.
    pub fn tree(
        &mut self,
        trace: &Trace,
        cfg: &Config,
        (members, executions, kids): (&[SpanIdx], &[Execution], &Kids),
        first: usize,
        request_spans: &[SpanIdx],
    ) {
        let known = |s: SpanIdx| {
            let s = trace.span(s);
            s.opened_on.is_some() || s.closed_on.is_some()
        };
        // Django's instrumentation names itself on the request spans, threads or not.
        for &req in request_spans {
            self.django |= trace.field(trace.span(req), "otel.scope.name")
                == Some("opentelemetry.instrumentation.django");
        }
        if !executions.is_empty() || !members.iter().any(|m| known(*m)) {
            return;
        }
        self.seen = true;
        for &m in members {
            let s = trace.span(m);
            if s.busy.is_none() {
                self.marks.extend(s.opened_on.map(|t| (t, s.start)));
                self.marks.extend(s.closed_on.map(|t| (t, s.end)));
            }
        }
        let keys = &kids.keys;
        let kids = |s: SpanIdx| kids.of(s);
        for (k, &req) in request_spans.iter().enumerate() {
            let ri = first + k;
            let rs = trace.span(req);
            if let Some(t) = rs.opened_on {
                let life = self.threads.entry(t).or_default();
                life.created.push((rs.start, rs.end));
                life.hosts_requests = true;
            }
            if let Some(t) = rs.closed_on {
                self.threads.entry(t).or_default().hosts_requests = true;
            }
            // Its descendants; the insides of an I/O call are the call.
            let mut stack: Vec<SpanIdx> = kids(req).to_vec();
            while let Some(c) = stack.pop() {
                let cs = trace.span(c);
                let io = is_io(trace, c, cfg, keys);
                if !io {
                    stack.extend_from_slice(kids(c));
                }
                let (Some(a), Some(b)) = (cs.opened_on, cs.closed_on) else {
                    continue;
                };
                if cs.cut_off || cs.duration() < MIN_WORK {
                    continue;
                }
                // Its own descendants' creations and closes on the same thread.
                let mut inner = 0u32;
                let mut sub: Vec<SpanIdx> = kids(c).to_vec();
                while let Some(d) = sub.pop() {
                    let ds = trace.span(d);
                    if ds.busy.is_none() {
                        inner += u32::from(ds.opened_on == Some(a));
                        inner += u32::from(ds.closed_on == Some(a));
                    }
                    sub.extend_from_slice(kids(d));
                }
                if a == b {
                    self.threads
                        .entry(a)
                        .or_default()
                        .work
                        .push((cs.start, cs.end, ri));
                }
                let name = self.names.get(trace.name(cs));
                self.works.push(Work {
                    request: ri,
                    name,
                    io,
                    thread: a,
                    same: a == b,
                    start: cs.start,
                    end: cs.end,
                    busy: cs.busy,
                    inner,
                    silent: false,
                    held: None,
                });
            }
        }
    }

    /// Shifts every time by `-by` (trees read before the trace was rebased).
    pub fn rebase(&mut self, by: Ns) {
        for w in &mut self.works {
            w.start -= by;
            w.end -= by;
        }
        for life in self.threads.values_mut() {
            for c in &mut life.created {
                c.0 -= by;
                c.1 -= by;
            }
            for w in &mut life.work {
                w.0 -= by;
                w.1 -= by;
            }
        }
        for m in &mut self.marks {
            m.1 -= by;
        }
    }

    /// Roles of the threads that ran no poll, from what was created and closed on them
    /// (threads with polls keep the role their polls show).
    pub fn roles(&self, threads: &mut [ThreadInfo]) {
        for (t, life) in &self.threads {
            let Some(info) = threads.get_mut(t.0 as usize) else {
                continue;
            };
            if info.evidence != RoleEvidence::NoExecutions {
                continue;
            }
            let mut created = life.created.clone();
            created.sort_unstable();
            let mut overlapping = 0u64;
            let mut reach = Ns::MIN;
            for &(s, e) in &created {
                if s < reach {
                    overlapping += 1;
                }
                reach = reach.max(e);
            }
            if overlapping > 0 {
                info.role = ThreadRole::EventLoop;
                info.requests = created.len() as u64;
                info.evidence = RoleEvidence::CreatedInterleaved {
                    requests: created.len() as u64,
                    overlapping,
                };
                continue;
            }
            if life.hosts_requests || life.work.is_empty() {
                continue;
            }
            // Per request, the time from its first work span here to its last.
            let mut per: HashMap<usize, (Ns, Ns)> = HashMap::default();
            for &(s, e, r) in &life.work {
                let w = per.entry(r).or_insert((s, e));
                w.0 = w.0.min(s);
                w.1 = w.1.max(e);
            }
            let mut spans: Vec<(Ns, Ns)> = per.values().copied().collect();
            spans.sort_unstable();
            if spans.windows(2).all(|w| w[1].0 >= w[0].1) {
                info.role = ThreadRole::Blocking;
                info.requests = spans.len() as u64;
                info.evidence = RoleEvidence::WorkOneAtATime {
                    spans: life.work.len() as u64,
                    requests: spans.len() as u64,
                };
            }
        }
    }

    /// Reads what every tree left: which work spans were silent on their thread and which held
    /// it; then, for each request without polls, its kind of work when the trace has no busy
    /// time for it, and where its heaviest work span was made (`Request::made`).
    pub fn apply(&mut self, requests: &mut [Request]) {
        let marks = MarksByThread::new(&self.marks);
        // Silence: no creation or close on its thread in [start, end] but its own two and its
        // descendants'.
        for w in &mut self.works {
            if w.busy.is_some() || !w.same {
                continue;
            }
            let times = marks.on(w.thread);
            let from = times.partition_point(|t| *t < w.start);
            let to = times.partition_point(|t| *t <= w.end);
            w.silent = (to - from) as u64 == u64::from(w.inner) + 2;
        }
        // How often each span name is silent, per endpoint (spans without busy time only).
        // Each work's (endpoint, span name) is numbered once, by its text: one look-up per
        // work, where a map keyed by the shared texts hashed both twice and counted references.
        let mut tally: Vec<(usize, usize)> = Vec::new();
        let pair_of: Vec<Option<usize>> = {
            let mut number: HashMap<(&str, &str), usize> = HashMap::default();
            self.works
                .iter()
                .map(|w| {
                    let r = requests.get(w.request)?;
                    let next = number.len();
                    let n = *number.entry((&r.endpoint, &w.name)).or_insert(next);
                    if n == next {
                        tally.push((0, 0));
                    }
                    Some(n)
                })
                .collect()
        };
        for (w, pair) in self.works.iter().zip(&pair_of) {
            if let Some(t) = pair.and_then(|p| tally.get_mut(p))
                && w.busy.is_none()
            {
                t.0 += usize::from(w.silent);
                t.1 += 1;
            }
        }
        for (w, pair) in self.works.iter_mut().zip(&pair_of) {
            // Works of a request that is not there are left as they are.
            let Some(pair) = pair else { continue };
            if !w.same {
                continue;
            }
            w.held = match w.busy {
                Some(b) => (b * 10 >= w.lifetime() * HELD_TENTHS).then_some(HeldBy::BusyTime),
                None => {
                    let (silent, of) = tally.get(*pair).copied().unwrap_or((0, 0));
                    (w.silent && silent * 2 > of).then_some(HeldBy::NoOtherEvent)
                }
            };
        }
        for (ri, ws) in by_request(&self.works) {
            let Some(r) = requests.get_mut(ri) else {
                continue;
            };
            if ws.is_empty() || r.polls > 0 {
                continue;
            }
            if r.kind == RequestWork::Unmeasured {
                refine(r, ws);
            }
            // The heaviest work span of the request's kind: where its heavy work ran.
            let io = match r.kind {
                RequestWork::Cpu => false,
                RequestWork::IoBlocking => true,
                _ => continue,
            };
            let weight = |w: &Work| {
                w.busy
                    .unwrap_or(if w.held.is_some() { w.lifetime() } else { 0 })
            };
            r.made = ws
                .iter()
                .filter(|w| w.same && w.io == io && weight(w) > 0)
                .max_by_key(|w| weight(w))
                .map(|w| Made {
                    thread: w.thread,
                    lifetime: w.lifetime(),
                    held: w.held,
                });
        }
    }

    /// Inferred stalls: work spans of requests without polls that held an event-loop worker
    /// for `threshold` or more, one per span (nested held spans of a request merged).
    pub fn stalls(
        &self,
        requests: &[Request],
        threads: &[ThreadInfo],
        threshold: Ns,
    ) -> Vec<Stall> {
        let mut out = Vec::new();
        for (ri, ws) in by_request(&self.works) {
            let Some(r) = requests.get(ri).filter(|r| r.polls == 0) else {
                continue;
            };
            let on_loop = |t: ThreadIdx| {
                threads
                    .get(t.0 as usize)
                    .is_some_and(|i| i.role == ThreadRole::EventLoop)
            };
            let mut per_thread: HashMap<ThreadIdx, Vec<(Ns, Ns, &Work)>> = HashMap::default();
            for w in ws.iter().filter(|w| w.held.is_some() && on_loop(w.thread)) {
                per_thread
                    .entry(w.thread)
                    .or_default()
                    .push((w.start, w.end, w));
            }
            let mut threads_here: Vec<ThreadIdx> = per_thread.keys().copied().collect();
            threads_here.sort_unstable();
            for t in threads_here {
                let list = &per_thread[&t];
                for (s, e) in merge(list.iter().map(|x| (x.0, x.1)).collect()) {
                    if e - s < threshold {
                        continue;
                    }
                    // The outermost held span of the section names it.
                    let Some(w) = list
                        .iter()
                        .filter(|x| x.0 >= s && x.1 <= e)
                        .max_by_key(|x| x.1 - x.0)
                        .map(|x| x.2)
                    else {
                        continue;
                    };
                    out.push(Stall {
                        source: StallSource::Inferred(Inferred::HeldWorker {
                            span: w.name.to_string(),
                            by: w.held.unwrap_or(HeldBy::BusyTime),
                        }),
                        thread: Some(t),
                        start: s,
                        end: e,
                        request: Some(ri),
                        culprit: r.endpoint.to_string(),
                        delayed: 0,
                    });
                }
            }
        }
        out
    }

    /// Whether the creation/close threads placed request `r`'s heavy work (its inferred
    /// stalls then come from [`Lifecycle::stalls`], not from its busy time).
    pub fn placed(r: &Request, threads: &[ThreadInfo]) -> bool {
        r.polls == 0
            && r.made.is_some_and(|m| {
                threads.get(m.thread.0 as usize).is_some_and(|i| {
                    i.role == ThreadRole::Blocking
                        || (i.role == ThreadRole::EventLoop && m.held.is_some())
                })
            })
    }

    /// Threads that created interleaved requests (workers) and that ran work one span at a
    /// time (blocking pool), as [`Lifecycle::roles`] found them.
    pub fn thread_counts(threads: &[ThreadInfo]) -> (usize, usize) {
        let by = |e: fn(&RoleEvidence) -> bool| threads.iter().filter(|t| e(&t.evidence)).count();
        (
            by(|e| matches!(e, RoleEvidence::CreatedInterleaved { .. })),
            by(|e| matches!(e, RoleEvidence::WorkOneAtATime { .. })),
        )
    }
}

/// The work spans of each request that has some: (request, its work spans).
fn by_request(works: &[Work]) -> impl Iterator<Item = (usize, &[Work])> {
    works
        .chunk_by(|a, b| a.request == b.request)
        .filter_map(|ws| Some((ws.first()?.request, ws)))
}

/// The times of creations and closes, grouped by thread (threads in index order, a counting
/// sort) and sorted within each: sorting plain times is about three times cheaper than sorting
/// (thread, time) pairs, and a long trace has a million of them.
struct MarksByThread {
    /// `times[start[t]..start[t + 1]]` are thread `t`'s.
    start: Vec<usize>,
    times: Vec<Ns>,
}

impl MarksByThread {
    fn new(marks: &[(ThreadIdx, Ns)]) -> MarksByThread {
        let threads = marks.iter().map(|m| m.0.0 as usize + 1).max().unwrap_or(0);
        let mut start = vec![0usize; threads + 1];
        for m in marks {
            start[m.0.0 as usize + 1] += 1;
        }
        for t in 0..threads {
            start[t + 1] += start[t];
        }
        let mut next = start.clone();
        let mut times = vec![0; marks.len()];
        for &(t, at) in marks {
            let slot = &mut next[t.0 as usize];
            times[*slot] = at;
            *slot += 1;
        }
        for t in 0..threads {
            times[start[t]..start[t + 1]].sort_unstable();
        }
        MarksByThread { start, times }
    }

    /// Thread `t`'s times, sorted.
    fn on(&self, t: ThreadIdx) -> &[Ns] {
        let t = t.0 as usize;
        match (self.start.get(t), self.start.get(t + 1)) {
            (Some(&from), Some(&to)) => &self.times[from..to],
            _ => &[],
        }
    }
}

/// A request without busy time: its kind of work from its work spans' readings. Held spans
/// are CPU, or blocking I/O when I/O-shaped; I/O-shaped spans not held were awaited.
fn refine(r: &mut Request, ws: &[Work]) {
    let (mut cpu, mut block, mut wait) = (Vec::new(), Vec::new(), Vec::new());
    for w in ws {
        match (w.held.is_some(), w.io) {
            (true, false) => cpu.push((w.start, w.end)),
            (true, true) => block.push((w.start, w.end)),
            (false, true) => wait.push((w.start, w.end)),
            (false, false) => {}
        }
    }
    let (cpu, block, wait) = (merge(cpu), merge(block), merge(wait));
    let len = |v: &[(Ns, Ns)]| v.iter().map(|(s, e)| e - s).sum::<Ns>();
    let held_all = merge(cpu.iter().chain(&block).copied().collect());
    // Awaited time inside a held span was not awaited.
    let wait_ns: Ns = wait
        .iter()
        .map(|&(s, e)| e - s - overlap(&held_all, s, e))
        .sum();
    let (cpu_ns, block_ns) = (len(&cpu), len(&block));
    if cpu_ns + block_ns + wait_ns == 0 {
        return;
    }
    let d = r.duration();
    let io_total = wait_ns + block_ns;
    r.kind = if io_total >= cpu_ns && significant(io_total, d) {
        if block_ns > wait_ns {
            RequestWork::IoBlocking
        } else {
            RequestWork::IoWait
        }
    } else if significant(cpu_ns, d) {
        RequestWork::Cpu
    } else {
        RequestWork::Light
    };
    r.cpu = cpu_ns;
    r.io_block = block_ns;
    r.io_wait = wait_ns;
    r.work_busy = cpu_ns + block_ns;
    let (heavy, io) = match r.kind {
        RequestWork::Cpu => (cpu, false),
        RequestWork::IoBlocking => (block, true),
        _ => (Vec::new(), false),
    };
    if !heavy.is_empty() {
        r.heavy_name = ws
            .iter()
            .filter(|w| w.io == io && w.held.is_some())
            .max_by_key(|w| w.lifetime())
            .map(|w| w.name.clone());
        r.heavy = heavy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::requests::Location;
    use crate::analyze::{Analysis, Judgement, Pattern, analyze};
    use crate::model::TraceBuilder;

    /// Marks grouped by thread count what a sort of (thread, time) pairs counts, for every
    /// window, thread and tie; a thread without marks (or unknown) has none.
    #[test]
    fn marks_by_thread_count_as_sorted_pairs_do() {
        let marks: Vec<(ThreadIdx, Ns)> =
            [(2, 50), (0, 10), (2, 5), (0, 10), (5, 7), (0, -3), (2, 50)]
                .iter()
                .map(|&(t, at)| (ThreadIdx(t), at))
                .collect();
        let by = MarksByThread::new(&marks);
        let mut pairs = marks.clone();
        pairs.sort_unstable();
        for t in 0..8 {
            for (s, e) in [(-5, 100), (10, 10), (5, 49), (50, 50), (6, 7), (51, 60)] {
                let t = ThreadIdx(t);
                let want = pairs.partition_point(|m| *m <= (t, e))
                    - pairs.partition_point(|m| *m < (t, s));
                let times = by.on(t);
                let got = times.partition_point(|x| *x <= e) - times.partition_point(|x| *x < s);
                assert_eq!(got, want, "thread {t:?} [{s}, {e}]");
            }
        }
        assert_eq!(by.on(ThreadIdx(2)), [5, 50, 50]);
        assert!(by.on(ThreadIdx(1)).is_empty() && by.on(ThreadIdx(9)).is_empty());
        assert!(MarksByThread::new(&[]).on(ThreadIdx(0)).is_empty());
    }

    const MS: Ns = 1_000_000;

    /// Spans written with the threads they were created and closed on (no polls).
    struct Spans<'a> {
        b: TraceBuilder<'a>,
    }

    impl Spans<'_> {
        fn new() -> Self {
            Spans {
                b: TraceBuilder::new(),
            }
        }

        fn thread(&mut self, key: &str) -> ThreadIdx {
            self.b.thread(key, None)
        }

        /// A span from `at` to `to` ms, created on `new` and closed on `close`; `busy` in ms
        /// when the format records it.
        #[allow(clippy::too_many_arguments)]
        fn span(
            &mut self,
            name: &str,
            fields: &[(&str, &str)],
            parent: Option<SpanIdx>,
            at: f64,
            to: f64,
            new: ThreadIdx,
            close: ThreadIdx,
            busy: Option<f64>,
        ) -> SpanIdx {
            let n = self.b.intern(name);
            let f = fields
                .iter()
                .map(|(k, v)| (self.b.intern(k), (*v).into()))
                .collect();
            let ns = |ms: f64| (ms * MS as f64) as Ns;
            let s = self.b.open_span(n, None, parent, ns(at), f);
            self.b.set_opened_on(s, new);
            let busy = busy.map(ns);
            let idle = busy.map(|b| ns(to) - ns(at) - b);
            self.b.close(s, ns(to), busy, idle, Some(close));
            s
        }

        fn request(
            &mut self,
            route: &str,
            at: f64,
            to: f64,
            new: ThreadIdx,
            close: ThreadIdx,
            busy: Option<f64>,
        ) -> SpanIdx {
            self.span(
                "http.request",
                &[("method", "GET"), ("route", route)],
                None,
                at,
                to,
                new,
                close,
                busy,
            )
        }

        fn analyze(self) -> Analysis {
            analyze(&self.b.finish(), &Config::default())
        }
    }

    fn row<'a>(a: &'a Analysis, endpoint: &str) -> &'a Judgement {
        a.judgements
            .iter()
            .find(|j| j.subject == endpoint)
            .unwrap_or_else(|| panic!("no row for {endpoint}: {:#?}", a.judgements))
    }

    const DB: [(&str, &str); 1] = [("db.system", "postgresql")];

    /// ```text
    /// t(ms)  0    10   20        80 90       120
    /// w1     new A new B        close A,B                 -> created B while A in progress: worker
    /// w2               new C ─ compute(C) busy 100 ─ close C   -> held w2: stall, async-cpu
    /// pool             new/close compute(D) 20..120, then (E) 130..230  -> one at a time: blocking
    /// ```
    #[test]
    fn creation_and_close_threads_give_roles_location_and_stalls() {
        let mut m = Spans::new();
        let (w1, w2, pool) = (m.thread("w1"), m.thread("w2"), m.thread("pool"));
        for (at, to) in [(0.0, 80.0), (10.0, 90.0), (135.0, 215.0)] {
            let r = m.request("/orders", at, to, w1, w1, Some(0.1));
            m.span(
                "db.query",
                &DB,
                Some(r),
                at + 0.1,
                to - 0.1,
                w1,
                w1,
                Some(0.01),
            );
        }
        let c = m.request("/report", 20.0, 120.5, w2, w2, Some(100.3));
        m.span("compute", &[], Some(c), 20.2, 120.2, w2, w2, Some(99.9));
        // Created on w1 while the earlier /orders span above is open: w1 interleaves; w2 too.
        let c2 = m.request("/report", 125.0, 225.5, w2, w2, Some(100.3));
        m.span("compute", &[], Some(c2), 125.2, 225.2, w2, w2, Some(99.9));
        m.request("/orders", 130.0, 131.0, w2, w2, Some(0.5));
        for at in [20.0, 130.0] {
            let d = m.request("/thumbnail", at, at + 101.0, w1, w1, Some(100.2));
            m.span(
                "compute",
                &[],
                Some(d),
                at + 0.5,
                at + 100.5,
                pool,
                pool,
                Some(99.9),
            );
        }
        let a = m.analyze();
        let role = |t: ThreadIdx| a.threads[t.0 as usize].role;
        assert_eq!(role(w1), ThreadRole::EventLoop);
        assert_eq!(role(w2), ThreadRole::EventLoop);
        assert_eq!(role(pool), ThreadRole::Blocking);
        assert!(matches!(
            a.threads[pool.0 as usize].evidence,
            RoleEvidence::WorkOneAtATime {
                spans: 2,
                requests: 2
            }
        ));

        let report = row(&a, "GET /report");
        assert_eq!(report.pattern, Pattern::AsyncCpu);
        let s = report.server().expect("server row");
        assert_eq!(s.location_by, super::super::LocationBy::CreationClose);
        assert_eq!(s.stalls, 2);
        let stall = a
            .stalls
            .iter()
            .find(|s| s.culprit == "GET /report")
            .expect("a stall");
        assert_eq!(stall.thread, Some(w2));
        assert_eq!(stall.duration(), 100 * MS);
        assert_eq!(
            stall.source,
            StallSource::Inferred(Inferred::HeldWorker {
                span: "compute".into(),
                by: HeldBy::BusyTime
            })
        );
        assert_eq!(row(&a, "GET /thumbnail").pattern, Pattern::SyncCpu);
        assert!(
            a.requests
                .iter()
                .filter(|r| &*r.endpoint == "GET /thumbnail")
                .all(|r| r.location == Location::Offloaded)
        );
        assert_eq!(row(&a, "GET /orders").pattern, Pattern::AsyncIo);
        assert!(a.stalls.iter().all(|s| s.culprit == "GET /report"));
    }

    /// A compute span created and closed on a worker but busy 50 of its 100 ms yielded in
    /// between: it did not hold the worker, no stall is inferred from it.
    #[test]
    fn busy_under_nine_tenths_of_the_life_did_not_hold_the_thread() {
        let mut m = Spans::new();
        let w = m.thread("w");
        m.request("/a", 0.0, 50.0, w, w, Some(0.1));
        let r = m.request("/b", 10.0, 111.0, w, w, Some(50.5));
        m.span("compute", &[], Some(r), 10.5, 110.5, w, w, Some(50.0));
        let a = m.analyze();
        assert_eq!(a.threads[w.0 as usize].role, ThreadRole::EventLoop);
        let b = a
            .requests
            .iter()
            .find(|r| &*r.endpoint == "GET /b")
            .expect("/b");
        assert_eq!(b.made.and_then(|m| m.held), None);
        assert!(a.stalls.is_empty(), "{:?}", a.stalls);
    }

    /// tracing-chrome's async style, no busy time. `compute` is silent on its worker in both
    /// of its requests: it held it. `db.query` is silent once in three (the worker had nothing
    /// else to do then): its endpoint's spans yield, so even the silent one was awaited. A
    /// `db.query` closed on another thread than it was created on moved: awaited too.
    ///
    /// ```text
    /// w1  new A  new dbA  new B  new dbB   close dbA,A  close dbB,B  new R1 new c1 ... close c1,R1
    /// w2                                                              new C new dbC .......... close dbC,C
    /// ```
    #[test]
    fn silence_holds_a_thread_only_when_most_of_its_endpoint_is_silent() {
        let mut m = Spans::new();
        let (w1, w2) = (m.thread("w1"), m.thread("w2"));
        let a_ = m.request("/orders", 0.0, 80.3, w1, w1, None);
        m.span("db.query", &DB, Some(a_), 0.1, 80.1, w1, w1, None);
        let b_ = m.request("/orders", 5.0, 85.3, w1, w2, None);
        m.span("db.query", &DB, Some(b_), 5.1, 85.1, w1, w2, None);
        // Alone on w2 from 200 to 280: silent.
        let c_ = m.request("/orders", 200.0, 280.3, w2, w2, None);
        m.span("db.query", &DB, Some(c_), 200.1, 280.1, w2, w2, None);
        for at in [100.0, 300.0] {
            let r = m.request("/report", at, at + 100.5, w1, w1, None);
            m.span("compute", &[], Some(r), at + 0.2, at + 100.2, w1, w1, None);
        }
        // w1 interleaves: a short request created while the first /report is open.
        m.request("/ping", 50.0, 60.0, w1, w1, None);
        let a = m.analyze();
        let report = row(&a, "GET /report");
        assert_eq!(report.pattern, Pattern::AsyncCpu);
        assert_eq!(report.server().map(|s| s.stalls), Some(2));
        assert!(a.stalls.iter().all(|s| matches!(
            &s.source,
            StallSource::Inferred(Inferred::HeldWorker { span, by: HeldBy::NoOtherEvent }) if span == "compute"
        )));
        let orders = row(&a, "GET /orders");
        assert_eq!(orders.pattern, Pattern::AsyncIo);
        assert_eq!(orders.count, 3);
    }

    /// A trace with polls is judged from its polls: creation and close threads add nothing.
    #[test]
    fn a_tree_with_polls_is_left_to_its_polls() {
        let mut b = TraceBuilder::new();
        let w = b.thread("w", None);
        let n = b.intern("http.request");
        let f = vec![
            (b.intern("method"), "GET".into()),
            (b.intern("route"), "/a".into()),
        ];
        let s = b.open_span(n, None, None, 0, f);
        b.set_opened_on(s, w);
        b.enter(s, Some(w), 0);
        b.exit(s, Some(w), 50 * MS);
        b.close(s, 50 * MS, None, None, Some(w));
        let t = b.finish();
        let mut life = Lifecycle::default();
        let execs = t.executions.clone();
        let mut kids = Kids::default();
        kids.build(&t, &[s]);
        life.tree(&t, &Config::default(), (&[s], &execs, &kids), 0, &[s]);
        assert!(!life.threads_seen());
        assert!(life.threads.is_empty());
    }
}
