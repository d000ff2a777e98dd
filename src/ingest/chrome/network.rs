//! Network requests from DevTools' `Resource*` instant events, computed the way DevTools'
//! NetworkRequestsHandler does.
//!
//! Units are the trap here: `ts` is µs on the trace clock, `timing.requestTime` is **seconds** on
//! the same clock, every other `timing` field is **ms after `requestTime`** (-1: did not happen),
//! and `ResourceFinish.finishTime` is seconds again.
//!
//! ```text
//! requestTime        sendEnd                receiveHeadersStart (else ...End)
//!      |---------------|------ server wait ------|
//!      0 ms            1.395 ms                  2004.289 ms   -> wait 2002.894 ms
//! ```

use super::args::{Data, Timing};
use super::event::us_to_ns;
use crate::model::{NetworkRequest, Ns};
use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;

/// The request events that matter, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResourceEvent {
    WillSend,
    Send,
    Response,
    Finish,
    MarkAsCached,
}

impl ResourceEvent {
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "ResourceWillSendRequest" => ResourceEvent::WillSend,
            "ResourceSendRequest" => ResourceEvent::Send,
            "ResourceReceiveResponse" => ResourceEvent::Response,
            "ResourceFinish" => ResourceEvent::Finish,
            "ResourceMarkAsCached" => ResourceEvent::MarkAsCached,
            _ => return None,
        })
    }
}

/// A request being assembled from its events, which can come in any order.
#[derive(Debug, Default)]
struct Pending {
    url: String,
    method: String,
    status: Option<u16>,
    mime: Option<String>,
    first_will_send: Option<Ns>,
    first_send: Option<Ns>,
    last_send: Option<Ns>,
    sends: u32,
    finish: Option<Ns>,
    finish_time: Option<Ns>,
    timing: Option<Timing>,
    cached: bool,
    server_timing: Vec<(String, Ns)>,
    ids: Vec<String>,
    /// First-seen order, for a stable output.
    order: usize,
}

/// Requests by DevTools request id.
#[derive(Debug, Default)]
pub(super) struct Requests {
    by_id: HashMap<String, Pending>,
}

fn min_opt(a: Option<Ns>, t: Ns) -> Option<Ns> {
    Some(a.map_or(t, |a| a.min(t)))
}

impl Requests {
    pub fn event(&mut self, kind: ResourceEvent, t: Ns, d: Data<'_>) {
        let Some(id) = d.request_id.0 else {
            return;
        };
        let next = self.by_id.len();
        let r = self
            .by_id
            .entry(id.into_owned())
            .or_insert_with(|| Pending {
                order: next,
                ..Pending::default()
            });
        match kind {
            ResourceEvent::WillSend => r.first_will_send = min_opt(r.first_will_send, t),
            ResourceEvent::Send => {
                // One per redirect hop; the URL and method of the latest hop win.
                let latest = r.last_send.is_none_or(|l| t >= l);
                r.first_send = min_opt(r.first_send, t);
                r.sends += 1;
                if latest {
                    r.last_send = Some(t);
                    if let Some(u) = d.url.0 {
                        r.url = u.into_owned();
                    }
                    if let Some(m) = d.request_method.0 {
                        r.method = m.into_owned();
                    }
                }
            }
            ResourceEvent::Response => {
                r.status = d
                    .status_code
                    .0
                    .filter(|s| (0.0..=f64::from(u16::MAX)).contains(s))
                    .map(|s| s as u16);
                r.mime = d.mime_type.0.map(Cow::into_owned);
                if d.timing.is_some() {
                    r.timing = d.timing;
                }
                for (k, v) in &d.headers.0 {
                    if k.eq_ignore_ascii_case("server-timing") {
                        r.server_timing.extend(parse_server_timing(v));
                    }
                    crate::ingest::http_ids::from_header(k, v, &mut r.ids);
                }
            }
            ResourceEvent::Finish => {
                r.finish = Some(t);
                r.finish_time = d
                    .finish_time
                    .0
                    .filter(|f| *f > 0.0)
                    .and_then(|s| us_to_ns(s * 1e6));
            }
            // Served from the memory cache: the timing block is stale (DevTools drops it).
            ResourceEvent::MarkAsCached => r.cached = true,
        }
    }

    /// The finished requests, in first-seen order. `documents` are the ids of main-frame
    /// navigations: a document request's id is its navigation's id.
    pub fn finish(self, documents: &[&str]) -> Vec<NetworkRequest> {
        let mut reqs: Vec<(String, Pending)> = self.by_id.into_iter().collect();
        reqs.sort_by_key(|(_, r)| r.order);
        let mut out = Vec::with_capacity(reqs.len());
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
            let timing = r.timing.filter(|_| !r.cached).and_then(resolve);
            out.push(NetworkRequest {
                is_document: documents.contains(&id.as_str()),
                request_id: id,
                url: r.url,
                method: r.method,
                status: r.status,
                mime_type: r.mime,
                start,
                end: r.finish.unwrap_or(start).max(start),
                server_wait: timing.map(|t| t.wait),
                sent: timing.map(|t| t.sent),
                first_byte: timing.map(|t| t.first_byte),
                finish_time: r.finish_time,
                redirects: r.sends.saturating_sub(1),
                server_timing: r.server_timing,
                ids: r.ids,
            });
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Resolved {
    wait: Ns,
    sent: Ns,
    first_byte: Ns,
}

/// DevTools' server-response wait and the two instants around it, or `None` when the timing is
/// unusable (`requestTime` or `receiveHeadersEnd` of -1, as Lighthouse treats them).
fn resolve(t: Timing) -> Option<Resolved> {
    let request_time = t.request_time.0.filter(|v| *v >= 0.0)?;
    let headers_end = t.receive_headers_end.0.filter(|v| *v >= 0.0)?;
    let send_end = t.send_end.0.unwrap_or(-1.0);
    let headers = t
        .receive_headers_start
        .0
        .filter(|v| *v >= 0.0)
        .unwrap_or(headers_end);
    let base_us = request_time * 1e6;
    Some(Resolved {
        wait: us_to_ns((headers - send_end) * 1e3)?,
        sent: us_to_ns(base_us + send_end * 1e3)?,
        first_byte: us_to_ns(base_us + headers * 1e3)?,
    })
}

/// `db;dur=53.2, app;desc="a, b";dur=47, cache;desc=hit` -> [("db", 53.2 ms), ("app", 47 ms)];
/// entries without a duration are left out. Commas and semicolons inside quotes are text.
pub(crate) fn parse_server_timing(v: &str) -> Vec<(String, Ns)> {
    split_unquoted(v, ',')
        .into_iter()
        .filter_map(|entry| {
            let mut parts = split_unquoted(entry, ';').into_iter().map(str::trim);
            let name = parts.next().filter(|n| !n.is_empty())?;
            let dur = parts.find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("dur")
                    .then(|| v.trim().trim_matches('"').parse::<f64>().ok())
                    .flatten()
            })?;
            Some((name.to_string(), us_to_ns(dur * 1e3)?))
        })
        .collect()
}

pub(crate) fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::chrome::event::LooseNum;

    fn timing(rt: f64, send_end: f64, hs: Option<f64>, he: f64) -> Timing {
        Timing {
            request_time: LooseNum(Some(rt)),
            send_end: LooseNum(Some(send_end)),
            receive_headers_start: LooseNum(hs),
            receive_headers_end: LooseNum(Some(he)),
        }
    }

    /// The worked example of `bad-document-request-latency.json.gz`: requestTime in seconds,
    /// the rest in ms after it.
    #[test]
    fn devtools_formula_and_units() {
        let r = resolve(timing(52122.403283, 1.395, Some(2004.289), 2004.335)).expect("timing");
        assert_eq!(r.wait, 2_002_894_000);
        assert_eq!(r.sent, 52_122_404_678_000);
        assert_eq!(r.first_byte, 52_124_407_572_000);
        // No receiveHeadersStart (older traces): receiveHeadersEnd.
        let r = resolve(timing(10.0, 1.0, None, 576.2)).expect("timing");
        assert_eq!(r.wait, 575_200_000);
        // -1 means absent: no usable timing.
        assert!(resolve(timing(-1.0, 1.0, None, 5.0)).is_none());
        assert!(resolve(timing(10.0, 1.0, None, -1.0)).is_none());
        assert!(resolve(timing(10.0, 1.0, Some(-1.0), 5.0)).is_some());
    }

    #[test]
    fn server_timing_header() {
        assert_eq!(
            parse_server_timing(r#"db;dur=53.2, app;desc="a, b; c";dur=47, cache;desc=hit"#),
            vec![
                ("db".to_string(), 53_200_000),
                ("app".to_string(), 47_000_000)
            ]
        );
        assert_eq!(
            parse_server_timing("total;DUR=\"1.5\""),
            vec![("total".to_string(), 1_500_000)]
        );
        assert!(parse_server_timing("").is_empty());
        assert!(parse_server_timing(";dur=4").is_empty());
    }
}
