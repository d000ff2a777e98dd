//! Writes the seeded benchmark OTLP/JSON lines (`stallscope::testgen::otlp`), or with
//! `--pretty` the same spans as one pretty-printed document:
//! `cargo run --release --features testgen --example gen_otlp -- [--pretty] OUT MB [SEED]`.

use stallscope::testgen::otlp;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let pretty = args.first().is_some_and(|a| a == "--pretty");
    if pretty {
        args.remove(0);
    }
    let (Some(out), Some(mb)) = (
        args.first(),
        args.get(1).and_then(|m| m.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: gen_otlp [--pretty] OUT MB [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    let bytes = if pretty {
        otlp::generate_pretty(mb << 20, seed)
    } else {
        otlp::generate(mb << 20, seed)
    };
    if let Err(e) = std::fs::write(out, bytes) {
        eprintln!("gen_otlp: {out}: {e}");
        std::process::exit(2);
    }
}
