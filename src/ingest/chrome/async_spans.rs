//! Async slices, `b`/`e` and `S`/`F`: a span per pair (tracing-chrome's async style: creation to
//! close), matched by category and id, nested by time within an id. The `tid` of each is the
//! thread the span was created (`b`) and closed (`e`) on: [`Span::opened_on`] and
//! [`Span::closed_on`](crate::model::Span::closed_on).
//!
//! [`Span::opened_on`]: crate::model::Span::opened_on

use super::Reader;
use super::args;
use super::event::Event;
use crate::model::{Ns, SpanIdx, Sym};

/// An async (`b`/`e`, `S`/`F`) span still open.
#[derive(Debug, Clone, Copy)]
pub(super) struct AsyncOpen {
    span: SpanIdx,
    name: Sym,
    start: Ns,
}

impl Reader<'_, '_> {
    /// unique within its process). The name is matched within the key.
    fn async_key(&mut self, ev: &Event<'_>) -> String {
        use std::fmt::Write as _;
        let mut k = String::with_capacity(32);
        k.push_str(ev.cat.as_deref().unwrap_or(""));
        k.push('\u{1f}');
        match (&ev.id, &ev.id2.id) {
            (Some(id), _) => {
                let _ = write!(k, "{id}");
            }
            (None, Some(id)) => {
                if ev.id2.local
                    && let Some(p) = &ev.pid
                {
                    let _ = write!(k, "{p}/");
                }
                let _ = write!(k, "{id}");
            }
            (None, None) => {}
        }
        k
    }

    /// `b`/`S` opens a span, `e`/`F` closes the innermost open one of that name with the same
    /// key. A `b` nests under the innermost span of its key that started at or before it
    /// (tracing-chrome gives a whole span tree its root's id).
    pub(super) fn async_slice(&mut self, begin: bool, ev: &Event<'_>) {
        let Some(t0) = ev.ts_ns() else {
            self.skip_no_time();
            return;
        };
        let name = ev.name();
        if begin && name.is_empty() {
            self.skip_no_name();
            return;
        }
        let key = self.async_key(ev);
        let fields = args::fields(ev.args);
        if begin {
            let parent = self
                .asyncs
                .get(&key)
                .and_then(|v| v.iter().rev().find(|o| o.start <= t0))
                .map(|o| o.span);
            let sym = self.b.intern(name);
            let target = ev.cat.as_deref().map(|c| self.b.intern(c));
            let owned = fields
                .iter()
                .map(|(k, v)| (self.b.intern(k), (**v).into()))
                .collect();
            let span = self.b.open_span(sym, target, parent, t0, owned);
            // tracing-chrome's async style writes `b` on the thread that created the span.
            if ev.tid.is_some() {
                let th = self.thread(&ev.pid, &ev.tid);
                self.b.set_opened_on(span, th);
            }
            self.asyncs.entry(key).or_default().push(AsyncOpen {
                span,
                name: sym,
                start: t0,
            });
            return;
        }
        let sym = self.b.strings().get(name);
        let found = self.asyncs.get_mut(&key).and_then(|list| {
            let pos = match (name.is_empty(), sym) {
                (true, _) => list.len().checked_sub(1),
                (false, Some(sym)) => list.iter().rposition(|o| o.name == sym),
                (false, None) => None,
            }?;
            let open = list.remove(pos);
            Some((open, list.is_empty()))
        });
        let Some((open, emptied)) = found else {
            self.async_unmatched += 1;
            self.b.saw_time(t0);
            return;
        };
        if emptied {
            self.asyncs.remove(&key);
        }
        if !fields.is_empty() {
            let recorded: Vec<_> = fields
                .iter()
                .map(|(k, v)| (self.b.intern(k), (**v).into()))
                .collect();
            self.b.record_fields(open.span, recorded);
        }
        // ... and `e` on the thread that closed it.
        let closed_on = ev.tid.is_some().then(|| self.thread(&ev.pid, &ev.tid));
        self.b.close(open.span, t0, None, None, closed_on);
    }
}
