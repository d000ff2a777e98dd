//! Long polls as stalls, and the episodes they form.

use super::{Episode, Stall, TaskEpisode};
use crate::analyze::{fmt_ms, ms};
use crate::model::{Ns, TaskRecord};

/// Long polls of async application tasks at or over `threshold`, by start.
pub(super) fn long_polls(records: &[TaskRecord], threshold: Ns) -> Vec<Stall> {
    let mut stalls: Vec<Stall> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_async_app())
        .flat_map(|(task, r)| {
            r.long_polls
                .iter()
                .filter(|(s, e)| e - s >= threshold)
                .map(move |&(start, end)| Stall { start, end, task })
        })
        .collect();
    stalls.sort_by_key(|s| (s.start, s.end, s.task));
    stalls
}

/// Groups overlapping (or touching) long polls into episodes and sweeps each for the most
/// polls at once and the windows where all `workers` are held.
pub(super) fn episodes(stalls: &[Stall], workers: usize) -> Vec<Episode> {
    let mut out: Vec<Episode> = Vec::new();
    for s in stalls {
        match out.last_mut() {
            Some(ep) if s.start <= ep.end => {
                ep.end = ep.end.max(s.end);
                ep.stalls.push(*s);
            }
            _ => out.push(Episode {
                start: s.start,
                end: s.end,
                stalls: vec![*s],
                ..Episode::default()
            }),
        }
    }
    for ep in &mut out {
        // Ends before starts at the same instant: touching polls are not at once.
        let mut points: Vec<(Ns, i32)> = ep
            .stalls
            .iter()
            .flat_map(|s| [(s.start, 1), (s.end, -1)])
            .collect();
        points.sort_unstable();
        let mut at_once = 0i32;
        let mut since: Option<Ns> = None;
        for (t, d) in points {
            at_once += d;
            let n = at_once.max(0) as usize;
            ep.max_at_once = ep.max_at_once.max(n);
            match (since, n >= workers.max(1)) {
                (None, true) => since = Some(t),
                (Some(s), false) => {
                    if t > s {
                        ep.all_held.push((s, t));
                    }
                    since = None;
                }
                _ => {}
            }
        }
    }
    out
}

pub(super) fn episode_out(
    ep: &Episode,
    records: &[TaskRecord],
    workers: usize,
    min_workers: usize,
) -> TaskEpisode {
    let mut culprits: Vec<String> = ep
        .stalls
        .iter()
        .map(|s| records[s.task].site.clone())
        .collect();
    culprits.sort();
    culprits.dedup();
    let all_held: Ns = ep.all_held.iter().map(|(s, e)| e - s).sum();
    let max_delay = ep.delayed.iter().map(|v| v.1).max().unwrap_or(0);
    let max_held = ep.held.iter().map(|v| v.1).max().unwrap_or(0);
    let mut evidence = vec![format!(
        "up to {} long poll{} at once, so {} worker{} held at once (inferred: console recordings have no thread ids)",
        ep.max_at_once,
        if ep.max_at_once == 1 { "" } else { "s" },
        ep.max_at_once,
        if ep.max_at_once == 1 { "" } else { "s" },
    )];
    if all_held > 0 {
        evidence.push(format!(
            "every worker ({}) in a long poll for {}: timers and sockets went unserviced, so tasks waiting on them stayed idle instead of being woken",
            if workers > 0 {
                workers.to_string()
            } else {
                format!("at least {min_workers}")
            },
            fmt_ms(all_held)
        ));
    }
    if !ep.delayed.is_empty() {
        evidence.push(format!(
            "{} task{} woken during it waited for a worker, up to {}",
            ep.delayed.len(),
            if ep.delayed.len() == 1 { "" } else { "s" },
            fmt_ms(max_delay)
        ));
    }
    if !ep.held.is_empty() {
        evidence.push(format!(
            "{} idle task{} woken only when a worker came free, held up to {}",
            ep.held.len(),
            if ep.held.len() == 1 { "" } else { "s" },
            fmt_ms(max_held)
        ));
    }
    TaskEpisode {
        start_ms: ms(ep.start),
        duration_ms: ms(ep.end - ep.start),
        long_polls: ep.stalls.len(),
        workers_blocked: ep.max_at_once,
        all_workers_blocked_ms: (workers > 0).then(|| ms(all_held)),
        victims: ep.delayed.len(),
        max_delay_ms: ms(max_delay),
        held_idle: ep.held.len(),
        max_held_idle_ms: ms(max_held),
        culprits,
        evidence,
    }
}
