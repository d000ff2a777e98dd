//! Seeded generators of the two document formats of OpenTelemetry spans stallscope reads:
//! Jaeger JSON (the query API's `{"data": [trace, ...]}`, one trace per request) and Zipkin v2
//! JSON (one list of spans). The requests are a Django app's, as in [`super::otlp`]: a SERVER
//! span per request with `http.route`, `http.status_code` and `thread.id`, and under it a
//! database CLIENT span (I/O routes) or an INTERNAL `cpu.burn` span (CPU routes). Used by the
//! `readers` bench.

use super::rng::Rng;
use std::fmt::Write as _;

/// Unix time of the first request, in µs: 2026-11-24T00:00:00Z.
const T0_US: u64 = 1_795_478_400_000_000;

/// One request: its server span and its one child, times in µs.
struct Request {
    trace: u64,
    route: &'static str,
    io: bool,
    thread: u64,
    start: u64,
    dur: u64,
}

impl Request {
    fn draw(rng: &mut Rng, n: u64, t: &mut u64) -> Self {
        *t += rng.range(1_000, 5_000);
        let thread = rng.range(0, 4);
        let (route, io) = match rng.next_u64() % 4 {
            0 => ("orders/<int:id>/", true),
            1 => ("report/", false),
            2 => ("search/", true),
            _ => ("health/", false),
        };
        let dur = if io {
            rng.range(20_000, 220_000)
        } else {
            rng.range(1_000, 300_000)
        };
        Request {
            trace: n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            route,
            io,
            thread,
            start: *t,
            dur,
        }
    }

    fn child(&self) -> (&'static str, u64, u64) {
        let name = if self.io { "SELECT shop" } else { "cpu.burn" };
        (name, self.start + self.dur / 20, self.dur - self.dur / 10)
    }
}

fn jaeger_tag(s: &mut String, key: &str, ty: &str, value: &str) {
    let v = if ty == "string" {
        format!("\"{value}\"")
    } else {
        value.to_string()
    };
    let _ = write!(s, r#"{{"key":"{key}","type":"{ty}","value":{v}}},"#);
}

/// About `target_bytes` of Jaeger JSON (whole traces, so a little more), the same for the same
/// seed. Returns the bytes and the number of requests (traces).
pub fn jaeger(target_bytes: usize, seed: u64) -> (Vec<u8>, u64) {
    let mut rng = Rng::new(seed);
    let mut s = String::with_capacity(target_bytes + 8192);
    s.push_str(r#"{"data":["#);
    let (mut t, mut n) = (T0_US, 0u64);
    while s.len() < target_bytes {
        n += 1;
        let r = Request::draw(&mut rng, n, &mut t);
        if n > 1 {
            s.push(',');
        }
        let (server, child) = (n << 8, (n << 8) + 1);
        let mut tags = String::with_capacity(600);
        jaeger_tag(&mut tags, "span.kind", "string", "server");
        jaeger_tag(
            &mut tags,
            "otel.scope.name",
            "string",
            "opentelemetry.instrumentation.django",
        );
        jaeger_tag(
            &mut tags,
            "thread.id",
            "int64",
            &(140_000 + r.thread).to_string(),
        );
        let tname = format!("ThreadPoolExecutor-0_{}", r.thread);
        jaeger_tag(&mut tags, "thread.name", "string", &tname);
        jaeger_tag(&mut tags, "http.method", "string", "GET");
        jaeger_tag(
            &mut tags,
            "http.target",
            "string",
            &format!("/{}?n={}", r.route.replace("<int:id>", "17"), n % 97),
        );
        jaeger_tag(&mut tags, "http.route", "string", r.route);
        jaeger_tag(&mut tags, "http.status_code", "int64", "200");
        let _ = write!(
            s,
            r#"{{"traceID":"{tr:032x}","spans":[{{"traceID":"{tr:032x}","spanID":"{server:016x}","operationName":"GET {route}","references":[],"startTime":{},"duration":{},"tags":[{}],"logs":[],"processID":"p1","warnings":null,"flags":1}},"#,
            r.start,
            r.dur,
            tags.trim_end_matches(','),
            tr = r.trace,
            route = r.route,
        );
        let (name, cs, cd) = r.child();
        let mut tags = String::with_capacity(400);
        jaeger_tag(
            &mut tags,
            "span.kind",
            "string",
            if r.io { "client" } else { "internal" },
        );
        if r.io {
            jaeger_tag(&mut tags, "db.system", "string", "postgresql");
            jaeger_tag(
                &mut tags,
                "db.statement",
                "string",
                "SELECT * FROM orders WHERE id = %s",
            );
        }
        jaeger_tag(
            &mut tags,
            "thread.id",
            "int64",
            &(140_000 + r.thread).to_string(),
        );
        jaeger_tag(&mut tags, "thread.name", "string", &tname);
        let _ = write!(
            s,
            r#"{{"traceID":"{tr:032x}","spanID":"{child:016x}","operationName":"{name}","references":[{{"refType":"CHILD_OF","traceID":"{tr:032x}","spanID":"{server:016x}"}}],"startTime":{cs},"duration":{cd},"tags":[{}],"logs":[],"processID":"p1","warnings":null,"flags":1}}],"processes":{{"p1":{{"serviceName":"shop","tags":[{{"key":"telemetry.sdk.language","type":"string","value":"python"}}]}}}},"warnings":null}}"#,
            tags.trim_end_matches(','),
            tr = r.trace,
        );
    }
    s.push_str(r#"],"total":0,"limit":0,"offset":0,"errors":null}"#);
    s.push('\n');
    (s.into_bytes(), n)
}

/// About `target_bytes` of Zipkin v2 JSON (one list; whole requests, so a little more), the
/// same for the same seed. Returns the bytes and the number of requests.
pub fn zipkin(target_bytes: usize, seed: u64) -> (Vec<u8>, u64) {
    let mut rng = Rng::new(seed);
    let mut s = String::with_capacity(target_bytes + 8192);
    s.push('[');
    let (mut t, mut n) = (T0_US, 0u64);
    while s.len() < target_bytes {
        n += 1;
        let r = Request::draw(&mut rng, n, &mut t);
        if n > 1 {
            s.push(',');
        }
        let (server, child) = (n << 8, (n << 8) + 1);
        let thread = format!(
            r#""thread.id":"{}","thread.name":"ThreadPoolExecutor-0_{}""#,
            140_000 + r.thread,
            r.thread
        );
        let (name, cs, cd) = r.child();
        let (kind, db) = if r.io {
            (
                r#","kind":"CLIENT""#,
                r#""db.system":"postgresql","db.statement":"SELECT * FROM orders WHERE id = %s","#,
            )
        } else {
            ("", "")
        };
        // Zipkin lists a child before its parent when it ended first, as exporters do.
        let _ = write!(
            s,
            r#"{{"traceId":"{tr:032x}","parentId":"{server:016x}","id":"{child:016x}","name":"{name}","timestamp":{cs},"duration":{cd},"localEndpoint":{{"serviceName":"shop"}}{kind},"tags":{{{db}{thread},"otel.scope.name":"opentelemetry.instrumentation.django"}}}},"#,
            tr = r.trace,
        );
        let _ = write!(
            s,
            r#"{{"traceId":"{tr:032x}","id":"{server:016x}","name":"GET {route}","timestamp":{},"duration":{},"localEndpoint":{{"serviceName":"shop"}},"kind":"SERVER","tags":{{{thread},"http.method":"GET","http.target":"/{target}?n={q}","http.route":"{route}","http.status_code":"200","otel.scope.name":"opentelemetry.instrumentation.django"}}}}"#,
            r.start,
            r.dur,
            tr = r.trace,
            route = r.route,
            target = r.route.replace("<int:id>", "17"),
            q = n % 97,
        );
    }
    s.push_str("]\n");
    (s.into_bytes(), n)
}

#[cfg(test)]
mod tests {
    use super::{jaeger, zipkin};
    use crate::ingest::Format;

    fn check(bytes: &[u8], requests: u64, format: Format) {
        let ing = crate::ingest::ingest_bytes("gen.json", bytes, false).expect("reads");
        assert_eq!(ing.stats.format, format);
        assert!(ing.stats.warnings.is_empty(), "{:?}", ing.stats.warnings);
        let spans = ing.trace.spans.len() as u64;
        let roots = ing
            .trace
            .spans
            .iter()
            .filter(|s| s.parent.is_none())
            .count() as u64;
        assert_eq!(
            (spans, roots),
            (2 * requests, requests),
            "every child under its server span"
        );
    }

    /// Same seed, same bytes; every request is one root span with its one child.
    #[test]
    fn generated_documents_read_with_every_span() {
        let (j, n) = jaeger(300_000, 3);
        assert!(j.len() >= 300_000 && n > 100);
        assert_eq!(j, jaeger(300_000, 3).0);
        check(&j, n, Format::JaegerJson);
        let (z, n) = zipkin(300_000, 3);
        assert!(z.len() >= 300_000 && n > 100);
        assert_eq!(z, zipkin(300_000, 3).0);
        check(&z, n, Format::ZipkinJson);
    }
}
