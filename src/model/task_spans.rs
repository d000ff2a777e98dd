//! tokio's own task spans, as the builder treats them.
//!
//! An app built with `--cfg tokio_unstable` and tokio's `tracing` feature (every
//! console-subscriber user's build) wraps every task in a span (`tokio/src/util/trace.rs`):
//!
//! | | spawned task, `block_on`, local task | `spawn_blocking` |
//! |---|---|---|
//! | name | `runtime.spawn` | `runtime.spawn` |
//! | target | `tokio::task` | `tokio::task::blocking` |
//! | `kind` | `task`, `block_on`, `local` | `blocking` |
//! | parent | none (`parent: None` since tokio 1.35, PR #6158; before, the span current at spawn) | the span current at spawn |
//! | other fields | `task.name` (empty when unnamed), `task.id`, `loc.file`, `loc.line`, `loc.col`, `size.bytes` | the same, and `fn` |
//!
//! Every poll of a task enters its span, so in a trace they are the *execution units*, never
//! requests or endpoints. The request a task serves is the first span entered inside it; and a
//! multi-thread runtime's workers are themselves blocking tasks whose span stays entered for the
//! whole run, with every task poll of that worker inside it:
//!
//! ```text
//! worker thread:  [runtime.spawn kind=blocking (the worker's run loop) ..........................]
//!                    [runtime.spawn kind=task [http.request [db]]]   [runtime.spawn kind=task [..]]
//!                    |<────── one poll, of http.request ──────>|    |<──── the next poll ────>|
//! ```
//!
//! So the builder ([`TraceBuilder`](super::TraceBuilder)):
//! * never makes a task span the tree parent of a span opened inside it: that span hangs under
//!   the span the task was spawned from when the format says (a `spawn_blocking` inside a
//!   request), else it is a root. A task span itself is always a root. (A connection task lives
//!   across all the requests of a keep-alive connection: as a parent it would make them one tree
//!   that never closes.)
//! * starts a new execution at every enter of a task span, attributed to the first non-task span
//!   entered inside it, or to the task when there is none; a span that hosts task polls (a
//!   worker's run loop) makes no execution of its own: its time outside them is the scheduler's
//!   (parked, or in tokio's own code);
//! * counts per thread the task kinds it polled and closed ([`TaskKindCounts`]), which tell
//!   workers, blocking-pool threads and the `block_on` thread apart
//!   (`analyze::threads`).

use super::{FieldValue, Interner, Span, Sym, Trace};

/// The name of tokio's task spans.
pub const TASK_SPAN_NAME: &str = "runtime.spawn";

/// What a tokio task span wraps: its `kind` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    /// A spawned task (`tokio::spawn`), polled by the runtime's workers.
    Task,
    /// A `LocalSet` task (`spawn_local`), polled by the thread that drives the set.
    Local,
    /// A `spawn_blocking` closure, run on a blocking-pool thread (also each worker's run loop of
    /// a multi-thread runtime).
    Blocking,
    /// The future passed to `Runtime::block_on`, polled by the thread that called it.
    BlockOn,
    /// A span of tokio's task target without a `kind` (a trace written without span fields,
    /// like tracing-chrome's default): a task, of a kind the trace does not say.
    Unrecorded,
}

impl TaskKind {
    /// The kind from the text of a `kind` field (tracing-chrome writes Debug text: quotes are
    /// allowed).
    pub fn parse(value: &str) -> Option<TaskKind> {
        match value.trim_matches('"') {
            "task" => Some(TaskKind::Task),
            "local" => Some(TaskKind::Local),
            "blocking" => Some(TaskKind::Blocking),
            "block_on" => Some(TaskKind::BlockOn),
            _ => None,
        }
    }
}

/// How many tokio task spans of each kind a thread polled (entered) or closed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskKindCounts {
    pub task: u64,
    pub local: u64,
    pub blocking: u64,
    pub block_on: u64,
    /// Task spans without a `kind` ([`TaskKind::Unrecorded`]).
    pub unrecorded: u64,
}

impl TaskKindCounts {
    pub fn add(&mut self, kind: TaskKind) {
        let n = match kind {
            TaskKind::Task => &mut self.task,
            TaskKind::Local => &mut self.local,
            TaskKind::Blocking => &mut self.blocking,
            TaskKind::BlockOn => &mut self.block_on,
            TaskKind::Unrecorded => &mut self.unrecorded,
        };
        *n += 1;
    }

    pub fn total(&self) -> u64 {
        self.task + self.local + self.blocking + self.block_on + self.unrecorded
    }

    /// Tasks the runtime schedules (spawned and local ones): what a worker polls.
    pub fn scheduled(&self) -> u64 {
        self.task + self.local
    }
}

/// The kind of tokio task a span is, when it is one: named `runtime.spawn` with a target of
/// `tokio::task` (or `tokio::task::blocking`), or with no target (formats that do not carry
/// one) and a `kind` tokio writes. The name alone proves nothing: an app may call a span of its
/// own `runtime.spawn`.
pub fn task_kind(
    strings: &Interner,
    name: Sym,
    target: Option<Sym>,
    fields: &[(Sym, FieldValue)],
) -> Option<TaskKind> {
    if strings.resolve(name) != TASK_SPAN_NAME {
        return None;
    }
    let tokio_target = match target.map(|t| strings.resolve(t)) {
        Some(t) if t == "tokio::task" || t.starts_with("tokio::task::") => Some(t),
        Some(_) => return None,
        None => None,
    };
    let kind = strings.get("kind").and_then(|key| {
        fields
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| TaskKind::parse(v))
    });
    match (kind, tokio_target) {
        (Some(k), _) => Some(k),
        (None, Some("tokio::task::blocking")) => Some(TaskKind::Blocking),
        (None, Some(_)) => Some(TaskKind::Unrecorded),
        (None, None) => None,
    }
}

/// What a task span is called where a span name would be shown (a stall's culprit): its
/// `task.name` when it has one, else where it was spawned (`src/main.rs:93:5`), else the span's
/// name.
pub fn task_label(trace: &Trace, span: &Span) -> String {
    let field = |k: &str| {
        trace
            .field(span, k)
            .map(|v| v.trim_matches('"'))
            .filter(|v| !v.is_empty())
    };
    if let Some(name) = field("task.name") {
        return name.to_string();
    }
    match (field("loc.file"), field("loc.line"), field("loc.col")) {
        (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
        (Some(f), Some(l), None) => format!("{f}:{l}"),
        _ => trace.name(span).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(strings: &mut Interner, kv: &[(&str, &str)]) -> Vec<(Sym, FieldValue)> {
        kv.iter()
            .map(|(k, v)| (strings.intern(k), (*v).into()))
            .collect()
    }

    #[test]
    fn a_task_span_needs_its_name_its_kind_and_a_tokio_target_or_none() {
        let mut s = Interner::default();
        let name = s.intern("runtime.spawn");
        let other = s.intern("work");
        let tokio = s.intern("tokio::task");
        let blocking = s.intern("tokio::task::blocking");
        let app = s.intern("my_app");
        let task = fields(&mut s, &[("kind", "task"), ("task.id", "7")]);
        let quoted = fields(&mut s, &[("kind", "\"blocking\"")]);
        assert_eq!(
            task_kind(&s, name, Some(tokio), &task),
            Some(TaskKind::Task)
        );
        assert_eq!(task_kind(&s, name, None, &task), Some(TaskKind::Task));
        assert_eq!(
            task_kind(&s, name, Some(blocking), &quoted),
            Some(TaskKind::Blocking)
        );
        assert_eq!(task_kind(&s, name, Some(app), &task), None, "not tokio's");
        assert_eq!(task_kind(&s, other, Some(tokio), &task), None);
        // Without fields (tracing-chrome without `include_args`), the target says it.
        assert_eq!(
            task_kind(&s, name, Some(tokio), &[]),
            Some(TaskKind::Unrecorded)
        );
        assert_eq!(
            task_kind(&s, name, Some(blocking), &[]),
            Some(TaskKind::Blocking)
        );
        assert_eq!(task_kind(&s, name, None, &[]), None, "nothing says tokio");
        let odd = fields(&mut s, &[("kind", "thread")]);
        assert_eq!(task_kind(&s, name, None, &odd), None);
    }

    #[test]
    fn a_task_is_labelled_by_its_name_else_where_it_was_spawned() {
        let mut b = super::super::TraceBuilder::new();
        let n = b.intern("runtime.spawn");
        let kv = |b: &mut super::super::TraceBuilder, kv: &[(&str, &str)]| {
            kv.iter()
                .map(|(k, v)| (b.intern(k), FieldValue::from(*v)))
                .collect::<Vec<_>>()
        };
        let named = kv(&mut b, &[("kind", "task"), ("task.name", "/report")]);
        let unnamed = kv(
            &mut b,
            &[
                ("kind", "task"),
                ("task.name", ""),
                ("loc.file", "src/main.rs"),
                ("loc.line", "93"),
                ("loc.col", "5"),
            ],
        );
        let bare = kv(&mut b, &[("kind", "task")]);
        let a = b.open_span(n, None, None, 0, named);
        let c = b.open_span(n, None, None, 0, unnamed);
        let d = b.open_span(n, None, None, 0, bare);
        let t = b.finish();
        assert_eq!(task_label(&t, t.span(a)), "/report");
        assert_eq!(task_label(&t, t.span(c)), "src/main.rs:93:5");
        assert_eq!(task_label(&t, t.span(d)), "runtime.spawn");
    }
}
