//! What a detector concludes about one endpoint (or task group, or browser thread): a
//! [`Judgement`], typed, with times in nanoseconds and no prose. `report` turns each one into
//! one row of text and JSON; nothing else decides a verdict.
//!
//! Every family of inputs produces the same [`Judgement`] and carries what only it measured in
//! its [`Detail`] variant:
//!
//! | family | detector | detail |
//! |---|---|---|
//! | server spans (tracing logs, tracing-chrome) | `analyze` ([`super::Collector`]) | [`Detail::Server`] |
//! | browser traces (Chrome DevTools) | [`super::browser`] | [`Detail::SlowResponse`], [`Detail::LongTasks`] |
//! | runtime tasks (tokio-console recordings, captures) | [`super::runtime`] | [`Detail::Runtime`] |
//!
//! Adding a verdict: a [`Pattern`] (and, for a new family, a [`Detail`] variant) here, the rule
//! in the family's detector, and its row in `report`.

use super::requests::{IoShape, Placement, RequestWork};
use super::route::RouteOrigin;
use crate::model::Ns;
use serde::Serialize;

/// The verdict patterns (rows of the table in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    SyncIo,
    AsyncIo,
    AsyncCpu,
    SyncCpu,
    /// An async handler making a blocking I/O call on the event loop.
    AsyncBlockingIo,
    /// Seen from a browser: the server took long to send the first byte.
    SlowServerResponse,
    /// Seen from a browser: tasks over 50 ms on a renderer main thread.
    MainThreadLongTasks,
    Unknown,
}

impl Pattern {
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::SyncIo => "sync-io",
            Pattern::AsyncIo => "async-io",
            Pattern::AsyncCpu => "async-cpu",
            Pattern::SyncCpu => "sync-cpu",
            Pattern::AsyncBlockingIo => "async-blocking-io",
            Pattern::SlowServerResponse => "slow-server-response",
            Pattern::MainThreadLongTasks => "main-thread-long-tasks",
            Pattern::Unknown => "unknown",
        }
    }
}

/// How good a design is, most severe first (the order `--fail-on` and sorting use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Bad,
    Ok,
    Good,
    Unknown,
}

/// What a judgement's `count` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Server requests (request spans), or requests a browser made.
    Requests,
    /// Runtime tasks (tokio tasks of a console recording or capture).
    Tasks,
    /// Tasks on a browser main thread.
    LongTasks,
}

/// One verdict row.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// What is judged: an endpoint (`GET /report`), a task group, a renderer thread.
    pub subject: String,
    pub pattern: Pattern,
    pub verdict: Verdict,
    /// What [`Judgement::count`] counts.
    pub unit: Unit,
    pub count: usize,
    pub detail: Detail,
}

/// What one family measured for a judgement.
#[derive(Debug, Clone)]
pub enum Detail {
    Server(Box<ServerJudgement>),
    /// Slow server responses to one endpoint, seen from a browser.
    SlowResponse(Box<super::browser::SlowResponse>),
    /// Long tasks on one browser renderer main thread.
    LongTasks(Box<super::browser::LongTasks>),
    /// A group of runtime tasks.
    Runtime(Box<super::runtime::RuntimeJudgement>),
}

impl Judgement {
    /// The server detail, when this is a server row.
    pub fn server(&self) -> Option<&ServerJudgement> {
        match &self.detail {
            Detail::Server(s) => Some(s),
            _ => None,
        }
    }

    pub fn server_mut(&mut self) -> Option<&mut ServerJudgement> {
        match &mut self.detail {
            Detail::Server(s) => Some(s),
            _ => None,
        }
    }

    /// The runtime detail, when this is a runtime-task row.
    pub fn runtime(&self) -> Option<&super::runtime::RuntimeJudgement> {
        match &self.detail {
            Detail::Runtime(r) => Some(r),
            _ => None,
        }
    }

    pub fn runtime_mut(&mut self) -> Option<&mut super::runtime::RuntimeJudgement> {
        match &mut self.detail {
            Detail::Runtime(r) => Some(r),
            _ => None,
        }
    }
}

/// How concurrent, non-heavy requests fared while a group's heavy work ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Impact {
    /// Lighter requests (of any other group) that started while the heavy work ran.
    pub observers: usize,
    /// How much longer they took, on average, than the median of their endpoint's requests
    /// that started outside the heavy work.
    pub delay_ms: f64,
    /// Their mean extra time over the typical heavy poll: a sizeable fraction when what was
    /// queued waited for the work, about 0 when nothing did.
    pub stretch: f64,
    /// The stretch's two-standard-error band: how sure the figure is.
    pub stretch_low: f64,
    pub stretch_high: f64,
}

/// What settled where the work ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationBy {
    Threads,
    ChildWhileIdle,
    /// More of its heavy sections ran at once than the loop has workers.
    Concurrency,
    /// The threads its work spans were created and closed on (no polls recorded).
    CreationClose,
    /// Timing alone: what other requests did while its work ran ([`super::timing`]).
    Timing,
    Impact,
    NotNeeded,
    Unsettled,
}

/// A server endpoint's requests that share a kind of work: what was measured.
#[derive(Debug, Clone)]
pub struct ServerJudgement {
    pub kind: RequestWork,
    /// Indexes into [`Analysis::requests`](super::Analysis::requests).
    pub requests: Vec<usize>,
    /// Sorted durations of the requests.
    pub durations: Vec<Ns>,
    /// The input records when requests started and ended (false for a log without timestamps
    /// and without busy/idle times: every duration reads 0).
    pub durations_known: bool,
    /// Requests at or over `--slow`.
    pub slow: usize,
    /// Polls per request, summed over the requests (0 when polls were not recorded).
    pub polls: u64,
    pub loop_threads: usize,
    pub blocking_threads: usize,
    pub threads_known: bool,
    /// Its heavy work ran on threads the trace names, whatever their roles.
    pub threads_seen: bool,
    pub location_by: LocationBy,
    /// Median per request of the heavy work (CPU or blocking I/O) and of awaited time.
    pub heavy_p50: Ns,
    pub wait_p50: Ns,
    pub heavy_name: Option<String>,
    pub max_poll: Option<Ns>,
    pub impact: Option<Impact>,
    pub stalls: usize,
    pub longest_stall: Ns,
    /// Other requests this group's stalls delayed ([`Victim::SlowerThanHealthyMedian`](super::stalls::Victim)), and the longest delay.
    pub delays_caused: usize,
    pub max_delay: Ns,
    /// This group's own requests that stall episodes (of any endpoint) delayed.
    pub delays_suffered: usize,
    pub evidence: Vec<ServerEvidence>,
    /// The endpoint's requests that behaved otherwise than [`Judgement::pattern`] says.
    pub mixed: Vec<OtherBehaviour>,
}

impl ServerJudgement {
    pub fn percentile(&self, p: f64) -> Ns {
        super::stats::percentile(&self.durations, p)
    }
}

/// Why a server judgement came out as it did; `report` words each one.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvidence {
    /// A child span shaped like an I/O call (semantic conventions, kind, or name).
    IoCall(IoShape),
    /// Idle (awaiting) per request, and busy, as medians.
    Awaits { idle: Ns, busy: Ns },
    /// The I/O call was busy (blocking) per request, idle, as medians.
    BlockingIo { busy: Ns, idle: Ns },
    /// Busy outside I/O calls per request (median), in the named span.
    Cpu { busy: Ns, within: Option<String> },
    /// Only span creation and close were recorded.
    Unmeasured,
    /// The longest poll of an awaiting endpoint.
    LongestPoll(Ns),
    /// Where the heavy work ran, in how many requests, with one example.
    RanOffLoop {
        requests: usize,
        of: usize,
        example: Option<Placement>,
    },
    RanOnLoop {
        requests: usize,
        of: usize,
        example: Option<Placement>,
    },
    /// The effect of its work on lighter requests started while it ran.
    Impact { impact: Impact, poll: Ns },
    /// Where the work ran is not settled: too few observers, or an in-between stretch.
    /// What the trace already records decides what more could settle it.
    Unsettled {
        observers: usize,
        enough_observers: bool,
        stretch: f64,
        recorded: Recorded,
    },
    /// Its own requests delayed by stalls.
    DelaysSuffered(usize),
    /// Its polls at or over the stall threshold on event-loop threads.
    Stalls {
        count: usize,
        threshold: Ns,
        inferred: usize,
        longest: Ns,
    },
    /// Other requests its stalls delayed, and the longest delay.
    DelaysCaused { count: usize, max: Ns },
    /// Its route is not a template field of its requests: derived from their path, or stated
    /// by `--route`.
    Route(RouteOrigin),
    /// No polls, busy times nor threads: what timing alone showed ([`super::timing`]).
    Timing(super::timing::TimingEvidence),
    /// Some of the endpoint's requests behaved otherwise than the row's pattern says.
    AlsoBehaved(OtherBehaviour),
    /// Up to `at_once` of its heavy sections (each holding a thread throughout) ran at the
    /// same time, more than the loop's `workers`: they cannot all have run on the loop.
    MoreAtOnceThanWorkers {
        at_once: usize,
        workers: usize,
        from: WorkersFrom,
    },
}

/// Where the number of event-loop workers came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkersFrom {
    /// Threads the trace shows interleaving requests.
    Threads,
    /// `--workers`.
    Option,
}

/// Requests of an endpoint that behaved otherwise than its row's pattern: the row shows the
/// worse pattern (or, with no stall either way, the more common one) and counts these.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherBehaviour {
    pub kind: RequestWork,
    /// The pattern these requests alone would have had, and its verdict.
    pub pattern: Pattern,
    pub verdict: Verdict,
    pub requests: usize,
    /// Of the endpoint's requests in all.
    pub of: usize,
    /// Medians per request of their heavy work and of their awaited time.
    pub heavy_p50: Ns,
    pub wait_p50: Ns,
    pub stalls: usize,
}

/// What an input records of its requests' executions: advice never asks for what it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recorded {
    /// Executions (polls: ENTER/EXIT events, complete slices).
    pub polls: bool,
    /// Executions placed on threads.
    pub thread_ids: bool,
}

/// A note about a whole input: what the figures rest on and what they cannot tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// Spans were read but none is a request span: `named` is `--request-span` when it was
    /// given, `roots` the most frequent root span names with their counts (at most 3).
    NoRequestSpans {
        spans: u64,
        named: Option<String>,
        roots: Vec<(String, usize)>,
    },
    /// No ENTER/EXIT events: polls cannot be seen, stalls are inferred from busy time.
    NoPolls,
    /// No timestamps, no polls, no busy time (`without_time()` drops all three): requests and
    /// endpoints only, no duration.
    NothingTimed,
    /// Requests with a start and an end but no poll, busy or idle time (tower-http's events
    /// without span events; tracing-chrome's async style with no thread to tell from).
    OnlyStartEnd,
    /// Polls without thread ids.
    NoThreadIds,
    /// No polls, but span creation and close carry thread ids: `workers` threads created
    /// interleaved requests, `blocking` ran work spans one at a time ([`super::lifecycle`]).
    CreationCloseThreads { workers: usize, blocking: usize },
    /// Endpoints whose requests all overlapped a stall: no healthy baseline.
    NoBaseline(Vec<String>),
    /// Spans the trace never closed (ENTER/EXIT without CLOSE): each ends at its last exit.
    EndedAtLastExit { spans: u64 },
    /// No polls, busy times nor threads: `requests` requests were judged from timing alone,
    /// their child spans and what other requests did meanwhile ([`super::timing`]).
    TimingAlone { requests: usize },
}

/// An endpoint with nothing heavy to judge.
#[derive(Debug, Clone)]
pub struct FastEndpoint {
    pub endpoint: String,
    pub requests: usize,
    pub p50: Ns,
    pub p95: Ns,
}

/// The root spans of one name, in a trace without requests: what a batch job or a game loop
/// is reported by instead of endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootSpans {
    pub name: String,
    pub spans: usize,
    pub p50: Ns,
    pub p95: Ns,
    pub max: Ns,
    /// Spans at or over `--slow`.
    pub slow: usize,
    /// Stalls in spans of this name (polls at or over `--stall` on event-loop threads), and
    /// the longest.
    pub stalls: usize,
    pub longest_stall: Ns,
}
