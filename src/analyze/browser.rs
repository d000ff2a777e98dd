//! Detectors for browser traces: slow server responses seen from the browser, long tasks on
//! renderer main threads, and LCP per navigation. Pure functions over [`Trace`]'s network
//! requests and [`BrowserData`](crate::model::BrowserData); every figure is computed the way
//! Chrome DevTools computes it (checked against DevTools' engine on the shared corpus by
//! `tests/chrome_corpus.rs`).
//!
//! Figures stay in [`Ns`]; `report::browser` rounds them and writes the words. The verdicts
//! (a slow response, long tasks on a main thread) are decided here, in [`judgements`].

use super::{Detail, Judgement, Pattern, Unit, Verdict, percentile};
use crate::config::{BROWSER_LONG_TASK, Config};
use crate::model::{
    HeaviestWork, MainThread, MainThreadTask, Navigation, NetworkRequest, Ns, TASK_FLOOR, Trace,
};

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

/// One long task on a renderer main thread.
#[derive(Debug, Clone)]
pub struct LongTask {
    /// The thread's name in the trace (`CrRendererMain`), empty when it has none.
    pub thread_name: String,
    pub pid: String,
    pub tid: String,
    pub task: MainThreadTask,
    /// The part over 50 ms: what the task adds to Total Blocking Time.
    pub blocking: Ns,
    /// Under a pre-2019 task name, which DevTools does not count.
    pub legacy: bool,
    /// The navigation (URL) whose LCP window (navigation start to LCP) the task started in: a
    /// long task there can delay the largest paint.
    pub in_lcp_window: Option<String>,
}

/// Per renderer main thread, the figures DevTools reports.
#[derive(Debug, Clone)]
pub struct MainThreadFigures {
    pub pid: String,
    pub tid: String,
    pub run_tasks: u64,
    pub long_tasks: usize,
    pub long_task_total: Ns,
    pub longest: Option<Ns>,
    /// Sum over long tasks of (duration - 50 ms).
    pub blocking: Ns,
    pub legacy_long_tasks: usize,
}

/// A group of slow responses to one endpoint (method and URL without query).
#[derive(Debug, Clone)]
pub struct SlowEndpoint {
    pub endpoint: String,
    pub requests: usize,
    /// How many of them are main documents (judged by DevTools' 600 ms rule).
    pub documents: usize,
    /// Server waits, sorted.
    pub waits: Vec<Ns>,
    pub server_timing: Vec<(String, Ns)>,
    /// Several requests in flight to one origin came back one after another, each about one
    /// processing time after the previous (see `serial_responses`).
    pub serial: Option<SerialResponses>,
}

/// Requests to one origin, in flight together, answered one after another.
#[derive(Debug, Clone)]
pub struct SerialResponses {
    pub origin: String,
    /// Requests in the batch (all sent before the first answer came back).
    pub requests: usize,
    /// The time between two consecutive first bytes (median): the server's time per request.
    pub processing: Ns,
    /// Sending spread of the batch: last send - first send.
    pub sent_within: Ns,
    pub first_wait: Ns,
    pub last_wait: Ns,
}

/// A navigation with its largest contentful paint and LCP's subparts (DevTools' LCPBreakdown).
#[derive(Debug, Clone)]
pub struct NavigationFacts {
    pub navigation_id: String,
    pub url: String,
    pub start: Ns,
    /// The LCP, from the navigation's start.
    pub lcp: Option<Ns>,
    pub lcp_type: Option<String>,
    pub lcp_image_url: Option<String>,
    pub phases: Option<LcpPhases>,
}

/// TTFB, then for an image its load delay and load duration, then render delay; they add up to
/// the LCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LcpPhases {
    pub ttfb: Ns,
    pub load_delay: Option<Ns>,
    pub load_duration: Option<Ns>,
    pub render_delay: Ns,
}

/// Everything found in a browser trace, in [`Ns`].
#[derive(Debug, Clone, Default)]
pub struct BrowserFindings {
    pub navigations: Vec<NavigationFacts>,
    /// Every request the browser made, as read.
    pub network: Vec<NetworkRequest>,
    /// Every long task of every renderer main thread: per thread, `RunTask`s first, then the
    /// legacy ones.
    pub long_tasks: Vec<LongTask>,
    pub main_threads: Vec<MainThreadFigures>,
    pub slow: Vec<SlowEndpoint>,
}

impl BrowserFindings {
    pub fn is_empty(&self) -> bool {
        self.network.is_empty() && self.main_threads.is_empty()
    }

    /// Long tasks under pre-2019 task names, over every main thread.
    pub fn legacy_long_tasks(&self) -> usize {
        self.main_threads.iter().map(|m| m.legacy_long_tasks).sum()
    }
}

/// Which rule made a response slow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowRule {
    /// DevTools' DocumentLatency rule (a main document over 600 ms).
    Document,
    /// `--slow`: a request waiting at least this long.
    Slow(Ns),
}

/// Slow server responses to one endpoint, seen from the browser.
#[derive(Debug, Clone)]
pub struct SlowResponse {
    pub endpoint: String,
    pub requests: usize,
    pub documents: usize,
    pub rule: SlowRule,
    pub p50: Ns,
    pub p95: Ns,
    pub max: Ns,
    /// `Server-Timing` entries of the slow responses, in order.
    pub server_timing: Vec<(String, Ns)>,
    /// Answered one at a time: (requests in the batch, time per request).
    pub one_at_a_time: Option<(usize, Ns)>,
    pub evidence: BrowserEvidence,
}

/// Long tasks on one renderer main thread.
#[derive(Debug, Clone)]
pub struct LongTasks {
    pub pid: String,
    pub tid: String,
    pub run_tasks: u64,
    pub long_tasks: usize,
    pub longest: Ns,
    pub total: Ns,
    pub blocking: Ns,
    /// The heaviest work inside the longest task, when the trace says.
    pub heaviest: Option<HeaviestWork>,
    pub evidence: BrowserEvidence,
}

/// Why a browser verdict was reached, as facts; `report` words them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserEvidence {
    /// Server wait (first response byte - request sent, the browser's resource timing) over the
    /// threshold for `over` of the `of` requests to the endpoint.
    ServerWaitOverThreshold { over: usize, of: usize },
    /// `long` of `run_tasks` top-level tasks over 50 ms on a renderer main thread.
    TasksOverLongTaskRule {
        long: usize,
        run_tasks: u64,
        total: Ns,
        blocking: Ns,
    },
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
        network: trace.network.clone(),
        long_tasks: long_tasks(trace),
        main_threads: main_threads(trace),
        slow: slow_endpoints(trace, cfg),
    }
}

/// The verdict rows, slow endpoints first, then main threads: every group of slow responses is
/// Bad (the server made the page wait), and so is every renderer main thread with a long task
/// (input and rendering waited).
pub fn judgements(f: &BrowserFindings, cfg: &Config) -> Vec<Judgement> {
    let mut out = Vec::new();
    for g in &f.slow {
        out.push(Judgement {
            subject: g.endpoint.clone(),
            pattern: Pattern::SlowServerResponse,
            verdict: Verdict::Bad,
            unit: Unit::Requests,
            count: g.requests,
            detail: Detail::SlowResponse(Box::new(SlowResponse {
                endpoint: g.endpoint.clone(),
                requests: g.requests,
                documents: g.documents,
                rule: if g.documents > 0 {
                    SlowRule::Document
                } else {
                    SlowRule::Slow(cfg.slow)
                },
                p50: percentile(&g.waits, 50.0),
                p95: percentile(&g.waits, 95.0),
                max: g.waits.last().copied().unwrap_or(0),
                server_timing: g.server_timing.clone(),
                one_at_a_time: g.serial.as_ref().map(|s| (s.requests, s.processing)),
                evidence: BrowserEvidence::ServerWaitOverThreshold {
                    over: g.requests,
                    of: g.requests,
                },
            })),
        });
    }
    for m in f.main_threads.iter().filter(|m| m.long_tasks > 0) {
        let heaviest = f
            .long_tasks
            .iter()
            .filter(|t| t.pid == m.pid && t.tid == m.tid && !t.legacy)
            .max_by_key(|t| t.task.duration)
            .and_then(|t| t.task.work.heaviest.clone());
        out.push(Judgement {
            subject: format!("renderer {}:{}", m.pid, m.tid),
            pattern: Pattern::MainThreadLongTasks,
            verdict: Verdict::Bad,
            unit: Unit::LongTasks,
            count: m.long_tasks,
            detail: Detail::LongTasks(Box::new(LongTasks {
                pid: m.pid.clone(),
                tid: m.tid.clone(),
                run_tasks: m.run_tasks,
                long_tasks: m.long_tasks,
                longest: m.longest.unwrap_or(0),
                total: m.long_task_total,
                blocking: m.blocking,
                heaviest,
                evidence: BrowserEvidence::TasksOverLongTaskRule {
                    long: m.long_tasks,
                    run_tasks: m.run_tasks,
                    total: m.long_task_total,
                    blocking: m.blocking,
                },
            })),
        });
    }
    out
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
fn navigation(trace: &Trace, nav: &Navigation) -> NavigationFacts {
    let lcp = nav.lcp.as_ref();
    let doc = trace.network.iter().find(|n| n.request_id == nav.id);
    let phases = lcp.and_then(|l| {
        let doc = doc?;
        let ttfb_end = doc.first_byte.unwrap_or(doc.start);
        let ttfb = ttfb_end - nav.start;
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
                    ttfb,
                    load_delay: Some(img.start - ttfb_end),
                    load_duration: Some(loaded - img.start),
                    render_delay: l.at - loaded,
                }
            }
            _ => LcpPhases {
                ttfb,
                load_delay: None,
                load_duration: None,
                render_delay: l.at - ttfb_end,
            },
        })
    });
    NavigationFacts {
        navigation_id: nav.id.clone(),
        url: nav.url.clone(),
        start: nav.start,
        lcp: lcp.map(|l| l.at - nav.start),
        lcp_type: lcp.map(|l| l.kind.clone()),
        lcp_image_url: lcp.and_then(|l| l.image_url.clone()),
        phases,
    }
}

fn long_task(
    trace: &Trace,
    m: &MainThread,
    thread_name: &str,
    t: &MainThreadTask,
    legacy: bool,
) -> LongTask {
    LongTask {
        thread_name: thread_name.to_string(),
        pid: m.pid.clone(),
        tid: m.tid.clone(),
        task: t.clone(),
        blocking: (t.duration - BROWSER_LONG_TASK).max(0),
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
fn long_tasks(trace: &Trace) -> Vec<LongTask> {
    let mut out = Vec::new();
    for m in &trace.browser.main_threads {
        let name = trace
            .threads
            .get(m.thread.0 as usize)
            .and_then(|t| t.name.as_deref())
            .unwrap_or("");
        for t in long_tasks_of(m) {
            out.push(long_task(trace, m, name, t, false));
        }
        for t in legacy_long_tasks_of(m) {
            out.push(long_task(trace, m, name, t, true));
        }
    }
    out
}

/// DevTools' per-thread figures: long tasks are `RunTask`s strictly over 50 ms; blocking time is
/// the sum of their time over 50 ms.
fn main_threads(trace: &Trace) -> Vec<MainThreadFigures> {
    trace
        .browser
        .main_threads
        .iter()
        .map(|m| {
            let durations = long_tasks_of(m).map(|t| t.duration);
            MainThreadFigures {
                pid: m.pid.clone(),
                tid: m.tid.clone(),
                run_tasks: m.run_tasks,
                long_tasks: durations.clone().count(),
                long_task_total: durations.clone().sum(),
                longest: durations.clone().max(),
                blocking: durations.map(|d| (d - BROWSER_LONG_TASK).max(0)).sum(),
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
            processing: p,
            sent_within: spread,
            first_wait,
            last_wait: batch.iter().map(|r| r.2).max()?,
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
        let s = f.slow[0].serial.as_ref().expect("serial");
        assert_eq!((s.requests, s.processing), (3, 250 * MS));
        assert_eq!(
            (s.origin.as_str(), s.sent_within),
            ("http://s.test", 2 * MS)
        );
        assert_eq!((s.first_wait, s.last_wait), (250 * MS, 748 * MS));
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
        assert!(f.slow[0].serial.is_none());
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
        assert!(f.slow[0].serial.is_none());
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
        assert_eq!((s.requests, s.processing), (4, 300 * MS));
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
        assert_eq!(n.lcp, Some(900 * MS));
        let p = n.phases.expect("phases");
        assert_eq!(
            (p.ttfb, p.load_delay, p.load_duration, p.render_delay),
            (100 * MS, Some(200 * MS), Some(400 * MS), 200 * MS)
        );
        t.browser.navigations = vec![nav("text")];
        let p = analyze(&t, &Config::default()).navigations[0]
            .phases
            .expect("phases");
        assert_eq!(
            (p.ttfb, p.load_delay, p.render_delay),
            (100 * MS, None, 800 * MS)
        );
    }

    #[test]
    fn main_thread_figures_and_verdict() {
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
            (m.long_tasks, m.long_task_total, m.longest),
            (2, 140 * MS, Some(80 * MS))
        );
        assert_eq!(m.blocking, 40 * MS, "a task of exactly 50 ms is not long");
        assert_eq!(f.long_tasks[1].blocking, 10 * MS);
        let js = judgements(&f, &Config::default());
        let [j] = &js[..] else {
            panic!("one verdict: {js:?}")
        };
        assert_eq!(
            (j.pattern, j.verdict, j.unit, j.count, j.subject.as_str()),
            (
                Pattern::MainThreadLongTasks,
                Verdict::Bad,
                Unit::LongTasks,
                2,
                "renderer 1:2"
            )
        );
        let Detail::LongTasks(l) = &j.detail else {
            panic!("{j:?}")
        };
        assert_eq!(
            l.evidence,
            BrowserEvidence::TasksOverLongTaskRule {
                long: 2,
                run_tasks: 10,
                total: 140 * MS,
                blocking: 40 * MS
            }
        );
    }

    #[test]
    fn origins() {
        assert_eq!(origin("https://a.test:8080/x?y"), "https://a.test:8080");
        assert_eq!(origin("https://a.test?q"), "https://a.test");
        assert_eq!(origin("file:///tmp/x.html"), "file://");
    }
}
