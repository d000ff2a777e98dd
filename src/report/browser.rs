//! The browser family in the report: its JSON arrays (`navigations`, `network`, `long_tasks`,
//! `main_threads`), its verdict rows, their evidence and advice, and its notes. Everything here
//! is wording and rounding of what `analyze::browser` found and judged; nothing is decided.

use super::build::verdict_base;
use super::rows::{Row, verdict_label};
use super::schema::{Report, VerdictOut};
use super::text::{fmt_duration as fmt_ms, plural, to_ms as ms, to_ms_exact as ms3};
use crate::analyze::Judgement;
use crate::analyze::browser::{
    BrowserEvidence, BrowserFindings, LcpPhases, LongTask, LongTasks, MainThreadFigures,
    NavigationFacts, SlowResponse, SlowRule,
};
use crate::model::{BrowserWork, HeaviestWork, NetworkRequest, Ns};
use serde::Serialize;

/// One request the browser made.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkOut {
    pub request_id: String,
    pub url: String,
    pub method: String,
    pub status: Option<u16>,
    /// DevTools' "Waiting for server response": first response byte - request sent. `None`
    /// when the browser recorded no timing (memory cache, `file:`, failures): unknown, not 0.
    pub server_wait_ms: Option<f64>,
    /// First send (or will-send) to the last byte.
    pub total_ms: f64,
    /// The main document of a main-frame navigation.
    pub is_document: bool,
    pub redirects: u32,
    /// The server's own `Server-Timing` breakdown, when the response headers were recorded.
    pub server_timing: Vec<ServerTiming>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerTiming {
    pub name: String,
    pub duration_ms: f64,
}

/// One long task on a renderer main thread.
#[derive(Debug, Clone, Serialize)]
pub struct LongTaskOut {
    /// `CrRendererMain pid:tid`.
    pub thread: String,
    pub pid: String,
    pub tid: String,
    /// `RunTask`, or a pre-2019 task name.
    pub name: String,
    pub start_ms: f64,
    pub duration_ms: f64,
    /// The part over 50 ms: what the task adds to Total Blocking Time.
    pub blocking_ms: f64,
    /// The heaviest single piece of work inside the task, with its duration, when the trace
    /// says (a script as `FunctionCall render https://.../app.js`).
    pub heaviest: Option<String>,
    /// The work inside the task, per kind (script, layout, style, gc, parse-html).
    pub work: Vec<WorkOut>,
    /// The longest script inside the task, with its source.
    pub script: Option<ScriptOut>,
    /// Under a pre-2019 task name, which DevTools does not count.
    pub legacy: bool,
    /// The navigation (URL) whose LCP window (navigation start to LCP) the task fell in: a long
    /// task there can delay the largest paint.
    pub in_lcp_window: Option<String>,
}

/// Slices of one kind of work inside a task; `total_ms` counts nested slices once.
#[derive(Debug, Clone, Serialize)]
pub struct WorkOut {
    pub kind: BrowserWork,
    pub count: u32,
    pub total_ms: f64,
    pub longest_ms: f64,
}

/// A script slice: which script and function ran.
#[derive(Debug, Clone, Serialize)]
pub struct ScriptOut {
    /// `FunctionCall`, `EvaluateScript`, `v8.compile`, ...
    pub event: String,
    pub url: String,
    pub function: String,
    pub duration_ms: f64,
}

/// Per renderer main thread, the figures DevTools reports.
#[derive(Debug, Clone, Serialize)]
pub struct MainThreadOut {
    pub pid: String,
    pub tid: String,
    pub run_tasks: u64,
    pub long_tasks: usize,
    pub long_task_total_ms: f64,
    pub longest_ms: Option<f64>,
    /// Sum over long tasks of (duration - 50 ms).
    pub blocking_ms: f64,
    pub legacy_long_tasks: usize,
}

/// A navigation with its largest contentful paint and LCP's subparts (DevTools' LCPBreakdown).
#[derive(Debug, Clone, Serialize)]
pub struct NavigationOut {
    pub navigation_id: String,
    pub url: String,
    pub start_ms: f64,
    pub lcp_ms: Option<f64>,
    pub lcp_type: Option<String>,
    pub lcp_image_url: Option<String>,
    pub phases: Option<LcpPhasesOut>,
    /// `DOMContentLoaded` and `load`, ms after the navigation's start (a HAR's `pageTimings`);
    /// `null` when the input does not say.
    pub dom_content_loaded_ms: Option<f64>,
    pub load_ms: Option<f64>,
}

/// TTFB, then for an image its load delay and load duration, then render delay; they add up to
/// the LCP.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LcpPhasesOut {
    pub ttfb_ms: f64,
    pub load_delay_ms: Option<f64>,
    pub load_duration_ms: Option<f64>,
    pub render_delay_ms: f64,
}

/// A browser trace's JSON arrays.
#[derive(Debug, Clone, Default)]
pub struct BrowserOut {
    pub navigations: Vec<NavigationOut>,
    pub network: Vec<NetworkOut>,
    pub long_tasks: Vec<LongTaskOut>,
    pub main_threads: Vec<MainThreadOut>,
}

/// A figure as the JSON shows it (ms with µs precision) and back in ns, truncated: the text has
/// always been written from the JSON figure, and this keeps it byte for byte.
fn as_shown(ns: Ns) -> Ns {
    (ms3(ns) * 1e6) as Ns
}

/// The JSON arrays of one browser trace.
pub fn out(f: &BrowserFindings) -> BrowserOut {
    BrowserOut {
        navigations: f.navigations.iter().map(navigation).collect(),
        network: f.network.iter().map(network).collect(),
        long_tasks: f.long_tasks.iter().map(long_task).collect(),
        main_threads: f.main_threads.iter().map(main_thread).collect(),
    }
}

fn network(n: &NetworkRequest) -> NetworkOut {
    NetworkOut {
        request_id: n.request_id.clone(),
        url: n.url.clone(),
        method: n.method.clone(),
        status: n.status,
        server_wait_ms: n.server_wait.map(ms3),
        total_ms: ms3(n.end - n.start),
        is_document: n.is_document,
        redirects: n.redirects,
        server_timing: n
            .server_timing
            .iter()
            .map(|(name, d)| ServerTiming {
                name: name.clone(),
                duration_ms: ms3(*d),
            })
            .collect(),
    }
}

fn navigation(n: &NavigationFacts) -> NavigationOut {
    NavigationOut {
        navigation_id: n.navigation_id.clone(),
        url: n.url.clone(),
        start_ms: ms(n.start),
        lcp_ms: n.lcp.map(ms3),
        lcp_type: n.lcp_type.clone(),
        lcp_image_url: n.lcp_image_url.clone(),
        phases: n.phases.map(|p: LcpPhases| LcpPhasesOut {
            ttfb_ms: ms3(p.ttfb),
            load_delay_ms: p.load_delay.map(ms3),
            load_duration_ms: p.load_duration.map(ms3),
            render_delay_ms: ms3(p.render_delay),
        }),
        dom_content_loaded_ms: n.dom_content_loaded.map(ms3),
        load_ms: n.load.map(ms3),
    }
}

/// The heaviest work as people read it: `FunctionCall render https://.../app.js`, a script
/// without a function name as `(anonymous)`; other work by its event name.
pub fn work_label(w: &HeaviestWork) -> String {
    match &w.source {
        Some(src) => {
            let f = if src.function.is_empty() {
                "(anonymous)"
            } else {
                &src.function
            };
            if src.url.is_empty() {
                format!("{} {f}", w.event)
            } else {
                format!("{} {f} {}", w.event, src.url)
            }
        }
        None => w.event.clone(),
    }
}

/// `FunctionCall render https://.../app.js (92 ms)`.
fn heaviest_text(w: &HeaviestWork) -> String {
    format!("{} ({})", work_label(w), fmt_ms(w.duration))
}

fn long_task(l: &LongTask) -> LongTaskOut {
    LongTaskOut {
        thread: format!("{} {}:{}", l.thread_name, l.pid, l.tid),
        pid: l.pid.clone(),
        tid: l.tid.clone(),
        name: l.stall.culprit.clone(),
        start_ms: ms3(l.stall.start),
        duration_ms: ms3(l.stall.duration()),
        blocking_ms: ms3(l.blocking),
        heaviest: l.work.heaviest.as_ref().map(heaviest_text),
        work: l
            .work
            .kinds
            .iter()
            .map(|k| WorkOut {
                kind: k.kind,
                count: k.count,
                total_ms: ms3(k.total),
                longest_ms: ms3(k.longest),
            })
            .collect(),
        script: l.work.heaviest_script.as_ref().map(|s| ScriptOut {
            event: s.event.clone(),
            url: s.url.clone(),
            function: s.function.clone(),
            duration_ms: ms3(s.duration),
        }),
        legacy: l.legacy,
        in_lcp_window: l.in_lcp_window.clone(),
    }
}

fn main_thread(m: &MainThreadFigures) -> MainThreadOut {
    MainThreadOut {
        pid: m.pid.clone(),
        tid: m.tid.clone(),
        run_tasks: m.run_tasks,
        long_tasks: m.long_tasks,
        long_task_total_ms: ms3(m.long_task_total),
        longest_ms: m.longest.map(ms3),
        blocking_ms: ms3(m.blocking),
        legacy_long_tasks: m.legacy_long_tasks,
    }
}

/// The evidence line of a browser verdict.
pub fn evidence(e: &BrowserEvidence) -> String {
    match e {
        BrowserEvidence::ServerWaitOverThreshold { over, of } => format!(
            "server wait = first response byte - request sent, from the browser's network timing (a DevTools trace: DevTools' formula; a HAR: its timings.wait); {over} of {of} requests to this endpoint over the threshold"
        ),
        BrowserEvidence::TasksOverLongTaskRule {
            long,
            run_tasks,
            total,
            blocking,
        } => format!(
            "{long} RunTask over 50 ms of {run_tasks} on this CrRendererMain thread (DevTools' long-task rule); total {:.1} ms, blocking time {:.1} ms",
            ms3(*total),
            ms3(*blocking)
        ),
    }
}

/// What to do about slow responses to one endpoint.
pub fn slow_response_advice(s: &SlowResponse) -> String {
    format!(
        "{}: the server took {} before the first byte; look at what it does before responding (a server-side trace of it, analyzed here too, shows where the time goes).",
        s.endpoint,
        fmt_ms(s.p50)
    )
}

/// What to do about one main thread's long tasks.
pub fn long_tasks_advice(l: &LongTasks) -> String {
    format!(
        "renderer {}:{}: split the long tasks (yield to the event loop, move work to a worker){}.",
        l.pid,
        l.tid,
        l.heaviest
            .as_ref()
            .map(|h| format!("; the longest is mostly {}", heaviest_text(h)))
            .unwrap_or_default()
    )
}

/// A row for slow server responses seen from a browser.
pub fn slow_server_row(j: &Judgement, s: &SlowResponse) -> Row {
    let what = if s.documents > 0 {
        "document"
    } else {
        "request"
    };
    let threads = match s.one_at_a_time {
        Some((n, gap)) => format!(
            "Server appears to process one at a time (concurrency ≈ 1): {n} requests sent together, answered {} apart",
            // The gap to the µs, as the JSON has always given it.
            fmt_ms((ms3(gap) * 1e6).round() as Ns)
        ),
        None => "Not visible from the browser alone (a server trace of the same run shows it)"
            .to_string(),
    };
    let mut blocking = format!(
        "Waits for the server: {} before the first byte",
        fmt_ms(s.p50)
    );
    if !s.server_timing.is_empty() {
        let parts: Vec<String> = s
            .server_timing
            .iter()
            .take(4)
            .map(|(n, d)| format!("{n} {}", fmt_ms(*d)))
            .collect();
        blocking.push_str(&format!("; Server-Timing: {}", parts.join(", ")));
    }
    let threshold = match s.rule {
        SlowRule::Document => "600 ms (DevTools' document rule)".to_string(),
        SlowRule::Slow(slow) => fmt_ms(slow),
    };
    Row {
        pattern: format!(
            "Slow server response — {} ({} {what}{})",
            s.endpoint,
            s.requests,
            if s.requests == 1 { "" } else { "s" }
        ),
        server_threads: threads,
        blocking_behavior: blocking,
        response_time_impact: format!(
            "server wait p50 {}, max {} (over {threshold})",
            fmt_ms(s.p50),
            fmt_ms(s.max)
        ),
        verdict: verdict_label(j.verdict).into(),
    }
}

/// A row for long tasks on one renderer main thread.
pub fn long_tasks_row(j: &Judgement, l: &LongTasks) -> Row {
    let mut blocking = format!(
        "Blocks the main thread's event loop: {} over 50 ms, longest {}",
        plural(l.long_tasks, "task", "tasks"),
        fmt_ms(as_shown(l.longest))
    );
    if let Some(h) = &l.heaviest {
        blocking.push_str(&format!("; heaviest work: {}", heaviest_text(h)));
    }
    Row {
        pattern: format!(
            "Main-thread long tasks — renderer {}:{} ({} tasks)",
            l.pid, l.tid, l.run_tasks
        ),
        server_threads: "Browser main thread (one event loop for the page)".into(),
        blocking_behavior: blocking,
        response_time_impact: format!(
            "blocking time {} of {} in long tasks: input and rendering wait",
            fmt_ms(as_shown(l.blocking)),
            fmt_ms(as_shown(l.total))
        ),
        verdict: verdict_label(j.verdict).into(),
    }
}

/// The note about long tasks under pre-2019 task names, when there are any.
pub fn legacy_note(path: &str, f: &BrowserFindings) -> Option<String> {
    let n = f.legacy_long_tasks();
    (n > 0).then(|| format!(
        "{path}: {n} long tasks under pre-2019 task names (MessageLoop::RunTask, ThreadControllerImpl::RunTask, ...) are listed in long_tasks with legacy=true; DevTools does not count them"
    ))
}

/// The verdict row of slow responses to one endpoint.
pub(super) fn slow_response_out(path: &str, j: &Judgement, s: &SlowResponse) -> VerdictOut {
    VerdictOut {
        p50_ms: ms(s.p50),
        p95_ms: ms(s.p95),
        max_ms: ms(s.max),
        slow_requests: s.requests,
        wait_ms_p50: ms(s.p50),
        evidence: vec![evidence(&s.evidence)],
        advice: Some(slow_response_advice(s)),
        ..verdict_base(path, j, slow_server_row(j, s))
    }
}

/// The verdict row of one main thread's long tasks.
pub(super) fn long_tasks_out(path: &str, j: &Judgement, l: &LongTasks) -> VerdictOut {
    VerdictOut {
        max_ms: ms3(l.longest),
        max_poll_ms: Some(ms3(l.longest)),
        stalls: l.long_tasks,
        longest_stall_ms: ms3(l.longest),
        event_loop_threads: 1,
        evidence: vec![evidence(&l.evidence)],
        advice: Some(long_tasks_advice(l)),
        ..verdict_base(path, j, long_tasks_row(j, l))
    }
}

impl Report {
    /// Adds one browser trace's notes and JSON arrays (its verdict rows come with the others,
    /// from the judgements).
    pub(super) fn add_browser(&mut self, path: &str, f: &BrowserFindings) {
        self.notes.extend(legacy_note(path, f));
        let o = out(f);
        self.navigations.extend(o.navigations);
        self.network.extend(o.network);
        self.long_tasks.extend(o.long_tasks);
        self.main_threads.extend(o.main_threads);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ScriptSource;

    #[test]
    fn work_labels() {
        let w = |source: Option<(&str, &str)>| HeaviestWork {
            event: "EvaluateScript".into(),
            source: source.map(|(url, function)| ScriptSource {
                url: url.into(),
                function: function.into(),
            }),
            duration: 90_000_000,
        };
        assert_eq!(
            heaviest_text(&w(Some(("https://x.test/app.js", "")))),
            "EvaluateScript (anonymous) https://x.test/app.js (90 ms)"
        );
        assert_eq!(work_label(&w(Some(("", "f")))), "EvaluateScript f");
        assert_eq!(work_label(&w(None)), "EvaluateScript");
    }

    /// The text is written from the JSON's µs figure, truncated back to ns, as it always was.
    #[test]
    fn figures_as_shown() {
        assert_eq!(as_shown(9_999_600), 10_000_000);
        assert_eq!(fmt_ms(as_shown(9_999_600)), "10 ms");
    }
}
