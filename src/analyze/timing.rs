//! Timing alone: where a request's work ran when the trace records neither polls, busy times
//! nor threads, only when each span started and ended and how spans nest (OpenTelemetry,
//! Zipkin or Jaeger spans without `thread.id`; issue 11, "judge from timing and the effect on
//! concurrent requests").
//!
//! A request's child spans say what its time went into: I/O-shaped children
//! ([`is_io`]) are calls it waited for; other children are work (a span is taken to be work
//! while it lasts: timing cannot tell its CPU from an un-instrumented await). What the times
//! cannot say directly, which thread held the work, shows in what the other requests did
//! meanwhile:
//!
//! ```text
//! one shared loop                         a thread per request
//! req A  [──work A──]                     req A  [──work A──]
//! req B     ·········[──work B──]         req B     [──work B──]      <- at once: two threads
//! req C  [─ io C ─────────────────]·      req C  [─ io C ──]          <- ends during work A
//!          (C's call ends only when                 (C progressed while A worked)
//!           the loop is free again)
//! ```
//!
//! * **Work of one endpoint**: if the work sections (`--stall` or longer) of its requests never
//!   overlap one another although its requests do overlap (several pairs in progress at once),
//!   one thread ran them in turn: the shared event loop. Sections of different requests that
//!   overlap ran on different threads at once: a thread per request. Too few overlapping
//!   requests: not settled.
//! * **I/O calls**: once some endpoint's work is on the loop, its sections are windows in which
//!   no loop callback runs. An I/O call that crosses such windows but never starts or ends
//!   inside one was awaited on the loop (async); one that starts or ends inside them progressed
//!   while the loop was held, so a thread of its own waited in it (a blocking call). Calls of
//!   one endpoint that never overlap one another though its requests do ran in turn, a
//!   blocking call on the loop. Without a loop window to test against, not settled.
//!
//! The evidence also counts the other requests in flight during a loop section that started
//! or ended no child span in it (the quiet ones: on the loop, waiting), against those that did
//! (on threads of their own). Names decide nothing. A request without any child span is light
//! when its own time outside the loop's stalls is under `--stall` (it cannot have held a thread
//! that long); else it stays as it was (only start and end: nothing to time). A trace where no
//! request has a child span is left as it was.

use super::overlap::{merge, overlap};
use super::requests::{Kids, Location, Placement, Request, RequestWork, is_io, significant};
use super::server_model::overlapping_pairs;
use crate::config::Config;
use crate::model::{Execution, Ns, SpanIdx, Trace};
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// Pairs of an endpoint's requests in progress at once needed before "its work never
/// overlapped" says anything.
pub const MIN_PAIRS: u64 = 3;
/// From this many overlapping pairs on, the serialization is called sure (else likely).
pub const SURE_PAIRS: u64 = 10;
/// I/O calls crossing a loop window, without progress inside one, needed to call them awaited.
pub const MIN_CROSSINGS: usize = 3;
/// Starts or ends of I/O calls inside loop windows needed to put them on threads of their own.
pub const MIN_INSIDE: usize = 2;

/// A section of time held by a request: (start, end, request index).
type Section = (Ns, Ns, usize);

/// One child span of a request: its times, whether it is an I/O call, its name.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: Ns,
    end: Ns,
    io: bool,
    name: u32,
}

/// How timing alone placed a request's work (for [`Request::locate`] and the row's wording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimingPlace {
    /// Its endpoint's work sections ran in turn: one shared loop.
    Serialized,
    /// Its endpoint's work sections ran at once: threads of their own.
    AtOnce,
    /// Its endpoint's I/O calls started or ended while the loop was held: a thread waited.
    ProgressedDuringStalls,
    /// Its endpoint's I/O calls ran in turn: a blocking call on the loop.
    IoInTurn,
}

/// What timing alone showed for one endpoint (typed; `report` words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimingEvidence {
    /// Its `sections` work sections never overlapped though `request_pairs` pairs of its
    /// requests were in progress at once; during them `in_flight` other requests were in
    /// flight (counted per section), `quiet` of which started or ended no child span.
    Serialized {
        sections: usize,
        request_pairs: u64,
        in_flight: usize,
        quiet: usize,
    },
    /// `pairs` pairs of its `sections` work sections (of different requests) overlapped.
    AtOnce { sections: usize, pairs: u64 },
    /// Its work sections ran in turn or at once cannot be told: too few of its requests
    /// overlapped (`request_pairs`), or none held `--stall` (`sections` = 0).
    WorkUnsettled { sections: usize, request_pairs: u64 },
    /// `crossing` of its `calls` I/O calls crossed a loop section and none started or ended
    /// inside one: awaited on the loop.
    Awaited { calls: usize, crossing: usize },
    /// `inside` starts or ends of its `calls` I/O calls (`crossing` of which crossed a loop
    /// section) fell inside loop sections: they progressed while the loop was held.
    ProgressedDuringStalls {
        calls: usize,
        crossing: usize,
        inside: usize,
    },
    /// Its `calls` I/O calls never overlapped though `request_pairs` pairs of its requests
    /// did: a blocking call, run in turn on the loop.
    IoInTurn { calls: usize, request_pairs: u64 },
    /// Whether its I/O calls held a thread cannot be told: no loop section to test against
    /// (`loop_sections` = 0), or too few calls crossed one (`crossing`, `inside`).
    IoUnsettled {
        calls: usize,
        loop_sections: usize,
        crossing: usize,
        inside: usize,
        /// Median share of its requests' time in I/O calls, in percent.
        io_share: u32,
        /// Median time of its requests in I/O calls.
        io_p50: Ns,
    },
}

impl TimingEvidence {
    /// The evidence is strong enough to call sure (else likely), for the wording.
    pub fn sure(&self) -> bool {
        match *self {
            TimingEvidence::Serialized { request_pairs, .. }
            | TimingEvidence::IoInTurn { request_pairs, .. } => request_pairs >= SURE_PAIRS,
            TimingEvidence::AtOnce { pairs, .. } => pairs >= MIN_PAIRS,
            TimingEvidence::Awaited { crossing, .. } => crossing >= 2 * MIN_CROSSINGS,
            TimingEvidence::ProgressedDuringStalls { inside, .. } => inside >= 2 * MIN_INSIDE,
            TimingEvidence::WorkUnsettled { .. } | TimingEvidence::IoUnsettled { .. } => false,
        }
    }

    /// It settled where the work ran.
    pub fn settled(&self) -> bool {
        !matches!(
            self,
            TimingEvidence::WorkUnsettled { .. } | TimingEvidence::IoUnsettled { .. }
        )
    }
}

/// What timing alone found for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimingFinding {
    pub endpoint: Arc<str>,
    pub evidence: TimingEvidence,
}

/// What timing alone found in a trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimingFindings {
    /// Requests judged from timing alone.
    pub requests: usize,
    pub endpoints: Vec<TimingFinding>,
}

impl TimingFindings {
    /// The endpoint that shows the shared loop best (the most overlapping pairs), if any.
    pub fn shared_loop(&self) -> Option<&TimingFinding> {
        self.endpoints
            .iter()
            .filter(|f| {
                matches!(
                    f.evidence,
                    TimingEvidence::Serialized { .. } | TimingEvidence::IoInTurn { .. }
                )
            })
            .max_by_key(|f| match f.evidence {
                TimingEvidence::Serialized { request_pairs, .. }
                | TimingEvidence::IoInTurn { request_pairs, .. } => request_pairs,
                _ => 0,
            })
    }
}

/// Collects the child spans of requests that have only start and end (the collector calls
/// [`Timing::tree`]), then judges them once every tree is in ([`Timing::apply`]).
#[derive(Debug, Default)]
pub struct Timing {
    /// Per request (index into the collector's requests): its child spans, not those inside
    /// an I/O call.
    pieces: Vec<(usize, Vec<Piece>)>,
    names: Vec<Arc<str>>,
    name_no: HashMap<Arc<str>, u32>,
}

impl Timing {
    /// Reads one span tree: `request_spans[k]` is the span of request `first + k`, measured as
    /// `requests[first + k]`. Only trees without polls nor any thread, whose requests have no
    /// busy time, are kept.
    pub fn tree(
        &mut self,
        trace: &Trace,
        cfg: &Config,
        (members, executions, kids): (&[SpanIdx], &[Execution], &Kids),
        first: usize,
        request_spans: &[SpanIdx],
        requests: &[Request],
    ) {
        if !executions.is_empty()
            || members.iter().any(|&m| {
                let s = trace.span(m);
                s.opened_on.is_some() || s.closed_on.is_some() || s.busy.is_some()
            })
        {
            return;
        }
        let keys = &kids.keys;
        let kids = |s: SpanIdx| kids.of(s);
        for (k, &req) in request_spans.iter().enumerate() {
            let ri = first + k;
            // A request of no length has no times to judge from (a log written without a
            // timer): it stays unmeasured, not light.
            if requests
                .get(ri)
                .is_none_or(|r| r.kind != RequestWork::Unmeasured || r.duration() <= 0)
            {
                continue;
            }
            let mut pieces = Vec::new();
            let mut stack: Vec<SpanIdx> = kids(req).to_vec();
            while let Some(c) = stack.pop() {
                let cs = trace.span(c);
                let io = is_io(trace, c, cfg, keys);
                if !io {
                    stack.extend_from_slice(kids(c));
                }
                if cs.cut_off || cs.end < cs.start {
                    continue;
                }
                let name = self.name(trace.name(cs));
                pieces.push(Piece {
                    start: cs.start,
                    end: cs.end,
                    io,
                    name,
                });
            }
            // A request without child spans is kept too: once a loop shows, its own time
            // outside the loop's stalls may be too short to hold anything (`apply`).
            self.pieces.push((ri, pieces));
        }
    }

    fn name(&mut self, n: &str) -> u32 {
        if let Some(&i) = self.name_no.get(n) {
            return i;
        }
        let a: Arc<str> = n.into();
        let i = self.names.len() as u32;
        self.names.push(a.clone());
        self.name_no.insert(a, i);
        i
    }

    /// Shifts every time by `-by` (trees read before the trace was rebased).
    pub fn rebase(&mut self, by: Ns) {
        for p in self.pieces.iter_mut().flat_map(|(_, p)| p.iter_mut()) {
            p.start -= by;
            p.end -= by;
        }
    }

    /// Judges the kept requests: each one's kind of work from its child spans, then per
    /// endpoint where that work ran (module docs). Sets `kind`, the time sums, `heavy` and
    /// `timed` of the requests it settles.
    pub fn apply(&self, requests: &mut [Request], threshold: Ns) -> TimingFindings {
        let mut out = TimingFindings::default();
        // Nothing but requests without child spans: nothing to time (they stay unmeasured).
        if self.pieces.iter().all(|(_, p)| p.is_empty()) {
            return out;
        }
        // 1. Kind of work per request, from the cover of its I/O calls and of its work spans.
        // Per kept request: its work sections (merged) and its top-level I/O calls.
        let mut work_of: HashMap<usize, Vec<(Ns, Ns)>> = HashMap::default();
        let mut calls_of: HashMap<usize, Vec<(Ns, Ns)>> = HashMap::default();
        let mut io_kind: Vec<usize> = Vec::new();
        for (ri, pieces) in self.pieces.iter().filter(|(_, p)| !p.is_empty()) {
            let Some(r) = requests.get_mut(*ri) else {
                continue;
            };
            let io = merge(
                pieces
                    .iter()
                    .filter(|p| p.io)
                    .map(|p| (p.start, p.end))
                    .collect(),
            );
            let work = minus(
                &merge(
                    pieces
                        .iter()
                        .filter(|p| !p.io)
                        .map(|p| (p.start, p.end))
                        .collect(),
                ),
                &io,
            );
            let len = |v: &[(Ns, Ns)]| v.iter().fold(0 as Ns, |a, (s, e)| a.saturating_add(e - s));
            let (io_ns, work_ns) = (len(&io), len(&work));
            let d = r.duration();
            r.work_busy = work_ns;
            r.cpu = work_ns;
            r.io_wait = io_ns;
            if io_ns >= work_ns && significant(io_ns, d) {
                io_kind.push(*ri);
                calls_of.insert(
                    *ri,
                    pieces
                        .iter()
                        .filter(|p| p.io)
                        .map(|p| (p.start, p.end))
                        .collect(),
                );
            } else if significant(work_ns, d) {
                r.kind = RequestWork::Cpu;
                r.heavy = work.clone();
                r.heavy_dense = true;
                // The longest work span names the work.
                r.heavy_name = pieces
                    .iter()
                    .filter(|p| !p.io)
                    .max_by_key(|p| p.end - p.start)
                    .and_then(|p| self.names.get(p.name as usize).cloned());
                work_of.insert(*ri, work);
            } else {
                r.kind = RequestWork::Light;
            }
            out.requests += 1;
        }
        // 2. Work per endpoint: in turn (a loop) or at once (threads).
        let mut by_endpoint: Vec<(Arc<str>, Vec<usize>)> = Vec::new();
        let mut endpoint_no: HashMap<Arc<str>, usize> = HashMap::default();
        let mut cpu_kind: Vec<usize> = work_of.keys().copied().collect();
        cpu_kind.sort_unstable();
        for &ri in &cpu_kind {
            let e = requests[ri].endpoint.clone();
            let next = by_endpoint.len();
            let i = *endpoint_no.entry(e.clone()).or_insert(next);
            if i == next {
                by_endpoint.push((e, Vec::new()));
            }
            by_endpoint[i].1.push(ri);
        }
        // Loop sections: (start, end, request).
        let mut loop_sections: Vec<(Ns, Ns, usize)> = Vec::new();
        let mut placed: Vec<(usize, Location, TimingPlace)> = Vec::new();
        let mut serialized: Vec<usize> = Vec::new();
        for (endpoint, members) in &by_endpoint {
            let sections: Vec<(Ns, Ns, usize)> = members
                .iter()
                .flat_map(|&ri| {
                    work_of[&ri]
                        .iter()
                        .filter(|(s, e)| e - s >= threshold)
                        .map(move |&(s, e)| (s, e, ri))
                })
                .collect();
            let with_sections: Vec<(Ns, Ns)> = members
                .iter()
                .filter(|ri| sections.iter().any(|s| s.2 == **ri))
                .map(|&ri| (requests[ri].start, requests[ri].end))
                .collect();
            let request_pairs = overlapping_pairs(with_sections);
            let pairs = overlapping_pairs(sections.iter().map(|s| (s.0, s.1)).collect());
            let evidence = if sections.is_empty() {
                TimingEvidence::WorkUnsettled {
                    sections: 0,
                    request_pairs,
                }
            } else if pairs > 0 {
                for &ri in members {
                    placed.push((ri, Location::Offloaded, TimingPlace::AtOnce));
                }
                TimingEvidence::AtOnce {
                    sections: sections.len(),
                    pairs,
                }
            } else if request_pairs >= MIN_PAIRS {
                for &ri in members {
                    placed.push((ri, Location::EventLoop, TimingPlace::Serialized));
                }
                serialized.push(out.endpoints.len());
                loop_sections.extend(&sections);
                TimingEvidence::Serialized {
                    sections: sections.len(),
                    request_pairs,
                    in_flight: 0,
                    quiet: 0,
                }
            } else {
                TimingEvidence::WorkUnsettled {
                    sections: sections.len(),
                    request_pairs,
                }
            };
            out.endpoints.push(TimingFinding {
                endpoint: endpoint.clone(),
                evidence,
            });
        }
        // 3. I/O per endpoint: calls in turn (blocking on the loop), else against the loop
        // sections found so far.
        let mut io_endpoints: Vec<(Arc<str>, Vec<usize>)> = Vec::new();
        let mut io_no: HashMap<Arc<str>, usize> = HashMap::default();
        io_kind.sort_unstable();
        for &ri in &io_kind {
            let e = requests[ri].endpoint.clone();
            let next = io_endpoints.len();
            let i = *io_no.entry(e.clone()).or_insert(next);
            if i == next {
                io_endpoints.push((e, Vec::new()));
            }
            io_endpoints[i].1.push(ri);
        }
        let mut io_in_turn: Vec<(usize, Vec<Section>)> = Vec::new();
        for (k, (_, members)) in io_endpoints.iter().enumerate() {
            let calls: Vec<(Ns, Ns, usize)> = members
                .iter()
                .flat_map(|&ri| calls_of[&ri].iter().map(move |&(s, e)| (s, e, ri)))
                .filter(|(s, e, _)| e - s >= threshold)
                .collect();
            let spans: Vec<(Ns, Ns)> = members
                .iter()
                .map(|&ri| (requests[ri].start, requests[ri].end))
                .collect();
            let request_pairs = overlapping_pairs(spans);
            if !calls.is_empty()
                && request_pairs >= MIN_PAIRS
                && overlapping_pairs(calls.iter().map(|c| (c.0, c.1)).collect()) == 0
            {
                io_in_turn.push((k, calls));
            }
        }
        for (_, calls) in &io_in_turn {
            loop_sections.extend(calls);
        }
        loop_sections.sort_unstable();
        let windows = merge(loop_sections.iter().map(|s| (s.0, s.1)).collect());
        let inside = |t: Ns| {
            let i = windows.partition_point(|w| w.1 <= t);
            windows.get(i).is_some_and(|w| w.0 < t && t < w.1)
        };
        for (k, (endpoint, members)) in io_endpoints.iter().enumerate() {
            let calls: Vec<(Ns, Ns)> = members
                .iter()
                .flat_map(|&ri| calls_of[&ri].iter().copied())
                .collect();
            let evidence = if let Some((_, turn)) = io_in_turn.iter().find(|x| x.0 == k) {
                let spans: Vec<(Ns, Ns)> = members
                    .iter()
                    .map(|&ri| (requests[ri].start, requests[ri].end))
                    .collect();
                for &ri in members {
                    placed.push((ri, Location::EventLoop, TimingPlace::IoInTurn));
                }
                TimingEvidence::IoInTurn {
                    calls: turn.len(),
                    request_pairs: overlapping_pairs(spans),
                }
            } else {
                let crossing = calls
                    .iter()
                    .filter(|&&(s, e)| {
                        let i = windows.partition_point(|w| w.1 <= s);
                        windows.get(i).is_some_and(|w| w.0 < e)
                    })
                    .count();
                let within = calls
                    .iter()
                    .map(|&(s, e)| usize::from(inside(s)) + usize::from(inside(e)))
                    .sum::<usize>();
                if within >= MIN_INSIDE {
                    for &ri in members {
                        placed.push((ri, Location::Offloaded, TimingPlace::ProgressedDuringStalls));
                    }
                    TimingEvidence::ProgressedDuringStalls {
                        calls: calls.len(),
                        crossing,
                        inside: within,
                    }
                } else if within == 0 && crossing >= MIN_CROSSINGS {
                    for &ri in members {
                        requests[ri].kind = RequestWork::IoWait;
                    }
                    TimingEvidence::Awaited {
                        calls: calls.len(),
                        crossing,
                    }
                } else {
                    let mut shares: Vec<u32> = members
                        .iter()
                        .map(|&ri| {
                            let r = &requests[ri];
                            let d = r.duration().max(1);
                            (i128::from(r.io_wait) * 100 / i128::from(d)).clamp(0, 100) as u32
                        })
                        .collect();
                    shares.sort_unstable();
                    let mut io: Vec<Ns> = members.iter().map(|&ri| requests[ri].io_wait).collect();
                    io.sort_unstable();
                    TimingEvidence::IoUnsettled {
                        io_p50: super::percentile(&io, 50.0),
                        calls: calls.len(),
                        loop_sections: loop_sections.len(),
                        crossing,
                        inside: within,
                        io_share: shares.get(shares.len() / 2).copied().unwrap_or(0),
                    }
                }
            };
            out.endpoints.push(TimingFinding {
                endpoint: endpoint.clone(),
                evidence,
            });
        }
        for (ri, location, place) in placed {
            let Some(r) = requests.get_mut(ri) else {
                continue;
            };
            if matches!(
                place,
                TimingPlace::ProgressedDuringStalls | TimingPlace::IoInTurn
            ) {
                r.kind = RequestWork::IoBlocking;
                r.io_block = r.io_wait;
                r.io_wait = 0;
                r.work_busy = r.work_busy.saturating_add(r.io_block);
                r.heavy = merge(calls_of.get(&ri).cloned().unwrap_or_default());
                r.heavy_dense = true;
            }
            r.location = location;
            r.timed = Some((location, Placement::Timing(place)));
        }
        // 4. Requests without child spans: light when their own time outside the loop's stalls
        // is under `--stall` (the rest of it was spent waiting for the loop); else unmeasured.
        for (ri, _) in self.pieces.iter().filter(|(_, p)| p.is_empty()) {
            let Some(r) = requests.get_mut(*ri) else {
                continue;
            };
            let own = r.duration() - overlap(&windows, r.start, r.end);
            if own < threshold {
                r.kind = RequestWork::Light;
                out.requests += 1;
            }
        }
        // 5. The effect on the others: during each loop section, the other requests in flight
        // and those that started or ended no child span in it.
        let (in_flight, quiet) = self.quiet(requests, &loop_sections);
        for i in serialized {
            if let Some(TimingFinding {
                evidence:
                    TimingEvidence::Serialized {
                        in_flight: f,
                        quiet: q,
                        ..
                    },
                ..
            }) = out.endpoints.get_mut(i)
            {
                (*f, *q) = (in_flight, quiet);
            }
        }
        out
    }

    /// Over `sections` (start, end, request): the other requests in flight during each
    /// (summed), and those of them that started or ended no child span inside it.
    fn quiet(&self, requests: &[Request], sections: &[(Ns, Ns, usize)]) -> (usize, usize) {
        // Every child span's start and end, with its request, sorted by time.
        let mut events: Vec<(Ns, usize)> = Vec::new();
        for (ri, pieces) in &self.pieces {
            for p in pieces {
                events.push((p.start, *ri));
                events.push((p.end, *ri));
            }
        }
        events.sort_unstable();
        let mut starts: Vec<Ns> = self
            .pieces
            .iter()
            .filter(|(_, p)| !p.is_empty())
            .filter_map(|(ri, _)| requests.get(*ri).map(|r| r.start))
            .collect();
        let mut ends: Vec<Ns> = self
            .pieces
            .iter()
            .filter(|(_, p)| !p.is_empty())
            .filter_map(|(ri, _)| requests.get(*ri).map(|r| r.end))
            .collect();
        starts.sort_unstable();
        ends.sort_unstable();
        let (mut in_flight, mut quiet) = (0usize, 0usize);
        let mut moved: Vec<usize> = Vec::new();
        for &(s, e, own) in sections {
            // Requests that started before the section ended and did not end before it began,
            // less its own.
            let n = starts
                .partition_point(|&x| x < e)
                .saturating_sub(ends.partition_point(|&x| x <= s))
                .saturating_sub(1);
            let from = events.partition_point(|x| x.0 <= s);
            moved.clear();
            for &(t, ri) in &events[from..] {
                if t >= e {
                    break;
                }
                if ri != own && !moved.contains(&ri) {
                    moved.push(ri);
                }
            }
            in_flight += n;
            quiet += n.saturating_sub(moved.len());
        }
        (in_flight, quiet)
    }
}

/// `a` less the parts covered by `b` (both sorted and merged).
fn minus(a: &[(Ns, Ns)], b: &[(Ns, Ns)]) -> Vec<(Ns, Ns)> {
    let mut out = Vec::new();
    for &(s, e) in a {
        let mut cur = s;
        let first = b.partition_point(|x| x.1 <= s);
        for &(bs, be) in &b[first..] {
            if bs >= e {
                break;
            }
            if bs > cur {
                out.push((cur, bs));
            }
            cur = cur.max(be);
        }
        if cur < e {
            out.push((cur, e));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::timeline::Timeline;
    use crate::analyze::{Analysis, Inferred, Pattern, StallSource, Verdict, analyze};
    use crate::model::ThreadRole;

    fn judged(t: Timeline) -> Analysis {
        analyze(&t.finish(), &Config::default())
    }

    fn pv(a: &Analysis, endpoint: &str) -> (Pattern, Verdict) {
        let j = a
            .judgements
            .iter()
            .find(|j| j.subject == endpoint)
            .unwrap_or_else(|| panic!("no row {endpoint}: {:#?}", a.judgements));
        (j.pattern, j.verdict)
    }

    fn found<'a>(a: &'a Analysis, endpoint: &str) -> &'a TimingEvidence {
        a.judgements
            .iter()
            .filter(|j| j.subject == endpoint)
            .filter_map(|j| j.server())
            .flat_map(|v| &v.evidence)
            .find_map(|e| match e {
                crate::analyze::ServerEvidence::Timing(t) => Some(t),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no timing evidence for {endpoint}"))
    }

    /// Spans with start and end only (no polls, busy times or threads):
    ///
    /// ```text
    /// t(ms)  0    10   30  40   60  70   90  100  120  130
    /// /b/ work    [==]     [==]     [==]     [==]          4 requests 0-135, overlapping
    /// /a/ call  [5 ···· 35]                                awaited: crosses [10,30], ends after
    ///                [32 ···· 65] [62 ···· 95] [91 ···· 125]
    /// /c/ call       [15 ···· 50]                          starts in [10,30], ends in [40,60]
    ///             [22 ··········· 75]                      starts in [10,30], ends in [70,90]
    /// /d/ work  [5 ········ 45]                            two sections at once: threads
    ///               [12 ········ 55]
    /// ```
    /// `/b/`'s sections never overlap though its 4 requests do (6 pairs): the loop, 4 stalls;
    /// `/a/`'s 4 calls each cross a section and none starts or ends inside one: awaited;
    /// `/c/`'s calls start or end inside sections 4 times: blocking, on threads of their own;
    /// `/d/`'s sections overlap: threads.
    fn shapes() -> Timeline {
        let mut t = Timeline::new();
        let client = [("otel.kind", "client")];
        for (i, (s, e)) in [(10.0, 30.0), (40.0, 60.0), (70.0, 90.0), (100.0, 120.0)]
            .into_iter()
            .enumerate()
        {
            let at = i as f64;
            let r = t.request("GET /b/", at, 130.0 + at);
            t.span("tally", &[], Some(r), s, e);
        }
        for (s, e) in [(5.0, 35.0), (32.0, 65.0), (62.0, 95.0), (91.0, 125.0)] {
            let r = t.request("GET /a/", s - 1.0, e + 1.0);
            t.span("GET", &client, Some(r), s, e);
        }
        for (s, e) in [(15.0, 50.0), (22.0, 75.0)] {
            let r = t.request("GET /c/", s - 1.0, e + 1.0);
            t.span("GET", &client, Some(r), s, e);
        }
        for (s, e) in [(5.0, 45.0), (12.0, 55.0)] {
            let r = t.request("GET /d/", s - 1.0, e + 1.0);
            t.span("tally", &[], Some(r), s, e);
        }
        t
    }

    #[test]
    fn each_shape_gets_the_pattern_its_timing_shows() {
        let a = judged(shapes());
        assert_eq!(pv(&a, "GET /b/"), (Pattern::AsyncCpu, Verdict::Bad));
        assert_eq!(pv(&a, "GET /a/"), (Pattern::AsyncIo, Verdict::Good));
        assert_eq!(pv(&a, "GET /c/"), (Pattern::SyncIo, Verdict::Bad));
        assert_eq!(pv(&a, "GET /d/"), (Pattern::SyncCpu, Verdict::Ok));
        // /b/: 4 sections, 6 pairs of requests at once. Other requests in flight during the
        // sections: 10-30 the other 3 /b/, a1, c1, c2, d1, d2 (8), of which c1, c2, d2 start a
        // span inside (5 quiet); 40-60: 3 /b/, a2, c1, c2, d1, d2 (8), c1, d1, d2 end one
        // (5 quiet); 70-90: 3 /b/, a3, c2 (5), c2 ends (4 quiet); 100-120: 3 /b/, a4 (4 quiet).
        assert_eq!(
            found(&a, "GET /b/"),
            &TimingEvidence::Serialized {
                sections: 4,
                request_pairs: 6,
                in_flight: 25,
                quiet: 18
            }
        );
        assert_eq!(
            found(&a, "GET /a/"),
            &TimingEvidence::Awaited {
                calls: 4,
                crossing: 4
            }
        );
        // c1 starts in [10,30] and ends in [40,60]; c2 starts in [10,30] and ends in [70,90].
        assert_eq!(
            found(&a, "GET /c/"),
            &TimingEvidence::ProgressedDuringStalls {
                calls: 2,
                crossing: 2,
                inside: 4
            }
        );
        assert_eq!(
            found(&a, "GET /d/"),
            &TimingEvidence::AtOnce {
                sections: 2,
                pairs: 1
            }
        );
        // The four sections of /b/ are its stalls, inferred from timing, named by tally.
        let stalls: Vec<(Ns, Ns)> = a
            .stalls
            .iter()
            .map(|s| (s.start / 1_000_000, s.end / 1_000_000))
            .collect();
        assert_eq!(stalls.len(), 4, "{stalls:?}");
        assert!(a.stalls.iter().all(|s| s.culprit == "GET /b/"
            && s.source
                == StallSource::Inferred(Inferred::Timing {
                    span: Some("tally".into())
                })));
        // The shared loop is the server model, from /b/.
        let m = a.server_model.as_ref().expect("a model");
        assert_eq!(m.model, crate::analyze::server_model::Model::Asgi);
        assert!(a.threads.iter().all(|t| t.role != ThreadRole::EventLoop));
    }

    /// Too few overlapping requests say nothing: two /b/ requests one after the other, and I/O
    /// with no loop section to test against, stay unknown.
    #[test]
    fn too_little_overlap_stays_unknown_with_the_reason() {
        let mut t = Timeline::new();
        for (s, e) in [(10.0, 30.0), (40.0, 60.0)] {
            let r = t.request("GET /b/", s - 1.0, e + 1.0);
            t.span("tally", &[], Some(r), s, e);
        }
        let r = t.request("GET /a/", 0.0, 50.0);
        t.span("GET", &[("otel.kind", "client")], Some(r), 1.0, 49.0);
        let a = judged(t);
        assert_eq!(pv(&a, "GET /b/"), (Pattern::Unknown, Verdict::Unknown));
        assert_eq!(
            found(&a, "GET /b/"),
            &TimingEvidence::WorkUnsettled {
                sections: 2,
                request_pairs: 0
            }
        );
        assert_eq!(pv(&a, "GET /a/"), (Pattern::Unknown, Verdict::Unknown));
        assert!(matches!(
            found(&a, "GET /a/"),
            TimingEvidence::IoUnsettled {
                loop_sections: 0,
                io_share: 96,
                ..
            }
        ));
        assert!(a.server_model.is_none());
        assert!(a.stalls.is_empty());
    }

    /// Spans with busy times (a tracing CLOSE log) are not timed: their own readings decide.
    #[test]
    fn spans_with_busy_times_are_left_to_their_readings() {
        let mut t = shapes();
        let r = t.request("GET /e/", 0.0, 50.0);
        t.close_only(r, 45.0);
        let a = judged(t);
        assert!(a.judgements.iter().all(|j| j.subject != "GET /e/"
            || j.server().is_some_and(|v| {
                !v.evidence
                    .iter()
                    .any(|e| matches!(e, crate::analyze::ServerEvidence::Timing(_)))
            })));
    }

    #[test]
    fn minus_cuts_covered_parts() {
        assert_eq!(minus(&[(0, 10)], &[(2, 3), (5, 12)]), vec![(0, 2), (3, 5)]);
        assert_eq!(minus(&[(0, 10), (20, 30)], &[]), vec![(0, 10), (20, 30)]);
        assert_eq!(minus(&[(5, 6)], &[(0, 10)]), vec![]);
    }
}
