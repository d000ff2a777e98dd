//! Turns span lifecycle callbacks from any format into a [`Trace`].

use super::task_spans::{TASK_SPAN_NAME, task_kind};
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
    /// Bumped each time the slot is reused, so a span index kept across a retirement (a task
    /// span's spawner) can be checked.
    generation: u32,
    /// For a tokio task span: the span it was spawned from (not a task span), with that slot's
    /// generation. Spans opened inside the task hang under it.
    spawner: Option<(SpanIdx, u32)>,
}

/// Per-thread stack of entered spans, used to cut the thread's time into executions.
#[derive(Debug, Default)]
struct ThreadStack {
    stack: Vec<SpanIdx>,
    /// The activations under way, outermost first: one from the first span entered on an empty
    /// stack, and one more from each task span entered above it.
    frames: Vec<Frame>,
    /// Serial of the tree of the previous activation.
    last_tree: Option<u64>,
}

/// One activation under way on a thread.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// Where its first span sits in the thread's stack.
    depth: usize,
    since: Ns,
    /// The span that began it.
    bottom: SpanIdx,
    /// It began with a tokio task span: the first other span entered in it is what it ran.
    task: bool,
    first_inner: Option<SpanIdx>,
    /// A task span was entered inside it: it is the thread's scheduler (a worker's run loop),
    /// and its own time is no execution.
    hosted: bool,
}

/// A live span tree: its members, executions and the threads it ran on.
#[derive(Debug, Default)]
struct TreeState {
    serial: u64,
    open: u32,
    /// Activations under way that are attributed to a span of this tree (a task poll that ran
    /// its request goes on after the request span closed): the tree is handed over after them.
    pins: u32,
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
/// Invariant: executions on one thread never overlap. Without tokio's task spans an execution
/// covers exactly the time the thread had at least one span entered. Entering a task span
/// begins a new one (a poll), attributed to the first other span entered inside it; a span that
/// hosted task polls (a worker's run loop) makes none (see [`TaskKind`](super::TaskKind)):
///
/// ```text
/// worker:  ENTER run ─ ENTER task ─ ENTER req ─ EXIT req ─ EXIT task ─ ... ─ EXIT run
///                      |<──────── execution(req) ─────────────>|
/// ```
///
/// Exits that match no entered span on that thread are counted in
/// [`TraceBuilder::unmatched_exits`] and otherwise ignored.
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
    /// The interned name of tokio's task spans, once seen.
    task_name: Option<Sym>,
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

    /// The parent a span opened under `given` gets: `given` itself, unless it is a tokio task
    /// span, which is never a tree parent; then the span the task was spawned from, if it is
    /// still open, else none (see [`TaskKind`](super::TaskKind)). Readers that identify a span by
    /// its parent use this.
    pub fn parent_for(&self, given: Option<SpanIdx>) -> Option<SpanIdx> {
        let p = given.filter(|p| self.live(*p))?;
        if self.trace.spans[p.0 as usize].task.is_none() {
            return Some(p);
        }
        let (s, generation) = self.state[p.0 as usize].spawner?;
        self.state
            .get(s.0 as usize)
            .is_some_and(|st| !st.free && st.generation == generation)
            .then_some(s)
    }

    /// Whether `name` is the name of tokio's task spans (one hash probe until it is interned).
    fn task_named(&mut self, name: Sym) -> bool {
        if self.task_name.is_none() {
            self.task_name = self.trace.strings.get(TASK_SPAN_NAME);
        }
        self.task_name == Some(name)
    }

    /// Opens a span at `start`.
    ///
    /// A tokio task span ([`TaskKind`](super::TaskKind)) is opened as a root; `parent` is kept
    /// as the span it was spawned from, which spans opened inside it hang under.
    pub fn open_span(
        &mut self,
        name: Sym,
        target: Option<Sym>,
        parent: Option<SpanIdx>,
        start: Ns,
        fields: Vec<(Sym, FieldValue)>,
    ) -> SpanIdx {
        self.see(start);
        let parent = self.parent_for(parent);
        let task = if self.task_named(name) {
            task_kind(&self.trace.strings, name, target, &fields)
        } else {
            None
        };
        let spawner = match (task, parent) {
            (Some(_), Some(p)) => Some((p, self.state[p.0 as usize].generation)),
            _ => None,
        };
        let parent = parent.filter(|_| task.is_none());
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
            task,
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
        let generation = self.state[idx.0 as usize].generation.wrapping_add(1);
        self.state[idx.0 as usize] = OpenState {
            last: start,
            root,
            generation,
            spawner,
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
        let Some(parent) = self.parent_for(Some(parent)) else {
            return;
        };
        if !self.live(idx) || idx == parent {
            return;
        }
        if self.trace.spans[idx.0 as usize].task.is_some() {
            // A task span stays a root; it learns where it was spawned from.
            let generation = self.state[parent.0 as usize].generation;
            let st = &mut self.state[idx.0 as usize];
            st.spawner = st.spawner.or(Some((parent, generation)));
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
                tree.pins += moved.pins;
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
            let task = self.trace.spans[idx.0 as usize].task;
            if let Some(kind) = task {
                self.trace.threads[th.0 as usize].stats.task_polls.add(kind);
            }
            let stack = &mut self.stacks[th.0 as usize];
            match stack.frames.last_mut() {
                Some(outer) if !stack.stack.is_empty() && task.is_none() => {
                    if outer.task && outer.first_inner.is_none() {
                        outer.first_inner = Some(idx);
                        let root = self.state[idx.0 as usize].root;
                        if let Some(tree) = self.trees.get_mut(&root) {
                            tree.pins += 1;
                        }
                    }
                }
                outer => {
                    if let Some(outer) = outer {
                        outer.hosted = true;
                    }
                    stack.frames.push(Frame {
                        depth: stack.stack.len(),
                        since: t,
                        bottom: idx,
                        task: task.is_some(),
                        first_inner: None,
                        hosted: false,
                    });
                }
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
                        for f in &mut stack.frames {
                            if f.depth > pos {
                                f.depth -= 1;
                            }
                        }
                        // Every activation whose spans have all been exited ends here,
                        // innermost first.
                        loop {
                            let stack = &mut self.stacks[th.0 as usize];
                            let depth = stack.stack.len();
                            let Some(f) = stack.frames.pop_if(|f| depth <= f.depth) else {
                                break;
                            };
                            if !f.hosted {
                                self.push_execution(Execution {
                                    span: f.first_inner.unwrap_or(f.bottom),
                                    thread: Some(th),
                                    start: f.since,
                                    end: t,
                                });
                            }
                            if let Some(inner) = f.first_inner {
                                self.unpin(inner);
                            }
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
        if let (Some(kind), Some(th)) = (span.task, thread)
            && let Some(t) = self.trace.threads.get_mut(th.0 as usize)
        {
            t.stats.task_closes.add(kind);
        }
        let span = &mut self.trace.spans[idx.0 as usize];
        span.end = t.max(span.start);
        span.cut_off = false;
        span.closed_on = thread.or(span.closed_on);
        span.busy = busy.or(computed_busy);
        span.idle = idle.or_else(|| span.busy.map(|b| (span.end - span.start - b).max(0)));
        let finished = self.trees.get_mut(&root).is_some_and(|tree| {
            tree.open = tree.open.saturating_sub(1);
            tree.open == 0 && tree.pins == 0
        });
        if finished && self.sink.is_some() {
            self.retire(root);
        }
    }

    /// An activation attributed to `span` ended: its tree is handed over if that was all it
    /// waited for.
    fn unpin(&mut self, span: SpanIdx) {
        let Some(root) = self.state.get(span.0 as usize).map(|s| s.root) else {
            return;
        };
        let finished = self.trees.get_mut(&root).is_some_and(|tree| {
            tree.pins = tree.pins.saturating_sub(1);
            tree.open == 0 && tree.pins == 0
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

#[cfg(test)]
mod task_span_tests {
    use super::*;
    use crate::model::TaskKind;

    /// A builder with tokio's task span name and the fields of one of kind `kind`.
    fn task_fields(b: &mut TraceBuilder<'_>, kind: &str, id: u32) -> Vec<(Sym, FieldValue)> {
        vec![
            (b.intern("kind"), kind.into()),
            (b.intern("task.id"), id.to_string().into()),
        ]
    }

    fn task(b: &mut TraceBuilder<'_>, kind: &str, id: u32, parent: Option<SpanIdx>) -> SpanIdx {
        let (n, t) = (b.intern("runtime.spawn"), b.intern("tokio::task"));
        let f = task_fields(b, kind, id);
        b.open_span(n, Some(t), parent, 0, f)
    }

    /// A multi-thread runtime's worker: its run loop is a blocking task entered for the whole
    /// run; each task poll inside it is an execution of the request the task serves, and the
    /// run loop itself makes none.
    ///
    /// ```text
    /// t:    0   10        20  30        40  50   60            100
    /// w:    [run (kind=blocking) .......................................]
    ///           [conn [req]]  [conn [req]]  [idle]
    /// ```
    #[test]
    fn task_polls_inside_a_run_loop_are_the_executions() {
        let mut b = TraceBuilder::new();
        let w = b.thread("w", None);
        let run = task(&mut b, "blocking", 1, None);
        let conn = task(&mut b, "task", 2, None);
        let idle = task(&mut b, "task", 3, None);
        let nr = b.intern("req");
        let req = b.open_span(nr, None, Some(conn), 11, vec![]);
        b.enter(run, Some(w), 0);
        for t0 in [10, 30] {
            b.enter(conn, Some(w), t0);
            b.enter(req, Some(w), t0 + 2);
            b.exit(req, Some(w), t0 + 8);
            b.exit(conn, Some(w), t0 + 10);
        }
        b.enter(idle, Some(w), 50);
        b.exit(idle, Some(w), 60);
        b.exit(run, Some(w), 100);
        let t = b.finish();
        let execs: Vec<(SpanIdx, Ns, Ns)> = t
            .executions
            .iter()
            .map(|e| (e.span, e.start, e.end))
            .collect();
        assert_eq!(execs, vec![(req, 10, 20), (req, 30, 40), (idle, 50, 60)]);
        assert_eq!(t.span(req).parent, None, "a task span is no tree parent");
        assert_eq!(t.span(req).task, None);
        assert_eq!(t.span(conn).task, Some(TaskKind::Task));
        let st = t.threads[0].stats;
        assert_eq!((st.executions, st.trees, st.repolls), (3, 2, 1));
        assert_eq!((st.task_polls.task, st.task_polls.blocking), (3, 1));
    }

    /// Requests served by one connection task are trees of their own: each is handed over when
    /// it closes, while the connection's task is still open.
    #[test]
    fn requests_of_a_keep_alive_connection_are_separate_trees() {
        #[derive(Default)]
        struct Names(Vec<String>);
        impl TreeSink for Names {
            fn tree(&mut self, trace: &Trace, tree: Tree<'_>) {
                self.0.push(trace.name(trace.span(tree.root)).to_string());
            }
        }
        let mut sink = Names::default();
        let mut b = TraceBuilder::with_sink(&mut sink);
        let conn = task(&mut b, "task", 2, None);
        let nr = b.intern("req");
        for t0 in [10, 20] {
            let req = b.open_span(nr, None, Some(conn), t0, vec![]);
            b.close(req, t0 + 5, None, None, None);
        }
        assert_eq!(b.span_count(), 1, "only the connection's task is held");
        drop(b);
        assert_eq!(sink.0, vec!["req", "req"]);
    }

    /// The request span closes inside the task poll that ran it (hyper drops the handler's
    /// future, then writes the response): the poll is still the request's, and its tree is
    /// handed over when the poll ends, with it.
    ///
    /// ```text
    /// t:   0    10                    210   215    220
    /// w:   [conn [req ............... ] close(req)  ]
    /// ```
    #[test]
    fn a_request_closed_inside_its_poll_keeps_the_poll() {
        #[derive(Default)]
        struct Polls(Vec<(String, Vec<(Ns, Ns)>)>);
        impl TreeSink for Polls {
            fn tree(&mut self, trace: &Trace, tree: Tree<'_>) {
                let polls = tree.executions.iter().map(|e| (e.start, e.end)).collect();
                self.0
                    .push((trace.name(trace.span(tree.root)).to_string(), polls));
            }
        }
        let mut sink = Polls::default();
        let mut b = TraceBuilder::with_sink(&mut sink);
        let w = b.thread("w", None);
        let conn = task(&mut b, "task", 2, None);
        let nr = b.intern("req");
        b.enter(conn, Some(w), 0);
        let req = b.open_span(nr, None, Some(conn), 5, vec![]);
        b.enter(req, Some(w), 10);
        b.exit(req, Some(w), 210);
        b.close(req, 215, None, None, Some(w));
        assert_eq!(b.span_count(), 2, "the request waits for its poll to end");
        b.exit(conn, Some(w), 220);
        assert_eq!(b.span_count(), 1, "handed over: only the task is left");
        drop(b);
        assert_eq!(sink.0, vec![("req".to_string(), vec![(0, 220)])]);
    }

    /// `spawn_blocking` inside a request: the blocking task span is a root, and what is opened
    /// inside it hangs under the request it was spawned from.
    #[test]
    fn spans_inside_a_blocking_task_hang_under_the_request_that_spawned_it() {
        let mut b = TraceBuilder::new();
        let nr = b.intern("req");
        let nd = b.intern("db");
        let req = b.open_span(nr, None, None, 0, vec![]);
        let bt = task(&mut b, "blocking", 9, Some(req));
        let db = b.open_span(nd, None, Some(bt), 5, vec![]);
        assert_eq!(b.parent_for(Some(bt)), Some(req));
        assert_eq!(b.parent_for(Some(req)), Some(req));
        let t = b.finish();
        assert_eq!(t.span(bt).parent, None);
        assert_eq!(t.span(db).parent, Some(req));
    }

    /// The spawner is forgotten once its tree is handed over and its slot reused.
    #[test]
    fn a_retired_spawner_is_not_a_parent() {
        #[derive(Default)]
        struct Nothing;
        impl TreeSink for Nothing {
            fn tree(&mut self, _: &Trace, _: Tree<'_>) {}
        }
        let mut sink = Nothing;
        let mut b = TraceBuilder::with_sink(&mut sink);
        let nr = b.intern("req");
        let req = b.open_span(nr, None, None, 0, vec![]);
        let bt = task(&mut b, "blocking", 9, Some(req));
        b.close(req, 10, None, None, None);
        let other = b.open_span(nr, None, None, 20, vec![]);
        assert_eq!(other, req, "the slot is reused");
        assert_eq!(b.parent_for(Some(bt)), None);
    }

    /// A task poll with no span of the app's inside is attributed to the task; a span entered
    /// outside any task keeps today's rule (the outermost span).
    #[test]
    fn a_task_with_nothing_inside_is_its_own_execution() {
        let mut b = TraceBuilder::new();
        let th = b.thread("t", None);
        let bt = task(&mut b, "blocking", 9, None);
        b.enter(bt, Some(th), 0);
        b.exit(bt, Some(th), 50);
        b.close(bt, 51, None, None, Some(th));
        let t = b.finish();
        assert_eq!(t.executions.len(), 1);
        assert_eq!(t.executions[0].span, bt);
        assert_eq!(t.threads[0].stats.task_closes.blocking, 1);
    }

    /// An app's own span called `runtime.spawn` is an ordinary span.
    #[test]
    fn the_name_alone_is_not_a_task_span() {
        let mut b = TraceBuilder::new();
        let (n, app) = (b.intern("runtime.spawn"), b.intern("my_app"));
        let f = task_fields(&mut b, "task", 1);
        let s = b.open_span(n, Some(app), None, 0, f);
        let nc = b.intern("child");
        let c = b.open_span(nc, None, Some(s), 1, vec![]);
        let t = b.finish();
        assert_eq!(t.span(s).task, None);
        assert_eq!(t.span(c).parent, Some(s));
    }
}
