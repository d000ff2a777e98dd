//! OpenTelemetry spans (issue 11, section 1 and the reader side of section 2): OTLP/JSON, Jaeger
//! JSON and Zipkin v2 JSON, end to end on the small files in `tests/data/formats/otel/` (its
//! README says what each shows and which source its shape follows).

use crate::schema::check_with;
use crate::support::{analyze, analyze_json, manifest_dir, stallscope};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    manifest_dir().join("tests/data/formats/otel").join(name)
}

/// The verdict row of `endpoint`: (requests, p50 ms, evidence).
#[track_caller]
fn row(r: &Value, endpoint: &str) -> (u64, f64, String) {
    let v = r["verdicts"]
        .as_array()
        .and_then(|rows| rows.iter().find(|v| v["endpoint"] == endpoint))
        .unwrap_or_else(|| panic!("no row {endpoint}: {}", r["verdicts"]));
    (
        v["requests"].as_u64().unwrap_or(0),
        v["p50_ms"].as_f64().unwrap_or(-1.0),
        v["evidence"].to_string(),
    )
}

fn warnings(r: &Value) -> Vec<String> {
    r["inputs"][0]["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The same five requests as the Collector's file exporter writes them (two batches, children
/// before their server spans), as Jaeger's query API returns them and as OpenTelemetry's
/// Zipkin exporter posts them: the same rows. Server spans (kind 2 / `span.kind=server` /
/// `SERVER`) with `http.route` are requests named by method + route; the `db.system` child is
/// an I/O call.
#[test]
fn otlp_jaeger_and_zipkin_give_the_same_rows() {
    for (file, format) in [
        ("otlp-collector.jsonl", "otlp-json"),
        ("jaeger-api.json", "jaeger-json"),
        ("zipkin-posts.jsonl", "zipkin-json"),
    ] {
        let path = data(file);
        let r = analyze_json(&[], &[&path]);
        let input = &r["inputs"][0];
        assert_eq!(input["format"], format, "{file}");
        assert_eq!(input["spans"], 10, "{file}");
        assert_eq!(input["requests"], 5, "{file}");
        assert_eq!(input["skipped"], 0, "{file}");
        assert_eq!(warnings(&r), Vec::<String>::new(), "{file}");
        let (n, p50, evidence) = row(&r, "GET /orders/<int:id>/");
        assert_eq!((n, p50), (3, 100.0), "{file}");
        assert!(
            evidence.contains("I/O call: SELECT shop has db.system=postgresql"),
            "{file}: {evidence}"
        );
        let (n, p50, _) = row(&r, "GET /report/");
        assert_eq!((n, p50), (2, 300.0), "{file}");
        check_with(&[], &[&path]);
    }
}

/// The OpenTelemetry proto repository's example shape (pretty-printed, upper-case hex ids,
/// times as numbers, a parent outside the file) and a generic protobuf-JSON mapping (base64
/// ids, `SPAN_KIND_*` names, new HTTP conventions: the endpoint from `url.path`, query dropped).
#[test]
fn the_specification_example_and_protobuf_json() {
    let path = data("otlp-spec-example.json");
    let (code, _, stderr) = analyze(&path, &["--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let r = analyze_json(&[], &[&path]);
    assert_eq!(r["inputs"][0]["requests"], 1);
    assert_eq!(row(&r, "POST /cart").1, 400.0);
    assert!(
        stderr.contains("1 span whose parent is not in the input (orphans)"),
        "{stderr}"
    );

    let r = analyze_json(&[], &[&data("otlp-protobuf-json.json")]);
    assert_eq!(r["inputs"][0]["spans"], 2);
    assert_eq!(r["inputs"][0]["requests"], 1);
    assert_eq!(row(&r, "GET /items").1, 150.0);
    assert_eq!(warnings(&r), Vec::<String>::new());
}

/// Jaeger's own fixture shape (`ui_01.json`): a bare trace, short ids, a repeated id (skipped,
/// warned), a `CHILD_OF` into another trace before the real parent, a `FOLLOWS_FROM` that is
/// not a parent, typed tags. OpenTracing's `db.type` is an I/O call.
#[test]
fn jaegers_fixture_shape() {
    let r = analyze_json(&[], &[&data("jaeger-ui-fixture.json")]);
    let input = &r["inputs"][0];
    assert_eq!(
        (input["events"].as_u64(), input["skipped"].as_u64()),
        (Some(3), Some(1))
    );
    let (n, p50, evidence) = row(&r, "GET /ping");
    assert_eq!((n, p50), (1, 40.0));
    assert!(
        evidence.contains("I/O call: redis GET has db.type=redis"),
        "{evidence}"
    );
    assert_eq!(
        warnings(&r),
        ["1 span repeating the id of another span of the same trace skipped (first at line 25)"]
    );
}

/// Bad spans among good ones: a line cut off, a span without an id, one ending before it
/// starts (skipped, counted, warned), a child 5 ms before its parent (clamped, warned), a
/// parent never seen (an orphan, warned); the two good requests are still read.
#[test]
fn bad_spans_are_skipped_with_warnings() {
    let path = data("otlp-bad-spans.jsonl");
    let r = analyze_json(&[], &[&path]);
    let input = &r["inputs"][0];
    assert_eq!(
        (input["events"].as_u64(), input["skipped"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(input["requests"], 2);
    assert_eq!(row(&r, "GET /sync-io/").0, 2);
    assert_eq!(
        warnings(&r),
        [
            "line 2: skipped: EOF while parsing an object (column 86)",
            "1 span without a span id skipped (first at line 1)",
            "1 span ending before its start skipped (first at line 3)",
            "1 span whose parent is not in the input (orphans) read as roots of their own (first at line 3)",
            "1 span ran outside its parent's time (clock skew, up to 5.000 ms): clamped into the parent",
        ]
    );
}

/// JSON that is not spans is named: OTLP metrics by what they are, anything else by its keys.
#[test]
fn json_that_is_not_spans_is_named() {
    let (code, _, stderr) = analyze(&data("otlp-metrics.json"), &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "otlp-metrics.json: OpenTelemetry metrics as OTLP/JSON (resourceMetrics), not spans"
        ),
        "{stderr}"
    );
    let out = stallscope()
        .args(["analyze", "-"])
        .write_stdin("{\"data\":[1,2],\"total\":2}\n{\"data\":[]}\n")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("-: JSON of an unknown shape (an object with keys data, total)"),
        "{stderr}"
    );
}

/// gzip on standard input reads the same.
#[test]
fn gzip_on_stdin() {
    let raw = std::fs::read(data("otlp-collector.jsonl")).expect("file");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).expect("gzip");
    let out = stallscope()
        .args(["analyze", "--format", "json", "-"])
        .write_stdin(gz.finish().expect("gzip"))
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(r["inputs"][0]["format"], "otlp-json");
    assert_eq!(r["inputs"][0]["gzip"], true);
    assert_eq!(r["inputs"][0]["requests"], 5);
}
