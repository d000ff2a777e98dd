//! Span identity for tracing-subscriber output, shared by the JSON and text readers.
//!
//! tracing-subscriber's fmt output carries **no span ids**. A span event names its span by
//! `name` and fields, and gives some context: the text format prints the span's full scope
//! (root first); JSON prints `spans`, the *thread's currently entered* stack, which equals the
//! ancestry for NEW and ENTER of spans created in scope but can be anything for EXIT and CLOSE.
//!
//! The matching rule, for an event about span `X` with context `A = [a0, .., an]`:
//!
//! 1. Candidates are open spans named like `X` whose fields agree with the event's on every key
//!    both have (fields recorded later, like `status`, appear only on later events).
//! 2. Each candidate scores how many levels of its parent chain agree with `A`, read from the
//!    end (the parent against `an`, the grandparent against `an-1`, ...). In the text format the
//!    context is exact, so only the best score counts; in JSON it is a preference.
//! 3. Ties: for EXIT, prefer a candidate entered on this thread; for ENTER one not entered
//!    anywhere; then the oldest (spans close roughly first-in, first-out).
//! 4. No candidate: the span is created (CLOSE-only logs, or a log that starts mid-run). Its
//!    context becomes its ancestry: ancestors not open yet are opened as placeholders, to be
//!    matched by their own CLOSE later, which also fixes their start as `end - busy - idle`.
//!    In JSON the context of a CLOSE is what is entered on the closing thread, which is the
//!    ancestry when a child closes inside its parent (an instrumented future dropped in its
//!    parent's poll, a guard dropped inside `parent.in_scope`), and empty when it closes
//!    outside any span; such a child stays a root of its own and is not part of a request.
//!
//! Limits: two concurrent spans with the same name, fields and ancestry are indistinguishable
//! (the first is taken); a JSON CLOSE on a thread with unrelated spans entered may pick the
//! wrong one of two otherwise identical candidates. Give request spans a distinguishing field
//! (a request id) and the ambiguity disappears.

use super::{Context, Kind, SpanDesc, SpanEvent};
use crate::model::{FieldValue, Ns, SpanIdx, Sym, ThreadIdx, TraceBuilder};
use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;

/// An event's context, parsed at most once and only when a choice needs it.
struct LazyCtx<'a, 'b> {
    src: &'b Context<'a>,
    cache: Option<Vec<SpanDesc<'a>>>,
}

impl<'a> LazyCtx<'a, '_> {
    fn get(&mut self) -> &[SpanDesc<'a>] {
        match self.src {
            Context::Known(c) => c,
            Context::Lazy(f) => self.cache.get_or_insert_with(f),
        }
    }
}

/// The spans open so far and where they are entered; applies span events to a `TraceBuilder`
/// by the rule above.
#[derive(Debug, Default)]
pub struct SpanMatcher {
    open: HashMap<Sym, Vec<SpanIdx>>,
    entered_on: HashMap<SpanIdx, Vec<ThreadIdx>>,
    /// Spans seen first at their CLOSE or created as placeholders: NEW was never seen.
    pub implicit: u64,
    /// Open spans whose start is only a lower bound (no NEW seen): their CLOSE fixes it.
    start_unknown: rustc_hash::FxHashSet<SpanIdx>,
    /// A NEW event was seen (so starts come from NEW, not from busy + idle).
    pub new_seen: bool,
    /// A CLOSE event was seen (else spans end at their last exit: `FmtSpan::ACTIVE`).
    pub close_seen: bool,
    /// Span starts computed as close time - busy - idle.
    pub computed_starts: u64,
    /// CLOSE events that matched no open span: with NEW events in the log, a span closed
    /// twice or opened before the log starts.
    pub unmatched_closes: u64,
}

impl SpanMatcher {
    pub fn new() -> Self {
        Self::default()
    }

    fn fields_of(b: &mut TraceBuilder, d: &SpanDesc) -> Vec<(Sym, FieldValue)> {
        d.fields
            .iter()
            .map(|(k, v)| (b.intern(k), (**v).into()))
            .collect()
    }

    fn compatible(b: &TraceBuilder, idx: SpanIdx, d: &SpanDesc) -> bool {
        let span = b.span_ref(idx);
        d.fields.iter().all(|(k, v)| {
            let Some(sym) = b.strings().get(k) else {
                return true;
            };
            span.fields
                .iter()
                .find(|(key, _)| *key == sym)
                .is_none_or(|(_, have)| **have == **v)
        })
    }

    /// How many levels of `idx`'s ancestry agree with `context` (read from its end).
    fn ancestry_score(b: &TraceBuilder, idx: SpanIdx, context: &[SpanDesc]) -> usize {
        let mut score = 0;
        let mut cur = b.span_ref(idx).parent;
        for anc in context.iter().rev() {
            let Some(p) = cur else { break };
            let ps = b.span_ref(p);
            if b.strings().resolve(ps.name) != anc.name.as_ref() || !Self::compatible(b, p, anc) {
                break;
            }
            score += 1;
            cur = ps.parent;
        }
        score
    }

    fn find(
        &self,
        b: &TraceBuilder,
        d: &SpanDesc,
        context: &mut LazyCtx<'_, '_>,
        exact: bool,
        kind: Option<Kind>,
        thread: Option<ThreadIdx>,
    ) -> Option<SpanIdx> {
        let name = b.strings().get(&d.name)?;
        let list = self.open.get(&name)?;
        let mut compatible = list
            .iter()
            .copied()
            .filter(|&idx| Self::compatible(b, idx, d));
        let first = compatible.next()?;
        let second = compatible.next();
        if second.is_none() && !exact {
            return Some(first);
        }
        let context = context.get();
        let mut best: Option<(usize, u8, SpanIdx)> = None;
        for idx in [first].into_iter().chain(second).chain(compatible) {
            let score = Self::ancestry_score(b, idx, context);
            let entered_here =
                thread.is_some_and(|t| self.entered_on.get(&idx).is_some_and(|ts| ts.contains(&t)));
            let pref = match kind {
                Some(Kind::Exit) => u8::from(entered_here),
                Some(Kind::Enter) => u8::from(!self.entered_on.contains_key(&idx)),
                _ => 0,
            };
            // Candidates come in opening order: strict `>` keeps the oldest among equals.
            if best.is_none_or(|(s, p, _)| (score, pref) > (s, p)) {
                best = Some((score, pref, idx));
            }
        }
        let (score, _, idx) = best?;
        if exact && score < context.len().min(Self::depth(b, idx)) {
            return None;
        }
        Some(idx)
    }

    fn depth(b: &TraceBuilder, idx: SpanIdx) -> usize {
        let mut d = 0;
        let mut cur = b.span_ref(idx).parent;
        while let Some(p) = cur {
            d += 1;
            cur = b.span_ref(p).parent;
            if d > 256 {
                break;
            }
        }
        d
    }

    /// Finds or opens (as a placeholder starting at `t`) the span that `context` ends with.
    fn resolve_parent(
        &mut self,
        b: &mut TraceBuilder,
        context: &[SpanDesc],
        exact: bool,
        t: Ns,
    ) -> Option<SpanIdx> {
        let (last, up) = context.split_last()?;
        let known = Context::Known(up);
        let mut up_ctx = LazyCtx {
            src: &known,
            cache: None,
        };
        if let Some(idx) = self.find(b, last, &mut up_ctx, exact, None, None) {
            return Some(idx);
        }
        let parent = self.resolve_parent(b, up, exact, t);
        Some(self.open(b, last, None, parent, t, true))
    }

    fn open(
        &mut self,
        b: &mut TraceBuilder,
        d: &SpanDesc,
        target: Option<&str>,
        parent: Option<SpanIdx>,
        t: Ns,
        implicit: bool,
    ) -> SpanIdx {
        let name = b.intern(&d.name);
        let target = target.map(|s| b.intern(s));
        let fields = Self::fields_of(b, d);
        let idx = b.open_span(name, target, parent, t, fields);
        self.open.entry(name).or_default().push(idx);
        if implicit {
            self.start_unknown.insert(idx);
            self.implicit += 1;
        }
        idx
    }

    /// Exits a span known by index (formats that pair begin and end themselves).
    pub fn exit_known(
        &mut self,
        b: &mut TraceBuilder,
        idx: SpanIdx,
        thread: Option<ThreadIdx>,
        t: Ns,
    ) {
        b.exit(idx, thread, t);
        if let Some(th) = thread
            && let Some(ts) = self.entered_on.get_mut(&idx)
        {
            if let Some(pos) = ts.iter().rposition(|x| *x == th) {
                ts.swap_remove(pos);
            }
            if ts.is_empty() {
                self.entered_on.remove(&idx);
            }
        }
    }

    /// Applies one span event to the builder; returns the span it was about.
    pub fn apply(&mut self, b: &mut TraceBuilder, ev: &SpanEvent<'_>) -> SpanIdx {
        let exact = ev.context_exact;
        let mut ctx = LazyCtx {
            src: &ev.context,
            cache: None,
        };
        if ev.kind == Kind::New {
            self.new_seen = true;
            let parent = self.resolve_parent(b, ctx.get(), exact, ev.time);
            let idx = self.open(b, ev.span, ev.target, parent, ev.time, false);
            // The thread a NEW line names is the one the span was created on.
            if let Some(t) = ev.thread {
                b.set_opened_on(idx, t);
            }
            return idx;
        }
        let found = self.find(b, ev.span, &mut ctx, exact, Some(ev.kind), ev.thread);
        let idx = match found {
            Some(idx) => idx,
            None => {
                if ev.kind == Kind::Close {
                    self.unmatched_closes += 1;
                }
                let start = match (ev.kind, ev.busy, ev.idle) {
                    (Kind::Close, Some(busy), Some(idle)) => ev.time - busy - idle,
                    _ => ev.time,
                };
                let parent = self.resolve_parent(b, ctx.get(), exact, start);
                self.open(b, ev.span, ev.target, parent, start, true)
            }
        };
        // Fields recorded since the span was last seen (`status` on CLOSE, say). Matching
        // already checked that shared keys agree, so only missing keys need adding.
        let missing: Vec<(Cow<'_, str>, Cow<'_, str>)> = {
            let have = &b.span_ref(idx).fields;
            ev.span
                .fields
                .iter()
                .filter(|(k, _)| {
                    b.strings()
                        .get(k)
                        .is_none_or(|sym| !have.iter().any(|(h, _)| *h == sym))
                })
                .cloned()
                .collect()
        };
        if !missing.is_empty() {
            let fields: Vec<_> = missing
                .iter()
                .map(|(k, v)| (b.intern(k), (**v).into()))
                .collect();
            b.record_fields(idx, fields);
        }
        match ev.kind {
            Kind::New => {}
            Kind::Enter => {
                b.enter(idx, ev.thread, ev.time);
                if let Some(t) = ev.thread {
                    self.entered_on.entry(idx).or_default().push(t);
                }
            }
            Kind::Exit => self.exit_known(b, idx, ev.thread, ev.time),
            Kind::Close => {
                self.close_seen = true;
                let start_unknown = self.start_unknown.remove(&idx);
                if let (Some(busy), Some(idle)) = (ev.busy, ev.idle) {
                    // busy + idle is the span's whole life, as the layer measured it.
                    let start = ev.time - busy - idle;
                    if start_unknown {
                        b.set_start(idx, start);
                        self.computed_starts += 1;
                    }
                }
                b.close(idx, ev.time, ev.busy, ev.idle, ev.thread);
                let name = b.span_ref(idx).name;
                if let Some(list) = self.open.get_mut(&name)
                    && let Some(pos) = list.iter().position(|x| *x == idx)
                {
                    list.remove(pos);
                }
                self.entered_on.remove(&idx);
            }
        }
        idx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(name: &str, fields: &[(&str, &str)]) -> SpanDesc<'static> {
        SpanDesc {
            name: name.to_string().into(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string().into(), v.to_string().into()))
                .collect(),
        }
    }

    fn ev<'a>(kind: Kind, t: Ns, span: &'a SpanDesc<'a>, ctx: &'a [SpanDesc<'a>]) -> SpanEvent<'a> {
        SpanEvent {
            kind,
            time: t,
            thread: None,
            target: None,
            span,
            context: Context::Known(ctx),
            context_exact: true,
            busy: None,
            idle: None,
        }
    }

    /// CLOSE-only text log: children close before parents; identical children of two
    /// concurrent requests are told apart by their parent's fields.
    ///
    /// ```text
    /// req1 [0 ─────────────── 100]
    ///   db   [10 ── 60]
    /// req2     [5 ──────────────── 120]
    ///   db        [20 ── 70]
    /// ```
    #[test]
    fn close_only_builds_tree_from_scope() {
        let mut b = TraceBuilder::new();
        let mut m = SpanMatcher::new();
        let r1 = desc("http.request", &[("request_id", "1")]);
        let r2 = desc("http.request", &[("request_id", "2")]);
        let db = desc("db.query", &[("db.system", "postgresql")]);
        let ctx1 = [r1.clone()];
        let ctx2 = [r2.clone()];
        let close = |m: &mut SpanMatcher,
                     b: &mut TraceBuilder,
                     d: &SpanDesc,
                     ctx: &[SpanDesc],
                     end,
                     busy,
                     idle| {
            let mut e = ev(Kind::Close, end, d, ctx);
            e.busy = Some(busy);
            e.idle = Some(idle);
            m.apply(b, &e);
        };
        close(&mut m, &mut b, &db, &ctx1, 60, 1, 49);
        close(&mut m, &mut b, &db, &ctx2, 70, 1, 49);
        close(&mut m, &mut b, &r1, &[], 100, 10, 90);
        close(&mut m, &mut b, &r2, &[], 120, 10, 105);
        let t = b.finish();
        assert_eq!(t.spans.len(), 4);
        let reqs: Vec<_> = t.spans.iter().filter(|s| s.parent.is_none()).collect();
        assert_eq!(reqs.len(), 2);
        for s in &t.spans {
            assert!(!s.cut_off);
        }
        // Times are rebased to the earliest start (req1 at 0).
        let req1 = t
            .spans
            .iter()
            .find(|s| s.parent.is_none() && t.field(s, "request_id") == Some("1"))
            .unwrap();
        assert_eq!((req1.start, req1.end), (0, 100));
        let dbs: Vec<_> = t.spans.iter().filter(|s| s.parent.is_some()).collect();
        assert_eq!(dbs.len(), 2);
        let p0 = t.span(dbs[0].parent.unwrap());
        assert_eq!(t.field(p0, "request_id"), Some("1"));
        assert_eq!((dbs[0].start, dbs[0].end), (10, 60));
        let p1 = t.span(dbs[1].parent.unwrap());
        assert_eq!(t.field(p1, "request_id"), Some("2"));
    }

    /// Fields recorded later (`status`) do not break the match.
    #[test]
    fn later_fields_still_match() {
        let mut b = TraceBuilder::new();
        let mut m = SpanMatcher::new();
        let new = desc("http.request", &[("route", "/a")]);
        let closed = desc("http.request", &[("route", "/a"), ("status", "200")]);
        m.apply(&mut b, &ev(Kind::New, 0, &new, &[]));
        m.apply(&mut b, &ev(Kind::Close, 50, &closed, &[]));
        let t = b.finish();
        assert_eq!(t.spans.len(), 1);
        assert_eq!(t.field(&t.spans[0], "status"), Some("200"));
        assert_eq!(t.spans[0].duration(), 50);
    }

    #[test]
    fn exit_prefers_span_entered_on_same_thread() {
        let mut b = TraceBuilder::new();
        let t1 = b.thread("ThreadId(1)", None);
        let t2 = b.thread("ThreadId(2)", None);
        let mut m = SpanMatcher::new();
        let d = desc("poll", &[]);
        m.apply(&mut b, &ev(Kind::New, 0, &d, &[]));
        m.apply(&mut b, &ev(Kind::New, 0, &d, &[]));
        let mut e = ev(Kind::Enter, 1, &d, &[]);
        e.thread = Some(t1);
        m.apply(&mut b, &e);
        let mut e = ev(Kind::Enter, 2, &d, &[]);
        e.thread = Some(t2);
        m.apply(&mut b, &e);
        let mut e = ev(Kind::Exit, 10, &d, &[]);
        e.thread = Some(t2);
        m.apply(&mut b, &e);
        let t = b.finish();
        assert_eq!(t.executions.len(), 1);
        assert_eq!(t.executions[0].thread, Some(t2));
        assert_eq!(t.executions[0].span, SpanIdx(1));
    }
}
