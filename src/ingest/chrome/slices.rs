//! `B`/`E` slices as span enters and exits: tracing-chrome's threaded style, where each `B`/`E`
//! pair is one poll (enter/exit) of a span, and spans carry no id and are never closed.
//!
//! A `B` names its span only by name and args (the span's fields as recorded so far), and its
//! context is what is entered on that thread. So a span's identity here is
//! `(parent slice on the thread, name, fields)`, and a `B` re-enters the oldest open span with
//! that identity that is not entered anywhere (else one entered on another thread: tracing lets
//! a span be entered on two threads at once), and opens a new one when there is none:
//!
//! ```text
//! thread 0:  B req{id=1} ─ B db ─ E db ─ E req     B req{id=2} ─ E req     B req{id=1} ─ E req
//!            |<── span A: poll 1 ───────────>|     |<─ span B ──>|         |<─ A: poll 2 ─>|
//! ```
//!
//! A span is filed under the fields its `B` carried. Fields recorded while it runs arrive on its
//! `E` (and every later `B`): they are added to the span, and a later `B` carrying more fields
//! than the span was filed under still finds it through the field-key sets seen for that name
//! (and re-files it). Chrome's own `B`/`E` slices are read the same way; their `E` may carry
//! end-data, which is kept as fields.
//!
//! Every lookup is a hash probe, so reading stays linear however many spans a file holds. (A
//! scan over all open spans of a name, which is fine for tracing-subscriber logs whose spans
//! close, is quadratic here, where no span closes before the end.)
//!
//! Limits, inherent to the format: two spans with the same name, fields and parent cannot be
//! told apart and become one span (give request spans a distinguishing field such as a request
//! id). `E`s pair per thread (never across threads), with
//! the innermost open slice of the same name; an `E` matching none is counted, not fatal. A `B`
//! never ended stays entered and is cut off at the end of the trace.

use crate::model::{FieldValue, Ns, SpanIdx, Sym, ThreadIdx, TraceBuilder};
use rustc_hash::{FxHashMap as HashMap, FxHasher};
use std::borrow::Cow;
use std::hash::{Hash, Hasher};

/// A slice begun and not yet ended on a thread.
#[derive(Debug, Clone, Copy)]
pub(super) struct Open {
    pub span: SpanIdx,
    pub name: Sym,
    pub start: Ns,
}

#[derive(Debug, Default)]
pub(super) struct Slices {
    /// Per thread, the slices begun and not ended, innermost last.
    stacks: HashMap<ThreadIdx, Vec<Open>>,
    /// Spans by the identity hash of the `B` that names them.
    index: HashMap<u64, Vec<SpanIdx>>,
    /// Per span (by index): the identity hash it is filed under and how many fields that
    /// identity has, and on how many threads it is entered now.
    filed: Vec<Option<(u64, usize)>>,
    entered: Vec<u32>,
    /// The field-key sets (sorted) of the `B`s seen per span name.
    keysets: HashMap<Sym, Vec<Box<[Sym]>>>,
    /// `E` events that matched no open slice on their thread.
    pub unmatched_ends: u64,
}

fn identity(parent: Option<SpanIdx>, name: Sym, fields: &[(Sym, &str)]) -> u64 {
    let mut h = FxHasher::default();
    (parent, name).hash(&mut h);
    let mut acc = h.finish();
    // Order-independent over the fields.
    for (k, v) in fields {
        let mut h = FxHasher::default();
        (k, v).hash(&mut h);
        acc = acc.wrapping_add(h.finish().wrapping_mul(0x9E37_79B9_7F4A_7C15));
    }
    acc
}

fn keyset(fields: &[(Sym, &str)]) -> Box<[Sym]> {
    let mut keys: Vec<Sym> = fields.iter().map(|(k, _)| *k).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.into_boxed_slice()
}

impl Slices {
    fn entered(&self, idx: SpanIdx) -> bool {
        self.entered.get(idx.0 as usize).is_some_and(|n| *n > 0)
    }

    /// The innermost slice open on `thread`.
    pub fn top(&self, thread: ThreadIdx) -> Option<Open> {
        self.stacks.get(&thread).and_then(|s| s.last().copied())
    }

    /// The open span filed under exactly this identity: the oldest one not entered anywhere,
    /// else one entered on another thread (a span can be entered on two threads at once, as
    /// with `in_scope` inside `spawn_blocking`).
    fn find(
        &self,
        b: &TraceBuilder<'_>,
        parent: Option<SpanIdx>,
        name: Sym,
        fields: &[(Sym, &str)],
    ) -> Option<SpanIdx> {
        let key = identity(parent, name, fields);
        let list = self.index.get(&key)?;
        let mut same = list.iter().copied().filter(|&idx| {
            if b.is_closed(idx)
                || self.filed.get(idx.0 as usize) != Some(&Some((key, fields.len())))
            {
                return false;
            }
            let s = b.span_ref(idx);
            s.name == name
                && s.parent == parent
                && fields
                    .iter()
                    .all(|(k, v)| s.fields.iter().any(|(sk, sv)| sk == k && &**sv == *v))
        });
        let first = same.next()?;
        if !self.entered(first) {
            return Some(first);
        }
        Some(same.find(|idx| !self.entered(*idx)).unwrap_or(first))
    }

    /// Files `idx` under the identity `fields` give it (what its next `B` will carry).
    fn file(&mut self, b: &TraceBuilder<'_>, idx: SpanIdx, fields: &[(Sym, &str)]) {
        let s = b.span_ref(idx);
        let key = identity(s.parent, s.name, fields);
        let ks = keyset(fields);
        let sets = self.keysets.entry(s.name).or_default();
        if !sets.contains(&ks) {
            sets.push(ks);
        }
        let i = idx.0 as usize;
        if self.filed.len() <= i {
            self.filed.resize(i + 1, None);
        }
        if let Some((old, _)) = self.filed[i].replace((key, fields.len())) {
            if old == key {
                return;
            }
            if let Some(list) = self.index.get_mut(&old) {
                list.retain(|x| *x != idx);
                if list.is_empty() {
                    self.index.remove(&old);
                }
            }
        }
        self.index.entry(key).or_default().push(idx);
    }

    /// Records the fields of `fields` that are new or differ on the span; true when an existing
    /// field changed value.
    fn record(b: &mut TraceBuilder<'_>, idx: SpanIdx, fields: &[(Sym, &str)]) -> bool {
        let mut changed = false;
        let updates: Vec<(Sym, FieldValue)> = {
            let have = &b.span_ref(idx).fields;
            fields
                .iter()
                .filter(|(k, v)| match have.iter().find(|(hk, _)| hk == k) {
                    Some((_, hv)) if &**hv == *v => false,
                    Some(_) => {
                        changed = true;
                        true
                    }
                    None => true,
                })
                .map(|(k, v)| (*k, (*v).into()))
                .collect()
        };
        if !updates.is_empty() {
            b.record_fields(idx, updates);
        }
        changed
    }

    /// A `B` at `t` on `thread`: enters the span it names (opening it if it is new).
    pub fn begin(
        &mut self,
        b: &mut TraceBuilder<'_>,
        thread: ThreadIdx,
        t: Ns,
        name: &str,
        target: Option<&str>,
        args: &[(Cow<'_, str>, Cow<'_, str>)],
    ) -> SpanIdx {
        let name = b.intern(name);
        // Identity uses the parent the builder gives a span opened here (a tokio task span is
        // never one: a span re-entered inside another task is still the same span).
        let parent = b.parent_for(self.top(thread).map(|o| o.span));
        let fields: Vec<(Sym, &str)> = args.iter().map(|(k, v)| (b.intern(k), &**v)).collect();
        let mut span = self.find(b, parent, name, &fields);
        if span.is_none() && fields.len() > 1 {
            // Fields recorded between polls: the span is filed under a smaller key set.
            let subsets: Vec<Box<[Sym]>> = self
                .keysets
                .get(&name)
                .map(|sets| {
                    sets.iter()
                        .filter(|ks| {
                            ks.len() < fields.len()
                                && ks.iter().all(|k| fields.iter().any(|(f, _)| f == k))
                        })
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            for ks in subsets {
                let projected: Vec<(Sym, &str)> = fields
                    .iter()
                    .filter(|(k, _)| ks.contains(k))
                    .copied()
                    .collect();
                if let Some(idx) = self.find(b, parent, name, &projected) {
                    Self::record(b, idx, &fields);
                    self.file(b, idx, &fields);
                    span = Some(idx);
                    break;
                }
            }
        }
        let span = match span {
            Some(idx) => idx,
            None => {
                let target = target.map(|s| b.intern(s));
                let owned = fields.iter().map(|(k, v)| (*k, (*v).into())).collect();
                let idx = b.open_span(name, target, parent, t, owned);
                self.file(b, idx, &fields);
                idx
            }
        };
        b.enter(span, Some(thread), t);
        let i = span.0 as usize;
        if self.entered.len() <= i {
            self.entered.resize(i + 1, 0);
        }
        self.entered[i] += 1;
        self.stacks.entry(thread).or_default().push(Open {
            span,
            name,
            start: t,
        });
        span
    }

    /// An `E` at `t` on `thread`: exits the innermost open slice named `name` (the innermost
    /// one when `name` is empty). Returns it, or `None` (counted) when nothing matches.
    ///
    /// Its args are recorded on the span. When they change the value of a field the span had
    /// (tracing's `span.record` during the poll), the span is re-filed under them: tracing-chrome
    /// writes every current field on each record, so the next `B` carries them. Fields the span
    /// did not have (a Chrome slice's `endData`) are kept without changing how it is found.
    pub fn end(
        &mut self,
        b: &mut TraceBuilder<'_>,
        thread: ThreadIdx,
        t: Ns,
        name: &str,
        args: &[(Cow<'_, str>, Cow<'_, str>)],
    ) -> Option<Open> {
        let sym = if name.is_empty() {
            None
        } else {
            match b.strings().get(name) {
                Some(s) => Some(s),
                None => {
                    self.unmatched_ends += 1;
                    return None;
                }
            }
        };
        let stack = self.stacks.get_mut(&thread);
        let pos = stack.as_ref().and_then(|s| match sym {
            Some(sym) => s.iter().rposition(|o| o.name == sym),
            None => s.len().checked_sub(1),
        });
        let (Some(stack), Some(pos)) = (stack, pos) else {
            self.unmatched_ends += 1;
            return None;
        };
        let open = stack.remove(pos);
        b.exit(open.span, Some(thread), t);
        if let Some(n) = self.entered.get_mut(open.span.0 as usize) {
            *n = n.saturating_sub(1);
        }
        if !args.is_empty() {
            let fields: Vec<(Sym, &str)> = args.iter().map(|(k, v)| (b.intern(k), &**v)).collect();
            if Self::record(b, open.span, &fields) {
                self.file(b, open.span, &fields);
            }
        }
        Some(open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Trace;

    type Args<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

    fn args<'a>(kv: &[(&'a str, &'a str)]) -> Args<'a> {
        kv.iter()
            .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)))
            .collect()
    }

    fn finish(mut b: TraceBuilder<'_>) -> Trace {
        b.close_at_last_exit();
        b.finish()
    }

    /// Two polls of one request span, with a child slice inside the first; a second request
    /// with another id in between is another span.
    ///
    /// ```text
    /// t:   0    10   20   30   40   50   60   70
    /// th:  [req1 [db]  ]  [req2]    [req1      ]
    /// ```
    #[test]
    fn polls_of_one_span_and_a_new_span() {
        let mut b = TraceBuilder::new();
        let mut s = Slices::default();
        let th = b.thread("1:0", None);
        let r1 = args(&[("id", "1"), ("route", "/a")]);
        let r2 = args(&[("route", "/a"), ("id", "2")]);
        let a = s.begin(&mut b, th, 0, "req", Some("app"), &r1);
        let db = s.begin(&mut b, th, 10, "db", None, &[]);
        s.end(&mut b, th, 20, "db", &[]).expect("db ends");
        s.end(&mut b, th, 25, "req", &r1).expect("req ends");
        let c = s.begin(&mut b, th, 30, "req", Some("app"), &r2);
        s.end(&mut b, th, 40, "req", &r2).expect("req2 ends");
        // The same fields in another order: the same span.
        let r1_again = args(&[("route", "/a"), ("id", "1")]);
        let again = s.begin(&mut b, th, 50, "req", Some("app"), &r1_again);
        s.end(&mut b, th, 70, "req", &[]).expect("ends");
        assert_eq!(again, a);
        assert_ne!(c, a);
        let t = finish(b);
        let (sa, sdb) = (t.span(a), t.span(db));
        assert_eq!(
            (sa.start, sa.end, sa.busy, sa.idle),
            (0, 70, Some(45), Some(25))
        );
        assert_eq!(sdb.parent, Some(a));
        assert!(!sa.cut_off && !sdb.cut_off);
        assert_eq!(t.executions.len(), 3);
    }

    /// Equal start and end times, nested slices of one name, an `E` without a name, an `E`
    /// that matches nothing, and a `B` never ended.
    #[test]
    fn edge_cases() {
        let mut b = TraceBuilder::new();
        let mut s = Slices::default();
        let th = b.thread("1:0", None);
        let other = b.thread("1:1", None);
        let outer = s.begin(&mut b, th, 5, "f", None, &args(&[("depth", "0")]));
        let inner = s.begin(&mut b, th, 5, "f", None, &args(&[("depth", "1")]));
        assert_ne!(outer, inner);
        // Ends the innermost "f".
        assert_eq!(s.end(&mut b, th, 5, "f", &[]).map(|o| o.span), Some(inner));
        // Another thread's E never pairs with this thread's B.
        assert!(s.end(&mut b, other, 6, "f", &[]).is_none());
        assert!(s.end(&mut b, th, 6, "nope", &[]).is_none());
        assert_eq!(s.unmatched_ends, 2);
        // No name: the innermost.
        assert_eq!(s.end(&mut b, th, 9, "", &[]).map(|o| o.span), Some(outer));
        let open = s.begin(&mut b, th, 20, "never", None, &[]);
        let t = finish(b);
        assert_eq!(t.span(inner).duration(), 0);
        assert_eq!(t.span(outer).parent, None);
        assert_eq!(t.span(inner).parent, Some(outer));
        assert!(t.span(open).cut_off);
    }

    /// One span entered on two threads at once (`in_scope` in `spawn_blocking`) stays one span,
    /// with busy time counted once; a third identical `B` while it is entered elsewhere joins it.
    ///
    /// ```text
    /// t:     0    2    4    6
    /// th0:   [req      ]
    /// th1:     [req      ]
    /// ```
    #[test]
    fn one_span_entered_on_two_threads() {
        let mut b = TraceBuilder::new();
        let mut s = Slices::default();
        let (t0, t1) = (b.thread("1:0", None), b.thread("1:1", None));
        let f = args(&[("id", "3")]);
        let x = s.begin(&mut b, t0, 0, "req", None, &f);
        let y = s.begin(&mut b, t1, 2, "req", None, &f);
        assert_eq!(x, y);
        s.end(&mut b, t0, 4, "req", &[]);
        s.end(&mut b, t1, 6, "req", &[]);
        let t = finish(b);
        assert_eq!(t.spans.len(), 1);
        assert_eq!(t.span(x).busy, Some(6));
        assert_eq!(t.executions.len(), 2);
    }

    /// A Chrome slice's `E` with end-data: the next identical `B` is the same span again (as
    /// for a poll), with the end-data kept as fields.
    #[test]
    fn end_data_does_not_change_identity() {
        let mut b = TraceBuilder::new();
        let mut s = Slices::default();
        let th = b.thread("1:0", None);
        let begin = args(&[("beginData", "{..}")]);
        let end = args(&[("endData", "{..}")]);
        let a = s.begin(&mut b, th, 0, "ParseHTML", None, &begin);
        s.end(&mut b, th, 1, "ParseHTML", &end);
        assert_eq!(s.begin(&mut b, th, 2, "ParseHTML", None, &begin), a);
        s.end(&mut b, th, 3, "ParseHTML", &end);
        let t = finish(b);
        assert_eq!(t.spans.len(), 1);
        assert_eq!(t.field(t.span(a), "endData"), Some("{..}"));
    }

    /// A value changed during a poll (`span.record("status", 200)` over `0`) is what the next
    /// `B` carries: it still finds the span.
    #[test]
    fn value_changed_during_a_poll() {
        let mut b = TraceBuilder::new();
        let mut s = Slices::default();
        let th = b.thread("1:0", None);
        let a = s.begin(
            &mut b,
            th,
            0,
            "req",
            None,
            &args(&[("id", "1"), ("status", "0")]),
        );
        s.end(
            &mut b,
            th,
            1,
            "req",
            &args(&[("id", "1"), ("status", "200")]),
        );
        let next = args(&[("id", "1"), ("status", "200")]);
        assert_eq!(s.begin(&mut b, th, 2, "req", None, &next), a);
        s.end(&mut b, th, 3, "req", &[]);
        assert_eq!(finish(b).spans.len(), 1);
    }

    /// Fields recorded during a poll come with its `E`; the next `B` carries them and finds
    /// the span. Fields recorded between polls (the next `B` has more) find it too.
    #[test]
    fn fields_recorded_later() {
        let mut b = TraceBuilder::new();
        let mut s = Slices::default();
        let th = b.thread("1:0", None);
        let a = s.begin(&mut b, th, 0, "req", None, &args(&[("id", "7")]));
        s.end(
            &mut b,
            th,
            1,
            "req",
            &args(&[("id", "7"), ("status", "200")]),
        );
        let with_status = args(&[("id", "7"), ("status", "200")]);
        assert_eq!(s.begin(&mut b, th, 2, "req", None, &with_status), a);
        s.end(&mut b, th, 3, "req", &[]);
        let more = args(&[("id", "7"), ("status", "200"), ("bytes", "12")]);
        assert_eq!(s.begin(&mut b, th, 4, "req", None, &more), a);
        s.end(&mut b, th, 5, "req", &[]);
        let t = finish(b);
        assert_eq!(t.field(t.span(a), "status"), Some("200"));
        assert_eq!(t.field(t.span(a), "bytes"), Some("12"));
        assert_eq!(t.spans.len(), 1);
    }
}
