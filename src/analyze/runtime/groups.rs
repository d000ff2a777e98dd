//! Application tasks by group, with the long polls of each and the tasks those delayed.

use super::episodes::Sweep;
use super::{MIN_DELAY, TaskGroup};
use crate::analyze::{Episode, Stall, Victim};
use crate::model::{Ns, TaskRecord, TaskRole, Trace};
use std::collections::HashMap;

/// Application task groups with their long polls and the tasks those delayed.
/// `stall_tasks[i]` is the task of `stalls[i]`; `sweeps[k]` belongs to `episodes[k]`.
pub(super) fn groups(
    trace: &Trace,
    stalls: &[Stall],
    stall_tasks: &[usize],
    episodes: &[Episode],
    sweeps: &[Sweep],
) -> Vec<TaskGroup> {
    let data = &trace.tasks;
    let index: HashMap<(&str, &str), usize> = data
        .totals
        .iter()
        .enumerate()
        .filter(|(_, g)| g.role == TaskRole::App)
        .map(|(i, g)| ((g.site.as_str(), g.kind.as_str()), i))
        .collect();
    let group_of = |r: &TaskRecord| index.get(&(r.site.as_str(), r.kind.as_str())).copied();
    let mut long: HashMap<usize, usize> = HashMap::new();
    for &task in stall_tasks {
        if let Some(g) = group_of(&data.records[task]) {
            *long.entry(g).or_default() += 1;
        }
    }
    // A delayed task is a victim of the groups whose long polls were running when it became
    // ready (its own excepted).
    let mut victims: HashMap<usize, HashMap<usize, Ns>> = HashMap::new();
    for (ep, sw) in episodes.iter().zip(sweeps) {
        for (task, _) in sw.of(Victim::WaitedForWorker) {
            for &(ready, poll) in &data.records[task].delays {
                if poll - ready < MIN_DELAY || ready < ep.start || ready >= ep.end {
                    continue;
                }
                for (_, &culprit) in stalls[sw.stalls.clone()]
                    .iter()
                    .zip(&stall_tasks[sw.stalls.clone()])
                    .filter(|(s, _)| s.start <= ready && ready < s.end)
                {
                    if culprit == task {
                        continue;
                    }
                    if let Some(g) = group_of(&data.records[culprit]) {
                        let v = victims.entry(g).or_default().entry(task).or_default();
                        *v = (*v).max(poll - ready);
                    }
                }
            }
        }
    }
    // What each group's own tasks suffered: a task once, with its worst.
    let mut delayed_here: HashMap<usize, HashMap<usize, Ns>> = HashMap::new();
    let mut held_here: HashMap<usize, HashMap<usize, Ns>> = HashMap::new();
    for sw in sweeps {
        for (kind, into) in [
            (Victim::WaitedForWorker, &mut delayed_here),
            (Victim::HeldIdle, &mut held_here),
        ] {
            for (task, d) in sw.of(kind) {
                if let Some(g) = group_of(&data.records[task]) {
                    let v = into.entry(g).or_default().entry(task).or_default();
                    *v = (*v).max(d);
                }
            }
        }
    }
    let worst =
        |m: Option<&HashMap<usize, Ns>>| m.and_then(|m| m.values().copied().max()).unwrap_or(0);
    let mut out: Vec<TaskGroup> = index
        .values()
        .map(|&i| {
            let g = &data.totals[i];
            let v = victims.get(&i);
            TaskGroup {
                site: g.site.clone(),
                joined_endpoint: g.joined,
                kind: g.kind.clone(),
                tasks: g.tasks as usize,
                completed: g.completed,
                polls: g.polls,
                busy: g.busy,
                scheduled: g.scheduled,
                idle: g.idle,
                max_poll: g.max_poll,
                max_first_poll_delay: g.max_first_poll_delay,
                wakes: g.wakes,
                self_wakes: g.self_wakes,
                long_polls: long.get(&i).copied().unwrap_or(0),
                victims: v.map_or(0, HashMap::len),
                max_delay: worst(v),
                delayed_here: delayed_here.get(&i).map_or(0, HashMap::len),
                max_delay_here: worst(delayed_here.get(&i)),
                held_idle_here: held_here.get(&i).map_or(0, HashMap::len),
                max_held_idle_here: worst(held_here.get(&i)),
                victim_sites: {
                    let mut by: Vec<(String, usize)> = Vec::new();
                    for &task in v.into_iter().flat_map(HashMap::keys) {
                        let site = &data.records[task].site;
                        match by.iter_mut().find(|(s, _)| s == site) {
                            Some(x) => x.1 += 1,
                            None => by.push((site.clone(), 1)),
                        }
                    }
                    by.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    by
                },
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.long_polls
            .cmp(&a.long_polls)
            .then(b.busy.cmp(&a.busy))
            .then_with(|| a.site.cmp(&b.site))
            .then_with(|| a.kind.cmp(&b.kind))
    });
    out
}
