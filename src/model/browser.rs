//! What runs inside a browser task (a renderer main thread's `RunTask`): the work per kind, and
//! the heaviest script with its source. Filled by the Chrome reader, read by
//! `analyze::browser`.

use super::Ns;

/// The work inside one task, per kind: how much, and the heaviest script with its source.
#[derive(Debug, Clone, Default)]
pub struct TaskWork {
    /// One entry per kind present, in [`WorkKind`] order.
    pub kinds: Vec<WorkSummary>,
    /// The longest script slice (`FunctionCall`, `EvaluateScript`, compile) inside the task.
    pub heaviest_script: Option<ScriptRun>,
}

/// What a browser main thread spends a task on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkKind {
    Script,
    Layout,
    Style,
    Gc,
    ParseHtml,
}

/// Slices of one kind inside a task: `total` counts time once where slices nest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkSummary {
    pub kind: WorkKind,
    pub count: u32,
    pub total: Ns,
    pub longest: Ns,
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
