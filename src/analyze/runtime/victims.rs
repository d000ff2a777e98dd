//! The tasks that paid for the long polls: delayed ([`Victim::WaitedForWorker`]: woken, then
//! waited for a worker) and held idle ([`Victim::HeldIdle`]: not even woken while every worker
//! was in a long poll).
//!
//! [`Victim::WaitedForWorker`]: crate::analyze::Victim::WaitedForWorker
//! [`Victim::HeldIdle`]: crate::analyze::Victim::HeldIdle

use super::MIN_DELAY;
use super::episodes::{Sweep, TaskVictim};
use crate::analyze::{Episode, Stall, Victim};
use crate::model::{Ns, TaskRecord};
use std::collections::HashMap;

/// A task woken this soon after a long poll ended (a worker came free) may have been held idle
/// by it: its timer or socket was ready, but no worker was free to service the driver.
pub const HELD_IDLE_SLACK: Ns = 5_000_000;

/// Finds each episode's delayed and held-idle tasks. `stall_tasks[i]` is the task of
/// `stalls[i]`.
pub(super) fn attribute_victims(
    records: &[TaskRecord],
    stalls: &[Stall],
    stall_tasks: &[usize],
    episodes: &mut [Episode],
    sweeps: &mut [Sweep],
) {
    let all_held: Vec<(Ns, Ns, usize)> = sweeps
        .iter()
        .enumerate()
        .flat_map(|(k, sw)| sw.all_held.iter().map(move |&(s, e)| (s, e, k)))
        .collect();
    let stalling = |task: usize, t: Ns| {
        stalls
            .iter()
            .zip(stall_tasks)
            .any(|(s, &k)| k == task && s.start <= t && t < s.end)
    };
    for (i, r) in records.iter().enumerate() {
        if !r.is_async_app() {
            continue;
        }
        // Delayed: ready inside an episode, polled 1 ms or more later.
        let mut best: HashMap<usize, Ns> = HashMap::new();
        for &(ready, poll) in &r.delays {
            let d = poll - ready;
            if d < MIN_DELAY || stalling(i, ready) {
                continue;
            }
            let k = episodes.partition_point(|ep| ep.end <= ready);
            if episodes.get(k).is_some_and(|ep| ep.start <= ready) {
                let v = best.entry(k).or_default();
                *v = (*v).max(d);
            }
        }
        for (k, d) in best {
            sweeps[k].victims.push(TaskVictim {
                task: i,
                kind: Victim::WaitedForWorker,
                time: d,
            });
        }
        // Held idle: idle across an all-held window, woken right after it.
        let mut best: HashMap<usize, Ns> = HashMap::new();
        for &(idle_from, wake) in &r.idle_gaps {
            let first = all_held.partition_point(|w| w.1 < wake - HELD_IDLE_SLACK);
            for &(s, e, k) in all_held[first..].iter().take_while(|w| w.1 <= wake) {
                if idle_from < e {
                    let h = wake - idle_from.max(s);
                    let v = best.entry(k).or_default();
                    *v = (*v).max(h);
                }
            }
        }
        for (k, h) in best {
            sweeps[k].victims.push(TaskVictim {
                task: i,
                kind: Victim::HeldIdle,
                time: h,
            });
        }
    }
    for (ep, sw) in episodes.iter_mut().zip(sweeps.iter()) {
        ep.delayed = sw.of(Victim::WaitedForWorker).count() as u64;
        ep.max_delay = sw
            .of(Victim::WaitedForWorker)
            .map(|v| v.1)
            .max()
            .unwrap_or(0);
        ep.held_idle = sw.of(Victim::HeldIdle).count() as u64;
        ep.max_held_idle = sw.of(Victim::HeldIdle).map(|v| v.1).max().unwrap_or(0);
    }
}
