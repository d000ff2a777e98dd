//! Jaeger JSON: the query API's and the UI's "Download JSON" (`{"data": [trace, ...]}`), or one
//! bare trace (`{"traceID", "spans", "processes"}`, Jaeger's own `ui_*.json` fixtures); one
//! document, or JSON lines of them.
//!
//! A span's parent is its first `CHILD_OF` reference into the same trace (Jaeger's own rule);
//! `FOLLOWS_FROM` references (OpenTelemetry links) are not parents. Times are µs: `startTime`
//! and `duration`. The kind is the tag `span.kind`; the process (`processID` into `processes`,
//! or an inline `process`) gives `service.name` and, from its tag `process.pid`, thread keys.

use super::stream::{self, Scan, SpanErrors, Step, Stop, Walk};
use super::value::{Int, Scalar, Text};
use super::{Assembler, DocError, Kind, SpanIn, describe, read_documents};
use crate::error::Result;
use crate::ingest::InputStats;
use crate::model::{FieldValue, Ns, Sym, TraceBuilder};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap};
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

/// What a span takes from its process: `service.name` and, from the tag `process.pid`, the
/// pid of its thread keys.
#[derive(Debug, Clone, Copy, Default)]
struct ProcessInfo<'p> {
    service: Option<&'p str>,
    pid: Option<&'p str>,
}

impl<'a> Process<'a> {
    fn info(&self) -> ProcessInfo<'_> {
        ProcessInfo {
            service: self
                .service_name
                .as_ref()
                .map(|s| &*s.0)
                .filter(|s| !s.is_empty()),
            pid: self
                .tags
                .iter()
                .find(|t| t.key.0 == "process.pid")
                .and_then(|t| t.value.as_ref())
                .map(|v| &*v.0),
        }
    }
}

/// The per-span decoding both paths share (JSON lines, the stream of a pretty document).
struct Decoder {
    asm: Assembler,
    span_kind: Sym,
}

impl Decoder {
    /// One span into the window; `process` finds a process by its id (when the span has no
    /// inline `process`).
    fn span<'p>(
        &mut self,
        b: &mut TraceBuilder,
        stats: &mut InputStats,
        span: Span<'_>,
        process: impl Fn(&str) -> Option<ProcessInfo<'p>>,
        line: u64,
    ) {
        let info = match &span.process {
            Some(p) => Some(p.info()),
            None => process(text(&span.process_id)),
        };
        let mut fields: Vec<(Sym, FieldValue)> =
            Vec::with_capacity(span.tags.as_ref().map_or(0, Vec::len) + 1);
        let mut kind = None;
        for tag in span.tags.iter().flatten() {
            let value = tag.value.as_ref().map_or("", |v| &*v.0);
            let key = b.intern(&tag.key.0);
            if key == self.span_kind {
                kind = Kind::from_name(value);
                continue;
            }
            fields.push((key, value.into()));
        }
        let info = info.unwrap_or_default();
        if let Some(s) = info.service {
            fields.push((self.asm.keys.service, s.into()));
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
            pid: info.pid,
            line,
        };
        self.asm.push(b, stats, s);
    }
}

/// What is said of a document with neither `data` nor `spans`.
fn not_jaeger(what: &str) -> String {
    format!("not Jaeger JSON (neither data[] nor spans[]): {what}")
}

/// Reads a Jaeger JSON input into `b`.
pub fn read(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder,
    stats: &mut InputStats,
) -> Result<()> {
    let asm = Assembler::new(b);
    let span_kind = b.intern("span.kind");
    let mut dec = Decoder { asm, span_kind };
    let rest = read_documents(name, reader, stats, &mut |doc, line, stats| {
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
                    msg: not_jaeger(&describe(doc)),
                });
            }
        };
        for trace in traces {
            let processes = &trace.processes;
            for span in trace.spans {
                dec.span(
                    b,
                    stats,
                    span,
                    |id| processes.get(id).map(Process::info),
                    line,
                );
            }
        }
        dec.asm.end_batch(b);
        Ok(())
    })?;
    if let Some(rest) = rest {
        let mut walk = Stream {
            dec: &mut dec,
            b,
            trace: TraceState::default(),
            errors: SpanErrors::default(),
        };
        stream::read(name, rest.line, rest.bytes, reader, stats, &mut walk)?;
    }
    dec.asm.finish(b, stats);
    Ok(())
}

/// A process, owned (it outlives the scanner's buffer).
#[derive(Debug, Default)]
struct OwnedProcess {
    service: Option<String>,
    pid: Option<String>,
}

/// The trace object being read: its processes once known, and its spans read before them
/// (held as text, with their lines and columns; see `stream.rs`).
#[derive(Debug, Default)]
struct TraceState {
    processes: Option<HashMap<String, OwnedProcess>>,
    text: Vec<u8>,
    held: Vec<(usize, usize, u64, u64)>,
}

/// The stream reader's walk of a Jaeger document.
struct Stream<'d, 'b> {
    dec: &'d mut Decoder,
    b: &'d mut TraceBuilder<'b>,
    trace: TraceState,
    errors: SpanErrors,
}

impl Stream<'_, '_> {
    fn decode(&mut self, stats: &mut InputStats, text: &[u8], line: u64, column: u64) {
        let (dec, b) = (&mut *self.dec, &mut *self.b);
        let processes = &self.trace.processes;
        self.errors
            .decode(text, line, column, stats, &mut |text, line, stats| {
                let span: Span = serde_json::from_str(text)?;
                let lookup = |id: &str| {
                    let p = processes.as_ref()?.get(id)?;
                    Some(ProcessInfo {
                        service: p.service.as_deref(),
                        pid: p.pid.as_deref(),
                    })
                };
                dec.span(b, stats, span, lookup, line);
                dec.asm.end_batch(b);
                Ok(())
            });
    }

    /// The spans held, decoded with the processes known by now (or none).
    fn release(&mut self, stats: &mut InputStats) {
        let text = std::mem::take(&mut self.trace.text);
        let held = std::mem::take(&mut self.trace.held);
        for &(from, to, line, column) in &held {
            self.decode(stats, &text[from..to], line, column);
        }
    }

    /// The members of a trace object after its `{` (or of the document, for a bare trace):
    /// `spans` and `processes` are read, others skipped (their keys into `keys`).
    fn trace(
        &mut self,
        scan: &mut Scan<'_>,
        stats: &mut InputStats,
        first: &mut bool,
        keys: Option<&mut BTreeSet<String>>,
    ) -> Step<bool> {
        let mut found = false;
        let mut keys = keys;
        while let Some(key) = scan.key(first)? {
            match key.as_str() {
                "spans" if scan.open(b'[')? => {
                    found = true;
                    let mut first = true;
                    while scan.element(&mut first)? {
                        let took = if self.trace.processes.is_some() {
                            scan.span(|text, line, column| self.decode(stats, text, line, column))?
                        } else {
                            let t = &mut self.trace;
                            scan.span(|text, line, column| {
                                let from = t.text.len();
                                t.text.extend_from_slice(text);
                                t.held.push((from, t.text.len(), line, column));
                            })?
                        };
                        if let Err(line) = took {
                            self.errors.too_big(line, stats);
                        }
                    }
                }
                "data" if keys.is_some() && scan.open(b'[')? => {
                    found = true;
                    let mut first = true;
                    while scan.element(&mut first)? {
                        if scan.open(b'{')? {
                            let mut first = true;
                            self.trace(scan, stats, &mut first, None)?;
                            self.release(stats);
                            self.trace = TraceState::default();
                        } else {
                            scan.skip_value()?;
                        }
                    }
                }
                "processes" => {
                    let parsed = scan.value(|text, _, _| {
                        serde_json::from_slice::<HashMap<String, Process>>(text).map(|map| {
                            map.iter()
                                .map(|(id, p)| {
                                    let info = p.info();
                                    let own = OwnedProcess {
                                        service: info.service.map(str::to_string),
                                        pid: info.pid.map(str::to_string),
                                    };
                                    (id.clone(), own)
                                })
                                .collect::<HashMap<_, _>>()
                        })
                    })?;
                    // Processes that do not decode are none (as in a trace without them).
                    self.trace.processes = Some(parsed.and_then(|p| p.ok()).unwrap_or_default());
                    self.release(stats);
                }
                _ => scan.skip_value()?,
            }
            if let Some(keys) = keys.as_deref_mut()
                && keys.len() < 256
            {
                keys.insert(key);
            }
        }
        Ok(found)
    }
}

impl Walk for Stream<'_, '_> {
    fn document(&mut self, scan: &mut Scan<'_>, stats: &mut InputStats) -> Step<()> {
        self.trace = TraceState::default();
        if !scan.open(b'{')? {
            let c = scan.skip_ws()?;
            scan.skip_value()?;
            return Err(Stop::NotFormat(not_jaeger(stream::describe_value(c))));
        }
        let mut keys = BTreeSet::new();
        let mut first = true;
        let found = self.trace(scan, stats, &mut first, Some(&mut keys))?;
        self.release(stats);
        self.dec.asm.end_batch(self.b);
        if !found {
            return Err(Stop::NotFormat(not_jaeger(&stream::describe_object(&keys))));
        }
        Ok(())
    }

    fn flush(&mut self, stats: &mut InputStats) {
        self.release(stats);
        self.trace = TraceState::default();
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
