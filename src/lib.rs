//! stallscope: finds long server-processing spans and event-loop stalls in saved traces and
//! judges, per endpoint, whether async helps or hurts.
//!
//! Data flows one way: `cli -> config -> ingest -> model -> analyze -> report`.

pub mod analyze;
pub mod capture;
pub mod config;
pub mod diff;
pub mod error;
pub mod ingest;
pub mod model;
pub mod pipeline;
pub mod report;
#[cfg(any(test, feature = "testgen"))]
pub mod testgen;

pub use config::Config;
pub use error::{Error, Result};

use analyze::Verdict;
use config::FailOn;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the binary: the process ends right after [`run_with_progress`] returns.
static EXITING_AFTER_RUN: AtomicBool = AtomicBool::new(false);

/// Tells [`run_with_progress`] that the process exits after it: what it read is then left
/// for the exit to reclaim instead of being freed piece by piece (a few percent of a big
/// input's time: every span, field and request of it, freed one allocation at a time). A
/// library caller that runs on after it must not call this.
pub fn exit_after_run() {
    EXITING_AFTER_RUN.store(true, Ordering::Relaxed);
}

/// What a run found, for the exit code.
#[derive(Debug)]
pub struct Outcome {
    /// The most severe verdict present.
    pub worst: Option<Verdict>,
    /// `--fail-on` was given and a verdict at or above it is present.
    pub failed: bool,
    /// Inputs that could not be read (the report covers the others), in the order given.
    pub unreadable: Vec<Error>,
}

/// Reads every input, analyzes it, and writes the report to `out`; warnings go to `diag`.
///
/// An input that cannot be read does not stop the others: the report covers every readable
/// input and [`Outcome::unreadable`] holds the errors of the rest. When no input can be read,
/// the first error is returned and nothing is written.
///
/// When tokio-console recordings come with other inputs (logs of the same run), their tasks
/// are joined to the logs' endpoints by time (see [`pipeline`]). The report keeps the order the
/// inputs were given in.
pub fn run(cfg: &Config, out: &mut dyn Write, diag: &mut dyn Write) -> Result<Outcome> {
    run_with_progress(cfg, out, diag, &mut |_| {})
}

/// [`run`], telling `progress` how far reading each input has got (the CLI draws a progress
/// line from it when stderr is a terminal).
pub fn run_with_progress(
    cfg: &Config,
    out: &mut dyn Write,
    diag: &mut dyn Write,
    progress: &mut dyn FnMut(ingest::Progress<'_>),
) -> Result<Outcome> {
    let mut inputs = pipeline::analyze_inputs(cfg, diag, progress)?;
    let mut report = report::Report::new(cfg);
    for a in &inputs.analyzed {
        report.add(&a.ingested.stats, &a.ingested.trace, &a.analysis, cfg);
    }
    report.add_not_joined(&inputs.not_joined);
    for pj in &inputs.page_joins {
        let (b, s) = (&inputs.analyzed[pj.browser], &inputs.analyzed[pj.server]);
        report.add_page_join(
            &b.ingested.stats.path,
            &s.ingested.stats.path,
            &pj.join,
            &s.analysis,
        );
    }
    if cfg.format == config::OutputFormat::Html {
        let series: Vec<_> = inputs
            .analyzed
            .iter()
            .map(|a| {
                report::html::series::build(&a.ingested.stats.path, &a.ingested.trace, &a.analysis)
            })
            .collect();
        report::html::render(&report, &series, cfg, out).map_err(Error::Output)?;
    } else {
        report.render(cfg, out).map_err(Error::Output)?;
    }
    out.flush().map_err(Error::Output)?;
    let worst = report.worst();
    let failed = matches!(
        (cfg.fail_on, worst),
        (Some(FailOn::Bad), Some(Verdict::Bad))
            | (Some(FailOn::Ok), Some(Verdict::Bad | Verdict::Ok))
    );
    let unreadable = std::mem::take(&mut inputs.unreadable);
    if EXITING_AFTER_RUN.load(Ordering::Relaxed) {
        std::mem::forget(report);
        std::mem::forget(inputs);
    }
    Ok(Outcome {
        worst,
        failed,
        unreadable,
    })
}

/// `stallscope timeline`: reads and analyzes every input of `cfg` and draws each one's timeline
/// to `out` (see [`report::timeline`]). Returns the inputs that could not be read (the others
/// are drawn); when none can be read, the first error.
pub fn run_timeline(
    cfg: &Config,
    opt: &report::timeline::TimelineOptions,
    out: &mut dyn Write,
    diag: &mut dyn Write,
) -> Result<Vec<Error>> {
    let mut inputs = pipeline::analyze_inputs(cfg, diag, &mut |_| {})?;
    for (i, a) in inputs.analyzed.iter().enumerate() {
        if i > 0 {
            writeln!(out).map_err(Error::Output)?;
        }
        let path = &a.ingested.stats.path;
        report::timeline::render(path, &a.ingested.trace, &a.analysis, opt, out)
            .map_err(Error::Usage)?
            .map_err(Error::Output)?;
    }
    out.flush().map_err(Error::Output)?;
    Ok(std::mem::take(&mut inputs.unreadable))
}
