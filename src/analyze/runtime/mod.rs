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

mod episodes;
mod groups;
mod lints;
#[cfg(test)]
mod tests;
mod verdicts;
mod victims;

pub use lints::{ConsoleWarning, LARGE_FUTURE_BYTES, Lint, NEVER_YIELDED, SELF_WAKE_PERCENT};
pub use verdicts::{JoinedFrom, RuntimeJudgement, RuntimeRow, Settled, verdicts};
pub use victims::HELD_IDLE_SLACK;

use super::{Episode, Stall, Victim};
use crate::config::Config;
use crate::model::{JoinSummary, Ns, Retention, TaskRole, Trace};
use episodes::{episodes, long_polls};
use groups::groups;
use lints::warnings;
use std::collections::HashMap;
use victims::attribute_victims;

/// Delays shorter than this are not a victim's (the reader keeps none shorter either).
const MIN_DELAY: Ns = 1_000_000;

/// What a reader of runtime tasks must keep one by one for this analysis under `cfg`: polls
/// from the stall threshold on, waits and idle stretches of 1 ms (`MIN_DELAY`, or the threshold,
/// if lower) around them, idle stretches woken within [`HELD_IDLE_SLACK`] of one's end, and
/// tasks the lints may flag.
pub fn retention(cfg: &Config) -> Retention {
    let floor = cfg.stall_threshold().max(1);
    Retention {
        floor,
        min_wait: MIN_DELAY.min(floor),
        wake_window: HELD_IDLE_SLACK,
        self_wake_percent: SELF_WAKE_PERCENT,
        first_poll: NEVER_YIELDED,
        large_future_bytes: LARGE_FUTURE_BYTES,
        every_poll: false,
    }
}

/// Tasks grouped by what identifies their code (see
/// [`TaskTotals::site`](crate::model::TaskTotals::site)), summed over every task of the group.
#[derive(Debug, Clone)]
pub struct TaskGroup {
    pub site: String,
    /// `site` is the endpoint these tasks served, joined from a log of the same run.
    pub joined_endpoint: bool,
    pub kind: String,
    pub tasks: usize,
    /// Tasks whose close was recorded (the others were alive at the end).
    pub completed: u64,
    pub polls: u64,
    pub busy: Ns,
    /// tokio-console's scheduled time: waits from wake to poll.
    pub scheduled: Ns,
    /// Lifetime not busy and not scheduled: awaiting something.
    pub idle: Ns,
    pub max_poll: Ns,
    /// Longest wait from spawn to first poll.
    pub max_first_poll_delay: Ns,
    pub wakes: u64,
    pub self_wakes: u64,
    /// Polls at or over the stall threshold (async tasks only).
    pub long_polls: usize,
    /// Other tasks delayed while this group's long polls ran.
    pub victims: usize,
    pub max_delay: Ns,
    /// Those victims by their own group's site (an endpoint when joined to a log), most first.
    pub victim_sites: Vec<(String, usize)>,
    /// This group's own tasks that any group's long polls delayed, and the longest delay.
    pub delayed_here: usize,
    pub max_delay_here: Ns,
    /// This group's own tasks held idle while every worker was in a long poll, and the longest.
    pub held_idle_here: usize,
    pub max_held_idle_here: Ns,
}

/// Victims of all episodes.
#[derive(Debug, Clone, Default)]
pub struct Victims {
    /// Distinct tasks woken or spawned during an episode that waited 1 ms or more for a poll.
    pub delayed_tasks: usize,
    /// The longest wait of each (task, episode) pair: a task delayed in two episodes counts
    /// twice.
    pub delays: Vec<Ns>,
    pub max_delay: Ns,
    /// Distinct tasks held idle while every worker was in a long poll.
    pub held_idle_tasks: usize,
    /// (task, episode) pairs held idle.
    pub held_idle: usize,
    pub max_held_idle: Ns,
}

/// What the runtime-task figures rest on and what they cannot tell; `report` words each one.
#[derive(Debug, Clone, PartialEq)]
pub enum RuntimeNote {
    /// No thread ids: workers held at once are inferred from overlapping long polls.
    NoThreadIds,
    /// The worker count, from the worker launch tasks.
    Workers(usize),
    /// The worker count is not recorded: at least this many (most async polls at once).
    WorkersAtLeast(usize),
    /// Worker launch and `block_on` tasks left out of groups and stall detection.
    RuntimeTasksLeftOut(u64),
    /// Resources and async ops (spans never spawned) left out.
    OtherSpansLeftOut(u64),
    /// Polls were kept from this length on while reading, over the stall threshold.
    PollsKeptFrom(Ns),
    /// How the tasks were joined to logs of the same run.
    Joined(JoinSummary),
    /// Tasks held idle while every worker was in a long poll.
    HeldIdle(usize),
}

#[derive(Debug, Clone, Default)]
pub struct RuntimeFindings {
    /// Application tasks by group, most long polls first.
    pub groups: Vec<TaskGroup>,
    /// Long polls ([`StallSource::TaskPoll`](crate::analyze::StallSource::TaskPoll)), by start.
    pub stalls: Vec<Stall>,
    pub episodes: Vec<Episode>,
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
    pub notes: Vec<RuntimeNote>,
    /// The join with logs of the same run, when they were given.
    pub join: Option<JoinSummary>,
}

impl RuntimeFindings {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

pub fn analyze(trace: &Trace, cfg: &Config) -> RuntimeFindings {
    let data = &trace.tasks;
    let mut out = RuntimeFindings::default();
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

    let (stalls, stall_tasks) = long_polls(records, threshold);
    let (mut episodes, mut sweeps) = episodes(&stalls, workers, out.workers);
    attribute_victims(records, &stalls, &stall_tasks, &mut episodes, &mut sweeps);

    // Victims overall: a task once, with its longest delay / hold.
    let mut delayed: HashMap<usize, Ns> = HashMap::new();
    let mut held: HashMap<usize, Ns> = HashMap::new();
    for sw in &sweeps {
        for (t, d) in sw.of(Victim::WaitedForWorker) {
            let v = delayed.entry(t).or_default();
            *v = (*v).max(d);
            out.victim_summary.delays.push(d);
        }
        for (t, h) in sw.of(Victim::HeldIdle) {
            let v = held.entry(t).or_default();
            *v = (*v).max(h);
            out.victim_summary.held_idle += 1;
        }
    }
    out.victim_summary.delayed_tasks = delayed.len();
    out.victim_summary.max_delay = delayed.values().copied().max().unwrap_or(0);
    out.victim_summary.held_idle_tasks = held.len();
    out.victim_summary.max_held_idle = held.values().copied().max().unwrap_or(0);
    out.victims = delayed.len();

    out.groups = groups(trace, &stalls, &stall_tasks, &episodes, &sweeps);
    out.stalls = stalls;
    out.episodes = episodes;
    out.warnings = warnings(trace);
    out.notes = notes(&out, data.retention.floor, threshold);
    out
}

fn notes(out: &RuntimeFindings, floor: Ns, threshold: Ns) -> Vec<RuntimeNote> {
    let mut notes = vec![
        RuntimeNote::NoThreadIds,
        if out.workers > 0 {
            RuntimeNote::Workers(out.workers)
        } else {
            RuntimeNote::WorkersAtLeast(out.min_workers)
        },
    ];
    if out.runtime_tasks > 0 {
        notes.push(RuntimeNote::RuntimeTasksLeftOut(out.runtime_tasks));
    }
    if out.other_spans > 0 {
        notes.push(RuntimeNote::OtherSpansLeftOut(out.other_spans));
    }
    if threshold < floor {
        notes.push(RuntimeNote::PollsKeptFrom(floor));
    }
    if let Some(j) = &out.join {
        notes.push(RuntimeNote::Joined(j.clone()));
    }
    if out.victim_summary.held_idle_tasks > 0 {
        notes.push(RuntimeNote::HeldIdle(out.victim_summary.held_idle_tasks));
    }
    notes
}
