//! OTLP/JSON: `ExportTraceServiceRequest` documents (`resourceSpans[].scopeSpans[].spans[]`),
//! one pretty-printed document or JSON lines of them (the Collector's file exporter).
//!
//! Accepted variants: ids as hex (the OTLP/JSON rule) or base64 (a generic protobuf-to-JSON
//! mapping); times as decimal strings or numbers; `kind` as an integer or `SPAN_KIND_SERVER`;
//! lowerCamelCase or proto field names (`startTimeUnixNano`, `start_time_unix_nano`); the
//! pre-1.0 `instrumentationLibrarySpans`. A JSON line is parsed into structs borrowing from
//! it; a pretty-printed document is read a span at a time (`stream.rs`), each span parsed the
//! same way and decoded by the same `Decoder::span`.

use super::stream::{self, Scan, SpanErrors, Step, Stop, Walk};
use super::value::{CapVec, Int, KeyValue, Scalar, Text};
use super::{Assembler, DocError, Kind, Recent, SpanIn, describe, read_documents_with};
use crate::error::Result;
use crate::ingest::InputStats;
use crate::ingest::lines::ParseLine;
use crate::model::{FieldValue, Sym, TraceBuilder};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::collections::BTreeSet;
use std::fmt;
use std::io::BufRead;

mod fast;

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Request<'a> {
    #[serde(rename = "resourceSpans", alias = "resource_spans", borrow, default)]
    resource_spans: Option<Vec<ResourceSpans<'a>>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct ResourceSpans<'a> {
    #[serde(borrow, default)]
    resource: Option<Attributes<'a>>,
    #[serde(
        rename = "scopeSpans",
        alias = "scope_spans",
        alias = "instrumentationLibrarySpans",
        alias = "instrumentation_library_spans",
        borrow,
        default
    )]
    scope_spans: Vec<ScopeSpans<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Attributes<'a> {
    #[serde(borrow, default)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct ScopeSpans<'a> {
    #[serde(
        alias = "instrumentationLibrary",
        alias = "instrumentation_library",
        borrow,
        default
    )]
    scope: Option<Scope<'a>>,
    #[serde(borrow, default)]
    spans: CapVec<Span<'a>, 512>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Scope<'a> {
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Span<'a> {
    #[serde(rename = "traceId", alias = "trace_id", borrow, default)]
    trace_id: Option<Text<'a>>,
    #[serde(rename = "spanId", alias = "span_id", borrow, default)]
    span_id: Option<Text<'a>>,
    #[serde(rename = "parentSpanId", alias = "parent_span_id", borrow, default)]
    parent_span_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(default)]
    kind: Option<OtlpKind>,
    #[serde(rename = "startTimeUnixNano", alias = "start_time_unix_nano", default)]
    start: Option<Int>,
    #[serde(rename = "endTimeUnixNano", alias = "end_time_unix_nano", default)]
    end: Option<Int>,
    #[serde(borrow, default)]
    attributes: CapVec<KeyValue<'a>, 16>,
    #[serde(borrow, default)]
    events: Vec<Event<'a>>,
    #[serde(borrow, default)]
    status: Option<Status<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Event<'a> {
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    attributes: Vec<KeyValue<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Status<'a> {
    #[serde(borrow, default)]
    code: Option<Scalar<'a>>,
    #[serde(borrow, default)]
    message: Option<Text<'a>>,
}

/// `kind`: `2` or `"SPAN_KIND_SERVER"`; unknown values are no kind.
#[cfg_attr(test, derive(Debug, PartialEq))]
struct OtlpKind(Option<Kind>);

impl<'de> Deserialize<'de> for OtlpKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = OtlpKind;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a span kind (an integer or SPAN_KIND_...)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<OtlpKind, E> {
                Ok(OtlpKind(Kind::from_int(v as i64)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<OtlpKind, E> {
                Ok(OtlpKind(Kind::from_int(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<OtlpKind, E> {
                Ok(OtlpKind(kind_of_name(v)))
            }
        }
        d.deserialize_any(V)
    }
}

/// A kind written as a string: a name, or an integer in a string.
fn kind_of_name(v: &str) -> Option<Kind> {
    Kind::from_name(v).or_else(|| v.parse().ok().and_then(Kind::from_int))
}

fn text<'x>(t: &'x Option<Text<'_>>) -> &'x str {
    t.as_ref().map_or("", |t| &*t.0)
}

/// The OTLP status code as `OK` / `ERROR` (unset: none).
fn status_code(code: &str) -> Option<&'static str> {
    match code.trim() {
        "1" | "STATUS_CODE_OK" | "OK" => Some("OK"),
        "2" | "STATUS_CODE_ERROR" | "ERROR" => Some("ERROR"),
        _ => None,
    }
}

/// How many fields are added to a span's attributes: service, scope, status code and
/// description, kind, and `otel.trace_id` for a server or root span (what
/// [`Assembler::push`] adds). The fields are made with exactly this much room: they wait in
/// the window with their trace, so room left over is memory held. (`url.path` from Zipkin's
/// `http.path` and the exception fields are rare: they grow the vector.)
fn added_fields(service: bool, scope: bool, span: &Span<'_>) -> usize {
    let status = span.status.as_ref().map_or(0, |st| {
        usize::from(st.code.is_some()) + usize::from(st.message.is_some())
    });
    let kind = span.kind.as_ref().and_then(|k| k.0);
    let trace_id = kind == Some(Kind::Server) || span.parent_span_id.is_none();
    usize::from(service)
        + usize::from(scope)
        + status
        + usize::from(kind.is_some())
        + usize::from(trace_id)
}

/// Decodes an OTLP/JSON line on its own (any thread).
struct OtlpLines;

impl ParseLine for OtlpLines {
    type Parsed<'a> = serde_json::Result<Request<'a>>;
    fn parse<'a>(&self, line: &'a str) -> Self::Parsed<'a> {
        let line = line.trim_ascii();
        match fast::request(line) {
            Some(request) => Ok(request),
            None => serde_json::from_str(line),
        }
    }
}

/// What a span takes from the objects around it.
#[derive(Debug, Clone, Copy, Default)]
struct Context<'c> {
    service: Option<&'c str>,
    pid: Option<&'c str>,
    scope: Option<&'c str>,
}

/// `service.name` and `process.pid` of a resource's attributes.
fn resource_context<'c>(attributes: &'c [KeyValue<'_>]) -> Context<'c> {
    let find = |k: &str| {
        attributes
            .iter()
            .find(|kv| kv.key.0 == k)
            .map(|kv| &*kv.value.0)
    };
    Context {
        service: find("service.name"),
        pid: find("process.pid"),
        scope: None,
    }
}

/// A scope's name, when it has one.
fn scope_name<'s>(scope: &'s Option<Scope<'_>>) -> Option<&'s str> {
    scope
        .as_ref()
        .and_then(|s| s.name.as_ref())
        .map(|n| &*n.0)
        .filter(|n| !n.is_empty())
}

/// The per-span decoding both paths share (JSON lines, the stream of a pretty document).
struct Decoder {
    asm: Assembler,
    exc: (Sym, Sym),
    /// Spans of one instrumentation write the same keys in the same order: the key at each
    /// position is compared with the last two seen there before it is looked up (two: spans
    /// of two shapes alternate, a server span and its database span).
    key_at: Vec<Recent<2>>,
}

impl Decoder {
    /// One span, with what it takes from its resource and scope, into the window.
    fn span(
        &mut self,
        b: &mut TraceBuilder,
        stats: &mut InputStats,
        span: Span<'_>,
        ctx: Context<'_>,
        line: u64,
    ) {
        let keys = self.asm.keys;
        let mut fields: Vec<(Sym, FieldValue)> = Vec::with_capacity(
            span.attributes.0.len()
                + added_fields(ctx.service.is_some(), ctx.scope.is_some(), &span),
        );
        for (i, kv) in span.attributes.0.iter().enumerate() {
            if self.key_at.len() <= i {
                self.key_at.resize_with(i + 1, Recent::default);
            }
            let key = match self.key_at.get_mut(i) {
                Some(recent) => recent.sym(b, &kv.key.0),
                None => b.intern(&kv.key.0),
            };
            fields.push((key, self.asm.values.get_keyed(key, &kv.value.0)));
        }
        if let Some(s) = ctx.service {
            fields.push((keys.service, self.asm.values.get_keyed(keys.service, s)));
        }
        if let Some(s) = ctx.scope {
            fields.push((keys.scope, self.asm.values.get_keyed(keys.scope, s)));
        }
        if let Some(st) = &span.status {
            if let Some(code) = st.code.as_ref().and_then(|c| status_code(&c.0)) {
                fields.push((
                    keys.status_code,
                    self.asm.values.get_keyed(keys.status_code, code),
                ));
            }
            if let Some(m) = st.message.as_ref().filter(|m| !m.0.is_empty()) {
                fields.push((
                    keys.status_description,
                    self.asm.values.get_keyed(keys.status_description, &m.0),
                ));
            }
        }
        // The first `exception` event, in the exception semantic convention's keys.
        if let Some(ev) = span
            .events
            .iter()
            .find(|e| e.name.as_ref().is_some_and(|n| n.0 == "exception"))
        {
            for kv in &ev.attributes {
                let key = match &*kv.key.0 {
                    "exception.type" => self.exc.0,
                    "exception.message" => self.exc.1,
                    _ => continue,
                };
                fields.push((key, self.asm.values.get_keyed(key, &kv.value.0)));
            }
        }
        let s = SpanIn {
            trace_id: text(&span.trace_id),
            span_id: text(&span.span_id),
            parent_id: span.parent_span_id.as_ref().map(|t| &*t.0),
            name: text(&span.name),
            start: span.start.map(|t| t.0),
            end: span.end.map(|t| t.0),
            kind: span.kind.and_then(|k| k.0),
            shared: false,
            fields,
            pid: ctx.pid,
            line,
        };
        self.asm.push(b, stats, s);
    }
}

/// What is said of a document without `resourceSpans`.
fn not_otlp(what: &str) -> String {
    format!("not an OTLP/JSON ExportTraceServiceRequest (no resourceSpans): {what}")
}

/// Reads an OTLP/JSON input into `b`.
pub fn read(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder,
    stats: &mut InputStats,
) -> Result<()> {
    let asm = Assembler::new(b);
    let exc = (b.intern("exception.type"), b.intern("exception.message"));
    let mut dec = Decoder {
        asm,
        exc,
        key_at: Vec::new(),
    };
    let rest = read_documents_with(
        name,
        reader,
        stats,
        &OtlpLines,
        &mut |doc, line, parsed, stats| {
            let req: Request = parsed?;
            let Some(resources) = req.resource_spans else {
                return Err(DocError {
                    line: 0,
                    msg: not_otlp(&describe(doc.as_bytes())),
                });
            };
            for rs in resources {
                let resource = rs.resource.map(|r| r.attributes).unwrap_or_default();
                let ctx = resource_context(&resource);
                for ss in rs.scope_spans {
                    let ctx = Context {
                        scope: scope_name(&ss.scope),
                        ..ctx
                    };
                    for span in ss.spans.0 {
                        dec.span(b, stats, span, ctx, line);
                    }
                }
            }
            dec.asm.end_batch(b);
            Ok(())
        },
    )?;
    if let Some(rest) = rest {
        let mut walk = Stream {
            dec: &mut dec,
            b,
            held: Held::default(),
            errors: SpanErrors::default(),
        };
        stream::read(name, rest.line, rest.bytes, reader, stats, &mut walk)?;
    }
    dec.asm.finish(b, stats);
    Ok(())
}

/// The context of the spans being read, owned (it outlives the scanner's buffer).
#[derive(Debug, Default, Clone)]
struct OwnedContext {
    service: Option<String>,
    pid: Option<String>,
}

/// Spans waiting for their resource or scope (see `stream.rs`): their texts one after another,
/// each with its place, line, column and scope.
#[derive(Debug, Default)]
struct Held {
    text: Vec<u8>,
    spans: Vec<(usize, usize, u64, u64, usize)>,
    /// The scope name of each `scopeSpans` element with held spans (`None`: none).
    scopes: Vec<Option<String>>,
}

/// The stream reader's walk of an OTLP document.
struct Stream<'d, 'b> {
    dec: &'d mut Decoder,
    b: &'d mut TraceBuilder<'b>,
    held: Held,
    errors: SpanErrors,
}

impl Stream<'_, '_> {
    /// Decodes one span's text in `ctx`.
    fn decode(
        &mut self,
        stats: &mut InputStats,
        text: &[u8],
        line: u64,
        column: u64,
        ctx: Context<'_>,
    ) {
        let (dec, b) = (&mut *self.dec, &mut *self.b);
        self.errors
            .decode(text, line, column, stats, &mut |text, line, stats| {
                let span: Span = serde_json::from_str(text)?;
                dec.span(b, stats, span, ctx, line);
                dec.asm.end_batch(b);
                Ok(())
            });
    }

    /// The held spans, decoded now that their resource is known (scopes are, by then).
    fn release(&mut self, stats: &mut InputStats, resource: &OwnedContext) {
        let held = std::mem::take(&mut self.held);
        for &(from, to, line, column, scope) in &held.spans {
            let ctx = Context {
                service: resource.service.as_deref(),
                pid: resource.pid.as_deref(),
                scope: held.scopes.get(scope).and_then(|s| s.as_deref()),
            };
            self.decode(stats, &held.text[from..to], line, column, ctx);
        }
        // Keep the allocations for the next resource.
        let Held {
            mut text,
            mut spans,
            mut scopes,
        } = held;
        text.clear();
        spans.clear();
        scopes.clear();
        self.held = Held {
            text,
            spans,
            scopes,
        };
    }

    /// One `resourceSpans` element, after its `{`.
    fn resource_spans(&mut self, scan: &mut Scan<'_>, stats: &mut InputStats) -> Step<()> {
        let mut resource: Option<OwnedContext> = None;
        let mut first = true;
        while let Some(key) = scan.key(&mut first)? {
            match key.as_str() {
                "resource" => {
                    let parsed = scan.value(|text, _, _| {
                        serde_json::from_slice::<Option<Attributes>>(text).map(|r| {
                            let attrs = r.map(|r| r.attributes).unwrap_or_default();
                            let ctx = resource_context(&attrs);
                            OwnedContext {
                                service: ctx.service.map(str::to_string),
                                pid: ctx.pid.map(str::to_string),
                            }
                        })
                    })?;
                    // A resource that does not decode has no attributes (as one over the
                    // size limit).
                    let ctx = parsed.and_then(|r| r.ok()).unwrap_or_default();
                    self.release(stats, &ctx);
                    resource = Some(ctx);
                }
                "scopeSpans"
                | "scope_spans"
                | "instrumentationLibrarySpans"
                | "instrumentation_library_spans" => {
                    if !scan.open(b'[')? {
                        scan.skip_value()?;
                        continue;
                    }
                    let mut first = true;
                    while scan.element(&mut first)? {
                        if scan.open(b'{')? {
                            self.scope_spans(scan, stats, resource.as_ref())?;
                        } else {
                            scan.skip_value()?;
                        }
                    }
                }
                _ => scan.skip_value()?,
            }
        }
        let resource = resource.unwrap_or_default();
        self.release(stats, &resource);
        Ok(())
    }

    /// One `scopeSpans` element, after its `{`.
    fn scope_spans(
        &mut self,
        scan: &mut Scan<'_>,
        stats: &mut InputStats,
        resource: Option<&OwnedContext>,
    ) -> Step<()> {
        // Where its spans' scope is kept while they are held; `scope`: once it is known.
        let slot = self.held.scopes.len();
        self.held.scopes.push(None);
        let mut scope: Option<Option<String>> = None;
        let mut first = true;
        while let Some(key) = scan.key(&mut first)? {
            match key.as_str() {
                "scope" | "instrumentationLibrary" | "instrumentation_library" => {
                    let name = scan
                        .value(|text, _, _| {
                            serde_json::from_slice::<Option<Scope>>(text)
                                .ok()
                                .and_then(|s| scope_name(&s).map(str::to_string))
                        })?
                        .flatten();
                    if let Some(s) = self.held.scopes.get_mut(slot) {
                        s.clone_from(&name);
                    }
                    scope = Some(name);
                    if let Some(r) = resource {
                        self.release(stats, r);
                    }
                }
                "spans" => {
                    if !scan.open(b'[')? {
                        scan.skip_value()?;
                        continue;
                    }
                    let mut first = true;
                    while scan.element(&mut first)? {
                        let took = match (resource, &scope) {
                            (Some(r), Some(name)) => {
                                let ctx = Context {
                                    service: r.service.as_deref(),
                                    pid: r.pid.as_deref(),
                                    scope: name.as_deref(),
                                };
                                scan.span(|text, line, column| {
                                    self.decode(stats, text, line, column, ctx)
                                })?
                            }
                            _ => {
                                let held = &mut self.held;
                                scan.span(|text, line, column| {
                                    let from = held.text.len();
                                    held.text.extend_from_slice(text);
                                    held.spans.push((from, held.text.len(), line, column, slot));
                                })?
                            }
                        };
                        if let Err(line) = took {
                            self.errors.too_big(line, stats);
                        }
                    }
                }
                _ => scan.skip_value()?,
            }
        }
        if let Some(r) = resource {
            self.release(stats, r);
        }
        Ok(())
    }
}

impl Walk for Stream<'_, '_> {
    fn document(&mut self, scan: &mut Scan<'_>, stats: &mut InputStats) -> Step<()> {
        if !scan.open(b'{')? {
            let c = scan.skip_ws()?;
            scan.skip_value()?;
            return Err(Stop::NotFormat(not_otlp(stream::describe_value(c))));
        }
        let mut keys = BTreeSet::new();
        let mut found = false;
        let mut first = true;
        while let Some(key) = scan.key(&mut first)? {
            match key.as_str() {
                "resourceSpans" | "resource_spans" if scan.open(b'[')? => {
                    found = true;
                    let mut first = true;
                    while scan.element(&mut first)? {
                        if scan.open(b'{')? {
                            self.resource_spans(scan, stats)?;
                        } else {
                            scan.skip_value()?;
                        }
                    }
                }
                _ => scan.skip_value()?,
            }
            if keys.len() < 256 {
                keys.insert(key);
            }
        }
        self.dec.asm.end_batch(self.b);
        if !found {
            return Err(Stop::NotFormat(not_otlp(&stream::describe_object(&keys))));
        }
        Ok(())
    }

    fn flush(&mut self, stats: &mut InputStats) {
        if !self.held.spans.is_empty() {
            self.release(stats, &OwnedContext::default());
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

    /// The OpenTelemetry proto repository's `examples/trace.json` shape: upper-case hex ids,
    /// times as numbers, a parent that is not in the file, scope attributes.
    #[test]
    fn the_specifications_example_shape() {
        let doc = r#"{
  "resourceSpans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop.api"}}]},
    "scopeSpans": [{
      "scope": {"name": "shop.lib", "version": "2.0.0",
                "attributes": [{"key": "shop.scope.attribute", "value": {"stringValue": "x"}}]},
      "spans": [{
        "traceId": "0AF7651916CD43DD8448EB211C80319C",
        "spanId": "B7AD6B7169203331",
        "parentSpanId": "B7AD6B7169203330",
        "name": "a server span",
        "startTimeUnixNano": 1700000000000000000,
        "endTimeUnixNano": 1700000000250000000,
        "kind": 2,
        "attributes": [{"key": "shop.span.attr", "value": {"stringValue": "some value"}}]
      }]
    }]
  }]
}"#;
        let (t, stats) = read_str(Format::OtlpJson, doc);
        assert_eq!(t.spans.len(), 1);
        let s = &t.spans[0];
        assert_eq!(t.name(s), "a server span");
        assert_eq!(s.duration(), 250_000_000);
        assert_eq!((s.busy, s.idle), (None, None));
        assert_eq!(field(&t, 0, "otel.kind"), Some("server"));
        assert_eq!(field(&t, 0, "service.name"), Some("shop.api"));
        assert_eq!(field(&t, 0, "otel.scope.name"), Some("shop.lib"));
        assert_eq!(field(&t, 0, "shop.span.attr"), Some("some value"));
        assert_eq!(t.clock.origin_unix_ns, Some(1_700_000_000_000_000_000));
        // Its parent is in no batch: an orphan, warned about.
        assert!(
            stats
                .warnings
                .iter()
                .any(|w| w.contains("1 span whose parent is not in the input")),
            "{:?}",
            stats.warnings
        );
    }

    /// The Collector's file exporter: one request per line; a child (line 1) before its parent
    /// (line 2), times as strings, kinds as names, ids in base64 on line 2 and hex on line 1.
    #[test]
    fn json_lines_with_a_child_before_its_parent() {
        // 0x0102030405060708 = AQIDBAUGBwg=, trace 0x0102..10 = AQIDBAUGBwgJCgsMDQ4PEA==.
        let lines = concat!(
            r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1111111111111111","parentSpanId":"0102030405060708","name":"SELECT","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"1000000000","endTimeUnixNano":"1080000000","attributes":[{"key":"db.system","value":{"stringValue":"postgresql"}}]}]}]}]}"#,
            "\n",
            r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},"scopeSpans":[{"spans":[{"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"AQIDBAUGBwg=","name":"GET /orders/{id}","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1000000000","endTimeUnixNano":"1100000000","attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"http.route","value":{"stringValue":"/orders/{id}"}},{"key":"http.response.status_code","value":{"intValue":"200"}}]}]}]}]}"#,
            "\n"
        );
        let (t, stats) = read_str(Format::OtlpJson, lines);
        assert_eq!(stats.events, 2);
        assert!(stats.warnings.is_empty(), "{:?}", stats.warnings);
        let server = t
            .spans
            .iter()
            .position(|s| t.name(s) == "GET /orders/{id}")
            .unwrap();
        let db = t.spans.iter().position(|s| t.name(s) == "SELECT").unwrap();
        assert_eq!(t.spans[db].parent.map(|p| p.0 as usize), Some(server));
        assert_eq!(field(&t, server, "http.response.status_code"), Some("200"));
        assert_eq!(field(&t, db, "otel.kind"), Some("client"));
        assert_eq!(t.spans[server].duration(), 100_000_000);
    }

    /// Status, an `exception` event, proto field names, and the old `instrumentationLibrarySpans`.
    #[test]
    fn status_events_and_proto_names() {
        let doc = r#"{"resource_spans":[{"instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":"old.lib"},"spans":[{"trace_id":"01","span_id":"02","name":"work","kind":1,"start_time_unix_nano":5,"end_time_unix_nano":9,"status":{"code":2,"message":"boom"},"events":[{"name":"exception","timeUnixNano":"7","attributes":[{"key":"exception.type","value":{"stringValue":"ValueError"}},{"key":"exception.message","value":{"stringValue":"bad"}}]},{"name":"other"}]}]}]}]}"#;
        let (t, stats) = read_str(Format::OtlpJson, doc);
        assert_eq!(stats.events, 1);
        assert_eq!(field(&t, 0, "otel.kind"), Some("internal"));
        assert_eq!(field(&t, 0, "otel.scope.name"), Some("old.lib"));
        assert_eq!(field(&t, 0, "otel.status_code"), Some("ERROR"));
        assert_eq!(field(&t, 0, "otel.status_description"), Some("boom"));
        assert_eq!(field(&t, 0, "exception.type"), Some("ValueError"));
        assert_eq!(field(&t, 0, "exception.message"), Some("bad"));
        assert_eq!(t.spans[0].duration(), 4);
    }

    /// The room made for fields is what the reader adds: service and scope when known, the
    /// status's code and message, the kind, and `otel.trace_id` for a server or root span.
    #[test]
    fn room_for_the_added_fields() {
        fn span(json: &str) -> super::Span<'_> {
            serde_json::from_str(json).expect("a span")
        }
        let server = span(
            r#"{"kind":2,"parentSpanId":"01","status":{"code":2,"message":"boom"},"attributes":[]}"#,
        );
        assert_eq!(super::added_fields(true, true, &server), 6);
        assert_eq!(super::added_fields(false, false, &server), 4);
        let child = span(r#"{"kind":3,"parentSpanId":"01","status":{}}"#);
        assert_eq!(super::added_fields(true, true, &child), 3);
        let root_without_kind = span(r#"{"name":"x"}"#);
        assert_eq!(super::added_fields(false, false, &root_without_kind), 1);
    }

    /// Threads from `thread.id` / `thread.name`, keyed `pid:tid` with the resource's pid.
    #[test]
    fn threads_from_attributes() {
        let doc = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"process.pid","value":{"intValue":"41"}}]},"scopeSpans":[{"spans":[
{"traceId":"a1","spanId":"01","name":"GET","kind":2,"startTimeUnixNano":"100","endTimeUnixNano":"900","attributes":[{"key":"thread.id","value":{"intValue":"7"}},{"key":"thread.name","value":{"stringValue":"ThreadPoolExecutor-3_0"}}]},
{"traceId":"a1","spanId":"02","parentSpanId":"01","name":"cpu.burn","kind":1,"startTimeUnixNano":"200","endTimeUnixNano":"800","attributes":[{"key":"thread.id","value":{"intValue":"1"}},{"key":"thread.name","value":{"stringValue":"MainThread"}}]},
{"traceId":"a1","spanId":"03","parentSpanId":"01","name":"plain","startTimeUnixNano":"300","endTimeUnixNano":"400"}
]}]}]}"#;
        let (t, _) = read_str(Format::OtlpJson, doc);
        let thread = |i: usize| {
            t.spans[i]
                .opened_on
                .map(|th| (t.thread(th).key.clone(), t.thread(th).name.clone()))
        };
        assert_eq!(
            thread(0),
            Some(("41:7".into(), Some("ThreadPoolExecutor-3_0".into())))
        );
        assert_eq!(thread(1), Some(("41:1".into(), Some("MainThread".into()))));
        assert_eq!(t.spans[1].closed_on, t.spans[1].opened_on);
        assert_eq!(thread(2), None);
        assert_eq!(t.threads.len(), 2);
    }
}
