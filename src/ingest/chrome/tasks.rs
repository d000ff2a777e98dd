//! Top-level tasks on a thread (`RunTask`, and the pre-2019 task names) and the work inside them
//! (scripts, layout, style, GC, HTML parsing).
//!
//! Every task is counted; a task longer than the retention floor the reader was handed
//! ([`crate::model::TASK_FLOOR`]) is kept with the work inside it. Which kept tasks are long is
//! for analysis to say. The floor bounds memory: a 300 MB trace holds millions of tasks, few of
//! them over the floor.
//!
//! ```text
//! thread:  [RunTask 3 ms] [RunTask 150 ms ..........................] [RunTask 2 ms]
//!                          [FunctionCall 90 ms ....] [Layout 20 ms]
//!          counted only    kept, with its work                         counted only
//! ```

use super::Reader;
use super::args::Args;
use super::event::Event;
use crate::model::{
    BrowserWork, HeaviestWork, MainThread, MainThreadTask, MainThreadWork, Ns, ScriptRun,
    ScriptSource, ThreadIdx, WorkSummary,
};

/// The top-level task event of current Chrome.
pub(super) const RUN_TASK: &str = "RunTask";

/// Top-level task names before about M71 (and 2012-era `MessageLoop::RunTask`). DevTools only
/// knows `RunTask`; Lighthouse accepts the first three. Kept apart, labelled.
const LEGACY_TASKS: [&str; 4] = [
    "ThreadControllerImpl::RunTask",
    "ThreadControllerImpl::DoWork",
    "TaskQueueManager::ProcessTaskFromWorkQueue",
    "MessageLoop::RunTask",
];

/// Script slices shorter than this are kept without their URL and function (reading them costs
/// a parse of their args, and no such slice explains a task worth judging).
const SCRIPT_SOURCE_MIN: Ns = 1_000_000;

/// The kind of work a slice name stands for, inside a task.
pub(super) fn work_kind(name: &str) -> Option<(BrowserWork, &'static str)> {
    Some(match name {
        "FunctionCall" => (BrowserWork::Script, "FunctionCall"),
        "EvaluateScript" => (BrowserWork::Script, "EvaluateScript"),
        "v8.compile" => (BrowserWork::Script, "v8.compile"),
        "v8.compileModule" => (BrowserWork::Script, "v8.compileModule"),
        "v8.evaluateModule" => (BrowserWork::Script, "v8.evaluateModule"),
        "Layout" => (BrowserWork::Layout, "Layout"),
        "UpdateLayoutTree" => (BrowserWork::Style, "UpdateLayoutTree"),
        "RecalculateStyles" => (BrowserWork::Style, "RecalculateStyles"),
        "MajorGC" => (BrowserWork::Gc, "MajorGC"),
        "MinorGC" => (BrowserWork::Gc, "MinorGC"),
        "BlinkGC.AtomicPhase" => (BrowserWork::Gc, "BlinkGC.AtomicPhase"),
        "ParseHTML" => (BrowserWork::ParseHtml, "ParseHTML"),
        _ => return None,
    })
}

pub(super) fn is_task(name: &str) -> bool {
    name == RUN_TASK || LEGACY_TASKS.contains(&name)
}

/// One slice of work (script, layout, ...) on a thread, kept until tasks are known.
#[derive(Debug)]
struct Work {
    start: Ns,
    end: Ns,
    kind: BrowserWork,
    event: &'static str,
    /// Script URL and function, for script slices of at least [`SCRIPT_SOURCE_MIN`].
    script: Option<(Box<str>, Box<str>)>,
}

/// Top-level tasks of one thread.
///
/// Work slices are kept only where they can matter: inside a kept task. A slice inside the
/// latest task seen on its thread (the usual order: Chrome writes a task before what runs in
/// it) goes to that task when it is kept and is dropped otherwise; a slice outside it (a file
/// written in another order) is kept aside and placed when all tasks are known.
#[derive(Debug, Default)]
pub(super) struct Tasks {
    pub(super) run_tasks: u64,
    kept: Vec<KeptTask>,
    legacy: Vec<KeptTask>,
    latest: Option<Latest>,
    orphans: Vec<Work>,
}

/// A task over the floor and the work seen inside it.
#[derive(Debug)]
struct KeptTask {
    name: String,
    start: Ns,
    duration: Ns,
    work: Vec<Work>,
}

/// The latest task seen on a thread, and where it is kept when over the floor (legacy, index).
#[derive(Debug, Clone, Copy)]
struct Latest {
    start: Ns,
    end: Ns,
    kept: Option<(bool, usize)>,
}

impl Reader<'_, '_> {
    /// A work slice (`kind`, from [`work_kind`]) of an `X` event on thread `t`.
    pub(super) fn work(
        &mut self,
        t: ThreadIdx,
        (kind, event): (BrowserWork, &'static str),
        start: Ns,
        dur: Ns,
        ev: &Event<'_>,
    ) {
        let end = start + dur;
        let st = self.tasks.entry(t).or_default();
        let home = match st.latest {
            Some(l) if start >= l.start && end <= l.end => match l.kept {
                Some(at) => Some(at),
                None => return, // inside a task under the floor: not kept
            },
            _ => None,
        };
        let script = (kind == BrowserWork::Script && dur >= SCRIPT_SOURCE_MIN)
            .then(|| {
                let d = Args::parse(ev.args)?.data?;
                let url = d.url.0.unwrap_or_default();
                let function = d.function_name.0.unwrap_or_default();
                Some((url.into(), function.into()))
            })
            .flatten();
        let work = Work {
            start,
            end,
            kind,
            event,
            script,
        };
        let list = match home {
            Some((true, i)) => st.legacy.get_mut(i).map(|l| &mut l.work),
            Some((false, i)) => st.kept.get_mut(i).map(|l| &mut l.work),
            None => None,
        };
        list.unwrap_or(&mut st.orphans).push(work);
    }

    /// A top-level task: counted, and kept when over the floor. `count` is false for a B/E task
    /// already counted at its `B`.
    pub(super) fn task(&mut self, t: ThreadIdx, name: &str, start: Ns, dur: Ns, count: bool) {
        let floor = self.task_floor;
        let st = self.tasks.entry(t).or_default();
        let legacy = name != RUN_TASK;
        if count && !legacy {
            st.run_tasks += 1;
        }
        let mut at = None;
        if dur > floor {
            let task = KeptTask {
                name: name.to_string(),
                start,
                duration: dur,
                work: Vec::new(),
            };
            let list = if legacy { &mut st.legacy } else { &mut st.kept };
            list.push(task);
            at = Some((legacy, list.len() - 1));
        }
        if st.latest.is_none_or(|l| start >= l.start) {
            st.latest = Some(Latest {
                start,
                end: start + dur,
                kept: at,
            });
        }
    }

    /// Every `CrRendererMain` thread with its tasks; kept tasks get the work inside them.
    pub(super) fn main_threads(&mut self) -> Vec<MainThread> {
        let mut mains: Vec<(ThreadIdx, String, String)> = self
            .names
            .iter()
            .filter(|(_, n)| n.as_str() == "CrRendererMain")
            .filter_map(|(t, _)| {
                let (p, i) = self.ids.get(t)?;
                Some((*t, p.clone(), i.clone()))
            })
            .collect();
        let num = |s: &str| s.parse::<u64>().ok();
        mains.sort_by(|a, b| {
            (num(&a.1), &a.1, num(&a.2), &a.2).cmp(&(num(&b.1), &b.1, num(&b.2), &b.2))
        });
        mains
            .into_iter()
            .map(|(thread, pid, tid)| {
                let mut st = self.tasks.remove(&thread).unwrap_or_default();
                st.orphans.sort_by_key(|w| w.start);
                let mut done = |tasks: Vec<KeptTask>| -> Vec<MainThreadTask> {
                    top_level(tasks)
                        .into_iter()
                        .map(|mut kt| {
                            let (start, end) = (kt.start, kt.start + kt.duration);
                            let first = st.orphans.partition_point(|w| w.start < start);
                            let inside = st.orphans[first..]
                                .iter()
                                .take_while(|w| w.start < end)
                                .filter(|w| w.end <= end)
                                .count();
                            kt.work.extend(st.orphans.drain(first..first + inside));
                            kt.work.sort_by_key(|w| (w.start, std::cmp::Reverse(w.end)));
                            MainThreadTask {
                                work: attribute(start, end, &kt.work),
                                name: kt.name,
                                start,
                                duration: kt.duration,
                            }
                        })
                        .collect()
                };
                let tasks = done(std::mem::take(&mut st.kept));
                let legacy_tasks = done(std::mem::take(&mut st.legacy));
                MainThread {
                    thread,
                    pid,
                    tid,
                    run_tasks: st.run_tasks,
                    tasks,
                    legacy_tasks,
                }
            })
            .collect()
    }
}

/// Tasks in time order, without those nested inside another (a nested run loop would count
/// its time twice).
fn top_level(mut tasks: Vec<KeptTask>) -> Vec<KeptTask> {
    tasks.sort_by_key(|t| (t.start, std::cmp::Reverse(t.duration)));
    let mut out: Vec<KeptTask> = Vec::with_capacity(tasks.len());
    for t in tasks {
        match out.last_mut() {
            Some(prev) if t.start + t.duration <= prev.start + prev.duration => {
                prev.work.extend(t.work); // the nested task's work is the outer one's
            }
            _ => out.push(t),
        }
    }
    out
}

/// Sums the work (sorted by start, longest first) inside the task `start..end` per kind,
/// counting nested time once, and finds its heaviest piece and heaviest script.
fn attribute(start: Ns, end: Ns, work: &[Work]) -> MainThreadWork {
    let first = work.partition_point(|w| w.start < start);
    let mut kinds: Vec<(WorkSummary, Ns)> = Vec::new(); // (summary, covered up to)
    let mut script: Option<&Work> = None;
    let mut heaviest: Option<&Work> = None;
    for w in work[first..].iter().take_while(|w| w.start < end) {
        if w.end > end {
            continue;
        }
        let dur = w.end - w.start;
        let i = match kinds.iter().position(|(k, _)| k.kind == w.kind) {
            Some(i) => i,
            None => {
                kinds.push((
                    WorkSummary {
                        kind: w.kind,
                        count: 0,
                        total: 0,
                        longest: 0,
                    },
                    Ns::MIN,
                ));
                kinds.len() - 1
            }
        };
        let (sum, covered) = &mut kinds[i];
        sum.count += 1;
        sum.longest = sum.longest.max(dur);
        sum.total += (w.end - w.start.max(*covered)).max(0);
        *covered = (*covered).max(w.end);
        if w.kind == BrowserWork::Script && script.is_none_or(|s| dur > s.end - s.start) {
            script = Some(w);
        }
        if heaviest.is_none_or(|h| dur > h.end - h.start) {
            heaviest = Some(w);
        }
    }
    let mut kinds: Vec<WorkSummary> = kinds.into_iter().map(|(k, _)| k).collect();
    kinds.sort_by_key(|k| k.kind);
    let run = |w: &Work| {
        let (url, function) = w.script.as_ref().map_or(("", ""), |(u, f)| (&**u, &**f));
        ScriptRun {
            event: w.event.to_string(),
            url: url.to_string(),
            function: function.to_string(),
            start: w.start,
            duration: w.end - w.start,
        }
    };
    MainThreadWork {
        kinds,
        heaviest: heaviest.map(|w| HeaviestWork {
            event: w.event.to_string(),
            source: w.script.as_ref().map(|(url, function)| ScriptSource {
                url: url.to_string(),
                function: function.to_string(),
            }),
            duration: w.end - w.start,
        }),
        heaviest_script: script.map(run),
    }
}
