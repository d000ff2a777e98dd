//! Zipkin v2 JSON: a list of spans (what `/api/v2/spans` receives and the UI downloads), a list
//! of such lists (`/api/v2/traces`), or JSON lines of either (a sink that writes each POST on a
//! line), or of single span objects.
//!
//! Times are µs: `timestamp` and `duration` (a span without a duration is skipped, counted).
//! `kind` is `SERVER`/`CLIENT`/`PRODUCER`/`CONSUMER` (absent: a local span); tags are a
//! string map; `localEndpoint.serviceName` gives `service.name`, and a client's or producer's
//! `remoteEndpoint.serviceName` gives `peer.service` when no tag does. A `shared` server span
//! has its client's id: it is read as that client span's child, and children of the id as its.

use super::stream::{self, Scan, SpanErrors, Step, Stop, Walk};
use super::value::{Int, Scalar, Text};
use super::{Assembler, DocError, Kind, SpanIn, describe, read_documents};
use crate::error::Result;
use crate::ingest::InputStats;
use crate::model::{FieldValue, Ns, Sym, TraceBuilder};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, de::value::MapAccessDeserializer};
use std::fmt;
use std::io::BufRead;

#[derive(Deserialize)]
struct Span<'a> {
    #[serde(rename = "traceId", borrow, default)]
    trace_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    id: Option<Text<'a>>,
    #[serde(rename = "parentId", borrow, default)]
    parent_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    kind: Option<Text<'a>>,
    #[serde(default)]
    timestamp: Option<Int>,
    #[serde(default)]
    duration: Option<Int>,
    #[serde(rename = "localEndpoint", borrow, default)]
    local: Option<Endpoint<'a>>,
    #[serde(rename = "remoteEndpoint", borrow, default)]
    remote: Option<Endpoint<'a>>,
    #[serde(borrow, default)]
    tags: Tags<'a>,
    #[serde(default)]
    shared: Option<bool>,
}

#[derive(Deserialize)]
struct Endpoint<'a> {
    #[serde(rename = "serviceName", borrow, default)]
    service_name: Option<Text<'a>>,
}

/// The `tags` map, in the order written.
#[derive(Default)]
struct Tags<'a>(Vec<(Text<'a>, Scalar<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Tags<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tags<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of tags")
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Tags<'de>, E> {
                Ok(Tags::default())
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Tags<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(kv) = a.next_entry::<Text<'de>, Scalar<'de>>()? {
                    out.push(kv);
                }
                Ok(Tags(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A document: a span, a list of spans, or a list of lists; `objects` counts the JSON objects
/// seen, spans or not.
struct Spans<'a>(Vec<Span<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Spans<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Spans<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Zipkin span or a list of them")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Spans<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(Spans(more)) = a.next_element::<Spans<'de>>()? {
                    out.extend(more);
                }
                Ok(Spans(out))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                a: A,
            ) -> std::result::Result<Spans<'de>, A::Error> {
                Ok(Spans(vec![Span::deserialize(MapAccessDeserializer::new(
                    a,
                ))?]))
            }
        }
        d.deserialize_any(V)
    }
}

fn text<'x>(t: &'x Option<Text<'_>>) -> &'x str {
    t.as_ref().map_or("", |t| &*t.0)
}

/// A span with neither a trace id nor an id: a document of only such is not Zipkin's.
fn idless(span: &Span<'_>) -> bool {
    span.trace_id.is_none() && span.id.is_none()
}

/// What is said of a document whose spans have neither trace ids nor ids.
fn not_zipkin(what: &str) -> String {
    format!("not Zipkin v2 spans (no traceId, no id): {what}")
}

/// The per-span decoding both paths share (JSON lines, the stream of a pretty document).
struct Decoder {
    asm: Assembler,
    peer: Sym,
}

impl Decoder {
    fn span(&mut self, b: &mut TraceBuilder, stats: &mut InputStats, span: Span<'_>, line: u64) {
        let keys = self.asm.keys;
        let kind = span.kind.as_ref().and_then(|k| Kind::from_name(&k.0));
        let mut fields: Vec<(Sym, FieldValue)> = Vec::with_capacity(span.tags.0.len() + 2);
        for (k, v) in &span.tags.0 {
            fields.push((b.intern(&k.0), (*v.0).into()));
        }
        if let Some(s) = span
            .local
            .as_ref()
            .and_then(|e| e.service_name.as_ref())
            .filter(|s| !s.0.is_empty())
        {
            fields.push((keys.service, (*s.0).into()));
        }
        if matches!(kind, Some(Kind::Client | Kind::Producer))
            && !fields.iter().any(|(k, _)| *k == self.peer)
            && let Some(s) = span
                .remote
                .as_ref()
                .and_then(|e| e.service_name.as_ref())
                .filter(|s| !s.0.is_empty())
        {
            fields.push((self.peer, (*s.0).into()));
        }
        let start: Option<Ns> = span.timestamp.map(|t| t.0.saturating_mul(1000));
        let end = match (start, span.duration) {
            (Some(s), Some(d)) => Some(s.saturating_add(d.0.saturating_mul(1000))),
            _ => None,
        };
        let s = SpanIn {
            trace_id: text(&span.trace_id),
            span_id: text(&span.id),
            parent_id: span.parent_id.as_ref().map(|t| &*t.0),
            name: text(&span.name),
            start,
            end,
            kind,
            shared: span.shared == Some(true),
            fields,
            pid: None,
            line,
        };
        self.asm.push(b, stats, s);
    }
}

/// Reads a Zipkin v2 JSON input into `b`.
pub fn read(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder,
    stats: &mut InputStats,
) -> Result<()> {
    let asm = Assembler::new(b);
    let peer = b.intern("peer.service");
    let mut dec = Decoder { asm, peer };
    let rest = read_documents(name, reader, stats, &mut |doc, line, stats| {
        let Spans(spans) = super::parse(doc)?;
        if spans.iter().all(idless) && !spans.is_empty() {
            return Err(DocError {
                line: 0,
                msg: not_zipkin(&describe(doc)),
            });
        }
        for span in spans {
            dec.span(b, stats, span, line);
        }
        dec.asm.end_batch(b);
        Ok(())
    })?;
    if let Some(rest) = rest {
        let mut walk = Stream {
            dec: &mut dec,
            b,
            with_id: false,
            idless: (0, 0),
            errors: SpanErrors::default(),
        };
        stream::read(name, rest.line, rest.bytes, reader, stats, &mut walk)?;
    }
    dec.asm.finish(b, stats);
    Ok(())
}

/// The stream reader's walk of a Zipkin document.
struct Stream<'d, 'b> {
    dec: &'d mut Decoder,
    b: &'d mut TraceBuilder<'b>,
    /// A span of this document had a trace id or an id: it is Zipkin's.
    with_id: bool,
    /// Spans of this document with neither, before one with: how many, the first's line.
    /// They are put in (to be skipped, counted, as spans without an id) once the document is
    /// known to be Zipkin's.
    idless: (u64, u64),
    errors: SpanErrors,
}

impl Stream<'_, '_> {
    fn decode(&mut self, stats: &mut InputStats, text: &[u8], line: u64, column: u64) {
        let (dec, b) = (&mut *self.dec, &mut *self.b);
        let (with_id, held) = (&mut self.with_id, &mut self.idless);
        self.errors
            .decode(text, line, column, stats, &mut |text, line, stats| {
                let span: Span = serde_json::from_str(text)?;
                if !*with_id {
                    if idless(&span) {
                        if held.0 == 0 {
                            held.1 = line;
                        }
                        held.0 += 1;
                        return Ok(());
                    }
                    *with_id = true;
                    put_idless(dec, b, stats, held);
                }
                dec.span(b, stats, span, line);
                dec.asm.end_batch(b);
                Ok(())
            });
    }

    /// The elements of a list after its `[`: spans, or lists of them.
    fn list(&mut self, scan: &mut Scan<'_>, stats: &mut InputStats, depth: u32) -> Step<()> {
        let mut first = true;
        while scan.element(&mut first)? {
            match scan.skip_ws()? {
                Some(b'[') if depth < MAX_DEPTH => {
                    scan.open(b'[')?;
                    self.list(scan, stats, depth + 1)?;
                }
                _ => {
                    let took =
                        scan.span(|text, line, column| self.decode(stats, text, line, column))?;
                    if let Err(line) = took {
                        self.errors.too_big(line, stats);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Spans held back as without ids, put in once their document is known to be Zipkin's.
fn put_idless(dec: &mut Decoder, b: &mut TraceBuilder, stats: &mut InputStats, n: &mut (u64, u64)) {
    for _ in 0..n.0 {
        let s = SpanIn {
            line: n.1,
            ..SpanIn::default()
        };
        dec.asm.push(b, stats, s);
    }
    *n = (0, 0);
}

/// Deepest nesting of lists of lists followed (serde_json's own limit).
const MAX_DEPTH: u32 = 128;

impl Walk for Stream<'_, '_> {
    fn document(&mut self, scan: &mut Scan<'_>, stats: &mut InputStats) -> Step<()> {
        self.with_id = false;
        self.idless = (0, 0);
        // What the document is, said if it is not Zipkin's (as `describe` says it).
        let mut what: std::borrow::Cow<'static, str> = "a JSON array".into();
        match scan.skip_ws()? {
            Some(b'[') => {
                scan.open(b'[')?;
                self.list(scan, stats, 1)?;
            }
            _ => {
                // One span object (or not a span at all: it does not decode).
                let took = scan.span(|text, line, column| {
                    self.decode(stats, text, line, column);
                    if !self.with_id {
                        what = describe(text).into();
                    }
                })?;
                if let Err(line) = took {
                    self.errors.too_big(line, stats);
                }
            }
        }
        self.dec.asm.end_batch(self.b);
        if !self.with_id && self.idless.0 > 0 {
            self.idless = (0, 0);
            return Err(Stop::NotFormat(not_zipkin(&what)));
        }
        Ok(())
    }

    fn flush(&mut self, stats: &mut InputStats) {
        // A document cut off: what was read of it is Zipkin's if any span had an id.
        if self.with_id {
            put_idless(self.dec, self.b, stats, &mut self.idless);
        }
        self.dec.asm.end_batch(self.b);
    }

    fn finish(&mut self, stats: &mut InputStats) {
        self.errors.warn(stats);
    }
}

#[cfg(test)]
mod tests {
    use crate::ingest::Format;
    use crate::ingest::otel::tests::{field, read_str};

    /// What OpenTelemetry's Zipkin exporter posts: a list of spans, children first, 16-digit
    /// ids, µs times, string tags, `localEndpoint.serviceName`.
    #[test]
    fn a_list_of_spans_from_the_otel_exporter() {
        let doc = r#"[{"traceId":"5b8efff798038103d269b633813fc60c","id":"2222222222222222","parentId":"1111111111111111","name":"get","kind":"CLIENT","timestamp":1700000000010000,"duration":200000,"localEndpoint":{"serviceName":"labsite"},"remoteEndpoint":{"serviceName":"upstream","port":9000},"tags":{"http.method":"GET","http.url":"http://127.0.0.1:9000/slow","otel.library.name":"opentelemetry.instrumentation.httpx"}},
{"traceId":"5b8efff798038103d269b633813fc60c","id":"1111111111111111","name":"GET async-io/","kind":"SERVER","timestamp":1700000000000000,"duration":250000,"localEndpoint":{"serviceName":"labsite"},"tags":{"http.method":"GET","http.route":"async-io/","http.target":"/async-io/?n=1","http.status_code":"200","thread.id":"140","thread.name":"MainThread"}}]"#;
        let (t, stats) = read_str(Format::ZipkinJson, doc);
        assert!(stats.warnings.is_empty(), "{:?}", stats.warnings);
        let server = t
            .spans
            .iter()
            .position(|s| t.name(s) == "GET async-io/")
            .unwrap();
        let client = 1 - server;
        assert_eq!(t.spans[client].parent.map(|p| p.0 as usize), Some(server));
        assert_eq!(field(&t, server, "otel.kind"), Some("server"));
        assert_eq!(field(&t, client, "otel.kind"), Some("client"));
        assert_eq!(field(&t, client, "peer.service"), Some("upstream"));
        assert_eq!(field(&t, server, "peer.service"), None);
        assert_eq!(field(&t, server, "service.name"), Some("labsite"));
        assert_eq!(field(&t, server, "http.route"), Some("async-io/"));
        assert_eq!(t.spans[server].duration(), 250_000_000);
        let th = t.spans[server]
            .opened_on
            .map(|th| t.thread(th).key.as_str());
        assert_eq!(th, Some("140"));
    }

    /// `/api/v2/traces` (a list of lists), a shared server half, Brave's `http.path`, a span
    /// without a duration and one without an id, on JSON lines.
    #[test]
    fn lists_of_lists_shared_spans_and_skips() {
        let doc = concat!(
            r#"[[{"traceId":"a","id":"1","name":"call","kind":"CLIENT","timestamp":1000,"duration":900},"#,
            r#"{"traceId":"a","id":"1","shared":true,"name":"handle","kind":"SERVER","timestamp":1100,"duration":700,"tags":{"http.method":"GET","http.path":"/items"}},"#,
            r#"{"traceId":"a","id":"2","parentId":"1","name":"query","timestamp":1200,"duration":100,"tags":{"sql.query":"select 1"}}]]"#,
            "\n",
            r#"[{"traceId":"b","id":"3","name":"no duration","timestamp":5000},{"traceId":"b","name":"no id","timestamp":5000,"duration":3}]"#,
            "\n"
        );
        let (t, stats) = read_str(Format::ZipkinJson, doc);
        let names: Vec<&str> = t.spans.iter().map(|s| t.name(s)).collect();
        assert_eq!(names, ["call", "handle", "query"]);
        assert_eq!(
            t.spans[1].parent.map(|p| p.0),
            Some(0),
            "shared: the client's child"
        );
        assert_eq!(
            t.spans[2].parent.map(|p| p.0),
            Some(1),
            "the server half's child"
        );
        assert_eq!(field(&t, 1, "url.path"), Some("/items"));
        assert_eq!((stats.events, stats.skipped), (3, 2));
        let w = stats.warnings.join("\n");
        assert!(
            w.contains("1 span without a span id skipped (first at line 2)"),
            "{w}"
        );
        assert!(
            w.contains("1 span without a start or end time skipped"),
            "{w}"
        );
    }
}
