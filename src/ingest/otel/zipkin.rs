//! Zipkin v2 JSON: a list of spans (what `/api/v2/spans` receives and the UI downloads), a list
//! of such lists (`/api/v2/traces`), or JSON lines of either (a sink that writes each POST on a
//! line), or of single span objects.
//!
//! Times are µs: `timestamp` and `duration` (a span without a duration is skipped, counted).
//! `kind` is `SERVER`/`CLIENT`/`PRODUCER`/`CONSUMER` (absent: a local span); tags are a
//! string map; `localEndpoint.serviceName` gives `service.name`, and a client's or producer's
//! `remoteEndpoint.serviceName` gives `peer.service` when no tag does. A `shared` server span
//! has its client's id: it is read as that client span's child, and children of the id as its.

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

/// Reads a Zipkin v2 JSON input into `b`.
pub fn read(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder,
    stats: &mut InputStats,
) -> Result<()> {
    let mut asm = Assembler::new(b);
    let peer = b.intern("peer.service");
    read_documents(name, reader, stats, &mut |doc, line, stats| {
        let Spans(spans) = super::parse(doc)?;
        if spans.iter().all(|s| s.trace_id.is_none() && s.id.is_none()) && !spans.is_empty() {
            return Err(DocError {
                line: 0,
                msg: format!("not Zipkin v2 spans (no traceId, no id): {}", describe(doc)),
            });
        }
        for span in spans {
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
                fields.push((asm.keys.service, (*s.0).into()));
            }
            if matches!(kind, Some(Kind::Client | Kind::Producer))
                && !fields.iter().any(|(k, _)| *k == peer)
                && let Some(s) = span
                    .remote
                    .as_ref()
                    .and_then(|e| e.service_name.as_ref())
                    .filter(|s| !s.0.is_empty())
            {
                fields.push((peer, (*s.0).into()));
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
            asm.push(b, stats, s);
        }
        asm.end_batch(b);
        Ok(())
    })?;
    asm.finish(b, stats);
    Ok(())
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
