//! The browser/server join in the report (issue 12, section 2): per join its matching figures and
//! matched requests with their split, per page load one line. Words only; the join is decided in
//! `analyze::page_join`.

use super::browser::LcpPhasesOut;
use super::schema::Report;
use super::text::{fmt_duration, plural, to_ms};
use crate::analyze::Analysis;
use crate::analyze::page_join::{JoinedRequest, PageJoin, Refusal};
use serde::Serialize;

/// How one browser input joined one server input.
#[derive(Debug, Clone, Serialize)]
pub struct PageJoinOut {
    pub browser_input: String,
    pub server_input: String,
    /// Browser requests with a send and a first byte (the ones that can be matched).
    pub browser_requests: usize,
    pub server_requests: usize,
    pub matched: usize,
    /// Of them, matched by an id both sides carry (`traceparent`, `x-request-id`, ...).
    pub matched_by_id: usize,
    pub browser_unmatched: usize,
    pub server_unmatched: usize,
    /// Browser time = server time + this (ms): the median of the matched pairs' own offsets
    /// (last byte - handler end); `null` when no pair was possible.
    pub offset_ms: Option<f64>,
    /// Largest - smallest of the pairs' own offsets (ms).
    pub offset_spread_ms: Option<f64>,
    /// Why the files were not joined, when they were not.
    pub refused: Option<String>,
    pub requests: Vec<JoinedRequestOut>,
}

/// One browser request and the server request that served it.
#[derive(Debug, Clone, Serialize)]
pub struct JoinedRequestOut {
    pub url: String,
    /// The server's endpoint (method and route).
    pub endpoint: String,
    pub is_document: bool,
    /// `id` (an id both sides carry) or `time`.
    pub matched_by: &'static str,
    /// Request sent to first byte, by the browser.
    pub browser_wait_ms: f64,
    /// The part of the wait that was neither before the handler nor in it.
    pub network_ms: f64,
    /// Sent to the handler's start.
    pub queued_ms: f64,
    /// The part of the wait the handler ran.
    pub handler_ms: f64,
    /// The server row's pattern for this endpoint, when it has one.
    pub pattern: Option<&'static str>,
    pub culprits: Vec<CulpritOut>,
}

/// Stalls of one endpoint that a request waited behind or ran beside.
#[derive(Debug, Clone, Serialize)]
pub struct CulpritOut {
    pub endpoint: String,
    pub stalls: usize,
    /// Stall time inside the request's time on the server.
    pub overlap_ms: f64,
    pub longest_ms: f64,
}

/// One page load of a joined browser input.
#[derive(Debug, Clone, Serialize)]
pub struct PageLoadOut {
    pub browser_input: String,
    pub server_input: String,
    pub url: String,
    pub lcp_ms: Option<f64>,
    pub lcp_phases: Option<LcpPhasesOut>,
    /// `DOMContentLoaded` and `load`, ms after the navigation's start (a HAR's `pageTimings`);
    /// `null` when the browser input does not say.
    pub dom_content_loaded_ms: Option<f64>,
    pub load_ms: Option<f64>,
    /// The request the line tells of: the LCP image's, else the longest-waiting one.
    pub request_url: Option<String>,
    pub request_is_lcp_image: bool,
    pub headline: String,
    /// The matched requests of this page load (as in `page_joins[].requests`).
    pub requests: Vec<JoinedRequestOut>,
}

fn refusal(r: &Refusal) -> String {
    match r {
        Refusal::NoTimedRequests => {
            "no browser request has both a send and a first byte time".to_string()
        }
        Refusal::NoCommonEndpoint => {
            "no browser request has a server request of its method and path".to_string()
        }
        Refusal::TooFewFit { fit, of } => format!(
            "one clock offset fits only {fit} of the {of} browser requests that have a server \
             request of their method and path: the files are not of the same run"
        ),
        Refusal::TooManyPairs { cap } => format!(
            "over {cap} candidate pairs (the server input is long): cut it to the time of the \
             page loads"
        ),
        Refusal::Spread(w) => format!(
            "the matched pairs' clock offsets (last byte - handler end) spread over {}: the \
             files are not of the same run",
            fmt_duration(*w)
        ),
    }
}

fn request_out(r: &JoinedRequest, server: &Analysis) -> JoinedRequestOut {
    JoinedRequestOut {
        url: r.url.clone(),
        endpoint: r.endpoint.clone(),
        is_document: r.is_document,
        matched_by: if r.by_id { "id" } else { "time" },
        browser_wait_ms: to_ms(r.browser_wait),
        network_ms: to_ms(r.network),
        queued_ms: to_ms(r.queued),
        handler_ms: to_ms(r.handler),
        pattern: server
            .judgements
            .iter()
            .find(|j| j.subject == r.endpoint)
            .map(|j| j.pattern.as_str()),
        culprits: r
            .culprits
            .iter()
            .map(|c| CulpritOut {
                endpoint: c.endpoint.clone(),
                stalls: c.stalls,
                overlap_ms: to_ms(c.overlap),
                longest_ms: to_ms(c.longest),
            })
            .collect(),
    }
}

/// `the LCP image GET /inventory/ waited 2.90 s, of which 2.81 s before its handler started,
/// while 12 stalls of GET /leaderboard/ held the server`.
fn story(r: &JoinedRequest, what: &str) -> String {
    let mut s = format!(
        "{what} {} waited {}, of which {} before its handler started",
        r.endpoint,
        fmt_duration(r.browser_wait),
        fmt_duration(r.queued)
    );
    if let Some(c) = r.culprits.first() {
        s.push_str(&format!(
            ", while {} of {} held the server",
            plural(c.stalls, "stall", "stalls"),
            c.endpoint
        ));
        if r.culprits.len() > 1 {
            s.push_str(&format!(
                " (and stalls of {} more)",
                plural(r.culprits.len() - 1, "endpoint", "endpoints")
            ));
        }
    }
    s
}

impl Report {
    /// Adds one join of browser input `browser` (its path) to server input `server`.
    pub fn add_page_join(&mut self, browser: &str, server: &str, j: &PageJoin, sa: &Analysis) {
        self.page_joins.push(PageJoinOut {
            browser_input: browser.to_string(),
            server_input: server.to_string(),
            browser_requests: j.browser_requests,
            server_requests: j.server_requests,
            matched: j.requests.len(),
            matched_by_id: j.matched_by_id,
            browser_unmatched: j.browser_unmatched(),
            server_unmatched: j.server_unmatched(),
            offset_ms: j.offset.map(|o| to_ms(o.estimate)),
            offset_spread_ms: j.offset.map(|o| to_ms(o.pair_spread)),
            refused: j.refused.as_ref().map(refusal),
            requests: j.requests.iter().map(|r| request_out(r, sa)).collect(),
        });
        for p in &j.page_loads {
            let key = p.key.and_then(|k| j.requests.get(k));
            // `LCP 1.09 s, DOMContentLoaded 1.95 s, load 4.83 s: `, what the input says of them.
            let marks: Vec<String> = [
                ("LCP", p.lcp),
                ("DOMContentLoaded", p.dom_content_loaded),
                ("load", p.load),
            ]
            .into_iter()
            .filter_map(|(name, at)| at.map(|at| format!("{name} {}", fmt_duration(at))))
            .collect();
            let lcp = if marks.is_empty() {
                String::new()
            } else {
                format!("{}: ", marks.join(", "))
            };
            let headline = match (&j.refused, key) {
                (Some(r), _) => {
                    format!("{lcp}page {} not joined to {server}: {}", p.url, refusal(r))
                }
                (None, Some(r)) if p.key_is_lcp => format!("{lcp}{}", story(r, "the LCP image")),
                (None, Some(r)) => format!(
                    "{lcp}page {}: its longest-waiting request {}",
                    p.url,
                    story(r, "").trim_start()
                ),
                (None, None) => format!(
                    "{lcp}page {}: none of its requests matched a request of {server}",
                    p.url
                ),
            };
            self.page_loads.push(PageLoadOut {
                browser_input: browser.to_string(),
                server_input: server.to_string(),
                url: p.url.clone(),
                lcp_ms: p.lcp.map(to_ms),
                lcp_phases: p.phases.map(|ph| LcpPhasesOut {
                    ttfb_ms: to_ms(ph.ttfb),
                    load_delay_ms: ph.load_delay.map(to_ms),
                    load_duration_ms: ph.load_duration.map(to_ms),
                    render_delay_ms: to_ms(ph.render_delay),
                }),
                dom_content_loaded_ms: p.dom_content_loaded.map(to_ms),
                load_ms: p.load.map(to_ms),
                request_url: key.map(|r| r.url.clone()),
                request_is_lcp_image: p.key_is_lcp,
                headline,
                requests: p
                    .requests
                    .iter()
                    .filter_map(|&i| j.requests.get(i))
                    .map(|r| request_out(r, sa))
                    .collect(),
            });
        }
    }
}

/// The lines at the top of the table: per join its figures, then one line per page load.
pub fn lines(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for j in &r.page_joins {
        let head = format!("{} joined to {}", j.browser_input, j.server_input);
        match (&j.refused, j.offset_ms, j.offset_spread_ms) {
            (Some(why), _, _) => out.push(format!(
                "{} not joined to {}: {why}",
                j.browser_input, j.server_input
            )),
            (None, Some(off), Some(spread)) => out.push(format!(
                "{head}: {} of {} browser requests matched{} ({} unmatched); clock offset {off} \
                 ms (browser = server + offset), spread {spread} ms",
                j.matched,
                j.browser_requests,
                if j.matched_by_id > 0 {
                    format!(", {} by id", j.matched_by_id)
                } else {
                    String::new()
                },
                plural(j.server_unmatched, "server request", "server requests")
            )),
            _ => {}
        }
    }
    for p in &r.page_loads {
        out.push(p.headline.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refused join says why; over the pair cap it names the cap and what to do.
    #[test]
    fn too_many_pairs_says_the_cap_and_the_fix() {
        assert_eq!(
            refusal(&Refusal::TooManyPairs { cap: 8 }),
            "over 8 candidate pairs (the server input is long): cut it to the time of the page \
             loads"
        );
    }
}
