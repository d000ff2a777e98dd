//! HAR 1.2: what a browser's network panel exports ("Save all as HAR" in Chrome and Firefox,
//! Playwright's `recordHar`, browsertime). One JSON document, `{"log": {"pages": [...],
//! "entries": [...]}}`; each entry is one request, and becomes one [`NetworkRequest`] of the
//! model, so the browser detectors judge it exactly as a request of a DevTools trace.
//!
//! An entry's times: `startedDateTime` is an ISO 8601 date with its time zone; `time` and every
//! `timings` phase are ms, and -1 (or a missing field) means the phase did not apply. `ssl` is
//! part of `connect` (HAR 1.2), so it is not added again:
//!
//! ```text
//! startedDateTime
//!   |-blocked-|-dns-|-connect-|-send-|------- wait -------|-- receive --|
//!                                    ^ sent               ^ first byte  ^ last byte
//!   |<------------------------------- time ------------------------------>|
//! ```
//!
//! The server wait is `timings.wait` (the browser's time to first byte after sending: server
//! processing plus one round trip). Redirect hops are separate entries. Ids in the request's or
//! the response's headers (`traceparent`, `x-request-id`, ...) are kept (`ingest::http_ids`). An entry served from a
//! cache (Chrome's `_fromCache`) has no server wait.
//!
//! Pages (`log.pages`) become navigations: each page's main document is its earliest entry whose
//! `_resourceType` is `document` (or, without that Chrome extra, whose response is HTML), not
//! counting redirect hops. A HAR has no paint records, so its navigations carry no LCP.
//!
//! The document is read in one pass over the bytes; entries are kept as raw JSON and decoded one
//! by one, so one malformed entry is skipped with a warning, and a file cut off in the middle of
//! `entries` gives the entries before the cut (with a warning).

use super::InputStats;
use super::chrome::parse_server_timing;
use super::otel::value::Text;
use super::tracing::{Timestamp, parse_timestamp};
use crate::error::{Error, Result};
use crate::model::{Navigation, NetworkRequest, Ns, TraceBuilder};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;

/// What the top of the document holds, filled as it is read (so that a cut-off document keeps
/// what came before the cut).
#[derive(Default)]
struct Doc<'a> {
    saw_log: bool,
    pages: Vec<&'a RawValue>,
    /// `None` until the `entries` key is seen.
    entries: Option<Vec<&'a RawValue>>,
}

/// The document root: an object with a `log`.
struct Root<'s, 'a>(&'s mut Doc<'a>);
/// `log`: its `pages` and `entries`; the rest (`version`, `creator`, `browser`) is skipped.
struct Log<'s, 'a>(&'s mut Doc<'a>);
/// An array of raw JSON values, each pushed as soon as it is read.
struct RawList<'s, 'a>(&'s mut Vec<&'a RawValue>);

impl<'de> DeserializeSeed<'de> for Root<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a HAR document (an object with a `log`)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = a.next_key::<Text<'de>>()? {
            if key.0 == "log" {
                self.0.saw_log = true;
                a.next_value_seed(Log(&mut *self.0))?;
            } else {
                a.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Log<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Log<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the HAR `log` object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = a.next_key::<Text<'de>>()? {
            match &*key.0 {
                "entries" => {
                    let entries = self.0.entries.insert(Vec::new());
                    a.next_value_seed(RawList(entries))?;
                }
                "pages" => a.next_value_seed(RawList(&mut self.0.pages))?,
                _ => {
                    a.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for RawList<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RawList<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> std::result::Result<(), A::Error> {
        while let Some(v) = a.next_element::<&'de RawValue>()? {
            self.0.push(v);
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
    #[serde(rename = "startedDateTime", borrow, default)]
    started: Option<Text<'a>>,
    #[serde(borrow, default)]
    title: Option<Text<'a>>,
    #[serde(rename = "pageTimings", borrow, default)]
    timings: Option<PageTimings<'a>>,
}

/// `pageTimings`: ms after the page's `startedDateTime`; -1 or absent: not known. Kept raw so
/// that a value of another type costs that value, not the page.
#[derive(Deserialize)]
struct PageTimings<'a> {
    #[serde(rename = "onContentLoad", borrow, default)]
    on_content_load: Option<&'a RawValue>,
    #[serde(rename = "onLoad", borrow, default)]
    on_load: Option<&'a RawValue>,
}

/// A page timing that is known: a number of ms, not negative.
fn page_timing(v: Option<&RawValue>) -> Option<Ns> {
    applied(v.and_then(|v| v.get().trim().parse::<f64>().ok())).and_then(ms_to_ns)
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "startedDateTime", borrow, default)]
    started: Option<Text<'a>>,
    #[serde(default)]
    time: Option<f64>,
    #[serde(borrow, default)]
    request: Option<Request<'a>>,
    #[serde(borrow, default)]
    response: Option<Response<'a>>,
    #[serde(default)]
    timings: Option<Timings>,
    #[serde(borrow, default)]
    pageref: Option<Text<'a>>,
    /// Chrome's extras.
    #[serde(rename = "_resourceType", borrow, default)]
    resource_type: Option<Text<'a>>,
    #[serde(rename = "_fromCache", default)]
    from_cache: Option<IgnoredAny>,
    #[serde(rename = "_requestId", borrow, default)]
    request_id: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow, default)]
    method: Option<Text<'a>>,
    #[serde(borrow, default)]
    url: Option<Text<'a>>,
    #[serde(borrow, default)]
    headers: Option<Vec<Header<'a>>>,
}

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(default)]
    status: Option<f64>,
    #[serde(borrow, default)]
    headers: Option<Vec<Header<'a>>>,
    #[serde(borrow, default)]
    content: Option<Content<'a>>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    value: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(rename = "mimeType", borrow, default)]
    mime_type: Option<Text<'a>>,
}

/// The phases, ms; -1 or absent: did not apply.
#[derive(Deserialize, Default, Clone, Copy)]
struct Timings {
    #[serde(default)]
    blocked: Option<f64>,
    #[serde(default)]
    dns: Option<f64>,
    #[serde(default)]
    connect: Option<f64>,
    #[serde(default)]
    send: Option<f64>,
    #[serde(default)]
    wait: Option<f64>,
    #[serde(default)]
    receive: Option<f64>,
}

/// A phase that applied: a finite number of ms, not negative.
fn applied(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite() && *v >= 0.0)
}

/// ms as ns, when it fits (a HAR's phases are far below the limit; garbage is not).
fn ms_to_ns(ms: f64) -> Option<Ns> {
    let ns = ms * 1e6;
    (ns.is_finite() && ns.abs() < 9.0e18).then(|| ns.round() as Ns)
}

/// `startedDateTime` as ns since the Unix epoch: a date, a time and a zone (`Z` or an offset).
fn started_at(s: &str) -> Option<Ns> {
    match parse_timestamp(s)? {
        Timestamp::Unix(ns) => Some(ns),
        _ => None,
    }
}

/// What reading `entries` left to say at the end.
#[derive(Default)]
struct Counts {
    no_wait: usize,
    time_differs: usize,
    first_time_differs: Option<(usize, f64, f64)>,
}

/// The byte offset of a serde_json error's line and column in `text` (its end, for a text
/// that ended too soon).
fn error_offset(text: &[u8], e: &serde_json::Error) -> usize {
    if e.is_eof() {
        return text.len();
    }
    let line_start = if e.line() <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', text)
            .nth(e.line() - 2)
            .map_or(text.len(), |i| i + 1)
    };
    (line_start + e.column().saturating_sub(1)).min(text.len())
}

/// Reads a HAR from a stream (stdin, gzip): it is one JSON document, read whole first.
pub fn read_stream(
    name: &str,
    input: &mut dyn std::io::BufRead,
    b: &mut TraceBuilder<'_>,
    stats: &mut InputStats,
) -> Result<()> {
    let mut buf = Vec::new();
    input.read_to_end(&mut buf).map_err(|source| Error::Io {
        path: name.to_string(),
        source,
    })?;
    read(name, &buf, b, stats)
}

/// Reads a HAR document held in memory.
pub fn read(
    name: &str,
    bytes: &[u8],
    b: &mut TraceBuilder<'_>,
    stats: &mut InputStats,
) -> Result<()> {
    let mut doc = Doc::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = Root(&mut doc).deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = parsed {
        let offset = error_offset(bytes, &e) as u64;
        let read = doc.entries.as_ref().map_or(0, Vec::len);
        let what = if e.is_eof() { "cut off" } else { "malformed" };
        // The message without serde_json's own "at line .. column ..": the offset says where.
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        if read == 0 {
            return Err(Error::Byte {
                path: name.to_string(),
                offset,
                msg: format!(
                    "the HAR is {what} before its first entry ({msg}): expected a HAR 1.2 \
                     document, {{\"log\": {{\"entries\": [...]}}}}"
                ),
            });
        }
        stats.warn(format!(
            "the HAR is {what} at byte {offset} ({msg}); read the {read} whole entries before it"
        ));
    }
    if !doc.saw_log {
        return Err(Error::input(
            name,
            "not a HAR document: no `log` object (expected {\"log\": {\"entries\": [...]}})",
        ));
    }
    let raw_entries = doc.entries.take().unwrap_or_default();
    if raw_entries.is_empty() {
        return Err(Error::input(
            name,
            "the HAR has no entries: the browser recorded no requests (record with the \
             Network panel open from before the page load, then \"Save all as HAR\")",
        ));
    }
    let base = bytes.as_ptr() as usize;
    let at = |raw: &RawValue| raw.get().as_ptr() as usize - base;
    let mut requests: Vec<(NetworkRequest, Option<String>, bool)> = Vec::new();
    let mut counts = Counts::default();
    for (i, raw) in raw_entries.iter().enumerate() {
        let n = i + 1;
        let entry: Entry<'_> = match serde_json::from_str(raw.get()) {
            Ok(e) => e,
            Err(e) => {
                stats.skipped += 1;
                let off = at(raw) + error_offset(raw.get().as_bytes(), &e);
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg);
                stats.warn(format!("entry {n} (byte {off}): skipped: {msg}"));
                continue;
            }
        };
        let Some(start) = entry.started.as_ref().and_then(|s| started_at(&s.0)) else {
            stats.skipped += 1;
            let got = entry
                .started
                .as_ref()
                .map_or("none".to_string(), |s| format!("{:?}", s.0));
            stats.warn(format!(
                "entry {n} (byte {}): skipped: startedDateTime is {got}, expected an ISO 8601 \
                 date and time with its zone (2026-12-01T05:43:15.123Z)",
                at(raw)
            ));
            continue;
        };
        stats.events += 1;
        let (req, pageref, doc_like) = request(n, start, &entry, &mut counts);
        requests.push((req, pageref, doc_like));
    }
    if requests.is_empty() {
        return Err(Error::input(
            name,
            format!(
                "none of the HAR's {} entries could be read (see the first: {})",
                raw_entries.len(),
                stats.warnings.first().map_or("", String::as_str)
            ),
        ));
    }
    let pages: Vec<Page<'_>> = doc
        .pages
        .iter()
        .filter_map(|p| serde_json::from_str(p.get()).ok())
        .collect();
    let navigations = documents(&pages, &mut requests);
    if counts.no_wait == requests.len() {
        stats.warn(format!(
            "none of the {} entries has a server wait (timings.wait is -1 or missing in every \
             one): no server response can be judged from this file",
            requests.len()
        ));
    }
    if let Some((n, time, sum)) = counts.first_time_differs {
        stats.warn(format!(
            "`time` differs from the sum of the timings by more than 1 ms in {} of {} entries \
             (the first, entry {n}: time {time} ms, timings {sum} ms): a request ends at its \
             startedDateTime + time",
            counts.time_differs,
            requests.len()
        ));
    }
    // startedDateTime is wall-clock time: the trace's clock is Unix time.
    b.set_unix_offset(0);
    for (req, _, _) in requests {
        b.network(req);
    }
    for nav in navigations {
        b.saw_time(nav.start);
        b.browser_mut().navigations.push(nav);
    }
    Ok(())
}

/// One entry as the model's request: (request, its page, whether it looks like a document).
fn request(
    n: usize,
    start: Ns,
    e: &Entry<'_>,
    counts: &mut Counts,
) -> (NetworkRequest, Option<String>, bool) {
    let t = e.timings.unwrap_or_default();
    let before_send: f64 = [t.blocked, t.dns, t.connect, t.send]
        .into_iter()
        .filter_map(applied)
        .sum();
    let cached = e.from_cache.is_some();
    let wait = applied(t.wait).filter(|_| !cached);
    counts.no_wait += usize::from(wait.is_none());
    let sum = before_send + applied(t.wait).unwrap_or(0.0) + applied(t.receive).unwrap_or(0.0);
    let time = applied(e.time);
    if let Some(time) = time
        && (time - sum).abs() > 1.0
    {
        counts.time_differs += 1;
        counts.first_time_differs.get_or_insert((n, time, sum));
    }
    let at = |ms: f64| ms_to_ns(ms).map(|d| start.saturating_add(d));
    let sent = wait.and_then(|_| at(before_send));
    let first_byte = wait.and_then(|w| at(before_send + w));
    let finish_time = match (wait, applied(t.receive)) {
        (Some(w), Some(r)) => at(before_send + w + r),
        _ => None,
    };
    let end = at(time.unwrap_or(sum))
        .unwrap_or(start)
        .max(first_byte.unwrap_or(start));
    let response = e.response.as_ref();
    let server_timing = response
        .and_then(|r| r.headers.as_ref())
        .into_iter()
        .flatten()
        .filter(|h| {
            h.name
                .as_ref()
                .is_some_and(|k| k.0.eq_ignore_ascii_case("server-timing"))
        })
        .filter_map(|h| h.value.as_ref())
        .flat_map(|v| parse_server_timing(&v.0))
        .collect();
    let mime = response
        .and_then(|r| r.content.as_ref())
        .and_then(|c| c.mime_type.as_ref())
        .map(|m| {
            m.0.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|m| !m.is_empty());
    let status = response
        .and_then(|r| r.status)
        .filter(|s| *s >= 1.0 && *s <= f64::from(u16::MAX))
        .map(|s| s as u16);
    let redirect = status.is_some_and(|s| (300..400).contains(&s));
    let doc_like = !redirect
        && match &e.resource_type {
            Some(kind) => kind.0.eq_ignore_ascii_case("document"),
            None => mime
                .as_deref()
                .is_some_and(|m| m == "text/html" || m == "application/xhtml+xml"),
        };
    let mut ids = Vec::new();
    let request_headers = e.request.as_ref().and_then(|r| r.headers.as_ref());
    let response_headers = response.and_then(|r| r.headers.as_ref());
    for h in request_headers
        .into_iter()
        .chain(response_headers)
        .flatten()
    {
        if let (Some(k), Some(v)) = (&h.name, &h.value) {
            super::http_ids::from_header(&k.0, &v.0, &mut ids);
        }
    }
    let text = |t: &Option<Text<'_>>| t.as_ref().map_or(String::new(), |t| t.0.to_string());
    let req = NetworkRequest {
        request_id: e
            .request_id
            .as_ref()
            .map_or_else(|| format!("har-entry-{n}"), |id| id.0.to_string()),
        url: e.request.as_ref().map_or(String::new(), |r| text(&r.url)),
        method: e
            .request
            .as_ref()
            .map_or(String::new(), |r| text(&r.method)),
        status,
        mime_type: mime,
        start,
        end,
        server_wait: wait.and_then(ms_to_ns),
        sent,
        first_byte,
        finish_time,
        is_document: false,
        redirects: 0,
        server_timing,
        ids,
    };
    (req, e.pageref.as_ref().map(|p| p.0.to_string()), doc_like)
}

/// Marks each page's main document and returns the pages as navigations. Without pages, the
/// earliest document-like entry (if any) is the one page load.
fn documents(
    pages: &[Page<'_>],
    requests: &mut [(NetworkRequest, Option<String>, bool)],
) -> Vec<Navigation> {
    let earliest_doc = |requests: &[(NetworkRequest, Option<String>, bool)], page: Option<&str>| {
        requests
            .iter()
            .enumerate()
            .filter(|(_, (_, p, doc))| *doc && page.is_none_or(|id| p.as_deref() == Some(id)))
            .min_by_key(|(i, (r, _, _))| (r.start, *i))
            .map(|(i, _)| i)
    };
    let mut out = Vec::new();
    if pages.is_empty() {
        if let Some(i) = earliest_doc(requests, None) {
            let r = &mut requests[i].0;
            r.is_document = true;
            out.push(Navigation {
                id: r.request_id.clone(),
                url: r.url.clone(),
                start: r.start,
                main_frame: true,
                ..Navigation::default()
            });
        }
        return out;
    }
    for page in pages {
        let id = page.id.as_ref().map(|t| &*t.0);
        let Some(id) = id else { continue };
        let doc = earliest_doc(requests, Some(id));
        let started = page.started.as_ref().and_then(|s| started_at(&s.0));
        let (nav_id, url, doc_start) = match doc {
            Some(i) => {
                let r = &mut requests[i].0;
                r.is_document = true;
                (r.request_id.clone(), r.url.clone(), Some(r.start))
            }
            None => (
                id.to_string(),
                page.title
                    .as_ref()
                    .map_or(String::new(), |t| t.0.to_string()),
                None,
            ),
        };
        let Some(start) = started.or(doc_start) else {
            continue;
        };
        // The page timings count from the page's own start: without it they place nothing.
        let timings = page.timings.as_ref().filter(|_| started.is_some());
        out.push(Navigation {
            id: nav_id,
            url,
            start,
            main_frame: true,
            lcp: None,
            dom_content_loaded: timings.and_then(|t| page_timing(t.on_content_load)),
            load: timings.and_then(|t| page_timing(t.on_load)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Format;
    use crate::model::Trace;

    fn read_str(text: &str) -> Result<(Trace, InputStats)> {
        let mut stats = InputStats::new("t.har", Format::Har, false);
        let mut b = TraceBuilder::new();
        read("t.har", text.as_bytes(), &mut b, &mut stats)?;
        Ok((b.finish(), stats))
    }

    const MS: Ns = 1_000_000;

    /// One entry with every phase: sent after blocked + dns + connect + send (ssl inside
    /// connect), first byte after wait, last byte after receive.
    #[test]
    fn phases_place_sent_first_byte_and_finish() {
        let har = r#"{"log":{"version":"1.2","entries":[
          {"startedDateTime":"2026-12-01T10:00:00.000+01:00","time":60,
           "request":{"method":"GET","url":"http://h/a?x=1","headers":[
             {"name":"traceparent","value":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}]},
           "response":{"status":200,"headers":[{"name":"server-timing","value":"db;dur=12.5"},
             {"name":"X-Request-Id","value":"r-17"}],
                       "content":{"mimeType":"image/png"}},
           "timings":{"blocked":2,"dns":3,"connect":5,"ssl":4,"send":1,"wait":40,"receive":9}}]}}"#;
        let (t, stats) = read_str(har).expect("reads");
        assert_eq!(stats.events, 1);
        assert!(stats.warnings.is_empty(), "{:?}", stats.warnings);
        let r = &t.network[0];
        assert_eq!(t.clock.origin_unix_ns, started_at("2026-12-01T09:00:00Z"));
        // The builder shifts times to the earliest one: start is 0.
        assert_eq!(r.start, 0);
        assert_eq!(r.sent, Some(11 * MS));
        assert_eq!(r.server_wait, Some(40 * MS));
        assert_eq!(r.first_byte, Some(51 * MS));
        assert_eq!(r.finish_time, Some(60 * MS));
        assert_eq!(r.end, 60 * MS);
        assert_eq!(
            (r.method.as_str(), r.url.as_str()),
            ("GET", "http://h/a?x=1")
        );
        assert_eq!(r.status, Some(200));
        assert_eq!(r.mime_type.as_deref(), Some("image/png"));
        assert_eq!(r.server_timing, vec![("db".to_string(), 12_500_000)]);
        assert_eq!(
            r.ids,
            ["trace:0af7651916cd43dd8448eb211c80319c", "request:r-17"]
        );
        assert!(!r.is_document);
    }

    /// Offsets in startedDateTime are honoured: 10:00:00.100+01:00 is 09:00:00.100Z.
    #[test]
    fn started_date_time_offsets() {
        assert_eq!(
            started_at("2026-12-01T10:00:00.100+01:00"),
            started_at("2026-12-01T09:00:00.100Z")
        );
        assert_eq!(
            started_at("2026-12-01T04:00:00.100-05:00"),
            started_at("2026-12-01T09:00:00.100Z")
        );
        assert!(started_at("yesterday").is_none());
        // A time of day alone has no date: not a HAR time.
        assert!(started_at("10:00:00.100").is_none());
    }

    /// -1 phases are left out; no wait: no server wait, sent or first byte; a cached entry has
    /// no server wait even with a wait recorded.
    #[test]
    fn not_applicable_and_cached() {
        let har = r#"{"log":{"entries":[
          {"startedDateTime":"2026-12-01T09:00:00Z","time":5,
           "timings":{"blocked":-1,"dns":-1,"connect":-1,"send":0,"wait":-1,"receive":5}},
          {"startedDateTime":"2026-12-01T09:00:00Z","time":5,"_fromCache":"memory",
           "timings":{"blocked":-1,"dns":-1,"connect":-1,"send":0,"wait":3,"receive":2}}]}}"#;
        let (t, _) = read_str(har).expect("reads");
        for r in &t.network {
            assert_eq!((r.server_wait, r.sent, r.first_byte), (None, None, None));
            assert_eq!(r.end - r.start, 5 * MS);
        }
    }

    #[test]
    fn every_wait_missing_is_a_warning() {
        let har = r#"{"log":{"entries":[
          {"startedDateTime":"2026-12-01T09:00:00Z","time":-1,
           "timings":{"blocked":-1,"dns":-1,"connect":-1,"send":-1,"wait":-1,"receive":-1}}]}}"#;
        let (t, stats) = read_str(har).expect("reads");
        assert_eq!(t.network.len(), 1);
        assert!(
            stats.warnings[0].contains("none of the 1 entries has a server wait"),
            "{:?}",
            stats.warnings
        );
    }

    #[test]
    fn no_entries_and_no_log_are_errors() {
        for (har, what) in [
            (
                r#"{"log":{"version":"1.2","entries":[]}}"#,
                "the HAR has no entries",
            ),
            (r#"{"log":{"version":"1.2"}}"#, "the HAR has no entries"),
            (r#"{"lag":{}}"#, "no `log` object"),
        ] {
            let err = read_str(har).expect_err(what).to_string();
            assert!(err.starts_with("t.har: ") && err.contains(what), "{err}");
        }
    }

    /// Cut off inside the third entry: the two before it are read, with a warning; cut off
    /// before any entry: an error at the byte where the text ends.
    #[test]
    fn cut_off_files() {
        let e = r#"{"startedDateTime":"2026-12-01T09:00:00Z","time":5,"timings":{"send":1,"wait":3,"receive":1}}"#;
        let whole = format!(r#"{{"log":{{"entries":[{e},{e},{e}]}}}}"#);
        let cut = &whole[..whole.len() - 40];
        let (t, stats) = read_str(cut).expect("reads the entries before the cut");
        assert_eq!(t.network.len(), 2);
        assert!(
            stats.warnings[0].starts_with(&format!("the HAR is cut off at byte {}", cut.len())),
            "{:?}",
            stats.warnings
        );
        assert!(stats.warnings[0].ends_with("read the 2 whole entries before it"));
        let err = read_str(r#"{"log":{"version":"1.2","ent"#)
            .expect_err("nothing read")
            .to_string();
        assert!(
            err.starts_with("t.har: byte 28: the HAR is cut off before its first entry"),
            "{err}"
        );
    }

    /// A malformed entry is skipped with its number and byte; a bad date too.
    #[test]
    fn bad_entries_are_skipped() {
        let har = r#"{"log":{"entries":[
{"startedDateTime":"2026-12-01T09:00:00Z","time":"slow"},
{"startedDateTime":"Monday","time":1},
{"startedDateTime":"2026-12-01T09:00:00Z","time":1}]}}"#;
        let (t, stats) = read_str(har).expect("reads");
        assert_eq!((t.network.len(), stats.skipped), (1, 2));
        assert!(
            stats.warnings[0].starts_with("entry 1 (byte 74): skipped: invalid type: string"),
            "{:?}",
            stats.warnings
        );
        assert!(
            stats.warnings[1].contains("entry 2 (byte 78): skipped: startedDateTime is \"Monday\""),
            "{:?}",
            stats.warnings
        );
    }

    /// Each page's document is its earliest document entry that is not a redirect; requests
    /// of other pages are not its document.
    #[test]
    fn pages_and_their_documents() {
        let har = r#"{"log":{"pages":[
           {"id":"p1","startedDateTime":"2026-12-01T09:00:00Z","title":"one"},
           {"id":"p2","startedDateTime":"2026-12-01T09:00:10Z","title":"two"}],
         "entries":[
          {"pageref":"p1","startedDateTime":"2026-12-01T09:00:00.010Z","_resourceType":"document",
           "request":{"method":"GET","url":"http://h/old"},"response":{"status":302},"time":1},
          {"pageref":"p1","startedDateTime":"2026-12-01T09:00:00.020Z","_resourceType":"document",
           "request":{"method":"GET","url":"http://h/"},"response":{"status":200},"time":1},
          {"pageref":"p1","startedDateTime":"2026-12-01T09:00:00.500Z","_resourceType":"document",
           "request":{"method":"GET","url":"http://h/frame"},"response":{"status":200},"time":1},
          {"pageref":"p2","startedDateTime":"2026-12-01T09:00:10.050Z",
           "request":{"method":"GET","url":"http://h/two"},
           "response":{"status":200,"content":{"mimeType":"text/html; charset=utf-8"}},"time":1}]}}"#;
        let (t, _) = read_str(har).expect("reads");
        let docs: Vec<&str> = t
            .network
            .iter()
            .filter(|r| r.is_document)
            .map(|r| r.url.as_str())
            .collect();
        assert_eq!(docs, ["http://h/", "http://h/two"]);
        let navs = &t.browser.navigations;
        assert_eq!(navs.len(), 2);
        assert_eq!(
            (navs[0].id.as_str(), navs[0].url.as_str()),
            ("har-entry-2", "http://h/")
        );
        assert_eq!(navs[1].start - navs[0].start, 10_000 * MS);
        assert!(navs.iter().all(|n| n.main_frame && n.lcp.is_none()));
        // No pageTimings: neither is known.
        assert!(
            navs.iter()
                .all(|n| n.dom_content_loaded.is_none() && n.load.is_none())
        );
    }

    /// `pageTimings` are ms after the page's `startedDateTime`: fractions kept, -1 and absent
    /// are not known, a value of another type costs that value only, and a page without a
    /// `startedDateTime` (its start taken from its document) places neither.
    #[test]
    fn page_timings() {
        let har = r#"{"log":{"pages":[
           {"id":"a","startedDateTime":"2026-12-01T09:00:00Z","pageTimings":{"onContentLoad":120.5,"onLoad":480.25}},
           {"id":"b","startedDateTime":"2026-12-01T09:00:10Z","pageTimings":{"onContentLoad":-1}},
           {"id":"c","startedDateTime":"2026-12-01T09:00:20Z","pageTimings":{"onContentLoad":"soon","onLoad":0}},
           {"id":"d","pageTimings":{"onContentLoad":5,"onLoad":6}}],
         "entries":[
          {"pageref":"a","startedDateTime":"2026-12-01T09:00:00.010Z","_resourceType":"document","time":1,"timings":{"send":0,"wait":1,"receive":0}},
          {"pageref":"b","startedDateTime":"2026-12-01T09:00:10.010Z","_resourceType":"document","time":1,"timings":{"send":0,"wait":1,"receive":0}},
          {"pageref":"c","startedDateTime":"2026-12-01T09:00:20.010Z","_resourceType":"document","time":1,"timings":{"send":0,"wait":1,"receive":0}},
          {"pageref":"d","startedDateTime":"2026-12-01T09:00:30.010Z","_resourceType":"document","time":1,"timings":{"send":0,"wait":1,"receive":0}}]}}"#;
        let (t, stats) = read_str(har).expect("reads");
        assert!(stats.warnings.is_empty(), "{:?}", stats.warnings);
        let got: Vec<(Option<Ns>, Option<Ns>)> = t
            .browser
            .navigations
            .iter()
            .map(|n| (n.dom_content_loaded, n.load))
            .collect();
        assert_eq!(
            got,
            [
                (Some(120_500_000), Some(480_250_000)),
                (None, None),
                (None, Some(0)),
                (None, None)
            ]
        );
    }
}
