//! Thread roles, inferred from behaviour.
//!
//! Thread names settle nothing (since tokio 1.50 every runtime thread, blocking pool included,
//! is called `tokio-rt-worker`). What a thread *does* does:
//!
//! ```text
//! event loop:  [A][B][A][C][B][A]   many short activations, requests interleave (A..B..A)
//!              [A]   [A]            or the same request polled again after yielding
//! blocking:    [A────────][B──────────][C────]   one request at a time, to completion
//! ```
//!
//! An activation is one [`Execution`](crate::model::Execution) with a thread. For each thread the
//! builder counts *returns* (an activation of a span tree that ran on this thread before, with
//! another tree in between) and *repolls* (two activations of the same tree in a row). Either is
//! what an event loop does and a blocking thread does not. A role hint set by the format (a
//! browser main thread) wins. The only thread of a trace, when it ran one span tree in one
//! poll, shows neither: its role stays unknown. (Among several threads, one that ran a single
//! poll is taken as blocking, like a thread per request or a blocking-pool thread.)

use crate::model::{Ns, ThreadIdx, ThreadRole, Trace};

/// A thread, with the role its behaviour shows.
#[derive(Debug, Clone)]
pub struct ThreadInfo {
    pub idx: ThreadIdx,
    pub key: String,
    pub name: Option<String>,
    pub role: ThreadRole,
    /// Executions (top-level activations) on it: polls, for an async runtime.
    pub executions: u64,
    /// Distinct span trees (requests) that ran on it.
    pub requests: u64,
    pub returns: u64,
    pub repolls: u64,
    pub busy: Ns,
    pub evidence: RoleEvidence,
}

/// What showed a thread's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleEvidence {
    /// The trace format defines it (a browser's renderer main thread).
    FormatDefined,
    /// Nothing ran on it that the trace shows.
    NoExecutions,
    /// It went back to span trees it had run before, or re-polled them: an event loop.
    Interleaves {
        executions: u64,
        trees: u64,
        returns: u64,
        repolls: u64,
    },
    /// It ran asyncio's callback runner (`Handle._run`) this many times: a Python event loop
    /// (`analyze::python`).
    RunsLoopCallbacks { callbacks: u64 },
    /// It ran span trees one at a time, each to completion.
    OneAtATime { trees: u64, executions: u64 },
    /// The only thread that ran anything, and it ran one span tree in one poll: that shows
    /// neither role.
    SinglePoll,
}

/// Infers the role of every thread that ran something, from the counters the builder kept
/// while reading ([`ThreadStats`](crate::model::ThreadStats)).
pub fn infer_roles(trace: &Trace) -> Vec<ThreadInfo> {
    let running = trace
        .threads
        .iter()
        .filter(|t| t.stats.executions > 0)
        .count();
    trace
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let st = t.stats;
            let (role, evidence) = if let Some(hint) = t.role_hint {
                (hint, RoleEvidence::FormatDefined)
            } else if st.executions == 0 {
                (ThreadRole::Unknown, RoleEvidence::NoExecutions)
            } else if running == 1 && st.executions == 1 && st.trees <= 1 {
                (ThreadRole::Unknown, RoleEvidence::SinglePoll)
            } else if st.returns > 0 || st.repolls * 2 > st.trees {
                (
                    ThreadRole::EventLoop,
                    RoleEvidence::Interleaves {
                        executions: st.executions,
                        trees: st.trees,
                        returns: st.returns,
                        repolls: st.repolls,
                    },
                )
            } else {
                (
                    ThreadRole::Blocking,
                    RoleEvidence::OneAtATime {
                        trees: st.trees,
                        executions: st.executions,
                    },
                )
            };
            ThreadInfo {
                idx: ThreadIdx(i as u32),
                key: t.key.clone(),
                name: t.name.clone(),
                role,
                executions: st.executions,
                requests: st.trees,
                returns: st.returns,
                repolls: st.repolls,
                busy: st.busy,
                evidence,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TraceBuilder;

    /// ```text
    /// worker:   [A][B][A]          -> event loop (returns to A)
    /// blocking: [A-----]  [B-----] -> blocking (one at a time)
    /// ```
    #[test]
    fn interleaving_means_event_loop_sequential_means_blocking() {
        let mut b = TraceBuilder::new();
        let w = b.thread("w", Some("tokio-rt-worker"));
        let bl = b.thread("b", Some("tokio-rt-worker"));
        let n = b.intern("req");
        let a = b.open_span(n, None, None, 0, vec![]);
        let c = b.open_span(n, None, None, 0, vec![]);
        for (s, t0) in [(a, 0), (c, 10), (a, 20)] {
            b.enter(s, Some(w), t0);
            b.exit(s, Some(w), t0 + 5);
        }
        b.enter(a, Some(bl), 30);
        b.exit(a, Some(bl), 80);
        b.enter(c, Some(bl), 90);
        b.exit(c, Some(bl), 140);
        let t = b.finish();
        let roles = infer_roles(&t);
        assert_eq!(roles[0].role, ThreadRole::EventLoop);
        assert_eq!(roles[0].returns, 1);
        assert_eq!(roles[1].role, ThreadRole::Blocking);
        assert_eq!(roles[1].requests, 2);
    }

    /// One span tree in one poll shows neither role.
    #[test]
    fn a_single_poll_shows_no_role() {
        let mut b = TraceBuilder::new();
        let w = b.thread("w", None);
        let n = b.intern("req");
        let a = b.open_span(n, None, None, 0, vec![]);
        b.enter(a, Some(w), 0);
        b.exit(a, Some(w), 300);
        let roles = infer_roles(&b.finish());
        assert_eq!(roles[0].role, ThreadRole::Unknown);
        assert_eq!(roles[0].evidence, RoleEvidence::SinglePoll);
    }

    /// Two threads, one request each in one poll: a thread per request, blocking.
    #[test]
    fn single_polls_on_several_threads_are_blocking() {
        let mut b = TraceBuilder::new();
        let n = b.intern("req");
        for (i, key) in ["a", "b"].into_iter().enumerate() {
            let th = b.thread(key, None);
            let s = b.open_span(n, None, None, 0, vec![]);
            b.enter(s, Some(th), i as i64);
            b.exit(s, Some(th), 300);
        }
        let roles = infer_roles(&b.finish());
        assert!(roles.iter().all(|r| r.role == ThreadRole::Blocking));
    }

    #[test]
    fn repolled_single_request_is_event_loop() {
        let mut b = TraceBuilder::new();
        let w = b.thread("w", None);
        let n = b.intern("req");
        let a = b.open_span(n, None, None, 0, vec![]);
        b.enter(a, Some(w), 0);
        b.exit(a, Some(w), 100);
        b.enter(a, Some(w), 110);
        b.exit(a, Some(w), 111);
        let roles = infer_roles(&b.finish());
        assert_eq!(roles[0].role, ThreadRole::EventLoop);
    }
}
