//! What a browser trace holds beyond spans: the requests the browser made, its renderer main
//! threads with their top-level tasks and the work inside them, and its page navigations with
//! their largest contentful paint. Filled by a browser reader (`ingest::chrome`), judged by
//! `analyze::browser`.
//!
//! Readers keep facts only: every top-level task longer than [`TASK_FLOOR`] (a retention floor
//! for memory, below any rule analysis applies), never "long" or "short" tasks.

use super::{Ns, ThreadIdx};

/// Top-level main-thread tasks at most this long are counted but not kept (a 300 MB trace
/// holds millions of them). It is a retention floor for memory, not a verdict: it sits below
/// every task rule analysis applies (DevTools' 50 ms long-task rule), so analysis sees every
/// task it could judge.
pub const TASK_FLOOR: Ns = 10_000_000;

/// A network request as seen by a client (the browser).
#[derive(Debug, Clone, Default)]
pub struct NetworkRequest {
    /// The client's id for it (for a document, the id of the navigation it loads, so that
    /// [`Navigation::id`] finds it).
    pub request_id: String,
    pub url: String,
    pub method: String,
    pub status: Option<u16>,
    pub mime_type: Option<String>,
    pub start: Ns,
    pub end: Ns,
    /// Time from request sent to the first response byte (server processing + one round trip);
    /// `None` when the client recorded no timing for it (memory cache, `file:`, failures).
    pub server_wait: Option<Ns>,
    /// When the request was sent and when the first byte came back, when known.
    pub sent: Option<Ns>,
    pub first_byte: Option<Ns>,
    /// When the last byte arrived, by the client's own network timing (which can differ from
    /// `end`, when the client was told; Chrome calls it `finishTime`).
    pub finish_time: Option<Ns>,
    /// The main document of a navigation.
    pub is_document: bool,
    pub redirects: u32,
    /// `Server-Timing` response header entries: (name, duration).
    pub server_timing: Vec<(String, Ns)>,
    /// Ids its headers carry that a server's trace may carry too (`trace:<trace id>`,
    /// `request:<request id>`; see `ingest::http_ids`).
    pub ids: Vec<String>,
}

/// What a browser trace says beyond spans: its main threads' tasks and its navigations.
#[derive(Debug, Clone, Default)]
pub struct BrowserData {
    /// The trace comes from a browser (its processes or threads carry the browser's own
    /// names): its slices are the browser's work, judged by the main-thread task rules, not an
    /// async runtime's polls.
    pub is_browser: bool,
    pub main_threads: Vec<MainThread>,
    pub navigations: Vec<Navigation>,
}

/// A renderer main thread (an event loop by definition) and its top-level tasks.
#[derive(Debug, Clone, Default)]
pub struct MainThread {
    pub thread: ThreadIdx,
    pub pid: String,
    pub tid: String,
    /// Top-level tasks seen under the current task name (all of them, kept or not).
    pub run_tasks: u64,
    /// Top-level tasks longer than [`TASK_FLOOR`], in time order, none nested in another (a
    /// nested run loop's task is part of the one around it).
    pub tasks: Vec<MainThreadTask>,
    /// The same for tasks under the browser's older task names (before about 2019), which
    /// current tools do not count; kept apart.
    pub legacy_tasks: Vec<MainThreadTask>,
}

/// One top-level task on a main thread (Chrome: a `RunTask`).
#[derive(Debug, Clone, Default)]
pub struct MainThreadTask {
    /// The task's event name as the trace gives it.
    pub name: String,
    pub start: Ns,
    pub duration: Ns,
    /// What ran inside it.
    pub work: MainThreadWork,
}

/// The work inside one task, per kind: how much, its heaviest piece, and its heaviest script.
#[derive(Debug, Clone, Default)]
pub struct MainThreadWork {
    /// One entry per kind present, in [`BrowserWork`] order.
    pub kinds: Vec<WorkSummary>,
    /// The longest single piece of work (any kind) inside the task.
    pub heaviest: Option<HeaviestWork>,
    /// The longest script slice (`FunctionCall`, `EvaluateScript`, compile) inside the task.
    pub heaviest_script: Option<ScriptRun>,
}

/// What a browser main thread spends a task on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BrowserWork {
    Script,
    Layout,
    Style,
    Gc,
    ParseHtml,
}

/// Slices of one kind inside a task: `total` counts time once where slices nest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkSummary {
    pub kind: BrowserWork,
    pub count: u32,
    pub total: Ns,
    pub longest: Ns,
}

/// The heaviest piece of work inside a task.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaviestWork {
    /// The slice's event name (`FunctionCall`, `Layout`, `MajorGC`, ...).
    pub event: String,
    /// For a script long enough to be worth its source (see the reader), which one ran.
    pub source: Option<ScriptSource>,
    pub duration: Ns,
}

/// Which script and function ran (either may be empty when the trace does not say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptSource {
    pub url: String,
    pub function: String,
}

/// One script slice: which script and function ran, and for how long.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptRun {
    /// The slice's event name (`FunctionCall`, `EvaluateScript`, ...).
    pub event: String,
    pub url: String,
    pub function: String,
    pub start: Ns,
    pub duration: Ns,
}

/// A page navigation.
#[derive(Debug, Clone, Default)]
pub struct Navigation {
    pub id: String,
    pub url: String,
    pub start: Ns,
    pub main_frame: bool,
    /// The last largest-contentful-paint candidate of this navigation.
    pub lcp: Option<LcpCandidate>,
    /// When the browser fired `DOMContentLoaded` and `load`, after `start`, when the input says
    /// (a HAR page's `pageTimings.onContentLoad` and `onLoad`).
    pub dom_content_loaded: Option<Ns>,
    pub load: Option<Ns>,
}

/// A largest-contentful-paint candidate.
#[derive(Debug, Clone, Default)]
pub struct LcpCandidate {
    pub at: Ns,
    pub index: u64,
    /// `image` or `text`.
    pub kind: String,
    /// For an image, its URL (from the browser's matching image-paint record).
    pub image_url: Option<String>,
}
