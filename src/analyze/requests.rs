//! Requests: which spans are requests, their endpoint, and what their time went into.
//!
//! A request is the outermost span that carries HTTP fields, a method and a route or path
//! (or is named as `--request-span` says). Its descendants tell what the time went into:
//!
//! ```text
//! request  [────────────────────────── D ──────────────────────────]
//!   db.query     [── busy (blocking call) ──|── idle (awaiting) ──]   I/O-shaped child
//!   compute                                                [─busy─]   anything else: CPU
//! ```
//!
//! * I/O-shaped children are recognised by semantic conventions (`db.*`, `otel.kind=client`,
//!   `http.request.method` / `url.full` on a child, `rpc.system`, `messaging.system`,
//!   `peer.service`), by call-shaped names (db, sql, query, http, client, upstream, cache, ...),
//!   or by `--io-span`. Route and handler names are never looked at.
//! * `busy` is wall time: a blocking call inside an I/O child shows as busy, an awaited one as
//!   idle. That split, not any name, says whether the I/O blocks a thread.

use super::overlap::merge;
use super::route::RouteOrigin;
use super::threads::ThreadInfo;
use crate::config::Config;
use crate::model::{Execution, Ns, SpanIdx, Sym, ThreadIdx, ThreadRole, Trace};
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// What a request's time went into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestWork {
    /// Mostly awaiting (idle), in I/O children or un-instrumented awaits.
    IoWait,
    /// Mostly inside I/O children that were busy: a blocking call held the thread.
    IoBlocking,
    /// Mostly busy outside I/O children: computation.
    Cpu,
    /// Nothing significant to judge.
    Light,
    /// The trace has no busy/idle time for it (only creation and close were recorded).
    Unmeasured,
}

/// Where the busy part of a request ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    EventLoop,
    Offloaded,
    Unknown,
}

/// One request, measured when its span tree finished. Kept small: a long trace has many.
#[derive(Debug, Clone)]
pub struct Request {
    pub endpoint: Arc<str>,
    pub start: Ns,
    pub end: Ns,
    /// The request span's own busy time.
    pub busy: Ns,
    /// Busy time of its direct children, summed.
    pub child_busy: Ns,
    pub work_busy: Ns,
    pub io_wait: Ns,
    pub io_block: Ns,
    pub cpu: Ns,
    pub kind: RequestWork,
    /// Intervals where the heavy (CPU or blocking) work ran, merged, sorted.
    pub heavy: Vec<(Ns, Ns)>,
    /// The heavy intervals held a thread throughout (polls, or a span busy for at least 90 %
    /// of its life), so heavy intervals that overlap ran on different threads.
    pub heavy_dense: bool,
    /// The span the heavy work ran in, and the I/O evidence seen.
    pub heavy_name: Option<Arc<str>>,
    /// Shared between requests with the same evidence (a long trace has many).
    pub io_evidence: Option<Arc<IoShape>>,
    /// Per thread: time in this request's executions, and whether one lasted 1 ms or more.
    pub per_thread: Vec<(ThreadIdx, Ns, bool)>,
    pub polls: u32,
    pub max_poll: Option<Ns>,
    pub cut_off: bool,
    /// Where the heavy work ran; set once thread roles are known.
    pub location: Location,
    /// Without polls: the thread its heaviest work span was created and closed on, and whether
    /// it held it (set by [`super::lifecycle`]).
    pub made: Option<super::lifecycle::Made>,
    /// Without polls, busy times or threads: where timing alone placed its work
    /// ([`super::timing`]).
    pub timed: Option<(Location, Placement)>,
    /// What a join with a recording of runtime tasks needs of it, kept only for that
    /// ([`Collector::keep_executions`](super::Collector::keep_executions)): boxed, so that a
    /// request costs one pointer for it, not two empty vectors (a long trace has many).
    pub kept: Option<Box<KeptForJoin>>,
    /// Ids its span's fields carry that a browser's request may carry too
    /// ([`id_of_field`](super::page_join::id_of_field)).
    pub ids: Box<[String]>,
}

/// A request's executions, or without them its spans, kept to join a recording of runtime
/// tasks to it.
#[derive(Debug, Clone, Default)]
pub struct KeptForJoin {
    /// Its executions (start, end).
    pub executions: Vec<(Ns, Ns)>,
    /// Without executions, its spans (start, end, busy).
    pub spans: Vec<(Ns, Ns, Option<Ns>)>,
}

impl Request {
    /// Its executions kept for a join (none unless they were kept).
    pub fn executions(&self) -> &[(Ns, Ns)] {
        self.kept.as_ref().map_or(&[], |k| &k.executions)
    }

    /// Its spans kept for a join (none unless they were kept).
    pub fn spans(&self) -> &[(Ns, Ns, Option<Ns>)] {
        self.kept.as_ref().map_or(&[], |k| &k.spans)
    }

    /// What is kept of it for a join, made on first use.
    pub fn kept_mut(&mut self) -> &mut KeptForJoin {
        self.kept.get_or_insert_with(Box::default)
    }

    /// A request that awaited from `start` to `end` with nothing measured, for detector tests.
    #[cfg(test)]
    pub fn awaiting(endpoint: &str, start: Ns, end: Ns) -> Request {
        Request {
            endpoint: endpoint.into(),
            start,
            end,
            busy: 0,
            child_busy: 0,
            work_busy: 0,
            io_wait: 0,
            io_block: 0,
            cpu: 0,
            kind: RequestWork::IoWait,
            heavy: vec![],
            heavy_dense: false,
            heavy_name: None,
            io_evidence: None,
            location: Location::Unknown,
            per_thread: vec![],
            polls: 0,
            max_poll: None,
            cut_off: false,
            made: None,
            timed: None,
            kept: None,
            ids: Box::new([]),
        }
    }

    pub fn duration(&self) -> Ns {
        self.end - self.start
    }

    /// Threads that ran an execution of 1 ms or more of this request; without executions, the
    /// thread its heaviest work span was created and closed on ([`Request::made`]).
    pub fn heavy_threads(&self) -> impl Iterator<Item = ThreadIdx> + '_ {
        let made = self
            .made
            .filter(|_| self.per_thread.is_empty())
            .map(|m| m.thread);
        self.per_thread
            .iter()
            .filter(|e| e.2)
            .map(|e| e.0)
            .chain(made)
    }

    /// Shifts every time by `-by` (trees measured before the trace was rebased).
    pub fn rebase(&mut self, by: Ns) {
        self.start -= by;
        self.end -= by;
        for h in &mut self.heavy {
            h.0 -= by;
            h.1 -= by;
        }
        if let Some(kept) = &mut self.kept {
            for e in &mut kept.executions {
                e.0 -= by;
                e.1 -= by;
            }
            for s in &mut kept.spans {
                s.0 -= by;
                s.1 -= by;
            }
        }
    }

    /// Where the heavy work ran, from thread roles (exact), from a child busy while the
    /// request span was idle, or, without polls, from the thread its heaviest work span was
    /// created and closed on ([`Request::made`]); with what showed it.
    pub fn locate(&self, threads: &[ThreadInfo]) -> (Location, Option<Placement>) {
        if let Some((location, placement)) = self.timed {
            return (location, Some(placement));
        }
        let role = |t: ThreadIdx| {
            threads
                .get(t.0 as usize)
                .map_or(ThreadRole::Unknown, |i| i.role)
        };
        let on_loop: Ns = self
            .per_thread
            .iter()
            .filter(|e| role(e.0) == ThreadRole::EventLoop)
            .map(|e| e.1)
            .sum();
        let on_blocking: Ns = self
            .per_thread
            .iter()
            .filter(|e| role(e.0) == ThreadRole::Blocking)
            .map(|e| e.1)
            .sum();
        if on_loop + on_blocking > 0 {
            if on_blocking.saturating_mul(2) >= self.work_busy && on_blocking >= 1_000_000 {
                return (
                    Location::Offloaded,
                    Some(Placement::OnBlockingThreads(on_blocking)),
                );
            }
            if on_loop.saturating_mul(2) >= self.work_busy {
                return (Location::EventLoop, Some(Placement::OnLoopThreads(on_loop)));
            }
            return (Location::Unknown, None);
        }
        if self.child_busy > self.busy + (self.child_busy / 5).max(1_000_000) {
            return (
                Location::Offloaded,
                Some(Placement::ChildBusyWhileIdle {
                    child_busy: self.child_busy,
                    busy: self.busy,
                }),
            );
        }
        self.locate_by_creation_close(threads)
            .unwrap_or((Location::Unknown, None))
    }

    /// Without polls: a heaviest work span created and closed on a blocking-pool thread ran off
    /// the loop; one created and closed on a worker that held it through its life ran on it.
    fn locate_by_creation_close(
        &self,
        threads: &[ThreadInfo],
    ) -> Option<(Location, Option<Placement>)> {
        let m = self.made?;
        let role = threads.get(m.thread.0 as usize)?.role;
        let placement = Placement::CreatedClosedOn {
            role,
            lifetime: m.lifetime,
            held: m.held,
        };
        match role {
            ThreadRole::Blocking => Some((Location::Offloaded, Some(placement))),
            ThreadRole::EventLoop if m.held.is_some() => {
                Some((Location::EventLoop, Some(placement)))
            }
            _ => None,
        }
    }
}

/// Fields that name an HTTP method.
pub const METHOD_KEYS: [&str; 3] = ["method", "http.method", "http.request.method"];
/// Fields that name what an HTTP request asked for.
pub const ROUTE_KEYS: [&str; 7] = [
    "uri",
    "path",
    "route",
    "http.route",
    "matched_path",
    "url.path",
    "http.target",
];

/// A span is a request when `--request-span` names it, when it says it is a server span
/// (`otel.kind=server`), or when it has HTTP fields: a method *and* what was asked for. A
/// field called `path` alone is not HTTP (a tracing-chrome span with `path: ["core"]`).
fn is_request_span(trace: &Trace, idx: SpanIdx, cfg: &Config, keys: &KeyClasses) -> bool {
    let span = trace.span(idx);
    if let Some(name) = &cfg.request_span {
        return trace.name(span) == name;
    }
    // One pass over the fields: the first `otel.kind`, else the first `span.kind`, and which
    // kinds of key are there.
    let (mut otel_kind, mut span_kind, mut seen) = (None, None, 0u8);
    for (k, v) in &span.fields {
        let class = keys.of(trace, *k);
        if class == 0 {
            // Most keys: nothing to look at.
            continue;
        }
        if class & KeyClasses::OTEL_KIND != 0 && otel_kind.is_none() {
            otel_kind = Some(v);
        }
        if class & KeyClasses::SPAN_KIND != 0 && span_kind.is_none() {
            span_kind = Some(v);
        }
        seen |= class;
    }
    let kind = otel_kind.or(span_kind);
    if kind.is_some_and(|k| k.eq_ignore_ascii_case("server")) {
        return true;
    }
    if kind.is_some_and(|k| k.eq_ignore_ascii_case("client")) {
        return false;
    }
    let both = KeyClasses::METHOD | KeyClasses::ROUTE;
    seen & both == both
}

/// What the analysis asks of a field key (an HTTP method, a route, a span kind, an I/O
/// convention, an id) and of a span name (a word of I/O), worked out once per interned string
/// rather than per span: every span of every tree is asked whether it is a request and
/// whether it is an I/O call, by several readers. For one trace's strings (a collector reads
/// one input); a string it does not hold yet is worked out when asked.
#[derive(Debug, Default)]
pub struct KeyClasses {
    /// By symbol: the classes of the key.
    of: Vec<u8>,
    /// By symbol: as a span name, which of [`IO_WORDS`] it holds (its index + 1; 0: none).
    words: Vec<u8>,
    /// By symbol: as a key, its place in [`FIELD_KEYS`](super::page_join::FIELD_KEYS) + 1
    /// (0: none).
    id_keys: Vec<u8>,
}

impl KeyClasses {
    /// One of [`METHOD_KEYS`].
    pub const METHOD: u8 = 1;
    /// One of [`ROUTE_KEYS`].
    pub const ROUTE: u8 = 2;
    pub const OTEL_KIND: u8 = 4;
    pub const SPAN_KIND: u8 = 8;
    /// A field of an I/O convention (`db.*`, `url.full`, `rpc.system`, ...).
    pub const IO_FIELD: u8 = 16;

    /// The classes of `key`.
    fn classify(key: &str) -> u8 {
        let mut class = 0;
        if METHOD_KEYS.contains(&key) {
            class |= Self::METHOD;
        }
        if ROUTE_KEYS.contains(&key) {
            class |= Self::ROUTE;
        }
        if key == "otel.kind" {
            class |= Self::OTEL_KIND;
        }
        if key == "span.kind" {
            class |= Self::SPAN_KIND;
        }
        if IO_FIELD_PREFIXES.iter().any(|p| key.starts_with(p)) || IO_FIELDS.contains(&key) {
            class |= Self::IO_FIELD;
        }
        class
    }

    /// The first of [`IO_WORDS`] that `name` holds as a word (words of ASCII letters and
    /// digits, compared without case: the words are lower case), as its index + 1; 0: none.
    fn io_word(name: &str) -> u8 {
        name.split(|c: char| !c.is_ascii_alphanumeric())
            .find_map(|w| IO_WORDS.iter().position(|k| k.eq_ignore_ascii_case(w)))
            .map_or(0, |i| i as u8 + 1)
    }

    /// Classifies the strings interned since the last call.
    pub fn update(&mut self, trace: &Trace) {
        if trace.strings.len() < self.of.len() {
            // Fewer strings than classified: another trace's. Start over.
            *self = KeyClasses::default();
        }
        for sym in self.of.len()..trace.strings.len() {
            let text = trace.strings.resolve(Sym(sym as u32));
            self.of.push(Self::classify(text));
            self.words.push(Self::io_word(text));
            self.id_keys.push(Self::id_key(text));
        }
    }

    /// `key`'s place in [`FIELD_KEYS`](super::page_join::FIELD_KEYS) + 1; 0: none.
    fn id_key(key: &str) -> u8 {
        super::page_join::FIELD_KEYS
            .iter()
            .position(|f| *f == key)
            .map_or(0, |i| i as u8 + 1)
    }

    /// `key`'s place in [`FIELD_KEYS`](super::page_join::FIELD_KEYS), if it is one.
    fn id_key_of(&self, trace: &Trace, key: Sym) -> Option<usize> {
        let i = match self.id_keys.get(key.0 as usize) {
            Some(i) => *i,
            None => Self::id_key(trace.strings.resolve(key)),
        };
        usize::from(i).checked_sub(1)
    }

    /// The word of I/O that span name `name` holds, if any.
    fn io_word_of(&self, trace: &Trace, name: Sym) -> Option<&'static str> {
        let i = match self.words.get(name.0 as usize) {
            Some(i) => *i,
            None => Self::io_word(trace.strings.resolve(name)),
        };
        IO_WORDS.get(usize::from(i).checked_sub(1)?).copied()
    }

    /// The classes of `key`: from the table, or worked out for a key it does not hold yet.
    #[inline]
    pub fn of(&self, trace: &Trace, key: Sym) -> u8 {
        match self.of.get(key.0 as usize) {
            Some(class) => *class,
            None => Self::classify(trace.strings.resolve(key)),
        }
    }
}

/// `GET /users/{id}` from the request span's fields: its method and its route
/// ([`route`](super::route): a template field, a `--route` rule, or derived from its path, which
/// the second value names); the span's name stands in for a missing route.
pub fn endpoint_of(trace: &Trace, idx: SpanIdx, cfg: &Config) -> (String, Option<RouteOrigin>) {
    let mut text = String::new();
    let origin = endpoint_into(trace, idx, cfg, &mut text);
    (text, origin)
}

/// [`endpoint_of`], written into `out` (cleared first).
fn endpoint_into(
    trace: &Trace,
    idx: SpanIdx,
    cfg: &Config,
    out: &mut String,
) -> Option<RouteOrigin> {
    out.clear();
    let span = trace.span(idx);
    let method = ["http.request.method", "http.method", "method"]
        .iter()
        .find_map(|k| trace.field(span, k));
    if let Some(m) = method {
        out.push_str(m);
        out.push(' ');
    }
    match super::route::route_into(|k| trace.field(span, k), cfg, out) {
        Some(origin) => origin,
        None => {
            out.push_str(trace.name(span));
            None
        }
    }
}

const IO_FIELD_PREFIXES: [&str; 1] = ["db."];
const IO_FIELDS: [&str; 7] = [
    "http.request.method",
    "http.method",
    "url.full",
    "server.address",
    "peer.service",
    "rpc.system",
    "messaging.system",
];
const IO_WORDS: [&str; 28] = [
    "db",
    "database",
    "sql",
    "query",
    "http",
    "client",
    "upstream",
    "cache",
    "redis",
    "memcached",
    "file",
    "fs",
    "rpc",
    "grpc",
    "fetch",
    "s3",
    "kafka",
    "postgres",
    "postgresql",
    "mysql",
    "sqlite",
    "mongo",
    "mongodb",
    "elasticsearch",
    "dns",
    "socket",
    "download",
    "upload",
];

/// What showed where a request's heavy work ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// This much of its executions ran on blocking threads.
    OnBlockingThreads(Ns),
    /// This much of its executions ran on event-loop threads.
    OnLoopThreads(Ns),
    /// Its children were busy longer than the request span itself: they ran elsewhere while
    /// the request awaited them.
    ChildBusyWhileIdle { child_busy: Ns, busy: Ns },
    /// No polls: its heaviest work span was created and closed on a thread of this role, lived
    /// `lifetime`, and held that thread through its life when `held` says how.
    CreatedClosedOn {
        role: ThreadRole,
        lifetime: Ns,
        held: Option<super::lifecycle::HeldBy>,
    },
    /// No polls, busy times or threads: timing alone placed it ([`super::timing`]).
    Timing(super::timing::TimingPlace),
}

/// Why a span counts as an I/O call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IoShape {
    /// A field of an I/O convention (`db.system=postgresql`, `otel.kind=client`).
    Field {
        span: Arc<str>,
        key: Arc<str>,
        value: Arc<str>,
    },
    /// The span name matches `--io-span`.
    IoSpanOption { span: Arc<str> },
    /// The span name holds a word of I/O (`db`, `http`, `fetch`, ...).
    NamedLike { span: Arc<str>, word: &'static str },
}

/// What made a span an I/O call, borrowed from the trace ([`io_hit`]).
enum IoHit<'t> {
    Field { key: &'t str, value: &'t str },
    IoSpanOption,
    NamedLike(&'static str),
}

/// What makes `idx` an I/O call, if anything does: found without allocating (every span of
/// every tree is asked, by three readers of it).
fn io_hit<'t>(
    trace: &'t Trace,
    idx: SpanIdx,
    cfg: &Config,
    keys: &KeyClasses,
) -> Option<IoHit<'t>> {
    let span = trace.span(idx);
    for (k, v) in &span.fields {
        let class = keys.of(trace, *k);
        if class == 0 {
            continue;
        }
        let convention = class & KeyClasses::IO_FIELD != 0;
        let client = class & (KeyClasses::OTEL_KIND | KeyClasses::SPAN_KIND) != 0
            && (v.eq_ignore_ascii_case("client") || v.eq_ignore_ascii_case("producer"));
        if convention || client {
            let key = trace.strings.resolve(*k);
            return Some(IoHit::Field { key, value: v });
        }
    }
    if let Some(re) = &cfg.io_span
        && re.is_match(trace.name(span))
    {
        return Some(IoHit::IoSpanOption);
    }
    keys.io_word_of(trace, span.name).map(IoHit::NamedLike)
}

/// Whether `idx` is an I/O call ([`io_shape`] without its evidence).
pub fn is_io(trace: &Trace, idx: SpanIdx, cfg: &Config, keys: &KeyClasses) -> bool {
    io_hit(trace, idx, cfg, keys).is_some()
}

/// Why `idx` counts as an I/O call, if it does.
pub fn io_shape(
    trace: &Trace,
    idx: SpanIdx,
    cfg: &Config,
    keys: &KeyClasses,
    names: &mut Names,
) -> Option<IoShape> {
    let hit = io_hit(trace, idx, cfg, keys)?;
    let span = names.get(trace.name(trace.span(idx)));
    Some(match hit {
        IoHit::Field { key, value } => IoShape::Field {
            span,
            key: names.get(key),
            value: names.get(value),
        },
        IoHit::IoSpanOption => IoShape::IoSpanOption { span },
        IoHit::NamedLike(word) => IoShape::NamedLike { span, word },
    })
}

pub(super) fn significant(x: Ns, d: Ns) -> bool {
    x >= 1_000_000 && x.saturating_mul(10) >= d
}

/// Shares the text of endpoints and the I/O evidence between requests.
#[derive(Debug, Default)]
pub struct Names {
    names: HashMap<String, Arc<str>>,
    shapes: HashMap<IoShape, Arc<IoShape>>,
    /// Endpoints whose route is not a template field: where it came from (the first seen).
    origins: HashMap<Arc<str>, RouteOrigin>,
    /// Where an endpoint's text is made before it is looked up.
    scratch: String,
}

impl Names {
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.names.get(s) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        self.names.insert(s.to_string(), a.clone());
        a
    }

    /// The shared text of request `idx`'s endpoint ([`endpoint_of`]), remembering where its
    /// route came from.
    fn endpoint(&mut self, trace: &Trace, idx: SpanIdx, cfg: &Config) -> Arc<str> {
        let mut text = std::mem::take(&mut self.scratch);
        let origin = endpoint_into(trace, idx, cfg, &mut text);
        let a = self.get(&text);
        self.scratch = text;
        if let Some(o) = origin
            && !self.origins.contains_key(&a)
        {
            self.origins.insert(a.clone(), o);
        }
        a
    }

    /// Where the route of `endpoint` came from, when it is not a template field.
    pub fn origin(&self, endpoint: &str) -> Option<&RouteOrigin> {
        self.origins.get(endpoint)
    }

    /// The one shared copy of `shape`.
    pub fn shape(&mut self, shape: IoShape) -> Arc<IoShape> {
        self.shapes
            .entry(shape)
            .or_insert_with_key(|s| Arc::new(s.clone()))
            .clone()
    }
}

/// A span tree's links from parent to children, made once per tree for every reader of it
/// (requests, [`super::lifecycle`], [`super::timing`]), in buffers reused from tree to tree.
#[derive(Debug, Default)]
pub struct Kids {
    /// (parent, child) for every member whose parent is a member, by parent; children in
    /// the members' order.
    links: Vec<(SpanIdx, SpanIdx)>,
    parents: Vec<SpanIdx>,
    children: Vec<SpanIdx>,
    /// The members, sorted, for telling a member from a span of another tree.
    sorted: Vec<SpanIdx>,
    /// The trace's field keys, classified (kept up to date by [`Kids::build`]).
    pub keys: KeyClasses,
}

impl Kids {
    /// The links of the tree made of `members`.
    pub fn build(&mut self, trace: &Trace, members: &[SpanIdx]) {
        self.keys.update(trace);
        self.sorted.clear();
        self.sorted.extend_from_slice(members);
        self.sorted.sort_unstable();
        self.links.clear();
        for &m in members {
            if let Some(p) = trace.span(m).parent
                && self.sorted.binary_search(&p).is_ok()
            {
                self.links.push((p, m));
            }
        }
        // Stable: a parent's children stay in the members' order.
        self.links.sort_by_key(|l| l.0);
        self.parents.clear();
        self.children.clear();
        for &(p, c) in &self.links {
            self.parents.push(p);
            self.children.push(c);
        }
    }

    /// The children of `s` in the tree.
    pub fn of(&self, s: SpanIdx) -> &[SpanIdx] {
        let from = self.parents.partition_point(|p| *p < s);
        let to = from + self.parents[from..].partition_point(|p| *p == s);
        &self.children[from..to]
    }
}

/// Finds the requests in one span tree and measures each one, onto the end of `out`, and
/// their spans onto the end of `spans` (in the same order). `members` are the tree's spans,
/// `executions` its executions. Written into the caller's vectors: a vector of them per tree,
/// moved into the caller's, was two allocations and a copy of each request.
#[allow(clippy::too_many_arguments)]
pub fn requests_in_tree(
    trace: &Trace,
    members: &[SpanIdx],
    executions: &[Execution],
    cfg: &Config,
    names: &mut Names,
    kids: &Kids,
    out: &mut Vec<Request>,
    spans: &mut Vec<SpanIdx>,
) {
    for &idx in members {
        if !is_request_span(trace, idx, cfg, &kids.keys) {
            continue;
        }
        // Outermost only: skip a request span nested in another request span.
        let mut anc = trace.span(idx).parent;
        let mut nested = false;
        for _ in 0..crate::model::MAX_DEPTH {
            let Some(p) = anc else { break };
            if is_request_span(trace, p, cfg, &kids.keys) {
                nested = true;
                break;
            }
            anc = trace.span(p).parent;
        }
        if nested {
            continue;
        }
        // The request's subtree, for attributing executions when it is not the tree's root.
        let root = trace.root_of(idx);
        let in_subtree = |s: SpanIdx| {
            root == idx || {
                let mut cur = Some(s);
                let mut hit = false;
                for _ in 0..crate::model::MAX_DEPTH {
                    match cur {
                        Some(c) if c == idx => {
                            hit = true;
                            break;
                        }
                        Some(c) => cur = trace.span(c).parent,
                        None => break,
                    }
                }
                hit
            }
        };
        let execs: Vec<&Execution> = executions.iter().filter(|e| in_subtree(e.span)).collect();
        out.push(measure(trace, cfg, idx, kids, &execs, names));
        spans.push(idx);
    }
}

fn measure(
    trace: &Trace,
    cfg: &Config,
    idx: SpanIdx,
    kids: &Kids,
    execs: &[&Execution],
    names: &mut Names,
) -> Request {
    let span = trace.span(idx);
    let d = span.duration();
    let busy = span.busy.unwrap_or(0);
    let keys = &kids.keys;
    let kids = |s: SpanIdx| kids.of(s);
    // Walk descendants; stop at I/O children (their insides are the I/O call).
    let (mut io_wait, mut io_block, mut child_busy, mut child_idle) =
        (0 as Ns, 0 as Ns, 0 as Ns, 0 as Ns);
    let mut io_evidence = None;
    let mut heavy_child: Option<(SpanIdx, Ns)> = None;
    let mut io_children: Vec<SpanIdx> = Vec::new();
    let mut stack: Vec<(SpanIdx, bool)> = kids(idx).iter().map(|c| (*c, true)).collect();
    while let Some((c, top)) = stack.pop() {
        let cs = trace.span(c);
        let cb = cs.busy.unwrap_or(0);
        if is_io(trace, c, cfg, keys) {
            // Saturating, like every sum of times here: a garbled log's times can pass 2^63 ns.
            io_block = io_block.saturating_add(cb);
            let wait = cs
                .idle
                .unwrap_or_else(|| cs.duration().saturating_sub(cb).max(0));
            io_wait = io_wait.saturating_add(wait);
            if top {
                child_busy = child_busy.saturating_add(cb);
            }
            if io_evidence.is_none() {
                io_evidence = io_shape(trace, c, cfg, keys, names).map(|ev| names.shape(ev));
            }
            io_children.push(c);
            continue;
        }
        if top {
            child_busy += cb;
            child_idle += cs.idle.unwrap_or(0);
        }
        if heavy_child.is_none_or(|(_, b)| cb > b) {
            heavy_child = Some((c, cb));
        }
        stack.extend(kids(c).iter().map(|g| (*g, false)));
    }
    let work_busy = busy.max(child_busy);
    let cpu = work_busy.saturating_sub(io_block).max(0);
    let io_total = io_wait.saturating_add(io_block);
    let idle = span.idle.unwrap_or((d - busy).max(0));
    let measured = span.busy.is_some() || !execs.is_empty();
    // The longest stretch the request held a thread: its longest poll when polls were
    // recorded, else the busiest single span of its tree (CLOSE-only logs).
    let longest_hold = execs.iter().map(|e| e.duration()).max().unwrap_or_else(|| {
        let own = (busy - child_busy).max(0);
        let heaviest = heavy_child.map_or(0, |(_, b)| b);
        let heaviest_io = io_children
            .iter()
            .map(|c| trace.span(*c).busy.unwrap_or(0))
            .max()
            .unwrap_or(0);
        own.max(heaviest).max(heaviest_io)
    });
    let kind = if !measured {
        RequestWork::Unmeasured
    } else if longest_hold >= cfg.stall_threshold() && (cpu > 0 || io_block > 0) {
        // A request that held a thread for a stall's length is heavy, however long it also
        // waited: waiting to be polled (a busy loop) is not awaiting I/O.
        if io_block > cpu {
            RequestWork::IoBlocking
        } else {
            RequestWork::Cpu
        }
    } else if io_total >= cpu && significant(io_total, d) {
        if io_block > io_wait {
            RequestWork::IoBlocking
        } else {
            RequestWork::IoWait
        }
    } else if significant(cpu, d) {
        RequestWork::Cpu
    } else if significant(idle, d) && (kids(idx).is_empty() || significant(child_idle, d)) {
        // Idle with nothing inside it, or inside children that await in turn, is an
        // un-instrumented await. Idle beside children that only computed proves nothing: it
        // may be waiting to be polled by a busy loop.
        RequestWork::IoWait
    } else {
        RequestWork::Light
    };

    let mut polls = 0u32;
    let mut max_poll: Option<Ns> = None;
    let mut per_thread: Vec<(ThreadIdx, Ns, bool)> = Vec::new();
    let mut exec_intervals = Vec::new();
    for e in execs {
        polls += 1;
        max_poll = Some(max_poll.map_or(e.duration(), |m| m.max(e.duration())));
        let long = e.duration() >= 1_000_000;
        if long {
            exec_intervals.push((e.start, e.end));
        }
        if let Some(t) = e.thread {
            match per_thread.iter_mut().find(|p| p.0 == t) {
                Some(p) => {
                    p.1 = p.1.saturating_add(e.duration());
                    p.2 |= long;
                }
                None => per_thread.push((t, e.duration(), long)),
            }
        }
    }
    // Heavy sections: the long executions when we have them, else the heavy child's interval.
    let heavy_span = match kind {
        RequestWork::Cpu => heavy_child.map(|(c, _)| c).filter(|_| child_busy > 0),
        RequestWork::IoBlocking => io_children
            .iter()
            .copied()
            .max_by_key(|c| trace.span(*c).busy.unwrap_or(0)),
        _ => None,
    };
    let polled = !exec_intervals.is_empty();
    let heavy = match kind {
        RequestWork::Cpu | RequestWork::IoBlocking if polled => merge(exec_intervals),
        RequestWork::Cpu | RequestWork::IoBlocking => match heavy_span {
            Some(c) => vec![(trace.span(c).start, trace.span(c).end)],
            None => vec![(span.start, span.end)],
        },
        _ => Vec::new(),
    };
    // In i128: a garbled log's times can make both sides overflow an i64.
    let dense = |busy: Option<Ns>, life: Ns| {
        busy.is_some_and(|b| i128::from(b) * 10 >= i128::from(life) * 9)
    };
    let heavy_dense = match kind {
        RequestWork::Cpu | RequestWork::IoBlocking if polled => true,
        RequestWork::Cpu | RequestWork::IoBlocking => match heavy_span {
            Some(c) => dense(trace.span(c).busy, trace.span(c).duration()),
            None => dense(span.busy, d),
        },
        _ => false,
    };
    let heavy_name = heavy_span.map(|c| names.get(trace.name(trace.span(c))));
    Request {
        endpoint: names.endpoint(trace, idx, cfg),
        start: span.start,
        end: span.end,
        busy,
        child_busy,
        work_busy,
        io_wait,
        io_block,
        cpu,
        kind,
        heavy,
        heavy_dense,
        heavy_name,
        io_evidence,
        per_thread,
        polls,
        max_poll,
        cut_off: span.cut_off,
        location: Location::Unknown,
        made: None,
        timed: None,
        kept: None,
        ids: ids_of(trace, span, keys),
    }
}

/// The ids a request's span carries ([`id_of_field`](super::page_join::id_of_field)), in the
/// order of [`FIELD_KEYS`](super::page_join::FIELD_KEYS), each key's first field: found in one
/// pass over the span's fields (a lookup per key was nine hash lookups a request).
fn ids_of(trace: &Trace, span: &crate::model::Span, keys: &KeyClasses) -> Box<[String]> {
    use super::page_join::{FIELD_KEYS, id_of_field};
    let mut seen = [false; FIELD_KEYS.len()];
    let mut found: Vec<(usize, String)> = Vec::new();
    for (k, v) in &span.fields {
        let Some(rank) = keys.id_key_of(trace, *k) else {
            continue;
        };
        let key = trace.strings.resolve(*k);
        if std::mem::replace(&mut seen[rank], true) {
            continue;
        }
        if let Some(id) = id_of_field(key, v) {
            found.push((rank, id));
        }
    }
    found.sort_unstable_by_key(|(rank, _)| *rank);
    found.into_iter().map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TraceBuilder;

    /// A tree's links: each member's children in the members' order, a parent outside the
    /// tree's members not linked, a leaf with none.
    #[test]
    fn kids_link_members_to_their_children_in_order() {
        let mut b = TraceBuilder::new();
        let n = b.intern("s");
        let root = b.closed_span(n, None, None, 0, 100, None, None, vec![], None);
        let a = b.closed_span(n, None, Some(root), 10, 20, None, None, vec![], None);
        let c = b.closed_span(n, None, Some(root), 30, 40, None, None, vec![], None);
        let d = b.closed_span(n, None, Some(a), 12, 18, None, None, vec![], None);
        let t = b.finish();
        let mut kids = Kids::default();
        // Members in an order other than the spans': children keep the members' order.
        kids.build(&t, &[c, root, d, a]);
        assert_eq!(kids.of(root), [c, a]);
        assert_eq!(kids.of(a), [d]);
        assert!(kids.of(c).is_empty() && kids.of(d).is_empty());
        // `root` is not a member of this tree: `a` and `c` are its roots.
        kids.build(&t, &[a, c, d]);
        assert!(kids.of(root).is_empty());
        assert_eq!(kids.of(a), [d]);
    }

    fn all_requests(t: &Trace) -> Vec<Request> {
        let members: Vec<SpanIdx> = (0..t.spans.len() as u32).map(SpanIdx).collect();
        let mut names = Names::default();
        let mut kids = Kids::default();
        kids.build(t, &members);
        let (mut out, mut spans) = (Vec::new(), Vec::new());
        requests_in_tree(
            t,
            &members,
            &t.executions,
            &Config::default(),
            &mut names,
            &kids,
            &mut out,
            &mut spans,
        );
        assert_eq!(out.len(), spans.len());
        for r in &mut out {
            r.location = r.locate(&[]).0;
        }
        out.sort_by_key(|r| r.endpoint.clone());
        out
    }

    fn f(b: &mut TraceBuilder, k: &str, v: &str) -> (crate::model::Sym, crate::model::FieldValue) {
        (b.intern(k), v.into())
    }

    /// A request's ids: in the order of the id keys, not of the fields; a key's first field;
    /// values that are not ids left out.
    #[test]
    fn ids_in_key_order_first_field_wins() {
        let mut b = TraceBuilder::new();
        let n = b.intern("span");
        let fields = vec![
            f(&mut b, "otel.trace_id", "0AF7651916CD43DD8448EB211C80319C"),
            f(&mut b, "trace_id", "12"),
            f(&mut b, "x_request_id", "abc"),
            f(&mut b, "x_request_id", "def"),
            f(&mut b, "route", "/x"),
            f(&mut b, "request_id", " \"7\" "),
        ];
        b.closed_span(n, None, None, 0, 10, Some(1), Some(9), fields, None);
        let t = b.finish();
        let mut ahead = KeyClasses::default();
        ahead.update(&t);
        for keys in [&ahead, &KeyClasses::default()] {
            assert_eq!(
                &*ids_of(&t, t.span(SpanIdx(0)), keys),
                [
                    "request:7",
                    "request:abc",
                    "trace:0af7651916cd43dd8448eb211c80319c"
                ]
            );
        }
    }

    /// Each key's classes: the key lists and conventions the analysis looks for, and nothing
    /// for other keys (however close).
    #[test]
    fn keys_are_classified_by_the_lists_they_are_in() {
        let class = KeyClasses::classify;
        assert_eq!(
            class("http.method"),
            KeyClasses::METHOD | KeyClasses::IO_FIELD
        );
        assert_eq!(class("method"), KeyClasses::METHOD);
        assert_eq!(class("http.route"), KeyClasses::ROUTE);
        assert_eq!(class("uri"), KeyClasses::ROUTE);
        assert_eq!(class("otel.kind"), KeyClasses::OTEL_KIND);
        assert_eq!(class("span.kind"), KeyClasses::SPAN_KIND);
        assert_eq!(class("db.system"), KeyClasses::IO_FIELD);
        assert_eq!(class("url.full"), KeyClasses::IO_FIELD);
        for other in [
            "",
            "http",
            "Method",
            "kind",
            "db",
            "url.fulll",
            "http.status_code",
        ] {
            assert_eq!(class(other), 0, "{other}");
        }
        // As span names: the first word of I/O, whole words only, without case.
        let word = |name: &str| {
            let i = KeyClasses::io_word(name);
            (i > 0).then(|| IO_WORDS[usize::from(i) - 1])
        };
        assert_eq!(word("db.query"), Some("db"));
        assert_eq!(word("SELECT via Postgres"), Some("postgres"));
        assert_eq!(word("redis_GET"), Some("redis"));
        assert_eq!(word("HTTP client"), Some("http"));
        for none in ["", "dbx", "cpu.burn", "handler", "queryset", "filesystem"] {
            assert_eq!(word(none), None, "{none}");
        }
    }

    /// Classes kept for one trace's strings are not read for another trace with fewer.
    #[test]
    fn key_classes_start_over_for_a_trace_with_fewer_strings() {
        let mut big = TraceBuilder::new();
        for k in ["a", "b", "c", "http.method"] {
            big.intern(k);
        }
        let big = big.finish();
        let mut small = TraceBuilder::new();
        let method = small.intern("method");
        let small = small.finish();
        let mut keys = KeyClasses::default();
        keys.update(&big);
        keys.update(&small);
        assert_eq!(keys.of(&small, method), KeyClasses::METHOD);
    }

    /// A method and a route make a request; a `path` (or a method) alone does not.
    #[test]
    fn http_fields_need_a_method_and_a_route() {
        let mut b = TraceBuilder::new();
        let n = b.intern("span");
        let both = vec![f(&mut b, "http.method", "GET"), f(&mut b, "url.path", "/a")];
        let path = vec![f(&mut b, "path", "[\"core\"]")];
        let method = vec![f(&mut b, "method", "GET")];
        for fields in [both, path, method] {
            b.closed_span(n, None, None, 0, 10, Some(1), Some(9), fields, None);
        }
        let t = b.finish();
        let cfg = Config::default();
        // Keys classified ahead (as `Kids::build` does) and on the fly give the same answers.
        let mut ahead = KeyClasses::default();
        ahead.update(&t);
        for keys in [&ahead, &KeyClasses::default()] {
            let is = |i| is_request_span(&t, SpanIdx(i), &cfg, keys);
            assert!(is(0));
            assert!(!is(1), "path alone");
            assert!(!is(2), "method alone");
        }
        assert_eq!(endpoint_of(&t, SpanIdx(0), &cfg).0, "GET /a");
    }

    #[test]
    fn endpoint_strips_query() {
        let mut b = TraceBuilder::new();
        let n = b.intern("request");
        let fields = vec![f(&mut b, "method", "GET"), f(&mut b, "uri", "/a/b?x=1")];
        b.closed_span(n, None, None, 0, 10, Some(1), Some(9), fields, None);
        let t = b.finish();
        let (e, origin) = endpoint_of(&t, SpanIdx(0), &Config::default());
        assert_eq!(e, "GET /a/b");
        assert_eq!(origin, Some(RouteOrigin::Derived { field: "uri" }));
    }

    /// 6 requests to 3 users' profiles are one endpoint; a `route` field is used as written.
    #[test]
    fn ids_in_paths_are_one_endpoint() {
        let mut b = TraceBuilder::new();
        let n = b.intern("request");
        for (i, id) in [17, 18, 19, 17, 18, 19].into_iter().enumerate() {
            let uri = format!("/users/{id}/profile?tab={i}");
            let fields = vec![f(&mut b, "method", "GET"), f(&mut b, "uri", &uri)];
            b.closed_span(n, None, None, 0, 10, Some(1), Some(9), fields, None);
        }
        let fields = vec![f(&mut b, "method", "GET"), f(&mut b, "route", "/users/:id")];
        b.closed_span(n, None, None, 0, 10, Some(1), Some(9), fields, None);
        let t = b.finish();
        let mut names = Names::default();
        let cfg = Config::default();
        let endpoints: Vec<Arc<str>> = (0..7)
            .map(|i| names.endpoint(&t, SpanIdx(i), &cfg))
            .collect();
        assert!(
            endpoints[..6]
                .iter()
                .all(|e| &**e == "GET /users/{id}/profile")
        );
        assert_eq!(&*endpoints[6], "GET /users/:id");
        assert_eq!(
            names.origin("GET /users/{id}/profile"),
            Some(&RouteOrigin::Derived { field: "uri" })
        );
        assert_eq!(names.origin("GET /users/:id"), None);
    }

    /// ```text
    /// req    [0 ───────────────── 100ms]  busy 1 ms
    ///   db     [5 ──── 85]  busy 0.1, idle 79.9 (awaited)   -> IoWait
    /// req2   [0 ───────────────── 100ms]  busy 95 ms
    ///   compute [2 ─── 97]  busy 95                          -> Cpu
    /// ```
    #[test]
    fn work_kind_from_busy_idle_of_children() {
        let mut b = TraceBuilder::new();
        let req = b.intern("http.request");
        let db = b.intern("db.query");
        let comp = b.intern("compute");
        let ms = 1_000_000;
        let f1 = vec![f(&mut b, "method", "GET"), f(&mut b, "route", "/a")];
        let r1 = b.closed_span(
            req,
            None,
            None,
            0,
            100 * ms,
            Some(ms),
            Some(99 * ms),
            f1,
            None,
        );
        let dbf = vec![f(&mut b, "db.system", "postgresql")];
        b.closed_span(
            db,
            None,
            Some(r1),
            5 * ms,
            85 * ms,
            Some(ms / 10),
            Some(79 * ms + 9 * ms / 10),
            dbf,
            None,
        );
        let f2 = vec![f(&mut b, "method", "GET"), f(&mut b, "route", "/b")];
        let r2 = b.closed_span(
            req,
            None,
            None,
            0,
            100 * ms,
            Some(95 * ms),
            Some(5 * ms),
            f2,
            None,
        );
        b.closed_span(
            comp,
            None,
            Some(r2),
            2 * ms,
            97 * ms,
            Some(95 * ms),
            Some(0),
            vec![],
            None,
        );
        let t = b.finish();
        let reqs = all_requests(&t);
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].kind, RequestWork::IoWait);
        assert!(matches!(
            reqs[0].io_evidence.as_deref(),
            Some(IoShape::Field { key, value, .. }) if &**key == "db.system" && &**value == "postgresql"
        ));
        assert_eq!(reqs[1].kind, RequestWork::Cpu);
        assert_eq!(reqs[1].heavy, vec![(2 * ms, 97 * ms)]);
        assert_eq!(reqs[1].heavy_name.as_deref(), Some("compute"));
        assert_eq!(reqs[1].location, Location::Unknown);
    }

    /// A child busy while its parent request was idle ran elsewhere (spawn_blocking).
    #[test]
    fn child_busy_while_parent_idle_is_offloaded() {
        let mut b = TraceBuilder::new();
        let req = b.intern("http.request");
        let comp = b.intern("compute");
        let ms = 1_000_000;
        let f1 = vec![f(&mut b, "method", "GET"), f(&mut b, "route", "/a")];
        let r = b.closed_span(
            req,
            None,
            None,
            0,
            100 * ms,
            Some(ms / 2),
            Some(99 * ms),
            f1,
            None,
        );
        b.closed_span(
            comp,
            None,
            Some(r),
            2 * ms,
            97 * ms,
            Some(95 * ms),
            Some(0),
            vec![],
            None,
        );
        let t = b.finish();
        let reqs = all_requests(&t);
        assert_eq!(reqs[0].kind, RequestWork::Cpu);
        assert_eq!(reqs[0].location, Location::Offloaded);
    }

    #[test]
    fn names_of_routes_are_not_io_evidence_but_child_conventions_are() {
        let mut b = TraceBuilder::new();
        let n = b.intern("handler_async_io");
        let s = b.closed_span(n, None, None, 0, 1, None, None, vec![], None);
        let k = b.intern("upstream_call");
        let s2 = b.closed_span(k, None, None, 0, 1, None, None, vec![], None);
        let t = b.finish();
        assert_eq!(
            io_shape(
                &t,
                s,
                &Config::default(),
                &KeyClasses::default(),
                &mut Names::default()
            ),
            None
        );
        let keys = KeyClasses::default();
        assert!(io_shape(&t, s2, &Config::default(), &keys, &mut Names::default()).is_some());
    }
}
