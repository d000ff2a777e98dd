//! tokio-console's own warnings, reproduced offline.

use crate::model::{Ns, TaskRecord, Trace};

/// tokio-console's `large-future` threshold (its default `--warn` setting): futures of this many
/// bytes or more.
pub const LARGE_FUTURE_BYTES: u64 = 1024;

/// tokio-console's `never-yielded` threshold (its default): a first poll running this long.
pub const NEVER_YIELDED: Ns = 1_000_000_000;

/// tokio-console's `self-wakes` threshold (its default): self-wakes over this percentage of all
/// wakes (compared as a whole percentage, rounded down, as the console does).
pub const SELF_WAKE_PERCENT: u64 = 50;

/// One of tokio-console's lints, with the figure that made it fire (the worst of its group).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lint {
    /// A first poll ran [`NEVER_YIELDED`] or more: the longest.
    NeverYielded { first_poll: Ns },
    /// Self-wakes over [`SELF_WAKE_PERCENT`] of wakes: the highest whole percentage.
    SelfWakes { percent: u64 },
    /// Alive at the end, not running, not woken, no waker left.
    LostWaker,
    /// tokio boxed the future when spawning it, for its size.
    AutoBoxedFuture,
    /// A future of [`LARGE_FUTURE_BYTES`] or more: the largest.
    LargeFuture { largest: u64 },
}

impl Lint {
    /// The order the console lists its lints in.
    fn rank(&self) -> u8 {
        match self {
            Lint::NeverYielded { .. } => 0,
            Lint::SelfWakes { .. } => 1,
            Lint::LostWaker => 2,
            Lint::AutoBoxedFuture => 3,
            Lint::LargeFuture { .. } => 4,
        }
    }
}

/// One of tokio-console's warnings, for the tasks of one group.
#[derive(Debug, Clone)]
pub struct ConsoleWarning {
    pub lint: Lint,
    pub site: String,
    pub kind: String,
    /// Tasks of the group it fires for.
    pub tasks: usize,
    /// One of them, by tokio's task id.
    pub task_id: Option<String>,
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
pub(super) fn warnings(trace: &Trace) -> Vec<ConsoleWarning> {
    let data = &trace.tasks;
    let mut hits: Vec<(Lint, &TaskRecord)> = Vec::new();
    for r in data.records.iter().filter(|r| !r.is_blocking()) {
        let first = r.first_poll_duration.unwrap_or(0);
        if first >= NEVER_YIELDED {
            hits.push((Lint::NeverYielded { first_poll: first }, r));
        }
        if r.self_wake_percent() > SELF_WAKE_PERCENT {
            let percent = r.self_wake_percent();
            hits.push((Lint::SelfWakes { percent }, r));
        }
        let awakened = r.polls == 0 || r.woken;
        if r.closed.is_none() && r.waker_count() == 0 && !r.running && !awakened {
            hits.push((Lint::LostWaker, r));
        }
    }
    // Per (lint, site, kind): tasks, the first task's id, the worst figure.
    struct Found<'t> {
        lint: Lint,
        first: &'t TaskRecord,
        tasks: usize,
    }
    let mut found: Vec<Found<'_>> = Vec::new();
    for (lint, r) in hits {
        match found.iter_mut().find(|f| {
            f.lint.rank() == lint.rank() && f.first.site == r.site && f.first.kind == r.kind
        }) {
            Some(f) => {
                f.tasks += 1;
                f.lint = f.lint.max(lint);
            }
            None => found.push(Found {
                lint,
                first: r,
                tasks: 1,
            }),
        }
    }
    let mut out: Vec<ConsoleWarning> = found
        .into_iter()
        .map(|f| ConsoleWarning {
            lint: f.lint,
            site: f.first.site.clone(),
            kind: f.first.kind.clone(),
            tasks: f.tasks,
            task_id: f.first.task_id.clone(),
        })
        .collect();
    for g in &data.totals {
        let blocking = matches!(g.kind.as_str(), "blocking" | "block_on");
        if g.auto_boxed > 0 {
            out.push(ConsoleWarning {
                lint: Lint::AutoBoxedFuture,
                site: g.site.clone(),
                kind: g.kind.clone(),
                tasks: g.auto_boxed as usize,
                task_id: None,
            });
        }
        if g.large_futures > 0 && !blocking {
            out.push(ConsoleWarning {
                lint: Lint::LargeFuture {
                    largest: g.max_size_bytes.unwrap_or(0),
                },
                site: g.site.clone(),
                kind: g.kind.clone(),
                tasks: g.large_futures as usize,
                task_id: None,
            });
        }
    }
    out.sort_by(|a, b| {
        a.lint
            .rank()
            .cmp(&b.lint.rank())
            .then(b.tasks.cmp(&a.tasks))
            .then_with(|| a.site.cmp(&b.site))
    });
    out
}
