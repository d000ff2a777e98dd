//! Writes a seeded console-subscriber recording for benchmarks:
//! `cargo run --release --features testgen --example gen_console_recording -- OUT TASKS [SEED]`
//! (about 5.5 KB per task: 38 000 tasks make ~210 MB).

use std::io::{BufWriter, Write};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(tasks)) = (
        args.get(1),
        args.get(2).and_then(|m| m.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: gen_console_recording OUT TASKS [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(7);
    let written = std::fs::File::create(out).and_then(|f| {
        let mut w = BufWriter::with_capacity(1 << 20, f);
        stallscope::testgen::console_recording::generate_recording(&mut w, tasks, seed)?;
        w.flush()
    });
    if let Err(e) = written {
        eprintln!("gen_console_recording: {out}: {e}");
        std::process::exit(2);
    }
}
