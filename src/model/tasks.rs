//! Async runtime tasks as a runtime's own instrumentation records them (tokio-console
//! recordings): per-task poll statistics, computed while the file is read.
//!
//! Memory follows the tasks alive at once, not the length of the recording: every task is
//! summed into its group's [`TaskTotals`] when it closes, and only tasks that need individual
//! attention are kept whole as [`TaskRecord`]s (see [`TaskData::records`]).

use super::Ns;
use rustc_hash::FxHashMap as HashMap;

/// What a reader of runtime tasks keeps one by one besides each group's totals, handed in by
/// its caller: the analysis says what it needs (`analyze::runtime::retention`), the reader
/// keeps the facts under these floors and decides nothing. Memory follows the tasks alive at
/// once and what is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Polls of async application tasks this long or longer are kept one by one
    /// ([`TaskRecord::long_polls`]), with the waits that began and the idle stretches that
    /// ended around them.
    pub floor: Ns,
    /// Waits and idle stretches shorter than this are not kept.
    pub min_wait: Ns,
    /// An idle stretch is kept when its wake came within this of the end of a kept poll.
    pub wake_window: Ns,
    /// A task is kept whole when more than this percentage of its wakes were self-wakes
    /// (a whole percentage, rounded down)...
    pub self_wake_percent: u64,
    /// ...or when its first poll ran this long.
    pub first_poll: Ns,
    /// Futures of this many bytes or more are counted per group
    /// ([`TaskTotals::large_futures`]).
    pub large_future_bytes: u64,
    /// Hand every poll of an application task to the sink (`TreeSink::task_poll`, for a join)
    /// and hold every application task unsummed in [`TaskData::held`] until it is regrouped.
    pub every_poll: bool,
}

impl Default for Retention {
    /// What a reader keeps when its caller does not say: the analysis's needs at the default
    /// stall threshold (`analyze::runtime::retention` of a default config; a test keeps the
    /// two equal).
    fn default() -> Self {
        Retention {
            floor: crate::config::DEFAULT_STALL,
            min_wait: 1_000_000,
            wake_window: 5_000_000,
            self_wake_percent: 50,
            first_poll: 1_000_000_000,
            large_future_bytes: 1024,
            every_poll: false,
        }
    }
}

/// Groups beyond this many (tasks named one by one, say) are summed under one site.
const MAX_GROUPS: usize = 10_000;
const OTHER_SITES: &str = "(other sites)";

/// What a task is to the runtime. Runtime machinery is marked so that detectors leave it out:
/// a worker's launch task is "entered" for the runtime's whole life and `block_on` runs on the
/// caller's thread, neither is application work holding a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TaskRole {
    /// Spawned by the application (`spawn`, `spawn_blocking`, `spawn_local`).
    #[default]
    App,
    /// A runtime worker thread's launch closure (`kind=blocking`, `fn` naming
    /// `worker::Launch::launch`): one per worker of a multi-thread runtime.
    Worker,
    /// A `Runtime::block_on` / `#[tokio::main]` future (`kind=block_on`).
    BlockOn,
}

/// All runtime tasks of a trace.
#[derive(Debug, Clone, Default)]
pub struct TaskData {
    /// Tasks kept whole: those with a poll at or over the retention floor, with a wait or an
    /// idle stretch around such a poll (see [`TaskRecord::delays`] and
    /// [`TaskRecord::idle_gaps`]), that woke themselves for most of their wakes or whose first
    /// poll ran long (see [`Retention`]), that are runtime machinery, or that were still alive
    /// when the recording ended. In spawn order.
    pub records: Vec<TaskRecord>,
    /// Every task (those in `records` included), summed per group, in first-spawn order.
    pub totals: Vec<TaskTotals>,
    /// What the reader was asked to keep.
    pub retention: Retention,
    /// Most polls of async application tasks seen in progress at once: a floor for the number
    /// of worker threads when the recording does not name them.
    pub max_concurrent_polls: usize,
    /// Spans that were entered or closed but never spawned: resources and async ops.
    pub other_spans: u64,
    /// Application tasks held back unsummed, with the index of their own group, when the
    /// retention asked for every poll: a join regroups them (`analyze::join::regroup`), then
    /// they are summed with [`TaskData::add`].
    pub held: Vec<(TaskRecord, usize)>,
    /// How the tasks were joined to the requests of a log of the same run, when one was given:
    /// joined tasks are grouped under the endpoint they served.
    pub join: Option<JoinSummary>,
    /// Group index by site, then (kind, role).
    group_index: HashMap<String, Vec<(String, TaskRole, usize)>>,
}

impl TaskData {
    /// Nothing recorded yet, keeping what `retention` says.
    pub fn new(retention: Retention) -> Self {
        TaskData {
            retention,
            ..TaskData::default()
        }
    }

    /// No task was recorded.
    pub fn is_empty(&self) -> bool {
        self.totals.is_empty()
    }

    /// The index of the group (site, kind, role) in [`TaskData::totals`], created on first use.
    pub fn group(&mut self, site: String, kind: &str, role: TaskRole) -> usize {
        let site = if self.totals.len() >= MAX_GROUPS && !self.group_index.contains_key(&site) {
            OTHER_SITES.to_string()
        } else {
            site
        };
        let list = self.group_index.entry(site.clone()).or_default();
        if let Some(&(_, _, i)) = list.iter().find(|(k, r, _)| k == kind && *r == role) {
            return i;
        }
        let i = self.totals.len();
        list.push((kind.to_string(), role, i));
        self.totals.push(TaskTotals {
            site,
            kind: kind.to_string(),
            role,
            ..TaskTotals::default()
        });
        i
    }

    /// Sums a finished task into group `group` and keeps it whole when the retention says so.
    pub fn add(&mut self, rec: TaskRecord, group: usize) {
        let r = self.retention;
        if let Some(totals) = self.totals.get_mut(group) {
            totals.add(&rec, &r);
        }
        let keep = rec.role != TaskRole::App
            || rec.closed.is_none()
            || !rec.long_polls.is_empty()
            || !rec.snapshot_polls.is_empty()
            || !rec.delays.is_empty()
            || !rec.idle_gaps.is_empty()
            || (!rec.is_blocking() && rec.self_wake_percent() > r.self_wake_percent)
            || (!rec.is_blocking() && rec.first_poll_duration.unwrap_or(0) >= r.first_poll);
        if keep {
            self.records.push(rec);
        }
    }

    /// Puts the records in spawn order and drops groups left empty (by a join: every task of
    /// theirs went to an endpoint). Call once everything is added.
    pub fn seal(&mut self) {
        self.records.sort_by_key(|r| (r.spawned, r.span_id));
        self.totals.retain(|g| g.tasks > 0);
        self.group_index.clear();
    }
}

/// How well a recording joined to its logs, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct JoinSummary {
    pub logs: Vec<String>,
    pub recording: String,
    pub requests: usize,
    /// Requests with at least one anchor inside a poll.
    pub requests_placed: usize,
    pub anchors: usize,
    pub anchors_placed: usize,
    /// Application tasks given an endpoint.
    pub tasks_labelled: usize,
    /// Tasks whose anchors split between endpoints with no two-thirds majority.
    pub tasks_mixed: usize,
}

/// One task kept whole. Times are on the trace's time line.
#[derive(Debug, Clone, Default)]
pub struct TaskRecord {
    /// The tracing span id of the task in the recording (ids are reused after a close).
    pub span_id: u64,
    /// The task's number, unique within the recording (span ids are reused): what a join
    /// labels.
    pub seq: u32,
    /// tokio's own task id (`task.id`), when recorded.
    pub task_id: Option<String>,
    /// `task.name`, when set and not empty.
    pub name: Option<String>,
    /// `task`, `blocking`, `block_on`, `local`.
    pub kind: String,
    pub role: TaskRole,
    /// The group it is summed into: see [`TaskTotals::site`].
    pub site: String,
    pub spawned: Ns,
    pub closed: Option<Ns>,
    /// Polls (outermost enter -> exit pairs; the console counts the last, dropping one too).
    pub polls: u64,
    /// Time inside polls, a poll still running at the end included (as the console shows it).
    pub busy: Ns,
    /// tokio-console's scheduled time: over polls, poll start - max(last wake, previous poll
    /// end), plus the wait of a wake still unanswered at the end.
    pub scheduled: Ns,
    /// Lifetime (to the close, or to the end of the recording) - busy - scheduled.
    pub idle: Ns,
    pub first_poll: Option<Ns>,
    /// How long the first poll ran (to the end of the recording when it never ended).
    pub first_poll_duration: Option<Ns>,
    pub max_poll: Ns,
    pub wakes: u64,
    pub self_wakes: u64,
    pub waker_clones: u64,
    /// Waker drops, wakes by value included (they consume their waker), as the console counts
    /// them: live wakers = clones - drops.
    pub waker_drops: u64,
    pub last_wake: Option<Ns>,
    /// Being polled when the recording ended.
    pub running: bool,
    /// Woken (or never polled yet) and not polled since, when the recording ended.
    pub woken: bool,
    /// Polls at or over the retention floor ([`Retention::floor`]): (start, end).
    pub long_polls: Vec<(Ns, Ns)>,
    /// Waits for a poll of [`Retention::min_wait`] or more that began while another task was
    /// in a poll at or over the retention floor (or in any poll still running): (ready, poll
    /// start), where ready is the first wake after the previous poll ended (that end, for a
    /// wake that came during the poll), or the spawn for the first poll.
    pub delays: Vec<(Ns, Ns)>,
    /// Idle stretches (poll end -> the wake that ended them) of [`Retention::min_wait`] or more
    /// whose wake came within [`Retention::wake_window`] after another task's poll at or over
    /// the floor ended, or while such polls were open on every worker: timers and sockets are
    /// only serviced when a worker is free, so a runtime whose workers are all in long polls
    /// wakes its tasks late (the analysis decides).
    pub idle_gaps: Vec<(Ns, Ns)>,
    /// Live captures only (they hold snapshots, not every poll): the snapshots of an async
    /// application task whose last poll, or the mean of the polls before it since the
    /// previous snapshot, reached the retention floor.
    pub snapshot_polls: SnapshotList,
    pub size_bytes: Option<u64>,
    pub original_size_bytes: Option<u64>,
}

impl TaskRecord {
    /// Live wakers, as the console computes them.
    pub fn waker_count(&self) -> u64 {
        self.waker_clones.saturating_sub(self.waker_drops)
    }

    /// `blocking` and `block_on` tasks, which the console's lints leave out.
    pub fn is_blocking(&self) -> bool {
        matches!(self.kind.as_str(), "blocking" | "block_on")
    }

    /// An async task of the application (`task`, `local`): its polls hold a worker.
    pub fn is_async_app(&self) -> bool {
        self.role == TaskRole::App && !self.is_blocking()
    }

    /// Self-wakes as a whole percentage of wakes, rounded down (0 without wakes), as the console
    /// computes it.
    pub fn self_wake_percent(&self) -> u64 {
        (self.self_wakes.saturating_mul(100))
            .checked_div(self.wakes)
            .unwrap_or(0)
    }

    /// Shifts every time by `-by` (the builder rebases traces so the earliest time is 0).
    pub fn rebase(&mut self, by: Ns) {
        self.spawned -= by;
        for t in [&mut self.closed, &mut self.first_poll, &mut self.last_wake]
            .into_iter()
            .flatten()
        {
            *t -= by;
        }
        for p in self
            .long_polls
            .iter_mut()
            .chain(self.delays.iter_mut())
            .chain(self.idle_gaps.iter_mut())
            .chain(self.snapshot_polls.iter_mut().map(|p| &mut p.last))
        {
            p.0 -= by;
            p.1 -= by;
        }
    }
}

/// A task's [`SnapshotPolls`]: empty for every task of a recording, so it takes one word
/// there (a recording keeps many task records whole).
// One pointer when empty (a Vec is three words): the box is the point.
#[allow(clippy::box_collection)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotList(Option<Box<Vec<SnapshotPolls>>>);

impl SnapshotList {
    pub fn push(&mut self, p: SnapshotPolls) {
        self.0.get_or_insert_with(Box::default).push(p);
    }

    pub fn clear(&mut self) {
        self.0 = None;
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut SnapshotPolls> {
        self.0.iter_mut().flat_map(|v| v.iter_mut())
    }
}

impl From<Vec<SnapshotPolls>> for SnapshotList {
    fn from(v: Vec<SnapshotPolls>) -> Self {
        SnapshotList((!v.is_empty()).then(|| Box::new(v)))
    }
}

impl std::ops::Deref for SnapshotList {
    type Target = [SnapshotPolls];

    fn deref(&self) -> &[SnapshotPolls] {
        self.0.as_deref().map_or(&[], |v| v.as_slice())
    }
}

/// What one snapshot of a live capture says of a task's polls since the previous snapshot: the
/// last exactly, the others only by their number and busy time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPolls {
    /// The last poll: (start, end).
    pub last: (Ns, Ns),
    /// The polls before it since the previous snapshot, and their busy time in all.
    pub others: u64,
    pub others_busy: Ns,
}

impl SnapshotPolls {
    pub fn last_len(&self) -> Ns {
        self.last.1 - self.last.0
    }

    /// The mean length of the other polls: one of them lasted at least this long (0 without
    /// others).
    pub fn others_mean(&self) -> Ns {
        match i64::try_from(self.others) {
            Ok(n) if n > 0 => self.others_busy / n,
            _ => 0,
        }
    }

    /// Polls known to have lasted `floor` or more: the last, and one of the others.
    pub fn at_least(&self, floor: Ns) -> usize {
        usize::from(self.last_len() >= floor) + usize::from(self.others_mean() >= floor)
    }
}

/// The tasks of one group, summed. A group is the tasks sharing what identifies their code,
/// [`TaskTotals::site`], and kind and role.
#[derive(Debug, Clone, Default)]
pub struct TaskTotals {
    /// `task.name` when set, else the spawn location when recorded (`file:line:col`), else the
    /// closure type of a blocking task (`fn`), else the kind (`task` for an unnamed async task:
    /// the recording cannot tell unnamed tasks apart). See `ingest::console::classify_task`.
    pub site: String,
    pub kind: String,
    pub role: TaskRole,
    pub tasks: u64,
    /// Tasks whose close was recorded.
    pub completed: u64,
    /// Tasks polled at least once.
    pub polled: u64,
    pub polls: u64,
    pub busy: Ns,
    pub scheduled: Ns,
    pub idle: Ns,
    pub max_poll: Ns,
    /// Polls at or over the retention floor.
    pub long_polls: u64,
    /// Spawn to first poll, summed over polled tasks, and the longest.
    pub first_poll_delay: Ns,
    pub max_first_poll_delay: Ns,
    pub wakes: u64,
    pub self_wakes: u64,
    pub max_size_bytes: Option<u64>,
    /// Tasks whose future is [`Retention::large_future_bytes`] or more.
    pub large_futures: u64,
    /// Tasks whose future tokio boxed for its size (`original_size.bytes` differs from
    /// `size.bytes`).
    pub auto_boxed: u64,
    /// `site` is the endpoint these tasks served, from a join with a log of the same run.
    pub joined: bool,
}

impl TaskTotals {
    /// Adds one task, kept as `r` says.
    pub fn add(&mut self, t: &TaskRecord, r: &Retention) {
        self.tasks += 1;
        self.completed += u64::from(t.closed.is_some());
        // Saturating: times near the ends of the clock (a garbled recording) must not overflow.
        self.polls = self.polls.saturating_add(t.polls);
        self.busy = self.busy.saturating_add(t.busy);
        self.scheduled = self.scheduled.saturating_add(t.scheduled);
        self.idle = self.idle.saturating_add(t.idle);
        self.max_poll = self.max_poll.max(t.max_poll);
        self.long_polls += t.long_polls.len() as u64;
        for p in t.snapshot_polls.iter() {
            self.long_polls += p.at_least(r.floor) as u64;
        }
        if let Some(first) = t.first_poll {
            let delay = (first - t.spawned).max(0);
            self.polled += 1;
            self.first_poll_delay = self.first_poll_delay.saturating_add(delay);
            self.max_first_poll_delay = self.max_first_poll_delay.max(delay);
        }
        self.wakes += t.wakes;
        self.self_wakes += t.self_wakes;
        if let Some(size) = t.size_bytes {
            self.max_size_bytes = Some(self.max_size_bytes.map_or(size, |m| m.max(size)));
            self.large_futures += u64::from(size >= r.large_future_bytes);
            self.auto_boxed += u64::from(t.original_size_bytes.is_some_and(|orig| orig != size));
        }
    }
}
