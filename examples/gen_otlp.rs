//! Writes the seeded benchmark OTLP/JSON lines (`stallscope::testgen::otlp`):
//! `cargo run --release --features testgen --example gen_otlp -- OUT MB [SEED]`.

use stallscope::testgen::otlp;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(mb)) = (
        args.get(1),
        args.get(2).and_then(|m| m.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: gen_otlp OUT MB [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(42);
    if let Err(e) = std::fs::write(out, otlp::generate(mb << 20, seed)) {
        eprintln!("gen_otlp: {out}: {e}");
        std::process::exit(2);
    }
}
