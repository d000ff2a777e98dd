//! Detectors for runtime task records (tokio-console recordings): long polls as event-loop
//! stalls, how many workers they blocked at once, the tasks that waited for them, and
//! tokio-console's own warnings, reproduced offline.
//!
//! The recording has no thread ids. A poll of a `kind=task` task at or over the stall threshold
//! held whichever worker ran it; long polls that overlap in time held that many workers at once:
//!
//! ```text
//! task A:  [──── long poll ────]
//! task B:        [──── long poll ────]      2 workers blocked at once here
//! task C:     woken ·········· polled       waited for a worker: a victim
//! ```
//!
//! Victims: tasks with a scheduling delay (wake to poll) of 1 ms or more that overlapped a stall
//! episode, counted once per task with their longest such delay. A fully stalled runtime also
//! shows up as longer idle time (timers and sockets are not even processed), which this
//! per-delay view does not count; the notes say so.

use super::requests::merge;
use super::{fmt_ms, ms};
use crate::config::Config;
use crate::model::{Ns, TaskRecord, Trace};
use serde::Serialize;

/// tokio-console's `never-yielded` threshold: a first poll of 1 s or more.
const NEVER_YIELDED: Ns = 1_000_000_000;

/// Tasks grouped by what identifies their code.
#[derive(Debug, Clone, Serialize)]
pub struct TaskGroup {
    pub site: String,
    pub kind: String,
    pub tasks: usize,
    pub polls: u64,
    pub busy_ms: f64,
    pub scheduled_ms: f64,
    pub max_poll_ms: f64,
    pub long_polls: usize,
    /// Other tasks that waited for a worker while this group's long polls ran.
    pub victims: usize,
    pub max_delay_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskStall {
    pub site: String,
    pub start_ms: f64,
    pub duration_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskEpisode {
    pub start_ms: f64,
    pub duration_ms: f64,
    pub long_polls: usize,
    /// Most long polls in progress at once: workers blocked at once (no thread ids: inferred).
    pub workers_blocked: usize,
    pub victims: usize,
    pub max_delay_ms: f64,
}

/// One of tokio-console's warnings, for one task.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleWarning {
    pub lint: &'static str,
    pub site: String,
    pub task_id: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct ConsoleFindings {
    pub groups: Vec<TaskGroup>,
    pub stalls: Vec<TaskStall>,
    pub episodes: Vec<TaskEpisode>,
    pub warnings: Vec<ConsoleWarning>,
    pub victims: usize,
    /// Worker threads, from tokio's worker-launch tasks in the recording (0 when absent).
    pub workers: usize,
    pub notes: Vec<String>,
}

impl ConsoleFindings {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

fn site(t: &TaskRecord) -> String {
    t.site.clone().unwrap_or_else(|| t.name.clone())
}

pub fn analyze(trace: &Trace, cfg: &Config) -> ConsoleFindings {
    let mut out = ConsoleFindings::default();
    if trace.tasks.is_empty() {
        return out;
    }
    let threshold = cfg.stall_threshold();
    out.workers = trace
        .tasks
        .iter()
        .filter(|t| {
            t.runtime_internal
                && t.site
                    .as_deref()
                    .is_some_and(|s| s.contains("Launch::launch"))
        })
        .count();
    // Long polls of async tasks (blocking tasks are expected to run long; runtime machinery is
    // excluded).
    let mut stalls: Vec<(Ns, Ns, usize)> = Vec::new();
    for (i, t) in trace.tasks.iter().enumerate() {
        if t.kind != "task" || t.runtime_internal {
            continue;
        }
        for &(s, e) in &t.long_polls {
            if e - s >= threshold {
                stalls.push((s, e, i));
            }
        }
    }
    stalls.sort_unstable();
    let windows = merge(stalls.iter().map(|s| (s.0, s.1)).collect());
    // Victims: tasks whose wake-to-poll delay overlapped an episode (not the culprit's own).
    let mut victim_delay: Vec<Option<Ns>> = vec![None; trace.tasks.len()];
    let mut per_episode: Vec<(usize, Ns)> = vec![(0, 0); windows.len()];
    let culprits: Vec<bool> = (0..trace.tasks.len())
        .map(|i| stalls.iter().any(|s| s.2 == i))
        .collect();
    for (i, t) in trace.tasks.iter().enumerate() {
        if t.runtime_internal || culprits[i] {
            continue;
        }
        let mut hit_episodes: Vec<usize> = Vec::new();
        for &(w, p) in &t.delays {
            let first = windows.partition_point(|win| win.1 <= w);
            for (k, win) in windows.iter().enumerate().skip(first) {
                if win.0 >= p {
                    break;
                }
                let d = p - w;
                if victim_delay[i].is_none_or(|v| d > v) {
                    victim_delay[i] = Some(d);
                }
                per_episode[k].1 = per_episode[k].1.max(d);
                if !hit_episodes.contains(&k) {
                    hit_episodes.push(k);
                    per_episode[k].0 += 1;
                }
            }
        }
    }
    out.victims = victim_delay.iter().filter(|v| v.is_some()).count();
    for (k, &(ws, we)) in windows.iter().enumerate() {
        let inside: Vec<&(Ns, Ns, usize)> =
            stalls.iter().filter(|s| s.0 < we && s.1 > ws).collect();
        let mut points: Vec<(Ns, i32)> =
            inside.iter().flat_map(|s| [(s.0, 1), (s.1, -1)]).collect();
        points.sort_unstable();
        let (mut cur, mut max) = (0i32, 0i32);
        for (_, d) in points {
            cur += d;
            max = max.max(cur);
        }
        out.episodes.push(TaskEpisode {
            start_ms: ms(ws),
            duration_ms: ms(we - ws),
            long_polls: inside.len(),
            workers_blocked: max.max(0) as usize,
            victims: per_episode[k].0,
            max_delay_ms: ms(per_episode[k].1),
        });
    }
    if let Some(e) = out
        .episodes
        .iter()
        .find(|e| out.workers > 0 && e.workers_blocked > out.workers)
    {
        out.notes.push(format!(
            "up to {} long polls overlap although the runtime has {} workers: some task spans were entered outside a poll (for example `Span::current().in_scope(..)` inside spawn_blocking, which enters the task's span on a blocking thread), so not every long 'poll' here held a worker (first at {:.0} ms)",
            e.workers_blocked, out.workers, e.start_ms
        ));
    }
    for s in &stalls {
        out.stalls.push(TaskStall {
            site: site(&trace.tasks[s.2]),
            start_ms: ms(s.0),
            duration_ms: ms(s.1 - s.0),
        });
    }
    // Groups.
    let mut order: Vec<(String, String)> = Vec::new();
    for t in trace.tasks.iter().filter(|t| !t.runtime_internal) {
        let key = (site(t), t.kind.clone());
        if !order.contains(&key) {
            order.push(key);
        }
    }
    for (s, kind) in order {
        let members: Vec<usize> = (0..trace.tasks.len())
            .filter(|&i| {
                let t = &trace.tasks[i];
                !t.runtime_internal && site(t) == s && t.kind == kind
            })
            .collect();
        let ts: Vec<&TaskRecord> = members.iter().map(|&i| &trace.tasks[i]).collect();
        let long_polls = stalls.iter().filter(|st| members.contains(&st.2)).count();
        // Victims of this group's long polls.
        let own_windows = merge(
            stalls
                .iter()
                .filter(|st| members.contains(&st.2))
                .map(|st| (st.0, st.1))
                .collect(),
        );
        let (mut victims, mut max_delay) = (0, 0);
        for (i, t) in trace.tasks.iter().enumerate() {
            // Any task but the ones with long polls (a group can hold both: all unnamed tasks
            // share one).
            if culprits[i] || victim_delay[i].is_none() {
                continue;
            }
            let hit = t
                .delays
                .iter()
                .filter(|(w, p)| super::requests::overlap(&own_windows, *w, *p) > 0)
                .map(|(w, p)| p - w)
                .max();
            if let Some(d) = hit {
                victims += 1;
                max_delay = max_delay.max(d);
            }
        }
        out.groups.push(TaskGroup {
            site: s,
            kind,
            tasks: ts.len(),
            polls: ts.iter().map(|t| t.polls).sum(),
            busy_ms: ms(ts.iter().map(|t| t.busy).sum()),
            scheduled_ms: ms(ts.iter().map(|t| t.scheduled).sum()),
            max_poll_ms: ms(ts.iter().map(|t| t.max_poll).max().unwrap_or(0)),
            long_polls,
            victims,
            max_delay_ms: ms(max_delay),
        });
    }
    out.groups.sort_by(|a, b| {
        b.long_polls
            .cmp(&a.long_polls)
            .then(b.busy_ms.total_cmp(&a.busy_ms))
    });
    // tokio-console's warnings (blocking and block_on tasks are exempt from the first three).
    for t in &trace.tasks {
        if t.runtime_internal {
            continue;
        }
        let warn = |lint, detail: String| ConsoleWarning {
            lint,
            site: site(t),
            task_id: t.task_id.clone(),
            detail,
        };
        let exempt = t.kind == "blocking" || t.kind == "block_on";
        if !exempt && t.polls <= 1 && t.max_poll >= NEVER_YIELDED {
            out.warnings.push(warn(
                "never-yielded",
                format!("its first poll ran {} without yielding", fmt_ms(t.max_poll)),
            ));
        }
        if !exempt && t.wakes > 0 && t.self_wakes * 2 > t.wakes {
            out.warnings.push(warn(
                "self-wakes",
                format!("{} of its {} wakes were self-wakes", t.self_wakes, t.wakes),
            ));
        }
        if !exempt
            && t.closed.is_none()
            && !t.running
            && !t.woken
            && t.polls > 0
            && t.waker_clones == t.waker_drops
        {
            out.warnings.push(warn(
                "lost-waker",
                "not finished, not running, not woken, and no waker left to wake it".into(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Ns = 1_000_000;

    fn task(site: &str, polls: &[(Ns, Ns)], delays: &[(Ns, Ns)]) -> TaskRecord {
        TaskRecord {
            name: "task".into(),
            kind: "task".into(),
            site: Some(site.into()),
            polls: polls.len() as u64,
            busy: polls.iter().map(|p| p.1 - p.0).sum(),
            max_poll: polls.iter().map(|p| p.1 - p.0).max().unwrap_or(0),
            long_polls: polls.to_vec(),
            delays: delays.to_vec(),
            closed: Some(1000 * MS),
            ..TaskRecord::default()
        }
    }

    /// Two overlapping 120 ms polls block two workers; a task woken inside waits 100 ms.
    #[test]
    fn overlapping_long_polls_and_a_victim() {
        let trace = Trace {
            tasks: vec![
                task("src/report.rs:10", &[(0, 120 * MS)], &[]),
                task("src/report.rs:10", &[(50 * MS, 170 * MS)], &[]),
                task(
                    "src/orders.rs:5",
                    &[(175 * MS, 176 * MS)],
                    &[(70 * MS, 175 * MS)],
                ),
            ],
            ..Trace::default()
        };
        let f = analyze(&trace, &Config::default());
        assert_eq!(f.stalls.len(), 2);
        assert_eq!(f.episodes.len(), 1);
        assert_eq!(f.episodes[0].workers_blocked, 2);
        assert_eq!(f.episodes[0].duration_ms, 170.0);
        assert_eq!(f.victims, 1);
        let report = f
            .groups
            .iter()
            .find(|g| g.site == "src/report.rs:10")
            .expect("group");
        assert_eq!((report.tasks, report.long_polls, report.victims), (2, 2, 1));
        assert_eq!(report.max_delay_ms, 105.0);
    }

    #[test]
    fn console_warnings() {
        let mut never = task("a", &[(0, 1500 * MS)], &[]);
        never.closed = None;
        never.running = true;
        let mut selfish = task("b", &[], &[]);
        selfish.wakes = 10;
        selfish.self_wakes = 6;
        let mut lost = task("c", &[(0, MS)], &[]);
        lost.polls = 3;
        lost.closed = None;
        let trace = Trace {
            tasks: vec![never, selfish, lost],
            ..Trace::default()
        };
        let f = analyze(&trace, &Config::default());
        let lints: Vec<&str> = f.warnings.iter().map(|w| w.lint).collect();
        assert_eq!(lints, vec!["never-yielded", "self-wakes", "lost-waker"]);
    }
}
