//! Event-loop stalls, stall episodes, and who paid for them: the types every family shares,
//! and the episodes and victims of server requests.
//!
//! A [`Stall`] is one execution that held a loop or main thread: a poll on an event-loop
//! thread at or over the stall threshold, a runtime task's long poll, one inferred from busy
//! time, or a browser long task ([`StallSource`]). Overlapping or touching stalls form an
//! [`Episode`] (the sweep is [`overlap::concurrency`]); who paid is
//! a [`Victim`] of one of three named kinds.
//!
//! For server requests:
//! Stalls on any worker that overlap merge into an episode:
//!
//! ```text
//! worker 1:  [── stall A ──]     [─ stall C ─]
//! worker 2:        [──── stall B ────]
//! episode:   [──────────────────────────────]   max 2 workers blocked at once,
//!                  |<── both ──>|               "both workers blocked for ..."
//! victims:     [req x ........]  [req y ....]   in flight, not a cause, slower than their
//!                                               endpoint's healthy median
//! ```
//!
//! Healthy median: the median duration of the endpoint's requests that overlap no episode.
//! A victim's delay is its duration minus that median; it counts when the delay exceeds
//! `max(1 ms, 10 % of the median)`. Endpoints with no healthy request have no baseline and
//! their overlapping requests are not counted (said in the evidence).

use super::overlap::{self, Hold, merge};
use super::requests::Request;
use super::verdict::Unit;
use crate::model::{Ns, ThreadIdx};
use std::collections::HashMap;

/// Where a stall was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StallSource {
    /// A poll measured on a thread known to be an event-loop worker.
    EventLoopPoll,
    /// A runtime task's poll, measured, on a worker that is not known (console recordings).
    TaskPoll,
    /// Not measured on a known worker: placed on the event loop by inference.
    Inferred(Inferred),
    /// A browser main-thread task over DevTools' 50 ms long-task rule.
    BrowserLongTask,
}

/// How an inferred stall was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inferred {
    /// A measured poll without a thread id, placed on the event loop because its endpoint's
    /// work delays concurrent requests.
    UnthreadedPoll,
    /// A measured poll on a thread whose role the trace does not show (no thread of it ran
    /// more than one span tree or poll): it would hold an event loop if it ran on one.
    RoleUnknown,
    /// No ENTER/EXIT events: a span busy through its whole life stands in for its polls.
    BusyTime {
        /// The span whose busy time it is (`None`: the request span).
        span: Option<String>,
    },
    /// No polls, but span creation and close on threads: a work span created and closed on
    /// an event-loop worker that held it through its life ([`super::lifecycle`]).
    HeldWorker {
        span: String,
        by: super::lifecycle::HeldBy,
    },
    /// No polls, busy times nor threads: a work span (or a blocking call) of an endpoint whose
    /// work ran in turn on the shared loop, as timing alone showed ([`super::timing`]).
    Timing { span: Option<String> },
}

/// Who paid for a stall: the three victim rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Victim {
    /// A request in flight during an episode, not a cause, that took longer than its
    /// endpoint's healthy median by more than `max(1 ms, 10 %)` ([`counts_as_delay`]).
    SlowerThanHealthyMedian,
    /// A runtime task woken (or spawned) during an episode and polled 1 ms or more later: it
    /// waited for a worker.
    WaitedForWorker,
    /// A runtime task idle across a moment when every worker was in a long poll and woken
    /// right after: nobody serviced its timer or socket.
    HeldIdle,
}

/// One execution that held a loop or main thread.
#[derive(Debug, Clone)]
pub struct Stall {
    pub source: StallSource,
    pub thread: Option<ThreadIdx>,
    pub start: Ns,
    pub end: Ns,
    /// Index into the request list, when the stalled poll belongs to a request.
    pub request: Option<usize>,
    /// Endpoint of that request, the task group, or the name of the span that ran.
    pub culprit: String,
    /// Victims in flight during this stall.
    pub delayed: u64,
}

impl Stall {
    pub fn duration(&self) -> Ns {
        self.end - self.start
    }

    pub fn inferred(&self) -> bool {
        matches!(self.source, StallSource::Inferred(_))
    }
}

/// Overlapping or touching stalls, and what they did to the rest.
#[derive(Debug, Clone)]
pub struct Episode {
    pub start: Ns,
    pub end: Ns,
    pub stalls: usize,
    /// Most stalls in progress at one moment (workers blocked at once).
    pub max_at_once: usize,
    /// Event-loop workers known (0 when the count is not known).
    pub workers: usize,
    /// Time during which every known worker was stalled.
    pub all_held: Ns,
    pub culprits: Vec<String>,
    /// What the victims are.
    pub unit: Unit,
    /// Victims delayed ([`Victim::SlowerThanHealthyMedian`] or [`Victim::WaitedForWorker`]),
    /// and the longest delay.
    pub delayed: u64,
    pub max_delay: Ns,
    /// Victims held idle ([`Victim::HeldIdle`]), and the longest hold.
    pub held_idle: u64,
    pub max_held_idle: Ns,
}

/// The requests that server stalls delayed ([`Victim::SlowerThanHealthyMedian`]).
#[derive(Debug, Clone, Default)]
pub struct Victims {
    /// Distinct requests delayed by some episode.
    pub delayed_requests: u64,
    pub episodes: usize,
    pub max_delay: Ns,
    /// Per request index: the delay it suffered, for requests counted as victims.
    pub victims: HashMap<usize, Ns>,
    /// Endpoints whose requests overlapped episodes but had no healthy baseline.
    pub no_baseline: Vec<String>,
}

/// Median duration per endpoint over requests for which `healthy` is true.
pub fn baselines(
    requests: &[Request],
    healthy: impl Fn(usize, &Request) -> bool,
) -> HashMap<String, Ns> {
    let mut by: HashMap<&str, Vec<Ns>> = HashMap::new();
    for (i, r) in requests.iter().enumerate() {
        if !r.cut_off && healthy(i, r) {
            by.entry(&r.endpoint).or_default().push(r.duration());
        }
    }
    by.into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, mut v)| {
            v.sort_unstable();
            (k.to_string(), v[(v.len() - 1) / 2])
        })
        .collect()
}

/// The delay that counts: above 1 ms and above 10 % of the baseline.
pub fn counts_as_delay(delay: Ns, baseline: Ns) -> bool {
    delay > 1_000_000 && delay * 10 > baseline
}

/// A level of concurrency counts once held this long (see [`Hold::AtLeast`]).
const MIN_HELD: Ns = 1_000_000;

/// Merges server stalls into episodes and measures the requests they delayed.
pub fn episodes(
    stalls: &mut [Stall],
    requests: &[Request],
    workers: usize,
) -> (Vec<Episode>, Victims) {
    stalls.sort_by_key(|s| (s.start, s.end));
    let windows = merge(stalls.iter().map(|s| (s.start, s.end)).collect());
    let base = baselines(requests, |_, r| {
        overlap::overlap(&windows, r.start, r.end) == 0
    });
    let mut coll = Victims {
        episodes: windows.len(),
        ..Victims::default()
    };
    let mut eps = Vec::with_capacity(windows.len());
    // Requests by start, so each window looks only at those that started before it ended.
    // (start, index) pairs sorted by value: the order of a stable sort by start, with no
    // look-up into the requests per comparison.
    let mut starts: Vec<(Ns, usize)> = requests.iter().map(|r| r.start).zip(0..).collect();
    starts.sort_unstable();
    let by_start: Vec<usize> = starts.into_iter().map(|(_, i)| i).collect();
    let longest = requests.iter().map(Request::duration).max().unwrap_or(0);
    // Stalls are sorted by start: each window looks only at those that can touch it (started
    // at most the longest stall before it, and not after it), not at every stall.
    let longest_stall = stalls
        .iter()
        .map(|s| s.end.saturating_sub(s.start))
        .max()
        .unwrap_or(0);
    for &(ws, we) in &windows {
        let lo = stalls.partition_point(|s| s.start.saturating_add(longest_stall) < ws);
        let hi = stalls.partition_point(|s| s.start <= we);
        let in_ep: Vec<usize> = (lo..hi.max(lo))
            .filter(|&i| stalls[i].start < we && stalls[i].end > ws || stalls[i].start == ws)
            .collect();
        let intervals: Vec<(Ns, Ns)> = in_ep
            .iter()
            .map(|&i| (stalls[i].start, stalls[i].end))
            .collect();
        let at_once = overlap::concurrency(&intervals, workers, Hold::AtLeast(MIN_HELD));
        let culprit_reqs: Vec<usize> = in_ep.iter().filter_map(|&i| stalls[i].request).collect();
        let mut culprits: Vec<String> = in_ep.iter().map(|&i| stalls[i].culprit.clone()).collect();
        culprits.sort();
        culprits.dedup();
        let mut ep = Episode {
            start: ws,
            end: we,
            stalls: in_ep.len(),
            max_at_once: at_once.max_at_once,
            workers,
            all_held: at_once.all_held_time(),
            culprits,
            unit: Unit::Requests,
            delayed: 0,
            max_delay: 0,
            held_idle: 0,
            max_held_idle: 0,
        };
        let from = by_start.partition_point(|&i| requests[i].start < ws - longest);
        let to = by_start.partition_point(|&i| requests[i].start < we);
        for &ri in &by_start[from..to] {
            let r = &requests[ri];
            if r.start >= we || r.end <= ws || culprit_reqs.contains(&ri) || r.cut_off {
                continue;
            }
            let Some(&b) = base.get(&*r.endpoint) else {
                if !coll.no_baseline.iter().any(|e| **e == *r.endpoint) {
                    coll.no_baseline.push(r.endpoint.to_string());
                }
                continue;
            };
            let delay = r.duration() - b;
            if counts_as_delay(delay, b) {
                ep.delayed += 1;
                ep.max_delay = ep.max_delay.max(delay);
                coll.max_delay = coll.max_delay.max(delay);
                coll.victims.insert(ri, delay);
                for &si in &in_ep {
                    let s = &mut stalls[si];
                    if s.start < r.end && s.end > r.start && s.request != Some(ri) {
                        s.delayed += 1;
                    }
                }
            }
        }
        eps.push(ep);
    }
    coll.delayed_requests = coll.victims.len() as u64;
    (eps, coll)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Ns = 1_000_000;

    fn req(endpoint: &str, start: Ns, end: Ns) -> Request {
        Request::awaiting(endpoint, start, end)
    }

    fn stall(th: u32, s: Ns, e: Ns, r: usize) -> Stall {
        Stall {
            source: StallSource::EventLoopPoll,
            thread: Some(ThreadIdx(th)),
            start: s,
            end: e,
            request: Some(r),
            culprit: "GET /report".into(),
            delayed: 0,
        }
    }

    /// ```text
    /// t(ms):     0        100       200       300       400
    /// w1:                 [ stall r0 ───────]
    /// w2:                      [ stall r1 ──────]
    /// /orders:  [80]  [80]  [──── 190 ─────]        [80] [80]
    /// ```
    /// Both workers blocked from 150 to 250 (100 ms); one victim delayed by 110 ms.
    #[test]
    fn two_workers_one_victim() {
        let mut reqs = vec![
            req("GET /report", 100 * MS, 250 * MS),
            req("GET /report", 150 * MS, 300 * MS),
        ];
        for s in [0, 90, 320, 420] {
            reqs.push(req("GET /orders", s * MS, (s + 80) * MS));
        }
        reqs.push(req("GET /orders", 120 * MS, 310 * MS));
        let mut stalls = vec![
            stall(0, 100 * MS, 250 * MS, 0),
            stall(1, 150 * MS, 300 * MS, 1),
        ];
        let (eps, coll) = episodes(&mut stalls, &reqs, 2);
        assert_eq!(eps.len(), 1);
        assert_eq!(eps[0].max_at_once, 2);
        assert_eq!(eps[0].all_held, 100 * MS);
        // The /orders request at 90..170 overlaps too, but it took its healthy 80 ms.
        assert_eq!(coll.delayed_requests, 1);
        assert_eq!(coll.max_delay, 110 * MS);
        assert_eq!(stalls[0].delayed, 1);
        assert_eq!(stalls[1].delayed, 1);
    }
}
