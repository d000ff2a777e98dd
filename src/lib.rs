//! stallscope: finds long server-processing spans and event-loop stalls in saved traces and
//! judges, per endpoint, whether async helps or hurts.
//!
//! Data flows one way: `cli -> config -> ingest -> model -> analyze -> report`.

pub mod analyze;
pub mod capture;
pub mod config;
pub mod error;
pub mod ingest;
pub mod model;
pub mod report;

pub use config::Config;
pub use error::{Error, Result};

use analyze::Level;
use config::FailOn;
use std::io::Write;

/// What a run found, for the exit code.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// The most severe verdict present.
    pub worst: Option<Level>,
    /// `--fail-on` was given and a verdict at or above it is present.
    pub failed: bool,
}

/// Reads every input, analyzes it, and writes the report to `out`; warnings go to `diag`.
pub fn run(cfg: &Config, out: &mut dyn Write, diag: &mut dyn Write) -> Result<Outcome> {
    let mut report = report::Report::new(cfg);
    for path in &cfg.inputs {
        // Span trees are measured as soon as they close and then forgotten: memory follows
        // what is open at once and what is reported, not the length of the file.
        let mut collector = analyze::Collector::new(cfg);
        let ingested = ingest::ingest_streaming(path, cfg, &mut collector)?;
        tracing::debug!(
            path = %path.display(),
            spans = ingested.trace.spans.len(),
            executions = ingested.trace.executions.len(),
            "ingested"
        );
        for w in &ingested.report.warnings {
            // Diagnostics are best effort: a closed stderr must not fail the run.
            let _ = writeln!(diag, "stallscope: warning: {}: {w}", ingested.report.path);
        }
        let analysis = collector.finish(&ingested.trace);
        report.add(&ingested.report, &ingested.trace, &analysis, cfg);
    }
    report.render(cfg, out).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)?;
    let worst = report.worst();
    let failed = matches!(
        (cfg.fail_on, worst),
        (Some(FailOn::Bad), Some(Level::Bad)) | (Some(FailOn::Ok), Some(Level::Bad | Level::Ok))
    );
    Ok(Outcome { worst, failed })
}
