//! Per-task bookkeeping while a recording is read: polls, wakes and closes of each task alive,
//! summed into its group when it closes.

use super::super::InputStats;
use super::super::lines::excerpt;
use super::classify_task;
use super::recording::{At, FieldVal, Header, Record, SpawnBody, WakeOp};
use crate::error::{Error, Result};
use crate::model::{
    FieldValue, Ns, Retention, SpanIdx, Sym, TaskData, TaskRecord, TaskRole, TraceBuilder,
};
use rustc_hash::FxHashMap as HashMap;

/// A task between its Spawn and its Close.
pub(super) struct Live {
    pub(super) span: SpanIdx,
    pub(super) group: usize,
    pub(super) rec: TaskRecord,
    /// Enter depth: a span entered again while entered is still one poll (as the console counts).
    pub(super) depth: u32,
    pub(super) poll_start: Option<Ns>,
    pub(super) last_poll_start: Option<Ns>,
    pub(super) prev_end: Option<Ns>,
    /// When the task became ready for its next poll: its first wake after the previous poll
    /// ended, or that end for a wake that came during the poll.
    pub(super) ready: Option<Ns>,
    pub(super) woken_in_poll: bool,
    pub(super) last_seen: Ns,
}

/// Interned field keys of task spans.
pub(super) struct Keys {
    pub(super) task: Sym,
}

pub(super) struct Reader<'a, 'b, 's> {
    pub(super) b: &'a mut TraceBuilder<'s>,
    pub(super) report: &'a mut InputStats,
    pub(super) name: &'b str,
    pub(super) live: HashMap<u64, Live>,
    /// Groups and the tasks kept whole.
    pub(super) tasks: TaskData,
    /// Finished long polls of async application tasks, sorted by end, pruned as tasks close.
    pub(super) long_polls: Vec<(Ns, Ns)>,
    pub(super) pruned_at: usize,
    /// Async application tasks in a poll: (span id, poll start).
    pub(super) running: Vec<(u64, Ns)>,
    pub(super) max_concurrent: usize,
    /// What to keep one by one, as the caller asked.
    pub(super) retention: Retention,
    pub(super) keys: Keys,
    pub(super) other_records: u64,
    pub(super) other_closes: u64,
    pub(super) unknown: u64,
    pub(super) malformed: u64,
    pub(super) unmatched_exits: u64,
    pub(super) respawned: u64,
    /// The next task's number ([`TaskRecord::seq`]).
    pub(super) next_seq: u32,
    /// Worker launch tasks seen so far.
    pub(super) workers: usize,
}

/// Reads a recording from `reader` into `b`.
impl Reader<'_, '_, '_> {
    pub(super) fn header(&mut self, line_no: u64, line: &[u8]) -> Result<()> {
        let h: Header = serde_json::from_slice(line).map_err(|e| {
            Error::line(
                self.name,
                line_no,
                format!(
                    "expected the recording header {{\"v\":1}}: {e}: {}",
                    excerpt(&String::from_utf8_lossy(line), 60)
                ),
            )
        })?;
        if h.v != 1 {
            self.report.warn(format!(
                "recording format version {}; this stallscope knows version 1 and reads it as such",
                h.v
            ));
        }
        Ok(())
    }

    /// A Unix time in ns, or `None` (counted) for one out of range.
    fn time(&mut self, line_no: u64, at: &At) -> Option<Ns> {
        let t = at.ns();
        if t.is_none() {
            self.malformed += 1;
            self.report.skipped += 1;
            if self.malformed <= 3 {
                self.report
                    .warn(format!("line {line_no}: a time out of range, skipped"));
            }
        }
        t
    }

    pub(super) fn event(&mut self, line_no: u64, rec: Record<'_>) {
        let at = match &rec {
            Record::Spawn(s) => &s.at,
            Record::Enter(e) | Record::Exit(e) | Record::Close(e) => &e.at,
            Record::Waker(w) => &w.at,
            Record::Unknown => {
                self.unknown += 1;
                self.report.skipped += 1;
                return;
            }
        };
        let Some(t) = self.time(line_no, at) else {
            return;
        };
        self.b.saw_time(t);
        match rec {
            Record::Spawn(s) => self.spawn(line_no, s, t),
            Record::Enter(e) => self.enter(e.id, t),
            Record::Exit(e) => self.exit(e.id, t),
            Record::Close(e) => self.close(e.id, t),
            Record::Waker(w) => self.waker(w.id, w.op, t),
            Record::Unknown => {}
        }
    }

    fn spawn(&mut self, line_no: u64, s: SpawnBody<'_>, t: Ns) {
        if let Some(old) = self.live.remove(&s.id) {
            // The id is only reused after a Close: this one's Close was lost.
            self.respawned += 1;
            if self.respawned == 1 {
                self.report.warn(format!(
                    "line {line_no}: span id {} spawned again without a Close; the earlier task is taken as ended at its last event",
                    s.id
                ));
            }
            let end = old.last_seen;
            self.end_task(old, end, true);
        }
        self.report.events += 1;
        let field = |k: &str| s.fields.iter().find(|f| f.name == k).map(|f| &f.value);
        let kind = field("kind")
            .and_then(FieldVal::as_str)
            .unwrap_or("task")
            .to_string();
        let task_name = field("task.name")
            .and_then(FieldVal::as_str)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let fn_name = field("fn").and_then(FieldVal::as_str);
        // The recorder drops the spawn location; another producer may keep it.
        let location = field("loc.file").map(|file| {
            let mut loc = file.text().into_owned();
            for k in ["loc.line", "loc.col"] {
                if let Some(v) = field(k) {
                    loc.push(':');
                    loc.push_str(&v.text());
                }
            }
            loc
        });
        let (role, site) = classify_task(&kind, task_name.as_deref(), location.as_deref(), fn_name);
        let group = self.tasks.group(site.clone(), &kind, role);
        let span_name = match &task_name {
            Some(n) => self.b.intern(n),
            None => self.keys.task,
        };
        let fields: Vec<(Sym, FieldValue)> = s
            .fields
            .iter()
            .map(|f| (self.b.intern(&f.name), f.value.text().into()))
            .collect();
        let span = self.b.open_span(span_name, None, None, t, fields);
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let rec = TaskRecord {
            span_id: s.id,
            seq,
            task_id: field("task.id").map(|v| v.text().into_owned()),
            name: task_name,
            kind,
            role,
            site,
            spawned: t,
            size_bytes: field("size.bytes").and_then(FieldVal::as_u64),
            original_size_bytes: field("original_size.bytes").and_then(FieldVal::as_u64),
            ..TaskRecord::default()
        };
        self.workers += usize::from(role == TaskRole::Worker);
        self.live.insert(
            s.id,
            Live {
                span,
                group,
                rec,
                depth: 0,
                poll_start: None,
                last_poll_start: None,
                prev_end: None,
                ready: None,
                woken_in_poll: false,
                last_seen: t,
            },
        );
    }

    fn enter(&mut self, id: u64, t: Ns) {
        let Some(l) = self.live.get_mut(&id) else {
            self.other_records += 1;
            self.report.skipped += 1;
            return;
        };
        self.report.events += 1;
        l.last_seen = t;
        l.depth += 1;
        self.b.enter(l.span, None, t);
        if l.depth > 1 {
            return;
        }
        l.poll_start = Some(t);
        l.last_poll_start = Some(t);
        l.rec.polls += 1;
        // The console's scheduled time: from the later of the last wake and the previous end.
        if let Some(base) = l.rec.last_wake.max(l.prev_end) {
            l.rec.scheduled += (t - base).max(0);
        }
        // The wait for this poll, kept when it began during another task's long poll.
        let ready = if l.rec.first_poll.is_none() {
            Some(l.rec.spawned)
        } else {
            l.ready
        };
        l.ready = None;
        l.woken_in_poll = false;
        l.rec.first_poll.get_or_insert(t);
        let async_app = l.rec.is_async_app();
        if let Some(r) = ready.filter(|r| t - r >= self.retention.min_wait)
            && inside_long_poll(&self.long_polls, &self.running, id, r)
        {
            l.rec.delays.push((r, t));
        }
        if async_app {
            self.running.push((id, t));
            self.max_concurrent = self.max_concurrent.max(self.running.len());
        }
    }

    fn exit(&mut self, id: u64, t: Ns) {
        let Some(l) = self.live.get_mut(&id) else {
            self.other_records += 1;
            self.report.skipped += 1;
            return;
        };
        self.report.events += 1;
        l.last_seen = t;
        if l.depth == 0 {
            self.unmatched_exits += 1;
            return;
        }
        l.depth -= 1;
        self.b.exit(l.span, None, t);
        if l.depth == 0 {
            if let (true, Some(s), TaskRole::App) =
                (self.retention.every_poll, l.poll_start, l.rec.role)
            {
                self.b.task_poll(l.rec.seq, s, t);
            }
            end_poll(
                l,
                t,
                self.retention.floor,
                &mut self.long_polls,
                &mut self.running,
                id,
            );
        }
    }

    fn close(&mut self, id: u64, t: Ns) {
        let Some(mut l) = self.live.remove(&id) else {
            self.other_records += 1;
            self.other_closes += 1;
            self.report.skipped += 1;
            return;
        };
        self.report.events += 1;
        // Dropped while entered: the poll ends here.
        while l.depth > 0 {
            l.depth -= 1;
            self.b.exit(l.span, None, t);
        }
        if let Some(s) = l.poll_start {
            if let (true, TaskRole::App) = (self.retention.every_poll, l.rec.role) {
                self.b.task_poll(l.rec.seq, s, t);
            }
            end_poll(
                &mut l,
                t,
                self.retention.floor,
                &mut self.long_polls,
                &mut self.running,
                id,
            );
        }
        self.end_task(l, t, true);
    }

    fn waker(&mut self, id: u64, op: WakeOp, t: Ns) {
        let Some(l) = self.live.get_mut(&id) else {
            self.other_records += 1;
            self.report.skipped += 1;
            return;
        };
        self.report.events += 1;
        l.last_seen = t;
        let self_wake = match op {
            WakeOp::Clone => {
                l.rec.waker_clones += 1;
                return;
            }
            WakeOp::Drop => {
                l.rec.waker_drops += 1;
                return;
            }
            // Waking by value consumes the waker without a Drop event: the console counts it as
            // one, so that live wakers = clones - drops.
            WakeOp::Wake { self_wake } => {
                l.rec.waker_drops += 1;
                self_wake
            }
            WakeOp::WakeByRef { self_wake } => self_wake,
        };
        l.rec.wakes += 1;
        l.rec.self_wakes += u64::from(self_wake);
        l.rec.last_wake = Some(l.rec.last_wake.map_or(t, |w| w.max(t)));
        if l.depth > 0 {
            l.woken_in_poll = true;
        } else if l.ready.is_none() && l.rec.first_poll.is_some() {
            l.ready = Some(t);
            // The idle stretch this wake ends, kept when the wake came right after a long poll
            // ended within it, or while long polls are still open on every worker: their Exit
            // lines may come later, as lines from several threads are not quite in time order
            // (the analysis decides).
            if let Some(e) = l.prev_end.filter(|e| t - e >= self.retention.min_wait) {
                let workers = if self.workers > 0 {
                    self.workers
                } else {
                    self.max_concurrent.max(1)
                };
                let open_long = self
                    .running
                    .iter()
                    .filter(|&&(r, s)| r != id && t - s >= self.retention.floor)
                    .count();
                if open_long >= workers
                    || long_poll_ended(&self.long_polls, e.max(t - self.retention.wake_window), t)
                {
                    l.rec.idle_gaps.push((e, t));
                }
            }
        }
    }

    /// Sums a task into its group and keeps it whole when it needs individual attention.
    /// `end` is its close, or the end of the recording.
    fn end_task(&mut self, l: Live, end: Ns, closed: bool) {
        let mut rec = l.rec;
        if closed {
            rec.closed = Some(end);
            self.b.close(l.span, end, None, None, None);
        }
        rec.idle = end
            .saturating_sub(rec.spawned)
            .saturating_sub(rec.busy)
            .saturating_sub(rec.scheduled)
            .max(0);
        if self.retention.every_poll && rec.role == TaskRole::App {
            self.tasks.held.push((rec, l.group));
        } else {
            self.tasks.add(rec, l.group);
        }
        // Long polls that ended before every live task's last activity can overlap no wait
        // still to come.
        if self.long_polls.len() >= self.pruned_at + 4096 {
            let horizon = self
                .live
                .values()
                .map(|l| l.prev_end.unwrap_or(l.rec.spawned))
                .min()
                .unwrap_or(Ns::MAX);
            let cut = self.long_polls.partition_point(|p| p.1 <= horizon);
            self.long_polls.drain(..cut);
            self.pruned_at = self.long_polls.len();
        }
    }

    /// Tasks still alive at the end: polls in progress count up to the end (as the console
    /// shows them), and a wake not yet answered counts as scheduled time.
    pub(super) fn finish(mut self) {
        let end = self.b.last_time().unwrap_or(0);
        let mut rest: Vec<(u64, Live)> = self.live.drain().collect();
        rest.sort_by_key(|(id, l)| (l.rec.spawned, *id));
        let still = rest.len();
        for (id, mut l) in rest {
            if let Some(s) = l.poll_start {
                let d = (end - s).max(0);
                l.rec.running = true;
                l.rec.busy += d;
                l.rec.max_poll = l.rec.max_poll.max(d);
                if l.rec.polls == 1 {
                    l.rec.first_poll_duration = Some(d);
                }
                if d >= self.retention.floor && l.rec.is_async_app() {
                    l.rec.long_polls.push((s, end));
                }
                self.running.retain(|(r, _)| *r != id);
            }
            let woken_after_poll = l.rec.last_wake > l.last_poll_start;
            l.rec.woken = l.rec.polls == 0 || woken_after_poll;
            if let (true, false, Some(w)) = (woken_after_poll, l.rec.running, l.rec.last_wake) {
                l.rec.scheduled += (end - w).max(0);
            }
            self.end_task(l, end, false);
        }
        self.tasks.max_concurrent_polls = self.max_concurrent;
        self.tasks.other_spans = self.other_closes;
        if self.tasks.held.is_empty() {
            self.tasks.seal();
        }
        *self.b.tasks_mut() = std::mem::take(&mut self.tasks);
        let report = &mut *self.report;
        // Resources and async ops that closed are counted in the model (`other_spans`) and
        // said once, by the analysis; only events of ids never spawned nor closed are said here.
        if self.other_records > 0 && self.other_closes == 0 {
            report.warn(format!(
                "{} events for ids never spawned (resources and async ops) are not tasks; left out",
                self.other_records
            ));
        }
        if self.unknown > 0 {
            report.warn(format!(
                "{} events of unknown kinds skipped (this stallscope knows Spawn, Enter, Exit, Close, Waker)",
                self.unknown
            ));
        }
        if self.malformed > 3 {
            report.warn(format!(
                "{} events with unexpected contents skipped in all",
                self.malformed
            ));
        }
        if self.unmatched_exits > 0 {
            report.warn(format!(
                "{} Exit events of tasks that were not entered; ignored",
                self.unmatched_exits
            ));
        }
        if self.respawned > 1 {
            report.warn(format!(
                "{} span ids spawned again without a Close in all",
                self.respawned
            ));
        }
        if still > 0 {
            report.warn(format!(
                "{still} tasks were still alive when the recording ended (their figures run to its last event)"
            ));
        }
    }
}

/// Ends the poll in progress of `l` at `t`.
fn end_poll(
    l: &mut Live,
    t: Ns,
    floor: Ns,
    long_polls: &mut Vec<(Ns, Ns)>,
    running: &mut Vec<(u64, Ns)>,
    id: u64,
) {
    let Some(s) = l.poll_start.take() else {
        return;
    };
    let d = (t - s).max(0);
    l.rec.busy += d;
    l.rec.max_poll = l.rec.max_poll.max(d);
    if l.rec.polls == 1 {
        l.rec.first_poll_duration = Some(d);
    }
    l.prev_end = Some(t);
    if l.woken_in_poll {
        l.ready = Some(t);
        l.woken_in_poll = false;
    }
    if l.rec.is_async_app() {
        if let Some(i) = running.iter().position(|(r, _)| *r == id) {
            running.swap_remove(i);
        }
        if d >= floor {
            l.rec.long_polls.push((s, t));
            // Lines come nearly in time order: the insertion point is at or near the end.
            let at = long_polls.partition_point(|p| p.1 <= t);
            long_polls.insert(at, (s, t));
        }
    }
}

/// Whether `t` fell inside another task's long poll: a finished one, or one still running
/// (which may turn out short: the analysis decides).
fn inside_long_poll(long_polls: &[(Ns, Ns)], running: &[(u64, Ns)], me: u64, t: Ns) -> bool {
    // Sorted by end: those from `first` on ended after `t`; one that also started by `t` held
    // it. Nearly always one of the first few looked at does, if any.
    let first = long_polls.partition_point(|p| p.1 <= t);
    let finished = long_polls[first..].iter().take(64).any(|p| p.0 <= t);
    finished || running.iter().any(|&(r, s)| r != me && s <= t)
}

/// Whether a long poll ended in `[from, to]` (`from` is the wake window before a wake, its
/// start included: the analysis takes windows ending exactly that long before a wake too).
fn long_poll_ended(long_polls: &[(Ns, Ns)], from: Ns, to: Ns) -> bool {
    let first = long_polls.partition_point(|p| p.1 < from);
    long_polls.get(first).is_some_and(|p| p.1 <= to)
}
