//! The streaming half of the server analysis: a [`TreeSink`] that measures each span tree as
//! soon as it closes and keeps only compact per-request records and the executions long
//! enough to be stalls. [`Collector::finish`] then runs the detectors.

use super::Analysis;
use super::requests::{self, Request};
use crate::config::Config;
use crate::model::{Execution, Ns, SpanIdx, ThreadIdx, Trace, Tree, TreeSink};
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// An execution long enough to be a stall, kept while the trace is read.
#[derive(Debug, Clone)]
pub struct LongExecution {
    pub thread: Option<ThreadIdx>,
    pub start: Ns,
    pub end: Ns,
    pub request: Option<usize>,
    /// Name of the tree's root span, for stalls outside any request.
    pub culprit: Arc<str>,
}

/// Collects what the detectors need from each span tree as it finishes, so that a trace is
/// read in one pass and only compact per-request records are kept. It is a
/// [`TreeSink`] for streaming readers; [`Collector::finish`] takes the
/// finished trace (with whatever trees are still in it) and runs the detectors.
#[derive(Debug)]
pub struct Collector<'c> {
    pub(super) cfg: &'c Config,
    pub(super) requests: Vec<Request>,
    pub(super) long_executions: Vec<LongExecution>,
    pub(super) names: requests::Names,
    /// The links of the tree being read, shared by its readers.
    kids: requests::Kids,
    /// The spans of the tree's requests (reused from tree to tree).
    tree_requests: Vec<SpanIdx>,
    pub(super) has_executions: bool,
    pub(super) has_thread_executions: bool,
    pub(super) spans_seen: u64,
    keep_executions: bool,
    /// Durations of root spans per name, in first-seen order, while no request was found:
    /// what a trace without requests is reported by ([`super::RootSpans`]).
    pub(super) roots: Vec<(Arc<str>, Vec<Ns>)>,
    /// Where each name is in `roots`.
    root_index: HashMap<Arc<str>, usize>,
    /// The input is a recording of runtime tasks: no root spans are kept.
    runtime_tasks: bool,
    /// Creation/close threads of spans, per request (issue 10, items 3-4).
    pub(super) lifecycle: super::lifecycle::Lifecycle,
    /// Python event loops and their long callbacks (`analyze::python`).
    pub(super) python: super::python::PythonLoops,
    /// Child spans of requests with only start and end, judged from timing alone.
    pub(super) timing: super::timing::Timing,
}

impl TreeSink for Collector<'_> {
    fn tree(&mut self, trace: &Trace, tree: Tree<'_>) {
        self.add_tree(trace, tree.members, tree.executions);
    }

    fn task_retention(&mut self) -> Option<crate::model::Retention> {
        // A reader of runtime tasks asks: its span trees are tasks, not root spans of requests,
        // and are reported as task groups.
        self.runtime_tasks = true;
        Some(super::runtime::retention(self.cfg))
    }
}

impl<'c> Collector<'c> {
    pub fn new(cfg: &'c Config) -> Self {
        Collector {
            cfg,
            requests: Vec::new(),
            long_executions: Vec::new(),
            names: requests::Names::default(),
            kids: requests::Kids::default(),
            tree_requests: Vec::new(),
            has_executions: false,
            has_thread_executions: false,
            spans_seen: 0,
            keep_executions: false,
            roots: Vec::new(),
            root_index: HashMap::default(),
            runtime_tasks: false,
            lifecycle: Default::default(),
            python: Default::default(),
            timing: Default::default(),
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
        self.has_executions |= !executions.is_empty();
        self.has_thread_executions |= executions.iter().any(|e| e.thread.is_some());
        self.kids.build(trace, members);
        let kids = &self.kids;
        let first = self.requests.len();
        // Taken for the tree, its allocation given back at the end.
        let mut spans = std::mem::take(&mut self.tree_requests);
        spans.clear();
        requests::requests_in_tree(
            trace,
            members,
            executions,
            self.cfg,
            &mut self.names,
            kids,
            &mut self.requests,
            &mut spans,
        );
        // Issue 10, items 3-4: where its spans were created and closed (lifecycle.rs).
        self.lifecycle
            .tree(trace, self.cfg, (members, executions, kids), first, &spans);
        // Issue 11: no polls, busy times nor threads: timing alone (timing.rs).
        self.timing.tree(
            trace,
            self.cfg,
            (members, executions, kids),
            first,
            &spans,
            &self.requests,
        );
        if !self.requests.is_empty() {
            // Root spans stand in for requests only in a trace that has none.
            if !self.roots.is_empty() {
                self.roots = Vec::new();
                self.root_index = HashMap::default();
            }
        } else if let Some(root) = members
            .first()
            .filter(|_| !self.runtime_tasks)
            .map(|&m| trace.span(trace.root_of(m)))
            // A tokio task span is an execution unit, not a root span of the app's.
            .filter(|root| root.task.is_none())
        {
            let name = self.names.get(trace.name(root));
            let d = root.duration();
            let next = self.roots.len();
            let i = *self.root_index.entry(name.clone()).or_insert(next);
            match self.roots.get_mut(i) {
                Some((_, ds)) => ds.push(d),
                None => self.roots.push((name, vec![d])),
            }
        }
        self.python
            .tree(trace, members, executions, self.cfg.stall_threshold());
        if self.keep_executions && executions.is_empty() {
            // No polls recorded: the spans of each request stand in for them in a join.
            for &m in members {
                if let Some(k) = request_of(trace, &spans, first, m)
                    && let Some(r) = self.requests.get_mut(k)
                {
                    let s = trace.span(m);
                    r.kept_mut().spans.push((s.start, s.end, s.busy));
                }
            }
        }
        self.add_executions(trace, executions, &spans, first);
        self.tree_requests = spans;
    }

    /// Keeps what the detectors need of a tree's executions: those long enough to be stalls
    /// (every one, for a join), each with its request (an index from `first` on, for the
    /// request spans `spans` of the tree) and culprit.
    fn add_executions(
        &mut self,
        trace: &Trace,
        executions: &[Execution],
        spans: &[SpanIdx],
        first: usize,
    ) {
        let threshold = self.cfg.stall_threshold();
        let keep = self.keep_executions;
        for e in executions
            .iter()
            .filter(|e| keep || e.duration() >= threshold)
        {
            // The request this execution belongs to: the nearest request span above its span.
            let request = request_of(trace, spans, first, e.span);
            if keep {
                if let Some(r) = request.and_then(|k| self.requests.get_mut(k)) {
                    r.kept_mut().executions.push((e.start, e.end));
                }
                if e.duration() < threshold {
                    continue;
                }
            }
            let root = trace.span(trace.root_of(e.span));
            let culprit = match root.task {
                // A poll of a tokio task with no span of the app's inside: named by the task.
                Some(_) => self.names.get(&crate::model::task_label(trace, root)),
                None => self.names.get(trace.name(root)),
            };
            self.long_executions.push(LongExecution {
                thread: e.thread,
                start: e.start,
                end: e.end,
                request,
                culprit,
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
        for e in &mut self.long_executions {
            e.start -= by;
            e.end -= by;
        }
        self.lifecycle.rebase(by);
        self.python.rebase(by);
        self.timing.rebase(by);
        let mut trees: HashMap<SpanIdx, (Vec<SpanIdx>, Vec<Execution>)> = HashMap::default();
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

/// The request an execution of span `s` belongs to: the nearest of the tree's request spans
/// (`spans`, numbered from `first`) above it.
fn request_of(trace: &Trace, spans: &[SpanIdx], first: usize, s: SpanIdx) -> Option<usize> {
    let mut cur = Some(s);
    for _ in 0..crate::model::MAX_DEPTH {
        let c = cur?;
        if let Some(k) = spans.iter().position(|s| *s == c) {
            return Some(first + k);
        }
        cur = trace.span(c).parent;
    }
    None
}
