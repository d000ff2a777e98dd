//! Long tasks on renderer main threads, by DevTools' rule (a top-level task strictly over
//! 50 ms), and DevTools' per-thread figures (count, total, longest, blocking time).

use super::super::{Stall, StallSource};
use crate::config::BROWSER_LONG_TASK;
use crate::model::{MainThread, MainThreadTask, MainThreadWork, Ns, TASK_FLOOR, Trace};

// The reader keeps only tasks over its retention floor: the floor must not hide a long task.
const _: () = assert!(TASK_FLOOR <= BROWSER_LONG_TASK);

/// DevTools' long-task rule: a top-level task strictly longer than 50 ms.
pub fn is_long(t: &MainThreadTask) -> bool {
    t.duration > BROWSER_LONG_TASK
}

/// A main thread's long tasks (DevTools counts `RunTask` only), in time order.
pub fn long_tasks_of(m: &MainThread) -> impl Iterator<Item = &MainThreadTask> + Clone {
    m.tasks.iter().filter(|t| is_long(t))
}

/// Long tasks under pre-2019 task names, which DevTools does not count.
pub fn legacy_long_tasks_of(m: &MainThread) -> impl Iterator<Item = &MainThreadTask> + Clone {
    m.legacy_tasks.iter().filter(|t| is_long(t))
}

/// One long task on a renderer main thread: the browser's kind of stall.
#[derive(Debug, Clone)]
pub struct LongTask {
    /// The task as a stall ([`StallSource::BrowserLongTask`]): its thread, start and end, and
    /// the task's name as the culprit.
    pub stall: Stall,
    /// The thread's name in the trace (`CrRendererMain`), empty when it has none.
    pub thread_name: String,
    pub pid: String,
    pub tid: String,
    /// What ran inside it.
    pub work: MainThreadWork,
    /// The part over 50 ms: what the task adds to Total Blocking Time.
    pub blocking: Ns,
    /// Under a pre-2019 task name, which DevTools does not count.
    pub legacy: bool,
    /// The navigation (URL) whose LCP window (navigation start to LCP) the task started in: a
    /// long task there can delay the largest paint.
    pub in_lcp_window: Option<String>,
}

/// Per renderer main thread, the figures DevTools reports.
#[derive(Debug, Clone)]
pub struct MainThreadFigures {
    pub pid: String,
    pub tid: String,
    pub run_tasks: u64,
    pub long_tasks: usize,
    pub long_task_total: Ns,
    pub longest: Option<Ns>,
    /// Sum over long tasks of (duration - 50 ms).
    pub blocking: Ns,
    pub legacy_long_tasks: usize,
}

pub(super) fn long_task(
    trace: &Trace,
    m: &MainThread,
    thread_name: &str,
    t: &MainThreadTask,
    legacy: bool,
) -> LongTask {
    LongTask {
        stall: Stall {
            source: StallSource::BrowserLongTask,
            thread: Some(m.thread),
            start: t.start,
            end: t.start + t.duration,
            request: None,
            culprit: t.name.clone(),
            delayed: 0,
        },
        thread_name: thread_name.to_string(),
        pid: m.pid.clone(),
        tid: m.tid.clone(),
        work: t.work.clone(),
        blocking: (t.duration - BROWSER_LONG_TASK).max(0),
        legacy,
        in_lcp_window: trace
            .browser
            .navigations
            .iter()
            .filter(|n| n.main_frame)
            .find(|n| {
                n.lcp
                    .as_ref()
                    .is_some_and(|l| t.start >= n.start && t.start < l.at)
            })
            .map(|n| n.url.clone()),
    }
}

/// Every long task of every renderer main thread, `RunTask`s first, then the legacy ones.
pub(super) fn long_tasks(trace: &Trace) -> Vec<LongTask> {
    let mut out = Vec::new();
    for m in &trace.browser.main_threads {
        let name = trace
            .threads
            .get(m.thread.0 as usize)
            .and_then(|t| t.name.as_deref())
            .unwrap_or("");
        for t in long_tasks_of(m) {
            out.push(long_task(trace, m, name, t, false));
        }
        for t in legacy_long_tasks_of(m) {
            out.push(long_task(trace, m, name, t, true));
        }
    }
    out
}

/// DevTools' per-thread figures: long tasks are `RunTask`s strictly over 50 ms; blocking time is
/// the sum of their time over 50 ms.
pub(super) fn main_threads(trace: &Trace) -> Vec<MainThreadFigures> {
    trace
        .browser
        .main_threads
        .iter()
        .map(|m| {
            let durations = long_tasks_of(m).map(|t| t.duration);
            MainThreadFigures {
                pid: m.pid.clone(),
                tid: m.tid.clone(),
                run_tasks: m.run_tasks,
                long_tasks: durations.clone().count(),
                long_task_total: durations.clone().sum(),
                longest: durations.clone().max(),
                blocking: durations.map(|d| (d - BROWSER_LONG_TASK).max(0)).sum(),
                legacy_long_tasks: legacy_long_tasks_of(m).count(),
            }
        })
        .collect()
}
