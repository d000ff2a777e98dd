//! Slow server responses seen from the browser: DevTools' document rule or `--slow`, grouped by
//! endpoint, and whether the server answered them one at a time.

use super::super::percentile;
use crate::config::Config;
use crate::model::{NetworkRequest, Ns, Trace};

/// DevTools' DocumentLatency rule: a document whose server response, rounded to a whole ms, is
/// over 600 ms is slow.
pub const DOCUMENT_SLOW_MS: f64 = 600.0;

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

/// `GET https://host/path` (no query, no fragment).
pub fn endpoint(method: &str, url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    format!("{} {path}", if method.is_empty() { "GET" } else { method })
}

/// `https://host:port` of a URL.
pub(super) fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
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
pub(super) fn slow_endpoints(trace: &Trace, cfg: &Config) -> Vec<SlowEndpoint> {
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
