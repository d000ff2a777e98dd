//! The verdict rows of runtime tasks: one [`Judgement`] per task group that has something to
//! judge, typed; `report` words them.
//!
//! * a group with long polls held workers: `async-cpu`, bad;
//! * blocking tasks hold a thread of the blocking pool each: unknown, since a recording cannot
//!   tell CPU work from a blocking call (a log of the same run can: see
//!   [`join::settle`](crate::analyze::join::settle));
//! * async tasks joined to an endpoint, with short polls only, and not just awaiting that
//!   endpoint's blocking tasks (whose row judges it): unknown, unless a log settles them;
//! * any other group is not a row.

use super::{RuntimeFindings, TaskGroup};
use crate::analyze::{Detail, Judgement, Pattern, Unit, Verdict};
use crate::model::Ns;

/// Which row a group makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeRow {
    /// Async tasks with polls at or over the stall threshold: the event loop was blocked, up
    /// to `workers_at_once` workers at once (inferred from overlapping polls).
    CpuHeavyPolls { workers_at_once: usize },
    /// Async tasks joined to an endpoint, with short polls only.
    ShortPolls,
    /// Blocking tasks (`spawn_blocking`): one pool thread per task.
    Blocking,
}

/// Where a row's endpoint came from: a join with logs of the same run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedFrom {
    pub logs: Vec<String>,
    /// Blocking tasks (else async tasks without long polls).
    pub blocking: bool,
}

/// The log judgement that settled what a joined row's work is.
#[derive(Debug, Clone)]
pub struct Settled {
    /// The log's path.
    pub log: String,
    /// Its judgement of the same endpoint, whose pattern and verdict the row took.
    pub judgement: Judgement,
}

/// What a runtime row measured.
#[derive(Debug, Clone)]
pub struct RuntimeJudgement {
    pub row: RuntimeRow,
    /// The group's figures.
    pub group: TaskGroup,
    /// The stall threshold its polls were measured against.
    pub threshold: Ns,
    pub joined: Option<JoinedFrom>,
    pub settled: Option<Settled>,
}

/// The rows of `c`, in the order of its groups; `threshold` is the stall threshold.
pub fn verdicts(c: &RuntimeFindings, threshold: Ns) -> Vec<Judgement> {
    let mut out = Vec::new();
    for g in &c.groups {
        let (row, pattern, verdict) = if g.long_polls > 0 {
            let seen = c.episodes.iter().map(|e| e.max_at_once).max().unwrap_or(1);
            let workers_at_once = if c.workers > 0 {
                seen.min(c.workers)
            } else {
                seen
            };
            (
                RuntimeRow::CpuHeavyPolls { workers_at_once },
                Pattern::AsyncCpu,
                Verdict::Bad,
            )
        } else if g.joined_endpoint
            && g.kind != "blocking"
            && g.polls > 0
            // The tasks that only await an endpoint's blocking tasks: that row judges it.
            && !c
                .groups
                .iter()
                .any(|o| o.site == g.site && o.kind == "blocking")
        {
            (RuntimeRow::ShortPolls, Pattern::Unknown, Verdict::Unknown)
        } else if g.kind == "blocking" && g.busy > 0 {
            (RuntimeRow::Blocking, Pattern::Unknown, Verdict::Unknown)
        } else {
            continue;
        };
        let joined = match (&c.join, g.joined_endpoint) {
            (Some(j), true) => Some(JoinedFrom {
                logs: j.logs.clone(),
                blocking: g.kind == "blocking",
            }),
            _ => None,
        };
        out.push(Judgement {
            subject: g.site.clone(),
            pattern,
            verdict,
            unit: Unit::Tasks,
            count: g.tasks,
            detail: Detail::Runtime(Box::new(RuntimeJudgement {
                row,
                group: g.clone(),
                threshold,
                joined,
                settled: None,
            })),
        });
    }
    out
}
