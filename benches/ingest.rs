//! Throughput of `analyze` (parse + analysis) on a generated tracing JSON log.
//!
//! Size: `STALLSCOPE_BENCH_MB` (default 20; the figure is taken with 200).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stallscope::config::Config;
use std::hint::black_box;

#[path = "gen.rs"]
mod generator;

fn bench(c: &mut Criterion) {
    let mb: usize = std::env::var("STALLSCOPE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let log = generator::tracing_json(mb << 20, 42);
    let cfg = Config::default();
    let mut g = c.benchmark_group("tracing-json");
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.sample_size(10);
    g.bench_function(format!("ingest+analyze {mb} MB"), |b| {
        b.iter(|| {
            let ing = stallscope::ingest::ingest_bytes("bench.log", black_box(&log), false, &cfg)
                .expect("generated log parses");
            let a = stallscope::analyze::analyze(&ing.trace, &cfg);
            black_box(a.verdicts.len())
        })
    });
    g.bench_function(format!("ingest only {mb} MB"), |b| {
        b.iter(|| {
            let ing = stallscope::ingest::ingest_bytes("bench.log", black_box(&log), false, &cfg)
                .expect("generated log parses");
            black_box(ing.trace.spans.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
