//! Async runtime tasks as a runtime's own instrumentation records them (tokio-console
//! recordings): per-task poll statistics, computed while the file is read.
//!
//! Memory follows the tasks alive at once, not the length of the recording: every task is
//! summed into its group's [`TaskTotals`] when it closes, and only tasks that need individual
//! attention are kept whole as [`TaskRecord`]s (see [`TaskData::records`]).

use super::Ns;

/// tokio-console's `large-future` threshold (its default `--warn` setting): futures of this many
/// bytes or more.
pub const LARGE_FUTURE_BYTES: u64 = 1024;

/// tokio-console's `never-yielded` threshold (its default): a first poll running this long.
pub const NEVER_YIELDED: Ns = 1_000_000_000;

/// A task woken this soon after a long poll ended (a worker came free) may have been held idle
/// by it: its timer or socket was ready, but no worker was free to service the driver.
pub const HELD_IDLE_SLACK: Ns = 5_000_000;

/// tokio-console's `self-wakes` threshold (its default): self-wakes over this percentage of all
/// wakes (compared as a whole percentage, rounded down, as the console does).
pub const SELF_WAKE_PERCENT: u64 = 50;

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
    /// Tasks kept whole: those with a poll at or over [`TaskData::long_poll_floor`], with a
    /// wait or an idle stretch that a long poll may have caused (see [`TaskRecord::delays`]
    /// and [`TaskRecord::idle_gaps`]), that
    /// woke themselves for most of their wakes, that are runtime machinery, or that were still
    /// alive when the recording ended. In spawn order.
    pub records: Vec<TaskRecord>,
    /// Every task (those in `records` included), summed per group, in first-spawn order.
    pub totals: Vec<TaskTotals>,
    /// Long polls and the delays and idle stretches under them were kept from this duration on
    /// (the stall threshold the reader was given).
    pub long_poll_floor: Ns,
    /// Most polls of async application tasks seen in progress at once: a floor for the number
    /// of worker threads when the recording does not name them.
    pub max_concurrent_polls: usize,
    /// Spans that were entered or closed but never spawned: resources and async ops.
    pub other_spans: u64,
    /// How the tasks were joined to the requests of a log of the same run, when one was given:
    /// joined tasks are grouped under the endpoint they served (see
    /// [`JoinIndex`](super::JoinIndex)).
    pub join: Option<super::JoinSummary>,
}

impl TaskData {
    /// No task was recorded.
    pub fn is_empty(&self) -> bool {
        self.totals.is_empty()
    }
}

/// One task kept whole. Times are on the trace's time line.
#[derive(Debug, Clone, Default)]
pub struct TaskRecord {
    /// The tracing span id of the task in the recording (ids are reused after a close).
    pub span_id: u64,
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
    /// Polls at or over the floor: (start, end).
    pub long_polls: Vec<(Ns, Ns)>,
    /// Waits for a poll of 1 ms or more (or the floor, if lower) that began while another
    /// task was in a long poll: (ready, poll start), where ready is the first wake after the
    /// previous poll ended (that end, for a wake that came during the poll), or the spawn for
    /// the first poll.
    pub delays: Vec<(Ns, Ns)>,
    /// Idle stretches (poll end -> the wake that ended them) of 1 ms or more whose wake came
    /// within [`HELD_IDLE_SLACK`] after another task's long poll ended: timers and sockets are
    /// only serviced when a worker is free, so a runtime whose workers are all in long polls
    /// wakes its tasks late.
    pub idle_gaps: Vec<(Ns, Ns)>,
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
        {
            p.0 -= by;
            p.1 -= by;
        }
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
    /// Polls at or over the floor.
    pub long_polls: u64,
    /// Spawn to first poll, summed over polled tasks, and the longest.
    pub first_poll_delay: Ns,
    pub max_first_poll_delay: Ns,
    pub wakes: u64,
    pub self_wakes: u64,
    pub max_size_bytes: Option<u64>,
    /// Tasks whose future is [`LARGE_FUTURE_BYTES`] or more.
    pub large_futures: u64,
    /// Tasks whose future tokio boxed for its size (`original_size.bytes` differs from
    /// `size.bytes`).
    pub auto_boxed: u64,
    /// `site` is the endpoint these tasks served, from a join with a log of the same run.
    pub joined: bool,
}

impl TaskTotals {
    /// Adds one task.
    pub fn add(&mut self, t: &TaskRecord) {
        self.tasks += 1;
        self.completed += u64::from(t.closed.is_some());
        self.polls += t.polls;
        self.busy += t.busy;
        self.scheduled += t.scheduled;
        self.idle += t.idle;
        self.max_poll = self.max_poll.max(t.max_poll);
        self.long_polls += t.long_polls.len() as u64;
        if let Some(first) = t.first_poll {
            let delay = (first - t.spawned).max(0);
            self.polled += 1;
            self.first_poll_delay += delay;
            self.max_first_poll_delay = self.max_first_poll_delay.max(delay);
        }
        self.wakes += t.wakes;
        self.self_wakes += t.self_wakes;
        if let Some(size) = t.size_bytes {
            self.max_size_bytes = Some(self.max_size_bytes.map_or(size, |m| m.max(size)));
            self.large_futures += u64::from(size >= LARGE_FUTURE_BYTES);
            self.auto_boxed += u64::from(t.original_size_bytes.is_some_and(|orig| orig != size));
        }
    }
}
