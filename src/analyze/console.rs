//! Detectors for runtime tasks (tokio-console recordings): long polls as stalls, how many
//! workers they held at once, the tasks that paid for them, and tokio-console's own warnings
//! reproduced offline. Pure: reads [`TaskData`](crate::model::TaskData), prints nothing.
//!
//! A poll of an async application task (`kind=task` or `local`; not a worker's launch task,
//! not `block_on`) at or over the stall threshold held the worker that ran it: tokio cannot
//! preempt a poll. Overlapping long polls form an *episode*. The recording has no thread ids,
//! so the workers held at once are the most long polls in progress at once:
//!
//! ```text
//! time     0    20   40   60   80  100  120  140
//! A        [═══════ long poll ═══════]                  A and B overlap from 50 to 120:
//! B                  [════════ long poll ══════]        2 workers held at once
//! episode  [══════════════════════════════════]          0 to 140
//! all held           [═══════════════]                  with 2 workers: nobody is free
//! C          woken ·················· polled            woken inside, waited 95 ms: delayed
//! D         poll]  idle ·······················wake     its timer fired at ~60, but nobody ran
//!                                                        the driver: held idle until 120
//! ```
//!
//! Two kinds of victim, counted apart:
//!
//! * **delayed**: woken (or spawned) during an episode, then polled 1 ms or more later. Tasks
//!   queued behind a long poll wait for its worker; this is the console's scheduled time.
//! * **held idle**: when every worker is in a long poll, nobody services timers and sockets,
//!   so tasks waiting on them are not even woken: their wait shows as *idle*, not scheduled.
//!   A task idle across such a moment and woken within [`HELD_IDLE_SLACK`] after a worker came
//!   free was held; its held time is from the later of its poll end and the moment all workers
//!   were taken to its wake (an upper bound: when its timer or socket fired is not recorded).
//!   The worker count comes from tokio's worker launch tasks when the recording has them, else
//!   from the most async polls ever seen in progress at once (a floor).
//!
//! Invariants: every stall is one long poll of one task; episodes do not overlap and are
//! sorted; a task is counted once per episode and once overall, with its longest delay.

use super::{fmt_ms, ms};
use crate::config::Config;
use crate::model::{
    HELD_IDLE_SLACK, NEVER_YIELDED, Ns, SELF_WAKE_PERCENT, TaskRecord, TaskRole, Trace,
};
use serde::Serialize;
use std::collections::HashMap;

/// Delays shorter than this are not a victim's (the reader keeps none shorter either).
const MIN_DELAY: Ns = 1_000_000;

/// Tasks grouped by what identifies their code (see
/// [`TaskTotals::site`](crate::model::TaskTotals::site)), summed over every task of the group.
#[derive(Debug, Clone, Serialize)]
pub struct TaskGroup {
    pub site: String,
    /// `site` is the endpoint these tasks served, joined from a log of the same run.
    pub joined_endpoint: bool,
    pub kind: String,
    pub tasks: usize,
    /// Tasks whose close was recorded (the others were alive at the end).
    pub completed: u64,
    pub polls: u64,
    pub busy_ms: f64,
    /// tokio-console's scheduled time: waits from wake to poll.
    pub scheduled_ms: f64,
    /// Lifetime not busy and not scheduled: awaiting something.
    pub idle_ms: f64,
    pub max_poll_ms: f64,
    pub mean_poll_us: f64,
    /// Longest wait from spawn to first poll.
    pub max_first_poll_delay_ms: f64,
    pub wakes: u64,
    pub self_wakes: u64,
    /// Polls at or over the stall threshold (async tasks only).
    pub long_polls: usize,
    /// Other tasks delayed while this group's long polls ran.
    pub victims: usize,
    pub max_delay_ms: f64,
    /// Those victims by their own group's site (an endpoint when joined to a log), most first.
    pub victim_sites: Vec<(String, usize)>,
    /// This group's own tasks that any group's long polls delayed, and the longest delay.
    pub delayed_here: usize,
    pub max_delay_here_ms: f64,
    /// This group's own tasks held idle while every worker was in a long poll, and the longest.
    pub held_idle_here: usize,
    pub max_held_idle_here_ms: f64,
}

/// One long poll of an async task: a worker held for its whole length.
#[derive(Debug, Clone, Serialize)]
pub struct TaskStall {
    pub site: String,
    pub task_id: Option<String>,
    pub start_ms: f64,
    pub duration_ms: f64,
    /// The task's first poll (tokio-console's `never-yielded` looks at these).
    pub first_poll: bool,
    /// Still running when the recording ended: its length runs to the end.
    pub cut_off: bool,
}

/// Overlapping long polls and what they did to the rest.
#[derive(Debug, Clone, Serialize)]
pub struct TaskEpisode {
    pub start_ms: f64,
    pub duration_ms: f64,
    pub long_polls: usize,
    /// Most long polls in progress at once: workers held at once (inferred: no thread ids).
    pub workers_blocked: usize,
    /// Time every worker was in a long poll (`None`: the worker count is not known).
    pub all_workers_blocked_ms: Option<f64>,
    /// Tasks woken or spawned during the episode that waited 1 ms or more for a poll.
    pub victims: usize,
    pub max_delay_ms: f64,
    /// Tasks held idle by it (see the module docs) and the longest hold.
    pub held_idle: usize,
    pub max_held_idle_ms: f64,
    pub culprits: Vec<String>,
    pub evidence: Vec<String>,
}

/// One of tokio-console's warnings, for the tasks of one group.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleWarning {
    pub lint: &'static str,
    pub site: String,
    pub kind: String,
    /// Tasks of the group it fires for.
    pub tasks: usize,
    /// One of them, by tokio's task id.
    pub task_id: Option<String>,
    pub detail: String,
}

/// Victims of all episodes.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Victims {
    /// Distinct tasks woken or spawned during an episode that waited 1 ms or more for a poll.
    pub delayed_tasks: usize,
    /// (task, episode) pairs: a task delayed in two episodes counts twice.
    pub delays: usize,
    /// Over those pairs, each with the task's longest wait in the episode.
    pub total_delay_ms: f64,
    pub max_delay_ms: f64,
    /// Distinct tasks held idle while every worker was in a long poll.
    pub held_idle_tasks: usize,
    /// (task, episode) pairs held idle.
    pub held_idle: usize,
    pub max_held_idle_ms: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ConsoleFindings {
    /// Application tasks by group, most long polls first.
    pub groups: Vec<TaskGroup>,
    pub stalls: Vec<TaskStall>,
    pub episodes: Vec<TaskEpisode>,
    pub warnings: Vec<ConsoleWarning>,
    /// Delayed tasks, as in `victim_summary.delayed_tasks`.
    pub victims: usize,
    pub victim_summary: Victims,
    /// Worker threads, from tokio's worker launch tasks in the recording (0 when absent).
    pub workers: usize,
    /// When `workers` is 0: the most async polls seen in progress at once, a floor for it.
    pub min_workers: usize,
    /// Worker launch and `block_on` tasks, left out of groups and stall detection.
    pub runtime_tasks: u64,
    /// Resources and async ops (spans never spawned), left out.
    pub other_spans: u64,
    /// What the figures rest on and what they cannot tell.
    pub notes: Vec<String>,
    /// The join with logs of the same run, when they were given.
    pub join: Option<crate::model::JoinSummary>,
}

impl ConsoleFindings {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// A long poll: `task` indexes [`TaskData::records`](crate::model::TaskData::records).
#[derive(Debug, Clone, Copy)]
struct Stall {
    start: Ns,
    end: Ns,
    task: usize,
}

/// An episode while it is measured.
#[derive(Debug, Default)]
struct Episode {
    start: Ns,
    end: Ns,
    stalls: Vec<Stall>,
    max_at_once: usize,
    /// Sub-windows with every worker in a long poll.
    all_held: Vec<(Ns, Ns)>,
    delayed: Vec<(usize, Ns)>,
    held: Vec<(usize, Ns)>,
}

pub fn analyze(trace: &Trace, cfg: &Config) -> ConsoleFindings {
    let data = &trace.tasks;
    let mut out = ConsoleFindings::default();
    if data.is_empty() {
        return out;
    }
    let records = &data.records;
    let threshold = cfg.stall_threshold();
    out.workers = records
        .iter()
        .filter(|r| r.role == TaskRole::Worker)
        .count();
    if out.workers == 0 {
        out.min_workers = data.max_concurrent_polls.max(1);
    }
    let workers = out.workers.max(out.min_workers);
    out.runtime_tasks = data
        .totals
        .iter()
        .filter(|g| g.role != TaskRole::App)
        .map(|g| g.tasks)
        .sum();
    out.other_spans = data.other_spans;
    out.join = data.join.clone();

    let stalls = long_polls(records, threshold);
    let mut episodes = episodes(&stalls, workers);
    attribute_victims(records, &stalls, &mut episodes);

    // Victims overall: a task once, with its longest delay / hold.
    let mut delayed: HashMap<usize, Ns> = HashMap::new();
    let mut held: HashMap<usize, Ns> = HashMap::new();
    for ep in &episodes {
        for &(t, d) in &ep.delayed {
            let v = delayed.entry(t).or_default();
            *v = (*v).max(d);
            out.victim_summary.delays += 1;
            out.victim_summary.total_delay_ms += ms(d);
        }
        for &(t, h) in &ep.held {
            let v = held.entry(t).or_default();
            *v = (*v).max(h);
            out.victim_summary.held_idle += 1;
        }
    }
    out.victim_summary.delayed_tasks = delayed.len();
    out.victim_summary.max_delay_ms = ms(delayed.values().copied().max().unwrap_or(0));
    out.victim_summary.total_delay_ms = (out.victim_summary.total_delay_ms * 100.0).round() / 100.0;
    out.victim_summary.held_idle_tasks = held.len();
    out.victim_summary.max_held_idle_ms = ms(held.values().copied().max().unwrap_or(0));
    out.victims = delayed.len();

    out.groups = groups(trace, &stalls, &episodes);
    out.stalls = stalls
        .iter()
        .map(|s| {
            let r = &records[s.task];
            TaskStall {
                site: r.site.clone(),
                task_id: r.task_id.clone(),
                start_ms: ms(s.start),
                duration_ms: ms(s.end - s.start),
                first_poll: r.first_poll == Some(s.start),
                cut_off: r.running && r.long_polls.last().is_some_and(|p| p.0 == s.start),
            }
        })
        .collect();
    out.episodes = episodes
        .iter()
        .map(|ep| episode_out(ep, records, out.workers, out.min_workers))
        .collect();
    out.warnings = warnings(trace);
    out.notes = notes(&out, data.long_poll_floor, threshold);
    out
}

/// Long polls of async application tasks at or over `threshold`, by start.
fn long_polls(records: &[TaskRecord], threshold: Ns) -> Vec<Stall> {
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
fn episodes(stalls: &[Stall], workers: usize) -> Vec<Episode> {
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

/// Finds each episode's delayed and held-idle tasks.
fn attribute_victims(records: &[TaskRecord], stalls: &[Stall], episodes: &mut [Episode]) {
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

fn episode_out(
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

/// Application task groups with their long polls and the tasks those delayed.
fn groups(trace: &Trace, stalls: &[Stall], episodes: &[Episode]) -> Vec<TaskGroup> {
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
    for s in stalls {
        if let Some(g) = group_of(&data.records[s.task]) {
            *long.entry(g).or_default() += 1;
        }
    }
    // A delayed task is a victim of the groups whose long polls were running when it became
    // ready (its own excepted).
    let mut victims: HashMap<usize, HashMap<usize, Ns>> = HashMap::new();
    for ep in episodes {
        for &(task, _) in &ep.delayed {
            for &(ready, poll) in &data.records[task].delays {
                if poll - ready < MIN_DELAY || ready < ep.start || ready >= ep.end {
                    continue;
                }
                for s in ep
                    .stalls
                    .iter()
                    .filter(|s| s.start <= ready && ready < s.end)
                {
                    if s.task == task {
                        continue;
                    }
                    if let Some(g) = group_of(&data.records[s.task]) {
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
    for ep in episodes {
        for (list, into) in [(&ep.delayed, &mut delayed_here), (&ep.held, &mut held_here)] {
            for &(task, d) in list {
                if let Some(g) = group_of(&data.records[task]) {
                    let v = into.entry(g).or_default().entry(task).or_default();
                    *v = (*v).max(d);
                }
            }
        }
    }
    let worst =
        |m: Option<&HashMap<usize, Ns>>| ms(m.and_then(|m| m.values().copied().max()).unwrap_or(0));
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
                busy_ms: ms(g.busy),
                scheduled_ms: ms(g.scheduled),
                idle_ms: ms(g.idle),
                max_poll_ms: ms(g.max_poll),
                mean_poll_us: if g.polls > 0 {
                    ((g.busy as f64 / g.polls as f64) / 10.0).round() / 100.0
                } else {
                    0.0
                },
                max_first_poll_delay_ms: ms(g.max_first_poll_delay),
                wakes: g.wakes,
                self_wakes: g.self_wakes,
                long_polls: long.get(&i).copied().unwrap_or(0),
                victims: v.map_or(0, HashMap::len),
                max_delay_ms: ms(v.and_then(|v| v.values().copied().max()).unwrap_or(0)),
                delayed_here: delayed_here.get(&i).map_or(0, HashMap::len),
                max_delay_here_ms: worst(delayed_here.get(&i)),
                held_idle_here: held_here.get(&i).map_or(0, HashMap::len),
                max_held_idle_here_ms: worst(held_here.get(&i)),
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
            .then(b.busy_ms.total_cmp(&a.busy_ms))
            .then_with(|| a.site.cmp(&b.site))
            .then_with(|| a.kind.cmp(&b.kind))
    });
    out
}

/// tokio-console's five default lints (tokio-console 0.1.14 `warnings.rs`), per group.
///
/// The console checks live tasks as updates arrive; offline, a task gets a warning when the
/// console would have shown it at some moment of the recording:
///
/// * `self-wakes`: self-wakes over 50 % of wakes (whole percent, rounded down), final counts;
/// * `never-yielded`: the first poll ran 1 s or more (the console flags a task whose first
///   poll is running and has been busy that long);
/// * `lost-waker`: alive at the end, not running, not woken since its last poll started (and
///   polled at least once), no waker left (clones - drops, a wake by value being a drop);
/// * `auto-boxed-future`: `original_size.bytes` differs from `size.bytes`;
/// * `large-future`: `size.bytes` of 1024 or more.
///
/// `blocking` and `block_on` tasks are exempt from all but `auto-boxed-future`, as in the
/// console.
fn warnings(trace: &Trace) -> Vec<ConsoleWarning> {
    let data = &trace.tasks;
    let mut hits: Vec<(&'static str, &TaskRecord, Ns)> = Vec::new();
    for r in data.records.iter().filter(|r| !r.is_blocking()) {
        let first = r.first_poll_duration.unwrap_or(0);
        if first >= NEVER_YIELDED {
            hits.push(("never-yielded", r, first));
        }
        if r.self_wake_percent() > SELF_WAKE_PERCENT {
            hits.push(("self-wakes", r, r.self_wake_percent() as Ns));
        }
        let awakened = r.polls == 0 || r.woken;
        if r.closed.is_none() && r.waker_count() == 0 && !r.running && !awakened {
            hits.push(("lost-waker", r, 0));
        }
    }
    // Per (lint, site, kind): tasks, the first task's id, the worst figure.
    struct Found<'t> {
        lint: &'static str,
        first: &'t TaskRecord,
        tasks: usize,
        worst: Ns,
    }
    let mut found: Vec<Found<'_>> = Vec::new();
    for (lint, r, figure) in hits {
        match found
            .iter_mut()
            .find(|f| f.lint == lint && f.first.site == r.site && f.first.kind == r.kind)
        {
            Some(f) => {
                f.tasks += 1;
                f.worst = f.worst.max(figure);
            }
            None => found.push(Found {
                lint,
                first: r,
                tasks: 1,
                worst: figure,
            }),
        }
    }
    let mut out: Vec<ConsoleWarning> = found
        .into_iter()
        .map(|f| {
            let detail = match f.lint {
                "never-yielded" => format!(
                    "first poll ran {} without yielding (the console flags a first poll busy for 1 s or more)",
                    fmt_ms(f.worst)
                ),
                "self-wakes" => format!(
                    "woke itself for more than {SELF_WAKE_PERCENT}% of its wakes (up to {}%)",
                    f.worst
                ),
                _ => "alive at the end of the recording, not running, not woken and no waker left: it will never be woken (unless the recording lost its last events)".to_string(),
            };
            ConsoleWarning {
                lint: f.lint,
                site: f.first.site.clone(),
                kind: f.first.kind.clone(),
                tasks: f.tasks,
                task_id: f.first.task_id.clone(),
                detail,
            }
        })
        .collect();
    for g in &data.totals {
        let blocking = matches!(g.kind.as_str(), "blocking" | "block_on");
        if g.auto_boxed > 0 {
            out.push(ConsoleWarning {
                lint: "auto-boxed-future",
                site: g.site.clone(),
                kind: g.kind.clone(),
                tasks: g.auto_boxed as usize,
                task_id: None,
                detail: "tokio boxed the future when spawning it, for its size".into(),
            });
        }
        if g.large_futures > 0 && !blocking {
            out.push(ConsoleWarning {
                lint: "large-future",
                site: g.site.clone(),
                kind: g.kind.clone(),
                tasks: g.large_futures as usize,
                task_id: None,
                detail: format!(
                    "future of {} bytes or more (largest {} bytes)",
                    crate::model::LARGE_FUTURE_BYTES,
                    g.max_size_bytes.unwrap_or(0)
                ),
            });
        }
    }
    let order = |l: &str| {
        [
            "never-yielded",
            "self-wakes",
            "lost-waker",
            "auto-boxed-future",
            "large-future",
        ]
        .iter()
        .position(|x| *x == l)
        .unwrap_or(9)
    };
    out.sort_by(|a, b| {
        order(a.lint)
            .cmp(&order(b.lint))
            .then(b.tasks.cmp(&a.tasks))
            .then_with(|| a.site.cmp(&b.site))
    });
    out
}

fn notes(out: &ConsoleFindings, floor: Ns, threshold: Ns) -> Vec<String> {
    let mut ev = vec![
        "console recordings have no thread ids: which worker ran a poll is unknown, and workers held at once are inferred from long polls overlapping in time".to_string(),
    ];
    ev.push(if out.workers > 0 {
        format!(
            "the runtime has {} workers (one launch task each in the recording)",
            out.workers
        )
    } else {
        format!(
            "the worker count is not recorded: at least {} (most async polls seen at once)",
            out.min_workers
        )
    });
    if out.runtime_tasks > 0 {
        ev.push(format!(
            "{} runtime tasks (worker launch, block_on) are left out of groups and stall detection",
            out.runtime_tasks
        ));
    }
    if out.other_spans > 0 {
        ev.push(format!(
            "{} resources and async ops (spans never spawned) are not tasks and are left out",
            out.other_spans
        ));
    }
    if threshold < floor {
        ev.push(format!(
            "polls were kept from {} on while reading: shorter ones cannot be stalls here",
            fmt_ms(floor)
        ));
    }
    if let Some(j) = &out.join {
        let logs = j.logs.join(", ");
        ev.push(if j.requests_placed == 0 {
            format!(
                "no request of {logs} fell inside a poll of this recording: not the same run, or the clocks differ; tasks keep their own names"
            )
        } else {
            format!(
                "joined to {logs} by time: {} of {} requests ran inside task polls; {} tasks named by the endpoint they served{}",
                j.requests_placed,
                j.requests,
                j.tasks_labelled,
                if j.tasks_mixed > 0 {
                    format!(
                        ", {} served several endpoints with no clear majority and keep their own names",
                        j.tasks_mixed
                    )
                } else {
                    String::new()
                }
            )
        });
    }
    if out.victim_summary.held_idle_tasks > 0 {
        ev.push(format!(
            "{} tasks were held idle while every worker was in a long poll (a stalled runtime shows as idle time, not scheduled time)",
            out.victim_summary.held_idle_tasks
        ));
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::console::testrec::Rec;

    fn findings(rec: Rec) -> ConsoleFindings {
        let ing = rec.read().expect("reads");
        analyze(&ing.trace, &Config::default())
    }

    /// A runtime of two workers (launch tasks 1 and 2), the recording's first events.
    fn runtime() -> Rec {
        Rec::new().worker(1, 0).worker(2, 0)
    }

    /// ```text
    /// ms:     0  10                                   130
    /// A:         [═══════════ poll 120 ms ═════════════]
    /// ```
    #[test]
    fn one_long_poll_is_one_stall_holding_one_worker() {
        let f = findings(
            runtime()
                .spawn(10, 0, "task")
                .poll(10, 10, 130)
                .close(10, 131),
        );
        assert_eq!(f.workers, 2);
        assert_eq!(f.stalls.len(), 1);
        let s = &f.stalls[0];
        assert_eq!(
            (s.start_ms, s.duration_ms, s.first_poll),
            (10.0, 120.0, true)
        );
        assert_eq!(f.episodes.len(), 1);
        let ep = &f.episodes[0];
        assert_eq!(
            (ep.workers_blocked, ep.all_workers_blocked_ms),
            (1, Some(0.0))
        );
        assert_eq!(f.groups.len(), 1, "the worker launch tasks are not a group");
        assert_eq!(
            (f.groups[0].long_polls, f.groups[0].max_poll_ms),
            (1, 120.0)
        );
        assert_eq!(f.runtime_tasks, 2);
    }

    /// ```text
    /// ms:     0   10        60                 130        180 185
    /// A:          [════════ poll 120 ═══════════]
    /// B:                    [═══════════ poll 120 ═══════════]
    /// all held:             [═══════ 70 ═══════]
    /// C:       []               wake@70 ·························[]@185  delayed 115 ms
    /// D:       []@5   (timer due ~80) ··········· wake@132 []          held 72 ms
    /// ```
    #[test]
    fn two_overlapping_long_polls_hold_two_workers_and_delay_others() {
        let f = findings(
            runtime()
                .spawn(10, 0, "task")
                .spawn(11, 0, "task")
                .spawn(12, 0, "task")
                .spawn(13, 0, "task")
                .poll(12, 1, 2)
                .poll(13, 3, 5)
                .enter(10, 10)
                .enter(11, 60)
                .wake(12, 70)
                .exit(10, 130)
                .wake(13, 132)
                .poll(13, 132, 133)
                .exit(11, 180)
                .poll(12, 185, 186)
                .close(10, 190)
                .close(11, 190)
                .close(12, 190)
                .close(13, 190),
        );
        assert_eq!(f.stalls.len(), 2);
        assert_eq!(f.episodes.len(), 1);
        let ep = &f.episodes[0];
        assert_eq!(
            (ep.start_ms, ep.duration_ms, ep.long_polls),
            (10.0, 170.0, 2)
        );
        assert_eq!(ep.workers_blocked, 2);
        assert_eq!(ep.all_workers_blocked_ms, Some(70.0));
        // C: woken inside, polled 115 ms later.
        assert_eq!((ep.victims, ep.max_delay_ms), (1, 115.0));
        assert_eq!(f.victims, 1);
        // D: idle from 5, woken at 132, 2 ms after a worker came free: held from 60.
        assert_eq!((ep.held_idle, ep.max_held_idle_ms), (1, 72.0));
        assert_eq!(f.victim_summary.held_idle_tasks, 1);
        let g = &f.groups[0];
        assert_eq!(
            (g.tasks, g.long_polls, g.victims, g.max_delay_ms),
            (4, 2, 1, 115.0)
        );
        assert!(
            ep.evidence[0].contains("no thread ids"),
            "{:?}",
            ep.evidence
        );
    }

    /// A task woken before the stall began and polled late is not counted: only tasks woken
    /// (or spawned) during a stall are its victims. One spawned during it is.
    #[test]
    fn only_tasks_woken_or_spawned_during_a_stall_are_victims() {
        let f = findings(
            runtime()
                .spawn(10, 0, "task")
                .spawn(11, 0, "task")
                .poll(11, 1, 2)
                .wake(11, 9)
                .poll(10, 10, 60)
                .poll(11, 61, 62)
                .spawn(12, 30, "task")
                .poll(12, 65, 66)
                .close(10, 70)
                .close(11, 70)
                .close(12, 70),
        );
        assert_eq!(f.episodes.len(), 1);
        assert_eq!(f.victims, 1);
        assert_eq!(
            f.episodes[0].max_delay_ms, 35.0,
            "task 12, spawned at 30, first polled at 65"
        );
    }

    /// Blocking work, worker launch tasks and block_on run long by design: no stalls.
    #[test]
    fn runtime_and_blocking_tasks_are_not_stalls() {
        let f = findings(
            runtime()
                .spawn(10, 0, "block_on")
                .poll(10, 0, 500)
                .spawn(11, 0, "blocking")
                .poll(11, 1, 400)
                .close(11, 401),
        );
        assert!(f.stalls.is_empty() && f.episodes.is_empty());
        assert_eq!(f.runtime_tasks, 3);
        assert_eq!(f.groups.len(), 1);
        assert_eq!(
            (f.groups[0].kind.as_str(), f.groups[0].max_poll_ms),
            ("blocking", 399.0)
        );
    }

    /// tokio-console's lints, offline.
    #[test]
    fn consoles_warnings() {
        let named = |name: &str, size: u64, original: Option<u64>| {
            let orig = original.map_or(String::new(), |o| {
                format!(r#",{{"name":"original_size.bytes","value":{o}}}"#)
            });
            format!(
                r#"{{"name":"kind","value":"task"}},{{"name":"task.name","value":"{name}"}},{{"name":"size.bytes","value":{size}}}{orig}"#
            )
        };
        let f = findings(
            runtime()
                // never-yielded: a first poll of 1.5 s.
                .spawn_with(10, 0, &named("cruncher", 64, None))
                .poll(10, 1, 1501)
                .close(10, 1502)
                // self-wakes: 3 of 4 wakes from inside its own polls.
                .spawn_with(11, 0, &named("spinner", 64, None))
                .enter(11, 1)
                .self_wake(11, 1)
                .exit(11, 2)
                .enter(11, 3)
                .self_wake(11, 3)
                .exit(11, 4)
                .enter(11, 5)
                .self_wake(11, 5)
                .exit(11, 6)
                .wake(11, 8)
                .poll(11, 9, 10)
                .close(11, 11)
                // lost-waker: polled, not woken since, no waker left, alive at the end.
                .spawn_with(12, 0, &named("orphan", 64, None))
                .poll(12, 20, 21)
                .clone_waker(12, 21)
                .drop_waker(12, 22)
                // large-future and auto-boxed-future.
                .spawn_with(13, 0, &named("big", 4096, Some(20000)))
                .poll(13, 30, 31)
                .close(13, 32)
                // A blocking task exempt from all but auto-boxed-future.
                .spawn(14, 0, "blocking")
                .poll(14, 40, 1600)
                .close(14, 1601),
        );
        let lints: Vec<(&str, &str)> = f
            .warnings
            .iter()
            .map(|w| (w.lint, w.site.as_str()))
            .collect();
        assert_eq!(
            lints,
            vec![
                ("never-yielded", "cruncher"),
                ("self-wakes", "spinner"),
                ("lost-waker", "orphan"),
                ("auto-boxed-future", "big"),
                ("large-future", "big"),
            ]
        );
        assert!(
            f.warnings[1].detail.contains("75%"),
            "{}",
            f.warnings[1].detail
        );
    }

    /// No launch tasks: the worker count is a floor, the most async polls seen at once.
    #[test]
    fn worker_count_floor_without_launch_tasks() {
        let f = findings(
            Rec::new()
                .spawn(10, 0, "task")
                .spawn(11, 0, "task")
                .enter(10, 0)
                .enter(11, 10)
                .exit(10, 40)
                .exit(11, 50)
                .close(10, 51)
                .close(11, 51),
        );
        assert_eq!((f.workers, f.min_workers), (0, 2));
        assert_eq!(f.episodes[0].all_workers_blocked_ms, None);
        assert!(f.notes.iter().any(|n| n.contains("at least 2")));
    }

    /// A two-worker recording of async tasks 10, 11 and 13, from (event, id, ms) lines in
    /// file order; a `Wake` of task 13 is written as ("Wake", 13, ms).
    fn two_workers(events: &[(&str, u64, u64)]) -> ConsoleFindings {
        let at = |ms: u64| {
            format!(
                r#"{{"secs_since_epoch":1795000000,"nanos_since_epoch":{}}}"#,
                ms * 1_000_000
            )
        };
        let launch = r#"[{"name":"kind","value":"blocking"},{"name":"fn","value":"tokio::runtime::scheduler::multi_thread::worker::Launch::launch::{{closure}}"}]"#;
        let task = r#"[{"name":"kind","value":"task"}]"#;
        let mut lines = vec![r#"{"v":1}"#.to_string()];
        for (id, fields) in [(1, launch), (2, launch), (10, task), (11, task), (13, task)] {
            lines.push(format!(
                r#"{{"Spawn":{{"id":{id},"at":{},"fields":{fields}}}}}"#,
                at(0)
            ));
        }
        lines.push(format!(r#"{{"Enter":{{"id":1,"at":{}}}}}"#, at(0)));
        lines.push(format!(r#"{{"Enter":{{"id":2,"at":{}}}}}"#, at(0)));
        for &(kind, id, ms) in events {
            lines.push(if kind == "Wake" {
                format!(
                    r#"{{"Waker":{{"id":{id},"at":{},"op":{{"Wake":{{"self_wake":false}}}}}}}}"#,
                    at(ms)
                )
            } else {
                format!(r#"{{"{kind}":{{"id":{id},"at":{}}}}}"#, at(ms))
            });
        }
        let text = lines.join("\n");
        let ing =
            crate::ingest::ingest_bytes("b.jsonl", text.as_bytes(), false, &Config::default())
                .expect("reads");
        analyze(&ing.trace, &Config::default())
    }

    /// Both workers in long polls from 60 to 130 ms; task 13, idle since 5 ms, is woken at
    /// 135 ms, exactly [`HELD_IDLE_SLACK`] after they came free: held idle 130 - 60 + 5 = 75 ms.
    /// (Found by scripts/check-samples.py's independent implementation: the reader used to
    /// miss a window ending exactly 5 ms before the wake.)
    #[test]
    fn a_wake_exactly_the_slack_after_all_workers_came_free_was_held() {
        let f = two_workers(&[
            ("Enter", 13, 3),
            ("Exit", 13, 5),
            ("Enter", 10, 10),
            ("Enter", 11, 60),
            ("Exit", 10, 130),
            ("Wake", 13, 135),
            ("Enter", 13, 136),
            ("Exit", 13, 137),
            ("Exit", 11, 180),
            ("Close", 10, 190),
            ("Close", 11, 190),
            ("Close", 13, 190),
        ]);
        assert_eq!(f.workers, 2);
        assert_eq!(f.victim_summary.held_idle_tasks, 1);
        assert_eq!(f.victim_summary.max_held_idle_ms, 75.0);
    }

    /// The same, with task 10's Exit at 130 written after task 13's wake at 132: several
    /// threads feed the recorder, and a sender blocked on its full channel writes late. The
    /// wake still came 2 ms after both workers were free again: held 130 - 60 + 2 = 72 ms.
    #[test]
    fn a_long_poll_whose_exit_is_written_late_still_holds_the_idle() {
        let f = two_workers(&[
            ("Enter", 13, 3),
            ("Exit", 13, 5),
            ("Enter", 10, 10),
            ("Enter", 11, 60),
            ("Wake", 13, 132),
            ("Exit", 10, 130),
            ("Enter", 13, 133),
            ("Exit", 13, 134),
            ("Exit", 11, 180),
            ("Close", 10, 190),
            ("Close", 11, 190),
            ("Close", 13, 190),
        ]);
        assert_eq!(f.victim_summary.held_idle_tasks, 1);
        assert_eq!(f.victim_summary.max_held_idle_ms, 72.0);
    }
}
