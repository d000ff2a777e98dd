//! Runtime-task analysis tests, on tasks as the reader records them ([`TaskRecord`]s and their
//! groups), written as timelines. What the reader keeps from a recording is tested in
//! `ingest::console`.

use super::*;
use crate::analyze::{Pattern, StallSource, Unit, Verdict};
use crate::model::{TaskData, TaskRecord};

const MS: Ns = 1_000_000;

/// Tasks of one recording, added as they closed.
struct Tasks(TaskData);

impl Tasks {
    fn new() -> Self {
        Tasks(TaskData::new(Retention::default()))
    }

    /// A runtime of `n` workers: their launch tasks, alive throughout.
    fn workers(mut self, n: u64) -> Self {
        for id in 1..=n {
            let rec = TaskRecord {
                span_id: id,
                kind: "blocking".into(),
                role: TaskRole::Worker,
                site: "launch".into(),
                polls: 1,
                running: true,
                ..TaskRecord::default()
            };
            self = self.add(rec);
        }
        self
    }

    fn add(mut self, rec: TaskRecord) -> Self {
        let group = self.0.group(rec.site.clone(), &rec.kind.clone(), rec.role);
        self.0.add(rec, group);
        self
    }

    /// Most async polls seen at once, when no worker launch task is recorded.
    fn max_concurrent(mut self, n: usize) -> Self {
        self.0.max_concurrent_polls = n;
        self
    }

    fn findings(self) -> RuntimeFindings {
        let mut data = self.0;
        data.seal();
        let trace = Trace {
            tasks: data,
            ..Trace::default()
        };
        analyze(&trace, &Config::default())
    }
}

/// An async task of `site`, spawned at 0 and closed at 190 ms, with `polls` (ms), those of
/// 10 ms or more kept as long polls.
fn task(id: u64, site: &str, polls: &[(Ns, Ns)]) -> TaskRecord {
    let polls: Vec<(Ns, Ns)> = polls.iter().map(|&(s, e)| (s * MS, e * MS)).collect();
    TaskRecord {
        span_id: id,
        kind: "task".into(),
        site: site.into(),
        closed: Some(190 * MS),
        polls: polls.len() as u64,
        busy: polls.iter().map(|p| p.1 - p.0).sum(),
        max_poll: polls.iter().map(|p| p.1 - p.0).max().unwrap_or(0),
        first_poll: polls.first().map(|p| p.0),
        first_poll_duration: polls.first().map(|p| p.1 - p.0),
        long_polls: polls
            .iter()
            .copied()
            .filter(|p| p.1 - p.0 >= 10 * MS)
            .collect(),
        ..TaskRecord::default()
    }
}

/// ```text
/// ms:     0  10                                   130
/// A:         [═══════════ poll 120 ms ═════════════]
/// ```
#[test]
fn one_long_poll_is_one_stall_holding_one_worker() {
    let f = Tasks::new()
        .workers(2)
        .add(task(10, "task", &[(10, 130)]))
        .findings();
    assert_eq!(f.workers, 2);
    assert_eq!(f.stalls.len(), 1);
    let s = &f.stalls[0];
    assert_eq!(
        (s.start, s.end, s.source.clone()),
        (10 * MS, 130 * MS, StallSource::TaskPoll)
    );
    assert_eq!(f.episodes.len(), 1);
    let ep = &f.episodes[0];
    assert_eq!((ep.max_at_once, ep.workers, ep.all_held), (1, 2, 0));
    assert_eq!(f.groups.len(), 1, "the worker launch tasks are not a group");
    assert_eq!(
        (f.groups[0].long_polls, f.groups[0].max_poll),
        (1, 120 * MS)
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
    let c = TaskRecord {
        delays: vec![(70 * MS, 185 * MS)],
        ..task(12, "task", &[(1, 2), (185, 186)])
    };
    let d = TaskRecord {
        idle_gaps: vec![(5 * MS, 132 * MS)],
        ..task(13, "task", &[(3, 5), (132, 133)])
    };
    let f = Tasks::new()
        .workers(2)
        .add(task(10, "task", &[(10, 130)]))
        .add(task(11, "task", &[(60, 180)]))
        .add(c)
        .add(d)
        .findings();
    assert_eq!(f.stalls.len(), 2);
    assert_eq!(f.episodes.len(), 1);
    let ep = &f.episodes[0];
    assert_eq!((ep.start, ep.end, ep.stalls), (10 * MS, 180 * MS, 2));
    assert_eq!((ep.max_at_once, ep.all_held), (2, 70 * MS));
    assert_eq!(ep.unit, Unit::Tasks);
    // C: woken inside, polled 115 ms later.
    assert_eq!((ep.delayed, ep.max_delay), (1, 115 * MS));
    assert_eq!(f.victims, 1);
    // D: idle from 5, woken at 132, 2 ms after a worker came free: held from 60.
    assert_eq!((ep.held_idle, ep.max_held_idle), (1, 72 * MS));
    assert_eq!(f.victim_summary.held_idle_tasks, 1);
    let g = &f.groups[0];
    assert_eq!(
        (g.tasks, g.long_polls, g.victims, g.max_delay),
        (4, 2, 1, 115 * MS)
    );
    assert_eq!(f.notes[0], RuntimeNote::NoThreadIds);
    assert!(f.notes.contains(&RuntimeNote::HeldIdle(1)));
}

/// A task woken before the stall began and polled late is not counted: only tasks woken
/// (or spawned) during a stall are its victims. One spawned during it is.
#[test]
fn only_tasks_woken_or_spawned_during_a_stall_are_victims() {
    let early = TaskRecord {
        delays: vec![(9 * MS, 61 * MS)],
        ..task(11, "task", &[(1, 2), (61, 62)])
    };
    let spawned = TaskRecord {
        spawned: 30 * MS,
        delays: vec![(30 * MS, 65 * MS)],
        ..task(12, "task", &[(65, 66)])
    };
    let f = Tasks::new()
        .workers(2)
        .add(task(10, "task", &[(10, 60)]))
        .add(early)
        .add(spawned)
        .findings();
    assert_eq!(f.episodes.len(), 1);
    assert_eq!(f.victims, 1);
    assert_eq!(
        f.episodes[0].max_delay,
        35 * MS,
        "task 12, spawned at 30, first polled at 65"
    );
}

/// Blocking work, worker launch tasks and block_on run long by design: no stalls.
#[test]
fn runtime_and_blocking_tasks_are_not_stalls() {
    let block_on = TaskRecord {
        kind: "block_on".into(),
        role: TaskRole::BlockOn,
        site: "block_on".into(),
        closed: None,
        running: true,
        ..task(10, "block_on", &[(0, 500)])
    };
    let blocking = TaskRecord {
        kind: "blocking".into(),
        ..task(11, "export", &[(1, 400)])
    };
    let f = Tasks::new()
        .workers(2)
        .add(block_on)
        .add(blocking)
        .findings();
    assert!(f.stalls.is_empty() && f.episodes.is_empty());
    assert_eq!(f.runtime_tasks, 3);
    assert_eq!(f.groups.len(), 1);
    assert_eq!(
        (f.groups[0].kind.as_str(), f.groups[0].max_poll),
        ("blocking", 399 * MS)
    );
}

/// tokio-console's lints, offline.
#[test]
fn consoles_warnings() {
    let named = |id: u64, name: &str, polls: &[(Ns, Ns)]| TaskRecord {
        name: Some(name.into()),
        size_bytes: Some(64),
        ..task(id, name, polls)
    };
    let f = Tasks::new()
        .workers(2)
        // never-yielded: a first poll of 1.5 s.
        .add(named(10, "cruncher", &[(1, 1501)]))
        // self-wakes: 3 of 4 wakes from inside its own polls.
        .add(TaskRecord {
            wakes: 4,
            self_wakes: 3,
            ..named(11, "spinner", &[(1, 2), (3, 4), (5, 6), (9, 10)])
        })
        // lost-waker: polled, not woken since, no waker left, alive at the end.
        .add(TaskRecord {
            closed: None,
            waker_clones: 1,
            waker_drops: 1,
            ..named(12, "orphan", &[(20, 21)])
        })
        // large-future and auto-boxed-future.
        .add(TaskRecord {
            size_bytes: Some(4096),
            original_size_bytes: Some(20000),
            ..named(13, "big", &[(30, 31)])
        })
        // A blocking task exempt from all but auto-boxed-future.
        .add(TaskRecord {
            kind: "blocking".into(),
            size_bytes: Some(4096),
            ..task(14, "blocking", &[(40, 1600)])
        })
        .findings();
    let lints: Vec<(Lint, &str)> = f
        .warnings
        .iter()
        .map(|w| (w.lint, w.site.as_str()))
        .collect();
    assert_eq!(
        lints,
        vec![
            (
                Lint::NeverYielded {
                    first_poll: 1500 * MS
                },
                "cruncher"
            ),
            (Lint::SelfWakes { percent: 75 }, "spinner"),
            (Lint::LostWaker, "orphan"),
            (Lint::AutoBoxedFuture, "big"),
            (Lint::LargeFuture { largest: 4096 }, "big"),
        ]
    );
}

/// No launch tasks: the worker count is a floor, the most async polls seen at once, and
/// the time all were held is not known.
#[test]
fn worker_count_floor_without_launch_tasks() {
    let f = Tasks::new()
        .max_concurrent(2)
        .add(task(10, "task", &[(0, 40)]))
        .add(task(11, "task", &[(10, 50)]))
        .findings();
    assert_eq!((f.workers, f.min_workers), (0, 2));
    let ep = &f.episodes[0];
    assert_eq!((ep.max_at_once, ep.workers, ep.all_held), (2, 0, 0));
    assert!(f.notes.contains(&RuntimeNote::WorkersAtLeast(2)));
}

/// Both workers in long polls from 60 to 130 ms; task 13, idle since 5 ms, is woken at
/// 135 ms, exactly [`HELD_IDLE_SLACK`] after they came free: held idle 130 - 60 + 5 = 75 ms.
/// At 136 ms it would be too late to blame them.
#[test]
fn a_wake_exactly_the_slack_after_all_workers_came_free_was_held() {
    for (wake, held) in [(135, Some(75)), (136, None)] {
        let idle = TaskRecord {
            idle_gaps: vec![(5 * MS, wake * MS)],
            ..task(13, "task", &[(3, 5), (wake + 1, wake + 2)])
        };
        let f = Tasks::new()
            .workers(2)
            .add(task(10, "task", &[(10, 130)]))
            .add(task(11, "task", &[(60, 180)]))
            .add(idle)
            .findings();
        assert_eq!(
            f.victim_summary.held_idle_tasks,
            usize::from(held.is_some()),
            "wake at {wake}"
        );
        if let Some(h) = held {
            assert_eq!(f.episodes[0].max_held_idle, h * MS);
        }
    }
}

/// A group with long polls is async-cpu and bad; blocking tasks are unknown until a log of
/// the same run says what their work is; async tasks with short polls make a row only when
/// joined to an endpoint.
#[test]
fn rows_from_groups() {
    let blocking = TaskRecord {
        kind: "blocking".into(),
        ..task(12, "export", &[(1, 50)])
    };
    let f = Tasks::new()
        .workers(2)
        .add(task(10, "cruncher", &[(10, 130)]))
        .add(task(11, "idle", &[(1, 2)]))
        .add(blocking)
        .findings();
    let rows: Vec<(String, Pattern, Verdict, Option<RuntimeRow>)> =
        verdicts(&f, Config::default().stall_threshold())
            .iter()
            .map(|j| {
                (
                    j.subject.clone(),
                    j.pattern,
                    j.verdict,
                    j.runtime().map(|r| r.row),
                )
            })
            .collect();

    assert_eq!(
        rows,
        vec![
            (
                "cruncher".to_string(),
                Pattern::AsyncCpu,
                Verdict::Bad,
                Some(RuntimeRow::CpuHeavyPolls { workers_at_once: 1 })
            ),
            (
                "export".to_string(),
                Pattern::Unknown,
                Verdict::Unknown,
                Some(RuntimeRow::Blocking)
            ),
        ]
    );
}

/// A live capture's snapshot: the last poll, 12 ms, is a stall as it was; the three polls
/// before it averaged 15 ms, so one lasted at least that long: placed just before the last.
/// Another snapshot's polls averaged under the threshold: nothing.
///
/// ```text
/// ms:       85        100  112
/// inferred  [═ 15 ═══]
/// last                [═ 12 ═]
/// ```
#[test]
fn capture_snapshots_give_the_last_poll_and_one_at_the_mean_of_the_others() {
    use crate::model::SnapshotPolls;
    let rec = TaskRecord {
        snapshot_polls: vec![
            SnapshotPolls {
                last: (100 * MS, 112 * MS),
                others: 3,
                others_busy: 45 * MS,
            },
            SnapshotPolls {
                last: (150 * MS, 151 * MS),
                others: 10,
                others_busy: 20 * MS,
            },
        ]
        .into(),
        ..task(10, "capture", &[])
    };
    let f = Tasks::new().workers(2).add(rec).findings();
    let stalls: Vec<(Ns, Ns)> = f.stalls.iter().map(|s| (s.start, s.end)).collect();
    assert_eq!(stalls, vec![(85 * MS, 100 * MS), (100 * MS, 112 * MS)]);
    assert_eq!(f.episodes.len(), 1, "touching polls are one episode");
}

/// A reader without a caller's say keeps what a default configuration needs.
#[test]
fn default_retention_is_the_default_configs() {
    assert_eq!(retention(&Config::default()), Retention::default());
}
