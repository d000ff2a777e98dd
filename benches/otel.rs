//! Throughput on generated OTLP/JSON lines (`stallscope::testgen::otlp`, so `--features
//! testgen`): serde_json's floor (each line into `IgnoredAny`) and `stallscope analyze`'s
//! streaming read and analysis, side by side in one run. Size: `STALLSCOPE_BENCH_MB` (default
//! 20). Peak RSS on a 200 MB file: `scripts/bench-otel.sh`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stallscope::config::Config;
use stallscope::testgen::otlp;

mod lines;

fn bench(c: &mut Criterion) {
    let mb: usize = std::env::var("STALLSCOPE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let input = otlp::generate(mb << 20, 42);
    let cfg = Config::default();
    let mut g = c.benchmark_group(format!("otlp-json {mb} MB"));
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.sample_size(10);
    lines::floor_and_streaming(&mut g, &input, &cfg);
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
