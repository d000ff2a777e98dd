//! The tasks that paid for the long polls: delayed (woken, then waited for a worker) and held
//! idle (not even woken while every worker was in a long poll).

use super::{Episode, MIN_DELAY, Stall};
use crate::model::{Ns, TaskRecord};
use std::collections::HashMap;

/// A task woken this soon after a long poll ended (a worker came free) may have been held idle
/// by it: its timer or socket was ready, but no worker was free to service the driver.
pub const HELD_IDLE_SLACK: Ns = 5_000_000;

/// Finds each episode's delayed and held-idle tasks.
pub(super) fn attribute_victims(
    records: &[TaskRecord],
    stalls: &[Stall],
    episodes: &mut [Episode],
) {
    let all_held: Vec<(Ns, Ns, usize)> = episodes
        .iter()
        .enumerate()
        .flat_map(|(k, ep)| ep.all_held.iter().map(move |&(s, e)| (s, e, k)))
        .collect();
    let stalling = |task: usize, t: Ns| {
        stalls
            .iter()
            .any(|s| s.task == task && s.start <= t && t < s.end)
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
            episodes[k].delayed.push((i, d));
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
            episodes[k].held.push((i, h));
        }
    }
}
