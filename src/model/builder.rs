//! Turns span lifecycle callbacks from any format into a [`Trace`].

use super::{
    Clock, Execution, FieldValue, NetworkRequest, Ns, Retention, Span, SpanIdx, Sym, Thread,
    ThreadIdx, ThreadRole, Trace,
};
use rustc_hash::FxHashMap as HashMap;

/// Per-span bookkeeping while the span is open, mirroring tracing-subscriber's fmt layer: an
/// "entered" counter and the time of the last 0<->1 transition.
#[derive(Debug, Clone, Copy, Default)]
struct OpenState {
    entered: u32,
    last: Ns,
    busy: Ns,
    /// Time of the last exit, for formats that never close spans.
    last_exit: Option<Ns>,
    closed: bool,
    /// The slot was freed after its tree was handed to the sink.
    free: bool,
    /// The root of this span's tree.
    root: SpanIdx,
}

/// Per-thread stack of entered spans, used to cut the thread's time into executions.
#[derive(Debug, Default)]
struct ThreadStack {
    stack: Vec<SpanIdx>,
    /// Start of the current activation and the span that began it.
    since: Ns,
    bottom: Option<SpanIdx>,
    /// Serial of the tree of the previous activation.
    last_tree: Option<u64>,
}

/// A live span tree: its members, executions and the threads it ran on.
#[derive(Debug, Default)]
struct TreeState {
    serial: u64,
    open: u32,
    members: Vec<SpanIdx>,
    executions: Vec<Execution>,
    threads: Vec<ThreadIdx>,
}

/// A finished span tree, handed to a [`TreeSink`] while the trace is still being read.
#[derive(Debug)]
pub struct Tree<'a> {
    pub root: SpanIdx,
    /// Every span of the tree, the root included.
    pub members: &'a [SpanIdx],
    /// The tree's executions (top-level activations attributed to its spans).
    pub executions: &'a [Execution],
}

/// Receives span trees as soon as every span in them has closed. The builder frees them
/// afterwards, so memory follows the spans open at once, not the length of the trace.
///
/// Times in a [`Tree`] are in the ingest clock: subtract [`Trace::rebased_by`] of the finished
/// trace to put them on the trace's time line.
pub trait TreeSink {
    fn tree(&mut self, trace: &Trace, tree: Tree<'_>);

    /// What a reader of runtime tasks keeps one by one; `None`: [`Retention::default`].
    fn task_retention(&mut self) -> Option<Retention> {
        None
    }

    /// A poll of runtime task number `task` ([`TaskRecord::seq`](super::TaskRecord::seq)), an
    /// application task's, in the ingest clock; readers hand these over only when the
    /// retention asks for every poll ([`Retention::every_poll`]).
    fn task_poll(&mut self, _task: u32, _start: Ns, _end: Ns) {}
}

/// Builds a [`Trace`] from format-neutral callbacks.
///
/// Times passed in are in the ingest's own clock (any zero); [`TraceBuilder::finish`] rebases
/// them so the earliest time seen is 0.
///
/// Executions with thread ids are *top-level activations*:
///
/// ```text
/// thread 3:  ENTER req ─ ENTER db ─ EXIT db ─ EXIT req      ENTER req2 ─ EXIT req2
///            |<─────────── execution(req) ─────────>|      |<─ execution(req2) ─>|
/// ```
///
/// Invariant: an execution covers exactly the time the thread had at least one span entered,
/// so executions on one thread never overlap. Exits that match no entered span on that thread
/// are counted in [`TraceBuilder::unmatched_exits`] and otherwise ignored.
///
/// With a [`TreeSink`], a tree whose spans have all closed is handed over and its span slots are
/// reused: indices of closed spans must not be kept by the caller after their tree closed.
#[derive(Default)]
pub struct TraceBuilder<'s> {
    trace: Trace,
    state: Vec<OpenState>,
    stacks: Vec<ThreadStack>,
    trees: HashMap<SpanIdx, TreeState>,
    next_serial: u64,
    free: Vec<SpanIdx>,
    sink: Option<&'s mut dyn TreeSink>,
    thread_keys: HashMap<String, ThreadIdx>,
    unix_offset: Option<i64>,
    min_time: Option<Ns>,
    max_time: Option<Ns>,
    /// Exit callbacks that matched no enter.
    pub unmatched_exits: u64,
}

impl std::fmt::Debug for TraceBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceBuilder")
            .field("spans", &self.trace.spans.len())
            .field("trees", &self.trees.len())
            .field("streaming", &self.sink.is_some())
            .finish()
    }
}

impl<'s> TraceBuilder<'s> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder that hands finished span trees to `sink` and forgets them.
    pub fn with_sink(sink: &'s mut dyn TreeSink) -> Self {
        TraceBuilder {
            sink: Some(sink),
            ..Self::default()
        }
    }

    /// Declares that the ingest clock is Unix time in nanoseconds plus `offset`.
    pub fn set_unix_offset(&mut self, offset: i64) {
        self.unix_offset = Some(offset);
    }

    pub fn intern(&mut self, s: &str) -> Sym {
        self.trace.strings.intern(s)
    }

    fn see(&mut self, t: Ns) {
        self.min_time = Some(self.min_time.map_or(t, |m| m.min(t)));
        self.max_time = Some(self.max_time.map_or(t, |m| m.max(t)));
    }

    /// What the sink asks a reader of runtime tasks to keep ([`TreeSink::task_retention`]).
    pub fn task_retention(&mut self) -> Retention {
        self.sink
            .as_deref_mut()
            .and_then(|s| s.task_retention())
            .unwrap_or_default()
    }

    /// Hands a poll of runtime task number `task` to the sink ([`TreeSink::task_poll`]).
    pub fn task_poll(&mut self, task: u32, start: Ns, end: Ns) {
        if let Some(s) = self.sink.as_mut() {
            s.task_poll(task, start, end);
        }
    }

    /// The latest time seen so far.
    pub fn last_time(&self) -> Option<Ns> {
        self.max_time
    }

    /// Looks up or adds the thread known in the source as `key`.
    pub fn thread(&mut self, key: &str, name: Option<&str>) -> ThreadIdx {
        if let Some(&idx) = self.thread_keys.get(key) {
            if let Some(n) = name {
                let t = &mut self.trace.threads[idx.0 as usize];
                if t.name.is_none() {
                    t.name = Some(n.to_string());
                }
            }
            return idx;
        }
        let idx = ThreadIdx(self.trace.threads.len() as u32);
        self.trace.threads.push(Thread {
            key: key.to_string(),
            name: name.map(str::to_string),
            role_hint: None,
            stats: Default::default(),
        });
        self.stacks.push(ThreadStack::default());
        self.thread_keys.insert(key.to_string(), idx);
        idx
    }

    pub fn set_thread_role_hint(&mut self, thread: ThreadIdx, role: ThreadRole) {
        if let Some(t) = self.trace.threads.get_mut(thread.0 as usize) {
            t.role_hint = Some(role);
        }
    }

    pub fn span_ref(&self, idx: SpanIdx) -> &Span {
        &self.trace.spans[idx.0 as usize]
    }

    pub fn is_closed(&self, idx: SpanIdx) -> bool {
        self.state.get(idx.0 as usize).is_none_or(|s| s.closed)
    }

    /// The string table, for ingest code that compares interned keys.
    pub fn strings(&self) -> &super::Interner {
        &self.trace.strings
    }

    fn live(&self, idx: SpanIdx) -> bool {
        self.state.get(idx.0 as usize).is_some_and(|s| !s.free)
    }

    /// Opens a span at `start`.
    pub fn open_span(
        &mut self,
        name: Sym,
        target: Option<Sym>,
        parent: Option<SpanIdx>,
        start: Ns,
        fields: Vec<(Sym, FieldValue)>,
    ) -> SpanIdx {
        self.see(start);
        let parent = parent.filter(|p| self.live(*p));
        let span = Span {
            name,
            target,
            parent,
            start,
            end: start,
            busy: None,
            idle: None,
            fields,
            opened_on: None,
            closed_on: None,
            cut_off: true,
        };
        let idx = match self.free.pop() {
            Some(idx) => {
                self.trace.spans[idx.0 as usize] = span;
                idx
            }
            None => {
                self.trace.spans.push(span);
                self.state.push(OpenState::default());
                SpanIdx(self.trace.spans.len() as u32 - 1)
            }
        };
        let root = parent.map_or(idx, |p| self.state[p.0 as usize].root);
        self.state[idx.0 as usize] = OpenState {
            last: start,
            root,
            ..OpenState::default()
        };
        if root == idx {
            self.next_serial += 1;
            self.trees.insert(
                idx,
                TreeState {
                    serial: self.next_serial,
                    ..TreeState::default()
                },
            );
        }
        if let Some(tree) = self.trees.get_mut(&root) {
            tree.open += 1;
            tree.members.push(idx);
        }
        idx
    }

    /// Adds or replaces fields recorded after the span was opened.
    pub fn record_fields(
        &mut self,
        idx: SpanIdx,
        fields: impl IntoIterator<Item = (Sym, FieldValue)>,
    ) {
        let Some(span) = self.trace.spans.get_mut(idx.0 as usize) else {
            return;
        };
        for (k, v) in fields {
            match span.fields.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => {
                    if slot.1 != v {
                        slot.1 = v;
                    }
                }
                None => span.fields.push((k, v)),
            }
        }
    }

    /// Records the thread a span was created on (formats that say so).
    pub fn set_opened_on(&mut self, idx: SpanIdx, thread: ThreadIdx) {
        if let Some(s) = self.trace.spans.get_mut(idx.0 as usize) {
            s.opened_on = Some(thread);
        }
    }

    /// Moves a span's start (a span first seen late, whose real start is learned later).
    pub fn set_start(&mut self, idx: SpanIdx, start: Ns) {
        self.see(start);
        if let Some(s) = self.trace.spans.get_mut(idx.0 as usize) {
            s.start = start;
        }
    }

    /// Sets the parent of a root span after the fact (formats that learn the parent late). The
    /// span's tree joins the parent's.
    pub fn set_parent(&mut self, idx: SpanIdx, parent: SpanIdx) {
        if !self.live(idx) || !self.live(parent) || idx == parent {
            return;
        }
        let old_root = self.state[idx.0 as usize].root;
        let new_root = self.state[parent.0 as usize].root;
        if old_root != idx || new_root == idx {
            return; // only a root can be re-parented, and never under its own tree
        }
        self.trace.spans[idx.0 as usize].parent = Some(parent);
        if let Some(moved) = self.trees.remove(&old_root) {
            for m in &moved.members {
                self.state[m.0 as usize].root = new_root;
            }
            if let Some(tree) = self.trees.get_mut(&new_root) {
                tree.open += moved.open;
                tree.members.extend(moved.members);
                tree.executions.extend(moved.executions);
                for t in moved.threads {
                    if !tree.threads.contains(&t) {
                        tree.threads.push(t);
                    }
                }
            }
        }
    }

    /// The span was entered at `t`, on `thread` when known.
    pub fn enter(&mut self, idx: SpanIdx, thread: Option<ThreadIdx>, t: Ns) {
        self.see(t);
        let Some(st) = self.state.get_mut(idx.0 as usize).filter(|s| !s.free) else {
            return;
        };
        st.entered += 1;
        if st.entered == 1 {
            st.last = t;
        }
        if let Some(th) = thread {
            let stack = &mut self.stacks[th.0 as usize];
            if stack.stack.is_empty() {
                stack.since = t;
                stack.bottom = Some(idx);
            }
            stack.stack.push(idx);
        }
    }

    /// The span was exited at `t`.
    pub fn exit(&mut self, idx: SpanIdx, thread: Option<ThreadIdx>, t: Ns) {
        self.see(t);
        let Some(st) = self.state.get_mut(idx.0 as usize).filter(|s| !s.free) else {
            return;
        };
        if st.entered == 0 {
            self.unmatched_exits += 1;
            return;
        }
        st.entered -= 1;
        let since = st.last;
        let done = st.entered == 0;
        if done {
            // Saturating: a garbled log's times can sum past 2^63 ns.
            st.busy = st.busy.saturating_add(t.saturating_sub(since).max(0));
            st.last = t;
            st.last_exit = Some(t);
        }
        match thread {
            Some(th) => {
                let stack = &mut self.stacks[th.0 as usize];
                match stack.stack.iter().rposition(|s| *s == idx) {
                    Some(pos) => {
                        stack.stack.remove(pos);
                        if stack.stack.is_empty() {
                            let e = Execution {
                                span: stack.bottom.take().unwrap_or(idx),
                                thread: Some(th),
                                start: stack.since,
                                end: t,
                            };
                            self.push_execution(e);
                        }
                    }
                    None => self.unmatched_exits += 1,
                }
            }
            None if done => self.push_execution(Execution {
                span: idx,
                thread: None,
                start: since,
                end: t,
            }),
            None => {}
        }
    }

    /// Records an execution: thread counters, and the execution itself with its tree (when
    /// trees are handed to a sink) or in the trace.
    fn push_execution(&mut self, e: Execution) {
        let root = self.state.get(e.span.0 as usize).map_or(e.span, |s| s.root);
        if let Some(th) = e.thread {
            let tree = self.trees.get_mut(&root);
            let stats = &mut self.trace.threads[th.0 as usize].stats;
            stats.executions += 1;
            stats.busy = stats.busy.saturating_add(e.duration());
            let stack = &mut self.stacks[th.0 as usize];
            if let Some(tree) = tree {
                if stack.last_tree == Some(tree.serial) {
                    stats.repolls += 1;
                } else if tree.threads.contains(&th) {
                    stats.returns += 1;
                } else {
                    stats.trees += 1;
                    tree.threads.push(th);
                }
                stack.last_tree = Some(tree.serial);
            }
        }
        match (self.sink.is_some(), self.trees.get_mut(&root)) {
            (true, Some(tree)) => tree.executions.push(e),
            _ => self.trace.executions.push(e),
        }
    }

    /// Closes an open span at `t`. `busy`/`idle` are the format's own figures when it has them;
    /// otherwise busy is computed from enter/exit callbacks.
    pub fn close(
        &mut self,
        idx: SpanIdx,
        t: Ns,
        busy: Option<Ns>,
        idle: Option<Ns>,
        thread: Option<ThreadIdx>,
    ) {
        self.see(t);
        let Some(st) = self.state.get_mut(idx.0 as usize).filter(|s| !s.free) else {
            return;
        };
        if st.closed {
            return;
        }
        st.closed = true;
        let root = st.root;
        let computed_busy = (st.busy > 0 || st.entered > 0).then_some(st.busy);
        let span = &mut self.trace.spans[idx.0 as usize];
        span.end = t.max(span.start);
        span.cut_off = false;
        span.closed_on = thread.or(span.closed_on);
        span.busy = busy.or(computed_busy);
        span.idle = idle.or_else(|| span.busy.map(|b| (span.end - span.start - b).max(0)));
        let finished = self.trees.get_mut(&root).is_some_and(|tree| {
            tree.open = tree.open.saturating_sub(1);
            tree.open == 0
        });
        if finished && self.sink.is_some() {
            self.retire(root);
        }
    }

    /// Hands a finished tree to the sink and frees its slots.
    fn retire(&mut self, root: SpanIdx) {
        let Some(tree) = self.trees.remove(&root) else {
            return;
        };
        if let Some(sink) = self.sink.as_deref_mut() {
            sink.tree(
                &self.trace,
                Tree {
                    root,
                    members: &tree.members,
                    executions: &tree.executions,
                },
            );
        }
        for m in tree.members {
            let i = m.0 as usize;
            self.state[i].free = true;
            self.trace.spans[i].fields = Vec::new();
            self.free.push(m);
        }
    }

    /// Adds a span known only from its close: `end`, and `busy + idle` give its start.
    #[allow(clippy::too_many_arguments)]
    pub fn closed_span(
        &mut self,
        name: Sym,
        target: Option<Sym>,
        parent: Option<SpanIdx>,
        start: Ns,
        end: Ns,
        busy: Option<Ns>,
        idle: Option<Ns>,
        fields: Vec<(Sym, FieldValue)>,
        thread: Option<ThreadIdx>,
    ) -> SpanIdx {
        let idx = self.open_span(name, target, parent, start, fields);
        self.close(idx, end, busy, idle, thread);
        idx
    }

    /// Adds an execution known as a whole (a complete slice, a recorded poll).
    pub fn execution(&mut self, span: SpanIdx, thread: Option<ThreadIdx>, start: Ns, end: Ns) {
        self.see(start);
        self.see(end);
        self.push_execution(Execution {
            span,
            thread,
            start,
            end: end.max(start),
        });
    }

    /// Browser-specific data (main-thread tasks, navigations), in the ingest clock.
    pub fn browser_mut(&mut self) -> &mut super::BrowserData {
        &mut self.trace.browser
    }

    /// Runtime tasks (tokio-console recordings), in the ingest clock.
    pub fn tasks_mut(&mut self) -> &mut super::TaskData {
        &mut self.trace.tasks
    }

    /// Marks that the ingest clock reached `t` (an event with no span).
    pub fn saw_time(&mut self, t: Ns) {
        self.see(t);
    }

    pub fn network(&mut self, req: NetworkRequest) {
        self.see(req.start);
        self.see(req.end);
        self.trace.network.push(req);
    }

    /// Closes every span that is not entered anywhere at its last exit. For formats that record
    /// enters and exits but never a close (tracing-chrome's threaded style, tracing-subscriber's
    /// `FmtSpan::ACTIVE`): a span's life is then taken as first enter to last exit, its busy
    /// time as the sum of its enter -> exit intervals. Returns how many were closed so.
    pub fn close_at_last_exit(&mut self) -> u64 {
        let ready: Vec<(SpanIdx, Ns)> = self
            .state
            .iter()
            .enumerate()
            .filter(|(_, st)| !st.free && !st.closed && st.entered == 0)
            .filter_map(|(i, st)| st.last_exit.map(|t| (SpanIdx(i as u32), t)))
            .collect();
        let n = ready.len() as u64;
        for (idx, t) in ready {
            self.close(idx, t, None, None, None);
        }
        n
    }

    /// [`TraceBuilder::close_at_last_exit`] for a format that has a close event but whose input
    /// never recorded one (tracing-subscriber without `FmtSpan::CLOSE`): how many spans ended
    /// so is kept in [`Trace::ended_at_last_exit`], for a note.
    pub fn end_unclosed_at_last_exit(&mut self) {
        let n = self.close_at_last_exit();
        self.trace.ended_at_last_exit += n;
    }

    pub fn span_count(&self) -> usize {
        self.trace.spans.len() - self.free.len()
    }

    /// Finishes the trace: spans still open are cut off at the last time seen, freed slots are
    /// dropped, and every time is rebased so the earliest is 0.
    pub fn finish(mut self) -> Trace {
        let min = self.min_time.unwrap_or(0);
        let max = self.max_time.unwrap_or(0);
        // Executions of trees still held (streaming mode) go to the trace.
        let mut held: Vec<Execution> = Vec::new();
        for tree in self.trees.values_mut() {
            held.append(&mut tree.executions);
        }
        self.trace.executions.extend(held);
        // Compact: drop freed slots, renumber the rest.
        let mut map: Vec<Option<SpanIdx>> = vec![None; self.trace.spans.len()];
        let mut spans = Vec::with_capacity(self.trace.spans.len() - self.free.len());
        for (i, (span, st)) in std::mem::take(&mut self.trace.spans)
            .into_iter()
            .zip(&self.state)
            .enumerate()
        {
            if st.free {
                continue;
            }
            map[i] = Some(SpanIdx(spans.len() as u32));
            let mut span = span;
            if !st.closed {
                span.end = max.max(span.start);
                span.cut_off = true;
            }
            span.start -= min;
            span.end -= min;
            spans.push(span);
        }
        let remap = |i: SpanIdx| map.get(i.0 as usize).copied().flatten();
        for span in &mut spans {
            span.parent = span.parent.and_then(remap);
        }
        self.trace.spans = spans;
        let mut executions = std::mem::take(&mut self.trace.executions);
        executions.retain_mut(|e| match remap(e.span) {
            Some(s) => {
                e.span = s;
                e.start -= min;
                e.end -= min;
                true
            }
            None => false,
        });
        executions.sort_by_key(|e| (e.thread, e.start, e.end));
        self.trace.executions = executions;
        for n in &mut self.trace.network {
            n.start -= min;
            n.end -= min;
            n.sent = n.sent.map(|t| t - min);
            n.first_byte = n.first_byte.map(|t| t - min);
            n.finish_time = n.finish_time.map(|t| t - min);
        }
        for m in &mut self.trace.browser.main_threads {
            for t in m.tasks.iter_mut().chain(m.legacy_tasks.iter_mut()) {
                t.start -= min;
                if let Some(s) = &mut t.work.heaviest_script {
                    s.start -= min;
                }
            }
        }
        for nav in &mut self.trace.browser.navigations {
            nav.start -= min;
            if let Some(l) = &mut nav.lcp {
                l.at -= min;
            }
        }
        let tasks = &mut self.trace.tasks;
        for t in tasks
            .records
            .iter_mut()
            .chain(tasks.held.iter_mut().map(|h| &mut h.0))
        {
            t.rebase(min);
        }
        self.trace.rebased_by = min;
        self.trace.clock = Clock {
            origin_unix_ns: self.unix_offset.map(|off| min + off),
        };
        self.trace
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Timeline:
    /// ```text
    /// t:     0    10   20   30   40   50
    /// th0:   [req ─[db ]─]              [req]
    /// ```
    #[test]
    fn activations_cover_nested_spans_once() {
        let mut b = TraceBuilder::new();
        let th = b.thread("ThreadId(1)", Some("w"));
        let name = b.intern("req");
        let dbn = b.intern("db");
        let req = b.open_span(name, None, None, 0, vec![]);
        let db = b.open_span(dbn, None, Some(req), 5, vec![]);
        b.enter(req, Some(th), 0);
        b.enter(db, Some(th), 10);
        b.exit(db, Some(th), 20);
        b.close(db, 20, None, None, Some(th));
        b.exit(req, Some(th), 30);
        b.enter(req, Some(th), 40);
        b.exit(req, Some(th), 50);
        b.close(req, 50, None, None, Some(th));
        let t = b.finish();
        assert_eq!(t.executions.len(), 2);
        assert_eq!((t.executions[0].start, t.executions[0].end), (0, 30));
        assert_eq!(t.executions[0].span, req);
        assert_eq!((t.executions[1].start, t.executions[1].end), (40, 50));
        assert_eq!(t.span(req).busy, Some(40));
        assert_eq!(t.span(req).idle, Some(10));
        assert_eq!(t.span(db).busy, Some(10));
        assert_eq!(t.span(db).parent, Some(req));
    }

    /// A span entered on two threads at once counts its busy time once (like tracing-subscriber).
    #[test]
    fn cross_thread_overlap_counts_busy_once() {
        let mut b = TraceBuilder::new();
        let a = b.thread("A", None);
        let c = b.thread("B", None);
        let n = b.intern("req");
        let s = b.open_span(n, None, None, 0, vec![]);
        b.enter(s, Some(a), 10);
        b.enter(s, Some(c), 15);
        b.exit(s, Some(a), 20);
        b.exit(s, Some(c), 30);
        b.close(s, 40, None, None, None);
        let t = b.finish();
        assert_eq!(t.span(s).busy, Some(20));
        assert_eq!(t.executions.len(), 2);
    }

    #[test]
    fn unmatched_exit_is_counted_not_fatal() {
        let mut b = TraceBuilder::new();
        let th = b.thread("A", None);
        let n = b.intern("x");
        let s = b.open_span(n, None, None, 0, vec![]);
        b.exit(s, Some(th), 5);
        assert_eq!(b.unmatched_exits, 1);
        let t = b.finish();
        assert!(t.executions.is_empty());
        assert!(t.span(s).cut_off);
    }

    #[test]
    fn finish_rebases_to_earliest_time_and_keeps_unix_origin() {
        let mut b = TraceBuilder::new();
        b.set_unix_offset(0);
        let n = b.intern("x");
        let s = b.closed_span(
            n,
            None,
            None,
            1_000,
            1_500,
            Some(100),
            Some(400),
            vec![],
            None,
        );
        let t = b.finish();
        assert_eq!((t.span(s).start, t.span(s).end), (0, 500));
        assert_eq!(t.clock.origin_unix_ns, Some(1_000));
    }

    /// Spans that are entered and exited but never closed (tracing-chrome's threaded style) end
    /// at their last exit; one still entered at the end of the trace stays cut off.
    ///
    /// ```text
    /// t:    0    10   20   30   40   50   60
    /// th:   [req ]    [req      ]         [other ...  (no exit)
    /// ```
    #[test]
    fn close_at_last_exit_ends_spans_at_their_last_exit() {
        let mut b = TraceBuilder::new();
        let th = b.thread("T", None);
        let (nr, no) = (b.intern("req"), b.intern("other"));
        let req = b.open_span(nr, None, None, 0, vec![]);
        b.enter(req, Some(th), 0);
        b.exit(req, Some(th), 10);
        b.enter(req, Some(th), 20);
        b.exit(req, Some(th), 40);
        let other = b.open_span(no, None, None, 60, vec![]);
        b.enter(other, Some(th), 60);
        b.close_at_last_exit();
        let t = b.finish();
        let r = t.span(req);
        assert!(!r.cut_off);
        assert_eq!((r.start, r.end), (0, 40));
        assert_eq!((r.busy, r.idle), (Some(30), Some(10)));
        assert!(t.span(other).cut_off, "still entered: not closed");
    }

    /// Zero-duration execution and equal start/end stay valid.
    #[test]
    fn zero_length_execution() {
        let mut b = TraceBuilder::new();
        let th = b.thread("A", None);
        let n = b.intern("x");
        let s = b.open_span(n, None, None, 7, vec![]);
        b.enter(s, Some(th), 7);
        b.exit(s, Some(th), 7);
        b.close(s, 7, None, None, None);
        let t = b.finish();
        assert_eq!(t.executions[0].duration(), 0);
        assert_eq!(t.span(s).duration(), 0);
    }
}

#[cfg(test)]
mod streaming_tests {
    use super::*;

    #[derive(Default)]
    struct Collect(Vec<(String, usize, usize, Ns)>);

    impl TreeSink for Collect {
        fn tree(&mut self, trace: &Trace, tree: Tree<'_>) {
            let root = trace.span(tree.root);
            self.0.push((
                trace.name(root).to_string(),
                tree.members.len(),
                tree.executions.len(),
                root.duration(),
            ));
        }
    }

    /// Two trees, one after the other: the first is handed over when its last span closes and
    /// its slots are reused by the second; a third tree still open at the end stays in the trace.
    ///
    /// ```text
    /// th:  [a ─[a.child]─]   [b]      [c ........ (never closes)
    /// ```
    #[test]
    fn finished_trees_are_handed_over_and_forgotten() {
        let mut sink = Collect::default();
        let mut b = TraceBuilder::with_sink(&mut sink);
        let th = b.thread("T", None);
        let (na, nc, nb, nx) = (
            b.intern("a"),
            b.intern("a.child"),
            b.intern("b"),
            b.intern("c"),
        );
        let a = b.open_span(na, None, None, 0, vec![]);
        let ac = b.open_span(nc, None, Some(a), 1, vec![]);
        b.enter(a, Some(th), 0);
        b.enter(ac, Some(th), 1);
        b.exit(ac, Some(th), 5);
        b.exit(a, Some(th), 6);
        b.close(a, 10, None, None, None);
        assert_eq!(b.span_count(), 2, "a's child is still open");
        b.close(ac, 11, None, None, None);
        assert_eq!(b.span_count(), 0);
        let bb = b.open_span(nb, None, None, 20, vec![]);
        assert!(bb == a || bb == ac, "slot reused");
        b.close(bb, 30, None, None, None);
        let c = b.open_span(nx, None, None, 40, vec![]);
        b.enter(c, Some(th), 41);
        b.exit(c, Some(th), 45);
        let t = b.finish();
        assert_eq!(sink.0, vec![("a".into(), 2, 1, 10), ("b".into(), 1, 0, 10)]);
        assert_eq!(t.spans.len(), 1);
        assert!(t.spans[0].cut_off);
        assert_eq!(t.executions.len(), 1);
        assert_eq!(t.executions[0].span, SpanIdx(0));
        assert_eq!(t.threads[0].stats.executions, 2);
        assert_eq!(t.threads[0].stats.trees, 2);
    }
}
