//! Throughput on a generated tracing JSON log (`stallscope::testgen::tracing_log`, so
//! `--features testgen`), side by side in one run so the figures compare
//! as ratios on a shared, noisy machine:
//!
//! - `serde_json floor`: every line parsed by serde_json into `IgnoredAny` (the cost of reading
//!   JSON at all; nothing can go faster with serde_json);
//! - `streaming`: what `stallscope analyze` does: parse, match spans, measure each request tree
//!   as it closes, then the detectors;
//! - `whole trace`: the same with the whole trace built in memory first.
//!
//! Size: `STALLSCOPE_BENCH_MB` (default 20; the figure in the notes is taken with 200).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stallscope::config::Config;
use stallscope::testgen::tracing_log;
use std::hint::black_box;

mod lines;

fn bench(c: &mut Criterion) {
    let mb: usize = std::env::var("STALLSCOPE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let log = tracing_log::generate_log(mb << 20, 42);
    let cfg = Config::default();
    let mut g = c.benchmark_group(format!("tracing-json {mb} MB"));
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.sample_size(10);
    lines::floor_and_streaming(&mut g, &log, &cfg);
    g.bench_function("whole trace", |b| {
        b.iter(|| {
            let ing = stallscope::ingest::ingest_bytes("bench.log", black_box(&log), false)
                .expect("generated log parses");
            black_box(
                stallscope::analyze::analyze(&ing.trace, &cfg)
                    .judgements
                    .len(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
