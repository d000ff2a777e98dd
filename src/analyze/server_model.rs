//! Which server model a trace shows: one event loop shared by requests (ASGI), a thread per
//! request from a pool (WSGI), or unknown, with the evidence for it. Read from the threads
//! span creation and close name ([`super::lifecycle`]), for traces without polls (OpenTelemetry
//! spans with `thread.id`, logs of span creation and close with thread ids).
//!
//! Why this is behaviour, not a name (how a Python server runs requests, seen in the recordings
//! of `sample-traces/django/`):
//!
//! * **ASGI** (uvicorn): one thread, the event loop, creates and closes work spans of many
//!   requests whose lifetimes overlap, yet opens no request span: the server opens each request
//!   span elsewhere (Django runs its sync middleware, OpenTelemetry's among them, on a
//!   `sync_to_async` thread of its own per request). Only an event loop interleaves requests on
//!   one thread.
//! * **WSGI** (gunicorn gthread): requests are opened on a few threads, each running many
//!   requests one at a time and never two at once, and no thread interleaves requests: a pool
//!   of threads, one request per thread at a time. An async view there runs in an event loop of
//!   its own per request (asgiref's `async_to_sync`, on a one-off thread): nothing is shared,
//!   so it cannot stall other requests and gains nothing over a sync view.
//!
//! Thread names (`MainThread`, `ThreadPoolExecutor-0_1`) decide nothing: they are only shown.
//!
//! Where the model is found it also gives threads the pipeline could not place a role (the
//! request threads, and the loop that opens no request) their role, so where a view's work ran
//! is read from its child spans' threads.

use super::lifecycle::Lifecycle;
use super::threads::{RoleEvidence, ThreadInfo};
use crate::model::{Ns, ThreadIdx, ThreadRole};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The server model a trace shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// One event loop shared by requests.
    Asgi,
    /// A thread per request, from a pool.
    Wsgi,
    /// The trace does not show which (not reported today: [`find`] returns `None`).
    Unknown,
}

/// What showed the model (typed; `report` words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelEvidence {
    /// A thread opened no request span but created and closed work spans of `requests`
    /// requests, `overlapping` pairs of them in progress at once: the shared loop.
    SharedLoop {
        thread: String,
        requests: u64,
        overlapping: u64,
    },
    /// Request spans were opened on `threads` threads, each one request at a time.
    RequestThreads {
        threads: usize,
        requests: u64,
        /// The most requests any one of them ran.
        most: u64,
    },
    /// At most this many request spans were in progress at once.
    PeakInFlight(usize),
    /// `threads` threads that opened no request ran the work of one request each (an event
    /// loop of its own per request under WSGI).
    OneOffThreads { threads: usize },
    /// No threads recorded: the work sections (or blocking calls) of `endpoint` never
    /// overlapped one another though `request_pairs` pairs of its requests were in progress at
    /// once ([`super::timing`]).
    TimingInTurn {
        endpoint: String,
        sections: usize,
        request_pairs: u64,
        calls: bool,
    },
}

/// The server model of one trace, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerModel {
    pub model: Model,
    pub evidence: Vec<ModelEvidence>,
    /// WSGI: endpoints most of whose requests ran their work on a thread of its own, not the
    /// pool thread that opened them (an async view in an event loop of its own per request:
    /// it holds its pool thread throughout, cannot stall others, gains nothing), with how many
    /// requests did.
    pub own_loop: Vec<(std::sync::Arc<str>, usize)>,
    /// The request spans name Django's OpenTelemetry instrumentation as their scope: advice
    /// may be worded in Django's terms (wording only; no verdict depends on it).
    pub django: bool,
}

/// Pairs of intervals that overlap (sorted sweep; touching is not overlapping).
pub(super) fn overlapping_pairs(mut spans: Vec<(Ns, Ns)>) -> u64 {
    spans.sort_unstable();
    // The ends of the intervals still open, earliest on top: those that end by a start are
    // done (a list filtered at every start was quadratic on a loop thread with many requests
    // in flight).
    let mut ends: BinaryHeap<Reverse<Ns>> = BinaryHeap::new();
    let mut pairs = 0u64;
    for (s, e) in spans {
        while ends.peek().is_some_and(|Reverse(x)| *x <= s) {
            ends.pop();
        }
        pairs += ends.len() as u64;
        ends.push(Reverse(e));
    }
    pairs
}

/// The most intervals in progress at once.
fn peak(spans: &[(Ns, Ns)]) -> usize {
    let mut edges: Vec<(Ns, i32)> = spans.iter().flat_map(|&(s, e)| [(s, 1), (e, -1)]).collect();
    // Ends before starts at the same instant.
    edges.sort_unstable();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, d) in edges {
        now += d;
        most = most.max(now);
    }
    most.max(0) as usize
}

/// Finds the model of a trace without polls, and sets the roles of the threads it places
/// (threads whose role is already shown keep it). `None` when the trace shows neither model
/// (spans without threads, a tokio log with polls, a log whose workers interleave requests).
pub fn find(
    life: &Lifecycle,
    threads: &mut [ThreadInfo],
    requests: &[super::requests::Request],
) -> Option<ServerModel> {
    if requests.is_empty() || requests.iter().any(|r| r.polls > 0) {
        return None;
    }
    if !life.threads_seen() {
        return None;
    }
    let all: Vec<(Ns, Ns)> = requests.iter().map(|r| (r.start, r.end)).collect();
    let in_flight = peak(&all);
    let role = |threads: &[ThreadInfo], t: ThreadIdx| {
        threads
            .get(t.0 as usize)
            .map_or(ThreadRole::Unknown, |i| i.role)
    };
    let mut lives: Vec<_> = life.lives().iter().collect();
    lives.sort_unstable_by_key(|(t, _)| **t);
    // Threads that opened no request but interleaved the work of requests: a shared loop.
    let mut loops: Vec<(ThreadIdx, u64, u64)> = Vec::new();
    // Threads that opened requests one at a time.
    let mut request_threads: Vec<(ThreadIdx, u64)> = Vec::new();
    let mut interleaving_openers = 0usize;
    let mut one_off = 0usize;
    let mut one_off_requests: Vec<usize> = Vec::new();
    for (t, l) in &lives {
        if l.hosts_requests {
            if overlapping_pairs(l.created.clone()) > 0 {
                interleaving_openers += 1;
            } else if !l.created.is_empty() {
                request_threads.push((**t, l.created.len() as u64));
            }
            continue;
        }
        // Per request, its first to last work span here.
        let mut per: std::collections::BTreeMap<usize, (Ns, Ns)> = Default::default();
        for &(s, e, r) in &l.work {
            let w = per.entry(r).or_insert((s, e));
            w.0 = w.0.min(s);
            w.1 = w.1.max(e);
        }
        let pairs = overlapping_pairs(per.values().copied().collect());
        if pairs > 0 && per.len() > 1 {
            loops.push((**t, per.len() as u64, pairs));
        } else if per.len() == 1 {
            one_off += 1;
            one_off_requests.extend(per.keys().copied());
        }
    }
    let name = |threads: &[ThreadInfo], t: ThreadIdx| {
        threads
            .get(t.0 as usize)
            .map(|i| i.name.clone().unwrap_or_else(|| i.key.clone()))
            .unwrap_or_default()
    };
    let opened: u64 = request_threads.iter().map(|x| x.1).sum();
    let most = request_threads.iter().map(|x| x.1).max().unwrap_or(0);
    let request_evidence = ModelEvidence::RequestThreads {
        threads: request_threads.len(),
        requests: opened,
        most,
    };
    let place = |threads: &mut [ThreadInfo], list: &[(ThreadIdx, u64)]| {
        for &(t, n) in list {
            if let Some(i) = threads.get_mut(t.0 as usize)
                && i.role == ThreadRole::Unknown
            {
                i.role = ThreadRole::Blocking;
                i.requests = n;
                i.evidence = RoleEvidence::RequestsOneAtATime { requests: n };
            }
        }
    };
    // ASGI: the busiest interleaving thread that opens no request is the loop; requests are
    // opened elsewhere, never interleaved on their own threads.
    if interleaving_openers == 0
        && let Some(&(t, n, pairs)) = loops.iter().max_by_key(|l| (l.1, std::cmp::Reverse(l.0)))
        && matches!(
            role(threads, t),
            ThreadRole::Unknown | ThreadRole::EventLoop
        )
    {
        if let Some(i) = threads.get_mut(t.0 as usize)
            && i.role == ThreadRole::Unknown
        {
            i.role = ThreadRole::EventLoop;
            i.requests = n;
            i.evidence = RoleEvidence::WorkInterleaved {
                requests: n,
                overlapping: pairs,
            };
        }
        place(threads, &request_threads);
        return Some(ServerModel {
            model: Model::Asgi,
            evidence: vec![
                ModelEvidence::SharedLoop {
                    thread: name(threads, t),
                    requests: n,
                    overlapping: pairs,
                },
                request_evidence,
            ],
            own_loop: Vec::new(),
            django: life.django,
        });
    }
    // WSGI: every request opened on a pool thread that runs them one at a time, threads
    // reused (fewer threads than requests, by half at least), and no thread interleaves.
    let pooled = !request_threads.is_empty()
        && interleaving_openers == 0
        && loops.is_empty()
        && request_threads.len() as u64 * 2 <= opened
        && opened == requests.len() as u64;
    if pooled {
        place(threads, &request_threads);
        let mut evidence = vec![request_evidence, ModelEvidence::PeakInFlight(in_flight)];
        if one_off > 0 {
            evidence.push(ModelEvidence::OneOffThreads { threads: one_off });
        }
        // Per endpoint: its requests, and those whose work ran on a one-off thread.
        let mut own = vec![false; requests.len()];
        for ri in one_off_requests {
            if let Some(o) = own.get_mut(ri) {
                *o = true;
            }
        }
        let mut per_endpoint: std::collections::HashMap<std::sync::Arc<str>, (usize, usize)> =
            Default::default();
        for (r, own) in requests.iter().zip(&own) {
            let e = per_endpoint.entry(r.endpoint.clone()).or_default();
            e.0 += 1;
            e.1 += usize::from(*own);
        }
        let mut own_loop: Vec<(std::sync::Arc<str>, usize)> = per_endpoint
            .into_iter()
            .filter(|(_, (n, own))| own * 2 > *n)
            .map(|(e, (_, own))| (e, own))
            .collect();
        own_loop.sort_unstable();
        return Some(ServerModel {
            model: Model::Wsgi,
            evidence,
            own_loop,
            django: life.django,
        });
    }
    // Neither: nothing to say (most Rust logs end here; their rows say what they rest on).
    None
}

/// The model timing alone shows (no threads recorded): an endpoint whose work ran in turn
/// although its requests overlapped is on one shared loop ([`super::timing`]).
pub fn from_timing(f: &super::timing::TimingFinding, django: bool) -> ServerModel {
    use super::timing::TimingEvidence;
    let (sections, request_pairs, calls) = match f.evidence {
        TimingEvidence::Serialized {
            sections,
            request_pairs,
            ..
        } => (sections, request_pairs, false),
        TimingEvidence::IoInTurn {
            calls,
            request_pairs,
        } => (calls, request_pairs, true),
        _ => (0, 0, false),
    };
    ServerModel {
        model: Model::Asgi,
        evidence: vec![ModelEvidence::TimingInTurn {
            endpoint: f.endpoint.to_string(),
            sections,
            request_pairs,
            calls,
        }],
        own_loop: Vec::new(),
        django,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Ns = 1_000_000;

    #[test]
    fn overlapping_pairs_count_each_pair_once_and_not_touching_ones() {
        // [0,10) [5,15) [8,9) overlap pairwise (3 pairs); [15,20) only touches [5,15).
        let spans = vec![
            (0, 10 * MS),
            (5 * MS, 15 * MS),
            (8 * MS, 9 * MS),
            (15 * MS, 20 * MS),
        ];
        assert_eq!(overlapping_pairs(spans.clone()), 3);
        assert_eq!(peak(&spans), 3);
        assert_eq!(peak(&[(0, 1), (1, 2)]), 1);
    }

    /// The sweep counts what comparing every two intervals counts, on random intervals with
    /// shared and touching ends (and empty ones).
    #[test]
    fn overlapping_pairs_count_what_every_two_compared_count() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % m) as Ns
        };
        for n in [0, 1, 2, 3, 10, 60] {
            for _ in 0..50 {
                let spans: Vec<(Ns, Ns)> = (0..n)
                    .map(|_| {
                        let s = next(40);
                        (s, s + next(12))
                    })
                    .collect();
                // Every two in start order: the earlier still open at the later's start (an
                // empty interval inside another counts, as the sweep counts it).
                let mut sorted = spans.clone();
                sorted.sort_unstable();
                let mut every_two = 0u64;
                for (i, a) in sorted.iter().enumerate() {
                    for b in &sorted[i + 1..] {
                        every_two += u64::from(a.1 > b.0);
                    }
                }
                assert_eq!(overlapping_pairs(spans.clone()), every_two, "{spans:?}");
            }
        }
    }
}
