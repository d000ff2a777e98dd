//! Throughput on a generated DevTools-style trace (`../shared/tools/gen_chrome_trace.py`),
//! side by side in one run: serde_json's floor (the whole document into `IgnoredAny`) and
//! stallscope's read + analysis of the same bytes.
//!
//! Size: `STALLSCOPE_CHROME_EVENTS` events (default 65 000, about 20 MB; 1 000 000 is ~300 MB).
//! Without python3 or the generator this bench measures nothing: it says so, and why, on stderr
//! (it does not fail, so that `cargo bench` still runs the other benches).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stallscope::config::Config;
use std::hint::black_box;
use std::path::Path;
use std::process::Command;

fn bench(c: &mut Criterion) {
    let events: u64 = std::env::var("STALLSCOPE_CHROME_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(65_000);
    let generator =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/gen_chrome_trace.py");
    let out = std::env::temp_dir().join(format!("stallscope-bench-chrome-{events}.json"));
    let why_not = if !generator.is_file() {
        Some(format!("no generator at {}", generator.display()))
    } else {
        match Command::new("python3")
            .arg(&generator)
            .arg(&out)
            .arg(events.to_string())
            .arg("7")
            .output()
        {
            Err(e) => Some(format!("cannot run python3: {e}")),
            Ok(o) if !o.status.success() => Some(format!(
                "{} failed ({}): {}",
                generator.display(),
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Ok(_) => None,
        }
    };
    if let Some(why) = why_not {
        eprintln!("the chrome bench measures nothing: {why}");
        return;
    }
    let bytes = std::fs::read(&out).expect("generated trace");
    let _ = std::fs::remove_file(&out);
    let cfg = Config::default();
    let mut g = c.benchmark_group(format!("chrome {} MB", bytes.len() >> 20));
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.sample_size(10);
    g.bench_function("serde_json floor", |b| {
        b.iter(|| {
            let v: serde::de::IgnoredAny =
                serde_json::from_slice(black_box(&bytes)).expect("valid trace");
            black_box(v)
        })
    });
    g.bench_function("read + analyze", |b| {
        b.iter(|| {
            let ing = stallscope::ingest::ingest_bytes("bench.json", black_box(&bytes), false)
                .expect("generated trace parses");
            black_box(
                stallscope::analyze::analyze(&ing.trace, &cfg)
                    .browser
                    .long_tasks
                    .len(),
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
