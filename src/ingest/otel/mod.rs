//! Distributed-tracing spans: OTLP/JSON (what an OpenTelemetry SDK or Collector writes), Jaeger
//! JSON (the UI's "Download JSON", the query API) and Zipkin v2 JSON. Each format's module only
//! decodes its shape into a [`SpanIn`]; what they share is here: the window that puts spans of
//! one trace together, the semantic conventions mapped onto the fields the analysis reads, and
//! the reading of JSON documents one per line, and the stream reader of pretty-printed ones
//! (`stream.rs`).
//!
//! What becomes of a span:
//!
//! | span | model |
//! |---|---|
//! | name (`operationName`) | span name |
//! | start, end (ns; Jaeger and Zipkin: µs start + duration) | start, end; no busy/idle (the formats have none) |
//! | parent (`parentSpanId`, Jaeger's first `CHILD_OF` of the same trace, Zipkin's `parentId`) | parent |
//! | kind (`kind` 2 or `SPAN_KIND_SERVER`, Zipkin `SERVER`, Jaeger tag `span.kind`) | field `otel.kind` = `server`, `client`, `producer`, `consumer` or `internal` |
//! | attributes / tags, typed values as text | a field each, under its own key (`http.route`, `db.system`, ...) |
//! | resource `service.name` (Jaeger `processes[].serviceName`, Zipkin `localEndpoint.serviceName`) | field `service.name` |
//! | scope name | field `otel.scope.name` |
//! | status (OTLP) | fields `otel.status_code` (`OK`/`ERROR`), `otel.status_description` |
//! | an `exception` event (OTLP) | fields `exception.type`, `exception.message` |
//! | attributes `thread.id` / `thread.name` (with resource `process.pid`: key `pid:tid`) | the thread the span was opened and closed on |
//! | Zipkin `http.path` (Brave) | also `url.path` |
//!
//! # The window
//!
//! Spans of one trace arrive in different batches (a line of the Collector's file exporter, a
//! Zipkin POST) and children before parents. A span is held with the other spans of its trace
//! until [`QUIET_SPANS`] spans of any trace have been read since its trace's last one; then, at
//! the end of a batch (a line of JSON lines; each span of a pretty-printed document, read as a
//! stream), the trace is put into the model, parents first.
//! At most [`MAX_HELD`] spans are held: beyond that, the quietest traces are put in early, with
//! a warning. A span whose trace was already put in, or whose parent is in no batch, is an
//! orphan: it becomes a root of its own, counted in a warning. A child that starts before or
//! ends after its parent (clock skew between services) is clamped into the parent, counted in
//! a warning.

pub mod jaeger;
pub mod otlp;
pub(crate) mod stream;
pub(crate) mod value;
pub mod zipkin;

use super::InputStats;
use super::lines::{ApplyLine, Flow, Lines, ParseLine, parse_lines};
use crate::error::{Error, Result};
use crate::model::{FieldValue, Ns, SpanIdx, Sym, ThreadIdx, TraceBuilder, ValueCache};
use rustc_hash::FxHashMap as HashMap;
use std::collections::VecDeque;
use std::collections::hash_map::Entry;
use std::io::BufRead;

/// A trace is put into the model once this many spans have been read since its last span.
pub const QUIET_SPANS: u64 = 10_000;
/// Most spans held at once waiting for the rest of their trace.
pub const MAX_HELD: usize = 200_000;

/// A span kind, as OpenTelemetry names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl Kind {
    /// OTLP's integer (0, unspecified, is no kind).
    pub fn from_int(n: i64) -> Option<Kind> {
        match n {
            1 => Some(Kind::Internal),
            2 => Some(Kind::Server),
            3 => Some(Kind::Client),
            4 => Some(Kind::Producer),
            5 => Some(Kind::Consumer),
            _ => None,
        }
    }

    /// `SPAN_KIND_SERVER`, `SERVER` (Zipkin), `server` (Jaeger's tag), any case.
    pub fn from_name(s: &str) -> Option<Kind> {
        let s = s.trim();
        let s = s
            .get(..10)
            .filter(|p| p.eq_ignore_ascii_case("span_kind_"))
            .map_or(s, |_| &s[10..]);
        [
            ("internal", Kind::Internal),
            ("server", Kind::Server),
            ("client", Kind::Client),
            ("producer", Kind::Producer),
            ("consumer", Kind::Consumer),
        ]
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s))
        .map(|(_, k)| k)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Internal => "internal",
            Kind::Server => "server",
            Kind::Client => "client",
            Kind::Producer => "producer",
            Kind::Consumer => "consumer",
        }
    }
}

/// One span as a format's module decoded it, before it joins its trace.
#[derive(Debug, Default)]
pub struct SpanIn<'a> {
    pub trace_id: &'a str,
    pub span_id: &'a str,
    pub parent_id: Option<&'a str>,
    pub name: &'a str,
    pub start: Option<Ns>,
    pub end: Option<Ns>,
    pub kind: Option<Kind>,
    /// Zipkin's `shared`: the server half of a span id shared with its client.
    pub shared: bool,
    /// Attributes and tags, keys interned.
    pub fields: Vec<(Sym, FieldValue)>,
    /// Resource `process.pid`, for thread keys.
    pub pid: Option<&'a str>,
    /// First line of the span's batch, for warnings.
    pub line: u64,
}

/// A span held in the window.
#[derive(Debug)]
struct Held {
    id: u64,
    parent: Option<u64>,
    shared: bool,
    name: Sym,
    start: Ns,
    end: Ns,
    fields: Vec<(Sym, FieldValue)>,
    thread: Option<ThreadIdx>,
    line: u64,
}

#[derive(Debug, Default)]
struct Pending {
    spans: Vec<Held>,
    /// Spans read (all traces) when this trace's last span came.
    last: u64,
}

/// Counts warned about once, at the end.
#[derive(Debug, Default)]
struct Counts {
    no_id: (u64, u64),
    no_time: (u64, u64),
    end_before_start: (u64, u64),
    duplicates: (u64, u64),
    orphans: (u64, u64),
    clamped: u64,
    max_skew: Ns,
    early: u64,
}

fn count(c: &mut (u64, u64), line: u64) {
    if c.0 == 0 {
        c.1 = line;
    }
    c.0 += 1;
}

/// Interned keys the shared code sets or reads.
#[derive(Debug, Clone, Copy)]
pub struct Keys {
    pub kind: Sym,
    pub service: Sym,
    pub scope: Sym,
    pub status_code: Sym,
    pub status_description: Sym,
    pub thread_id: Sym,
    pub thread_name: Sym,
    pub http_path: Sym,
    pub url_path: Sym,
    pub trace_id: Sym,
}

impl Keys {
    fn new(b: &mut TraceBuilder) -> Keys {
        Keys {
            kind: b.intern("otel.kind"),
            service: b.intern("service.name"),
            scope: b.intern("otel.scope.name"),
            status_code: b.intern("otel.status_code"),
            status_description: b.intern("otel.status_description"),
            thread_id: b.intern("thread.id"),
            thread_name: b.intern("thread.name"),
            http_path: b.intern("http.path"),
            trace_id: b.intern("otel.trace_id"),
            url_path: b.intern("url.path"),
        }
    }
}

/// Puts spans of one trace together and hands them to the builder (see the module docs).
pub struct Assembler {
    pending: HashMap<u128, Pending>,
    /// Traces in the order they last got a span (entries may be stale: see `flush`).
    queue: VecDeque<(u128, u64)>,
    read: u64,
    held: usize,
    pub keys: Keys,
    /// Repeated attribute values (service names, routes, methods) shared, not copied.
    pub values: ValueCache,
    /// `otel.kind`'s value for each kind, shared by every span of that kind.
    kinds: [FieldValue; 5],
    counts: Counts,
    thread_key: String,
    scratch: Scratch,
    /// Span names seen last (a few names repeat: a request's span, its children's).
    names: Recent<4>,
}

/// The last `N` strings looked up and their symbols, the latest first: a few comparisons
/// instead of hashing a name or key that repeats (interning was about 3 % of an OTLP read).
/// Each slot's text is rewritten in place: no allocation once it is long enough.
#[derive(Debug)]
pub(crate) struct Recent<const N: usize> {
    ways: [(String, Option<Sym>); N],
}

impl<const N: usize> Default for Recent<N> {
    fn default() -> Self {
        Recent {
            ways: std::array::from_fn(|_| (String::new(), None)),
        }
    }
}

impl<const N: usize> Recent<N> {
    /// `s`'s symbol in `b`'s interner.
    pub fn sym(&mut self, b: &mut TraceBuilder, s: &str) -> Sym {
        for i in 0..N {
            if let (text, Some(sym)) = &self.ways[i]
                && text == s
            {
                let sym = *sym;
                self.ways[..=i].rotate_right(1);
                return sym;
            }
        }
        let sym = b.intern(s);
        // The least recent slot becomes the latest.
        self.ways.rotate_right(1);
        let (text, slot) = &mut self.ways[0];
        text.clear();
        text.push_str(s);
        *slot = Some(sym);
        sym
    }
}

/// Buffers `emit` reuses from trace to trace.
#[derive(Debug, Default)]
struct Scratch {
    keep: Vec<bool>,
    parent_of: Vec<Option<usize>>,
    idx: Vec<Option<SpanIdx>>,
    state: Vec<u8>,
    walk: Vec<usize>,
}

impl Assembler {
    pub fn new(b: &mut TraceBuilder) -> Assembler {
        b.set_unix_offset(0);
        Assembler {
            pending: HashMap::default(),
            queue: VecDeque::new(),
            read: 0,
            held: 0,
            keys: Keys::new(b),
            values: ValueCache::default(),
            kinds: [
                Kind::Internal,
                Kind::Server,
                Kind::Client,
                Kind::Producer,
                Kind::Consumer,
            ]
            .map(|k| k.as_str().into()),
            counts: Counts::default(),
            thread_key: String::new(),
            scratch: Scratch::default(),
            names: Recent::default(),
        }
    }

    /// Takes one decoded span: checked, given its thread, and held with its trace.
    pub fn push(&mut self, b: &mut TraceBuilder, stats: &mut InputStats, s: SpanIn<'_>) {
        let Some(id) = value::span_id(s.span_id) else {
            count(&mut self.counts.no_id, s.line);
            stats.skipped += 1;
            return;
        };
        let (Some(start), Some(end)) = (s.start.filter(|t| *t > 0), s.end) else {
            count(&mut self.counts.no_time, s.line);
            stats.skipped += 1;
            return;
        };
        if end < start {
            count(&mut self.counts.end_before_start, s.line);
            stats.skipped += 1;
            return;
        }
        stats.events += 1;
        let keys = self.keys;
        let mut fields = s.fields;
        if let Some(kind) = s.kind {
            fields.retain(|(k, _)| *k != keys.kind);
            fields.push((keys.kind, self.kinds[kind as usize].clone()));
        }
        if !fields.iter().any(|(k, _)| *k == keys.url_path)
            && let Some((_, v)) = fields.iter().find(|(k, _)| *k == keys.http_path)
        {
            let v = v.clone();
            fields.push((keys.url_path, v));
        }
        let thread = self.thread_of(b, &fields, s.pid);
        let (trace, exact) = value::trace_id_exact(s.trace_id);
        // A server or root span keeps its trace id as `otel.trace_id` (32 hex digits, as W3C's
        // traceparent writes it), so a browser's traceparent header can find the request it
        // started. Other spans do not need it.
        if (s.kind == Some(Kind::Server) || s.parent_id.is_none()) && trace != 0 && exact {
            fields.push((keys.trace_id, hex32(trace).as_str().into()));
        }
        self.read += 1;
        let read = self.read;
        let p = self.pending.entry(trace).or_insert_with(|| {
            self.queue.push_back((trace, read));
            Pending {
                // Room for a request's server span and one child before the vector grows
                // (a first push makes room for four).
                spans: Vec::with_capacity(2),
                last: 0,
            }
        });
        p.last = read;
        p.spans.push(Held {
            id,
            parent: s.parent_id.and_then(value::span_id),
            shared: s.shared,
            name: self.names.sym(b, s.name),
            start,
            end,
            fields,
            thread,
            line: s.line,
        });
        self.held += 1;
    }

    /// The thread of `thread.id` / `thread.name`, keyed `pid:tid` when the pid is known.
    fn thread_of(
        &mut self,
        b: &mut TraceBuilder,
        fields: &[(Sym, FieldValue)],
        pid: Option<&str>,
    ) -> Option<ThreadIdx> {
        let get = |k: Sym| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| &**v);
        let tid = get(self.keys.thread_id);
        let tname = get(self.keys.thread_name);
        let key = tid.or(tname)?;
        self.thread_key.clear();
        if let (Some(pid), Some(_)) = (pid, tid) {
            self.thread_key.push_str(pid);
            self.thread_key.push(':');
        }
        self.thread_key.push_str(key);
        Some(b.thread(&self.thread_key, tname))
    }

    /// The end of a batch: traces quiet for [`QUIET_SPANS`] spans go into the model, and the
    /// quietest ones beyond [`MAX_HELD`] held spans.
    pub fn end_batch(&mut self, b: &mut TraceBuilder) {
        while let Some(&(trace, seen)) = self.queue.front() {
            let over = self.held > MAX_HELD;
            if seen + QUIET_SPANS > self.read && !over {
                break;
            }
            self.queue.pop_front();
            let Some(last) = self.pending.get(&trace).map(|p| p.last) else {
                continue;
            };
            if last != seen && last + QUIET_SPANS > self.read && !over {
                // It got spans since: look again later.
                self.queue.push_back((trace, last));
                continue;
            }
            if last + QUIET_SPANS > self.read {
                self.counts.early += 1;
            }
            if let Some(p) = self.pending.remove(&trace) {
                self.held -= p.spans.len();
                self.emit(b, p.spans);
            }
        }
    }

    /// The end of the input: every trace still held goes in; warnings for what was counted.
    pub fn finish(mut self, b: &mut TraceBuilder, stats: &mut InputStats) {
        let mut rest: Vec<(u128, u64)> = self.queue.drain(..).collect();
        rest.sort_by_key(|(_, seen)| *seen);
        for (trace, _) in rest {
            if let Some(p) = self.pending.remove(&trace) {
                self.emit(b, p.spans);
            }
        }
        let c = &self.counts;
        // Duplicates were counted as read when they came; they were skipped.
        stats.events -= c.duplicates.0.min(stats.events);
        stats.skipped += c.duplicates.0;
        let at = |c: &(u64, u64)| {
            if c.1 > 0 {
                format!(" (first at line {})", c.1)
            } else {
                String::new()
            }
        };
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        // What each count says, for one span and for several.
        let said: [(&(u64, u64), &str, &str); 5] = [
            (
                &c.no_id,
                "without a span id skipped",
                "without a span id skipped",
            ),
            (
                &c.no_time,
                "without a start or end time skipped",
                "without a start or end time skipped",
            ),
            (
                &c.end_before_start,
                "ending before its start skipped",
                "ending before their start skipped",
            ),
            (
                &c.duplicates,
                "repeating the id of another span of the same trace skipped",
                "repeating the id of another span of the same trace skipped",
            ),
            (
                &c.orphans,
                "whose parent is not in the input (orphans) read as roots of their own",
                "whose parent is not in the input (orphans) read as roots of their own",
            ),
        ];
        for (count, one, many) in said {
            match count.0 {
                0 => {}
                1 => stats.warn(format!("1 span {one}{}", at(count))),
                n => stats.warn(format!("{n} spans {many}{}", at(count))),
            }
        }
        if c.clamped > 0 {
            stats.warn(format!(
                "{} span{} ran outside {} parent's time (clock skew, up to {:.3} ms): clamped into the parent",
                c.clamped,
                plural(c.clamped),
                if c.clamped == 1 { "its" } else { "their" },
                c.max_skew as f64 / 1e6
            ));
        }
        if c.early > 0 {
            stats.warn(format!(
                "{} trace{} put together before {} quiet: over {MAX_HELD} spans were waiting for the rest of their traces; later spans of them are read as orphans",
                c.early,
                plural(c.early),
                if c.early == 1 { "it was" } else { "they were" },
            ));
        }
    }

    /// Puts one trace's spans into the model: parents first, children clamped into their
    /// parent's time, every span opened before any closes (the builder hands a tree over when
    /// its last span closes).
    fn emit(&mut self, b: &mut TraceBuilder, mut spans: Vec<Held>) {
        let n = spans.len();
        // Most traces are a few spans: ids are found by a scan; big ones get hash maps.
        const SCAN: usize = 16;
        let mut by_id: HashMap<u64, usize> = HashMap::default();
        let mut shared: HashMap<u64, usize> = HashMap::default();
        let find =
            |by_id: &HashMap<u64, usize>, spans: &[Held], id: u64, sh: bool, keep: &[bool]| {
                if n <= SCAN {
                    spans
                        .iter()
                        .enumerate()
                        .position(|(i, s)| keep[i] && s.id == id && s.shared == sh)
                } else {
                    by_id.get(&id).copied()
                }
            };
        let keep = &mut self.scratch.keep;
        keep.clear();
        keep.resize(n, true);
        for (i, s) in spans.iter().enumerate() {
            let dup = if n <= SCAN {
                spans[..i]
                    .iter()
                    .enumerate()
                    .any(|(j, o)| keep[j] && o.id == s.id && o.shared == s.shared)
            } else {
                let map = if s.shared { &mut shared } else { &mut by_id };
                match map.entry(s.id) {
                    Entry::Occupied(_) => true,
                    Entry::Vacant(v) => {
                        v.insert(i);
                        false
                    }
                }
            };
            if dup {
                // Keep the first of two spans with one id.
                keep[i] = false;
                count(&mut self.counts.duplicates, s.line);
            }
        }
        let keep = &self.scratch.keep;
        // A shared (server) half is the child of its client half; children of that id are
        // the server's.
        let parent_of = &mut self.scratch.parent_of;
        parent_of.clear();
        for (i, s) in spans.iter().enumerate() {
            let p = if !keep[i] {
                None
            } else if let Some(client) = s
                .shared
                .then(|| find(&by_id, &spans, s.id, false, keep))
                .flatten()
            {
                Some(client)
            } else if let Some(p) = s.parent {
                let found = find(&shared, &spans, p, true, keep)
                    .or_else(|| find(&by_id, &spans, p, false, keep));
                if found.is_none() {
                    count(&mut self.counts.orphans, s.line);
                }
                found.filter(|&j| j != i)
            } else {
                None
            };
            parent_of.push(p);
        }
        let parent_of = &self.scratch.parent_of;
        let keep = &self.scratch.keep;
        // Parents first: a depth-first walk up from each span (a cycle is cut where it closes).
        let idx = &mut self.scratch.idx;
        idx.clear();
        idx.resize(n, None);
        let state = &mut self.scratch.state; // 0 new, 1 on the walk, 2 opened
        state.clear();
        state.resize(n, 0);
        let walk = &mut self.scratch.walk;
        for i in 0..n {
            if !keep[i] || state[i] == 2 {
                continue;
            }
            walk.clear();
            let mut cur = Some(i);
            while let Some(c) = cur {
                if state[c] != 0 || !keep[c] {
                    break;
                }
                state[c] = 1;
                walk.push(c);
                cur = parent_of[c];
            }
            while let Some(c) = walk.pop() {
                let parent = parent_of[c].filter(|&p| state[p] == 2);
                let parent_idx = parent.and_then(|p| idx[p]);
                if let Some(p) = parent {
                    let (ps, pe) = (spans[p].start, spans[p].end);
                    let s = &mut spans[c];
                    if s.start < ps || s.end > pe {
                        let skew = (ps - s.start).max(s.end - pe);
                        self.counts.clamped += 1;
                        self.counts.max_skew = self.counts.max_skew.max(skew);
                        s.start = s.start.clamp(ps, pe);
                        s.end = s.end.clamp(s.start, pe);
                    }
                }
                let s = &mut spans[c];
                let fields = std::mem::take(&mut s.fields);
                let at = b.open_span(s.name, None, parent_idx, s.start, fields);
                if let Some(th) = s.thread {
                    b.set_opened_on(at, th);
                }
                idx[c] = Some(at);
                state[c] = 2;
            }
        }
        for (i, s) in spans.iter().enumerate() {
            if let Some(at) = idx[i] {
                b.close(at, s.end, None, None, s.thread);
            }
        }
    }
}

/// A trace id as 32 lower-case hex digits (W3C traceparent's form), written without an
/// intermediate `String`.
fn hex32(v: u128) -> HexId {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 32];
    for (i, d) in out.iter_mut().enumerate() {
        *d = DIGITS[((v >> (4 * (31 - i))) & 0xf) as usize];
    }
    HexId(out)
}

/// 32 hex digits on the stack.
struct HexId([u8; 32]);

impl HexId {
    fn as_str(&self) -> &str {
        // Only ASCII hex digits are written into it.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Parses one document: UTF-8 is checked once for the whole text (serde_json would check each
/// string again), then the borrowed structs are filled.
pub fn parse<'a, T: serde::Deserialize<'a>>(doc: &'a [u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(doc) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(doc),
    }
}

/// A JSON document of a span format could not be read: where in it (0 = its first line) and
/// why.
#[derive(Debug)]
pub struct DocError {
    pub line: u64,
    pub msg: String,
}

impl From<serde_json::Error> for DocError {
    fn from(e: serde_json::Error) -> DocError {
        let text = e.to_string();
        let msg = match text.rsplit_once(" at line ") {
            Some((m, _)) => format!("{m} (column {})", e.column()),
            None => text,
        };
        DocError {
            line: e.line().saturating_sub(1) as u64,
            msg,
        }
    }
}

/// Decodes one document (its text, its first line) into the model.
pub type DocFn<'f> =
    dyn FnMut(&[u8], u64, &mut InputStats) -> std::result::Result<(), DocError> + 'f;

/// What a line reader leaves to the stream reader: a document spread over lines starts at
/// `line`; `bytes` were read from there on (the rest is still in the reader).
#[derive(Debug)]
pub struct Rest {
    pub line: u64,
    pub bytes: Vec<u8>,
}

/// Reads JSON documents of one format, one per line (JSON lines: the Collector's file
/// exporter, a sink's batches). `doc` decodes one document starting at `line`; a bad line
/// among good ones is skipped with a warning, a bad first document is the error. When the
/// first document is spread over lines (pretty-printed), reading stops there and what is left
/// is returned, for the stream reader.
pub fn read_documents(
    name: &str,
    reader: &mut dyn BufRead,
    stats: &mut InputStats,
    doc: &mut DocFn<'_>,
) -> Result<Option<Rest>> {
    read_documents_with(name, reader, stats, &Whole, &mut |text, line, (), stats| {
        doc(text.as_bytes(), line, stats)
    })
}

/// Lines decoded as a whole by the format's own function, in order.
struct Whole;

impl ParseLine for Whole {
    type Parsed<'a> = ();
    fn parse(&self, _: &str) {}
}

/// Takes a document (its text, its first line, what `P` decoded of it) into the model.
pub type ApplyDoc<'f, P> = dyn for<'a> FnMut(
        &'a str,
        u64,
        <P as ParseLine>::Parsed<'a>,
        &mut InputStats,
    ) -> std::result::Result<(), DocError>
    + 'f;

/// [`read_documents`] with the documents of JSON lines decoded by `parser` on two threads
/// (`lines::parse_lines`) and taken in order by `apply`.
pub fn read_documents_with<P: ParseLine + 'static>(
    name: &str,
    reader: &mut dyn BufRead,
    stats: &mut InputStats,
    parser: &P,
    apply: &mut ApplyDoc<'_, P>,
) -> Result<Option<Rest>> {
    let mut lines = Lines::new(name, reader);
    let mut docs = Docs {
        stats,
        apply,
        good: 0,
        bad: 0,
        first_bad: None,
        spread: None,
    };
    parse_lines(&mut lines, super::threads(), parser, &mut docs)?;
    let Docs {
        stats,
        good,
        first_bad,
        spread,
        ..
    } = docs;
    for w in lines.warnings() {
        stats.warn(w);
    }
    if let Some(line) = spread {
        return Ok(Some(Rest {
            line,
            bytes: lines.take_rest(),
        }));
    }
    match first_bad {
        Some((at, msg)) if good == 0 => Err(Error::line(name, at, msg)),
        _ => Ok(None),
    }
}

/// The documents of [`read_documents_with`], taken line by line.
struct Docs<'s, 'f, 'a, P: ParseLine + 'static> {
    stats: &'s mut InputStats,
    apply: &'a mut ApplyDoc<'f, P>,
    good: u64,
    bad: u64,
    first_bad: Option<(u64, String)>,
    /// The line where a document spread over lines starts.
    spread: Option<u64>,
}

impl<P: ParseLine + 'static> ApplyLine<P> for Docs<'_, '_, '_, P> {
    fn apply<'a>(
        &mut self,
        no: u64,
        line: &'a str,
        complete: bool,
        parsed: P::Parsed<'a>,
    ) -> Result<Flow> {
        let text = line.trim_ascii();
        if text.is_empty() {
            return Ok(Flow::Next);
        }
        match (self.apply)(text, no, parsed, self.stats) {
            Ok(()) => self.good += 1,
            Err(e) if self.good == 0 && self.bad == 0 && is_eof(&e, text.as_bytes()) => {
                // A document spread over lines: it and the rest go to the stream reader.
                self.spread = Some(no);
                return Ok(Flow::HandBack);
            }
            Err(e) => {
                self.bad += 1;
                self.stats.skipped += 1;
                let at = no + e.line;
                let msg = if complete {
                    e.msg
                } else {
                    format!("cut off: {}", e.msg)
                };
                if self.first_bad.is_none() {
                    self.first_bad = Some((at, msg.clone()));
                }
                self.stats.warn(format!("line {at}: skipped: {msg}"));
            }
        }
        Ok(Flow::Next)
    }
}

/// The document's text ended before the JSON did (a pretty-printed document's first line).
fn is_eof(e: &DocError, text: &[u8]) -> bool {
    e.msg.starts_with("EOF while parsing") && !text.ends_with(b"}") && !text.ends_with(b"]")
}

/// What a JSON document that is not the format's looks like, by its top-level keys.
pub fn describe(text: &[u8]) -> String {
    match serde_json::from_slice::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(text)
    {
        Ok(map) => describe_keys(map.keys().map(String::as_str), map.len()),
        Err(_) => stream::describe_value(text.first().copied()).into(),
    }
}

/// An object by its keys (`keys` in order, `n` of them).
fn describe_keys<'k>(keys: impl Iterator<Item = &'k str> + Clone, n: usize) -> String {
    let has = |k: &str| keys.clone().any(|x| x == k);
    if has("resourceMetrics") {
        "OpenTelemetry metrics (resourceMetrics), not spans".into()
    } else if has("resourceLogs") {
        "OpenTelemetry logs (resourceLogs), not spans".into()
    } else if n == 0 {
        "an empty JSON object".into()
    } else {
        let first: Vec<&str> = keys.take(6).collect();
        format!(
            "a JSON object with keys {}{}",
            first.join(", "),
            if n > 6 { ", ..." } else { "" }
        )
    }
}

#[cfg(test)]
mod tests;
