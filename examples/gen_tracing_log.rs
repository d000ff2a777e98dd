//! Writes the seeded benchmark log: `cargo run --release --example gen_tracing_log -- OUT MB [SEED]`.

#[path = "../benches/gen.rs"]
mod generator;

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
    let log = generator::tracing_json(mb << 20, seed);
    if let Err(e) = std::fs::write(out, &log) {
        eprintln!("gen_tracing_log: {out}: {e}");
        std::process::exit(2);
    }
}
