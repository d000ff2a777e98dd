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
#[cfg(any(test, feature = "testgen"))]
pub mod testgen;

pub use config::Config;
pub use error::{Error, Result};

use analyze::Verdict;
use config::FailOn;
use ingest::Format;
use model::{JoinIndex, JoinRequest};
use std::io::Write;
use std::sync::Arc;

/// What a run found, for the exit code.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// The most severe verdict present.
    pub worst: Option<Verdict>,
    /// `--fail-on` was given and a verdict at or above it is present.
    pub failed: bool,
}

/// Reads every input, analyzes it, and writes the report to `out`; warnings go to `diag`.
///
/// When tokio-console recordings come with other inputs (logs of the same run), the others are
/// read first and their requests are handed to the recordings' readers, which join tasks to
/// endpoints by time ([`JoinIndex`]). The report keeps the order the inputs were given in.
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
    // A single input joins nothing: no need to look at its first bytes twice.
    let recording: Vec<bool> = cfg
        .inputs
        .iter()
        .map(|p| cfg.inputs.len() > 1 && ingest::peek_format(p) == Some(Format::ConsoleRecording))
        .collect();
    let joining = recording.iter().any(|r| *r) && recording.iter().any(|r| !*r);
    let mut order: Vec<usize> = (0..cfg.inputs.len()).collect();
    order.sort_by_key(|&i| recording[i]);

    let mut index = JoinIndex::new();
    let mut sealed: Option<Arc<JoinIndex>> = None;
    let mut join_notes: Vec<String> = Vec::new();
    let mut done = Vec::with_capacity(order.len());
    for i in order {
        let path = &cfg.inputs[i];
        // Span trees are measured as soon as they close and then forgotten: memory follows
        // what is open at once and what is reported, not the length of the file.
        let mut collector = analyze::Collector::new(cfg);
        if joining && !recording[i] {
            collector = collector.keep_executions();
        }
        if joining && recording[i] {
            let ix = sealed.get_or_insert_with(|| {
                let mut ix = std::mem::take(&mut index);
                ix.seal();
                Arc::new(ix)
            });
            collector = collector.with_join(ix.clone());
        }
        let ingested = ingest::ingest_path(path, cfg, Some(&mut collector), progress)?;
        tracing::debug!(
            path = %path.display(),
            spans = ingested.trace.spans.len(),
            executions = ingested.trace.executions.len(),
            "ingested"
        );
        for w in &ingested.stats.warnings {
            // Diagnostics are best effort: a closed stderr must not fail the run.
            let _ = writeln!(diag, "stallscope: warning: {}: {w}", ingested.stats.path);
        }
        let mut analysis = collector.finish(&ingested.trace);
        if joining && !recording[i] && !analysis.requests.is_empty() {
            match ingested.trace.clock.origin_unix_ns {
                Some(origin) => {
                    index.add(
                        &ingested.stats.path,
                        origin,
                        analysis.requests.iter().map(|r| JoinRequest {
                            endpoint: &r.endpoint,
                            executions: &r.executions,
                            spans: &r.spans,
                        }),
                    );
                }
                None => join_notes.push(format!(
                    "{}: not joined to the tokio-console recordings: its times are not wall-clock times",
                    ingested.stats.path
                )),
            }
            for r in &mut analysis.requests {
                r.executions = Vec::new();
                r.spans = Vec::new();
            }
        }
        done.push((i, ingested, analysis));
    }
    done.sort_by_key(|d| d.0);
    let mut report = report::Report::new(cfg);
    for (_, ingested, analysis) in &done {
        report.add(&ingested.stats, &ingested.trace, analysis, cfg);
    }
    report.notes.extend(join_notes);
    if joining {
        report.settle_joined();
    }
    report.render(cfg, out).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)?;
    let worst = report.worst();
    let failed = matches!(
        (cfg.fail_on, worst),
        (Some(FailOn::Bad), Some(Verdict::Bad))
            | (Some(FailOn::Ok), Some(Verdict::Bad | Verdict::Ok))
    );
    Ok(Outcome { worst, failed })
}
