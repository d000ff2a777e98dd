//! Seeded generator of OTLP/JSON lines (the Collector's file exporter: one
//! `ExportTraceServiceRequest` per line), shaped like a Django app's spans: a SERVER span per
//! request with the old HTTP semantic conventions and `thread.id`/`thread.name`, and under it a
//! database CLIENT span (I/O routes) or an INTERNAL `cpu.burn` span (CPU routes). Spans are
//! written in the order they end, 256 to a line, as a batch span processor exports them: a
//! trace's children come before its server span and may be on an earlier line. Used by the
//! `otel` bench, the `gen_otlp` example and `scripts/bench-otel.sh`; [`generate_pretty`] writes
//! the same spans as one pretty-printed document (`scripts/bench-otel-pretty.sh`).

use super::rng::Rng;
use std::fmt::Write as _;

/// Unix time of the first request: 2026-11-24T00:00:00Z.
const T0: u64 = 1_795_478_400_000_000_000;
const SPANS_PER_LINE: usize = 256;

struct GenSpan {
    trace: u64,
    id: u64,
    parent: u64,
    name: &'static str,
    kind: u8,
    start: u64,
    end: u64,
    attrs: String,
}

fn kv_str(out: &mut String, key: &str, value: &str) {
    let _ = write!(
        out,
        r#"{{"key":"{key}","value":{{"stringValue":"{value}"}}}},"#
    );
}

fn kv_int(out: &mut String, key: &str, value: u64) {
    let _ = write!(
        out,
        r#"{{"key":"{key}","value":{{"intValue":"{value}"}}}},"#
    );
}

/// What comes before a request's spans: its resource and scope, and the `spans` key.
const HEAD: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"labsite"}},{"key":"telemetry.sdk.language","value":{"stringValue":"python"}},{"key":"telemetry.sdk.name","value":{"stringValue":"opentelemetry"}}]},"scopeSpans":[{"scope":{"name":"opentelemetry.instrumentation.django","version":"0.66b2"},"spans":["#;
/// What closes it.
const TAIL: &str = "]}]}]}";

/// One span, compact.
fn span(s: &mut String, sp: &GenSpan) {
    let _ = write!(
        s,
        r#"{{"traceId":"{:032x}","spanId":"{:016x}","#,
        sp.trace, sp.id
    );
    if sp.parent != 0 {
        let _ = write!(s, r#""parentSpanId":"{:016x}","#, sp.parent);
    }
    let attrs = sp.attrs.trim_end_matches(',');
    let _ = write!(
        s,
        r#""flags":256,"name":"{}","kind":{},"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{attrs}],"status":{{}}}}"#,
        sp.name, sp.kind, sp.start, sp.end
    );
}

fn line(out: &mut Vec<u8>, spans: &[GenSpan]) {
    let mut s = String::with_capacity(spans.len() * 900);
    s.push_str(HEAD);
    for (i, sp) in spans.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        span(&mut s, sp);
    }
    s.push_str(TAIL);
    s.push('\n');
    out.extend_from_slice(s.as_bytes());
}

/// Writes compact JSON `text` as `jq .` would (two spaces an indent), starting at `depth`
/// indents; a string's contents are copied as they are.
fn pretty(out: &mut Vec<u8>, text: &str, depth: usize) {
    let indent = |out: &mut Vec<u8>, d: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', 2 * d));
    };
    let bytes = text.as_bytes();
    let (mut d, mut i) = (depth, 0);
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                out.extend_from_slice(&bytes[i..=j.min(bytes.len() - 1)]);
                i = j;
            }
            b'{' | b'[' => {
                out.push(c);
                if matches!(bytes.get(i + 1), Some(b'}' | b']')) {
                    out.push(bytes[i + 1]);
                    i += 1;
                } else {
                    d += 1;
                    indent(out, d);
                }
            }
            b'}' | b']' => {
                d -= 1;
                indent(out, d);
                out.push(c);
            }
            b',' => {
                out.push(c);
                indent(out, d);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(c),
        }
        i += 1;
    }
}

/// About `target_bytes` of OTLP/JSON lines (whole lines, so a little more), the same for the
/// same seed.
pub fn generate(target_bytes: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(target_bytes + 512 * 1024);
    requests(&mut out, target_bytes, seed, &mut |out, spans| {
        for spans in spans.chunks(SPANS_PER_LINE) {
            line(out, spans);
        }
    });
    out
}

/// The same spans as [`generate`] for the same seed, as one `ExportTraceServiceRequest`
/// pretty-printed (`jq .` of all of them in one document: one resource, one scope), about
/// `target_bytes` long (the bench of the stream reader).
pub fn generate_pretty(target_bytes: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(target_bytes + 512 * 1024);
    let head = format!("{HEAD}\"\"]}}]}}]}}");
    let mut doc = Vec::new();
    pretty(&mut doc, &head, 0);
    // Everything up to the `spans` list's `[`, the list being where the spans go.
    let open = memchr::memmem::find(&doc, b"\"spans\": [").map_or(doc.len(), |p| p + 10);
    out.extend_from_slice(&doc[..open]);
    let mut first = true;
    let mut s = String::new();
    requests(&mut out, target_bytes, seed, &mut |out, spans| {
        for sp in spans {
            s.clear();
            span(&mut s, sp);
            out.extend_from_slice(if first {
                b"\n            "
            } else {
                b",\n            "
            });
            first = false;
            pretty(out, &s, 6);
        }
    });
    out.extend_from_slice(b"\n          ]\n        }\n      ]\n    }\n  ]\n}\n");
    out
}

/// Requests until `out` holds `target_bytes`: each 200 handed to `write` as spans, in the
/// order they end.
fn requests(
    out: &mut Vec<u8>,
    target_bytes: usize,
    seed: u64,
    write: &mut dyn FnMut(&mut Vec<u8>, &[GenSpan]),
) {
    let mut rng = Rng::new(seed);
    let mut t = T0;
    let mut next_id: u64 = 0;
    let mut chunk: Vec<GenSpan> = Vec::new();
    while out.len() < target_bytes {
        // 200 requests, then their spans in the order they end.
        for _ in 0..200 {
            next_id += 1;
            let trace = next_id.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            t += rng.range(1_000_000, 5_000_000);
            let thread = rng.range(0, 4);
            let (route, io) = match rng.next_u64() % 4 {
                0 => ("orders/<int:id>/", true),
                1 => ("report/", false),
                2 => ("search/", true),
                _ => ("health/", false),
            };
            let dur = if io {
                rng.range(20_000_000, 220_000_000)
            } else {
                rng.range(1_000_000, 300_000_000)
            };
            let (start, end) = (t, t + dur);
            let server = next_id << 8;
            let mut attrs = String::with_capacity(700);
            kv_str(&mut attrs, "http.method", "GET");
            kv_str(&mut attrs, "http.server_name", "127.0.0.1");
            kv_str(&mut attrs, "http.scheme", "http");
            kv_int(&mut attrs, "net.host.port", 8000);
            kv_str(&mut attrs, "http.host", "127.0.0.1:8000");
            let _ = write!(
                attrs,
                r#"{{"key":"http.target","value":{{"stringValue":"/{}?n={}"}}}},"#,
                route.replace("<int:id>", "17"),
                next_id % 97
            );
            kv_str(&mut attrs, "net.peer.ip", "127.0.0.1");
            kv_str(&mut attrs, "http.user_agent", "python-httpx/0.28.1");
            kv_str(&mut attrs, "http.flavor", "1.1");
            kv_str(&mut attrs, "http.route", route);
            kv_int(&mut attrs, "http.status_code", 200);
            kv_int(&mut attrs, "thread.id", 140_000 + thread);
            let _ = write!(
                attrs,
                r#"{{"key":"thread.name","value":{{"stringValue":"ThreadPoolExecutor-0_{thread}"}}}},"#
            );
            chunk.push(GenSpan {
                trace,
                id: server,
                parent: 0,
                name: match route {
                    "orders/<int:id>/" => "GET orders/<int:id>/",
                    "report/" => "GET report/",
                    "search/" => "GET search/",
                    _ => "GET health/",
                },
                kind: 2,
                start,
                end,
                attrs,
            });
            let (cs, ce) = (start + dur / 20, end - dur / 20);
            let mut attrs = String::with_capacity(300);
            if io {
                kv_str(&mut attrs, "db.system", "postgresql");
                kv_str(&mut attrs, "db.name", "shop");
                kv_str(
                    &mut attrs,
                    "db.statement",
                    "SELECT * FROM orders WHERE id = %s",
                );
                kv_str(&mut attrs, "db.user", "shop");
                kv_str(&mut attrs, "net.peer.name", "127.0.0.1");
                kv_int(&mut attrs, "net.peer.port", 5432);
            }
            kv_int(&mut attrs, "thread.id", 140_000 + thread);
            let _ = write!(
                attrs,
                r#"{{"key":"thread.name","value":{{"stringValue":"ThreadPoolExecutor-0_{thread}"}}}},"#
            );
            chunk.push(GenSpan {
                trace,
                id: server + 1,
                parent: server,
                name: if io { "SELECT shop" } else { "cpu.burn" },
                kind: if io { 3 } else { 1 },
                start: cs,
                end: ce,
                attrs,
            });
        }
        chunk.sort_by_key(|s| s.end);
        write(out, &chunk);
        chunk.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_lines_read_with_every_span() {
        let bytes = generate(600_000, 7);
        assert_eq!(bytes, generate(600_000, 7), "seeded");
        let ing = crate::ingest::ingest_bytes("gen.jsonl", &bytes, false).expect("reads");
        assert_eq!(ing.stats.format, crate::ingest::Format::OtlpJson);
        assert!(ing.stats.warnings.is_empty(), "{:?}", ing.stats.warnings);
        let spans = ing.trace.spans.len();
        let roots = ing
            .trace
            .spans
            .iter()
            .filter(|s| s.parent.is_none())
            .count();
        assert!(spans >= 800, "{spans}");
        assert_eq!(spans, 2 * roots, "every child found its server span");
    }
}
