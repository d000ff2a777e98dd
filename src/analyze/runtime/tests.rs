//! Runtime-task analysis tests.

use super::*;
use crate::ingest::console::testrec::Rec;

fn findings(rec: Rec) -> RuntimeFindings {
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
fn two_workers(events: &[(&str, u64, u64)]) -> RuntimeFindings {
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
    let ing = crate::ingest::ingest_bytes("b.jsonl", text.as_bytes(), false, &Config::default())
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

/// A reader without a caller's say keeps what a default configuration needs.
#[test]
fn default_retention_is_the_default_configs() {
    assert_eq!(retention(&Config::default()), Retention::default());
}
