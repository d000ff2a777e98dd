//! The two measurements every JSON-lines bench makes side by side, so that their ratio is the
//! figure to report: serde_json's floor (each line into `IgnoredAny`: nothing with serde_json
//! reads faster) and stallscope's streaming read and analysis, as `stallscope analyze` does it.

use criterion::BenchmarkGroup;
use criterion::measurement::WallTime;
use stallscope::config::Config;
use std::hint::black_box;

pub fn floor_and_streaming(g: &mut BenchmarkGroup<'_, WallTime>, bytes: &[u8], cfg: &Config) {
    g.bench_function("serde_json floor", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for line in bytes.split(|c| *c == b'\n').filter(|l| !l.is_empty()) {
                let v: serde::de::IgnoredAny = serde_json::from_slice(line).expect("valid line");
                black_box(v);
                n += 1;
            }
            n
        })
    });
    g.bench_function("streaming", |b| {
        b.iter(|| {
            let mut collector = stallscope::analyze::Collector::new(cfg);
            let ing = stallscope::ingest::ingest_bytes_streaming(
                "bench.jsonl",
                black_box(bytes),
                &mut collector,
            )
            .expect("generated input reads");
            black_box(collector.finish(&ing.trace).judgements.len())
        })
    });
}
