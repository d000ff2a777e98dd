//! Writes the seeded benchmark log (`stallscope::testgen::tracing_log`):
//! `cargo run --release --features testgen --example gen_tracing_log -- OUT MB [SEED]`.

use stallscope::testgen::tracing_log;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(mb)) = (
        args.get(1),
        args.get(2).and_then(|m| m.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: gen_tracing_log OUT MB [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(42);
    let log = tracing_log::generate_log(mb << 20, seed);
    if let Err(e) = std::fs::write(out, &log) {
        eprintln!("gen_tracing_log: {out}: {e}");
        std::process::exit(2);
    }
}
