//! The report model: what `--format json` serializes (schema v2, documented key by key in
//! the README and in `schema/report-v2.json`). The table and Markdown renderers read it too.

use super::rows::Row;
use crate::analyze::{Pattern, Unit, Verdict};
use serde::Serialize;

/// Bumped on any incompatible change to the JSON output.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub settings: Settings,
    pub inputs: Vec<InputOut>,
    pub verdicts: Vec<VerdictOut>,
    pub fast_endpoints: Vec<FastOut>,
    /// Span traces without requests: root spans per name, most frequent first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub long_spans: Vec<RootSpansOut>,
    pub stalls: Vec<StallOut>,
    pub episodes: Vec<EpisodeOut>,
    /// Victims of all stall episodes, per unit.
    pub victims: VictimsOut,
    pub threads: Vec<ThreadOut>,
    /// Browser traces: main-frame navigations with LCP and its subparts.
    pub navigations: Vec<super::browser::NavigationOut>,
    /// Browser traces: requests the browser made, with DevTools' server-response wait.
    pub network: Vec<super::browser::NetworkOut>,
    /// Browser traces: tasks over 50 ms on renderer main threads.
    pub long_tasks: Vec<super::browser::LongTaskOut>,
    /// Browser traces: per renderer main thread, DevTools' long-task figures.
    pub main_threads: Vec<super::browser::MainThreadOut>,
    /// tokio-console recordings: tasks grouped by spawn location (or task name / closure).
    pub tasks: Vec<TaskGroupOut>,
    /// tokio-console's own warnings, reproduced offline.
    pub console_warnings: Vec<ConsoleWarningOut>,
    /// tokio-console recordings joined to logs of the same run.
    pub joins: Vec<crate::model::JoinSummary>,
    /// tokio-console recordings: the tasks their stalls delayed or held idle.
    pub task_victims: Vec<TaskVictimsOut>,
    /// A browser input joined to a server input of the same run: one entry per page load.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub page_loads: Vec<super::page::PageLoadOut>,
    /// A browser input joined to a server input: the matching figures and matched requests.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub page_joins: Vec<super::page::PageJoinOut>,
    pub advice: Vec<String>,
    pub notes: Vec<String>,
}

/// One of tokio-console's warnings, for the tasks of one group.
#[derive(Debug, Clone, Serialize)]
pub struct ConsoleWarningOut {
    /// tokio-console's name for the lint (`never-yielded`, `self-wakes`, ...).
    pub lint: &'static str,
    pub site: String,
    pub kind: String,
    /// Tasks of the group it fires for.
    pub tasks: usize,
    /// One of them, by tokio's task id.
    pub task_id: Option<String>,
    pub detail: String,
}

/// The victims of one recording's stalls.
#[derive(Debug, Clone, Serialize)]
pub struct TaskVictimsOut {
    pub input: String,
    /// Distinct tasks woken or spawned during an episode that waited 1 ms or more for a poll.
    pub delayed_tasks: usize,
    /// (task, episode) pairs: a task delayed in two episodes counts twice.
    pub delays: usize,
    /// Over those pairs, each with the task's longest wait in the episode.
    pub total_delay_ms: f64,
    pub max_delay_ms: f64,
    /// Distinct tasks held idle while every worker was in a long poll.
    pub held_idle_tasks: usize,
    /// (task, episode) pairs held idle.
    pub held_idle: usize,
    pub max_held_idle_ms: f64,
}

/// A group of runtime tasks (tokio-console recordings and captures).
#[derive(Debug, Clone, Serialize)]
pub struct TaskGroupOut {
    /// Spawn location, task name or closure type; an endpoint when `joined_endpoint`.
    pub site: String,
    /// `site` is the endpoint these tasks served, joined from a log of the same run.
    pub joined_endpoint: bool,
    pub kind: String,
    pub tasks: usize,
    /// Tasks whose close was recorded (the others were alive at the end).
    pub completed: u64,
    pub polls: u64,
    pub busy_ms: f64,
    /// tokio-console's scheduled time: waits from wake to poll.
    pub scheduled_ms: f64,
    /// Lifetime not busy and not scheduled: awaiting something.
    pub idle_ms: f64,
    pub max_poll_ms: f64,
    pub mean_poll_us: f64,
    /// Longest wait from spawn to first poll.
    pub max_first_poll_delay_ms: f64,
    pub wakes: u64,
    pub self_wakes: u64,
    /// Polls at or over the stall threshold (async tasks only).
    pub long_polls: usize,
    /// Other tasks delayed while this group's long polls ran.
    pub victims: usize,
    pub max_delay_ms: f64,
    /// Those victims by their own group's site, most first.
    pub victim_sites: Vec<(String, usize)>,
    /// This group's own tasks that any group's long polls delayed, and the longest delay.
    pub delayed_here: usize,
    pub max_delay_here_ms: f64,
    /// This group's own tasks held idle while every worker was in a long poll, and the longest.
    pub held_idle_here: usize,
    pub max_held_idle_here_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Settings {
    pub slow_ms: f64,
    pub stall_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct InputOut {
    pub path: String,
    pub format: &'static str,
    pub gzip: bool,
    pub events: u64,
    pub skipped: u64,
    /// Spans read.
    pub spans: u64,
    pub requests: usize,
    /// Runtime tasks (tokio-console recordings and captures).
    pub tasks: u64,
    pub warnings: Vec<String>,
    /// Issue 11: the server model a trace of spans without polls shows; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_model: Option<ServerModelOut>,
}

/// Which server model an input shows, and what showed it.
#[derive(Debug, Serialize)]
pub struct ServerModelOut {
    pub model: crate::analyze::server_model::Model,
    /// One sentence per piece of evidence.
    pub evidence: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct VerdictOut {
    pub input: String,
    /// What the row judges: an endpoint, a task group, a renderer main thread.
    pub endpoint: String,
    /// Stable identity of the row across runs ([`fingerprint`]): the same endpoint judged by
    /// the same family in two traces has the same fingerprint, whatever its figures.
    pub fingerprint: String,
    pub pattern: Pattern,
    pub verdict: Verdict,
    /// What `count` counts.
    pub unit: Unit,
    pub count: usize,
    /// Requests judged (`null` when the row counts tasks or long tasks).
    pub requests: Option<usize>,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// Requests at or over `--slow`.
    pub slow_requests: usize,
    /// Median per request of the heavy work (CPU, or the blocking I/O call).
    pub heavy_ms_p50: f64,
    /// Median per request of time spent awaiting.
    pub wait_ms_p50: f64,
    pub max_poll_ms: Option<f64>,
    pub stalls: usize,
    pub longest_stall_ms: f64,
    /// Others this row's stalls delayed, and by how much at most.
    /// `None` where the input cannot show who waited (browser rows).
    pub victims: Option<RowVictimsOut>,
    pub event_loop_threads: usize,
    pub blocking_threads: usize,
    pub impact: Option<crate::analyze::Impact>,
    pub row: Row,
    pub evidence: Vec<String>,
    pub advice: Option<String>,
    /// Server rows: the endpoint's requests that behaved otherwise than `pattern` says.
    pub mixed: Vec<MixedOut>,
}

/// Requests of a row's endpoint that behaved otherwise than the row's pattern.
#[derive(Debug, Serialize)]
pub struct MixedOut {
    /// The pattern these requests alone would have had, and its verdict.
    pub pattern: Pattern,
    pub verdict: Verdict,
    pub requests: usize,
    pub heavy_ms_p50: f64,
    pub wait_ms_p50: f64,
    pub stalls: usize,
}

#[derive(Debug, Serialize)]
pub struct FastOut {
    pub input: String,
    pub endpoint: String,
    pub requests: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// The root spans of one name in an input without requests.
#[derive(Debug, Serialize)]
pub struct RootSpansOut {
    pub input: String,
    pub name: String,
    pub spans: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// Spans at or over `--slow`.
    pub slow_spans: usize,
    pub stalls: usize,
    pub longest_stall_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct StallOut {
    pub input: String,
    pub thread: Option<String>,
    pub start_ms: f64,
    pub duration_ms: f64,
    pub culprit: String,
    /// Where the stall was seen: `event-loop-poll`, `task-poll`, `inferred`, `browser-long-task`.
    pub source: &'static str,
    /// Requests in flight during the stall that it delayed.
    pub delayed_requests: u64,
    pub inferred: bool,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct EpisodeOut {
    pub input: String,
    pub start_ms: f64,
    pub duration_ms: f64,
    pub stalls: usize,
    pub max_workers_blocked: usize,
    pub event_loop_threads: usize,
    pub all_workers_blocked_ms: f64,
    pub culprits: Vec<String>,
    /// What the victims are: requests, or runtime tasks (console recordings).
    pub unit: Unit,
    /// Victims delayed, and the longest delay.
    pub delayed: u64,
    pub max_delay_ms: f64,
    /// Runtime tasks held idle while every worker was stalled, and the longest hold.
    pub held_idle: u64,
    pub max_held_idle_ms: f64,
}

#[derive(Debug, Serialize, Default)]
pub struct VictimsOut {
    /// Distinct requests delayed by stall episodes.
    pub delayed_requests: u64,
    /// Distinct runtime tasks delayed by stall episodes (console recordings).
    pub delayed_tasks: u64,
    pub episodes: usize,
    pub max_delay_ms: f64,
}

/// Who a row's stalls delayed.
#[derive(Debug, Serialize)]
pub struct RowVictimsOut {
    pub unit: Unit,
    pub delayed: usize,
    pub max_delay_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct ThreadOut {
    pub input: String,
    pub key: String,
    pub name: Option<String>,
    pub role: crate::model::ThreadRole,
    pub polls: u64,
    pub evidence: String,
}

/// The family a verdict row comes from, as its fingerprint names it.
pub fn family_name(detail: &crate::analyze::Detail) -> &'static str {
    use crate::analyze::Detail;
    match detail {
        Detail::Server(_) => "server",
        Detail::SlowResponse(_) => "slow-server-response",
        Detail::LongTasks(_) => "main-thread-long-tasks",
        Detail::Runtime(_) => "runtime-tasks",
    }
}

/// A verdict row's fingerprint: FNV-1a (64 bit) over `family`, `unit` and `subject` joined by
/// NUL bytes, written as 16 lowercase hex digits. Only the row's identity goes in: never a
/// figure, the pattern, the verdict or the input's path, so the same endpoint has the same
/// fingerprint in every run, in every input, and after a fix changed its verdict.
///
/// `fingerprint("server", "requests", "GET /report")` is `8b2d9e928a9a2bc7` (checked in
/// `report::tests`).
pub fn fingerprint(family: &str, unit: &str, subject: &str) -> String {
    let bytes = family
        .bytes()
        .chain([0])
        .chain(unit.bytes())
        .chain([0])
        .chain(subject.bytes());
    let h = bytes.fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{h:016x}")
}

/// The name a unit has in the JSON (`requests`, `tasks`, `long_tasks`).
pub fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Requests => "requests",
        Unit::Tasks => "tasks",
        Unit::LongTasks => "long_tasks",
    }
}
