//! Function-call slices of a Python profiler: viztracer's `X` events of category `fee`
//! (function entry/exit), named `qualname (file:line)` (`module.func` for C functions).
//!
//! viztracer writes a call when it returns, so a callee comes before its caller in the file.
//! The slices are kept compact while reading and, at the end, sorted per thread and nested by
//! containment: a call inside another on the same thread is its child span, a call inside none
//! is a root span and one execution on its thread.
//!
//! ```text
//! MainThread:  [_run_once ───────────────────────────]
//!                 [Handle._run ──────]  [Handle._run]
//!                    [view ─────────]
//! ```
//!
//! With `--log_async`, coroutine frames sit on one pseudo-thread per asyncio Task (its
//! `thread_name` is the task's name); they nest the same way there. The reader decides nothing
//! about what these calls mean: which thread runs an event loop, and which call is a callback of
//! it, is for `analyze::python`.

use crate::model::{Ns, Sym, ThreadIdx, TraceBuilder};

/// The `cat` of viztracer's function-call slices.
pub(super) const CATEGORY: &str = "fee";

/// One call, as read.
#[derive(Debug, Clone, Copy)]
struct Call {
    thread: ThreadIdx,
    name: Sym,
    start: Ns,
    end: Ns,
    /// Place in the file: of two calls with the same times, the later one is the caller.
    seq: u32,
}

/// The calls read so far.
#[derive(Debug, Default)]
pub(super) struct Calls {
    calls: Vec<Call>,
}

impl Calls {
    pub fn seen(&self) -> bool {
        !self.calls.is_empty()
    }

    pub fn add(
        &mut self,
        b: &mut TraceBuilder<'_>,
        thread: ThreadIdx,
        name: &str,
        start: Ns,
        dur: Ns,
    ) {
        let name = b.intern(name);
        let seq = self.calls.len() as u32;
        self.calls.push(Call {
            thread,
            name,
            start,
            end: start + dur.max(0),
            seq,
        });
    }

    /// Turns the calls into spans and executions (see the module docs).
    pub fn finish(mut self, b: &mut TraceBuilder<'_>) {
        // Per thread by start; a caller before its callees (longer first at equal starts, and
        // written later at equal times).
        self.calls.sort_by(|a, b| {
            (a.thread, a.start, b.end, b.seq).cmp(&(b.thread, b.start, a.end, a.seq))
        });
        let mut stack: Vec<(crate::model::SpanIdx, Call)> = Vec::new();
        let close = |b: &mut TraceBuilder<'_>, (span, c): (crate::model::SpanIdx, Call)| {
            b.close(span, c.end, None, None, Some(c.thread));
        };
        for c in self.calls {
            while let Some(&(_, top)) = stack.last() {
                if top.thread == c.thread && c.end <= top.end {
                    break;
                }
                if let Some(done) = stack.pop() {
                    close(b, done);
                }
            }
            let parent = stack.last().map(|(s, _)| *s);
            let span = b.open_span(c.name, None, parent, c.start, Vec::new());
            if parent.is_none() {
                b.execution(span, Some(c.thread), c.start, c.end);
            }
            stack.push((span, c));
        }
        while let Some(done) = stack.pop() {
            close(b, done);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ingest::ingest_bytes;

    #[test]
    fn calls_nest_by_time_whatever_their_order_in_the_file() {
        // Callees first, as viztracer writes them; `inner` and `Handle._run` have the same
        // times: the one written later is the caller.
        let json = r#"{"traceEvents":[
            {"ph":"M","pid":1,"tid":1,"name":"process_name","args":{"name":"MainProcess"}},
            {"ph":"X","pid":1,"tid":1,"ts":10,"dur":100,"cat":"fee","name":"inner (a.py:2)"},
            {"ph":"X","pid":1,"tid":1,"ts":10,"dur":100,"cat":"fee","name":"Handle._run (events.py:78)"},
            {"ph":"X","pid":1,"tid":1,"ts":200,"dur":5,"cat":"fee","name":"later (a.py:9)"},
            {"ph":"X","pid":1,"tid":1,"ts":0,"dur":300,"cat":"fee","name":"<module> (a.py:1)"},
            {"ph":"X","pid":1,"tid":2,"ts":50,"dur":10,"cat":"fee","name":"other (b.py:1)"}
        ]}"#;
        let ing = ingest_bytes("v.json", json.as_bytes(), false).expect("reads");
        let t = &ing.trace;
        assert!(
            !t.browser.is_browser,
            "a profiler's process name is no browser's"
        );
        let parent_of = |name: &str| {
            let s = t.spans.iter().find(|s| t.name(s) == name).expect(name);
            s.parent.map(|p| t.name(t.span(p)).to_string())
        };
        assert_eq!(parent_of("<module> (a.py:1)"), None);
        assert_eq!(
            parent_of("Handle._run (events.py:78)").as_deref(),
            Some("<module> (a.py:1)")
        );
        assert_eq!(
            parent_of("inner (a.py:2)").as_deref(),
            Some("Handle._run (events.py:78)")
        );
        assert_eq!(
            parent_of("later (a.py:9)").as_deref(),
            Some("<module> (a.py:1)")
        );
        // Another thread's call is a root of its own, never a child by time.
        assert_eq!(parent_of("other (b.py:1)"), None);
        // One execution per root call: <module> (0-300 µs) and other (50-60 µs).
        let mut execs: Vec<(i64, i64)> = t
            .executions
            .iter()
            .map(|e| (e.start / 1000, e.end / 1000))
            .collect();
        execs.sort_unstable();
        assert_eq!(execs, vec![(0, 300), (50, 60)]);
    }
}
