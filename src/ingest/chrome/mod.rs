//! Chrome trace-event JSON: DevTools Performance exports, chrome://tracing, Lighthouse traces,
//! and `tracing-chrome` output from Rust servers.
//!
//! Shapes: the array form (`[ev, ev, ...]`, possibly cut off with no `]`, or ending in `},`)
//! and the object form (`{"traceEvents": [...], "metadata": {...}}`, keys in any order, other
//! keys ignored). A mapped file is read in one pass by a serde visitor over the event array,
//! each event a typed struct borrowing from the input (`event::Event`); a stream (stdin,
//! gzip) is cut into elements by a small scanner (`scan`) and each one parsed the same way.
//! `args` stays raw JSON until an event kind that needs it looks inside. Times are µs in the
//! file (`displayTimeUnit` only changes how viewers display them) and ns in the model.
//!
//! What becomes of the events:
//!
//! | events | model |
//! |---|---|
//! | `M` `thread_name` | threads keyed `pid:tid` (pid and tid as numbers or strings); `CrRendererMain` is an event loop by definition |
//! | `X` `RunTask` (and pre-2019 task names) | counted per thread; those over a retention floor ([`crate::model::TASK_FLOOR`]) kept with the work inside them (scripts, layout, style, GC) (`tasks`) |
//! | `X` `FunctionCall`, `Layout`, ... | attributed to the kept task that contains them, whatever the order in the file |
//! | `Resource*` instants | network requests with DevTools' server-response wait (`network`) |
//! | `navigationStart`, `largestContentfulPaint::Candidate` | navigations and their LCP (`navigation`) |
//! | `B` / `E` | span enters and exits per thread (`slices`: tracing-chrome's threaded style, one pair per poll) |
//! | `b` / `e`, `S` / `F` | a span per pair (tracing-chrome's async style: creation to close), nested by time within an id (`async_spans`) |
//! | `X` of category `fee` (viztracer's Python function calls) | spans nested by time per thread, a root call one execution (`calls`) |
//! | `n`, `T`, `p`, other `X`, `i` / `I` / `R` | their times bound the trace |
//! | everything else (`C`, `P`, `O`, `N`, `D`, `s`/`t`/`f`, `c`, ...) and events missing what their kind needs | counted as skipped |
//!
//! Other top-level `X` slices are not turned into spans: a DevTools trace holds hundreds of thousands
//! of them, and a renderer main thread is judged by the browser's own task rules
//! ([`crate::model::MainThread`]), which analysis applies.
//!
//! The reader decides nothing: which tasks are long, and how the work inside them is named for
//! people, is for `analyze` and `report`.

mod args;
mod async_spans;
mod calls;
mod event;
mod fast;
mod navigation;
mod network;
pub(crate) use network::{parse_server_timing, split_unquoted};
mod scan;
mod slices;
mod split;
mod tasks;

use super::InputStats;
use super::sniff::FIX;
use crate::error::{Error, Result};
use crate::model::{Ns, TASK_FLOOR, ThreadIdx, ThreadRole, TraceBuilder};
use args::Args;
use async_spans::AsyncOpen;
use event::{Event, Id, MaybeEvent};
use navigation::{Candidate, NavRec};
use network::{Requests, ResourceEvent};
use rustc_hash::FxHashMap as HashMap;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use tasks::{RUN_TASK, Tasks, is_task, work_kind};

struct Reader<'r, 'b> {
    b: &'r mut TraceBuilder<'b>,
    report: &'r mut InputStats,
    thread_by_key: HashMap<String, ThreadIdx>,
    key_buf: String,
    last_thread: Option<(Option<Id<'static>>, Option<Id<'static>>, ThreadIdx)>,
    /// pid and tid text of each thread.
    ids: HashMap<ThreadIdx, (String, String)>,
    names: HashMap<ThreadIdx, String>,
    tasks: HashMap<ThreadIdx, Tasks>,
    /// Top-level tasks at most this long are counted, not kept (memory; see `tasks`).
    task_floor: Ns,
    slices: slices::Slices,
    slices_seen: bool,
    /// Async spans open per (category, id), innermost last.
    asyncs: HashMap<String, Vec<AsyncOpen>>,
    async_unmatched: u64,
    requests: Requests,
    navigations: Vec<NavRec>,
    candidates: Vec<Candidate>,
    /// Image URLs of `LargestImagePaint::Candidate`, by (pid, DOM node): (time, URL).
    images: HashMap<(String, u64), Vec<(Ns, String)>>,
    /// Chrome's own process or thread names were seen: the slices are browser work, not an
    /// async runtime's polls.
    browser_names: bool,
    /// A Python profiler's function calls (viztracer), made spans at the end.
    calls: calls::Calls,
    /// Elements of the event array read, and how many of them were event objects.
    events: u64,
    objects: u64,
    /// Events skipped or repaired, for the warnings: no name, no usable time (`ts` missing or
    /// not a number, `ts` or `dur` beyond ±292 years; an `X` without `dur` is not counted), an `X` with a negative duration (read as
    /// 0), and events holding bytes that are not UTF-8 (read with U+FFFD), the first's offset.
    no_name: u64,
    no_time: u64,
    negative_dur: u64,
    not_utf8: u64,
    first_not_utf8: Option<u64>,
}

impl<'r, 'b> Reader<'r, 'b> {
    fn new(b: &'r mut TraceBuilder<'b>, report: &'r mut InputStats, task_floor: Ns) -> Self {
        Reader {
            b,
            report,
            thread_by_key: HashMap::default(),
            key_buf: String::new(),
            last_thread: None,
            ids: HashMap::default(),
            names: HashMap::default(),
            tasks: HashMap::default(),
            task_floor,
            slices: slices::Slices::default(),
            slices_seen: false,
            asyncs: HashMap::default(),
            async_unmatched: 0,
            requests: Requests::default(),
            navigations: Vec::new(),
            candidates: Vec::new(),
            images: HashMap::default(),
            browser_names: false,
            calls: calls::Calls::default(),
            events: 0,
            objects: 0,
            no_name: 0,
            no_time: 0,
            negative_dur: 0,
            not_utf8: 0,
            first_not_utf8: None,
        }
    }

    /// The thread `pid:tid`; no allocation once the thread is known.
    fn thread(&mut self, pid: &Option<Id<'_>>, tid: &Option<Id<'_>>) -> ThreadIdx {
        use std::fmt::Write as _;
        // Events come in runs on one thread: a one-entry cache skips the key formatting.
        if let Some((p, t, idx)) = &self.last_thread
            && p == pid
            && t == tid
        {
            return *idx;
        }
        let own = |id: &Option<Id<'_>>| {
            id.as_ref().map(|i| match i {
                Id::Num(n) => Id::Num(*n),
                Id::Str(s) => Id::Str(Cow::Owned(s.to_string())),
            })
        };
        self.key_buf.clear();
        if let Some(p) = pid {
            let _ = write!(self.key_buf, "{p}");
        }
        self.key_buf.push(':');
        if let Some(t) = tid {
            let _ = write!(self.key_buf, "{t}");
        }
        let t = match self.thread_by_key.get(self.key_buf.as_str()) {
            Some(t) => *t,
            None => {
                let t = self.b.thread(&self.key_buf, None);
                self.thread_by_key.insert(self.key_buf.clone(), t);
                let text =
                    |id: &Option<Id<'_>>| id.as_ref().map_or_else(String::new, ToString::to_string);
                self.ids.insert(t, (text(pid), text(tid)));
                t
            }
        };
        self.last_thread = Some((own(pid), own(tid), t));
        t
    }

    fn skip(&mut self) {
        self.report.skipped += 1;
    }

    /// Skips an event its kind cannot use without a time.
    fn skip_no_time(&mut self) {
        self.no_time += 1;
        self.skip();
    }

    /// Skips an event its kind cannot use without a name.
    fn skip_no_name(&mut self) {
        self.no_name += 1;
        self.skip();
    }

    fn event(&mut self, ev: Event<'_>) {
        self.events += 1;
        self.objects += 1;
        let ph = ev.ph.as_deref().unwrap_or("");
        match ph {
            "M" => self.metadata(&ev),
            "X" => self.complete(&ev),
            "B" | "E" => self.slice(ph == "B", &ev),
            "b" | "e" | "S" | "F" => self.async_slice(ph == "b" || ph == "S", &ev),
            "n" | "T" | "p" => match ev.ts_ns() {
                Some(t) => self.b.saw_time(t),
                None => self.skip_no_time(),
            },
            "I" | "i" | "R" => match ev.ts_ns() {
                Some(t) => {
                    self.b.saw_time(t);
                    self.instant(t, &ev);
                }
                None => self.skip_no_time(),
            },
            _ => self.skip(),
        }
    }

    fn metadata(&mut self, ev: &Event<'_>) {
        if ev.name() == "process_name" {
            self.browser_names = true;
        }
        if ev.name() != "thread_name" {
            return; // process names, sort indices, labels: nothing else to use
        }
        let Some(name) = Args::parse(ev.args).and_then(|a| a.name.0) else {
            self.skip();
            return;
        };
        let t = self.thread(&ev.pid, &ev.tid);
        if let Some((p, i)) = self.ids.get(&t) {
            let key = format!("{p}:{i}");
            self.b.thread(&key, Some(&name));
        }
        if name.starts_with("Cr") || name.starts_with("Chrome_") {
            self.browser_names = true;
        }
        if name == "CrRendererMain" {
            // The browser defines it: the renderer's main thread runs one event loop.
            self.b.set_thread_role_hint(t, ThreadRole::EventLoop);
        }
        self.names.entry(t).or_insert_with(|| name.into_owned());
    }

    fn complete(&mut self, ev: &Event<'_>) {
        let name = ev.name();
        let (Some(start), Some(dur)) = (ev.ts_ns(), ev.dur_ns()) else {
            if ev.ts_ns().is_some() && ev.dur.is_none() {
                // No `dur` at all: DevTools writes some (`StubScriptCatchup`); not damage.
                self.skip();
            } else {
                self.skip_no_time();
            }
            return;
        };
        if name.is_empty() {
            self.skip_no_name();
            return;
        }
        if dur < 0 {
            self.negative_dur += 1;
        }
        let dur = dur.max(0);
        self.b.saw_time(start);
        self.b.saw_time(start + dur);
        if ev.cat.as_deref() == Some(calls::CATEGORY) {
            let t = self.thread(&ev.pid, &ev.tid);
            self.calls.add(self.b, t, name, start, dur);
        } else if is_task(name) {
            let t = self.thread(&ev.pid, &ev.tid);
            self.task(t, name, start, dur, true);
        } else if let Some(kind) = work_kind(name) {
            let t = self.thread(&ev.pid, &ev.tid);
            self.work(t, kind, start, dur, ev);
        }
    }

    fn slice(&mut self, begin: bool, ev: &Event<'_>) {
        let Some(t0) = ev.ts_ns() else {
            self.skip_no_time();
            return;
        };
        let name = ev.name();
        if begin && name.is_empty() {
            self.skip_no_name();
            return;
        }
        self.slices_seen = true;
        let t = self.thread(&ev.pid, &ev.tid);
        let fields = args::fields(ev.args);
        if begin {
            self.slices
                .begin(self.b, t, t0, name, ev.cat.as_deref(), &fields);
            if name == RUN_TASK {
                self.tasks.entry(t).or_default().run_tasks += 1;
            }
        } else if let Some(open) = self.slices.end(self.b, t, t0, name, &fields) {
            let begun = self.b.strings().resolve(open.name);
            if is_task(begun) {
                let begun = begun.to_string();
                self.task(t, &begun, open.start, t0 - open.start, false);
            }
        }
    }

    /// The key of an async event: category and id (`id`, else `id2`; a local `id2` is only
    fn instant(&mut self, t0: Ns, ev: &Event<'_>) {
        let name = ev.name();
        if let Some(kind) = ResourceEvent::from_name(name) {
            if let Some(d) = Args::parse(ev.args).and_then(|a| a.data) {
                self.requests.event(kind, t0, d);
            }
            return;
        }
        self.navigation_event(name, t0, ev);
    }

    fn finish(mut self) {
        // A Python profiler names its process too (`MainProcess`): its calls are no browser's.
        self.b.browser_mut().is_browser = self.browser_names && !self.calls.seen();
        std::mem::take(&mut self.calls).finish(self.b);
        self.b.browser_mut().main_threads = self.main_threads();
        let navigations = self.navigations();
        let documents: Vec<&str> = navigations
            .iter()
            .filter(|n| n.main_frame)
            .map(|n| n.id.as_str())
            .collect();
        let requests = std::mem::take(&mut self.requests).finish(&documents);
        for r in requests {
            self.b.network(r);
        }
        self.b.browser_mut().navigations = navigations;
        if self.slices_seen {
            // tracing-chrome's threaded style never records a close: a span lives from its
            // first enter to its last exit.
            self.b.close_at_last_exit();
        }
        let unmatched = self.slices.unmatched_ends + self.async_unmatched;
        if unmatched > 0 {
            self.report.warn(format!(
                "{unmatched} end events (E, e, F) matched nothing open on their thread or id; ignored"
            ));
        }
        if self.no_name > 0 {
            let n = self.no_name;
            self.report
                .warn(format!("{n} events with no name (X, B, b) skipped"));
        }
        if self.no_time > 0 {
            let n = self.no_time;
            self.report.warn(format!(
                "{n} events with no usable time (ts missing or not a number, ts or dur beyond 292 years) skipped"
            ));
        }
        if self.negative_dur > 0 {
            let n = self.negative_dur;
            self.report.warn(format!(
                "{n} complete events (X) with a negative duration read as 0 long"
            ));
        }
        if let Some(at) = self.first_not_utf8 {
            let n = self.not_utf8;
            self.report.warn(format!(
                "{n} events held bytes that are not UTF-8 (the first at byte {at}); read with U+FFFD in their place"
            ));
        }
        self.report.events = self.events - self.report.skipped.min(self.events);
    }
}

/// Visits the event array, handing each event to the reader as soon as it is parsed.
struct EventsSeed<'x, 'r, 'b>(&'x mut Reader<'r, 'b>);

impl<'de> DeserializeSeed<'de> for EventsSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of trace events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> std::result::Result<(), A::Error> {
        while let Some(MaybeEvent(ev)) = a.next_element::<MaybeEvent<'de>>()? {
            match ev {
                Some(ev) => self.0.event(ev),
                None => {
                    self.0.events += 1;
                    self.0.skip();
                }
            }
        }
        Ok(())
    }
}

/// The top level: an event array, or an object whose `traceEvents` is streamed (every other
/// key skipped, in any order). Returns whether events were found.
struct TopSeed<'x, 'r, 'b>(&'x mut Reader<'r, 'b>);

impl<'de> Visitor<'de> for TopSeed<'_, '_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a trace: an array of events or an object with traceEvents")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> std::result::Result<bool, A::Error> {
        EventsSeed(self.0).visit_seq(a)?;
        Ok(true)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> std::result::Result<bool, A::Error> {
        let mut found = false;
        while let Some(event::Key(key)) = a.next_key::<event::Key<'de>>()? {
            if key == "traceEvents" && !found {
                a.next_value_seed(EventsSeed(self.0))?;
                found = true;
            } else {
                a.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// A JSON object with no event array.
fn no_trace_events() -> String {
    format!(
        "a JSON object without \"traceEvents\": expected a Chrome trace (an array of events or {{\"traceEvents\": [...]}}); {FIX}"
    )
}

/// A JSON value where the event array should be, or a first event that is not JSON.
fn not_an_event_array(what: impl std::fmt::Display) -> String {
    format!("expected a Chrome trace (an array of event objects): {what}; {FIX}")
}

/// An input that ends before its first event is whole: most often a trace copied while it was
/// still being written.
const ENDS_BEFORE_AN_EVENT: &str = "the input ends before any complete trace event: expected a Chrome trace; was the trace written out (tracing-chrome's guard dropped, DevTools' \"Save profile\" finished) before the file was copied?";

/// The first element of an event array none of whose elements is an object, as an error:
/// `[[[...]]]` or `[1, 2]` is JSON, not a trace.
fn no_event_objects(name: &str, first: Option<(u8, u64)>, elements: u64) -> Error {
    let (kind, offset) = match first {
        Some((b'[', at)) => ("arrays", at),
        Some((b'"', at)) => ("strings", at),
        Some((b't' | b'f', at)) => ("booleans", at),
        Some((b'n', at)) => ("nulls", at),
        Some((_, at)) => ("numbers", at),
        None => ("values", 0),
    };
    Error::Byte {
        path: name.to_string(),
        offset,
        msg: format!(
            "expected a Chrome trace (an array of event objects), found an array of {kind}: none of its {elements} elements is an object; {FIX}"
        ),
    }
}

/// The first element of the event array in `bytes`: its first byte and offset.
fn first_element(name: &str, bytes: &[u8]) -> Option<(u8, u64)> {
    let mut input = bytes;
    let mut s = scan::Scanner::new(name, &mut input);
    let mut first = None;
    let _ = s.events(&mut |e, at, _| {
        first = e.first().map(|c| (*c, at));
        Err(String::new())
    });
    first
}

/// What the end of the input means, once some events were read.
fn cut_off_warning(offset: u64, object: bool, events: u64) -> String {
    if object {
        format!(
            "TRUNCATED: the trace is cut off at byte {offset}, inside \"traceEvents\"; read the {events} whole events before it. Everything after the events (DevTools' metadata: throttling, source maps) is lost too"
        )
    } else {
        format!(
            "the trace is cut off at byte {offset} (no closing ]); read the {events} whole events before it"
        )
    }
}

/// Reads a Chrome trace from `bytes` (a mapped file) into `b`.
pub fn read(
    name: &str,
    bytes: &[u8],
    b: &mut TraceBuilder<'_>,
    report: &mut InputStats,
) -> Result<()> {
    // Strings holding bytes that are not UTF-8 fail to parse: the stream reader repairs them
    // event by event (the check is one fast pass; only a broken file pays for the stream).
    let Ok(text) = std::str::from_utf8(bytes) else {
        let mut input = bytes;
        return read_stream(name, &mut input, b, report);
    };
    let mut reader = Reader::new(b, report, TASK_FLOOR);
    let object = bytes.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{');
    let threads = super::threads();
    let chunk = chunk_size();
    // A trace of two chunks or more takes the chunked path on any number of threads: its
    // elements go through the cursor's fast path (`fast.rs`), which the one-pass serde read
    // below cannot use (one thread: 245 -> 169 M instructions on a 10 MB trace, callgrind).
    let first = match text.len() >= 2 * chunk {
        true => split::first_event(name, text, object),
        false => None,
    };
    let (found, after, synth) = match first {
        // Decoded in chunks (on every thread) up to the end of the event array (or anything
        // odd), the rest read by the serde pass below on a copy of it.
        Some(first) => {
            let rest = split::read_events(text, first, &mut reader, threads, chunk);
            let synth = split::Synthetic::new(text, first, &rest);
            let (found, after) = split::read_rest(&synth, &mut reader);
            (found, after, Some(synth))
        }
        None => {
            // Validated once above: serde_json's `str` reader does not check each string again.
            let mut de = serde_json::Deserializer::from_str(text);
            let found = de.deserialize_any(TopSeed(&mut reader));
            let after = match found {
                Ok(true) => de.end().err(),
                _ => None,
            };
            (found, after, None)
        }
    };
    // Where an error is in the file, and the error as serde says it there.
    let at = |e: &serde_json::Error| -> (u64, String) {
        match &synth {
            None => (byte_offset(bytes, e.line(), e.column()), e.to_string()),
            Some(synth) => {
                let (line, column) = synth.map(text, e.line(), e.column());
                let shown = e.to_string();
                let shown = match shown.rfind(" at line ") {
                    Some(i) if e.line() > 0 => {
                        format!("{} at line {line} column {column}", &shown[..i])
                    }
                    _ => shown,
                };
                (byte_offset(bytes, line, column), shown)
            }
        }
    };
    match found {
        Ok(true) if reader.objects == 0 && reader.events > 0 => {
            return Err(no_event_objects(
                name,
                first_element(name, bytes),
                reader.events,
            ));
        }
        Ok(true) => {
            if let Some(e) = after {
                let (offset, e) = at(&e);
                reader.report.warn(format!(
                    "data after the trace at byte {offset} ignored ({e})"
                ));
            }
        }
        Ok(false) => return Err(Error::input(name, no_trace_events())),
        Err(e) => {
            let eof = e.is_eof();
            let (offset, e) = at(&e);
            if reader.objects == 0 && eof {
                // As the stream reader says it: where the input ends.
                return Err(Error::Byte {
                    path: name.to_string(),
                    offset: bytes.len() as u64,
                    msg: ENDS_BEFORE_AN_EVENT.into(),
                });
            }
            if reader.objects == 0 {
                return Err(Error::Byte {
                    path: name.to_string(),
                    offset,
                    msg: not_an_event_array(e),
                });
            }
            let events = reader.events;
            if eof {
                // Where the input ends (serde_json points at its last byte), as the stream says.
                let end = bytes.len() as u64;
                reader.report.warn(cut_off_warning(end, object, events));
            } else if is_trailing_comma(bytes, offset) {
                // `[..., ev,]`: a writer's habit, harmless (the stream reader skips it too).
                reader.report.warn(stray_commas_warning(1, offset));
            } else {
                reader.report.warn(format!(
                    "the trace is malformed at byte {offset} ({e}); read the {events} whole events before it"
                ));
            }
        }
    }
    reader.finish();
    Ok(())
}

#[cfg(test)]
thread_local! {
    /// Chunk size of the tests of the split path (0: [`split::CHUNK`]).
    static TEST_CHUNK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Bytes per chunk when a mapped trace is decoded on several threads.
fn chunk_size() -> usize {
    #[cfg(test)]
    {
        let c = TEST_CHUNK.with(|c| c.get());
        if c > 0 {
            return c;
        }
    }
    split::CHUNK
}

/// Commas in the event array with nothing before them (a trailing comma before `]`).
fn stray_commas_warning(n: u64, first: u64) -> String {
    format!(
        "{n} stray commas in the event array (a trailing comma before ], the first at byte {first}) ignored"
    )
}

/// serde_json stops at `,]` (a writer's trailing comma): harmless when the array ends there.
fn is_trailing_comma(bytes: &[u8], offset: u64) -> bool {
    let at = usize::try_from(offset).map_or(bytes.len(), |o| o.min(bytes.len()));
    let (before, after) = bytes.split_at(at);
    let mut back = before.iter().rev().filter(|c| !c.is_ascii_whitespace());
    let mut ahead = after.iter().filter(|c| !c.is_ascii_whitespace());
    match back.next() {
        Some(b',') => ahead.next() == Some(&b']'),
        // The error can point just past the `]`.
        Some(b']') => back.next() == Some(&b','),
        _ => false,
    }
}

/// Reads a Chrome trace from a stream (stdin, gzip) with memory bounded by the largest event.
pub fn read_stream(
    name: &str,
    input: &mut dyn std::io::BufRead,
    b: &mut TraceBuilder<'_>,
    report: &mut InputStats,
) -> Result<()> {
    let mut reader = Reader::new(b, report, TASK_FLOOR);
    let mut s = scan::Scanner::new(name, input);
    let mut first_other: Option<(u8, u64)> = None;
    let threads = super::threads();
    let (outcome, failed) = if threads > 1 {
        // Events are gathered into batches, each decoded on two threads and applied in order.
        let mut batch = Batch::default();
        let mut share = 0.5;
        let mut failed = None;
        let limit = batch_size();
        let outcome = gather(&mut s, &mut batch, limit, &mut |batch| {
            batch
                .flush(&mut reader, &mut first_other, Some(&mut share))
                .map_err(|(msg, at)| {
                    failed = Some((msg.clone(), at, batch.stray));
                    msg
                })
        });
        // What came before the end (or before where the scanner failed) was read first.
        if failed.is_none()
            && let Err((msg, at)) = batch.flush(&mut reader, &mut first_other, Some(&mut share))
        {
            failed = Some((msg, at, batch.stray));
        }
        (outcome, failed)
    } else {
        (stream_events(&mut s, &mut reader, &mut first_other), None)
    };
    let scanned = Scanned::of(&s, outcome);
    conclude(name, reader, scanned, failed, first_other)
}

/// Reads a Chrome trace from a stream that may be read on another thread (the blocks of the
/// read-ahead thread, see `source::read_ahead`): a thread of its own finds the events and
/// gathers them into batches, a few ahead of this one, which decodes and applies them in
/// order (with more than two threads, the back part of each batch is decoded on one more).
/// The same trace, warnings and errors as [`read_stream`]; `tick` is called after each batch
/// (progress).
pub(super) fn read_stream_ahead<R: std::io::BufRead + Send>(
    name: &str,
    mut input: R,
    tick: &mut dyn FnMut(),
    b: &mut TraceBuilder<'_>,
    report: &mut InputStats,
) -> Result<()> {
    let mut reader = Reader::new(b, report, TASK_FLOOR);
    let mut first_other: Option<(u8, u64)> = None;
    // With two threads, one reads (and gunzips) and finds the events, the other decodes and
    // applies them: a third would only take turns with them.
    let split = super::threads() > 2;
    let mut share = 0.5;
    let limit = batch_size();
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Batch>();
    let (scanned, failed) = std::thread::scope(|sc| -> Result<_> {
        let scanner = std::thread::Builder::new()
            .name("stallscope-scan".into())
            .spawn_scoped(sc, move || {
                let mut s = scan::Scanner::new(name, &mut input);
                let mut batch = Batch::default();
                let outcome = gather(&mut s, &mut batch, limit, &mut |batch| {
                    let spare = empty_rx.try_recv().unwrap_or_default();
                    // The reader stopped (an event that is not JSON): so does the scan.
                    full_tx
                        .send(std::mem::replace(batch, spare))
                        .map_err(|_| String::new())
                });
                if !batch.items.is_empty() {
                    let _ = full_tx.send(batch);
                }
                Scanned::of(&s, outcome)
            })
            .map_err(|source| Error::Io {
                path: name.to_string(),
                source,
            })?;
        let mut failed = None;
        for mut batch in full_rx.iter() {
            let share = split.then_some(&mut share);
            if let Err((msg, at)) = batch.flush(&mut reader, &mut first_other, share) {
                failed = Some((msg, at, batch.stray));
                break;
            }
            tick();
            if batch.text.capacity() > 2 * limit {
                // Grown by an event far larger than a batch: not kept for the next ones.
                batch = Batch::default();
            }
            let _ = empty_tx.send(batch);
        }
        // Stops the scan after a failure (its next batch finds no one to take it).
        drop(full_rx);
        let scanned = match scanner.join() {
            Ok(scanned) => scanned,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        Ok((scanned, failed))
    })?;
    conclude(name, reader, scanned, failed, first_other)
}

/// Batches gathered ahead of the one being applied by [`read_stream_ahead`]: one is enough
/// for the scan never to wait on two cores, and each one more may hold an event of up to
/// [`scan::MAX_ELEMENT`].
const BATCHES_AHEAD: usize = 1;

/// What a scan of the stream ended with, and where the scanner stood then.
struct Scanned {
    outcome: std::result::Result<bool, scan::StreamError>,
    offset: u64,
    read_so_far: u64,
    object: bool,
    /// Stray commas: how many, and the offset of the first.
    stray: scan::Stray,
}

impl Scanned {
    fn of(s: &scan::Scanner<'_>, outcome: std::result::Result<bool, scan::StreamError>) -> Self {
        Scanned {
            outcome,
            offset: s.offset(),
            read_so_far: s.read_so_far(),
            object: s.object,
            stray: (s.stray_commas, s.first_stray_comma),
        }
    }
}

/// Hands the events `s` finds to `emit` in batches of about `limit` bytes (the last one,
/// maybe empty, is left in `batch`). `emit` takes a full batch and leaves an empty one; its
/// error stops the scan. Each batch records the scanner's stray commas when it was emitted.
fn gather(
    s: &mut scan::Scanner<'_>,
    batch: &mut Batch,
    limit: usize,
    emit: &mut dyn FnMut(&mut Batch) -> std::result::Result<(), String>,
) -> std::result::Result<bool, scan::StreamError> {
    let outcome = s.events(&mut |slice, at, stray| {
        // An empty element (`[}`) is no event: the scanner stops at it only when told, as
        // one at a time would (after the events before it).
        let empty = slice.is_empty();
        if !empty {
            batch.push(slice, at);
            if batch.text.len() < limit {
                return Ok(());
            }
        }
        batch.stray = stray;
        emit(batch)?;
        match empty {
            true => Err(serde_json::from_str::<MaybeEvent<'_>>("")
                .err()
                .map_or_else(String::new, |e| e.to_string())),
            false => Ok(()),
        }
    });
    batch.stray = (s.stray_commas, s.first_stray_comma);
    outcome
}

/// The end of reading a stream: the error or warning the scan or the decoding ended with (the
/// decoding's first, `failed`: its message, the offset of the event, and the stray commas seen
/// when its batch was gathered), then the reader's own warnings.
fn conclude(
    name: &str,
    reader: Reader<'_, '_>,
    scanned: Scanned,
    failed: Option<(String, u64, scan::Stray)>,
    first_other: Option<(u8, u64)>,
) -> Result<()> {
    let (outcome, offset, stray) = match failed {
        Some((msg, at, stray)) => (Err(scan::StreamError::Syntax(msg)), at, stray),
        None => (scanned.outcome, scanned.offset, scanned.stray),
    };
    let events = reader.events;
    match outcome {
        Ok(true) if reader.objects == 0 && events > 0 => {
            return Err(no_event_objects(name, first_other, events));
        }
        Ok(true) => {}
        Ok(false) => return Err(Error::input(name, no_trace_events())),
        Err(scan::StreamError::Io(e)) => return Err(e),
        Err(scan::StreamError::Syntax(msg)) if reader.objects == 0 => {
            return Err(Error::Byte {
                path: name.to_string(),
                offset,
                msg: not_an_event_array(msg),
            });
        }
        Err(scan::StreamError::Syntax(msg)) => reader.report.warn(format!(
            "the trace is malformed at byte {offset} ({msg}); read the {events} whole events before it"
        )),
        Err(scan::StreamError::Eof) if reader.objects == 0 => {
            return Err(Error::Byte {
                path: name.to_string(),
                offset: scanned.read_so_far,
                msg: ENDS_BEFORE_AN_EVENT.into(),
            });
        }
        Err(scan::StreamError::Eof) => reader
            .report
            .warn(cut_off_warning(offset, scanned.object, events)),
    }
    if let (n, Some(first)) = stray {
        reader.report.warn(stray_commas_warning(n, first));
    }
    reader.finish();
    Ok(())
}

/// Reads the events `s` finds, decoding and applying each in turn on this thread.
fn stream_events(
    s: &mut scan::Scanner<'_>,
    reader: &mut Reader<'_, '_>,
    first_other: &mut Option<(u8, u64)>,
) -> std::result::Result<bool, scan::StreamError> {
    s.events(&mut |slice, at, _| {
        let repaired: String;
        let slice: &str = match std::str::from_utf8(slice) {
            Ok(text) => text,
            Err(e) => {
                reader.not_utf8 += 1;
                let first = at + e.valid_up_to() as u64;
                reader.first_not_utf8 = reader.first_not_utf8.or(Some(first));
                repaired = String::from_utf8_lossy(slice).into_owned();
                &repaired
            }
        };
        let MaybeEvent(ev) = fast::from_str(slice).map_err(|e| e.to_string())?;
        match ev {
            Some(ev) => reader.event(ev),
            None => {
                *first_other = first_other.or(slice.as_bytes().first().map(|c| (*c, at)));
                reader.events += 1;
                reader.skip();
            }
        }
        Ok(())
    })
}

/// How many bytes of events a [`Batch`] gathers before they are decoded.
const BATCH: usize = 1 << 21;

#[cfg(test)]
thread_local! {
    /// Batch size of the tests of the stream's batches (0: [`BATCH`]).
    static TEST_BATCH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Bytes of events per [`Batch`].
fn batch_size() -> usize {
    #[cfg(test)]
    {
        let b = TEST_BATCH.with(|b| b.get());
        if b > 0 {
            return b;
        }
    }
    BATCH
}

/// Events found by the scanner, copied out of its buffer (repaired where not UTF-8), to be
/// decoded on two threads and applied in order.
#[derive(Default)]
struct Batch {
    text: String,
    /// Each event's end in `text`, its offset in the input, and where its first byte that is
    /// not UTF-8 was (repaired).
    items: Vec<(usize, u64, Option<u64>)>,
    /// The scanner's stray commas when the batch was handed over.
    stray: scan::Stray,
}

impl Batch {
    fn push(&mut self, slice: &[u8], at: u64) {
        let repaired = match std::str::from_utf8(slice) {
            Ok(text) => {
                self.text.push_str(text);
                None
            }
            Err(e) => {
                self.text.push_str(&String::from_utf8_lossy(slice));
                Some(at + e.valid_up_to() as u64)
            }
        };
        self.items.push((self.text.len(), at, repaired));
    }

    /// Decodes and applies every event gathered; on an event that is not valid JSON, stops
    /// there and says why and where it starts. With `share` (the share of the events decoded
    /// by the other thread, see `lines::parse_lines`, adjusted here), the back part of the
    /// batch is decoded on another thread; without, all on this one.
    fn flush(
        &mut self,
        reader: &mut Reader<'_, '_>,
        first_other: &mut Option<(u8, u64)>,
        share: Option<&mut f64>,
    ) -> std::result::Result<(), (String, u64)> {
        let text = std::mem::take(&mut self.text);
        let items = std::mem::take(&mut self.items);
        let mut starts = Vec::with_capacity(items.len());
        let mut from = 0;
        for (end, _, _) in &items {
            starts.push(from);
            from = *end;
        }
        let event = |i: usize| text.get(starts[i]..items[i].0).unwrap_or("");
        let cut = share.as_ref().map_or(items.len(), |share| {
            ((items.len() as f64) * (1.0 - **share)) as usize
        });
        let mut apply = |i: usize, parsed: serde_json::Result<MaybeEvent<'_>>| {
            let (_, at, repaired) = items[i];
            if let Some(first) = repaired {
                reader.not_utf8 += 1;
                reader.first_not_utf8 = reader.first_not_utf8.or(Some(first));
            }
            match parsed.map_err(|e| (e.to_string(), at))?.0 {
                Some(ev) => reader.event(ev),
                None => {
                    *first_other = first_other.or(event(i).as_bytes().first().map(|c| (*c, at)));
                    reader.events += 1;
                    reader.skip();
                }
            }
            Ok(())
        };
        let result = match share {
            None => (0..items.len()).try_for_each(|i| apply(i, fast::from_str(event(i)))),
            Some(share) => std::thread::scope(|sc| {
                let worker = sc.spawn(|| {
                    let parsed: Vec<_> = (cut..items.len())
                        .map(|i| fast::from_str(event(i)))
                        .collect();
                    (parsed, std::time::Instant::now())
                });
                for i in 0..cut {
                    apply(i, fast::from_str(event(i)))?;
                }
                let front_done = std::time::Instant::now();
                let (parsed, back_done) = match worker.join() {
                    Ok(done) => done,
                    Err(panic) => std::panic::resume_unwind(panic),
                };
                *share = if back_done > front_done {
                    (*share - 0.02).max(0.1)
                } else {
                    (*share + 0.02).min(0.9)
                };
                for (i, parsed) in (cut..).zip(parsed) {
                    apply(i, parsed)?;
                }
                Ok(())
            }),
        };
        // The buffers are kept for the next batch.
        self.text = text;
        self.text.clear();
        self.items = items;
        self.items.clear();
        result
    }
}

/// Byte offset of a 1-based line and column.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> u64 {
    let mut off = 0usize;
    for _ in 1..line {
        match memchr::memchr(b'\n', bytes.get(off..).unwrap_or(&[])) {
            Some(p) => off += p + 1,
            None => break,
        }
    }
    (off + column.saturating_sub(1)).min(bytes.len()) as u64
}

#[cfg(test)]
mod tests;
