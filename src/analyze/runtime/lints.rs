//! tokio-console's own warnings, reproduced offline.

use super::ConsoleWarning;
use crate::analyze::fmt_ms;
use crate::model::{Ns, TaskRecord, Trace};

/// tokio-console's `large-future` threshold (its default `--warn` setting): futures of this many
/// bytes or more.
pub const LARGE_FUTURE_BYTES: u64 = 1024;

/// tokio-console's `never-yielded` threshold (its default): a first poll running this long.
pub const NEVER_YIELDED: Ns = 1_000_000_000;

/// tokio-console's `self-wakes` threshold (its default): self-wakes over this percentage of all
/// wakes (compared as a whole percentage, rounded down, as the console does).
pub const SELF_WAKE_PERCENT: u64 = 50;

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
pub(super) fn warnings(trace: &Trace) -> Vec<ConsoleWarning> {
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
                    LARGE_FUTURE_BYTES,
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
