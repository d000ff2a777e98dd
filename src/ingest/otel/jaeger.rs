//! Jaeger JSON: the query API's and the UI's "Download JSON" (`{"data": [trace, ...]}`), or one
//! bare trace (`{"traceID", "spans", "processes"}`, Jaeger's own `ui_*.json` fixtures); one
//! document, or JSON lines of them.
//!
//! A span's parent is its first `CHILD_OF` reference into the same trace (Jaeger's own rule);
//! `FOLLOWS_FROM` references (OpenTelemetry links) are not parents. Times are µs: `startTime`
//! and `duration`. The kind is the tag `span.kind`; the process (`processID` into `processes`,
//! or an inline `process`) gives `service.name` and, from its tag `process.pid`, thread keys.

use super::value::{Int, Scalar, Text};
use super::{Assembler, DocError, Kind, SpanIn, describe, read_documents};
use crate::error::Result;
use crate::ingest::InputStats;
use crate::model::{FieldValue, Ns, Sym, TraceBuilder};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::BufRead;

#[derive(Deserialize)]
struct Doc<'a> {
    #[serde(borrow, default)]
    data: Option<Vec<Trace<'a>>>,
    #[serde(borrow, default)]
    spans: Option<Vec<Span<'a>>>,
    #[serde(borrow, default)]
    processes: HashMap<String, Process<'a>>,
}

#[derive(Deserialize)]
struct Trace<'a> {
    #[serde(borrow, default)]
    spans: Vec<Span<'a>>,
    #[serde(borrow, default)]
    processes: HashMap<String, Process<'a>>,
}

#[derive(Deserialize)]
struct Process<'a> {
    #[serde(rename = "serviceName", borrow, default)]
    service_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    tags: Vec<Tag<'a>>,
}

#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(borrow)]
    key: Text<'a>,
    #[serde(borrow, default)]
    value: Option<Scalar<'a>>,
}

#[derive(Deserialize)]
struct Reference<'a> {
    #[serde(rename = "refType", borrow, default)]
    ref_type: Option<Text<'a>>,
    #[serde(rename = "traceID", borrow, default)]
    trace_id: Option<Text<'a>>,
    #[serde(rename = "spanID", borrow, default)]
    span_id: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Span<'a> {
    #[serde(rename = "traceID", borrow, default)]
    trace_id: Option<Text<'a>>,
    #[serde(rename = "spanID", borrow, default)]
    span_id: Option<Text<'a>>,
    #[serde(rename = "operationName", borrow, default)]
    operation_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    references: Option<Vec<Reference<'a>>>,
    #[serde(rename = "startTime", default)]
    start: Option<Int>,
    #[serde(default)]
    duration: Option<Int>,
    #[serde(borrow, default)]
    tags: Option<Vec<Tag<'a>>>,
    #[serde(rename = "processID", borrow, default)]
    process_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    process: Option<Process<'a>>,
}

fn text<'x>(t: &'x Option<Text<'_>>) -> &'x str {
    t.as_ref().map_or("", |t| &*t.0)
}

/// Reads a Jaeger JSON input into `b`.
pub fn read(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder,
    stats: &mut InputStats,
) -> Result<()> {
    let mut asm = Assembler::new(b);
    let span_kind = b.intern("span.kind");
    read_documents(name, reader, stats, &mut |doc, line, stats| {
        let d: Doc = super::parse(doc)?;
        let traces = match (d.data, d.spans) {
            (Some(data), _) => data,
            (None, Some(spans)) => vec![Trace {
                spans,
                processes: d.processes,
            }],
            (None, None) => {
                return Err(DocError {
                    line: 0,
                    msg: format!(
                        "not Jaeger JSON (neither data[] nor spans[]): {}",
                        describe(doc)
                    ),
                });
            }
        };
        for trace in traces {
            for span in trace.spans {
                let process = span
                    .process
                    .as_ref()
                    .or_else(|| trace.processes.get(text(&span.process_id)));
                let mut fields: Vec<(Sym, FieldValue)> =
                    Vec::with_capacity(span.tags.as_ref().map_or(0, Vec::len) + 1);
                let mut kind = None;
                for tag in span.tags.iter().flatten() {
                    let value = tag.value.as_ref().map_or("", |v| &*v.0);
                    let key = b.intern(&tag.key.0);
                    if key == span_kind {
                        kind = Kind::from_name(value);
                        continue;
                    }
                    fields.push((key, value.into()));
                }
                let mut pid = None;
                if let Some(p) = process {
                    if let Some(s) = p.service_name.as_ref().filter(|s| !s.0.is_empty()) {
                        fields.push((asm.keys.service, (*s.0).into()));
                    }
                    pid = p
                        .tags
                        .iter()
                        .find(|t| t.key.0 == "process.pid")
                        .and_then(|t| t.value.as_ref())
                        .map(|v| &*v.0);
                }
                let trace_id = text(&span.trace_id);
                let own_trace = super::value::trace_id(trace_id);
                let parent = span.references.iter().flatten().find(|r| {
                    text(&r.ref_type).eq_ignore_ascii_case("CHILD_OF")
                        && r.trace_id
                            .as_ref()
                            .is_none_or(|t| super::value::trace_id(&t.0) == own_trace)
                });
                let start: Option<Ns> = span.start.map(|t| t.0.saturating_mul(1000));
                let end = match (start, span.duration) {
                    (Some(s), Some(d)) => Some(s.saturating_add(d.0.saturating_mul(1000))),
                    _ => None,
                };
                let s = SpanIn {
                    trace_id,
                    span_id: text(&span.span_id),
                    parent_id: parent.map(|r| text(&r.span_id)),
                    name: text(&span.operation_name),
                    start,
                    end,
                    kind,
                    shared: false,
                    fields,
                    pid,
                    line,
                };
                asm.push(b, stats, s);
            }
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

    /// The shape of Jaeger's own `model/converter/json/fixtures/ui_01.json`: a bare trace,
    /// short span ids, two spans with one id, typed tags, a `CHILD_OF` into another trace
    /// before the real parent, a `FOLLOWS_FROM`, processes by id.
    #[test]
    fn jaegers_fixture_shape() {
        let doc = r#"{
  "traceID": "00000000000000a1",
  "spans": [
    {"traceID": "00000000000000a1", "spanID": "2", "operationName": "root", "references": [],
     "startTime": 1700000000000000, "duration": 500, "tags": [],
     "logs": [{"timestamp": 1700000000000100, "fields": [{"key": "event", "type": "string", "value": "x"}]}],
     "processID": "p1", "warnings": null},
    {"traceID": "00000000000000a1", "spanID": "2", "operationName": "same id again", "references": [],
     "startTime": 1700000000000000, "duration": 5,
     "tags": [{"key": "peer.port", "type": "int64", "value": 5432},
              {"key": "error", "type": "bool", "value": true},
              {"key": "ratio", "type": "float64", "value": 0.5},
              {"key": "blob", "type": "binary", "value": "AAAwOQ=="}],
     "processID": "p1", "warnings": null},
    {"traceID": "00000000000000a1", "spanID": "3", "operationName": "child",
     "references": [{"refType": "CHILD_OF", "traceID": "00000000000000a1", "spanID": "2"}],
     "startTime": 1700000000000100, "duration": 200, "tags": [], "processID": "p2", "warnings": null},
    {"traceID": "00000000000000a1", "spanID": "4", "operationName": "two references",
     "references": [{"refType": "CHILD_OF", "traceID": "00000000000000ff", "spanID": "ff"},
                    {"refType": "CHILD_OF", "traceID": "00000000000000a1", "spanID": "3"},
                    {"refType": "FOLLOWS_FROM", "traceID": "00000000000000a1", "spanID": "2"}],
     "startTime": 1700000000000150, "duration": 50, "tags": [], "processID": "p2",
     "warnings": ["some span warning"]},
    {"traceID": "00000000000000a1", "spanID": "5", "operationName": "linked only",
     "references": [{"refType": "FOLLOWS_FROM", "traceID": "00000000000000a1", "spanID": "2"}],
     "startTime": 1700000000000600, "duration": 10, "tags": [], "processID": "p2", "warnings": null}
  ],
  "processes": {"p1": {"serviceName": "svc-x", "tags": []}, "p2": {"serviceName": "svc-y", "tags": []}},
  "warnings": ["some trace warning"]
}"#;
        let (t, stats) = read_str(Format::JaegerJson, doc);
        let names: Vec<&str> = t.spans.iter().map(|s| t.name(s)).collect();
        assert_eq!(names, ["root", "child", "two references", "linked only"]);
        assert_eq!(
            (stats.events, stats.skipped),
            (4, 1),
            "the second span with id 2 skipped"
        );
        assert!(
            stats
                .warnings
                .iter()
                .any(|w| w.starts_with("1 span repeating the id")),
            "{:?}",
            stats.warnings
        );
        assert_eq!(t.spans[0].duration(), 500_000);
        assert_eq!(t.spans[1].parent.map(|p| p.0), Some(0));
        assert_eq!(
            t.spans[2].parent.map(|p| p.0),
            Some(1),
            "first CHILD_OF of its own trace"
        );
        assert_eq!(
            t.spans[3].parent, None,
            "FOLLOWS_FROM is a link, not a parent"
        );
        assert_eq!(field(&t, 0, "service.name"), Some("svc-x"));
        assert_eq!(field(&t, 1, "service.name"), Some("svc-y"));
    }

    /// The query API's `{"data": [...]}` with OpenTelemetry's tags: `span.kind`, the old HTTP
    /// semantic conventions, typed values as text.
    #[test]
    fn query_api_shape_with_otel_tags() {
        let doc = r#"{"data":[{"traceID":"5b8efff798038103d269b633813fc60c","spans":[
{"traceID":"5b8efff798038103d269b633813fc60c","spanID":"eee19b7ec3c1b174","operationName":"GET sync-io/","references":[],"startTime":1700000000000000,"duration":250000,"tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"http.method","type":"string","value":"GET"},{"key":"http.route","type":"string","value":"sync-io/"},{"key":"http.status_code","type":"int64","value":200},{"key":"otel.status_code","type":"string","value":"OK"}],"processID":"p1"},
{"traceID":"5b8efff798038103d269b633813fc60c","spanID":"eee19b7ec3c1b175","operationName":"GET","references":[{"refType":"CHILD_OF","traceID":"5b8efff798038103d269b633813fc60c","spanID":"eee19b7ec3c1b174"}],"startTime":1700000000010000,"duration":200000,"tags":[{"key":"span.kind","type":"string","value":"client"},{"key":"http.url","type":"string","value":"http://127.0.0.1:9000/slow"}],"processID":"p1"}],
"processes":{"p1":{"serviceName":"labsite","tags":[{"key":"process.pid","type":"int64","value":4242}]}},"warnings":null}],
"total":0,"limit":0,"offset":0,"errors":null}"#;
        let (t, stats) = read_str(Format::JaegerJson, doc);
        assert!(stats.warnings.is_empty(), "{:?}", stats.warnings);
        assert_eq!(field(&t, 0, "otel.kind"), Some("server"));
        assert_eq!(field(&t, 0, "span.kind"), None, "read as otel.kind");
        assert_eq!(field(&t, 0, "http.status_code"), Some("200"));
        assert_eq!(field(&t, 1, "otel.kind"), Some("client"));
        assert_eq!(t.spans[1].parent.map(|p| p.0), Some(0));
        assert_eq!(t.spans[0].duration(), 250_000_000);
        assert_eq!(t.spans[1].start, 10_000_000);
    }

    /// An error response of the query API is named, not read as an empty trace.
    #[test]
    fn a_document_that_is_not_jaeger_is_named() {
        let doc = r#"{"traceID":"x","spanID":"y","errors":[{"code":404}]}"#;
        let err = crate::ingest::ingest_bytes("t.json", doc.as_bytes(), false).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("not Jaeger JSON"), "{msg}");
        assert!(msg.contains("keys errors, spanID, traceID"), "{msg}");
        assert!(msg.starts_with("t.json: line 1:"), "{msg}");
    }
}
