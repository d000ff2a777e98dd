//! The stream reader of pretty-printed span documents: the scanner on its own, then each
//! format's pretty shapes read through `ingest_bytes` and compared with the same spans read as
//! JSON lines.

use super::*;
use crate::ingest::Format;
use crate::ingest::otel::tests::{field, read_str};
use crate::ingest::otel::{jaeger, otlp, zipkin};
use crate::model::{Trace, TraceBuilder};

/// A reader handing out `chunk` bytes at a time, so values straddle buffer refills.
struct Chunks<'a>(&'a [u8], usize);

impl std::io::Read for Chunks<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(self.1).min(out.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// The texts and lines of the elements of the top-level list of `input`, read `chunk` bytes
/// at a time, and how the walk ended.
fn elements(input: &str, chunk: usize) -> (Vec<(String, u64, u64)>, String) {
    let mut r = std::io::BufReader::with_capacity(chunk, Chunks(input.as_bytes(), chunk));
    let mut s = Scan::new("t", &mut r, 1);
    let mut got = Vec::new();
    let mut walk = || -> Step<()> {
        assert!(s.open(b'[')?);
        let mut first = true;
        while s.element(&mut first)? {
            let took = s.span(|text, line, column| {
                got.push((String::from_utf8_lossy(text).into_owned(), line, column))
            })?;
            assert!(took.is_ok());
        }
        Ok(())
    };
    let end = match walk() {
        Ok(()) => "ok".to_string(),
        Err(Stop::Eof { what, line, .. }) => format!("eof in {what} at line {line}"),
        Err(Stop::Syntax { msg, line, column }) => format!("{msg} at {line}:{column}"),
        Err(e) => format!("{e:?}"),
    };
    (got, end)
}

/// Strings with escaped quotes and brackets, nested lists and objects, blanks and newlines
/// between and inside elements: each element whole, with the line and column it starts at.
#[test]
fn elements_across_refills_with_their_lines() {
    let input = "[\n  {\"a\": \"x\\\"]}\", \"b\": [1, {\"c\": \"[{\"}]},\n  7,\n\n  \"s\\\\\",\n  {\"d\":\n    {}}\n]\n";
    for chunk in [1, 2, 3, 7, 64, 4096] {
        let (got, end) = elements(input, chunk);
        assert_eq!(end, "ok", "chunk {chunk}");
        assert_eq!(
            got,
            [
                (r#"{"a": "x\"]}", "b": [1, {"c": "[{"}]}"#.to_string(), 2, 3),
                ("7".to_string(), 3, 3),
                (r#""s\\""#.to_string(), 5, 3),
                ("{\"d\":\n    {}}".to_string(), 6, 3),
            ],
            "chunk {chunk}"
        );
    }
}

/// Where a cut or bad JSON is found.
#[test]
fn cuts_and_bad_json_are_placed() {
    let (got, end) = elements("[\n  {\"a\": 1},\n  {\"b\": [1,", 3);
    assert_eq!((got.len(), end.as_str()), (1, "eof in a list at line 3"));
    let (got, end) = elements("[\n  {\"a\": 1}\n  {\"b\": 2}\n]", 5);
    assert_eq!(got.len(), 1);
    assert_eq!(end, "expected `,` or `]`, found '{' at 3:3");
    let (_, end) = elements("[{\"a\": \"no end", 4);
    assert_eq!(end, "eof in a string at line 1");
}

/// A value over the limit is skipped without being held, and reading goes on after it.
#[test]
fn a_span_over_the_limit_is_skipped() {
    let big = format!("[{{\"a\": \"{}\"}}, {{\"b\": 2}}]", "x".repeat(3000));
    let mut r = std::io::BufReader::with_capacity(64, Chunks(big.as_bytes(), 64));
    let mut s = Scan::new("t", &mut r, 1);
    s.max_value = 1000;
    let mut took = Vec::new();
    assert!(s.open(b'[').unwrap());
    let mut first = true;
    while s.element(&mut first).unwrap() {
        took.push(
            s.span(|text, _, _| String::from_utf8_lossy(text).into_owned())
                .unwrap(),
        );
    }
    assert_eq!(took, [Err(1), Ok("{\"b\": 2}".to_string())]);
}

type Read = fn(&str, &mut dyn BufRead, &mut TraceBuilder, &mut InputStats) -> Result<()>;

/// `text` read by `f` (not sniffed), its warnings.
fn read_with(f: Read, text: &str) -> Result<Vec<String>> {
    let mut b = TraceBuilder::new();
    let mut stats = InputStats::new("t.json", Format::OtlpJson, false);
    f("t.json", &mut text.as_bytes(), &mut b, &mut stats).map(|()| stats.warnings)
}

/// Each span as text: name, times, parent's name, thread, fields sorted.
fn spans(t: &Trace) -> Vec<String> {
    t.spans
        .iter()
        .map(|s| {
            let mut fields: Vec<String> = s
                .fields
                .iter()
                .map(|(k, v)| format!("{}={v}", t.strings.resolve(*k)))
                .collect();
            fields.sort();
            format!(
                "{} {}..{} parent={:?} thread={:?} {}",
                t.name(s),
                s.start,
                s.end,
                s.parent.map(|p| t.name(t.span(p))),
                s.opened_on.map(|th| &t.thread(th).key),
                fields.join(" ")
            )
        })
        .collect()
}

/// `doc` read as it is (pretty: the stream reader) and as one compact line (the JSON lines
/// reader): the same spans; the pretty reading's warnings are returned.
#[track_caller]
fn same_as_one_line(format: Format, doc: &str) -> (Trace, Vec<String>) {
    let (pretty, stats) = read_str(format, doc);
    let compact =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(doc).unwrap()).unwrap();
    let (line, line_stats) = read_str(format, &compact);
    assert_eq!(spans(&pretty), spans(&line));
    assert_eq!(
        (stats.events, stats.skipped),
        (line_stats.events, line_stats.skipped)
    );
    assert!(!pretty.spans.is_empty());
    (pretty, stats.warnings)
}

/// OTLP with the resource after its `scopeSpans` and a scope after its `spans` (the spans are
/// held until they are known), the old `instrumentationLibrarySpans`, attributes holding
/// lists and key-value lists, strings with escaped quotes and brackets.
#[test]
fn otlp_with_its_resource_and_scope_after_the_spans() {
    let doc = r#"{
  "resourceSpans": [
    {
      "scopeSpans": [
        {
          "spans": [
            {
              "traceId": "0af7651916cd43dd8448eb211c80319c",
              "spanId": "00000000000000a2",
              "parentSpanId": "00000000000000a1",
              "name": "SELECT \"x\" [1]",
              "kind": 3,
              "startTimeUnixNano": "1700000000100000000",
              "endTimeUnixNano": "1700000000200000000",
              "attributes": [
                {"key": "db.system", "value": {"stringValue": "postgresql"}},
                {"key": "list", "value": {"arrayValue": {"values": [{"intValue": "1"}, {"stringValue": "]}"}]}}},
                {"key": "map", "value": {"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": true}}]}}}
              ]
            }
          ],
          "scope": {"name": "db.lib"}
        },
        {
          "scope": {"name": "web.lib"},
          "spans": [
            {
              "traceId": "0af7651916cd43dd8448eb211c80319c",
              "spanId": "00000000000000a1",
              "name": "GET /a",
              "kind": 2,
              "startTimeUnixNano": "1700000000000000000",
              "endTimeUnixNano": "1700000000300000000",
              "attributes": [{"key": "thread.id", "value": {"intValue": "7"}}]
            }
          ]
        }
      ],
      "resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "shop"}},
        {"key": "process.pid", "value": {"intValue": "42"}}
      ]}
    },
    {
      "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "other"}}]},
      "instrumentationLibrarySpans": [
        {
          "spans": [
            {"traceId": "01", "spanId": "01", "name": "later", "startTimeUnixNano": 5, "endTimeUnixNano": 9}
          ],
          "instrumentationLibrary": {"name": "old.lib"}
        }
      ]
    }
  ]
}
"#;
    let (t, warnings) = same_as_one_line(Format::OtlpJson, doc);
    assert!(warnings.is_empty(), "{warnings:?}");
    let at = |name: &str| t.spans.iter().position(|s| t.name(s) == name).unwrap();
    let (db, server, later) = (at("SELECT \"x\" [1]"), at("GET /a"), at("later"));
    assert_eq!(field(&t, db, "service.name"), Some("shop"));
    assert_eq!(field(&t, db, "otel.scope.name"), Some("db.lib"));
    assert_eq!(field(&t, db, "list"), Some("[1, ]}]"));
    assert_eq!(field(&t, db, "map"), Some("{k: true}"));
    assert_eq!(field(&t, server, "otel.scope.name"), Some("web.lib"));
    assert_eq!(t.spans[db].parent.map(|p| p.0 as usize), Some(server));
    let th = t.spans[server]
        .opened_on
        .map(|th| t.thread(th).key.as_str());
    assert_eq!(th, Some("42:7"), "the pid of a resource that came after");
    assert_eq!(field(&t, later, "service.name"), Some("other"));
    assert_eq!(field(&t, later, "otel.scope.name"), Some("old.lib"));
}

/// Jaeger's query API shape with `processes` after `spans` (the usual order), two traces; and
/// a bare trace.
#[test]
fn jaeger_with_processes_after_the_spans() {
    let doc = r#"{
  "data": [
    {
      "traceID": "00000000000000a1",
      "spans": [
        {
          "traceID": "00000000000000a1",
          "spanID": "2",
          "operationName": "child \"q\" {",
          "references": [{"refType": "CHILD_OF", "traceID": "00000000000000a1", "spanID": "1"}],
          "startTime": 1700000000000100,
          "duration": 100,
          "tags": [{"key": "span.kind", "type": "string", "value": "client"}, {"key": "n", "type": "int64", "value": 3}],
          "processID": "p2"
        },
        {
          "traceID": "00000000000000a1",
          "spanID": "1",
          "operationName": "root",
          "references": [],
          "startTime": 1700000000000000,
          "duration": 500,
          "tags": [{"key": "span.kind", "type": "string", "value": "server"}],
          "processID": "p1"
        }
      ],
      "processes": {
        "p1": {"serviceName": "svc-x", "tags": [{"key": "process.pid", "type": "int64", "value": 9}]},
        "p2": {"serviceName": "svc-y", "tags": []}
      },
      "warnings": null
    },
    {
      "traceID": "00000000000000b1",
      "processes": {"p1": {"serviceName": "svc-z", "tags": []}},
      "spans": [
        {"traceID": "00000000000000b1", "spanID": "1", "operationName": "other", "startTime": 1700000000001000, "duration": 10, "processID": "p1"}
      ]
    }
  ],
  "total": 0,
  "errors": null
}"#;
    let (t, warnings) = same_as_one_line(Format::JaegerJson, doc);
    assert!(warnings.is_empty(), "{warnings:?}");
    let at = |name: &str| t.spans.iter().position(|s| t.name(s) == name).unwrap();
    assert_eq!(field(&t, at("root"), "service.name"), Some("svc-x"));
    assert_eq!(
        field(&t, at("child \"q\" {"), "service.name"),
        Some("svc-y")
    );
    assert_eq!(field(&t, at("other"), "service.name"), Some("svc-z"));

    let bare = r#"{
  "traceID": "00000000000000b1",
  "spans": [
    {"traceID": "00000000000000b1", "spanID": "1", "operationName": "one", "startTime": 1700000000000000, "duration": 5, "processID": "p1"}
  ],
  "processes": {"p1": {"serviceName": "svc"}}
}"#;
    let (t, _) = same_as_one_line(Format::JaegerJson, bare);
    assert_eq!(field(&t, 0, "service.name"), Some("svc"));
}

/// Zipkin: a list of spans and a list of lists, pretty-printed.
#[test]
fn zipkin_lists_pretty_printed() {
    let doc = r#"[
  {
    "traceId": "a",
    "id": "2",
    "parentId": "1",
    "name": "query",
    "kind": "CLIENT",
    "timestamp": 1100,
    "duration": 100,
    "remoteEndpoint": {"serviceName": "db"},
    "tags": {"sql": "select '[' from \"t\""}
  },
  {
    "traceId": "a",
    "id": "1",
    "name": "GET /x",
    "kind": "SERVER",
    "timestamp": 1000,
    "duration": 500,
    "localEndpoint": {"serviceName": "web"}
  }
]"#;
    let (t, _) = same_as_one_line(Format::ZipkinJson, doc);
    let query = t.spans.iter().position(|s| t.name(s) == "query").unwrap();
    assert_eq!(field(&t, query, "sql"), Some("select '[' from \"t\""));
    let lists = format!(
        "[\n  {doc},\n  [\n    {{\"traceId\": \"b\", \"id\": \"3\", \"name\": \"z\", \"timestamp\": 1, \"duration\": 1}}\n  ]\n]"
    );
    let (t, _) = same_as_one_line(Format::ZipkinJson, &lists);
    assert_eq!(t.spans.len(), 3);
}

/// The bench generator's pretty document reads as the same spans on one line, and as the
/// generator's JSON lines of the same seed up to where the document ends (it is longer a span).
#[cfg(feature = "testgen")]
#[test]
fn the_generators_pretty_document_reads_as_its_lines() {
    use crate::testgen::otlp;
    let pretty = otlp::generate_pretty(400_000, 3);
    assert!(pretty.iter().filter(|&&c| c == b'\n').count() > 10_000);
    let text = std::str::from_utf8(&pretty).expect("UTF-8");
    let (t, warnings) = same_as_one_line(Format::OtlpJson, text);
    assert!(warnings.is_empty(), "{warnings:?}");
    let lines = otlp::generate(200_000, 3);
    let b = crate::ingest::ingest_bytes("l.jsonl", &lines, false).expect("lines");
    let (x, y) = (spans(&t), spans(&b.trace));
    assert_eq!(x[..y.len().min(x.len())], y[..y.len().min(x.len())]);
}

/// A span that does not decode is skipped, counted and warned about with its line and
/// column; the others are read.
#[test]
fn a_bad_span_is_skipped_not_the_document() {
    let doc = "{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [\n  {\"traceId\": \"01\", \"spanId\": \"01\", \"name\": \"a\", \"startTimeUnixNano\": 5, \"endTimeUnixNano\": 9},\n  {\"traceId\": \"01\", \"spanId\": \"02\", \"name\": \"b\",\n   \"startTimeUnixNano\": {}, \"endTimeUnixNano\": 9},\n  {\"traceId\": \"01\", \"spanId\": \"03\", \"name\": [], \"startTimeUnixNano\": 5, \"endTimeUnixNano\": 9},\n  {\"traceId\": \"01\", \"spanId\": \"04\", \"name\": \"d\", \"startTimeUnixNano\": 6, \"endTimeUnixNano\": 8}\n]}]}]}\n";
    let (t, stats) = read_str(Format::OtlpJson, doc);
    let names: Vec<&str> = t.spans.iter().map(|s| t.name(s)).collect();
    assert_eq!(names, ["a", "d"]);
    assert_eq!((stats.events, stats.skipped), (2, 2));
    assert_eq!(
        stats.warnings,
        [
            "2 spans that could not be read skipped (the first at line 4: invalid type: map, expected an integer, as a number or a decimal string (column 26))"
        ]
    );
}

/// Documents cut off: after whole spans, what is there is read with a warning (held spans
/// too, without the context that did not come); before any span, the error names the line.
#[test]
fn documents_cut_off() {
    let doc = "{\n  \"data\": [\n    {\n      \"spans\": [\n        {\"traceID\": \"01\", \"spanID\": \"1\", \"operationName\": \"a\", \"startTime\": 5, \"duration\": 4, \"processID\": \"p1\"},\n        {\"traceID\": \"01\", \"spanID\": \"2\", \"operationName\": \"b\", \"sta";
    let (t, stats) = read_str(Format::JaegerJson, doc);
    assert_eq!(t.spans.len(), 1);
    assert_eq!(
        stats.warnings,
        [
            "line 6: the input ends in a document cut off (EOF while parsing a string (column 67)); read up to it"
        ]
    );
    let err =
        read_with(jaeger::read, "{\n  \"data\": [\n    {\"spans\": [").expect_err("nothing read");
    assert_eq!(
        err.to_string(),
        "t.json: line 3: EOF while parsing a list (column 15)"
    );
}

/// Several pretty documents one after another, then JSON lines: all read, in order, each
/// span's warnings at its own line.
#[test]
fn several_documents_then_lines() {
    let doc = |id: u32| {
        format!(
            "[\n  {{\n    \"traceId\": \"{id:x}\",\n    \"id\": \"{id:x}\",\n    \"name\": \"s{id}\",\n    \"timestamp\": {},\n    \"duration\": 5\n  }}\n]\n",
            1000 + id
        )
    };
    let mut input = format!("{}{}{}", doc(1), doc(2), doc(3));
    input.push_str(
        "[{\"traceId\":\"9\",\"id\":\"9\",\"name\":\"s9\",\"timestamp\":5000,\"duration\":5}]\n",
    );
    input.push_str("[{\"traceId\":\"a\",\"name\":\"no id\",\"timestamp\":5000,\"duration\":5}]\n");
    let (t, stats) = read_str(Format::ZipkinJson, &input);
    let names: Vec<&str> = t.spans.iter().map(|s| t.name(s)).collect();
    assert_eq!(names, ["s1", "s2", "s3", "s9"]);
    assert_eq!(
        stats.warnings,
        ["1 span without a span id skipped (first at line 29)"]
    );
}

/// A first document that is not the format's is the error it is on a line; a later one is
/// skipped with a warning.
#[test]
fn a_document_that_is_not_the_format() {
    let read = read_with;
    let cases: [(Read, &str, &str); 3] = [
        (
            otlp::read,
            "{\n  \"resourceMetrics\": [],\n  \"x\": {\"y\": [1]}\n}\n",
            "t.json: line 1: not an OTLP/JSON ExportTraceServiceRequest (no resourceSpans): OpenTelemetry metrics (resourceMetrics), not spans",
        ),
        (
            jaeger::read,
            "{\n  \"traceID\": \"x\",\n  \"errors\": [{\"code\": 404}]\n}",
            "t.json: line 1: not Jaeger JSON (neither data[] nor spans[]): a JSON object with keys errors, traceID",
        ),
        (
            zipkin::read,
            "[\n  {\"name\": \"x\"},\n  {\"a\": 1}\n]",
            "t.json: line 1: not Zipkin v2 spans (no traceId, no id): a JSON array",
        ),
    ];
    for (f, pretty, want) in cases {
        let err = read(f, pretty).expect_err(pretty);
        assert_eq!(err.to_string(), want);
        // The same document on one line: the same words.
        let compact =
            serde_json::to_string(&serde_json::from_str::<serde_json::Value>(pretty).unwrap())
                .unwrap()
                + "\n";
        assert_eq!(read(f, &compact).expect_err(pretty).to_string(), want);
    }
    // After a good document: skipped, said.
    let two = "[\n  {\"traceId\": \"1\", \"id\": \"1\", \"timestamp\": 1, \"duration\": 1}\n]\n[\n  {\"name\": \"x\"}\n]\n";
    let warnings = read(zipkin::read, two).expect("reads");
    assert_eq!(
        warnings,
        ["line 4: skipped: not Zipkin v2 spans (no traceId, no id): a JSON array"]
    );
}

/// Every prefix of a pretty document of each format, and the document with bytes replaced by
/// JSON's structural characters here and there: read or refused, never a panic or a hang.
#[test]
fn cut_and_garbled_documents_never_panic() {
    let docs: [(Read, &str); 3] = [
        (
            otlp::read,
            "{\n  \"resourceSpans\": [\n    {\n      \"scopeSpans\": [\n        {\n          \"spans\": [\n            {\"traceId\": \"01\", \"spanId\": \"02\", \"name\": \"a\\\"]\", \"startTimeUnixNano\": 5, \"endTimeUnixNano\": 9, \"attributes\": [{\"key\": \"k\", \"value\": {\"arrayValue\": {\"values\": [{\"intValue\": 1}]}}}]},\n            {\"traceId\": \"01\", \"spanId\": \"03\", \"parentSpanId\": \"02\", \"name\": \"b\", \"startTimeUnixNano\": 6, \"endTimeUnixNano\": 8}\n          ],\n          \"scope\": {\"name\": \"s\"}\n        }\n      ],\n      \"resource\": {\"attributes\": [{\"key\": \"service.name\", \"value\": {\"stringValue\": \"x\"}}]}\n    }\n  ]\n}\n",
        ),
        (
            jaeger::read,
            "{\n  \"data\": [\n    {\n      \"spans\": [\n        {\"traceID\": \"01\", \"spanID\": \"1\", \"operationName\": \"a{\", \"startTime\": 5, \"duration\": 4, \"processID\": \"p1\", \"tags\": [{\"key\": \"span.kind\", \"value\": \"server\"}]},\n        {\"traceID\": \"01\", \"spanID\": \"2\", \"operationName\": \"b\", \"references\": [{\"refType\": \"CHILD_OF\", \"spanID\": \"1\"}], \"startTime\": 6, \"duration\": 1, \"processID\": \"p1\"}\n      ],\n      \"processes\": {\"p1\": {\"serviceName\": \"svc\", \"tags\": []}}\n    }\n  ]\n}\n",
        ),
        (
            zipkin::read,
            "[\n  [\n    {\"traceId\": \"a\", \"id\": \"1\", \"name\": \"x]\", \"timestamp\": 1, \"duration\": 5, \"tags\": {\"k\": \"v\"}},\n    {\"traceId\": \"a\", \"id\": \"2\", \"parentId\": \"1\", \"timestamp\": 2, \"duration\": 1}\n  ],\n  {\"traceId\": \"b\", \"id\": \"3\", \"timestamp\": 3, \"duration\": 1}\n]\n",
        ),
    ];
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (f, doc) in docs {
        assert!(read_with(f, doc).is_ok(), "{doc}");
        for cut in 1..doc.len() {
            if doc.is_char_boundary(cut) {
                let _ = read_with(f, &doc[..cut]);
            }
        }
        for _ in 0..2_000 {
            let mut bytes = doc.as_bytes().to_vec();
            for _ in 0..1 + next() % 3 {
                let at = (next() % bytes.len() as u64) as usize;
                let pick: &[u8] = b"{}[]\",:\\ \nx0";
                bytes[at] = pick[(next() % pick.len() as u64) as usize];
            }
            let _ = read_with(f, &String::from_utf8_lossy(&bytes));
        }
    }
}
