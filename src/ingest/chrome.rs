//! Chrome trace-event JSON: DevTools Performance exports, chrome://tracing, Lighthouse traces,
//! and `tracing-chrome` output from Rust servers.
//!
//! Shapes: the array form (`[ev, ev, ...]`, possibly cut off with no `]`, or ending in `},`)
//! and the object form (`{"traceEvents": [...], "metadata": {...}}`, keys in any order, other
//! keys ignored). A mapped file is read in one pass by a serde visitor over the event array,
//! each event a typed struct borrowing from the input ([`event::Event`]); a stream (stdin,
//! gzip) is cut into elements by a small scanner ([`scan`]) and each one parsed the same way.
//! `args` stays raw JSON until an event kind that needs it looks inside. Times are µs in the
//! file (`displayTimeUnit` only changes how viewers display them) and ns in the model.
//!
//! What becomes of the events:
//!
//! | events | model |
//! |---|---|
//! | `M` `thread_name` | threads keyed `pid:tid` (pid and tid as numbers or strings); `CrRendererMain` is an event loop by definition |
//! | `X` `RunTask` (and pre-2019 task names) | counted per thread; over 50 ms kept as long tasks, with the work inside (scripts, layout, style, GC) |
//! | `X` `FunctionCall`, `Layout`, ... | attributed to the long task that contains them, whatever the order in the file |
//! | `Resource*` instants | network requests with DevTools' server-response wait ([`network`]) |
//! | `navigationStart`, `largestContentfulPaint::Candidate` | navigations and their LCP |
//! | `B` / `E` | span enters and exits per thread ([`slices`]: tracing-chrome's threaded style, one pair per poll) |
//! | `b` / `e`, `S` / `F` | a span per pair (tracing-chrome's async style: creation to close), nested by time within an id |
//! | `n`, `T`, `p`, other `X`, `i` / `I` / `R` | their times bound the trace |
//! | everything else (`C`, `P`, `O`, `N`, `D`, `s`/`t`/`f`, `c`, ...) and events missing what their kind needs | counted as skipped |
//!
//! Top-level `X` slices are not turned into spans: a DevTools trace holds hundreds of thousands
//! of them and the browser's own task rule (over 50 ms, [`crate::model::MainThread`]) is what
//! judges a renderer main thread.

mod args;
mod event;
mod network;
mod scan;
mod slices;

use super::InputStats;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{
    LcpCandidate, MainThread, Navigation, Ns, ScriptRun, SpanIdx, Sym, Task, TaskWork, ThreadIdx,
    ThreadRole, TraceBuilder, WorkKind, WorkSummary,
};
use args::Args;
use event::{Event, Id, MaybeEvent};
use network::{Requests, ResourceEvent};
use rustc_hash::FxHashMap as HashMap;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Browser long-task threshold: a task strictly longer than this (DevTools' rule).
const LONG_TASK_NS: Ns = crate::config::BROWSER_LONG_TASK;

/// The top-level task event of current Chrome.
const RUN_TASK: &str = "RunTask";

/// Top-level task names before about M71 (and 2012-era `MessageLoop::RunTask`). DevTools only
/// knows `RunTask`; Lighthouse accepts the first three. Reported apart, labelled.
const LEGACY_TASKS: [&str; 4] = [
    "ThreadControllerImpl::RunTask",
    "ThreadControllerImpl::DoWork",
    "TaskQueueManager::ProcessTaskFromWorkQueue",
    "MessageLoop::RunTask",
];

/// Script slices shorter than this are attributed without their URL and function (reading
/// them costs a parse of their args, and no such slice explains a 50 ms task).
const SCRIPT_LABEL_MIN: Ns = 1_000_000;

/// The kind of work a slice name stands for, inside a task.
fn work_kind(name: &str) -> Option<(WorkKind, &'static str)> {
    Some(match name {
        "FunctionCall" => (WorkKind::Script, "FunctionCall"),
        "EvaluateScript" => (WorkKind::Script, "EvaluateScript"),
        "v8.compile" => (WorkKind::Script, "v8.compile"),
        "v8.compileModule" => (WorkKind::Script, "v8.compileModule"),
        "v8.evaluateModule" => (WorkKind::Script, "v8.evaluateModule"),
        "Layout" => (WorkKind::Layout, "Layout"),
        "UpdateLayoutTree" => (WorkKind::Style, "UpdateLayoutTree"),
        "RecalculateStyles" => (WorkKind::Style, "RecalculateStyles"),
        "MajorGC" => (WorkKind::Gc, "MajorGC"),
        "MinorGC" => (WorkKind::Gc, "MinorGC"),
        "BlinkGC.AtomicPhase" => (WorkKind::Gc, "BlinkGC.AtomicPhase"),
        "ParseHTML" => (WorkKind::ParseHtml, "ParseHTML"),
        _ => return None,
    })
}

fn is_task(name: &str) -> bool {
    name == RUN_TASK || LEGACY_TASKS.contains(&name)
}

/// One slice of work (script, layout, ...) on a thread, kept until tasks are known.
#[derive(Debug)]
struct Work {
    start: Ns,
    end: Ns,
    kind: WorkKind,
    event: &'static str,
    /// Script URL and function, for script slices of at least [`SCRIPT_LABEL_MIN`].
    script: Option<(Box<str>, Box<str>)>,
}

/// Top-level tasks of one thread.
///
/// Work slices are kept only where they can matter: inside a long task. A slice inside the
/// latest task seen on its thread (the usual order: Chrome writes a task before what runs in
/// it) goes to that task when it is long and is dropped otherwise; a slice outside it (a file
/// written in another order) is kept aside and placed when all tasks are known.
#[derive(Debug, Default)]
struct Tasks {
    run_tasks: u64,
    long: Vec<LongTask>,
    legacy: Vec<LongTask>,
    latest: Option<Latest>,
    orphans: Vec<Work>,
}

/// A long task and the work seen inside it.
#[derive(Debug)]
struct LongTask {
    task: Task,
    work: Vec<Work>,
}

/// The latest task seen on a thread, and where it is kept when long (legacy, index).
#[derive(Debug, Clone, Copy)]
struct Latest {
    start: Ns,
    end: Ns,
    long: Option<(bool, usize)>,
}

/// An async (`b`/`e`, `S`/`F`) span still open.
#[derive(Debug, Clone, Copy)]
struct AsyncOpen {
    span: SpanIdx,
    name: Sym,
    start: Ns,
}

/// A `navigationStart`.
#[derive(Debug)]
struct NavRec {
    nav: Navigation,
    frame: Option<String>,
}

/// A main-frame `largestContentfulPaint::Candidate`, resolved to its navigation at the end.
#[derive(Debug)]
struct Candidate {
    navigation: Option<String>,
    frame: Option<String>,
    pid: String,
    node: Option<u64>,
    cand: LcpCandidate,
}

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
    /// Elements of the event array read, and how many of them were event objects.
    events: u64,
    objects: u64,
}

impl<'r, 'b> Reader<'r, 'b> {
    fn new(b: &'r mut TraceBuilder<'b>, report: &'r mut InputStats) -> Self {
        Reader {
            b,
            report,
            thread_by_key: HashMap::default(),
            key_buf: String::new(),
            last_thread: None,
            ids: HashMap::default(),
            names: HashMap::default(),
            tasks: HashMap::default(),
            slices: slices::Slices::default(),
            slices_seen: false,
            asyncs: HashMap::default(),
            async_unmatched: 0,
            requests: Requests::default(),
            navigations: Vec::new(),
            candidates: Vec::new(),
            images: HashMap::default(),
            browser_names: false,
            events: 0,
            objects: 0,
        }
    }

    /// The thread `pid:tid`; no allocation once the thread is known.
    fn thread(&mut self, pid: &Option<Id<'_>>, tid: &Option<Id<'_>>) -> ThreadIdx {
        use std::fmt::Write as _;
        // Events come in runs on one thread: a one-entry cache skips the key formatting.
        if let Some((p, t, idx)) = &self.last_thread {
            if p == pid && t == tid {
                return *idx;
            }
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
                None => self.skip(),
            },
            "I" | "i" | "R" => match ev.ts_ns() {
                Some(t) => {
                    self.b.saw_time(t);
                    self.instant(t, &ev);
                }
                None => self.skip(),
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
            self.skip();
            return;
        };
        if name.is_empty() {
            self.skip();
            return;
        }
        let dur = dur.max(0);
        self.b.saw_time(start);
        self.b.saw_time(start + dur);
        if is_task(name) {
            let t = self.thread(&ev.pid, &ev.tid);
            self.task(t, name, start, dur, true);
        } else if let Some((kind, event)) = work_kind(name) {
            let t = self.thread(&ev.pid, &ev.tid);
            let end = start + dur;
            let st = self.tasks.entry(t).or_default();
            let home = match st.latest {
                Some(l) if start >= l.start && end <= l.end => match l.long {
                    Some(at) => Some(at),
                    None => return, // inside a short task: nothing to explain
                },
                _ => None,
            };
            let script = (kind == WorkKind::Script && dur >= SCRIPT_LABEL_MIN)
                .then(|| {
                    let d = Args::parse(ev.args)?.data?;
                    let url = d.url.0.unwrap_or_default();
                    let function = d.function_name.0.unwrap_or_default();
                    Some((url.into(), function.into()))
                })
                .flatten();
            let work = Work {
                start,
                end,
                kind,
                event,
                script,
            };
            let list = match home {
                Some((true, i)) => st.legacy.get_mut(i).map(|l| &mut l.work),
                Some((false, i)) => st.long.get_mut(i).map(|l| &mut l.work),
                None => None,
            };
            list.unwrap_or(&mut st.orphans).push(work);
        }
    }

    /// A top-level task: counted, and kept when long. `count` is false for a B/E task already
    /// counted at its `B`.
    fn task(&mut self, t: ThreadIdx, name: &str, start: Ns, dur: Ns, count: bool) {
        let st = self.tasks.entry(t).or_default();
        let legacy = name != RUN_TASK;
        if count && !legacy {
            st.run_tasks += 1;
        }
        let mut at = None;
        if dur > LONG_TASK_NS {
            let task = LongTask {
                task: Task {
                    name: name.to_string(),
                    start,
                    duration: dur,
                    ..Task::default()
                },
                work: Vec::new(),
            };
            let list = if legacy { &mut st.legacy } else { &mut st.long };
            list.push(task);
            at = Some((legacy, list.len() - 1));
        }
        if st.latest.is_none_or(|l| start >= l.start) {
            st.latest = Some(Latest {
                start,
                end: start + dur,
                long: at,
            });
        }
    }

    fn slice(&mut self, begin: bool, ev: &Event<'_>) {
        let Some(t0) = ev.ts_ns() else {
            self.skip();
            return;
        };
        let name = ev.name();
        if begin && name.is_empty() {
            self.skip();
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
    /// unique within its process). The name is matched within the key.
    fn async_key(&mut self, ev: &Event<'_>) -> String {
        use std::fmt::Write as _;
        let mut k = String::with_capacity(32);
        k.push_str(ev.cat.as_deref().unwrap_or(""));
        k.push('\u{1f}');
        match (&ev.id, &ev.id2.id) {
            (Some(id), _) => {
                let _ = write!(k, "{id}");
            }
            (None, Some(id)) => {
                if ev.id2.local {
                    if let Some(p) = &ev.pid {
                        let _ = write!(k, "{p}/");
                    }
                }
                let _ = write!(k, "{id}");
            }
            (None, None) => {}
        }
        k
    }

    /// `b`/`S` opens a span, `e`/`F` closes the innermost open one of that name with the same
    /// key. A `b` nests under the innermost span of its key that started at or before it
    /// (tracing-chrome gives a whole span tree its root's id).
    fn async_slice(&mut self, begin: bool, ev: &Event<'_>) {
        let Some(t0) = ev.ts_ns() else {
            self.skip();
            return;
        };
        let name = ev.name();
        if begin && name.is_empty() {
            self.skip();
            return;
        }
        let key = self.async_key(ev);
        let fields = args::fields(ev.args);
        if begin {
            let parent = self
                .asyncs
                .get(&key)
                .and_then(|v| v.iter().rev().find(|o| o.start <= t0))
                .map(|o| o.span);
            let sym = self.b.intern(name);
            let target = ev.cat.as_deref().map(|c| self.b.intern(c));
            let owned = fields
                .iter()
                .map(|(k, v)| (self.b.intern(k), (**v).into()))
                .collect();
            let span = self.b.open_span(sym, target, parent, t0, owned);
            self.asyncs.entry(key).or_default().push(AsyncOpen {
                span,
                name: sym,
                start: t0,
            });
            return;
        }
        let sym = self.b.strings().get(name);
        let found = self.asyncs.get_mut(&key).and_then(|list| {
            let pos = match (name.is_empty(), sym) {
                (true, _) => list.len().checked_sub(1),
                (false, Some(sym)) => list.iter().rposition(|o| o.name == sym),
                (false, None) => None,
            }?;
            let open = list.remove(pos);
            Some((open, list.is_empty()))
        });
        let Some((open, emptied)) = found else {
            self.async_unmatched += 1;
            self.b.saw_time(t0);
            return;
        };
        if emptied {
            self.asyncs.remove(&key);
        }
        if !fields.is_empty() {
            let recorded: Vec<_> = fields
                .iter()
                .map(|(k, v)| (self.b.intern(k), (**v).into()))
                .collect();
            self.b.record_fields(open.span, recorded);
        }
        self.b.close(open.span, t0, None, None, None);
    }

    fn instant(&mut self, t0: Ns, ev: &Event<'_>) {
        let name = ev.name();
        if let Some(kind) = ResourceEvent::from_name(name) {
            if let Some(d) = Args::parse(ev.args).and_then(|a| a.data) {
                self.requests.event(kind, t0, d);
            }
            return;
        }
        match name {
            "navigationStart" => {
                let Some(a) = Args::parse(ev.args) else {
                    return;
                };
                let Some(d) = a.data else {
                    return;
                };
                let url = d.document_loader_url.0.unwrap_or_default();
                if url.is_empty() {
                    return; // DevTools ignores these (initial about:blank and the like)
                }
                let id = match d.navigation_id.0 {
                    Some(id) => id.into_owned(),
                    None => format!("navigation@{t0}"),
                };
                self.navigations.push(NavRec {
                    nav: Navigation {
                        id,
                        url: url.into_owned(),
                        start: t0,
                        main_frame: d.is_loading_main_frame.0.unwrap_or(false)
                            && d.is_outermost_main_frame.0.unwrap_or(true),
                        lcp: None,
                    },
                    frame: a.frame.0.map(Cow::into_owned),
                });
            }
            "largestContentfulPaint::Candidate" => {
                let Some(a) = Args::parse(ev.args) else {
                    return;
                };
                let Some(d) = a.data else {
                    return;
                };
                let main = d.is_outermost_main_frame.0.or(d.is_main_frame.0);
                if main != Some(true) {
                    return;
                }
                self.candidates.push(Candidate {
                    navigation: d.navigation_id.0.map(Cow::into_owned),
                    frame: a.frame.0.map(Cow::into_owned),
                    pid: ev
                        .pid
                        .as_ref()
                        .map_or_else(String::new, ToString::to_string),
                    node: d.node_id.0.map(|n| n as u64),
                    cand: LcpCandidate {
                        at: t0,
                        index: d.candidate_index.0.map_or(0, |i| i as u64),
                        kind: d.kind.0.unwrap_or_default().into_owned(),
                        image_url: None,
                    },
                });
            }
            "LargestImagePaint::Candidate" => {
                let Some(d) = Args::parse(ev.args).and_then(|a| a.data) else {
                    return;
                };
                if let (Some(node), Some(url)) = (d.dom_node_id.0, d.image_url.0) {
                    let pid = ev
                        .pid
                        .as_ref()
                        .map_or_else(String::new, ToString::to_string);
                    self.images
                        .entry((pid, node as u64))
                        .or_default()
                        .push((t0, url.into_owned()));
                }
            }
            _ => {}
        }
    }

    fn finish(mut self) {
        self.b.browser_mut().is_browser = self.browser_names;
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
        self.report.events = self.events - self.report.skipped.min(self.events);
    }

    /// Every `CrRendererMain` thread with its tasks; long tasks get the work inside them.
    fn main_threads(&mut self) -> Vec<MainThread> {
        let mut mains: Vec<(ThreadIdx, String, String)> = self
            .names
            .iter()
            .filter(|(_, n)| n.as_str() == "CrRendererMain")
            .filter_map(|(t, _)| {
                let (p, i) = self.ids.get(t)?;
                Some((*t, p.clone(), i.clone()))
            })
            .collect();
        let num = |s: &str| s.parse::<u64>().ok();
        mains.sort_by(|a, b| {
            (num(&a.1), &a.1, num(&a.2), &a.2).cmp(&(num(&b.1), &b.1, num(&b.2), &b.2))
        });
        mains
            .into_iter()
            .map(|(thread, pid, tid)| {
                let mut st = self.tasks.remove(&thread).unwrap_or_default();
                st.orphans.sort_by_key(|w| w.start);
                let mut done = |tasks: Vec<LongTask>| -> Vec<Task> {
                    top_level(tasks)
                        .into_iter()
                        .map(|mut lt| {
                            let (start, end) = (lt.task.start, lt.task.start + lt.task.duration);
                            let first = st.orphans.partition_point(|w| w.start < start);
                            let inside = st.orphans[first..]
                                .iter()
                                .take_while(|w| w.start < end)
                                .filter(|w| w.end <= end)
                                .count();
                            lt.work.extend(st.orphans.drain(first..first + inside));
                            lt.work.sort_by_key(|w| (w.start, std::cmp::Reverse(w.end)));
                            attribute(&mut lt.task, &lt.work);
                            lt.task
                        })
                        .collect()
                };
                let long = done(std::mem::take(&mut st.long));
                let legacy = done(std::mem::take(&mut st.legacy));
                MainThread {
                    thread,
                    pid,
                    tid,
                    run_tasks: st.run_tasks,
                    long_tasks: long,
                    legacy_long_tasks: legacy,
                }
            })
            .collect()
    }

    /// Navigations with their LCP: the highest-index main-frame candidate of each. Candidates
    /// without a navigation id (Chrome before about M80) go to the latest main-frame navigation
    /// of their frame that started at or before them.
    fn navigations(&mut self) -> Vec<Navigation> {
        let mut navs = std::mem::take(&mut self.navigations);
        navs.sort_by_key(|n| n.nav.start);
        for c in std::mem::take(&mut self.candidates) {
            let slot = match &c.navigation {
                Some(id) => navs.iter().position(|n| &n.nav.id == id),
                None => navs.iter().rposition(|n| {
                    n.nav.main_frame
                        && n.nav.start <= c.cand.at
                        && (c.frame.is_none() || n.frame == c.frame)
                }),
            };
            let Some(nav) = slot.and_then(|i| navs.get_mut(i)) else {
                continue;
            };
            let mut cand = c.cand;
            if cand.kind == "image" {
                cand.image_url = c.node.and_then(|node| {
                    let list = self.images.get(&(c.pid.clone(), node))?;
                    list.iter()
                        .min_by_key(|(t, _)| (t - cand.at).abs())
                        .map(|(_, u)| u.clone())
                });
            }
            let later = nav
                .nav
                .lcp
                .as_ref()
                .is_none_or(|l| (cand.index, cand.at) >= (l.index, l.at));
            if later {
                nav.nav.lcp = Some(cand);
            }
        }
        navs.into_iter().map(|n| n.nav).collect()
    }
}

/// Tasks in time order, without those nested inside another (a nested run loop would count
/// its time twice).
fn top_level(mut tasks: Vec<LongTask>) -> Vec<LongTask> {
    tasks.sort_by_key(|t| (t.task.start, std::cmp::Reverse(t.task.duration)));
    let mut out: Vec<LongTask> = Vec::with_capacity(tasks.len());
    for t in tasks {
        match out.last_mut() {
            Some(prev)
                if t.task.start + t.task.duration <= prev.task.start + prev.task.duration =>
            {
                prev.work.extend(t.work); // the nested task's work is the outer one's
            }
            _ => out.push(t),
        }
    }
    out
}

/// Sums the work (sorted by start, longest first) inside `task` per kind, counting nested time
/// once, and names its heaviest piece.
fn attribute(task: &mut Task, work: &[Work]) {
    let (start, end) = (task.start, task.start + task.duration);
    let first = work.partition_point(|w| w.start < start);
    let mut kinds: Vec<(WorkSummary, Ns)> = Vec::new(); // (summary, covered up to)
    let mut script: Option<&Work> = None;
    let mut heaviest: Option<&Work> = None;
    for w in work[first..].iter().take_while(|w| w.start < end) {
        if w.end > end {
            continue;
        }
        let dur = w.end - w.start;
        let i = match kinds.iter().position(|(k, _)| k.kind == w.kind) {
            Some(i) => i,
            None => {
                kinds.push((
                    WorkSummary {
                        kind: w.kind,
                        count: 0,
                        total: 0,
                        longest: 0,
                    },
                    Ns::MIN,
                ));
                kinds.len() - 1
            }
        };
        let (sum, covered) = &mut kinds[i];
        sum.count += 1;
        sum.longest = sum.longest.max(dur);
        sum.total += (w.end - w.start.max(*covered)).max(0);
        *covered = (*covered).max(w.end);
        if w.kind == WorkKind::Script && script.is_none_or(|s| dur > s.end - s.start) {
            script = Some(w);
        }
        if heaviest.is_none_or(|h| dur > h.end - h.start) {
            heaviest = Some(w);
        }
    }
    let mut kinds: Vec<WorkSummary> = kinds.into_iter().map(|(k, _)| k).collect();
    kinds.sort_by_key(|k| k.kind);
    let run = |w: &Work| {
        let (url, function) = w.script.as_ref().map_or(("", ""), |(u, f)| (&**u, &**f));
        ScriptRun {
            event: w.event.to_string(),
            url: url.to_string(),
            function: function.to_string(),
            start: w.start,
            duration: w.end - w.start,
        }
    };
    task.heaviest = heaviest.map(|w| {
        let label = match &w.script {
            Some((url, function)) => {
                let f = if function.is_empty() {
                    "(anonymous)"
                } else {
                    function
                };
                if url.is_empty() {
                    format!("{} {f}", w.event)
                } else {
                    format!("{} {f} {url}", w.event)
                }
            }
            None => w.event.to_string(),
        };
        (label, w.end - w.start)
    });
    task.work = TaskWork {
        kinds,
        heaviest_script: script.map(run),
    };
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

const NO_TRACE_EVENTS: &str = "a JSON object without \"traceEvents\": expected a Chrome trace (an array of events or {\"traceEvents\": [...]})";

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
    _config: &Config,
) -> Result<()> {
    let mut reader = Reader::new(b, report);
    let object = bytes.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{');
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match de.deserialize_any(TopSeed(&mut reader)) {
        Ok(true) => {
            if let Err(e) = de.end() {
                let offset = byte_offset(bytes, e.line(), e.column());
                reader.report.warn(format!(
                    "data after the trace at byte {offset} ignored ({e})"
                ));
            }
        }
        Ok(false) => return Err(Error::input(name, NO_TRACE_EVENTS)),
        Err(e) => {
            let offset = byte_offset(bytes, e.line(), e.column());
            if reader.objects == 0 {
                return Err(Error::Byte {
                    path: name.to_string(),
                    offset,
                    msg: format!("expected a Chrome trace (an array of event objects): {e}"),
                });
            }
            let events = reader.events;
            if e.is_eof() {
                reader.report.warn(cut_off_warning(offset, object, events));
            } else if is_trailing_comma(bytes, offset) {
                // `[..., ev,]`: a writer's habit, harmless (the stream reader skips it too).
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
    _config: &Config,
) -> Result<()> {
    let mut reader = Reader::new(b, report);
    let mut s = scan::Scanner::new(name, input);
    let outcome = s.events(&mut |slice| {
        let MaybeEvent(ev) = serde_json::from_slice(slice).map_err(|e| e.to_string())?;
        match ev {
            Some(ev) => reader.event(ev),
            None => {
                reader.events += 1;
                reader.skip();
            }
        }
        Ok(())
    });
    let offset = s.offset();
    let events = reader.events;
    match outcome {
        Ok(true) => {}
        Ok(false) => return Err(Error::input(name, NO_TRACE_EVENTS)),
        Err(scan::StreamError::Io(e)) => return Err(e),
        Err(scan::StreamError::Syntax(msg)) if reader.objects == 0 => {
            return Err(Error::Byte {
                path: name.to_string(),
                offset,
                msg: format!("expected a Chrome trace (an array of event objects): {msg}"),
            });
        }
        Err(scan::StreamError::Syntax(msg)) => reader.report.warn(format!(
            "the trace is malformed at byte {offset} ({msg}); read the {events} whole events before it"
        )),
        Err(scan::StreamError::Eof) if reader.objects == 0 => {
            return Err(Error::Byte {
                path: name.to_string(),
                offset,
                msg: "the input ends before any complete trace event".into(),
            });
        }
        Err(scan::StreamError::Eof) => reader
            .report
            .warn(cut_off_warning(offset, s.object, events)),
    }
    reader.finish();
    Ok(())
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
