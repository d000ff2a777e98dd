//! Long polls as stalls ([`StallSource::TaskPoll`]), and the episodes they form, through the
//! one concurrency sweep ([`overlap::concurrency`]).

use crate::analyze::overlap::{self, Hold};
use crate::analyze::{Episode, Stall, StallSource, Unit, Victim};
use crate::model::{Ns, TaskRecord};
use std::ops::Range;

/// Long polls of async application tasks at or over `threshold`, by start, and the task
/// (an index into `records`) of each.
///
/// A live capture's snapshot shows the last poll exactly; of the polls before it, only their
/// number and busy time: when they average `threshold` or more, one of them lasted at least
/// that mean, and is placed just before the last (a lower bound, in length and in number).
pub(super) fn long_polls(records: &[TaskRecord], threshold: Ns) -> (Vec<Stall>, Vec<usize>) {
    let mut found: Vec<(Ns, Ns, usize)> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_async_app())
        .flat_map(|(task, r)| {
            let from_snapshots = r.snapshot_polls.iter().flat_map(move |p| {
                let mean = p.others_mean();
                [
                    (p.last_len() >= threshold).then_some(p.last),
                    (mean >= threshold).then_some((p.last.0 - mean, p.last.0)),
                ]
                .into_iter()
                .flatten()
            });
            r.long_polls
                .iter()
                .copied()
                .filter(move |(s, e)| e - s >= threshold)
                .chain(from_snapshots)
                .map(move |(start, end)| (start, end, task))
        })
        .collect();
    found.sort_unstable();
    let stalls = found
        .iter()
        .map(|&(start, end, task)| Stall {
            source: StallSource::TaskPoll,
            thread: None,
            start,
            end,
            request: None,
            culprit: records[task].site.clone(),
            delayed: 0,
        })
        .collect();
    (stalls, found.into_iter().map(|f| f.2).collect())
}

/// What one episode's sweep and victim search found besides its [`Episode`].
#[derive(Debug, Default)]
pub(super) struct Sweep {
    /// Its stalls: a range of the sorted stall list.
    pub(super) stalls: Range<usize>,
    /// Sub-windows with every worker in a long poll.
    pub(super) all_held: Vec<(Ns, Ns)>,
    /// The tasks that paid, each once per kind with its longest wait or hold.
    pub(super) victims: Vec<TaskVictim>,
}

/// A runtime task that paid for an episode.
#[derive(Debug, Clone, Copy)]
pub(super) struct TaskVictim {
    /// An index into the task records.
    pub(super) task: usize,
    /// [`Victim::WaitedForWorker`] or [`Victim::HeldIdle`].
    pub(super) kind: Victim,
    /// Its longest wait for a worker, or its longest hold.
    pub(super) time: Ns,
}

impl Sweep {
    /// The victims of one kind: (task, longest wait or hold).
    pub(super) fn of(&self, kind: Victim) -> impl Iterator<Item = (usize, Ns)> + '_ {
        self.victims
            .iter()
            .filter(move |v| v.kind == kind)
            .map(|v| (v.task, v.time))
    }
}

/// Groups overlapping (or touching) long polls into episodes and sweeps each for the most
/// polls at once and the windows where all `workers` are held. `known_workers` is the worker
/// count the recording names (0: not known, and no all-held time is reported).
pub(super) fn episodes(
    stalls: &[Stall],
    workers: usize,
    known_workers: usize,
) -> (Vec<Episode>, Vec<Sweep>) {
    let windows = overlap::merge(stalls.iter().map(|s| (s.start, s.end)).collect());
    let mut episodes = Vec::with_capacity(windows.len());
    let mut sweeps = Vec::with_capacity(windows.len());
    let mut next = 0;
    for (start, end) in windows {
        let first = next;
        while next < stalls.len() && stalls[next].start <= end {
            next += 1;
        }
        let members = &stalls[first..next];
        let intervals: Vec<(Ns, Ns)> = members.iter().map(|s| (s.start, s.end)).collect();
        let sweep = overlap::concurrency(&intervals, workers.max(1), Hold::Any);
        let mut culprits: Vec<String> = members.iter().map(|s| s.culprit.clone()).collect();
        culprits.sort();
        culprits.dedup();
        episodes.push(Episode {
            start,
            end,
            stalls: members.len(),
            max_at_once: sweep.max_at_once,
            workers: known_workers,
            all_held: if known_workers > 0 {
                sweep.all_held_time()
            } else {
                0
            },
            culprits,
            unit: Unit::Tasks,
            delayed: 0,
            max_delay: 0,
            held_idle: 0,
            max_held_idle: 0,
        });
        sweeps.push(Sweep {
            stalls: first..next,
            all_held: sweep.all_held,
            ..Sweep::default()
        });
    }
    (episodes, sweeps)
}
