//! Orchestration: which input is read when, into which sink, and the hand-off from logs to the
//! tokio-console recordings of the same run that join to them.
//!
//! Each input is read in one streaming pass into an [`analyze::Collector`]: span trees are
//! measured as soon as they close and then forgotten. When recordings come with other inputs
//! (logs of the same run), the others are read first, keeping their requests' executions; their
//! requests go into one [`JoinIndex`], sealed before the first recording, and each recording is
//! read through a [`TaskJoin`] that offers it every task poll and then regroups the tasks under
//! the endpoints they served. Once every input is read, the joined rows are settled from the
//! logs' judgements ([`join::settle`]). Results keep the order the inputs were given in.
//!
//! ```text
//! inputs     app.log   rec.jsonl   app2.log
//! read       1st       3rd         2nd        (logs first: their requests feed the index)
//! report     1st       2nd         3rd        (as given)
//! ```

use crate::analyze::join::{self, JoinIndex, JoinRequest, TaskJoin};
use crate::analyze::page_join::{self, BrowserSide, PageJoin, ServerSide};
use crate::analyze::{self, Analysis};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::{self, Format, Ingested};
use crate::report::text::safe;
use std::io::Write;
use std::sync::Arc;

/// One input, read and analyzed.
#[derive(Debug)]
pub struct Analyzed {
    pub ingested: Ingested,
    pub analysis: Analysis,
}

/// Every input, read and analyzed, in the order given.
#[derive(Debug)]
pub struct Inputs {
    pub analyzed: Vec<Analyzed>,
    /// Recordings were joined to logs of the same run.
    pub joined: bool,
    /// Logs not joined to the recordings: their times are not wall-clock times.
    pub not_joined: Vec<String>,
    /// Inputs that could not be read, in the order given: the others are still analyzed.
    pub unreadable: Vec<Error>,
    /// Browser inputs (a HAR, a DevTools trace) joined to server inputs of the same run.
    pub page_joins: Vec<PageJoinOf>,
}

/// The join of the browser input `browser` to the server input `server` (indices into
/// [`Inputs::analyzed`]).
#[derive(Debug)]
pub struct PageJoinOf {
    pub browser: usize,
    pub server: usize,
    pub join: PageJoin,
}

/// Every browser input (network requests, no server requests) joined to every server input
/// (requests): see [`page_join`].
fn page_joins(analyzed: &[Analyzed]) -> Vec<PageJoinOf> {
    let is_browser =
        |a: &Analyzed| !a.analysis.browser.network.is_empty() && a.analysis.requests.is_empty();
    let mut out = Vec::new();
    for (bi, b) in analyzed.iter().enumerate().filter(|(_, a)| is_browser(a)) {
        for (si, s) in analyzed.iter().enumerate() {
            if si == bi || s.analysis.requests.is_empty() {
                continue;
            }
            let join = page_join::join(
                &BrowserSide {
                    network: &b.analysis.browser.network,
                    navigations: &b.analysis.browser.navigations,
                    origin: b.ingested.trace.clock.origin_unix_ns,
                },
                &ServerSide {
                    requests: &s.analysis.requests,
                    stalls: &s.analysis.stalls,
                    origin: s.ingested.trace.clock.origin_unix_ns,
                },
            );
            out.push(PageJoinOf {
                browser: bi,
                server: si,
                join,
            });
        }
    }
    out
}

/// Reads and analyzes every input of `cfg`; input warnings go to `diag`, how far reading has got
/// to `progress`. An input that cannot be read is kept in [`Inputs::unreadable`] and the others
/// are analyzed; when none can be read, the first error is returned.
pub fn analyze_inputs(
    cfg: &Config,
    diag: &mut dyn Write,
    progress: &mut dyn FnMut(ingest::Progress<'_>),
) -> Result<Inputs> {
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
    let mut not_joined: Vec<String> = Vec::new();
    let mut done = Vec::with_capacity(order.len());
    let mut failed: Vec<(usize, Error)> = Vec::new();
    for i in order {
        let path = &cfg.inputs[i];
        // Span trees are measured as soon as they close and then forgotten: memory follows
        // what is open at once and what is reported, not the length of the file.
        let mut collector = analyze::Collector::new(cfg);
        if joining && !recording[i] {
            collector = collector.keep_executions();
        }
        let read = if joining && recording[i] {
            let ix = sealed.get_or_insert_with(|| {
                let mut ix = std::mem::take(&mut index);
                ix.seal();
                Arc::new(ix)
            });
            if ix.is_empty() {
                ingest::ingest_path(path, Some(&mut collector), progress)
            } else {
                let mut join = TaskJoin::new(&mut collector, ix.clone());
                ingest::ingest_path(path, Some(&mut join), progress).map(|mut ingested| {
                    join.finish(&mut ingested.trace.tasks, &ingested.stats.path);
                    ingested
                })
            }
        } else {
            ingest::ingest_path(path, Some(&mut collector), progress)
        };
        let ingested = match read {
            Ok(ingested) => ingested,
            Err(e) => {
                failed.push((i, e));
                continue;
            }
        };
        tracing::debug!(
            path = %path.display(),
            spans = ingested.trace.spans.len(),
            executions = ingested.trace.executions.len(),
            "ingested"
        );
        for w in &ingested.stats.warnings {
            // Diagnostics are best effort: a closed stderr must not fail the run.
            // Warnings quote the input: never raw control bytes on a terminal.
            let _ = writeln!(
                diag,
                "stallscope: warning: {}",
                safe(&format!("{}: {w}", ingested.stats.path))
            );
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
                            executions: r.executions(),
                            spans: r.spans(),
                        }),
                    );
                }
                None => not_joined.push(ingested.stats.path.clone()),
            }
            // Kept only for the index.
            for r in &mut analysis.requests {
                r.kept = None;
            }
        }
        done.push((i, Analyzed { ingested, analysis }));
    }
    failed.sort_by_key(|f| f.0);
    let mut unreadable: Vec<Error> = failed.into_iter().map(|f| f.1).collect();
    if done.is_empty() && !unreadable.is_empty() {
        return Err(unreadable.swap_remove(0));
    }
    done.sort_by_key(|d| d.0);
    let mut analyzed: Vec<Analyzed> = done.into_iter().map(|d| d.1).collect();
    if joining {
        let mut inputs: Vec<(&str, &mut Analysis)> = analyzed
            .iter_mut()
            .map(|a| (a.ingested.stats.path.as_str(), &mut a.analysis))
            .collect();
        join::settle(&mut inputs, cfg.top);
    }
    let page_joins = if cfg.page_join {
        page_joins(&analyzed)
    } else {
        Vec::new()
    };
    Ok(Inputs {
        page_joins,
        analyzed,
        joined: joining,
        not_joined,
        unreadable,
    })
}
