//! Throughput on a generated console-subscriber recording
//! (`stallscope::testgen::console_recording`, feature `testgen`), side by side in one run so the figures compare as
//! ratios on a shared, noisy machine:
//!
//! - `serde_json floor`: every line parsed by serde_json into `IgnoredAny` (the cost of reading
//!   JSON at all; nothing can go faster with serde_json);
//! - `streaming`: what `stallscope analyze` does with a recording: parse each event, follow
//!   the tasks alive at once and sum each into its group as it closes, then the detectors.
//!
//! Needs `--features testgen`. Size: `STALLSCOPE_CONSOLE_TASKS` tasks (default 3 800, about 20 MB; 38 000 is ~200 MB).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stallscope::config::Config;
use stallscope::testgen::console_recording as testgen;

mod lines;

fn bench(c: &mut Criterion) {
    let tasks: usize = std::env::var("STALLSCOPE_CONSOLE_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_800);
    let mut rec = Vec::new();
    testgen::generate_recording(&mut rec, tasks, 7).expect("writes to memory");
    eprintln!(
        "console recording: {tasks} tasks, {} bytes ({:.1} MB)",
        rec.len(),
        rec.len() as f64 / (1 << 20) as f64
    );
    let cfg = Config::default();
    let mut g = c.benchmark_group(format!("console {} MB", rec.len() >> 20));
    g.throughput(Throughput::Bytes(rec.len() as u64));
    g.sample_size(10);
    lines::floor_and_streaming(&mut g, &rec, &cfg);
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
