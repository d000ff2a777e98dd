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
//!
//! tokio's own task spans, when the trace has them, say it outright ([`task_kind_role`]): the
//! `kind` of the tasks a thread polls is what tokio scheduled there.

use crate::model::{Ns, TaskKindCounts, ThreadIdx, ThreadRole, ThreadStats, Trace};

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
    /// No polls on it, but request spans were created on it, `overlapping` of them while an
    /// earlier one was still in progress: it interleaves requests, an event loop
    /// ([`super::lifecycle`]).
    CreatedInterleaved { requests: u64, overlapping: u64 },
    /// No polls on it and no request span created or closed on it; the work spans created and
    /// closed on it, of `requests` requests, never overlapped another request's: one thing at a
    /// time, a blocking-pool thread ([`super::lifecycle`]).
    WorkOneAtATime { spans: u64, requests: u64 },
    /// No polls and no request span created on it, but the work spans created and closed on
    /// it belong to `requests` requests, `overlapping` pairs of which were in progress at once:
    /// one thread interleaving requests, an event loop whose requests were opened on other
    /// threads (ASGI: [`super::server_model`]).
    WorkInterleaved { requests: u64, overlapping: u64 },
    /// No polls; request spans were created on it one at a time, never two in progress at
    /// once: a thread per request (a WSGI pool thread, or a one-off executor thread:
    /// [`super::server_model`]).
    RequestsOneAtATime { requests: u64 },
    /// tokio's task spans: the kinds of the tasks it polled, or, in a trace without polls, the
    /// kinds of those that finished on it.
    TaskKinds { polled: bool, kinds: TaskKindCounts },
}

/// The role tokio's task spans ([`TaskKind`](crate::model::TaskKind)) give a thread:
///
/// * it polls spawned or local tasks: a worker (an event loop). A multi-thread runtime's worker
///   also runs inside a `blocking` task (its run loop), and a current-thread runtime's
///   `block_on` thread polls the tasks too: the tasks decide.
/// * else it runs `spawn_blocking` tasks: a blocking-pool thread;
/// * else it polls a `block_on` future only: the `block_on` thread, not a worker.
///
/// Without polls (a NEW/CLOSE log), the kinds of the task spans that closed on it say the same,
/// except when it closed both tasks and `block_on` futures: a current-thread runtime's thread,
/// or the thread that dropped a runtime with tasks still in it; nothing is concluded then. Nor
/// when some of its task spans carry no `kind` (a trace without span fields) and none of the
/// others is a spawned task: those could be anything.
pub fn task_kind_role(st: &ThreadStats) -> Option<(ThreadRole, RoleEvidence)> {
    let (kinds, polled) = if st.task_polls.total() > 0 {
        (st.task_polls, true)
    } else if st.task_closes.total() > 0 {
        (st.task_closes, false)
    } else {
        return None;
    };
    let role = if kinds.scheduled() > 0 {
        if !polled && kinds.block_on > 0 {
            return None;
        }
        ThreadRole::EventLoop
    } else if kinds.unrecorded > 0 {
        return None;
    } else if kinds.blocking > 0 {
        ThreadRole::Blocking
    } else {
        ThreadRole::BlockOn
    };
    Some((role, RoleEvidence::TaskKinds { polled, kinds }))
}

/// Infers the role of every thread that ran something, from the counters the builder kept
/// while reading ([`ThreadStats`]).
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
            } else if let Some(by_kinds) = task_kind_role(&st) {
                by_kinds
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

    fn kinds(task: u64, local: u64, blocking: u64, block_on: u64) -> TaskKindCounts {
        TaskKindCounts {
            task,
            local,
            blocking,
            block_on,
            unrecorded: 0,
        }
    }

    /// tokio's task kinds decide: tasks make a worker (even inside a blocking run loop, even on
    /// a `block_on` thread: a current-thread runtime), blocking tasks a blocking-pool thread,
    /// `block_on` alone the `block_on` thread.
    #[test]
    fn task_kinds_polled_give_the_role() {
        let polled = |k: TaskKindCounts| {
            task_kind_role(&ThreadStats {
                task_polls: k,
                ..ThreadStats::default()
            })
            .map(|r| r.0)
        };
        assert_eq!(polled(kinds(7, 0, 1, 0)), Some(ThreadRole::EventLoop));
        assert_eq!(polled(kinds(0, 3, 0, 2)), Some(ThreadRole::EventLoop));
        assert_eq!(polled(kinds(5, 0, 0, 2)), Some(ThreadRole::EventLoop));
        assert_eq!(polled(kinds(0, 0, 4, 0)), Some(ThreadRole::Blocking));
        assert_eq!(polled(kinds(0, 0, 1, 1)), Some(ThreadRole::Blocking));
        assert_eq!(polled(kinds(0, 0, 0, 2)), Some(ThreadRole::BlockOn));
        assert_eq!(polled(kinds(0, 0, 0, 0)), None);
        // A worker of a trace without span fields: its run loop says `blocking` (by target),
        // its task polls say nothing; behaviour decides, not the one run loop.
        let no_fields = TaskKindCounts {
            unrecorded: 9,
            ..kinds(0, 0, 1, 0)
        };
        assert_eq!(polled(no_fields), None);
    }

    /// Without polls, the tasks that finished on a thread say the same, except tasks and
    /// `block_on` together (a current-thread runtime, or a runtime dropped with tasks in it).
    #[test]
    fn task_kinds_closed_give_the_role_unless_ambiguous() {
        let closed = |k: TaskKindCounts| {
            task_kind_role(&ThreadStats {
                task_closes: k,
                ..ThreadStats::default()
            })
            .map(|r| r.0)
        };
        assert_eq!(closed(kinds(4, 0, 1, 0)), Some(ThreadRole::EventLoop));
        assert_eq!(closed(kinds(0, 0, 4, 0)), Some(ThreadRole::Blocking));
        assert_eq!(closed(kinds(0, 0, 0, 1)), Some(ThreadRole::BlockOn));
        assert_eq!(closed(kinds(3, 0, 0, 1)), None);
    }

    /// The kinds win over behaviour: a `block_on` thread polled twice in a row (which looks
    /// like an event loop re-polling) is not a worker.
    #[test]
    fn a_block_on_thread_is_not_a_worker() {
        let mut b = TraceBuilder::new();
        let main = b.thread("main", None);
        let (n, tgt, k) = (
            b.intern("runtime.spawn"),
            b.intern("tokio::task"),
            b.intern("kind"),
        );
        let s = b.open_span(n, Some(tgt), None, 0, vec![(k, "block_on".into())]);
        for t0 in [0, 100] {
            b.enter(s, Some(main), t0);
            b.exit(s, Some(main), t0 + 1);
        }
        let roles = infer_roles(&b.finish());
        assert_eq!(roles[0].role, ThreadRole::BlockOn);
        assert_eq!(
            roles[0].evidence,
            RoleEvidence::TaskKinds {
                polled: true,
                kinds: kinds(0, 0, 0, 2)
            }
        );
    }
}
