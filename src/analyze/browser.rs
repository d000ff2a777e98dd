//! Detectors for browser traces: slow server responses seen from the browser, long tasks on
//! renderer main threads, and LCP per navigation. Pure functions over [`Trace`]'s network
//! requests and [`BrowserData`](crate::model::BrowserData); every figure is computed the way
//! Chrome DevTools computes it (checked against DevTools' engine on the shared corpus by
//! `tests/chrome_corpus.rs`).

use super::{fmt_ms, ms, percentile};
use crate::config::{BROWSER_LONG_TASK, Config};
use crate::model::{
    BrowserWork, HeaviestWork, MainThread, MainThreadTask, Navigation, NetworkRequest, Ns,
    TASK_FLOOR, Trace,
};
use serde::{Serialize, Serializer};

/// DevTools' DocumentLatency rule: a document whose server response, rounded to a whole ms, is
/// over 600 ms is slow.
pub const DOCUMENT_SLOW_MS: f64 = 600.0;

// The reader keeps only tasks over its retention floor: the floor must not hide a long task.
const _: () = assert!(TASK_FLOOR <= BROWSER_LONG_TASK);

/// DevTools' long-task rule: a top-level task strictly longer than 50 ms.
pub fn is_long(t: &MainThreadTask) -> bool {
    t.duration > BROWSER_LONG_TASK
}

/// A main thread's long tasks (DevTools counts `RunTask` only), in time order.
pub fn long_tasks_of(m: &MainThread) -> impl Iterator<Item = &MainThreadTask> + Clone {
    m.tasks.iter().filter(|t| is_long(t))
}

/// Long tasks under pre-2019 task names, which DevTools does not count.
pub fn legacy_long_tasks_of(m: &MainThread) -> impl Iterator<Item = &MainThreadTask> + Clone {
    m.legacy_tasks.iter().filter(|t| is_long(t))
}

/// The heaviest work as people read it: `FunctionCall render https://.../app.js`.
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

/// A group of slow responses to one endpoint (method and URL without query).
#[derive(Debug, Clone, Serialize)]
pub struct SlowEndpoint {
    pub endpoint: String,
    pub requests: usize,
    /// How many of them are main documents (judged by DevTools' 600 ms rule).
    pub documents: usize,
    /// Server waits, sorted.
    #[serde(rename = "waits_ms", serialize_with = "ser_ms_list")]
    pub waits: Vec<Ns>,
    #[serde(serialize_with = "ser_server_timing")]
    pub server_timing: Vec<(String, Ns)>,
    /// Several requests in flight to one origin came back one after another, each about one
    /// processing time after the previous: (requests, median gap). See [`SerialResponses`].
    #[serde(skip)]
    pub one_at_a_time: Option<(usize, Ns)>,
    /// The same finding with all its figures.
    pub serial: Option<SerialResponses>,
}

/// Requests to one origin, in flight together, answered one after another.
#[derive(Debug, Clone, Serialize)]
pub struct SerialResponses {
    pub origin: String,
    /// Requests in the batch (all sent before the first answer came back).
    pub requests: usize,
    /// The time between two consecutive first bytes (median): the server's time per request.
    pub processing_ms: f64,
    /// Sending spread of the batch: last send - first send.
    pub sent_within_ms: f64,
    pub first_wait_ms: f64,
    pub last_wait_ms: f64,
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
    pub phases: Option<LcpPhases>,
}

/// TTFB, then for an image its load delay and load duration, then render delay; they add up to
/// the LCP.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LcpPhases {
    pub ttfb_ms: f64,
    pub load_delay_ms: Option<f64>,
    pub load_duration_ms: Option<f64>,
    pub render_delay_ms: f64,
}

/// Everything found in a browser trace, JSON-ready.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BrowserFindings {
    pub navigations: Vec<NavigationOut>,
    pub network: Vec<NetworkOut>,
    pub long_tasks: Vec<LongTaskOut>,
    pub main_threads: Vec<MainThreadOut>,
    #[serde(rename = "slow_endpoints")]
    pub slow: Vec<SlowEndpoint>,
}

impl BrowserFindings {
    pub fn is_empty(&self) -> bool {
        self.network.is_empty() && self.main_threads.is_empty()
    }
}

fn ser_ms_list<S: Serializer>(v: &[Ns], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|n| ms3(*n)))
}

fn ser_server_timing<S: Serializer>(v: &[(String, Ns)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|(name, d)| ServerTiming {
        name: name.clone(),
        duration_ms: ms3(*d),
    }))
}

/// ns as ms with µs precision (DevTools' figures have three decimals).
fn ms3(ns: Ns) -> f64 {
    (ns as f64 / 1e3).round() / 1e3
}

/// `GET https://host/path` (no query, no fragment).
pub fn endpoint(method: &str, url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    format!("{} {path}", if method.is_empty() { "GET" } else { method })
}

/// `https://host:port` of a URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

pub fn analyze(trace: &Trace, cfg: &Config) -> BrowserFindings {
    BrowserFindings {
        navigations: trace
            .browser
            .navigations
            .iter()
            .filter(|n| n.main_frame)
            .map(|n| navigation(trace, n))
            .collect(),
        network: trace.network.iter().map(network).collect(),
        long_tasks: long_tasks(trace),
        main_threads: main_threads(trace),
        slow: slow_endpoints(trace, cfg),
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

/// LCP and its subparts, as DevTools' LCPBreakdown insight computes them:
///
/// ```text
/// navigationStart   first byte of document   LCP image request   image loaded   LCP paint
///       |------ TTFB ------|---- load delay ----|--- load duration ---|-- render delay --|
/// ```
///
/// A text LCP (or an image without a request, like a `data:` URL) has TTFB and render delay
/// only. No phases without the document request (its first byte bounds TTFB).
fn navigation(trace: &Trace, nav: &Navigation) -> NavigationOut {
    let lcp = nav.lcp.as_ref();
    let doc = trace.network.iter().find(|n| n.request_id == nav.id);
    let phases = lcp.and_then(|l| {
        let doc = doc?;
        let ttfb_end = doc.first_byte.unwrap_or(doc.start);
        let ttfb_ms = ms3(ttfb_end - nav.start);
        let image = l.image_url.as_ref().and_then(|u| {
            trace
                .network
                .iter()
                .find(|n| &n.url == u && n.start >= nav.start)
        });
        Some(match (l.kind.as_str(), image) {
            ("image", Some(img)) => {
                let loaded = img.finish_time.unwrap_or(img.end);
                LcpPhases {
                    ttfb_ms,
                    load_delay_ms: Some(ms3(img.start - ttfb_end)),
                    load_duration_ms: Some(ms3(loaded - img.start)),
                    render_delay_ms: ms3(l.at - loaded),
                }
            }
            _ => LcpPhases {
                ttfb_ms,
                load_delay_ms: None,
                load_duration_ms: None,
                render_delay_ms: ms3(l.at - ttfb_end),
            },
        })
    });
    NavigationOut {
        navigation_id: nav.id.clone(),
        url: nav.url.clone(),
        start_ms: ms(nav.start),
        lcp_ms: lcp.map(|l| ms3(l.at - nav.start)),
        lcp_type: lcp.map(|l| l.kind.clone()),
        lcp_image_url: lcp.and_then(|l| l.image_url.clone()),
        phases,
    }
}

fn long_task(
    trace: &Trace,
    thread: &str,
    pid: &str,
    tid: &str,
    t: &MainThreadTask,
    legacy: bool,
) -> LongTaskOut {
    LongTaskOut {
        thread: format!("{thread} {pid}:{tid}"),
        pid: pid.to_string(),
        tid: tid.to_string(),
        name: t.name.clone(),
        start_ms: ms3(t.start),
        duration_ms: ms3(t.duration),
        blocking_ms: ms3((t.duration - BROWSER_LONG_TASK).max(0)),
        heaviest: t
            .work
            .heaviest
            .as_ref()
            .map(|w| format!("{} ({})", work_label(w), fmt_ms(w.duration))),
        work: t
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
        script: t.work.heaviest_script.as_ref().map(|s| ScriptOut {
            event: s.event.clone(),
            url: s.url.clone(),
            function: s.function.clone(),
            duration_ms: ms3(s.duration),
        }),
        legacy,
        in_lcp_window: trace
            .browser
            .navigations
            .iter()
            .filter(|n| n.main_frame)
            .find(|n| {
                n.lcp
                    .as_ref()
                    .is_some_and(|l| t.start >= n.start && t.start < l.at)
            })
            .map(|n| n.url.clone()),
    }
}

/// Every long task of every renderer main thread, `RunTask`s first, then the legacy ones.
fn long_tasks(trace: &Trace) -> Vec<LongTaskOut> {
    let mut out = Vec::new();
    for m in &trace.browser.main_threads {
        let label = trace
            .threads
            .get(m.thread.0 as usize)
            .and_then(|t| t.name.as_deref())
            .unwrap_or("");
        for t in long_tasks_of(m) {
            out.push(long_task(trace, label, &m.pid, &m.tid, t, false));
        }
        for t in legacy_long_tasks_of(m) {
            out.push(long_task(trace, label, &m.pid, &m.tid, t, true));
        }
    }
    out
}

/// DevTools' per-thread figures: long tasks are `RunTask`s strictly over 50 ms; blocking time is
/// the sum of their time over 50 ms.
fn main_threads(trace: &Trace) -> Vec<MainThreadOut> {
    trace
        .browser
        .main_threads
        .iter()
        .map(|m| {
            let durations = long_tasks_of(m).map(|t| t.duration);
            MainThreadOut {
                pid: m.pid.clone(),
                tid: m.tid.clone(),
                run_tasks: m.run_tasks,
                long_tasks: durations.clone().count(),
                long_task_total_ms: ms3(durations.clone().sum()),
                longest_ms: durations.clone().max().map(ms3),
                blocking_ms: ms3(durations.map(|d| (d - BROWSER_LONG_TASK).max(0)).sum()),
                legacy_long_tasks: legacy_long_tasks_of(m).count(),
            }
        })
        .collect()
}

/// A request's wait is slow when it is a main document whose wait, rounded to a whole ms, is
/// over 600 ms (DevTools' DocumentLatency rule), or another request waiting at least
/// `--slow`.
fn is_slow(n: &NetworkRequest, wait: Ns, cfg: &Config) -> bool {
    if n.is_document {
        (wait as f64 / 1e6).round() > DOCUMENT_SLOW_MS
    } else {
        wait >= cfg.slow
    }
}

/// Slow responses grouped by endpoint, in first-seen order.
fn slow_endpoints(trace: &Trace, cfg: &Config) -> Vec<SlowEndpoint> {
    let mut groups: Vec<SlowEndpoint> = Vec::new();
    for n in &trace.network {
        let Some(w) = n.server_wait.filter(|w| is_slow(n, *w, cfg)) else {
            continue;
        };
        let ep = endpoint(&n.method, &n.url);
        let i = match groups.iter().position(|g| g.endpoint == ep) {
            Some(i) => i,
            None => {
                groups.push(SlowEndpoint {
                    endpoint: ep,
                    requests: 0,
                    documents: 0,
                    waits: Vec::new(),
                    server_timing: Vec::new(),
                    one_at_a_time: None,
                    serial: None,
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        g.requests += 1;
        g.documents += usize::from(n.is_document);
        g.waits.push(w);
        g.server_timing.extend(n.server_timing.iter().cloned());
    }
    for g in &mut groups {
        g.waits.sort_unstable();
        g.serial = serial_responses(trace, &g.endpoint);
        g.one_at_a_time = g
            .serial
            .as_ref()
            .map(|s| (s.requests, (s.processing_ms * 1e6).round() as Ns));
    }
    groups
}

/// Requests sent to one origin together whose first bytes come back one after another, each
/// about one processing time after the previous, look processed one at a time by the server
/// (a single worker, a lock, or a blocked event loop):
///
/// ```text
/// sent:        |||                          3 requests in flight together
/// first byte:  |--- p ---|--- p ---|--- p ---|   evenly spaced by p: waits p, 2p, 3p
/// concurrent:  |--- p ---|                   all three answered after about p
/// ```
///
/// A batch is a run of requests (in send order) all sent before any of them got its first byte.
/// It looks serial when it has at least 3 requests, the first byte gaps are all within 50 % of
/// their median `p`, `p` is at least 5 ms (below that, network jitter decides), and the first
/// wait is no longer than about `p` plus the sending spread (nothing else queued ahead). The
/// batch must contain a request to `endpoint_of_group`; the largest such batch is reported.
fn serial_responses(trace: &Trace, endpoint_of_group: &str) -> Option<SerialResponses> {
    const MIN_PROCESSING: Ns = 5_000_000;
    let (_, url) = endpoint_of_group.split_once(' ')?;
    let group_origin = origin(url);
    // (sent, first byte, wait, in this endpoint)
    let mut reqs: Vec<(Ns, Ns, Ns, bool)> = trace
        .network
        .iter()
        .filter(|n| origin(&n.url) == group_origin)
        .filter_map(|n| {
            let here = endpoint(&n.method, &n.url) == endpoint_of_group;
            Some((n.sent?, n.first_byte?, n.server_wait?, here))
        })
        .collect();
    reqs.sort_unstable();
    let mut best: Option<SerialResponses> = None;
    let mut i = 0;
    while i < reqs.len() {
        // Extend the batch while each next request was sent before any answer of the batch.
        let mut first_answer = reqs[i].1;
        let mut j = i + 1;
        while j < reqs.len() && reqs[j].0 < first_answer {
            first_answer = first_answer.min(reqs[j].1);
            j += 1;
        }
        let batch = &reqs[i..j];
        i = j;
        if batch.len() < 3 || !batch.iter().any(|r| r.3) {
            continue;
        }
        let mut firsts: Vec<Ns> = batch.iter().map(|r| r.1).collect();
        firsts.sort_unstable();
        let mut gaps: Vec<Ns> = firsts.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_unstable();
        let p = percentile(&gaps, 50.0);
        if p < MIN_PROCESSING {
            continue;
        }
        let even = gaps.iter().all(|g| 2 * g > p && 2 * g < 3 * p);
        let spread = batch.iter().map(|r| r.0).max()? - batch.first()?.0;
        let first_wait = batch.iter().map(|r| r.2).min()?;
        if !even || 2 * first_wait > 3 * p + 2 * spread {
            continue;
        }
        let found = SerialResponses {
            origin: group_origin.to_string(),
            requests: batch.len(),
            processing_ms: ms3(p),
            sent_within_ms: ms3(spread),
            first_wait_ms: ms3(first_wait),
            last_wait_ms: ms3(batch.iter().map(|r| r.2).max()?),
        };
        if best.as_ref().is_none_or(|b| found.requests > b.requests) {
            best = Some(found);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BrowserData, LcpCandidate, MainThread, MainThreadWork, ThreadIdx};

    const MS: Ns = 1_000_000;

    fn req(url: &str, sent: Ns, wait: Ns) -> NetworkRequest {
        NetworkRequest {
            request_id: format!("r{sent}{wait}"),
            url: url.into(),
            method: "GET".into(),
            start: sent,
            end: sent + wait + MS,
            server_wait: Some(wait),
            sent: Some(sent),
            first_byte: Some(sent + wait),
            ..NetworkRequest::default()
        }
    }

    fn trace_of(network: Vec<NetworkRequest>) -> Trace {
        Trace {
            network,
            ..Trace::default()
        }
    }

    /// ```text
    /// sent:        0 ms: a, b, c (together)
    /// first byte:  a 250, b 500, c 750   -> one at a time, 250 ms each
    /// ```
    #[test]
    fn responses_one_after_another_look_serial() {
        let t = trace_of(vec![
            req("http://s.test/img?1", 0, 250 * MS),
            req("http://s.test/img?2", MS, 499 * MS),
            req("http://s.test/img?3", 2 * MS, 748 * MS),
        ]);
        let f = analyze(&t, &Config::default());
        assert_eq!(f.slow.len(), 1);
        assert_eq!(f.slow[0].endpoint, "GET http://s.test/img");
        assert_eq!(f.slow[0].requests, 3);
        assert_eq!(f.slow[0].one_at_a_time, Some((3, 250 * MS)));
        let s = f.slow[0].serial.as_ref().expect("serial");
        assert_eq!(
            (s.origin.as_str(), s.sent_within_ms),
            ("http://s.test", 2.0)
        );
        assert_eq!((s.first_wait_ms, s.last_wait_ms), (250.0, 748.0));
    }

    /// Concurrent processing: all three answered after about the same time.
    #[test]
    fn responses_together_do_not_look_serial() {
        let t = trace_of(vec![
            req("http://s.test/img?1", 0, 250 * MS),
            req("http://s.test/img?2", MS, 251 * MS),
            req("http://s.test/img?3", 2 * MS, 252 * MS),
        ]);
        let f = analyze(&t, &Config::default());
        assert_eq!(f.slow[0].one_at_a_time, None);
    }

    /// Two at a time: answers come in pairs, not evenly spaced.
    #[test]
    fn two_at_a_time_is_not_one_at_a_time() {
        let t = trace_of(vec![
            req("http://s.test/a", 0, 250 * MS),
            req("http://s.test/a", MS, 250 * MS),
            req("http://s.test/a", 2 * MS, 500 * MS),
            req("http://s.test/a", 3 * MS, 500 * MS),
        ]);
        let f = analyze(&t, &Config::default());
        assert_eq!(f.slow[0].one_at_a_time, None);
    }

    /// The serial batch need not be the first requests to the origin: here the document comes
    /// first alone, and the API calls later.
    ///
    /// ```text
    /// t (ms):  0 [doc 100]        1000: api x4 sent  -> first bytes 1300, 1600, 1900, 2200
    /// ```
    #[test]
    fn serial_batch_later_in_the_page() {
        let mut doc = req("http://s.test/", 0, 100 * MS);
        doc.is_document = true;
        let t = trace_of(vec![
            doc,
            req("http://s.test/api/items?page=1", 1000 * MS, 300 * MS),
            req("http://s.test/api/items?page=2", 1001 * MS, 599 * MS),
            req("http://s.test/api/items?page=3", 1002 * MS, 898 * MS),
            req("http://s.test/api/items?page=4", 1003 * MS, 1197 * MS),
        ]);
        let f = analyze(&t, &Config::default());
        assert_eq!(f.slow.len(), 1, "the 100 ms document is not slow");
        let s = f.slow[0].serial.as_ref().expect("serial");
        assert_eq!((s.requests, s.processing_ms), (4, 300.0));
    }

    /// DevTools' document rule rounds before comparing: 600.4 ms passes, 600.6 ms fails; other
    /// requests use `--slow`.
    #[test]
    fn document_rule_rounds() {
        let mut a = req("http://s.test/", 0, 600_400_000);
        a.is_document = true;
        let mut b = req("http://t.test/", 0, 600_600_000);
        b.is_document = true;
        let c = req("http://u.test/x", 0, 199 * MS);
        let d = req("http://u.test/y", 0, 200 * MS);
        let f = analyze(&trace_of(vec![a, b, c, d]), &Config::default());
        let eps: Vec<&str> = f.slow.iter().map(|g| g.endpoint.as_str()).collect();
        assert_eq!(eps, ["GET http://t.test/", "GET http://u.test/y"]);
        assert_eq!(f.slow[0].documents, 1);
    }

    /// A text LCP has TTFB and render delay; an image LCP all four subparts, which add up.
    ///
    /// ```text
    /// t (ms):  0 nav   100 doc first byte   300 img sent   700 img loaded   900 LCP
    /// ```
    #[test]
    fn lcp_subparts() {
        let mut doc = req("http://s.test/", 10 * MS, 90 * MS);
        doc.request_id = "N".into();
        doc.is_document = true;
        let mut img = req("http://s.test/hero.jpg", 300 * MS, 100 * MS);
        img.start = 300 * MS;
        img.finish_time = Some(700 * MS);
        let nav = |kind: &str| Navigation {
            id: "N".into(),
            url: "http://s.test/".into(),
            start: 0,
            main_frame: true,
            lcp: Some(LcpCandidate {
                at: 900 * MS,
                index: 2,
                kind: kind.into(),
                image_url: Some("http://s.test/hero.jpg".into()),
            }),
        };
        let mut t = trace_of(vec![doc, img]);
        t.browser.navigations = vec![nav("image")];
        let f = analyze(&t, &Config::default());
        let n = &f.navigations[0];
        assert_eq!(n.lcp_ms, Some(900.0));
        let p = n.phases.expect("phases");
        assert_eq!(
            (
                p.ttfb_ms,
                p.load_delay_ms,
                p.load_duration_ms,
                p.render_delay_ms
            ),
            (100.0, Some(200.0), Some(400.0), 200.0)
        );
        t.browser.navigations = vec![nav("text")];
        let p = analyze(&t, &Config::default()).navigations[0]
            .phases
            .expect("phases");
        assert_eq!(
            (p.ttfb_ms, p.load_delay_ms, p.render_delay_ms),
            (100.0, None, 800.0)
        );
    }

    #[test]
    fn main_thread_figures_and_json() {
        let task = |start: Ns, dur: Ns| MainThreadTask {
            name: "RunTask".into(),
            start,
            duration: dur,
            work: MainThreadWork::default(),
        };
        let mut t = trace_of(vec![]);
        t.browser = BrowserData {
            main_threads: vec![MainThread {
                thread: ThreadIdx(0),
                pid: "1".into(),
                tid: "2".into(),
                run_tasks: 10,
                tasks: vec![
                    task(0, 80 * MS),
                    task(100 * MS, 60 * MS),
                    task(200 * MS, 50 * MS),
                ],
                legacy_tasks: vec![],
            }],
            ..BrowserData::default()
        };
        let f = analyze(&t, &Config::default());
        let m = &f.main_threads[0];
        assert_eq!(
            (m.long_tasks, m.long_task_total_ms, m.longest_ms),
            (2, 140.0, Some(80.0))
        );
        assert_eq!(m.blocking_ms, 40.0, "a task of exactly 50 ms is not long");
        assert_eq!(f.long_tasks[1].blocking_ms, 10.0);
        let json = serde_json::to_value(&f).expect("serializes");
        assert!(json["slow_endpoints"].is_array());
        assert_eq!(json["long_tasks"][0]["duration_ms"], 80.0);
    }

    #[test]
    fn origins() {
        assert_eq!(origin("https://a.test:8080/x?y"), "https://a.test:8080");
        assert_eq!(origin("https://a.test?q"), "https://a.test");
        assert_eq!(origin("file:///tmp/x.html"), "file://");
    }
}
