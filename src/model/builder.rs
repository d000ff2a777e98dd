//! Turns span lifecycle callbacks from any format into a [`Trace`].

use super::{
    Clock, Execution, FieldValue, NetworkRequest, Ns, Span, SpanIdx, Sym, Thread, ThreadIdx,
    ThreadRole, Trace,
};
use rustc_hash::FxHashMap as HashMap;

/// Per-span bookkeeping while the span is open, mirroring tracing-subscriber's fmt layer: an
/// "entered" counter and the time of the last 0<->1 transition.
#[derive(Debug, Clone, Copy, Default)]
struct OpenState {
    entered: u32,
    last: Ns,
    busy: Ns,
    closed: bool,
}

/// Per-thread stack of entered spans, used to cut the thread's time into executions.
#[derive(Debug, Default)]
struct ThreadStack {
    stack: Vec<SpanIdx>,
    /// Start of the current activation and the span that began it.
    since: Ns,
    bottom: Option<SpanIdx>,
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
#[derive(Debug, Default)]
pub struct TraceBuilder {
    trace: Trace,
    state: Vec<OpenState>,
    stacks: Vec<ThreadStack>,
    thread_keys: HashMap<String, ThreadIdx>,
    unix_offset: Option<i64>,
    min_time: Option<Ns>,
    max_time: Option<Ns>,
    /// Exit callbacks that matched no enter.
    pub unmatched_exits: u64,
}

impl TraceBuilder {
    pub fn new() -> Self {
        Self::default()
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
        let idx = SpanIdx(self.trace.spans.len() as u32);
        self.trace.spans.push(Span {
            name,
            target,
            parent: parent.filter(|p| *p < idx),
            start,
            end: start,
            busy: None,
            idle: None,
            fields,
            closed_on: None,
            cut_off: true,
        });
        self.state.push(OpenState {
            last: start,
            ..OpenState::default()
        });
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

    /// Moves a span's start earlier (a span first seen late, whose real start is learned later).
    pub fn set_start(&mut self, idx: SpanIdx, start: Ns) {
        self.see(start);
        if let Some(s) = self.trace.spans.get_mut(idx.0 as usize) {
            s.start = start;
        }
    }

    /// Sets a span's parent after the fact (formats that learn the parent only at close time).
    pub fn set_parent(&mut self, idx: SpanIdx, parent: SpanIdx) {
        if parent < idx {
            if let Some(s) = self.trace.spans.get_mut(idx.0 as usize) {
                s.parent = Some(parent);
            }
        }
    }

    /// The span was entered at `t`, on `thread` when known.
    pub fn enter(&mut self, idx: SpanIdx, thread: Option<ThreadIdx>, t: Ns) {
        self.see(t);
        let Some(st) = self.state.get_mut(idx.0 as usize) else {
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
        let Some(st) = self.state.get_mut(idx.0 as usize) else {
            return;
        };
        if st.entered == 0 {
            self.unmatched_exits += 1;
            return;
        }
        st.entered -= 1;
        let since = st.last;
        if st.entered == 0 {
            st.busy += (t - since).max(0);
            st.last = t;
        }
        match thread {
            Some(th) => {
                let stack = &mut self.stacks[th.0 as usize];
                match stack.stack.iter().rposition(|s| *s == idx) {
                    Some(pos) => {
                        stack.stack.remove(pos);
                        if stack.stack.is_empty() {
                            self.trace.executions.push(Execution {
                                span: stack.bottom.take().unwrap_or(idx),
                                thread: Some(th),
                                start: stack.since,
                                end: t,
                            });
                        }
                    }
                    None => self.unmatched_exits += 1,
                }
            }
            None => {
                if st.entered == 0 {
                    self.trace.executions.push(Execution {
                        span: idx,
                        thread: None,
                        start: since,
                        end: t,
                    });
                }
            }
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
        let Some(st) = self.state.get_mut(idx.0 as usize) else {
            return;
        };
        st.closed = true;
        let computed_busy = (st.busy > 0 || st.entered > 0).then_some(st.busy);
        let span = &mut self.trace.spans[idx.0 as usize];
        span.end = t.max(span.start);
        span.cut_off = false;
        span.closed_on = thread.or(span.closed_on);
        span.busy = busy.or(computed_busy);
        span.idle = idle.or_else(|| span.busy.map(|b| (span.end - span.start - b).max(0)));
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
        self.trace.executions.push(Execution {
            span,
            thread,
            start,
            end: end.max(start),
        });
    }

    pub fn network(&mut self, req: NetworkRequest) {
        self.see(req.start);
        self.see(req.end);
        self.trace.network.push(req);
    }

    pub fn span_count(&self) -> usize {
        self.trace.spans.len()
    }

    /// Finishes the trace: spans still open are cut off at the last time seen, and every time
    /// is rebased so the earliest is 0.
    pub fn finish(mut self) -> Trace {
        let min = self.min_time.unwrap_or(0);
        let max = self.max_time.unwrap_or(0);
        for (span, st) in self.trace.spans.iter_mut().zip(&self.state) {
            if !st.closed {
                span.end = max.max(span.start);
                span.cut_off = true;
            }
            span.start -= min;
            span.end -= min;
        }
        for e in &mut self.trace.executions {
            e.start -= min;
            e.end -= min;
        }
        for n in &mut self.trace.network {
            n.start -= min;
            n.end -= min;
        }
        self.trace
            .executions
            .sort_by_key(|e| (e.thread, e.start, e.end));
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
