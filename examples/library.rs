//! stallscope as a library: analyse a saved trace with settings of your own, get the report
//! written where you want it, and the worst verdict back to act on.
//!
//! `cargo run --example library [TRACE]` (default: `sample-traces/incident.json-full.log`).

use stallscope::config::{FailOn, OutputFormat, parse_duration};
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let trace = std::env::args_os().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces/incident.json-full.log"),
        PathBuf::from,
    );
    // What `stallscope analyze --format markdown --stall 20ms --fail-on bad TRACE` sets; every
    // other setting keeps the CLI's default.
    let cfg = stallscope::Config {
        inputs: vec![trace],
        format: OutputFormat::Markdown,
        stall: Some(parse_duration("20ms")?),
        fail_on: Some(FailOn::Bad),
        ..stallscope::Config::default()
    };
    // The report goes to `out`, warnings about the input (skipped lines, a cut-off end) to
    // `diag`; any `Write` will do, a `Vec<u8>` included.
    let mut out = std::io::stdout().lock();
    let mut diag = std::io::stderr().lock();
    let outcome = stallscope::run(&cfg, &mut out, &mut diag)?;
    // The CLI turns this into its exit code: 3 when `--fail-on` is met.
    println!(
        "\nworst verdict: {:?}; fails --fail-on bad: {}",
        outcome.worst, outcome.failed
    );
    Ok(())
}
