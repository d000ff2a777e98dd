//! Detectors for browser traces: slow server responses seen from the browser, and long tasks
//! on renderer main threads. Pure functions over [`Trace`]'s network requests and
//! [`BrowserData`](crate::model::BrowserData).

use super::{fmt_ms, ms, percentile};
use crate::config::Config;
use crate::model::{Ns, Trace};
use serde::Serialize;

/// DevTools' DocumentLatency rule: a document whose server response, rounded to a whole ms, is
/// over 600 ms is slow.
pub const DOCUMENT_SLOW_MS: f64 = 600.0;

#[derive(Debug, Clone, Serialize)]
pub struct NetworkOut {
    pub request_id: String,
    pub url: String,
    pub method: String,
    pub status: Option<u16>,
    pub server_wait_ms: Option<f64>,
    pub total_ms: f64,
    pub is_document: bool,
    pub redirects: u32,
    pub server_timing: Vec<ServerTiming>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerTiming {
    pub name: String,
    pub duration_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LongTaskOut {
    pub thread: String,
    pub pid: String,
    pub tid: String,
    pub name: String,
    pub start_ms: f64,
    pub duration_ms: f64,
    /// The heaviest work inside the task, when the trace says.
    pub heaviest: Option<String>,
    /// Under a pre-2019 task name, which DevTools does not count.
    pub legacy: bool,
    /// The navigation (URL) whose LCP window (navigation start to LCP) the task fell in: a long
    /// task there can delay the largest paint.
    pub in_lcp_window: Option<String>,
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

/// A group of slow responses to one endpoint.
#[derive(Debug, Clone)]
pub struct SlowEndpoint {
    pub endpoint: String,
    pub requests: usize,
    pub documents: usize,
    pub waits: Vec<Ns>,
    pub server_timing: Vec<(String, Ns)>,
    /// Several requests in flight to one origin came back one after another, each about one
    /// processing time after the previous: (requests, median gap).
    pub one_at_a_time: Option<(usize, Ns)>,
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

fn us3(ns: Ns) -> f64 {
    (ns as f64 / 1e3).round() / 1e3
}

fn navigation(trace: &Trace, nav: &crate::model::Navigation) -> NavigationOut {
    let lcp = nav.lcp.as_ref();
    let doc = trace.network.iter().find(|n| n.request_id == nav.id);
    let phases = lcp.and_then(|l| {
        let doc = doc?;
        let ttfb_end = doc.first_byte.unwrap_or(doc.start);
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
                    ttfb_ms: us3(ttfb_end - nav.start),
                    load_delay_ms: Some(us3(img.start - ttfb_end)),
                    load_duration_ms: Some(us3(loaded - img.start)),
                    render_delay_ms: us3(l.at - loaded),
                }
            }
            _ => LcpPhases {
                ttfb_ms: us3(ttfb_end - nav.start),
                load_delay_ms: None,
                load_duration_ms: None,
                render_delay_ms: us3(l.at - ttfb_end),
            },
        })
    });
    NavigationOut {
        navigation_id: nav.id.clone(),
        url: nav.url.clone(),
        start_ms: ms(nav.start),
        lcp_ms: lcp.map(|l| us3(l.at - nav.start)),
        lcp_type: lcp.map(|l| l.kind.clone()),
        lcp_image_url: lcp.and_then(|l| l.image_url.clone()),
        phases,
    }
}

#[derive(Debug, Clone, Default)]
pub struct BrowserFindings {
    pub navigations: Vec<NavigationOut>,
    pub network: Vec<NetworkOut>,
    pub long_tasks: Vec<LongTaskOut>,
    pub main_threads: Vec<MainThreadOut>,
    pub slow: Vec<SlowEndpoint>,
}

impl BrowserFindings {
    pub fn is_empty(&self) -> bool {
        self.network.is_empty() && self.main_threads.is_empty()
    }
}

/// `GET https://host/path` (no query).
pub fn endpoint(method: &str, url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    format!("{} {path}", if method.is_empty() { "GET" } else { method })
}

pub fn analyze(trace: &Trace, cfg: &Config) -> BrowserFindings {
    let mut out = BrowserFindings {
        navigations: trace
            .browser
            .navigations
            .iter()
            .filter(|n| n.main_frame)
            .map(|n| navigation(trace, n))
            .collect(),
        ..BrowserFindings::default()
    };
    for n in &trace.network {
        out.network.push(NetworkOut {
            request_id: n.request_id.clone(),
            url: n.url.clone(),
            method: n.method.clone(),
            status: n.status,
            server_wait_ms: n.server_wait.map(|w| (w as f64 / 1e3).round() / 1e3),
            total_ms: ms(n.end - n.start),
            is_document: n.is_document,
            redirects: n.redirects,
            server_timing: n
                .server_timing
                .iter()
                .map(|(name, d)| ServerTiming {
                    name: name.clone(),
                    duration_ms: ms(*d),
                })
                .collect(),
        });
    }
    for m in &trace.browser.main_threads {
        let label = trace
            .threads
            .get(m.thread.0 as usize)
            .and_then(|t| t.name.clone())
            .unwrap_or_default();
        for (t, legacy) in m
            .long_tasks
            .iter()
            .map(|t| (t, false))
            .chain(m.legacy_long_tasks.iter().map(|t| (t, true)))
        {
            out.long_tasks.push(LongTaskOut {
                thread: format!("{label} {}:{}", m.pid, m.tid),
                pid: m.pid.clone(),
                tid: m.tid.clone(),
                name: t.name.clone(),
                start_ms: ms(t.start),
                duration_ms: ms(t.duration),
                heaviest: t
                    .heaviest
                    .as_ref()
                    .map(|(w, d)| format!("{w} ({})", fmt_ms(*d))),
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
            });
        }
        let total: Ns = m.long_tasks.iter().map(|t| t.duration).sum();
        out.main_threads.push(MainThreadOut {
            pid: m.pid.clone(),
            tid: m.tid.clone(),
            run_tasks: m.run_tasks,
            long_tasks: m.long_tasks.len(),
            long_task_total_ms: (total as f64 / 1e3).round() / 1e3,
            longest_ms: m
                .long_tasks
                .iter()
                .map(|t| t.duration)
                .max()
                .map(|d| (d as f64 / 1e3).round() / 1e3),
            blocking_ms: (m
                .long_tasks
                .iter()
                .map(|t| t.duration - 50_000_000)
                .sum::<Ns>() as f64
                / 1e3)
                .round()
                / 1e3,
            legacy_long_tasks: m.legacy_long_tasks.len(),
        });
    }
    // Slow responses, grouped by endpoint.
    let mut groups: Vec<SlowEndpoint> = Vec::new();
    for n in &trace.network {
        let Some(w) = n.server_wait else { continue };
        let slow = if n.is_document {
            (w as f64 / 1e6).round() > DOCUMENT_SLOW_MS
        } else {
            w >= cfg.slow
        };
        if !slow {
            continue;
        }
        let ep = endpoint(&n.method, &n.url);
        let g = match groups.iter_mut().position(|g| g.endpoint == ep) {
            Some(i) => &mut groups[i],
            None => {
                groups.push(SlowEndpoint {
                    endpoint: ep,
                    requests: 0,
                    documents: 0,
                    waits: Vec::new(),
                    server_timing: Vec::new(),
                    one_at_a_time: None,
                });
                groups.last_mut().expect("just pushed")
            }
        };
        g.requests += 1;
        g.documents += usize::from(n.is_document);
        g.waits.push(w);
        g.server_timing.extend(n.server_timing.iter().cloned());
    }
    for g in &mut groups {
        g.waits.sort_unstable();
        g.one_at_a_time = serial_responses(trace, &g.endpoint);
    }
    out.slow = groups;
    out
}

/// Requests to one origin sent together whose first bytes came back one after another, each
/// about one processing time after the previous, look processed one at a time by the server
/// (a single worker, or a blocked event loop):
///
/// ```text
/// sent:        |||                      (3 requests in flight together)
/// first byte:  |-- p --|-- p --|-- p --|  (evenly spaced, gap ~ the shortest wait)
/// ```
///
/// Returns (requests, median gap) when at least 3 such requests show it.
fn serial_responses(trace: &Trace, endpoint_of_group: &str) -> Option<(usize, Ns)> {
    let origin = |url: &str| url.split('/').take(3).collect::<Vec<_>>().join("/");
    let group_origin = endpoint_of_group.split_once(' ').map(|(_, u)| origin(u))?;
    let mut reqs: Vec<(Ns, Ns, Ns)> = trace
        .network
        .iter()
        .filter(|n| origin(&n.url) == group_origin)
        .filter_map(|n| Some((n.sent?, n.first_byte?, n.server_wait?)))
        .collect();
    reqs.sort_unstable();
    if reqs.len() < 3 {
        return None;
    }
    // The first batch sent within the shortest wait of each other.
    let shortest = reqs.iter().map(|r| r.2).min()?;
    let first = reqs[0].0;
    let batch: Vec<&(Ns, Ns, Ns)> = reqs.iter().filter(|r| r.0 - first < shortest / 2).collect();
    if batch.len() < 3 {
        return None;
    }
    let mut firsts: Vec<Ns> = batch.iter().map(|r| r.1).collect();
    firsts.sort_unstable();
    let gaps: Vec<Ns> = firsts.windows(2).map(|w| w[1] - w[0]).collect();
    let mut sorted = gaps.clone();
    sorted.sort_unstable();
    let gap = percentile(&sorted, 50.0);
    // Evenly spaced by about one processing time: every gap within 50 % of the shortest wait.
    let serial = gaps
        .iter()
        .all(|g| (*g as f64) > 0.5 * shortest as f64 && (*g as f64) < 1.5 * shortest as f64);
    serial.then_some((batch.len(), gap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NetworkRequest;

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

    /// ```text
    /// sent:        0 ms: a, b, c (together)
    /// first byte:  a 250, b 500, c 750   -> one at a time, 250 ms each
    /// ```
    #[test]
    fn responses_one_after_another_look_serial() {
        let t = Trace {
            network: vec![
                req("http://s.test/img?1", 0, 250 * MS),
                req("http://s.test/img?2", MS, 499 * MS),
                req("http://s.test/img?3", 2 * MS, 748 * MS),
            ],
            ..Trace::default()
        };
        let cfg = Config::default();
        let f = analyze(&t, &cfg);
        assert_eq!(f.slow.len(), 1);
        assert_eq!(f.slow[0].endpoint, "GET http://s.test/img");
        assert_eq!(f.slow[0].requests, 3);
        assert_eq!(f.slow[0].one_at_a_time, Some((3, 250 * MS)));
    }

    /// Concurrent processing: all three answered after about the same time.
    #[test]
    fn responses_together_do_not_look_serial() {
        let t = Trace {
            network: vec![
                req("http://s.test/img?1", 0, 250 * MS),
                req("http://s.test/img?2", MS, 251 * MS),
                req("http://s.test/img?3", 2 * MS, 252 * MS),
            ],
            ..Trace::default()
        };
        let f = analyze(&t, &Config::default());
        assert_eq!(f.slow[0].one_at_a_time, None);
    }

    /// DevTools' document rule rounds before comparing: 600.4 ms passes, 600.6 ms fails.
    #[test]
    fn document_rule_rounds() {
        let mut a = req("http://s.test/", 0, 600_400_000);
        a.is_document = true;
        let mut b = req("http://t.test/", 0, 600_600_000);
        b.is_document = true;
        let t = Trace {
            network: vec![a, b],
            ..Trace::default()
        };
        let f = analyze(&t, &Config::default());
        assert_eq!(f.slow.len(), 1);
        assert_eq!(f.slow[0].endpoint, "GET http://t.test/");
    }
}
