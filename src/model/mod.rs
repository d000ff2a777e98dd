//! The one small model every input format becomes, and the words stallscope uses for it.
//!
//! Ingest modules know file formats and nothing else; they feed a [`TraceBuilder`], which turns
//! span lifecycle callbacks (open, enter, exit, close) into this model. Detectors in `analyze`
//! read only this model, so a new input format never needs a change there.
//!
//! Times are integer nanoseconds ([`Ns`]) from the trace start (the earliest time seen), with the
//! wall-clock origin kept separately when the format has one.
//!
//! # Glossary
//!
//! These words mean one thing each, in code, in user text, in the README and in the JSON.
//!
//! | word | meaning | in code |
//! |---|---|---|
//! | trace | one input, read into this model | [`Trace`] |
//! | thread | an OS thread, or a thread-like lane of a format (Chrome's `pid:tid`) | [`Thread`] |
//! | worker | a thread that runs an event loop (a tokio worker, a browser main thread) | [`ThreadRole::EventLoop`] |
//! | span | a named interval with fields, a parent, and busy/idle time | [`Span`] |
//! | execution | one uninterrupted run of a span tree on a thread; user text calls it a *poll* for async runtimes | [`Execution`] |
//! | request | a span that is a server request (HTTP fields, `otel.kind=server`, or `--request-span`) | `analyze::requests::Request` |
//! | endpoint | a request's method and route: what a server verdict row judges | `Judgement::subject` |
//! | task | a runtime task (a tokio task of a console recording or capture, or of tokio's own `runtime.spawn` spans in a log); never a browser task, never a request | `TaskRecord`, [`TaskKind`] |
//! | block_on thread | the thread that called a runtime's `block_on`: it polls that one future, not the runtime's tasks; not a worker | [`ThreadRole::BlockOn`] |
//! | main-thread task | a top-level task on a browser main thread (Chrome's `RunTask`) | [`MainThreadTask`] |
//! | long task | a main-thread task over 50 ms (DevTools' rule): the browser's stall | `StallSource::BrowserLongTask` |
//! | stall | an execution that held a worker at or over the stall threshold (`--stall`); where it was seen is its source | `analyze::Stall` |
//! | episode | stalls that overlap or touch, with how many workers they held at once | `analyze::Episode` |
//! | victim | who paid for a stall: *delayed* (a request slower than its endpoint's healthy median, or a task that waited for a worker) or *held idle* (a task nobody woke while every worker was stalled) | `analyze::Victim` |
//! | judgement | one verdict row: a pattern, a verdict, what it counts (its unit) and its evidence | `analyze::Judgement` |
//! | pattern | how the work is built: `sync-io`, `async-io`, `async-cpu`, `sync-cpu`, ... | `analyze::Pattern` |
//! | verdict | how good that is: bad, ok, good, unknown | `analyze::Verdict` |
//! | unit | what a count counts: requests, tasks or long tasks | `analyze::Unit` |
//! | evidence | why a judgement came out as it did (typed; worded by `report`) | `analyze::ServerEvidence`, `analyze::runtime::RuntimeRow` |
//! | note | what an input's figures rest on and cannot tell | `analyze::Note`, `analyze::runtime::RuntimeNote` |
//! | retention floor | what a reader keeps one by one for memory, handed in by its caller (never a verdict threshold) | [`Retention`] |
//! | join | naming a recording's tasks by the endpoints of a log of the same run, by time | `analyze::join` |
//! | input stats | what reading an input counted: events, skipped records, warnings | `ingest::InputStats` |

mod browser;
mod builder;
mod task_spans;
mod tasks;

pub use browser::{
    BrowserData, BrowserWork, HeaviestWork, LcpCandidate, MainThread, MainThreadTask,
    MainThreadWork, Navigation, NetworkRequest, ScriptRun, ScriptSource, TASK_FLOOR, WorkSummary,
};
pub use builder::{TraceBuilder, Tree, TreeSink};
pub use task_spans::{TASK_SPAN_NAME, TaskKind, TaskKindCounts, task_kind, task_label};
pub use tasks::{
    JoinSummary, Retention, SnapshotPolls, TaskData, TaskRecord, TaskRole, TaskTotals,
};

/// Deepest span nesting followed; deeper chains are cut there.
pub const MAX_DEPTH: usize = 4096;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;

/// Nanoseconds from the start of the trace.
pub type Ns = i64;

/// Index into [`Trace::threads`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ThreadIdx(pub u32);

/// Index into [`Trace::spans`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanIdx(pub u32);

/// An interned string (span names, field keys, targets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// A small string interner; names and field keys repeat millions of times in big traces.
#[derive(Debug, Default)]
pub struct Interner {
    map: HashMap<Box<str>, Sym>,
    strings: Vec<Box<str>>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&sym) = self.map.get(s) {
            return sym;
        }
        let sym = Sym(self.strings.len() as u32);
        self.strings.push(s.into());
        self.map.insert(s.into(), sym);
        sym
    }

    pub fn get(&self, s: &str) -> Option<Sym> {
        self.map.get(s).copied()
    }

    pub fn resolve(&self, sym: Sym) -> &str {
        self.strings.get(sym.0 as usize).map_or("", |s| s)
    }

    /// How many strings are interned (symbols are `0..len`).
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether nothing is interned.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

/// One OS thread (or thread-like lane) that ran spans.
#[derive(Debug, Clone)]
pub struct Thread {
    /// The identity in the source: `ThreadId(5)`, a Chrome `pid:tid`, ...
    pub key: String,
    pub name: Option<String>,
    /// A role the format itself defines (a browser's renderer main thread is an event loop by
    /// definition). Thread names of runtimes like tokio never set this: behaviour decides there.
    pub role_hint: Option<ThreadRole>,
    /// Counters kept while reading, for role inference (see `analyze::threads`).
    pub stats: ThreadStats,
}

/// What a thread did, counted execution by execution while the trace is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadStats {
    /// Executions (top-level activations) on this thread.
    pub executions: u64,
    /// Total time of those executions.
    pub busy: Ns,
    /// Distinct span trees (requests) that ran on this thread.
    pub trees: u64,
    /// Activations of a tree that ran here before, with another tree in between.
    pub returns: u64,
    /// Two activations of the same tree in a row.
    pub repolls: u64,
    /// tokio task spans ([`TaskKind`]) entered on this thread, by kind.
    pub task_polls: TaskKindCounts,
    /// tokio task spans closed on this thread, by kind (formats without enter/exit).
    pub task_closes: TaskKindCounts,
}

/// What a thread does, as far as the trace shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThreadRole {
    /// Runs many short polls of many tasks, interleaved: an event loop (tokio worker, browser
    /// main thread).
    EventLoop,
    /// Runs one unit of work at a time to completion: a dedicated or blocking-pool thread.
    Blocking,
    /// Called a runtime's `block_on` and polls that one future, never the runtime's tasks: not
    /// a worker (shown by tokio's task spans of kind `block_on`).
    BlockOn,
    Unknown,
}

/// A span field value, kept as display text (strings unquoted, numbers as written). Shared:
/// a value repeated on many spans (a service name, a route, a method) can be one allocation
/// ([`ValueCache`]).
pub type FieldValue = Arc<str>;

/// Hands out one shared [`FieldValue`] for repeated short values, so that spans carrying the
/// same service name, route or method do not each allocate (and later free) a copy.
///
/// Bounded: values longer than [`ValueCache::MAX_LEN`] bytes are not kept, and once
/// [`ValueCache::MAX_VALUES`] values are kept the cache starts over empty (values in use stay
/// alive where they are used). Its memory is at most a few hundred KiB whatever the input.
///
/// [`ValueCache::get_keyed`] first compares with the key's last value (one comparison, no
/// hashing): most attributes repeat the value they had on the span before.
#[derive(Debug, Default)]
pub struct ValueCache {
    values: HashSet<FieldValue>,
    /// The last value of each key, by the key's number (below [`ValueCache::MAX_KEYS`]).
    last: Vec<Option<FieldValue>>,
}

impl ValueCache {
    /// Most values kept at once.
    pub const MAX_VALUES: usize = 4096;
    /// Longest value kept, in bytes (longer ones are seldom repeated: statements, messages).
    pub const MAX_LEN: usize = 128;
    /// Keys whose last value is remembered: those interned first (others use the cache alone).
    pub const MAX_KEYS: usize = 4096;

    /// [`ValueCache::get`] for a value of field `key`: the key's last value when the text is
    /// the same.
    pub fn get_keyed(&mut self, key: Sym, s: &str) -> FieldValue {
        let i = key.0 as usize;
        if i >= Self::MAX_KEYS || s.len() > Self::MAX_LEN {
            return self.get(s);
        }
        if let Some(Some(last)) = self.last.get(i)
            && **last == *s
        {
            return last.clone();
        }
        let v = self.get(s);
        if self.last.len() <= i {
            self.last.resize(i + 1, None);
        }
        if let Some(slot) = self.last.get_mut(i) {
            *slot = Some(v.clone());
        }
        v
    }

    /// `s` as a field value: the one kept for the same text when there is one.
    pub fn get(&mut self, s: &str) -> FieldValue {
        if s.len() > Self::MAX_LEN {
            return s.into();
        }
        if let Some(v) = self.values.get(s) {
            return v.clone();
        }
        if self.values.len() >= Self::MAX_VALUES {
            self.values.clear();
        }
        let v: FieldValue = s.into();
        self.values.insert(v.clone());
        v
    }

    /// How many values are kept.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value is kept.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// A span: a named interval with fields, a parent and busy/idle accounting.
#[derive(Debug, Clone)]
pub struct Span {
    pub name: Sym,
    pub target: Option<Sym>,
    pub parent: Option<SpanIdx>,
    pub start: Ns,
    pub end: Ns,
    /// Time the span was entered on at least one thread (wall time, not CPU time).
    pub busy: Option<Ns>,
    /// Lifetime minus busy.
    pub idle: Option<Ns>,
    pub fields: Vec<(Sym, FieldValue)>,
    /// Thread the span was created on, when the format says (a NEW line's thread id, a
    /// tracing-chrome async `b` event's `tid`).
    pub opened_on: Option<ThreadIdx>,
    /// Thread the span closed on, when the format says.
    pub closed_on: Option<ThreadIdx>,
    /// The span is one of tokio's task spans: an execution unit, never a request nor a tree
    /// parent (see [`TaskKind`]).
    pub task: Option<TaskKind>,
    /// The trace ended before the span closed: `end` is the last time seen.
    pub cut_off: bool,
}

impl Span {
    pub fn duration(&self) -> Ns {
        self.end - self.start
    }
}

/// One contiguous run of a span (or task) on a thread: one poll.
///
/// When thread ids are known, an execution is a *top-level activation*: the time during which the
/// thread had any span entered, attributed to the outermost span entered (`span`). tokio's task
/// spans cut it further: each enter of one is a poll of its own, attributed to the first other
/// span entered inside it, else to the task ([`TaskKind`]). Without thread ids, it is one
/// ENTER -> EXIT pair of `span`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Execution {
    pub span: SpanIdx,
    pub thread: Option<ThreadIdx>,
    pub start: Ns,
    pub end: Ns,
}

impl Execution {
    pub fn duration(&self) -> Ns {
        self.end - self.start
    }
}

/// Where the clock of a trace comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    /// Unix time (ns) of `Ns == 0`, when the format carries wall-clock time.
    pub origin_unix_ns: Option<i64>,
}

/// The whole trace in the common model.
#[derive(Debug, Default)]
pub struct Trace {
    pub clock: Clock,
    /// How much was subtracted from the ingest clock to make the earliest time 0. Consumers
    /// that received span trees while the trace was read (a [`TreeSink`]) subtract it too.
    pub rebased_by: Ns,
    pub strings: Interner,
    pub threads: Vec<Thread>,
    pub spans: Vec<Span>,
    pub executions: Vec<Execution>,
    pub network: Vec<NetworkRequest>,
    pub browser: BrowserData,
    /// Async runtime tasks (tokio-console recordings), with their poll statistics.
    pub tasks: TaskData,
    /// Spans the format never closed, ended at their last exit instead
    /// ([`TraceBuilder::close_at_last_exit`]).
    pub ended_at_last_exit: u64,
}

impl Trace {
    pub fn name(&self, span: &Span) -> &str {
        self.strings.resolve(span.name)
    }

    pub fn span(&self, idx: SpanIdx) -> &Span {
        &self.spans[idx.0 as usize]
    }

    pub fn thread(&self, idx: ThreadIdx) -> &Thread {
        &self.threads[idx.0 as usize]
    }

    /// The value of field `key` on `span`, if recorded.
    pub fn field<'a>(&'a self, span: &'a Span, key: &str) -> Option<&'a str> {
        let sym = self.strings.get(key)?;
        span.fields
            .iter()
            .find(|(k, _)| *k == sym)
            .map(|(_, v)| &**v)
    }

    /// The outermost ancestor of `idx` (itself when it has no parent).
    pub fn root_of(&self, mut idx: SpanIdx) -> SpanIdx {
        // Bounded: a malformed parent chain cannot loop forever.
        for _ in 0..MAX_DEPTH {
            match self.spans.get(idx.0 as usize).and_then(|s| s.parent) {
                Some(p) if p != idx => idx = p,
                _ => break,
            }
        }
        idx
    }

    /// Children lists for every span, in span order.
    pub fn children(&self) -> Vec<Vec<SpanIdx>> {
        let mut out = vec![Vec::new(); self.spans.len()];
        for (i, s) in self.spans.iter().enumerate() {
            if let Some(list) = s.parent.and_then(|p| out.get_mut(p.0 as usize)) {
                list.push(SpanIdx(i as u32));
            }
        }
        out
    }

    pub fn end_time(&self) -> Ns {
        let spans = self.spans.iter().map(|s| s.end);
        let net = self.network.iter().map(|n| n.end);
        spans.chain(net).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_values_share_one_allocation() {
        let mut c = ValueCache::default();
        let a = c.get("GET");
        let b = c.get(&String::from("GET"));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "GET");
        let other = c.get("POST");
        assert!(!Arc::ptr_eq(&a, &other));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn long_values_are_not_kept() {
        let mut c = ValueCache::default();
        let long = "x".repeat(ValueCache::MAX_LEN + 1);
        let a = c.get(&long);
        let b = c.get(&long);
        assert_eq!(a, b);
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(c.is_empty());
        let at_limit = "y".repeat(ValueCache::MAX_LEN);
        assert!(Arc::ptr_eq(&c.get(&at_limit), &c.get(&at_limit)));
    }

    #[test]
    fn a_keys_last_value_is_shared() {
        let mut c = ValueCache::default();
        let (method, route) = (Sym(0), Sym(1));
        let a = c.get_keyed(method, "GET");
        assert!(Arc::ptr_eq(&a, &c.get_keyed(method, "GET")));
        // The same text under another key is still one allocation (the cache's).
        assert!(Arc::ptr_eq(&a, &c.get_keyed(route, "GET")));
        let post = c.get_keyed(method, "POST");
        assert_eq!(&*post, "POST");
        assert!(Arc::ptr_eq(&a, &c.get_keyed(method, "GET")));
        // Keys past the bound use the cache alone; no slot is made for them.
        let far = Sym(ValueCache::MAX_KEYS as u32);
        assert!(Arc::ptr_eq(&a, &c.get_keyed(far, "GET")));
        assert!(c.last.len() <= ValueCache::MAX_KEYS);
        // Long values are neither kept nor remembered.
        let long = "z".repeat(ValueCache::MAX_LEN + 1);
        let l = c.get_keyed(method, &long);
        assert!(!Arc::ptr_eq(&l, &c.get_keyed(method, &long)));
    }

    #[test]
    fn the_cache_stays_bounded() {
        let mut c = ValueCache::default();
        let first = c.get("v0");
        for i in 0..3 * ValueCache::MAX_VALUES {
            c.get(&format!("v{i}"));
            assert!(c.len() <= ValueCache::MAX_VALUES);
        }
        // A value handed out before the cache started over is still whole.
        assert_eq!(&*first, "v0");
        // And the cache shares again after starting over.
        let a = c.get("again");
        assert!(Arc::ptr_eq(&a, &c.get("again")));
    }
}
