//! One story per page load: a browser input's requests (a HAR or a DevTools trace) matched to
//! the server requests of a server input of the same run, by method + path + time (issue 12,
//! section 2). Names of routes never decide anything here beyond "same endpoint".
//!
//! **Ids first.** A browser request whose request or response headers carry an id (a W3C
//! `traceparent`/`traceresponse` or a `Server-Timing: traceparent;desc=...` trace id, an
//! `x-request-id`) that a server request's span fields carry too ([`id_of_field`]) was served by
//! it (the earliest-started one with that id, when several hops share a trace). Such pairs tie
//! the files to one run; the offsets they allow are where the rest is matched by time.
//!
//! **Matching by time.** A browser request and a server request are candidates when their methods are
//! equal and the browser URL's path fits the server's route (a `{id}`, `<int:id>` or `:id`
//! segment fits any segment). The two files have their own clocks (a DevTools trace's is the
//! machine's uptime, a HAR's and a span file's are wall clocks, maybe of different machines), so
//! a pair only says which clock offsets `d` (browser time = server time + d) are possible: the
//! handler cannot start before the browser sent the request, nor after the browser got the
//! first byte of the answer:
//!
//! ```text
//! browser      sent |------------------- wait -------------------| first byte ... last byte
//! server (+d)            |~~~ queued ~~~|====== handler ===========|==|
//!   sent - server start <= d <= first byte - server start
//! ```
//!
//! Each candidate pair gives an interval `[lo, hi]` of offsets (with [`SLACK`]). The pairs are
//! matched where the most intervals overlap (a sweep over their ends gives that range,
//! `[low, high]`), at its middle, one to one, earliest sent first, each taking the
//! earliest-started server request that fits. Unmatched requests on either side are counted,
//! never guessed. Each matched pair then has its own offset, `last byte - handler end` (a server
//! span ends when the response is written, and the last byte arrives a network hop later); the
//! offset is their median (kept in `[low, high]`), its spread their largest minus smallest.
//!
//! The join is refused, with the reason, when no pair is possible, when fewer than two browser
//! requests (or fewer than half of those with a candidate) fit one offset, or when the pairs' own
//! offsets spread over more than [`MAX_SPREAD`]: then the files are not of one run. (A wide
//! range of offsets that fit is no reason: long waits allow many offsets; the own offsets then
//! decide.)
//!
//! **Split.** The browser's wait (sent to first byte) of a matched request is cut into:
//! `queued` (sent to the handler's start, at the offset: the request's way to the server, the
//! accept queue, a busy event loop), `handler` (the part of the wait the handler ran) and
//! `network` (the rest: the response's way back and the server's work after its span). They add
//! up to the wait. Stalls of the server (any source) that overlap the request's time on the
//! server, queued or running, and belong to other requests are its culprits, per endpoint.

use super::browser::{LcpPhases, NavigationFacts};
use super::requests::Request;
use super::stalls::Stall;
use crate::model::{NetworkRequest, Ns};
use std::collections::HashMap;

/// Clock granularity allowed at each end of a pair's offset interval (a HAR written by Firefox
/// has whole ms).
pub const SLACK: Ns = 1_000_000;

/// Widest spread of the matched pairs' own offsets a join accepts. In one run they agree to the
/// network's jitter (0.3-12 ms on the recordings of `sample-traces/har/`); pairs that fit one
/// offset only by chance, in files of different runs, do not (500 ms and more on them).
pub const MAX_SPREAD: Ns = 250_000_000;

/// Most candidate pairs considered (each 32 bytes): beyond, the join is refused rather than
/// slow.
pub const MAX_PAIRS: usize = 4_000_000;

/// The key a server span's field gives, as `ingest::http_ids` keys a browser request's headers:
/// `request:<id>` from a request-id field, `trace:<id>` from a trace-id field (32 hex digits).
pub fn id_of_field(key: &str, value: &str) -> Option<String> {
    const REQUEST: [&str; 5] = [
        "request_id",
        "request.id",
        "http.request_id",
        "x_request_id",
        "correlation_id",
    ];
    const TRACE: [&str; 4] = ["trace_id", "trace.id", "otel.trace_id", "traceId"];
    let v = value.trim().trim_matches('"');
    if v.is_empty() {
        return None;
    }
    // Made with exactly the room it needs: a request keeps it to the end of the input.
    let id = |prefix: &str, v: &str| {
        let mut id = String::with_capacity(prefix.len() + v.len());
        id.push_str(prefix);
        id.push_str(v);
        id
    };
    if REQUEST.contains(&key) {
        Some(id("request:", v))
    } else if TRACE.contains(&key)
        && v.len() == 32
        && v.bytes().all(|b| b.is_ascii_hexdigit())
        && v.bytes().any(|b| b != b'0')
    {
        let mut id = id("trace:", v);
        id.make_ascii_lowercase();
        Some(id)
    } else {
        None
    }
}

/// The field keys [`id_of_field`] reads.
pub const FIELD_KEYS: [&str; 9] = [
    "request_id",
    "request.id",
    "http.request_id",
    "x_request_id",
    "correlation_id",
    "trace_id",
    "trace.id",
    "otel.trace_id",
    "traceId",
];

/// A browser input's side of the join.
pub struct BrowserSide<'a> {
    pub network: &'a [NetworkRequest],
    pub navigations: &'a [NavigationFacts],
    /// Unix time of the input's time 0, when its clock is a wall clock.
    pub origin: Option<i64>,
}

/// A server input's side of the join.
pub struct ServerSide<'a> {
    pub requests: &'a [Request],
    pub stalls: &'a [Stall],
    pub origin: Option<i64>,
}

/// Why two inputs were not joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No browser request has both a send and a first byte (a HAR of -1 timings).
    NoTimedRequests,
    /// No browser request has a server request of its method and path.
    NoCommonEndpoint,
    /// The best offset fits `fit` of the `of` browser requests that have a candidate.
    TooFewFit { fit: usize, of: usize },
    /// The matched pairs' own offsets spread over more than [`MAX_SPREAD`].
    Spread(Ns),
    /// Over `cap` ([`MAX_PAIRS`]) candidate pairs (a long server trace of the browser's
    /// endpoints): cut the server input to the time of the page loads.
    TooManyPairs { cap: usize },
}

/// The clock offset found: browser time = server time + `estimate`. `low..=high` is the range
/// of offsets that fit the most pairs; `pair_spread` how far apart the matched pairs' own
/// offsets are (largest - smallest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    pub estimate: Ns,
    pub low: Ns,
    pub high: Ns,
    pub pair_spread: Ns,
}

impl Offset {
    pub fn spread(&self) -> Ns {
        self.high.saturating_sub(self.low)
    }
}

/// Stalls of one endpoint that a request waited behind or ran beside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Culprit {
    pub endpoint: String,
    pub stalls: usize,
    /// Time of those stalls inside the request's time on the server.
    pub overlap: Ns,
    pub longest: Ns,
}

/// One browser request matched to the server request that served it.
#[derive(Debug, Clone)]
pub struct JoinedRequest {
    /// Index into the browser input's network requests.
    pub browser: usize,
    /// Index into the server input's requests.
    pub server: usize,
    pub url: String,
    /// The server's endpoint (method and route).
    pub endpoint: String,
    pub is_document: bool,
    pub browser_wait: Ns,
    pub queued: Ns,
    pub handler: Ns,
    pub network: Ns,
    /// Most overlap first.
    pub culprits: Vec<Culprit>,
    /// Matched by an id both sides carry, not by time.
    pub by_id: bool,
}

/// One page load: a main-frame navigation and the request its story is told by.
#[derive(Debug, Clone)]
pub struct PageLoad {
    pub url: String,
    pub lcp: Option<Ns>,
    pub phases: Option<LcpPhases>,
    /// Indices into [`PageJoin::requests`] of the matched requests that started between this
    /// navigation and the next.
    pub requests: Vec<usize>,
    /// Index into [`PageJoin::requests`]: the LCP image's request when it was matched, else the
    /// matched request of this page load with the longest wait.
    pub key: Option<usize>,
    /// The key request is the LCP image.
    pub key_is_lcp: bool,
    /// `DOMContentLoaded` and `load` after the navigation's start, when the input says.
    pub dom_content_loaded: Option<Ns>,
    pub load: Option<Ns>,
}

/// The join of one browser input to one server input.
#[derive(Debug, Clone)]
pub struct PageJoin {
    /// Browser requests with a send and a first byte (the ones that can be matched).
    pub browser_requests: usize,
    pub server_requests: usize,
    /// Browser requests with at least one candidate.
    pub with_candidates: usize,
    /// Requests matched by an id both sides carry.
    pub matched_by_id: usize,
    pub offset: Option<Offset>,
    pub refused: Option<Refusal>,
    pub requests: Vec<JoinedRequest>,
    pub page_loads: Vec<PageLoad>,
}

impl PageJoin {
    pub fn browser_unmatched(&self) -> usize {
        self.browser_requests - self.requests.len()
    }
    pub fn server_unmatched(&self) -> usize {
        self.server_requests - self.requests.len()
    }
}

/// `/a/b/` of `http://h:1/a/b/?q#f`.
fn url_path(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let rest = rest.find('/').map_or("/", |i| &rest[i..]);
    rest.split(['?', '#']).next().unwrap_or(rest)
}

/// A route segment that stands for any segment: `{id}`, `<int:id>`, `:id`.
fn is_param(seg: &str) -> bool {
    (seg.starts_with('{') && seg.ends_with('}'))
        || (seg.starts_with('<') && seg.ends_with('>'))
        || (seg.starts_with(':') && seg.len() > 1)
}

/// The browser's `METHOD path` fits the server's `METHOD route`.
fn fits(method: &str, path: &str, server_endpoint: &str) -> bool {
    let Some((m, route)) = server_endpoint.split_once(' ') else {
        return false;
    };
    let method = if method.is_empty() { "GET" } else { method };
    if !m.eq_ignore_ascii_case(method) {
        return false;
    }
    let route = route.split(['?', '#']).next().unwrap_or(route);
    let a: Vec<&str> = path.split('/').collect();
    let b: Vec<&str> = route.split('/').collect();
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || is_param(y))
}

/// Joins one browser input to one server input (see the module's documentation).
pub fn join(browser: &BrowserSide<'_>, server: &ServerSide<'_>) -> PageJoin {
    join_capped(browser, server, MAX_PAIRS)
}

/// [`join`] with at most `max_pairs` candidate pairs (tests give a small cap). Over the cap the
/// join is refused: no offset, no pair, nothing guessed; the browser requests with a candidate
/// are still counted.
fn join_capped(browser: &BrowserSide<'_>, server: &ServerSide<'_>, max_pairs: usize) -> PageJoin {
    let b0 = browser.origin.unwrap_or(0);
    let s0 = server.origin.unwrap_or(0);
    // (browser index, sent, first byte, last byte) in the browser's absolute clock.
    let reqs: Vec<(usize, Ns, Ns, Ns)> = browser
        .network
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            let (sent, first) = (n.sent?, n.first_byte?);
            // A garbled timing (first byte before the send) says nothing of the server.
            if first < sent {
                return None;
            }
            let last = n.finish_time.unwrap_or(n.end).max(first);
            Some((
                i,
                sent.saturating_add(b0),
                first.saturating_add(b0),
                last.saturating_add(b0),
            ))
        })
        .collect();
    // Server requests per endpoint, so that a path is fitted to each route once.
    let mut by_endpoint: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (j, s) in server.requests.iter().enumerate() {
        let at = *index.entry(&s.endpoint).or_insert_with(|| {
            by_endpoint.push((&s.endpoint, Vec::new()));
            by_endpoint.len() - 1
        });
        by_endpoint[at].1.push(j);
    }
    // Candidate pairs: (lo, hi, index into reqs, server index).
    let mut pairs: Vec<(Ns, Ns, usize, usize)> = Vec::new();
    let mut with_candidates = 0;
    let mut too_many = false;
    for (k, &(i, sent, first, _)) in reqs.iter().enumerate() {
        let n = &browser.network[i];
        let path = url_path(&n.url);
        let before = pairs.len();
        let mut candidates = by_endpoint.iter().filter(|(e, _)| fits(&n.method, path, e));
        if too_many {
            // Past the cap only the count goes on (every list holds at least one request).
            with_candidates += usize::from(candidates.next().is_some());
            continue;
        }
        for (_, list) in candidates {
            if pairs.len() + list.len() > max_pairs {
                too_many = true;
                break;
            }
            for &j in list {
                let start = server.requests[j].start.saturating_add(s0);
                let lo = sent.saturating_sub(start).saturating_sub(SLACK);
                let hi = first.saturating_sub(start).saturating_add(SLACK);
                pairs.push((lo, hi, k, j));
            }
        }
        with_candidates += usize::from(pairs.len() > before || too_many);
    }
    let mut out = PageJoin {
        browser_requests: reqs.len(),
        server_requests: server.requests.len(),
        with_candidates,
        matched_by_id: 0,
        offset: None,
        refused: None,
        requests: Vec::new(),
        page_loads: Vec::new(),
    };
    if reqs.is_empty() {
        out.refused = Some(Refusal::NoTimedRequests);
        return out;
    }
    if too_many {
        out.refused = Some(Refusal::TooManyPairs { cap: max_pairs });
        return out;
    }
    // Ids first: a browser request whose headers carry an id that a server request's fields
    // carry too was served by it (by the earliest-started one with that id: the first hop).
    let mut taken = vec![false; server.requests.len()];
    let mut matched: Vec<(usize, usize)> = Vec::new();
    let mut first_with: HashMap<&str, usize> = HashMap::new();
    for (j, s) in server.requests.iter().enumerate() {
        for id in s.ids.iter() {
            let e = first_with.entry(id.as_str()).or_insert(j);
            if s.start < server.requests[*e].start {
                *e = j;
            }
        }
    }
    let mut by_id = vec![false; reqs.len()];
    for (k, &(i, ..)) in reqs.iter().enumerate() {
        let hit = browser.network[i]
            .ids
            .iter()
            .filter_map(|id| first_with.get(id.as_str()).copied())
            .find(|&j| !taken[j]);
        if let Some(j) = hit {
            taken[j] = true;
            matched.push((k, j));
            by_id[k] = true;
        }
    }
    out.matched_by_id = matched.len();
    // A pair's own offset: its handler's end at the browser's last byte (a server span ends
    // when the response has been written).
    let own_offset = |k: usize, j: usize| {
        reqs[k]
            .3
            .saturating_sub(server.requests[j].end.saturating_add(s0))
    };
    let (low, high, d) = if matched.is_empty() {
        let Some((low, high)) = best_offset(&pairs) else {
            out.refused = Some(Refusal::NoCommonEndpoint);
            return out;
        };
        // Matching happens at the middle of the range; the estimate is refined below.
        (low, high, low.saturating_add(high.saturating_sub(low) / 2))
    } else {
        // The offsets the id pairs allow (or, when they allow none together, their own
        // offsets' range); time matching of the rest at their median.
        let mut own: Vec<Ns> = matched.iter().map(|&(k, j)| own_offset(k, j)).collect();
        own.sort_unstable();
        let (mut low, mut high) = (Ns::MIN, Ns::MAX);
        for &(k, j) in &matched {
            let start = server.requests[j].start.saturating_add(s0);
            low = low.max(reqs[k].1.saturating_sub(start).saturating_sub(SLACK));
            high = high.min(reqs[k].2.saturating_sub(start).saturating_add(SLACK));
        }
        if low > high {
            (low, high) = (own[0], own[own.len() - 1]);
        }
        let d = super::stats::percentile(&own, 50.0).clamp(low, high);
        (low, high, d)
    };
    let mut offset = Offset {
        estimate: d,
        low,
        high,
        pair_spread: 0,
    };
    // The rest one to one at `d`: earliest sent first, each the earliest-started server request
    // that fits.
    let mut order: Vec<usize> = (0..reqs.len()).filter(|&k| !by_id[k]).collect();
    order.sort_by_key(|&k| (reqs[k].1, k));
    for k in order {
        let best = pairs
            .iter()
            .filter(|p| p.2 == k && !taken[p.3] && p.0 <= d && d <= p.1)
            .min_by_key(|p| (server.requests[p.3].start, p.3));
        if let Some(p) = best {
            taken[p.3] = true;
            matched.push((k, p.3));
        }
    }
    // Ids tie the files to one run; without, enough pairs must fit one offset.
    if out.matched_by_id == 0 && (matched.len() < 2 || 2 * matched.len() < with_candidates) {
        out.offset = Some(offset);
        out.refused = Some(Refusal::TooFewFit {
            fit: matched.len(),
            of: with_candidates,
        });
        return out;
    }
    // The estimate is the median of every matched pair's own offset, kept in the range; their
    // spread says how well the pairs agree.
    let mut own: Vec<Ns> = matched.iter().map(|&(k, j)| own_offset(k, j)).collect();
    own.sort_unstable();
    offset.estimate = super::stats::percentile(&own, 50.0).clamp(low, high);
    offset.pair_spread = own
        .last()
        .copied()
        .unwrap_or(0)
        .saturating_sub(own.first().copied().unwrap_or(0));
    out.offset = Some(offset);
    if out.matched_by_id == 0 && offset.pair_spread > MAX_SPREAD {
        out.refused = Some(Refusal::Spread(offset.pair_spread));
        return out;
    }
    let d = offset.estimate;
    for (k, j) in matched {
        let (i, sent, first, _) = reqs[k];
        let n = &browser.network[i];
        let s = &server.requests[j];
        let start = s.start.saturating_add(s0).saturating_add(d);
        let end = s.end.saturating_add(s0).saturating_add(d);
        // first >= sent (kept so above): every clamp below has its bounds in order.
        let wait = first.saturating_sub(sent);
        let queued = start.saturating_sub(sent).clamp(0, wait);
        let handler = end
            .min(first)
            .saturating_sub(start.max(sent))
            .clamp(0, wait - queued);
        // The request's time on the server, in the server's own clock: from when it was sent
        // (at the offset) to when its handler ended.
        let on_server = (
            sent.saturating_sub(d)
                .saturating_sub(s0)
                .saturating_sub(SLACK),
            s.end,
        );
        out.requests.push(JoinedRequest {
            browser: i,
            server: j,
            url: n.url.clone(),
            endpoint: s.endpoint.to_string(),
            is_document: n.is_document,
            browser_wait: wait,
            queued,
            handler,
            network: wait - queued - handler,
            culprits: culprits(server.stalls, j, on_server),
            by_id: by_id[k],
        });
    }
    out.requests.sort_by_key(|r| r.browser);
    out.page_loads = page_loads(browser, &out.requests);
    out
}

/// The range of offsets inside the most pair intervals (the first such range), by a sweep.
fn best_offset(pairs: &[(Ns, Ns, usize, usize)]) -> Option<(Ns, Ns)> {
    // Opens before closes at one point: intervals are closed.
    let mut ends: Vec<(Ns, i32)> = pairs.iter().flat_map(|p| [(p.0, -1), (p.1, 1)]).collect();
    ends.sort_unstable();
    let (mut depth, mut best) = (0i32, 0i32);
    let mut range = None;
    for (k, &(at, kind)) in ends.iter().enumerate() {
        if kind == -1 {
            depth += 1;
            if depth > best {
                best = depth;
                // The range runs to the next end (a close, as depth just peaked).
                let next = ends.get(k + 1).map_or(at, |e| e.0);
                range = Some((at, next));
            }
        } else {
            depth -= 1;
        }
    }
    range
}

/// Stalls of other requests overlapping `window` (server clock), per culprit endpoint.
fn culprits(stalls: &[Stall], own: usize, window: (Ns, Ns)) -> Vec<Culprit> {
    let mut out: Vec<Culprit> = Vec::new();
    for st in stalls {
        if st.request == Some(own) {
            continue;
        }
        let overlap = st.end.min(window.1).saturating_sub(st.start.max(window.0));
        if overlap <= 0 {
            continue;
        }
        match out.iter_mut().find(|c| c.endpoint == st.culprit) {
            Some(c) => {
                c.stalls += 1;
                c.overlap = c.overlap.saturating_add(overlap);
                c.longest = c.longest.max(st.duration());
            }
            None => out.push(Culprit {
                endpoint: st.culprit.clone(),
                stalls: 1,
                overlap,
                longest: st.duration(),
            }),
        }
    }
    out.sort_by(|a, b| b.overlap.cmp(&a.overlap).then(a.endpoint.cmp(&b.endpoint)));
    out
}

/// Each main-frame navigation with its key request: the LCP image's when matched, else the
/// longest-waiting matched request between this navigation and the next.
fn page_loads(browser: &BrowserSide<'_>, requests: &[JoinedRequest]) -> Vec<PageLoad> {
    let navs = browser.navigations;
    navs.iter()
        .map(|nav| {
            // Until the next navigation to start (the list need not be in time order).
            let next = navs
                .iter()
                .map(|n| n.start)
                .filter(|s| *s > nav.start)
                .min()
                .unwrap_or(Ns::MAX);
            let in_load = |r: &&JoinedRequest| {
                let st = browser.network[r.browser].start;
                st >= nav.start && st < next
            };
            let lcp_req = nav
                .lcp_image_url
                .as_ref()
                .and_then(|u| requests.iter().position(|r| &r.url == u && in_load(&r)));
            let key = lcp_req.or_else(|| {
                requests
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| in_load(r))
                    .max_by_key(|(i, r)| (r.browser_wait, std::cmp::Reverse(*i)))
                    .map(|(i, _)| i)
            });
            PageLoad {
                url: nav.url.clone(),
                lcp: nav.lcp,
                phases: nav.phases,
                requests: requests
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| in_load(r))
                    .map(|(i, _)| i)
                    .collect(),
                key,
                key_is_lcp: lcp_req.is_some(),
                dom_content_loaded: nav.dom_content_loaded,
                load: nav.load,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::stalls::StallSource;

    const MS: Ns = 1_000_000;

    fn net(url: &str, sent: Ns, first: Ns, last: Ns) -> NetworkRequest {
        NetworkRequest {
            url: url.to_string(),
            method: "GET".to_string(),
            start: sent,
            end: last,
            sent: Some(sent),
            first_byte: Some(first),
            finish_time: Some(last),
            server_wait: Some(first - sent),
            ..NetworkRequest::default()
        }
    }

    fn req(endpoint: &str, start: Ns, end: Ns) -> Request {
        Request::awaiting(endpoint, start, end)
    }

    fn stall(culprit: &str, request: Option<usize>, start: Ns, end: Ns) -> Stall {
        Stall {
            source: StallSource::EventLoopPoll,
            thread: None,
            start,
            end,
            request,
            culprit: culprit.to_string(),
            delayed: 0,
        }
    }

    #[test]
    fn fields() {
        assert_eq!(
            id_of_field("request_id", "42").as_deref(),
            Some("request:42")
        );
        assert_eq!(
            id_of_field("trace_id", "0AF7651916CD43DD8448EB211C80319C").as_deref(),
            Some("trace:0af7651916cd43dd8448eb211c80319c")
        );
        assert_eq!(id_of_field("trace_id", "12"), None);
        assert_eq!(id_of_field("route", "/x"), None);
        for k in FIELD_KEYS {
            assert!(
                id_of_field(k, "0af7651916cd43dd8448eb211c80319c").is_some(),
                "{k}"
            );
        }
    }
    /// Two requests to one endpoint in flight together: by time, the first sent would take the
    /// first started server request; their `x-request-id`s say the opposite, and win.
    #[test]
    fn ids_match_before_time() {
        let mut a = net("http://h/x/", 0, 100 * MS, 101 * MS);
        a.ids = vec!["request:2".to_string()];
        let mut b = net("http://h/x/", MS, 60 * MS, 61 * MS);
        b.ids = vec!["request:1".to_string()];
        let network = [a, b];
        let mut r1 = req("GET /x/", 2 * MS, 59 * MS);
        r1.ids = Box::new(["request:1".to_string()]);
        let mut r2 = req("GET /x/", 3 * MS, 99 * MS);
        r2.ids = Box::new(["request:2".to_string()]);
        let requests = [r1, r2];
        let j = join(
            &BrowserSide {
                network: &network,
                navigations: &[],
                origin: None,
            },
            &ServerSide {
                requests: &requests,
                stalls: &[],
                origin: None,
            },
        );
        assert_eq!(j.refused, None);
        assert_eq!(j.matched_by_id, 2);
        let pairs: Vec<(usize, usize, bool)> = j
            .requests
            .iter()
            .map(|r| (r.browser, r.server, r.by_id))
            .collect();
        assert_eq!(pairs, [(0, 1, true), (1, 0, true)]);
        // Own offsets: a 101 - 99 = 2 ms, b 61 - 59 = 2 ms.
        assert_eq!(
            j.offset.map(|o| (o.estimate, o.pair_spread)),
            Some((2 * MS, 0))
        );
        // Without the ids, time alone pairs them the other way.
        let plain = [
            net("http://h/x/", 0, 100 * MS, 101 * MS),
            net("http://h/x/", MS, 60 * MS, 61 * MS),
        ];
        let requests = [
            req("GET /x/", 2 * MS, 59 * MS),
            req("GET /x/", 3 * MS, 99 * MS),
        ];
        let j = join(
            &BrowserSide {
                network: &plain,
                navigations: &[],
                origin: None,
            },
            &ServerSide {
                requests: &requests,
                stalls: &[],
                origin: None,
            },
        );
        let pairs: Vec<(usize, usize)> = j.requests.iter().map(|r| (r.browser, r.server)).collect();
        assert_eq!(pairs, [(0, 0), (1, 1)]);
    }

    #[test]
    fn paths_fit_routes() {
        assert!(fits("GET", "/orders/5/", "GET /orders/<int:id>/"));
        assert!(fits("GET", "/orders/5/", "GET /orders/{id}/"));
        assert!(fits("", "/", "GET /"));
        assert!(!fits("POST", "/", "GET /"));
        assert!(!fits("GET", "/orders/5/x", "GET /orders/{id}/"));
        assert_eq!(url_path("http://h:1/a/b/?as=png#x"), "/a/b/");
        assert_eq!(url_path("http://h:1"), "/");
    }

    /// The server clock runs 5 s behind the browser's (browser = server + 5 s). The document
    /// was sent at 100 ms and handled at server 4.9 s + 100.2..110 ms; the image sent at 200 ms
    /// queued 300 ms behind two stalls of `/report/` and was handled 500..580 ms.
    ///
    /// ```text
    /// browser  doc  100 |-wait 10.8-| 110.8/111      img 200 |------------ wait 382 -------| 582/590
    /// server(+5s)        100.2 |=====| 110             stalls 210-350 (/report/), 360-480 (/report/)
    ///                                                       handler 500 |=====| 580
    /// ```
    #[test]
    fn offset_split_and_culprits() {
        let off = 5_000 * MS;
        let network = [
            net("http://h/", 100 * MS, 110_800_000, 111 * MS),
            net("http://h/inventory/?as=png", 200 * MS, 582 * MS, 590 * MS),
            // Not on the server at all: counted, not matched.
            net("http://cdn/lib.js", 120 * MS, 130 * MS, 131 * MS),
        ];
        let requests = [
            req("GET /", 100_200_000 - off, 110 * MS - off),
            req("GET /report/", 205 * MS - off, 355 * MS - off),
            req("GET /inventory/", 500 * MS - off, 580 * MS - off),
        ];
        let stalls = [
            stall("GET /report/", Some(1), 210 * MS - off, 350 * MS - off),
            stall("GET /report/", Some(1), 360 * MS - off, 480 * MS - off),
        ];
        let b = BrowserSide {
            network: &network,
            navigations: &[],
            origin: None,
        };
        let s = ServerSide {
            requests: &requests,
            stalls: &stalls,
            origin: None,
        };
        let j = join(&b, &s);
        assert_eq!(j.refused, None);
        let o = j.offset.expect("offset");
        // Offsets that fit: doc [100 - 100.2, 110.8 - 100.2], image [200 - 500, 582 - 500], each
        // widened by 1 ms: both fit -1.2..11.6 ms. Own offsets (last byte - handler end): doc
        // 111 - 110 = 1 ms, image 590 - 580 = 10 ms; the median (lower middle) is 1 ms.
        assert_eq!((o.low - off, o.high - off), (-1_200_000, 11_600_000));
        assert_eq!((o.estimate - off, o.pair_spread), (MS, 9 * MS));
        assert_eq!(
            (
                j.requests.len(),
                j.browser_unmatched(),
                j.server_unmatched()
            ),
            (2, 1, 1)
        );
        let img = &j.requests[1];
        assert_eq!(img.endpoint, "GET /inventory/");
        assert_eq!(img.browser_wait, 382 * MS);
        // At the estimate the handler runs 501..581 ms: queued 301, handler 80, the rest 1 ms.
        assert_eq!(
            (img.queued, img.handler, img.network),
            (301 * MS, 80 * MS, MS)
        );
        assert_eq!(
            img.culprits,
            [Culprit {
                endpoint: "GET /report/".to_string(),
                stalls: 2,
                overlap: 260 * MS,
                longest: 140 * MS,
            }]
        );
        // The document ran before any stall.
        assert!(j.requests[0].culprits.is_empty());
    }

    /// The pair cap, at 8 and at 13 candidate pairs. Each browser request is answered by the
    /// server 1..9 ms after it was sent (10 ms wait, last byte at 11 ms), one server request
    /// of `/a/` (at 401 ms) answers none of them, and `/c/` is not on the server:
    ///
    /// ```text
    /// browser  a1 0      a2 100    a3 200    b 300     c 350
    /// server   /a/ 1..9  /a/ 101.. /a/ 201.. /b/ 301.. (none)   /a/ 401..409
    /// pairs    4         4 (8)     4 (12)    1 (13)
    /// ```
    ///
    /// At a cap of 13 every pair is considered and the four are joined. At 8, `a3`'s four
    /// would make 12: the join is refused, no offset and no pair guessed, and the requests
    /// with a candidate are still counted (a1, a2, a3 and b: 4 of 5).
    #[test]
    fn pair_cap() {
        let network = [
            net("http://h/a/", 0, 10 * MS, 11 * MS),
            net("http://h/a/", 100 * MS, 110 * MS, 111 * MS),
            net("http://h/a/", 200 * MS, 210 * MS, 211 * MS),
            net("http://h/b/", 300 * MS, 310 * MS, 311 * MS),
            net("http://h/c/", 350 * MS, 360 * MS, 361 * MS),
        ];
        let requests = [
            req("GET /a/", MS, 9 * MS),
            req("GET /a/", 101 * MS, 109 * MS),
            req("GET /a/", 201 * MS, 209 * MS),
            req("GET /b/", 301 * MS, 309 * MS),
            req("GET /a/", 401 * MS, 409 * MS),
        ];
        let b = BrowserSide {
            network: &network,
            navigations: &[],
            origin: None,
        };
        let s = ServerSide {
            requests: &requests,
            stalls: &[],
            origin: None,
        };
        let all = join_capped(&b, &s, 13);
        assert_eq!(all.refused, None);
        let pairs: Vec<(usize, usize)> =
            all.requests.iter().map(|r| (r.browser, r.server)).collect();
        assert_eq!(pairs, [(0, 0), (1, 1), (2, 2), (3, 3)]);
        // Own offsets: last byte - handler end = 2 ms for each.
        assert_eq!(
            all.offset.map(|o| (o.estimate, o.pair_spread)),
            Some((2 * MS, 0))
        );
        assert_eq!((all.browser_unmatched(), all.server_unmatched()), (1, 1));

        let capped = join_capped(&b, &s, 8);
        assert_eq!(capped.refused, Some(Refusal::TooManyPairs { cap: 8 }));
        assert_eq!(
            (
                capped.browser_requests,
                capped.server_requests,
                capped.with_candidates
            ),
            (5, 5, 4)
        );
        assert!(capped.offset.is_none());
        assert!(capped.requests.is_empty() && capped.page_loads.is_empty());
        assert_eq!(capped.matched_by_id, 0);
        // The real cap is far above these few pairs.
        assert_eq!(join(&b, &s).refused, None);
    }

    /// Files of different runs: every pair wants another offset, or none fits at all.
    #[test]
    fn refusals() {
        let network = [
            net("http://h/a/", 0, 10 * MS, 11 * MS),
            net("http://h/b/", 1_000 * MS, 1_010 * MS, 1_011 * MS),
        ];
        // /b/ handled 10 s "before" /a/ in server time: no offset fits both.
        let requests = [
            req("GET /a/", 10_000 * MS, 10_005 * MS),
            req("GET /b/", 0, 5 * MS),
        ];
        let b = BrowserSide {
            network: &network,
            navigations: &[],
            origin: None,
        };
        let s = ServerSide {
            requests: &requests,
            stalls: &[],
            origin: None,
        };
        let j = join(&b, &s);
        assert_eq!(j.refused, Some(Refusal::TooFewFit { fit: 1, of: 2 }));
        assert!(j.requests.is_empty());
        let other = [req("GET /c/", 0, 5 * MS)];
        let s = ServerSide {
            requests: &other,
            stalls: &[],
            origin: None,
        };
        assert_eq!(join(&b, &s).refused, Some(Refusal::NoCommonEndpoint));
        // Both fit one offset range, but their own offsets (last byte - handler end) are 2.98 s
        // apart: one handler ended 10 ms after it began, the other 2.99 s.
        let network = [
            net("http://h/a/", 0, 3_000 * MS, 3_001 * MS),
            net("http://h/b/", 0, 3_000 * MS, 3_001 * MS),
        ];
        let requests = [req("GET /a/", 0, 10 * MS), req("GET /b/", 0, 2_990 * MS)];
        let b = BrowserSide {
            network: &network,
            navigations: &[],
            origin: None,
        };
        let s = ServerSide {
            requests: &requests,
            stalls: &[],
            origin: None,
        };
        assert_eq!(join(&b, &s).refused, Some(Refusal::Spread(2_980 * MS)));
    }
}
