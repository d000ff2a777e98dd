//! Chrome trace-event JSON: DevTools Performance exports, chrome://tracing, Lighthouse traces,
//! and `tracing-chrome` output from Rust servers.
//!
//! Shapes: the array form (`[ev, ev, ...]`, possibly cut off with no `]` or ending in `},`) and
//! the object form (`{"traceEvents": [...], "metadata": {...}}`, other keys ignored). The event
//! array is streamed through a serde visitor over borrowed, typed events: nothing but the
//! fields used here is materialised, and `args` stays raw JSON until an event needs it.
//!
//! What becomes of the events:
//!
//! | events | model |
//! |---|---|
//! | `M` `thread_name` / `process_name` | threads keyed `pid:tid`; `CrRendererMain` is an event loop by definition |
//! | `X` `RunTask` (and legacy task names) | counted per thread; over 50 ms kept as long tasks with the heaviest work inside |
//! | `Resource*` instants | network requests, with DevTools' server-response wait |
//! | `R` `navigationStart` | navigations (their id names the main document request) |
//! | `B` / `E` | span enters and exits per thread (tracing-chrome's threaded style: one pair per poll) |
//! | `b` / `e` | span creation and close (tracing-chrome's async style), nested by time within an id |
//! | everything else | counted as skipped |

use super::InputReport;
use super::tracing_common::{Context, Kind, SpanDesc, SpanEvent, SpanMatcher};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{
    MainThread, Navigation, NetworkRequest, Ns, SpanIdx, Task, ThreadIdx, ThreadRole, TraceBuilder,
};
use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Browser long-task threshold: a task strictly longer than this (DevTools' rule).
const LONG_TASK_NS: Ns = 50_000_000;

const LEGACY_TASKS: [&str; 4] = [
    "ThreadControllerImpl::RunTask",
    "ThreadControllerImpl::DoWork",
    "TaskQueueManager::ProcessTaskFromWorkQueue",
    "MessageLoop::RunTask",
];

/// Work inside a task worth naming when it is the heaviest.
const HEAVY_KINDS: [&str; 10] = [
    "FunctionCall",
    "EvaluateScript",
    "v8.compile",
    "Layout",
    "UpdateLayoutTree",
    "RecalculateStyles",
    "ParseHTML",
    "MajorGC",
    "MinorGC",
    "TimerFire",
];

/// A number or a string (pids, tids and ids come as either).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Id<'a> {
    Num(u64),
    Str(Cow<'a, str>),
}

impl fmt::Display for Id<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Num(n) => write!(f, "{n}"),
            Id::Str(s) => f.write_str(s),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Id<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Id<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Id<'de>, E> {
                Ok(Id::Num(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Id<'de>, E> {
                Ok(Id::Str(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Id<'de>, E> {
                Ok(Id::Str(Cow::Owned(v.to_string())))
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                v: &'de str,
            ) -> std::result::Result<Id<'de>, E> {
                Ok(Id::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Id<'de>, E> {
                Ok(Id::Str(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_any(V)
    }
}

/// A time in microseconds: a number, or a numeric string (Perfetto accepts both).
#[derive(Debug, Clone, Copy)]
struct Micros(f64);

impl<'de> Deserialize<'de> for Micros {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Micros;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a time in microseconds")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Micros, E> {
                Ok(Micros(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Micros, E> {
                Ok(Micros(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Micros, E> {
                Ok(Micros(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Micros, E> {
                v.trim()
                    .parse()
                    .map(Micros)
                    .map_err(|_| E::custom("a numeric time"))
            }
        }
        d.deserialize_any(V)
    }
}

impl Micros {
    fn ns(self) -> Ns {
        (self.0 * 1000.0).round() as Ns
    }
}

/// One trace event, borrowed from the input.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    cat: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    ph: Option<Cow<'a, str>>,
    #[serde(default)]
    ts: Option<Micros>,
    #[serde(default)]
    dur: Option<Micros>,
    #[serde(borrow, default)]
    pid: Option<Id<'a>>,
    #[serde(borrow, default)]
    tid: Option<Id<'a>>,
    #[serde(borrow, default)]
    id: Option<Id<'a>>,
    #[serde(borrow, default)]
    args: Option<&'a RawValue>,
}

/// `args.data` of the network and navigation events: only what is used.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Data<'a> {
    #[serde(borrow, default)]
    request_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    request_method: Option<Cow<'a, str>>,
    #[serde(default)]
    status_code: Option<f64>,
    #[serde(borrow, default)]
    mime_type: Option<Cow<'a, str>>,
    #[serde(default)]
    timing: Option<Timing>,
    #[serde(default)]
    did_fail: Option<bool>,
    #[serde(borrow, default)]
    headers: Option<Headers<'a>>,
    #[serde(borrow, default)]
    navigation_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "documentLoaderURL")]
    document_loader_url: Option<Cow<'a, str>>,
    #[serde(default)]
    is_loading_main_frame: Option<bool>,
    #[serde(default)]
    is_outermost_main_frame: Option<bool>,
    // Script attribution inside tasks.
    #[serde(borrow, default)]
    function_name: Option<Cow<'a, str>>,
    #[serde(default)]
    finish_time: Option<f64>,
    // LCP candidates.
    #[serde(default)]
    candidate_index: Option<u64>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    node_id: Option<u64>,
    #[serde(default, rename = "DOMNodeId")]
    dom_node_id: Option<u64>,
    #[serde(borrow, default)]
    image_url: Option<Cow<'a, str>>,
    #[serde(default)]
    is_main_frame: Option<bool>,
}

/// Response headers: newer traces give a list of `{name, value}`.
#[derive(Default)]
struct Headers<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Headers<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Header<'a> {
            #[serde(borrow)]
            name: Cow<'a, str>,
            #[serde(borrow)]
            value: Cow<'a, str>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Headers<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("response headers")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Headers<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(h) = a.next_element::<Header<'de>>()? {
                    out.push((h.name, h.value));
                }
                Ok(Headers(out))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Headers<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry::<Cow<'de, str>, Cow<'de, str>>()? {
                    out.push((k, v));
                }
                Ok(Headers(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The DevTools protocol's ResourceTiming: `request_time` in seconds on the trace clock, every
/// other field in milliseconds from it, -1 for "did not happen".
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
struct Timing {
    request_time: f64,
    #[serde(default = "minus_one")]
    send_end: f64,
    #[serde(default)]
    receive_headers_start: Option<f64>,
    #[serde(default = "minus_one")]
    receive_headers_end: f64,
}

fn minus_one() -> f64 {
    -1.0
}

#[derive(Deserialize)]
struct Args<'a> {
    #[serde(borrow, default)]
    data: Option<Data<'a>>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
}

/// A request being assembled from its events.
#[derive(Default)]
struct PendingRequest {
    url: String,
    method: String,
    status: Option<u16>,
    mime: Option<String>,
    first_will_send: Option<Ns>,
    first_send: Option<Ns>,
    sends: u32,
    finish: Option<Ns>,
    finish_time: Option<Ns>,
    timing: Option<Timing>,
    cached: bool,
    server_timing: Vec<(String, Ns)>,
    order: usize,
}

/// Per-thread state while reading.
#[derive(Default)]
struct ThreadState {
    /// Top-level task under way (end, index into tasks when long).
    task_end: Ns,
    run_tasks: u64,
    long: Vec<Task>,
    legacy: Vec<Task>,
    /// B/E stack: the spans begun and not yet ended.
    open: Vec<SpanIdx>,
}

struct Reader<'r, 'b> {
    b: &'r mut TraceBuilder<'b>,
    report: &'r mut InputReport,
    matcher: SpanMatcher,
    threads: HashMap<(String, String), ThreadIdx>,
    thread_by_key: HashMap<String, ThreadIdx>,
    key_buf: String,
    last_thread: Option<(Option<Id<'static>>, Option<Id<'static>>, ThreadIdx)>,
    state: HashMap<ThreadIdx, ThreadState>,
    names: HashMap<ThreadIdx, String>,
    requests: HashMap<String, PendingRequest>,
    navigations: Vec<Navigation>,
    /// LCP candidates per navigation id, and image URLs per DOM node.
    lcp: HashMap<String, crate::model::LcpCandidate>,
    image_urls: HashMap<u64, String>,
    /// Async (`b`/`e`) spans open per id: a stack, for nesting.
    async_open: HashMap<String, Vec<(SpanIdx, String)>>,
    events: u64,
    unmatched_ends: u64,
    /// Chrome's own thread or process names were seen.
    browser_names: bool,
}

impl<'r, 'b> Reader<'r, 'b> {
    fn thread(&mut self, pid: &Option<Id<'_>>, tid: &Option<Id<'_>>) -> ThreadIdx {
        use std::fmt::Write as _;
        // Events come in runs on one thread: a one-entry cache skips the formatting.
        if let Some((p, t, idx)) = &self.last_thread {
            if p == pid && t == tid {
                return *idx;
            }
        }
        self.key_buf.clear();
        for (i, id) in [pid, tid].into_iter().enumerate() {
            if i == 1 {
                self.key_buf.push(':');
            }
            if let Some(id) = id {
                let _ = write!(self.key_buf, "{id}");
            }
        }
        if let Some(&t) = self.thread_by_key.get(self.key_buf.as_str()) {
            self.remember_thread(pid, tid, t);
            return t;
        }
        let t = self.b.thread(&self.key_buf, None);
        self.thread_by_key.insert(self.key_buf.clone(), t);
        self.threads.insert((id_text(pid), id_text(tid)), t);
        self.remember_thread(pid, tid, t);
        t
    }

    fn remember_thread(&mut self, pid: &Option<Id<'_>>, tid: &Option<Id<'_>>, t: ThreadIdx) {
        let own = |id: &Option<Id<'_>>| {
            id.as_ref().map(|i| match i {
                Id::Num(n) => Id::Num(*n),
                Id::Str(s) => Id::Str(Cow::Owned(s.to_string())),
            })
        };
        self.last_thread = Some((own(pid), own(tid), t));
    }

    fn args<'x>(&mut self, raw: Option<&'x RawValue>) -> Option<Args<'x>> {
        raw.and_then(|r| serde_json::from_str::<Args<'x>>(r.get()).ok())
    }

    fn event(&mut self, ev: Event<'_>) {
        self.events += 1;
        let ph = ev.ph.as_deref().unwrap_or("");
        let name = ev.name.as_deref().unwrap_or("");
        let ts = ev.ts.map(Micros::ns);
        match ph {
            "M" => {
                let Some(args) = self.args(ev.args) else {
                    return;
                };
                if name == "process_name" {
                    self.browser_names = true;
                }
                if name == "thread_name" {
                    let t = self.thread(&ev.pid, &ev.tid);
                    if let Some(n) = args.name.as_deref() {
                        self.b.thread(
                            &format!("{}:{}", id_text(&ev.pid), id_text(&ev.tid)),
                            Some(n),
                        );
                        self.names.insert(t, n.to_string());
                        if n.starts_with("Cr") || n.starts_with("Chrome_") {
                            self.browser_names = true;
                        }
                        if n == "CrRendererMain" {
                            self.b.set_thread_role_hint(t, ThreadRole::EventLoop);
                        }
                    }
                }
            }
            "X" => {
                let (Some(start), Some(dur)) = (ts, ev.dur.map(Micros::ns)) else {
                    self.report.skipped += 1;
                    return;
                };
                self.b.saw_time(start);
                self.b.saw_time(start + dur);
                let t = self.thread(&ev.pid, &ev.tid);
                let legacy = LEGACY_TASKS.contains(&name);
                if name == "RunTask" || legacy {
                    let st = self.state.entry(t).or_default();
                    if start >= st.task_end {
                        st.task_end = start + dur;
                        if !legacy {
                            st.run_tasks += 1;
                        }
                        if dur > LONG_TASK_NS {
                            let task = Task {
                                name: name.to_string(),
                                start,
                                duration: dur,
                                heaviest: None,
                            };
                            if legacy {
                                st.legacy.push(task)
                            } else {
                                st.long.push(task)
                            }
                        }
                    }
                } else if HEAVY_KINDS.contains(&name) {
                    // Only work inside a long task is named (parsing its args costs).
                    let inside = self.state.get(&t).is_some_and(|st| {
                        st.long
                            .last()
                            .into_iter()
                            .chain(st.legacy.last())
                            .any(|task| {
                                start >= task.start
                                    && start < task.start + task.duration
                                    && task.heaviest.as_ref().is_none_or(|(_, d)| dur > *d)
                            })
                    });
                    if inside {
                        let label = self.work_label(name, ev.args);
                        let st = self.state.entry(t).or_default();
                        for task in st.long.last_mut().into_iter().chain(st.legacy.last_mut()) {
                            if start >= task.start
                                && start < task.start + task.duration
                                && task.heaviest.as_ref().is_none_or(|(_, d)| dur > *d)
                            {
                                task.heaviest = Some((label.clone(), dur));
                            }
                        }
                    }
                }
            }
            "B" | "E" => {
                let Some(t0) = ts else {
                    self.report.skipped += 1;
                    return;
                };
                let t = self.thread(&ev.pid, &ev.tid);
                if ph == "B" {
                    let desc = span_desc(name, ev.args);
                    let parent = self.state.get(&t).and_then(|s| s.open.last().copied());
                    let ctx: Vec<SpanDesc<'_>> =
                        parent.map(|p| vec![self.desc_of(p)]).unwrap_or_default();
                    let sev = SpanEvent {
                        kind: Kind::Enter,
                        time: t0,
                        thread: Some(t),
                        target: ev.cat.as_deref(),
                        span: &desc,
                        context: Context::Known(&ctx),
                        context_exact: true,
                        busy: None,
                        idle: None,
                    };
                    let idx = self.matcher.apply(self.b, &sev);
                    self.state.entry(t).or_default().open.push(idx);
                } else {
                    let st = self.state.entry(t).or_default();
                    // Pair with the innermost open slice of that name, else the innermost.
                    let pos = st
                        .open
                        .iter()
                        .rposition(|s| {
                            name.is_empty()
                                || self.b.strings().resolve(self.b.span_ref(*s).name) == name
                        })
                        .or_else(|| st.open.len().checked_sub(1));
                    match pos {
                        Some(p) => {
                            let idx = st.open.remove(p);
                            self.matcher.exit_known(self.b, idx, Some(t), t0);
                        }
                        None => self.unmatched_ends += 1,
                    }
                }
            }
            "b" | "e" | "n" | "S" | "F" | "T" | "p" => {
                let Some(t0) = ts else {
                    self.report.skipped += 1;
                    return;
                };
                let key = format!(
                    "{}|{}",
                    ev.cat.as_deref().unwrap_or(""),
                    ev.id.as_ref().map_or_else(String::new, ToString::to_string)
                );
                match ph {
                    "b" | "S" => {
                        let parent = self
                            .async_open
                            .get(&key)
                            .and_then(|v| v.last().map(|p| p.0));
                        let desc = span_desc(name, ev.args);
                        let sym = self.b.intern(&desc.name);
                        let target = ev.cat.as_deref().map(|c| self.b.intern(c));
                        let fields = desc
                            .fields
                            .iter()
                            .map(|(k, v)| (self.b.intern(k), (**v).into()))
                            .collect();
                        let idx = self.b.open_span(sym, target, parent, t0, fields);
                        self.async_open
                            .entry(key)
                            .or_default()
                            .push((idx, name.to_string()));
                    }
                    "e" | "F" => {
                        let list = self.async_open.entry(key).or_default();
                        let pos = list.iter().rposition(|(_, n)| name.is_empty() || n == name);
                        match pos {
                            Some(p) => {
                                let (idx, _) = list.remove(p);
                                self.b.close(idx, t0, None, None, None);
                            }
                            None => self.unmatched_ends += 1,
                        }
                    }
                    _ => self.b.saw_time(t0),
                }
            }
            "I" | "i" | "R" => {
                if let Some(t0) = ts {
                    self.instant(name, t0, &ev);
                }
            }
            _ => self.report.skipped += 1,
        }
    }

    fn desc_of(&self, idx: SpanIdx) -> SpanDesc<'static> {
        let s = self.b.span_ref(idx);
        SpanDesc {
            name: Cow::Owned(self.b.strings().resolve(s.name).to_string()),
            fields: s
                .fields
                .iter()
                .map(|(k, v)| {
                    (
                        Cow::Owned(self.b.strings().resolve(*k).to_string()),
                        Cow::Owned(v.to_string()),
                    )
                })
                .collect(),
        }
    }

    /// `FunctionCall app.js:render` style label for work inside a task.
    fn work_label(&mut self, name: &str, raw: Option<&RawValue>) -> String {
        let data = self.args(raw).and_then(|a| a.data);
        match data {
            Some(d) if d.url.as_deref().is_some_and(|u| !u.is_empty()) => {
                let f = d
                    .function_name
                    .as_deref()
                    .filter(|f| !f.is_empty())
                    .unwrap_or("(anonymous)");
                format!("{name} {f} {}", d.url.as_deref().unwrap_or(""))
            }
            _ => name.to_string(),
        }
    }

    fn instant(&mut self, name: &str, t0: Ns, ev: &Event<'_>) {
        self.b.saw_time(t0);
        match name {
            "navigationStart" => {
                let Some(d) = self.args(ev.args).and_then(|a| a.data) else {
                    return;
                };
                let (Some(id), Some(url)) = (d.navigation_id, d.document_loader_url) else {
                    return;
                };
                if url.is_empty() {
                    return;
                }
                self.navigations.push(Navigation {
                    id: id.to_string(),
                    url: url.to_string(),
                    start: t0,
                    main_frame: d.is_loading_main_frame.unwrap_or(false)
                        && d.is_outermost_main_frame.unwrap_or(true),
                    lcp: None,
                });
            }
            "largestContentfulPaint::Candidate" => {
                let Some(d) = self.args(ev.args).and_then(|a| a.data) else {
                    return;
                };
                let main = d
                    .is_outermost_main_frame
                    .or(d.is_main_frame)
                    .unwrap_or(false);
                let Some(nav) = d.navigation_id.filter(|_| main) else {
                    return;
                };
                let index = d.candidate_index.unwrap_or(0);
                let image_url = d.node_id.and_then(|n| self.image_urls.get(&n).cloned());
                let cand = crate::model::LcpCandidate {
                    at: t0,
                    index,
                    kind: d.kind.as_deref().unwrap_or("").to_string(),
                    image_url,
                };
                let slot = self
                    .lcp
                    .entry(nav.to_string())
                    .or_insert_with(|| cand.clone());
                if cand.index >= slot.index {
                    *slot = cand;
                }
            }
            "LargestImagePaint::Candidate" => {
                let Some(d) = self.args(ev.args).and_then(|a| a.data) else {
                    return;
                };
                if let (Some(n), Some(u)) = (d.dom_node_id, d.image_url) {
                    self.image_urls.insert(n, u.to_string());
                }
            }
            "ResourceWillSendRequest"
            | "ResourceSendRequest"
            | "ResourceReceiveResponse"
            | "ResourceFinish"
            | "ResourceMarkAsCached" => {
                let Some(d) = self.args(ev.args).and_then(|a| a.data) else {
                    return;
                };
                let Some(id) = d.request_id.as_deref() else {
                    return;
                };
                let next = self.requests.len();
                let r = self
                    .requests
                    .entry(id.to_string())
                    .or_insert_with(|| PendingRequest {
                        order: next,
                        ..PendingRequest::default()
                    });
                match name {
                    "ResourceWillSendRequest" => {
                        r.first_will_send.get_or_insert(t0);
                    }
                    "ResourceSendRequest" => {
                        r.first_send.get_or_insert(t0);
                        r.sends += 1;
                        if let Some(u) = d.url {
                            r.url = u.to_string();
                        }
                        if let Some(m) = d.request_method {
                            r.method = m.to_string();
                        }
                    }
                    "ResourceReceiveResponse" => {
                        r.status = d.status_code.map(|s| s as u16);
                        r.mime = d.mime_type.map(|m| m.to_string());
                        if d.timing.is_some() {
                            r.timing = d.timing;
                        }
                        if let Some(h) = d.headers {
                            for (k, v) in &h.0 {
                                if k.eq_ignore_ascii_case("server-timing") {
                                    r.server_timing.extend(parse_server_timing(v));
                                }
                            }
                        }
                    }
                    "ResourceFinish" => {
                        r.finish = Some(t0);
                        r.finish_time = d
                            .finish_time
                            .filter(|f| *f > 0.0)
                            .map(|f| (f * 1e9).round() as Ns);
                        let _ = d.did_fail;
                    }
                    _ => r.cached = true,
                }
            }
            _ => {}
        }
    }

    fn finish(mut self) {
        // Main threads: threads named CrRendererMain.
        let mut mains: Vec<MainThread> = Vec::new();
        let mut keys: Vec<(&(String, String), &ThreadIdx)> = self.threads.iter().collect();
        keys.sort();
        for ((pid, tid), t) in keys {
            if self.names.get(t).map(String::as_str) != Some("CrRendererMain") {
                continue;
            }
            let st = self.state.remove(t).unwrap_or_default();
            mains.push(MainThread {
                thread: *t,
                pid: pid.clone(),
                tid: tid.clone(),
                run_tasks: st.run_tasks,
                long_tasks: st.long,
                legacy_long_tasks: st.legacy,
            });
        }
        let doc_ids: Vec<&str> = self
            .navigations
            .iter()
            .filter(|n| n.main_frame)
            .map(|n| n.id.as_str())
            .collect();
        let mut reqs: Vec<(String, PendingRequest)> = self.requests.drain().collect();
        reqs.sort_by_key(|(_, r)| r.order);
        for (id, r) in reqs {
            // DevTools drops requests with no ResourceSendRequest, data: URLs and odd schemes.
            let Some(first_send) = r.first_send else {
                continue;
            };
            let scheme_ok = ["http:", "https:", "file:", "blob:", "filesystem:"]
                .iter()
                .any(|s| r.url.starts_with(s));
            if !scheme_ok {
                continue;
            }
            let start = r.first_will_send.unwrap_or(first_send);
            let timing = r
                .timing
                .filter(|t| !r.cached && t.request_time >= 0.0 && t.receive_headers_end >= 0.0);
            let (server_wait, sent, first_byte) = match timing {
                Some(t) => {
                    let headers = t
                        .receive_headers_start
                        .filter(|v| *v >= 0.0)
                        .unwrap_or(t.receive_headers_end);
                    let base = t.request_time * 1e6; // µs
                    (
                        Some(((headers - t.send_end) * 1e6).round() as Ns),
                        Some(((base + t.send_end * 1e3) * 1e3).round() as Ns),
                        Some(((base + headers * 1e3) * 1e3).round() as Ns),
                    )
                }
                None => (None, None, None),
            };
            self.b.network(NetworkRequest {
                is_document: doc_ids.contains(&id.as_str()),
                request_id: id,
                url: r.url,
                method: r.method,
                status: r.status,
                mime_type: r.mime,
                start,
                end: r.finish.unwrap_or(start),
                server_wait,
                sent,
                first_byte,
                finish_time: r.finish_time,
                redirects: r.sends.saturating_sub(1),
                server_timing: r.server_timing,
            });
        }
        let browser = self.b.browser_mut();
        browser.is_browser = self.browser_names;
        browser.main_threads = mains;
        let mut navs = std::mem::take(&mut self.navigations);
        for n in &mut navs {
            n.lcp = self.lcp.remove(&n.id);
        }
        let browser = self.b.browser_mut();
        browser.navigations = navs;
        self.b.close_at_last_exit();
        if self.unmatched_ends > 0 {
            self.report.warn(format!(
                "{} end events matched no begin on their thread or id; ignored",
                self.unmatched_ends
            ));
        }
        self.report.events = self.events - self.report.skipped.min(self.events);
    }
}

fn id_text(id: &Option<Id<'_>>) -> String {
    id.as_ref().map_or_else(String::new, ToString::to_string)
}

/// A span from a slice's name and args. tracing-chrome writes args as Debug text: `"\"/x\""`
/// for a `&str` field, `"130"` for a number; quotes are removed.
fn span_desc<'a>(name: &str, args: Option<&'a RawValue>) -> SpanDesc<'a> {
    let mut fields = Vec::new();
    if let Some(raw) = args {
        if let Ok(ArgMap(m)) = serde_json::from_str::<ArgMap<'a>>(raw.get()) {
            fields = m;
        }
    }
    SpanDesc {
        name: Cow::Owned(name.to_string()),
        fields,
    }
}

struct ArgValue<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for ArgValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ArgValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an argument value")
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                v: &'de str,
            ) -> std::result::Result<ArgValue<'de>, E> {
                let inner = v.strip_prefix('"').and_then(|r| r.strip_suffix('"'));
                Ok(ArgValue(Cow::Borrowed(inner.unwrap_or(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<ArgValue<'de>, E> {
                let inner = v.strip_prefix('"').and_then(|r| r.strip_suffix('"'));
                Ok(ArgValue(Cow::Owned(inner.unwrap_or(v).to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<ArgValue<'de>, E> {
                Ok(ArgValue(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<ArgValue<'de>, E> {
                Ok(ArgValue(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<ArgValue<'de>, E> {
                Ok(ArgValue(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<ArgValue<'de>, E> {
                Ok(ArgValue(Cow::Owned(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<ArgValue<'de>, E> {
                Ok(ArgValue(Cow::Borrowed("null")))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<ArgValue<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ArgValue(Cow::Borrowed("[..]")))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<ArgValue<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ArgValue(Cow::Borrowed("{..}")))
            }
        }
        d.deserialize_any(V)
    }
}

struct ArgMap<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de: 'a, 'a> Deserialize<'de> for ArgMap<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ArgMap<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an args object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<ArgMap<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((k, ArgValue(v))) = a.next_entry::<Cow<'de, str>, ArgValue<'de>>()? {
                    out.push((k, v));
                }
                Ok(ArgMap(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// `db;dur=53.2, app;desc="render";dur=47` -> [("db", 53.2 ms), ("app", 47 ms)].
fn parse_server_timing(v: &str) -> Vec<(String, Ns)> {
    v.split(',')
        .filter_map(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            let name = parts.next().filter(|n| !n.is_empty())?.to_string();
            let dur = parts
                .find_map(|p| p.strip_prefix("dur="))?
                .trim_matches('"')
                .parse::<f64>()
                .ok()?;
            Some((name, (dur * 1e6).round() as Ns))
        })
        .collect()
}

/// Visits the event array, handing each event to the reader as soon as it is parsed.
struct EventsSeed<'x, 'r, 'b>(&'x mut Reader<'r, 'b>);

impl<'de, 'x, 'r, 'b> DeserializeSeed<'de> for EventsSeed<'x, 'r, 'b> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, 'x, 'r, 'b> Visitor<'de> for EventsSeed<'x, 'r, 'b> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of trace events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> std::result::Result<(), A::Error> {
        loop {
            match a.next_element::<Option<Event<'de>>>() {
                Ok(Some(Some(ev))) => self.0.event(ev),
                Ok(Some(None)) => self.0.report.skipped += 1,
                Ok(None) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }
}

/// The object form: `traceEvents` is streamed, every other key skipped.
struct TopSeed<'x, 'r, 'b>(&'x mut Reader<'r, 'b>);

impl<'de, 'x, 'r, 'b> Visitor<'de> for TopSeed<'x, 'r, 'b> {
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
        while let Some(key) = a.next_key::<Cow<'de, str>>()? {
            if key == "traceEvents" {
                a.next_value_seed(EventsSeed(self.0))?;
                found = true;
            } else {
                a.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

fn new_reader<'r, 'b>(b: &'r mut TraceBuilder<'b>, report: &'r mut InputReport) -> Reader<'r, 'b> {
    Reader {
        b,
        report,
        matcher: SpanMatcher::new(),
        threads: HashMap::default(),
        thread_by_key: HashMap::default(),
        key_buf: String::new(),
        last_thread: None,
        state: HashMap::default(),
        names: HashMap::default(),
        requests: HashMap::default(),
        navigations: Vec::new(),
        async_open: HashMap::default(),
        lcp: HashMap::default(),
        image_urls: HashMap::default(),
        events: 0,
        unmatched_ends: 0,
        browser_names: false,
    }
}

/// Reads a Chrome trace from `bytes` into `b`.
pub fn read(
    name: &str,
    bytes: &[u8],
    b: &mut TraceBuilder<'_>,
    report: &mut InputReport,
    _config: &Config,
) -> Result<()> {
    let mut reader = new_reader(b, report);
    let object = bytes.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{');
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let outcome = de.deserialize_any(TopSeed(&mut reader));
    match outcome {
        Ok(true) => {
            if let Err(e) = de.end() {
                reader
                    .report
                    .warn(format!("trailing data after the trace ignored: {e}"));
            }
        }
        Ok(false) => {
            return Err(Error::input(
                name,
                "a JSON object without \"traceEvents\": expected a Chrome trace (an array of events or {\"traceEvents\": [...]})",
            ));
        }
        Err(e) => {
            let offset = byte_offset(bytes, e.line(), e.column());
            if reader.events == 0 {
                return Err(Error::Byte {
                    path: name.to_string(),
                    offset,
                    msg: format!("expected a Chrome trace event array: {e}"),
                });
            }
            if e.is_eof() {
                reader.report.warn(format!(
                    "the trace is cut off at byte {offset} ({}); read the {} whole events before it",
                    if object {
                        "object form: the metadata after traceEvents is lost too"
                    } else {
                        "no closing ]"
                    },
                    reader.events
                ));
            } else {
                reader.report.warn(format!(
                    "the trace is malformed at byte {offset} ({e}); read the {} whole events before it",
                    reader.events
                ));
            }
        }
    }
    reader.finish();
    Ok(())
}

/// Reads a Chrome trace from a stream (stdin, gzip) with memory bounded by the largest event:
/// a small scanner finds where each element of the event array ends, and each one is parsed,
/// borrowed from the buffer, as soon as it is complete.
pub fn read_stream(
    name: &str,
    input: &mut dyn std::io::BufRead,
    b: &mut TraceBuilder<'_>,
    report: &mut InputReport,
    _config: &Config,
) -> Result<()> {
    let mut reader = new_reader(b, report);
    let mut s = Scanner {
        input,
        buf: Vec::with_capacity(1 << 16),
        pos: 0,
        consumed: 0,
        eof: false,
        name,
    };
    let outcome = stream_events(&mut s, &mut reader);
    let offset = s.consumed + s.pos as u64;
    match outcome {
        Ok(true) => {}
        Ok(false) => {
            return Err(Error::input(
                name,
                "a JSON object without \"traceEvents\": expected a Chrome trace (an array of events or {\"traceEvents\": [...]})",
            ));
        }
        Err(StreamError::Io(e)) => return Err(e),
        Err(StreamError::Syntax(msg)) if reader.events == 0 => {
            return Err(Error::Byte {
                path: name.to_string(),
                offset,
                msg: format!("expected a Chrome trace event array: {msg}"),
            });
        }
        Err(StreamError::Syntax(msg)) => reader.report.warn(format!(
            "the trace is malformed at byte {offset} ({msg}); read the {} whole events before it",
            reader.events
        )),
        Err(StreamError::Eof) if reader.events == 0 => {
            return Err(Error::Byte {
                path: name.to_string(),
                offset,
                msg: "the input ends before any trace event".into(),
            });
        }
        Err(StreamError::Eof) => reader.report.warn(format!(
            "the trace is cut off at byte {offset}; read the {} whole events before it",
            reader.events
        )),
    }
    reader.finish();
    Ok(())
}

enum StreamError {
    Io(Error),
    Syntax(String),
    Eof,
}

struct Scanner<'i> {
    input: &'i mut dyn std::io::BufRead,
    buf: Vec<u8>,
    pos: usize,
    consumed: u64,
    eof: bool,
    name: &'i str,
}

impl Scanner<'_> {
    /// Makes at least one more byte available; false at the end of input.
    fn fill(&mut self) -> std::result::Result<bool, StreamError> {
        if self.eof {
            return Ok(false);
        }
        let chunk = match self.input.fill_buf() {
            Ok(c) => c,
            // A gzip stream cut short: what was decompressed is kept, like a cut-off file.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                self.eof = true;
                return Ok(false);
            }
            Err(source) => {
                return Err(StreamError::Io(Error::Io {
                    path: self.name.to_string(),
                    source,
                }));
            }
        };
        if chunk.is_empty() {
            self.eof = true;
            return Ok(false);
        }
        let n = chunk.len();
        self.buf.extend_from_slice(chunk);
        self.input.consume(n);
        Ok(true)
    }

    /// Drops what was already parsed. Only between values: scans hold indices into `buf`.
    fn compact(&mut self) {
        if self.pos > (1 << 20) && self.pos * 2 > self.buf.len() {
            self.buf.drain(..self.pos);
            self.consumed += self.pos as u64;
            self.pos = 0;
        }
    }

    fn peek(&mut self) -> std::result::Result<Option<u8>, StreamError> {
        while self.pos >= self.buf.len() {
            if !self.fill()? {
                return Ok(None);
            }
        }
        Ok(Some(self.buf[self.pos]))
    }

    fn skip_ws(&mut self) -> std::result::Result<Option<u8>, StreamError> {
        loop {
            match self.peek()? {
                Some(c) if c.is_ascii_whitespace() => self.pos += 1,
                other => return Ok(other),
            }
        }
    }

    /// The end (exclusive) of the JSON value starting at `self.pos`, reading more as needed.
    fn value_end(&mut self) -> std::result::Result<usize, StreamError> {
        let mut i = self.pos;
        let (mut depth, mut in_str, mut esc) = (0u32, false, false);
        loop {
            while i >= self.buf.len() {
                if !self.fill()? {
                    return Err(StreamError::Eof);
                }
            }
            let c = self.buf[i];
            i += 1;
            if in_str {
                if esc {
                    esc = false;
                } else if c == b'\\' {
                    esc = true;
                } else if c == b'"' {
                    in_str = false;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                continue;
            }
            match c {
                b'"' => in_str = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => return Ok(i - 1),
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                b',' if depth == 0 => return Ok(i - 1),
                c if depth == 0 && c.is_ascii_whitespace() && i - 1 > self.pos => return Ok(i - 1),
                _ => {}
            }
        }
    }
}

/// Walks the top level; returns whether an event array was found.
fn stream_events(
    s: &mut Scanner<'_>,
    r: &mut Reader<'_, '_>,
) -> std::result::Result<bool, StreamError> {
    match s.skip_ws()? {
        Some(b'[') => {
            s.pos += 1;
            stream_array(s, r)?;
            Ok(true)
        }
        Some(b'{') => {
            s.pos += 1;
            let mut found = false;
            loop {
                match s.skip_ws()? {
                    Some(b'}') => return Ok(found),
                    Some(b',') => s.pos += 1,
                    Some(b'"') => {
                        let end = s.value_end()?;
                        let key: Cow<'_, str> = serde_json::from_slice(&s.buf[s.pos..end])
                            .map_err(|e| StreamError::Syntax(e.to_string()))?;
                        let is_events = key == "traceEvents";
                        s.pos = end;
                        if s.skip_ws()? != Some(b':') {
                            return Err(StreamError::Syntax("expected ':' after a key".into()));
                        }
                        s.pos += 1;
                        if is_events && s.skip_ws()? == Some(b'[') {
                            s.pos += 1;
                            stream_array(s, r)?;
                            found = true;
                        } else {
                            s.skip_ws()?;
                            s.pos = s.value_end()?;
                        }
                    }
                    Some(c) => {
                        return Err(StreamError::Syntax(format!("unexpected '{}'", c as char)));
                    }
                    None => return Err(StreamError::Eof),
                }
            }
        }
        Some(c) => Err(StreamError::Syntax(format!(
            "expected '[' or '{{', found '{}'",
            c as char
        ))),
        None => Err(StreamError::Eof),
    }
}

fn stream_array(
    s: &mut Scanner<'_>,
    r: &mut Reader<'_, '_>,
) -> std::result::Result<(), StreamError> {
    loop {
        s.compact();
        match s.skip_ws()? {
            Some(b']') => {
                s.pos += 1;
                return Ok(());
            }
            Some(b',') => s.pos += 1,
            Some(_) => {
                let end = s.value_end()?;
                let slice = &s.buf[s.pos..end];
                match serde_json::from_slice::<Option<Event<'_>>>(slice) {
                    Ok(Some(ev)) => r.event(ev),
                    Ok(None) => r.report.skipped += 1,
                    Err(e) => return Err(StreamError::Syntax(e.to_string())),
                }
                s.pos = end;
            }
            None => return Err(StreamError::Eof),
        }
    }
}

/// Byte offset of a 1-based line and column.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> u64 {
    let mut off = 0usize;
    for _ in 1..line {
        match memchr::memchr(b'\n', &bytes[off..]) {
            Some(p) => off += p + 1,
            None => break,
        }
    }
    (off + column.saturating_sub(1)).min(bytes.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Format, ingest_bytes};

    fn read_str(s: &str) -> Result<crate::ingest::Ingested> {
        ingest_bytes("t.json", s.as_bytes(), false, &Config::default())
    }

    #[test]
    fn truncated_array_keeps_whole_events() {
        let t = r#"[{"ph":"M","pid":1,"tid":2,"name":"thread_name","args":{"name":"CrRendererMain"}},
{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":1000,"dur":60000},
{"ph":"X","name":"RunTask","pid":1,"tid":2,"ts":100000,"dur":70"#;
        let ing = read_str(t).expect("reads");
        assert_eq!(ing.report.format, Format::ChromeTrace);
        assert!(
            ing.report.warnings[0].contains("cut off"),
            "{:?}",
            ing.report.warnings
        );
        let m = &ing.trace.browser.main_threads[0];
        assert_eq!(m.run_tasks, 1);
        assert_eq!(m.long_tasks.len(), 1);
        assert_eq!(m.long_tasks[0].duration, 60_000_000);
    }

    #[test]
    fn trailing_comma_and_string_pids() {
        let t = r#"[{"ph":"M","pid":"7","tid":"9","name":"thread_name","args":{"name":"CrRendererMain"}},
{"ph":"X","name":"RunTask","pid":"7","tid":"9","ts":"5","dur":50000},
{"ph":"X","name":"RunTask","pid":"7","tid":"9","ts":60000,"dur":50001},"#;
        let ing = read_str(t).expect("reads");
        let m = &ing.trace.browser.main_threads[0];
        assert_eq!((m.pid.as_str(), m.tid.as_str()), ("7", "9"));
        // DevTools' rule is strictly over 50 ms: 50.000 is not long, 50.001 is.
        assert_eq!(m.long_tasks.len(), 1);
        assert_eq!(m.long_tasks[0].duration, 50_001_000);
    }

    /// B/E pair per thread, not globally: interleaved threads pair correctly; an unmatched E is
    /// counted, not fatal.
    #[test]
    fn begin_end_pair_per_thread() {
        let t = r#"{"traceEvents":[
{"ph":"B","name":"a","pid":1,"tid":1,"ts":0},
{"ph":"B","name":"b","pid":1,"tid":2,"ts":5},
{"ph":"E","name":"a","pid":1,"tid":1,"ts":10},
{"ph":"E","name":"b","pid":1,"tid":2,"ts":30},
{"ph":"E","name":"zzz","pid":1,"tid":3,"ts":40}
],"metadata":{"source":"test"}}"#;
        let ing = read_str(t).expect("reads");
        let tr = &ing.trace;
        assert_eq!(tr.executions.len(), 2);
        let durs: Vec<Ns> = tr.executions.iter().map(|e| e.duration()).collect();
        assert!(durs.contains(&10_000) && durs.contains(&25_000), "{durs:?}");
        assert!(
            ing.report
                .warnings
                .iter()
                .any(|w| w.contains("1 end events matched no begin"))
        );
    }

    /// Async b/e ids above 2^53 stay exact, and nesting follows time within an id.
    #[test]
    fn async_ids_are_exact_and_nest() {
        let t = r#"[{"ph":"b","name":"req","cat":"app","id":18446744073709551615,"pid":1,"tid":1,"ts":0,"args":{"route":"\"/a\""}},
{"ph":"b","name":"db","cat":"app","id":18446744073709551615,"pid":1,"tid":1,"ts":10},
{"ph":"b","name":"req","cat":"app","id":18446744073709551614,"pid":1,"tid":1,"ts":20,"args":{"route":"\"/b\""}},
{"ph":"e","name":"db","cat":"app","id":18446744073709551615,"pid":1,"tid":1,"ts":50},
{"ph":"e","name":"req","cat":"app","id":18446744073709551615,"pid":1,"tid":1,"ts":60},
{"ph":"e","name":"req","cat":"app","id":18446744073709551614,"pid":1,"tid":1,"ts":70}]"#;
        let ing = read_str(t).expect("reads");
        let tr = &ing.trace;
        assert_eq!(tr.spans.len(), 3);
        let db = tr.spans.iter().find(|s| tr.name(s) == "db").expect("db");
        let parent = tr.span(db.parent.expect("nested"));
        assert_eq!(tr.field(parent, "route"), Some("/a"));
        assert_eq!(db.duration(), 40_000);
    }

    /// requestTime is seconds, the other timing fields ms from it: server wait 2002.894 ms.
    #[test]
    fn server_wait_units() {
        let t = r#"[{"ph":"I","name":"ResourceSendRequest","pid":1,"tid":1,"ts":100,"args":{"data":{"requestId":"1.1","url":"https://x.test/a?q=1","requestMethod":"GET"}}},
{"ph":"I","name":"ResourceReceiveResponse","pid":1,"tid":1,"ts":2000000,"args":{"data":{"requestId":"1.1","statusCode":200,"mimeType":"text/html","timing":{"requestTime":52122.403283,"sendEnd":1.395,"receiveHeadersStart":2004.289,"receiveHeadersEnd":2004.335},"headers":[{"name":"Server-Timing","value":"db;dur=53.2, app;desc=\"x\";dur=47"}]}}},
{"ph":"I","name":"ResourceFinish","pid":1,"tid":1,"ts":2100000,"args":{"data":{"requestId":"1.1","finishTime":52124.5}}},
{"ph":"I","name":"ResourceSendRequest","pid":1,"tid":1,"ts":200,"args":{"data":{"requestId":"1.2","url":"data:image/png;base64,AAAA"}}}]"#;
        let ing = read_str(t).expect("reads");
        let n = &ing.trace.network;
        assert_eq!(n.len(), 1, "data: URLs are dropped");
        assert_eq!(n[0].server_wait, Some(2_002_894_000));
        assert_eq!(n[0].status, Some(200));
        assert_eq!(
            n[0].server_timing,
            vec![
                ("db".to_string(), 53_200_000),
                ("app".to_string(), 47_000_000)
            ]
        );
    }

    #[test]
    fn not_a_trace_is_an_error_with_offset() {
        let err = read_str("[1, 2, oops]").unwrap_err().to_string();
        assert!(err.starts_with("t.json: byte "), "{err}");
        let err = read_str("{\"foo\": [1]}\n").unwrap_err().to_string();
        assert!(err.contains("t.json"), "{err}");
    }
}
