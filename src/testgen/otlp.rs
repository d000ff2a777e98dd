//! Seeded generator of OTLP/JSON lines (the Collector's file exporter: one
//! `ExportTraceServiceRequest` per line), shaped like a Django app's spans: a SERVER span per
//! request with the old HTTP semantic conventions and `thread.id`/`thread.name`, and under it a
//! database CLIENT span (I/O routes) or an INTERNAL `cpu.burn` span (CPU routes). Spans are
//! written in the order they end, 256 to a line, as a batch span processor exports them: a
//! trace's children come before its server span and may be on an earlier line. Used by the
//! `otel` bench, the `gen_otlp` example and `scripts/bench-otel.sh`.

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

fn line(out: &mut Vec<u8>, spans: &[GenSpan]) {
    let mut s = String::with_capacity(spans.len() * 900);
    s.push_str(r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"labsite"}},{"key":"telemetry.sdk.language","value":{"stringValue":"python"}},{"key":"telemetry.sdk.name","value":{"stringValue":"opentelemetry"}}]},"scopeSpans":[{"scope":{"name":"opentelemetry.instrumentation.django","version":"0.66b2"},"spans":["#);
    for (i, sp) in spans.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
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
    s.push_str("]}]}]}\n");
    out.extend_from_slice(s.as_bytes());
}

/// About `target_bytes` of OTLP/JSON lines (whole lines, so a little more), the same for the
/// same seed.
pub fn generate(target_bytes: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(target_bytes + 512 * 1024);
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
        for spans in chunk.chunks(SPANS_PER_LINE) {
            line(&mut out, spans);
        }
        chunk.clear();
    }
    out
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
