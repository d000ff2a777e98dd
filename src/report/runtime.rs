//! The runtime-task family's rows (tokio-console recordings and captures): judgements worded
//! as table cells, evidence, advice and notes, and the family's JSON sections. Decides
//! nothing: which rows there are and what they conclude is `analyze::runtime`'s (and, for
//! joined rows, `analyze::join::settle`'s).

use super::build::{episode_out, row_victims, stall_out, verdict_base};
use super::rows::{Row, verdict_label};
use super::schema::{ConsoleWarningOut, Report, TaskGroupOut, TaskVictimsOut, VerdictOut};
use super::server;
use super::text::{fmt_duration as fmt_ms, plural, to_ms};
use crate::analyze::runtime::{
    ConsoleWarning, LARGE_FUTURE_BYTES, Lint, RuntimeJudgement, RuntimeNote, RuntimeRow,
    SELF_WAKE_PERCENT, TaskGroup,
};
use crate::analyze::{Analysis, Judgement, Unit};
use crate::config::Config;
use crate::model::{Ns, Trace};

/// What the recording cannot tell about a blocking task's work, until a log settles it.
const CANNOT_TELL: &str = "CPU or a blocking call: the recording cannot tell";

impl Report {
    /// Logs given with recordings that could not be joined to them (no wall-clock times).
    pub fn add_not_joined(&mut self, logs: &[String]) {
        for log in logs {
            self.notes.push(format!(
                "{log}: not joined to the tokio-console recordings: its times are not wall-clock times"
            ));
        }
    }

    /// The runtime-task sections of one input (its rows come with every family's, through
    /// [`verdict_out`]).
    pub(super) fn add_runtime(&mut self, path: &str, trace: &Trace, a: &Analysis) {
        let c = &a.runtime;
        if c.is_empty() {
            return;
        }
        for s in &c.stalls {
            self.stalls
                .push(stall_out(path, s, trace, super::server::Source::Tracing));
        }
        for e in &c.episodes {
            self.episodes.push(episode_out(path, e));
        }
        self.victims.delayed_tasks += c.victims as u64;
        self.victims.episodes += c.episodes.len();
        let worst = c
            .episodes
            .iter()
            .map(|e| to_ms(e.max_delay))
            .fold(0.0, f64::max);
        self.victims.max_delay_ms = self.victims.max_delay_ms.max(worst);
        self.tasks.extend(c.groups.iter().map(group_out));
        self.joins.extend(c.join.iter().cloned());
        let v = &c.victim_summary;
        self.task_victims.push(TaskVictimsOut {
            input: path.to_string(),
            delayed_tasks: v.delayed_tasks,
            delays: v.delays.len(),
            // Each pair's figure as shown, summed.
            total_delay_ms: (v.delays.iter().fold(0.0, |t, d| t + to_ms(*d)) * 100.0).round()
                / 100.0,
            max_delay_ms: to_ms(v.max_delay),
            held_idle_tasks: v.held_idle_tasks,
            held_idle: v.held_idle,
            max_held_idle_ms: to_ms(v.max_held_idle),
        });
        self.console_warnings
            .extend(c.warnings.iter().map(warning_out));
        if !c.warnings.is_empty() {
            let mut lints: Vec<&str> = c.warnings.iter().map(|w| lint_name(&w.lint)).collect();
            lints.sort_unstable();
            lints.dedup();
            let tasks: usize = c.warnings.iter().map(|w| w.tasks).sum();
            self.notes.push(format!(
                "{path}: tokio-console would warn: {} ({tasks} tasks; see console_warnings in --format json)",
                lints.join(", ")
            ));
        }
        for n in &c.notes {
            self.notes.push(format!("{path}: {}", note(n)));
        }
    }
}

/// The JSON row (with its table cells) of a runtime judgement.
pub(super) fn verdict_out(
    path: &str,
    j: &Judgement,
    r: &RuntimeJudgement,
    cfg: &Config,
) -> VerdictOut {
    let g = &r.group;
    let mut evidence = vec![format!(
        "{} tasks, {} polls, busy {:.1} ms, scheduled {:.1} ms in all (tokio-console's figures, from the recording)",
        g.tasks,
        g.polls,
        to_ms(g.busy),
        to_ms(g.scheduled)
    )];
    if let Some(joined) = &r.joined {
        evidence.push(format!(
            "the endpoint is joined from {} by time: these tasks' polls held its requests' executions (names are not compared)",
            joined.logs.join(", ")
        ));
    }
    if let Some(s) = &r.settled {
        let why = s
            .judgement
            .server()
            .and_then(|v| v.evidence.first())
            .map(server::evidence)
            .unwrap_or_default();
        evidence.push(format!(
            "what the work is comes from {}, a log of the same run: {} ({why})",
            s.log,
            j.pattern.as_str()
        ));
    }
    VerdictOut {
        max_ms: to_ms(g.max_poll),
        max_poll_ms: Some(to_ms(g.max_poll)),
        stalls: g.long_polls,
        longest_stall_ms: if g.long_polls > 0 {
            to_ms(g.max_poll)
        } else {
            0.0
        },
        victims: row_victims(Unit::Tasks, g.victims, to_ms(g.max_delay)),
        evidence,
        advice: advice(r),
        ..verdict_base(path, j, row(j, r, cfg))
    }
}

/// A duration as the JSON shows it (to 0.01 ms), for [`fmt_ms`]: the table words the
/// figure the JSON gives.
fn shown(ns: Ns) -> Ns {
    (to_ms(ns) * 1e6) as Ns
}

/// The mean poll in µs, to 0.01 µs.
fn mean_poll_us(g: &TaskGroup) -> f64 {
    if g.polls > 0 {
        ((g.busy as f64 / g.polls as f64) / 10.0).round() / 100.0
    } else {
        0.0
    }
}

fn group_out(g: &TaskGroup) -> TaskGroupOut {
    TaskGroupOut {
        site: g.site.clone(),
        joined_endpoint: g.joined_endpoint,
        kind: g.kind.clone(),
        tasks: g.tasks,
        completed: g.completed,
        polls: g.polls,
        busy_ms: to_ms(g.busy),
        scheduled_ms: to_ms(g.scheduled),
        idle_ms: to_ms(g.idle),
        max_poll_ms: to_ms(g.max_poll),
        mean_poll_us: mean_poll_us(g),
        max_first_poll_delay_ms: to_ms(g.max_first_poll_delay),
        wakes: g.wakes,
        self_wakes: g.self_wakes,
        long_polls: g.long_polls,
        victims: g.victims,
        max_delay_ms: to_ms(g.max_delay),
        victim_sites: g.victim_sites.clone(),
        delayed_here: g.delayed_here,
        max_delay_here_ms: to_ms(g.max_delay_here),
        held_idle_here: g.held_idle_here,
        max_held_idle_here_ms: to_ms(g.max_held_idle_here),
    }
}

fn row(j: &Judgement, r: &RuntimeJudgement, cfg: &Config) -> Row {
    let g = &r.group;
    let verdict = verdict_label(j.verdict).into();
    match r.row {
        RuntimeRow::CpuHeavyPolls { workers_at_once } => Row {
            pattern: format!(
                "Async task with CPU-heavy polls — {} ({} tasks)",
                g.site, g.tasks
            ),
            server_threads: format!(
                "Event loop blocked: up to {workers_at_once} workers at once (inferred from overlapping polls: recordings have no thread ids)"
            ),
            blocking_behavior: format!(
                "Blocks event loop: {} polls ≥ {}, longest {}",
                g.long_polls,
                fmt_ms(r.threshold),
                fmt_ms(shown(g.max_poll))
            ),
            response_time_impact: if g.victims > 0 {
                // One site: its name, not a count that repeats the total ("20 task").
                let sites: Vec<String> = match &g.victim_sites[..] {
                    [(s, _)] => vec![format!("all {s}")],
                    all => all
                        .iter()
                        .take(3)
                        .map(|(s, n)| format!("{n} {s}"))
                        .collect(),
                };
                format!(
                    "delayed {} ({}{}) by up to {} (woken, then waited for a worker)",
                    plural(g.victims, "other task", "other tasks"),
                    sites.join(", "),
                    if g.victim_sites.len() > 3 {
                        ", ..."
                    } else {
                        ""
                    },
                    fmt_ms(shown(g.max_delay))
                )
            } else {
                "no other task was seen waiting for a worker".into()
            },
            verdict,
        },
        RuntimeRow::ShortPolls => {
            let (busy, scheduled, idle) = (to_ms(g.busy), to_ms(g.scheduled), to_ms(g.idle));
            let life = busy + scheduled + idle;
            let mut hit = Vec::new();
            if g.delayed_here > 0 {
                hit.push(format!(
                    "{} waited for a worker behind other tasks' long polls, up to {}",
                    g.delayed_here,
                    fmt_ms(shown(g.max_delay_here))
                ));
            }
            if g.held_idle_here > 0 {
                hit.push(format!(
                    "{} held idle while every worker was blocked, up to {}",
                    g.held_idle_here,
                    fmt_ms(shown(g.max_held_idle_here))
                ));
            }
            Row {
                pattern: format!("Async tasks, short polls — {} ({} tasks)", g.site, g.tasks),
                server_threads: "Event loop with async tasks".into(),
                blocking_behavior: format!(
                    "Does not block event loop: longest poll {}, {:.0} µs on average; idle {:.0}% of their life",
                    fmt_ms(shown(g.max_poll)),
                    mean_poll_us(g),
                    if life > 0.0 { 100.0 * idle / life } else { 0.0 }
                ),
                response_time_impact: if hit.is_empty() {
                    "none waited behind a long poll".into()
                } else {
                    hit.join("; ")
                },
                verdict,
            }
        }
        RuntimeRow::Blocking => {
            let what = match r
                .settled
                .as_ref()
                .and_then(|s| s.judgement.server().map(|v| (s, v)))
            {
                Some((s, v)) => {
                    format!(
                        "per the log: {}",
                        lowercase_first(&server::row(&s.judgement, v, cfg).blocking_behavior)
                    )
                }
                None => CANNOT_TELL.to_string(),
            };
            Row {
                pattern: format!("Blocking task — {} ({} tasks)", g.site, g.tasks),
                server_threads: "1 thread per task: the blocking pool".into(),
                blocking_behavior: format!(
                    "Holds a pool thread {} per task; {what}",
                    fmt_ms(((to_ms(g.busy) / g.tasks.max(1) as f64) * 1e6) as Ns)
                ),
                response_time_impact: "does not block the event loop".into(),
                verdict,
            }
        }
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

fn advice(r: &RuntimeJudgement) -> Option<String> {
    match r.row {
        RuntimeRow::CpuHeavyPolls { .. } => Some(format!(
            "{}: its polls run {} without yielding on the event loop; move the CPU work to spawn_blocking or a rayon pool.",
            r.group.site,
            fmt_ms(shown(r.group.max_poll))
        )),
        RuntimeRow::ShortPolls | RuntimeRow::Blocking => None,
    }
}

/// tokio-console's name for a lint.
fn lint_name(l: &Lint) -> &'static str {
    match l {
        Lint::NeverYielded { .. } => "never-yielded",
        Lint::SelfWakes { .. } => "self-wakes",
        Lint::LostWaker => "lost-waker",
        Lint::AutoBoxedFuture => "auto-boxed-future",
        Lint::LargeFuture { .. } => "large-future",
    }
}

fn warning_out(w: &ConsoleWarning) -> ConsoleWarningOut {
    let detail = match w.lint {
        Lint::NeverYielded { first_poll } => format!(
            "first poll ran {} without yielding (the console flags a first poll busy for 1 s or more)",
            fmt_ms(first_poll)
        ),
        Lint::SelfWakes { percent } => format!(
            "woke itself for more than {SELF_WAKE_PERCENT}% of its wakes (up to {percent}%)"
        ),
        Lint::LostWaker => "alive at the end of the recording, not running, not woken and no waker left: it will never be woken (unless the recording lost its last events)".to_string(),
        Lint::AutoBoxedFuture => "tokio boxed the future when spawning it, for its size".into(),
        Lint::LargeFuture { largest } => format!(
            "future of {LARGE_FUTURE_BYTES} bytes or more (largest {largest} bytes)"
        ),
    };
    ConsoleWarningOut {
        lint: lint_name(&w.lint),
        site: w.site.clone(),
        kind: w.kind.clone(),
        tasks: w.tasks,
        task_id: w.task_id.clone(),
        detail,
    }
}

/// A runtime note in words.
pub(super) fn note(n: &RuntimeNote) -> String {
    match n {
        RuntimeNote::NoThreadIds => "console recordings have no thread ids: which worker ran a poll is unknown, and workers held at once are inferred from long polls overlapping in time".to_string(),
        RuntimeNote::Workers(w) => format!(
            "the runtime has {w} workers (one launch task each in the recording)"
        ),
        RuntimeNote::WorkersAtLeast(w) => format!(
            "the worker count is not recorded: at least {w} (most async polls seen at once)"
        ),
        RuntimeNote::RuntimeTasksLeftOut(n) => format!(
            "{n} runtime tasks (worker launch, block_on) are left out of groups and stall detection"
        ),
        RuntimeNote::OtherSpansLeftOut(n) => format!(
            "{n} resources and async ops (spans never spawned) are not tasks and are left out"
        ),
        RuntimeNote::PollsKeptFrom(floor) => format!(
            "polls were kept from {} on while reading: shorter ones cannot be stalls here",
            fmt_ms(*floor)
        ),
        RuntimeNote::Joined(j) => {
            let logs = j.logs.join(", ");
            if j.requests_placed == 0 {
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
            }
        }
        RuntimeNote::HeldIdle(n) => format!(
            "{n} tasks were held idle while every worker was in a long poll (a stalled runtime shows as idle time, not scheduled time)"
        ),
    }
}
