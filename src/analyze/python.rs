//! What is Python-specific in traces of Python programs (viztracer, read by the Chrome reader as
//! function-call spans): which thread runs an asyncio event loop, and which coroutine or
//! function a long loop callback belongs to.
//!
//! asyncio runs every callback through `Handle._run` (a `TimerHandle` runs through the same
//! method), called from `BaseEventLoop._run_once`; a task step is a callback too. So a thread
//! that calls `Handle._run` runs an event loop, and a `Handle._run` call at or over `--stall`
//! held that loop: it is a stall, named by what ran inside it:
//!
//! ```text
//! MainThread:  [_run_once ────────────────────────]
//!                [Handle._run ────────]             <- a stall when >= --stall
//!                  [render_report ───]              <- its name (the longest call inside)
//! Task-2:          [render_report ───]              <- with --log_async the coroutine's frames
//!                                                      sit on the task's own track instead:
//!                                                      the longest call there inside the stall
//! ```
//!
//! A program's whole run (`<module>`, `run`) is one call on the loop thread too, so the
//! generic analysis would take that one long "poll" for a stall; on a loop thread found here,
//! only the `Handle._run` calls count. Names decide nothing else: a loop thread is one that
//! calls `Handle._run`, whatever it is called.

use super::stalls::{Stall, StallSource};
use super::threads::{RoleEvidence, ThreadInfo};
use crate::model::{Execution, Ns, SpanIdx, Sym, ThreadIdx, ThreadRole, Trace};
use std::collections::HashMap;

/// How viztracer names asyncio's callback runner: `qualname (file:line)`.
const HANDLE_RUN: &str = "Handle._run (";

/// A `Handle._run` call at or over the stall threshold.
#[derive(Debug, Clone)]
struct Callback {
    thread: ThreadIdx,
    start: Ns,
    end: Ns,
    /// The longest call inside it on its own thread: (duration, name).
    inside: Option<(Ns, String)>,
    /// The innermost Python frame below it that covers half of it or more, with its caller
    /// ([`innermost`]).
    inner: Option<String>,
}

/// A root call off the loop (a `--log_async` task track's coroutine step), long enough to be
/// what a long callback ran.
#[derive(Debug, Clone, Copy)]
struct Step {
    thread: ThreadIdx,
    start: Ns,
    end: Ns,
    name: Sym,
    /// The innermost Python frame of the call that covers half of it or more, with its caller.
    inner: Option<(Sym, Option<Sym>)>,
}

/// Root calls kept as candidate steps, at most (32 bytes each): every input passes through
/// here, and a long log of requests has one long root per request; past this, a callback whose
/// coroutine ran on a task track may be named `Handle._run`.
const MAX_STEPS: usize = 100_000;

/// What the Python rules collect from each span tree while the trace is read.
#[derive(Debug, Default)]
pub struct PythonLoops {
    /// Threads that called `Handle._run`, and how many times.
    loop_threads: HashMap<ThreadIdx, u64>,
    callbacks: Vec<Callback>,
    steps: Vec<Step>,
}

impl PythonLoops {
    /// Looks at one finished span tree (see the module docs).
    pub fn tree(
        &mut self,
        trace: &Trace,
        members: &[SpanIdx],
        executions: &[Execution],
        threshold: Ns,
    ) {
        let Some(thread) = executions.iter().find_map(|e| e.thread) else {
            return;
        };
        // One tree is one root call on one thread (the Chrome reader's function calls).
        let mut long: HashMap<SpanIdx, usize> = HashMap::new();
        for &m in members {
            let s = trace.span(m);
            if !trace.name(s).starts_with(HANDLE_RUN) {
                continue;
            }
            *self.loop_threads.entry(thread).or_default() += 1;
            if s.duration() >= threshold {
                long.insert(m, self.callbacks.len());
                self.callbacks.push(Callback {
                    thread,
                    start: s.start,
                    end: s.end,
                    inside: None,
                    inner: None,
                });
            }
        }
        let mut children: HashMap<SpanIdx, Vec<SpanIdx>> = HashMap::new();
        let root_long = members
            .first()
            .is_some_and(|&r| trace.span(trace.root_of(r)).duration() >= threshold / 2);
        if !long.is_empty() || root_long {
            for &m in members {
                if let Some(p) = trace.span(m).parent {
                    children.entry(p).or_default().push(m);
                }
            }
        }
        for (&m, &i) in &long {
            self.callbacks[i].inner = innermost(trace, m, &children)
                .map(|(f, caller)| named(trace, f, caller.filter(|c| *c != m)));
        }
        if !long.is_empty() {
            for &m in members {
                let s = trace.span(m);
                let Some(&i) = s.parent.and_then(|p| long.get(&p)) else {
                    continue;
                };
                let cb = &mut self.callbacks[i];
                if cb.inside.as_ref().is_none_or(|(d, _)| s.duration() > *d) {
                    cb.inside = Some((s.duration(), trace.name(s).to_string()));
                }
            }
        }
        // A root call long enough to be a coroutine step that made a callback long.
        if let Some(&root) = members.first().filter(|_| self.steps.len() < MAX_STEPS) {
            let r = trace.root_of(root);
            let s = trace.span(r);
            if s.duration() >= threshold / 2 {
                self.steps.push(Step {
                    thread,
                    start: s.start,
                    end: s.end,
                    name: s.name,
                    inner: innermost(trace, r, &children).map(|(f, caller)| {
                        (trace.span(f).name, caller.map(|c| trace.span(c).name))
                    }),
                });
            }
        }
    }

    /// Moves what was collected from streamed trees onto the trace's time line.
    pub fn rebase(&mut self, by: Ns) {
        for c in &mut self.callbacks {
            c.start -= by;
            c.end -= by;
        }
        for s in &mut self.steps {
            s.start -= by;
            s.end -= by;
        }
    }

    /// Marks the loop threads and makes their stalls the long callbacks: every other stall
    /// found on them (a whole-program call taken for one poll) is dropped.
    pub fn apply(self, trace: &Trace, threads: &mut [ThreadInfo], stalls: &mut Vec<Stall>) {
        if self.loop_threads.is_empty() {
            return;
        }
        for t in threads.iter_mut() {
            if let Some(&callbacks) = self.loop_threads.get(&t.idx) {
                t.role = ThreadRole::EventLoop;
                t.evidence = RoleEvidence::RunsLoopCallbacks { callbacks };
            }
        }
        stalls.retain(|s| s.thread.is_none_or(|t| !self.loop_threads.contains_key(&t)));
        for c in &self.callbacks {
            let half = (c.end - c.start) / 2;
            let inside = c.inside.as_ref().map(|(d, name)| (*d, name.as_str()));
            // With `--log_async` the coroutine ran on its own track: the call there that
            // filled the callback, unless a call on the loop thread itself did.
            let on_track = || {
                // A coroutine step runs inside the callback that resumed it (a real thread's
                // call around it, `Thread.run`, does not): contained, to within 1 %.
                let slack = (c.end - c.start) / 100;
                self.steps
                    .iter()
                    .filter(|s| s.thread != c.thread)
                    .filter(|s| s.start >= c.start - slack && s.end <= c.end + slack)
                    .map(|s| (s.end.min(c.end) - s.start.max(c.start), s))
                    .filter(|(overlap, _)| *overlap >= half)
                    .max_by_key(|(overlap, _)| *overlap)
                    .map(|(_, s)| match s.inner {
                        Some((f, caller)) => {
                            let name = |x: Sym| short_name(trace.strings.resolve(x));
                            match caller {
                                Some(c) => format!("{}, called from {}", name(f), name(c)),
                                None => name(f),
                            }
                        }
                        None => short_name(trace.strings.resolve(s.name)),
                    })
            };
            // The innermost Python frame on the loop thread itself, else on the coroutine's
            // track (`--log_async`), else the longest call inside, else the runner.
            let culprit = c
                .inner
                .clone()
                .or_else(|| match inside {
                    Some((d, name)) if d >= half && is_python(name) => Some(short_name(name)),
                    _ => None,
                })
                .or_else(on_track)
                .or_else(|| inside.map(|(_, name)| short_name(name)));
            stalls.push(Stall {
                source: StallSource::EventLoopPoll,
                thread: Some(c.thread),
                start: c.start,
                end: c.end,
                request: None,
                culprit: culprit.unwrap_or_else(|| "Handle._run".to_string()),
                delayed: 0,
            });
        }
        stalls.sort_by_key(|s| (s.start, s.end));
    }
}

/// A Python function's frame as viztracer names it, `qualname (file:line)`; C functions
/// (`_contextvars.Context.run`, `_queue.SimpleQueue.get`) have no place.
fn is_python(name: &str) -> bool {
    name.ends_with(')') && name.contains(" (")
}

/// Below `top`, the chain of the longest call inside each call, as long as it covers half of
/// `top` or more: its innermost Python frame, and that frame's nearest Python caller in the
/// chain (`top` itself included). This names what a long callback ran, through the
/// machinery that wraps it (`_contextvars.Context.run`, `Task.__step`, a coroutine's `send`):
///
/// ```text
/// Handle._run            [──────────────── 200 ms ────────────────]
///   Context.run (C)      [─────────────── 199 ms ────────────────]
///     Task.__step          [───────────── 198 ms ──────────────]
///       leaderboard          [─────────── 196 ms ────────────]     <- its caller
///         tally                [────────── 190 ms ─────────]       <- the innermost frame
///           (calls of 1 ms each: none covers half)
/// ```
fn innermost(
    trace: &Trace,
    top: SpanIdx,
    children: &HashMap<SpanIdx, Vec<SpanIdx>>,
) -> Option<(SpanIdx, Option<SpanIdx>)> {
    let half = trace.span(top).duration() / 2;
    let mut cur = top;
    let mut found: Option<SpanIdx> = None;
    let mut caller: Option<SpanIdx> = is_python(trace.name(trace.span(top))).then_some(top);
    for _ in 0..crate::model::MAX_DEPTH {
        let Some(&next) = children
            .get(&cur)
            .and_then(|k| k.iter().max_by_key(|c| trace.span(**c).duration()))
        else {
            break;
        };
        if trace.span(next).duration() < half {
            break;
        }
        if is_python(trace.name(trace.span(next))) {
            if let Some(f) = found {
                caller = Some(f);
            }
            found = Some(next);
        }
        cur = next;
    }
    found.map(|f| (f, caller))
}

/// The culprit's name: the frame, and its caller when there is one.
fn named(trace: &Trace, frame: SpanIdx, caller: Option<SpanIdx>) -> String {
    let name = |s: SpanIdx| short_name(trace.name(trace.span(s)));
    match caller {
        Some(c) => format!("{}, called from {}", name(frame), name(c)),
        None => name(frame),
    }
}

/// `render_report (rec.py:26)` from `render_report (/tmp/app/rec.py:26)`: the file without
/// its directories.
fn short_name(name: &str) -> String {
    match name.rfind(" (") {
        Some(i) if name.ends_with(')') => {
            let (func, place) = (&name[..i], &name[i + 2..name.len() - 1]);
            let file = place.rsplit(['/', '\\']).next().unwrap_or(place);
            format!("{func} ({file})")
        }
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_file_without_its_directories() {
        assert_eq!(
            short_name("render_report (/tmp/app/rec.py:26)"),
            "render_report (rec.py:26)"
        );
        assert_eq!(
            short_name("_queue.SimpleQueue.get"),
            "_queue.SimpleQueue.get"
        );
        assert_eq!(
            short_name("<module> (<frozen importlib._bootstrap>:1)"),
            "<module> (<frozen importlib._bootstrap>:1)"
        );
    }
}
