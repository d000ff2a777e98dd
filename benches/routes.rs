//! The cost of many endpoints (issue 10, item 7): the same 20,000 requests to one route, read
//! and judged as `stallscope analyze` does (streaming read, the detectors, the report model;
//! rendering, which grows with the rows printed, left out), with
//!
//! - `1 path`: every request to `/users/user-1000/profile` (one endpoint);
//! - `6667 paths, not ids`: `/users/user-<n>/profile`, which route derivation keeps apart (6,667
//!   endpoints: the cost of many endpoints, no templating);
//! - `6667 paths, ids`: `/users/<n>/profile`, derived into one endpoint `GET /users/{id}/profile`.
//!
//! Each case runs `STALLSCOPE_BENCH_RUNS` times (default 5) after one warm-up run; the median is
//! printed with the ratio to `1 path`. The goal: many endpoints cost at most 2x one endpoint.
//! `cargo bench --features testgen --bench routes` (`STALLSCOPE_BENCH_REQUESTS` sets the
//! number of requests, default 20000).

use stallscope::config::Config;
use stallscope::testgen::routes_log::{Paths, generate};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Reads, judges and builds the report model of `log`; the number of verdict rows.
fn analyze(log: &[u8], cfg: &Config) -> usize {
    let mut collector = stallscope::analyze::Collector::new(cfg);
    let ing =
        stallscope::ingest::ingest_bytes_streaming("bench.jsonl", black_box(log), &mut collector)
            .expect("generated log reads");
    let a = collector.finish(&ing.trace);
    let mut report = stallscope::report::Report::new(cfg);
    report.add(&ing.stats, &ing.trace, &a, cfg);
    report.verdicts.len()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter is not supported (three cases, side by side).
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let requests = env("STALLSCOPE_BENCH_REQUESTS", 20_000);
    let runs = env("STALLSCOPE_BENCH_RUNS", 5).max(1);
    let distinct = requests.div_ceil(3);
    let cfg = Config::default();
    let cases = [
        (
            "1 path".to_string(),
            generate(requests, 1, Paths::Words, 42),
        ),
        (
            format!("{distinct} paths, not ids"),
            generate(requests, distinct, Paths::Words, 42),
        ),
        (
            format!("{distinct} paths, ids"),
            generate(requests, distinct, Paths::Ids, 42),
        ),
    ];
    println!("routes: {requests} requests, median of {runs} runs");
    let mut base = None;
    for (name, log) in &cases {
        let rows = analyze(log, &cfg);
        let times: Vec<Duration> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                black_box(analyze(log, &cfg));
                t.elapsed()
            })
            .collect();
        let m = median(times);
        let b = *base.get_or_insert(m);
        println!(
            "  {name:<24} {:>9.1} ms  {rows:>5} rows  {:.2}x",
            m.as_secs_f64() * 1e3,
            m.as_secs_f64() / b.as_secs_f64()
        );
    }
}
