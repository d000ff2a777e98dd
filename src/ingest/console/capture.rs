//! Live captures written by `stallscope record` (see `crate::capture`).

use super::super::InputStats;
use super::super::lines::Lines;
use super::classify_task;
use crate::capture::format::{Line, StatsLine};
use crate::error::{Error, Result};
use crate::model::{SnapshotPolls, TaskData, TaskRecord, TraceBuilder};
use rustc_hash::FxHashMap as HashMap;
use std::io::BufRead;

/// Reads a capture written by `stallscope record` (see `crate::capture`). Statistics are
/// snapshots, one per publish interval; a poll is seen one by one only as a task's last poll
/// (its start and end are in the snapshot), so long polls found here are a lower bound. Tasks
/// become [`TaskRecord`]s and group totals as with recordings (no spans: there are no events),
/// grouped by task name, else spawn location, else closure type.
pub fn read_capture(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder<'_>,
    report: &mut InputStats,
) -> Result<()> {
    let retention = b.task_retention();
    let floor = retention.floor;
    if retention.every_poll {
        report.warn(
            "a live capture is not joined to logs: it holds each task's poll counts and last poll, not every poll; its tasks keep their own names",
        );
    }
    let mut lines = Lines::new(name, reader);
    // Tasks in the order first reported: (group, record, last snapshot).
    let mut tasks: HashMap<u64, usize> = HashMap::default();
    let mut order: Vec<(usize, TaskRecord, Option<StatsLine>)> = Vec::new();
    let mut sink = TaskData::new(retention);
    let mut header = false;
    b.set_unix_offset(0);
    while let Some((line_no, line, complete)) = lines.next_line()? {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if !header {
            header = true;
            if memchr::memmem::find(line, b"\"stallscope_console_capture\":1").is_none() {
                return Err(Error::line(
                    name,
                    line_no,
                    "expected a stallscope capture header (version 1)",
                ));
            }
            continue;
        }
        let rec: Line<'_> = match serde_json::from_slice(line) {
            Ok(r) => r,
            Err(_) if !complete => {
                report.warn(format!(
                    "line {line_no}: the last line is cut off; kept everything before it"
                ));
                report.skipped += 1;
                break;
            }
            Err(e) => {
                return Err(Error::line(
                    name,
                    line_no,
                    format!("expected a capture record: {e}"),
                ));
            }
        };
        report.events += 1;
        match rec {
            Line::Task(t) => {
                let field = |k: &str| t.fields.get(k).map(|v| v.trim_matches('"'));
                let kind = field("kind").unwrap_or(&t.kind).to_string();
                let fn_name = field("fn");
                let task_name = t
                    .name
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .map(str::to_string);
                let (role, site) =
                    classify_task(&kind, task_name.as_deref(), t.location.as_deref(), fn_name);
                let group = sink.group(site.clone(), &kind, role);
                let record = TaskRecord {
                    span_id: t.id,
                    task_id: field("task.id").map(str::to_string),
                    name: task_name,
                    kind,
                    role,
                    site,
                    size_bytes: field("size.bytes").and_then(|v| v.parse().ok()),
                    original_size_bytes: field("original_size.bytes").and_then(|v| v.parse().ok()),
                    ..TaskRecord::default()
                };
                match tasks.get(&t.id) {
                    Some(&i) => order[i] = (group, record, None),
                    None => {
                        tasks.insert(t.id, order.len());
                        order.push((group, record, None));
                    }
                }
            }
            Line::Stats(st) => {
                let Some(&i) = tasks.get(&st.id) else {
                    report.skipped += 1;
                    continue;
                };
                let (_, task, prev) = &mut order[i];
                // The snapshot shows its last poll exactly; the other polls since the previous
                // snapshot are known only by their number and total busy time. Kept when
                // either reaches the floor (the analysis places them).
                let (p0, b0) = prev.map_or((0, 0), |p| (p.polls, p.busy_ns));
                let (dp, db) = (st.polls.saturating_sub(p0), (st.busy_ns - b0).max(0));
                if let (Some(s), Some(e)) = (st.last_poll_started, st.last_poll_ended)
                    && dp > 0
                    && e >= s
                {
                    let polls = SnapshotPolls {
                        last: (s, e),
                        others: dp - 1,
                        others_busy: db - (e - s),
                    };
                    if polls.at_least(floor) > 0 {
                        task.snapshot_polls.push(polls);
                    }
                    b.saw_time(s);
                }
                for t in [st.at, st.created, st.dropped].into_iter().flatten() {
                    b.saw_time(t);
                }
                *prev = Some(st);
            }
            Line::End(_) => {}
        }
    }
    if !header {
        return Err(Error::input(name, "empty capture"));
    }
    let end = b.last_time().unwrap_or(0);
    for (group, mut t, st) in order {
        let Some(st) = st else {
            continue;
        };
        t.spawned = st.created.or(st.first_poll).unwrap_or(0);
        t.closed = st.dropped;
        t.polls = st.polls;
        t.busy = st.busy_ns;
        t.scheduled = st.scheduled_ns;
        t.first_poll = st.first_poll;
        // The longest poll known to have reached the floor.
        t.max_poll = t
            .snapshot_polls
            .iter()
            .flat_map(|p| [p.last_len(), p.others_mean()])
            .filter(|d| *d >= floor)
            .max()
            .unwrap_or(0);
        t.wakes = st.wakes;
        t.self_wakes = st.self_wakes;
        t.waker_clones = st.waker_clones;
        t.waker_drops = st.waker_drops;
        t.last_wake = None;
        t.running = st
            .last_poll_started
            .zip(st.last_poll_ended)
            .is_some_and(|(s, e)| s > e)
            || (st.last_poll_started.is_some() && st.last_poll_ended.is_none());
        t.woken = st.polls == 0;
        if st.polls == 1 && st.first_poll == st.last_poll_started {
            let s = st.first_poll.unwrap_or(0);
            t.first_poll_duration =
                Some(st.last_poll_ended.filter(|e| *e >= s).unwrap_or(end.max(s)) - s);
        }
        t.idle = (t.closed.unwrap_or(end) - t.spawned - t.busy - t.scheduled).max(0);
        if !t.is_async_app() {
            t.snapshot_polls.clear();
        }
        sink.add(t, group);
    }
    for w in lines.warnings() {
        report.warn(w);
    }
    sink.seal();
    *b.tasks_mut() = sink;
    report.warn(
        "a live capture holds snapshots, not every poll: a long poll is seen exactly as a task's last poll, otherwise inferred from the busy time between snapshots and placed just before the last poll; record with console-subscriber's recording_path for every poll"
            .to_string(),
    );
    Ok(())
}
