//! The server family's verdict: for one endpoint's requests that share a kind of work, where
//! the heavy work ran (thread roles, a child busy while its request was idle, or, failing both,
//! its effect on concurrent requests), hence the pattern and the verdict.

use super::impact::{IMPACT_MIN_OBSERVERS, Observers, STRETCH_BLOCKS, STRETCH_FREE, impact};
use super::overlap::{Hold, concurrency, merge};
use super::requests::{Location, Placement, Request, RequestWork};
use super::stats::median;
use super::threads::ThreadInfo;
use super::verdict::{
    Detail, Judgement, LocationBy, OtherBehaviour, Pattern, Recorded, ServerEvidence,
    ServerJudgement, Unit, Verdict, WorkersFrom,
};
use crate::config::Config;
use crate::model::{Ns, ThreadRole};

/// Judges one (endpoint, kind of work) group. `durations` are its requests' durations, sorted.
#[allow(clippy::too_many_arguments)]
pub(super) fn judge(
    endpoint: &str,
    kind: RequestWork,
    members: &[usize],
    durations: Vec<Ns>,
    requests: &[Request],
    observers: &Observers,
    threads: &[ThreadInfo],
    recorded: Recorded,
    workers: Option<(usize, WorkersFrom)>,
    cfg: &Config,
) -> Judgement {
    let rs: Vec<&Request> = members.iter().map(|&i| &requests[i]).collect();
    let mut evidence = Vec::new();
    let n = rs.len();
    let slow = durations.iter().filter(|d| **d >= cfg.slow).count();
    let heavy_p50 = median(
        rs.iter()
            .map(|r| match kind {
                RequestWork::Cpu => r.cpu,
                RequestWork::IoBlocking => r.io_block,
                _ => r.work_busy,
            })
            .collect(),
    );
    let wait_p50 = median(
        rs.iter()
            .map(|r| r.io_wait.max(r.duration() - r.work_busy))
            .collect(),
    );
    let max_poll = rs.iter().filter_map(|r| r.max_poll).max();
    let heavy_name = rs.iter().find_map(|r| r.heavy_name.clone());
    // Threads that ran the heavy work.
    let mut loop_threads = Vec::new();
    let mut blocking_threads = Vec::new();
    for r in &rs {
        for t in r.heavy_threads() {
            let t = &t;
            match threads.get(t.0 as usize).map(|i| i.role) {
                Some(ThreadRole::EventLoop) if !loop_threads.contains(t) => loop_threads.push(*t),
                Some(ThreadRole::Blocking) if !blocking_threads.contains(t) => {
                    blocking_threads.push(*t)
                }
                _ => {}
            }
        }
    }
    let threads_seen = rs.iter().any(|r| r.heavy_threads().next().is_some());
    let threads_known = threads_seen && threads.iter().any(|t| t.role != ThreadRole::Unknown);

    if let Some(ev) = rs.iter().find_map(|r| r.io_evidence.as_deref()) {
        evidence.push(ServerEvidence::IoCall(ev.clone()));
    }
    match kind {
        RequestWork::IoWait => evidence.push(ServerEvidence::Awaits {
            idle: wait_p50,
            busy: median(rs.iter().map(|r| r.work_busy).collect()),
        }),
        RequestWork::IoBlocking => evidence.push(ServerEvidence::BlockingIo {
            busy: heavy_p50,
            idle: median(rs.iter().map(|r| r.io_wait).collect()),
        }),
        RequestWork::Cpu => evidence.push(ServerEvidence::Cpu {
            busy: heavy_p50,
            within: heavy_name.as_deref().map(str::to_string),
        }),
        RequestWork::Light => {}
        RequestWork::Unmeasured => evidence.push(ServerEvidence::Unmeasured),
    }

    // Where did the heavy work run?
    let mut location = Location::Unknown;
    let mut location_by = LocationBy::Unsettled;
    let mut imp = None;
    if kind == RequestWork::IoWait {
        location_by = LocationBy::NotNeeded;
        if let Some(p) = max_poll {
            evidence.push(ServerEvidence::LongestPoll(p));
        }
    } else {
        let off = rs
            .iter()
            .filter(|r| r.location == Location::Offloaded)
            .count();
        let on = rs
            .iter()
            .filter(|r| r.location == Location::EventLoop)
            .count();
        if off + on > 0 {
            let example = rs.iter().find_map(|r| r.locate(threads).1);
            if off >= on {
                location = Location::Offloaded;
                evidence.push(ServerEvidence::RanOffLoop {
                    requests: off,
                    of: n,
                    example,
                });
            } else {
                location = Location::EventLoop;
                evidence.push(ServerEvidence::RanOnLoop {
                    requests: on,
                    of: n,
                    example,
                });
            }
            location_by = if matches!(example, Some(Placement::Timing(_))) {
                // Issue 11: timing alone (timing.rs).
                LocationBy::Timing
            } else if matches!(example, Some(Placement::CreatedClosedOn { .. })) {
                // Issue 10, items 3-4: creation/close threads (lifecycle.rs).
                LocationBy::CreationClose
            } else if threads_known {
                LocationBy::Threads
            } else {
                LocationBy::ChildWhileIdle
            };
        }
        let sections = merge(rs.iter().flat_map(|r| r.heavy.iter().copied()).collect());
        let i = impact(observers, &sections, members, requests, heavy_p50);
        if i.observers > 0 {
            evidence.push(ServerEvidence::Impact {
                impact: i,
                poll: heavy_p50,
            });
        }
        // Held threads at once beyond the loop's workers: not all of them were workers.
        if location == Location::Unknown
            && let Some((w, from)) = workers
        {
            let dense: Vec<(Ns, Ns)> = rs
                .iter()
                .filter(|r| r.heavy_dense)
                .flat_map(|r| r.heavy.iter().copied())
                .collect();
            let at_once = concurrency(&dense, w, Hold::AtLeast(1_000_000)).max_at_once;
            if at_once > w {
                location = Location::Offloaded;
                location_by = LocationBy::Concurrency;
                evidence.push(ServerEvidence::MoreAtOnceThanWorkers {
                    at_once,
                    workers: w,
                    from,
                });
            }
        }
        if location == Location::Unknown {
            if i.observers >= IMPACT_MIN_OBSERVERS && i.stretch_low >= STRETCH_BLOCKS {
                location = Location::EventLoop;
                location_by = LocationBy::Impact;
            } else if i.observers >= IMPACT_MIN_OBSERVERS && i.stretch_high <= STRETCH_FREE {
                location = Location::Offloaded;
                location_by = LocationBy::Impact;
            } else {
                evidence.push(ServerEvidence::Unsettled {
                    observers: i.observers,
                    enough_observers: i.observers >= IMPACT_MIN_OBSERVERS,
                    stretch: i.stretch,
                    recorded,
                });
            }
        }
        imp = Some(i);
    }
    let (pattern, verdict) = match (kind, location) {
        (RequestWork::IoWait, _) => (Pattern::AsyncIo, Verdict::Good),
        (RequestWork::IoBlocking, Location::EventLoop) => (Pattern::AsyncBlockingIo, Verdict::Bad),
        (RequestWork::IoBlocking, Location::Offloaded) => (Pattern::SyncIo, Verdict::Bad),
        (RequestWork::IoBlocking, Location::Unknown) => (Pattern::Unknown, Verdict::Bad),
        (RequestWork::Cpu, Location::EventLoop) => (Pattern::AsyncCpu, Verdict::Bad),
        (RequestWork::Cpu, Location::Offloaded) => (Pattern::SyncCpu, Verdict::Ok),
        (RequestWork::Cpu, Location::Unknown)
        | (RequestWork::Light | RequestWork::Unmeasured, _) => (Pattern::Unknown, Verdict::Unknown),
    };
    Judgement {
        subject: endpoint.to_string(),
        pattern,
        verdict,
        unit: Unit::Requests,
        count: members.len(),
        detail: Detail::Server(Box::new(ServerJudgement {
            kind,
            requests: members.to_vec(),
            durations_known: rs
                .iter()
                .any(|r| r.duration() > 0 || r.kind != RequestWork::Unmeasured),
            durations,
            slow,
            polls: rs.iter().map(|r| u64::from(r.polls)).sum(),
            loop_threads: loop_threads.len(),
            blocking_threads: blocking_threads.len(),
            threads_known,
            threads_seen,
            location_by,
            heavy_p50,
            wait_p50,
            heavy_name: heavy_name.map(|h| h.to_string()),
            max_poll,
            impact: imp,
            stalls: 0,
            longest_stall: 0,
            delays_caused: 0,
            max_delay: 0,
            delays_suffered: 0,
            evidence,
            mixed: Vec::new(),
        })),
    }
}

/// How bad a verdict is, for choosing an endpoint's row: bad, then unknown (a verdict still
/// owed), then ok, then good.
fn severity(v: Verdict) -> u8 {
    match v {
        Verdict::Bad => 3,
        Verdict::Unknown => 2,
        Verdict::Ok => 1,
        Verdict::Good => 0,
    }
}

/// One row per endpoint: `parts` are the judgements of its groups of requests that share a
/// kind of work, with their own stalls counted. The row takes the pattern of the worst group
/// that stalled a worker (any request with a stall puts its endpoint in a blocking pattern);
/// with no stall, of the largest group (the worse among equals). The other groups are kept
/// as [`OtherBehaviour`]s, and every figure of the row counts all of the endpoint's requests.
pub(super) fn one_row(parts: Vec<Judgement>, requests: &[Request], cfg: &Config) -> Judgement {
    let key = |j: &Judgement| {
        let v = j.server();
        let stalled = v.is_some_and(|v| v.stalls > 0);
        let n = v.map_or(0, |v| v.requests.len());
        let sev = severity(j.verdict);
        if stalled {
            (1, sev as usize, n)
        } else {
            (0, n, sev as usize)
        }
    };
    let mut best = 0;
    for (i, j) in parts.iter().enumerate() {
        if key(j) > key(&parts[best]) {
            best = i;
        }
    }
    let mut parts = parts;
    let mut row = parts.swap_remove(best);
    if parts.is_empty() {
        return row;
    }
    let Some(v) = row.server_mut() else {
        return row;
    };
    let mut all: Vec<usize> = v.requests.clone();
    let mut others = Vec::new();
    for p in &parts {
        let Some(o) = p.server() else { continue };
        all.extend(&o.requests);
        v.polls += o.polls;
        v.max_poll = v.max_poll.max(o.max_poll);
        v.stalls += o.stalls;
        v.longest_stall = v.longest_stall.max(o.longest_stall);
        others.push((p.pattern, p.verdict, o));
    }
    all.sort_unstable();
    let of = all.len();
    for (pattern, verdict, o) in others {
        let other = OtherBehaviour {
            kind: o.kind,
            pattern,
            verdict,
            requests: o.requests.len(),
            of,
            heavy_p50: o.heavy_p50,
            wait_p50: o.wait_p50,
            stalls: o.stalls,
        };
        v.evidence.push(ServerEvidence::AlsoBehaved(other.clone()));
        v.mixed.push(other);
    }
    let mut durations: Vec<Ns> = all.iter().map(|&i| requests[i].duration()).collect();
    durations.sort_unstable();
    v.slow = durations.iter().filter(|d| **d >= cfg.slow).count();
    v.durations = durations;
    v.durations_known |= parts
        .iter()
        .any(|p| p.server().is_some_and(|o| o.durations_known));
    v.requests = all;
    row.count = of;
    row
}
