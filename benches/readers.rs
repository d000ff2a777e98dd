//! Throughput of the readers without a bench of their own, each on a generated input
//! (`stallscope::testgen`, so `--features testgen`) of `STALLSCOPE_BENCH_MB` MB (MiB, default
//! 20), two measurements side by side in one run so their ratio is the figure to report:
//!
//! - the floor: for JSON lines, every line parsed by serde_json into `IgnoredAny`; for a JSON
//!   document, the whole document into `IgnoredAny`; for text, splitting it into lines (`memchr`
//!   counting the newlines). Nothing that reads the format at all can go faster;
//! - `read + analyze`: `ingest_bytes` (sniffing, the reader, the model) then `analyze`, as
//!   `stallscope analyze` does for one input.
//!
//! The groups: `tracing-text` (FmtSpan::FULL), `console-capture` (`stallscope record`),
//! `jaeger-json`, `zipkin-json`, `har`, `asyncio-debug`. The other readers have their own
//! benches: `ingest` (tracing JSON), `chrome`, `console` (recordings), `otel` (OTLP).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::de::IgnoredAny;
use stallscope::config::Config;
use stallscope::testgen::{asyncio_log, console_capture, har, otel_docs, tracing_text};
use std::hint::black_box;

/// How the floor reads the input.
#[derive(Clone, Copy)]
enum Floor {
    /// Lines, counted with memchr.
    Text,
    /// One JSON value per line.
    JsonLines,
    /// One JSON document.
    JsonDocument,
}

fn group(c: &mut Criterion, name: &str, bytes: &[u8], floor: Floor) {
    let cfg = Config::default();
    let mut g = c.benchmark_group(format!("{name} {} MB", bytes.len() >> 20));
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(10);
    match floor {
        Floor::Text => g.bench_function("line split floor", |b| {
            b.iter(|| memchr::memchr_iter(b'\n', black_box(bytes)).count())
        }),
        Floor::JsonLines => g.bench_function("serde_json floor", |b| {
            b.iter(|| {
                let mut n = 0usize;
                for line in bytes.split(|c| *c == b'\n').filter(|l| !l.is_empty()) {
                    let v: IgnoredAny = serde_json::from_slice(line).expect("valid line");
                    black_box(v);
                    n += 1;
                }
                n
            })
        }),
        Floor::JsonDocument => g.bench_function("serde_json floor", |b| {
            b.iter(|| {
                let v: IgnoredAny = serde_json::from_slice(black_box(bytes)).expect("valid JSON");
                black_box(v)
            })
        }),
    };
    g.bench_function("read + analyze", |b| {
        b.iter(|| {
            let ing = stallscope::ingest::ingest_bytes("bench", black_box(bytes), false)
                .expect("generated input reads");
            black_box(
                stallscope::analyze::analyze(&ing.trace, &cfg)
                    .judgements
                    .len(),
            )
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let mb: usize = std::env::var("STALLSCOPE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let size = mb << 20;
    group(
        c,
        "tracing-text",
        &tracing_text::generate_log(size, 42),
        Floor::Text,
    );
    group(
        c,
        "console-capture",
        &console_capture::generate(size, 42).0,
        Floor::JsonLines,
    );
    group(
        c,
        "jaeger-json",
        &otel_docs::jaeger(size, 42).0,
        Floor::JsonDocument,
    );
    group(
        c,
        "zipkin-json",
        &otel_docs::zipkin(size, 42).0,
        Floor::JsonDocument,
    );
    group(c, "har", &har::generate(size, 42).0, Floor::JsonDocument);
    group(
        c,
        "asyncio-debug",
        &asyncio_log::generate(size, 42).0,
        Floor::Text,
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
