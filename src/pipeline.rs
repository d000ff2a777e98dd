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

/// An input read (or not): its warnings written to `diag`, a failure kept in `failed`.
fn take(
    i: usize,
    read: Result<(Ingested, Analysis)>,
    failed: &mut Vec<(usize, Error)>,
    diag: &mut dyn Write,
) -> Option<(Ingested, Analysis)> {
    let (ingested, analysis) = match read {
        Ok(read) => read,
        Err(e) => {
            failed.push((i, e));
            return None;
        }
    };
    tracing::debug!(
        path = %ingested.stats.path,
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
    Some((ingested, analysis))
}

/// How far reading an input has got, sent from the thread reading it.
enum Sent {
    Started(usize, u64),
    Read(usize, u64, u64),
    Finished(usize, u64),
}

/// Reads input `i`, telling `progress` how far it has got.
type ReadOne<'a, T> = dyn Fn(usize, &mut dyn FnMut(ingest::Progress<'_>)) -> T + Sync + 'a;

/// `read` of each of the inputs `each`, in that order. With more than one input and more than
/// one thread (`--threads`), up to that many inputs are read at once, each on a thread of its
/// own sharing the rest of the threads; their progress reaches `progress` on this thread.
fn read_each<T: Send>(
    each: &[usize],
    progress: &mut dyn FnMut(ingest::Progress<'_>),
    read: &ReadOne<'_, T>,
) -> Vec<T> {
    let threads = ingest::threads();
    let workers = threads.min(each.len());
    if workers <= 1 {
        return each.iter().map(|&i| read(i, progress)).collect();
    }
    let per_input = (threads / workers).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<T>>> =
        each.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let names: Vec<std::sync::Mutex<String>> = each
        .iter()
        .map(|_| std::sync::Mutex::new(String::new()))
        .collect();
    let (tx, rx) = std::sync::mpsc::channel::<Sent>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, slots, names) = (&next, &slots, &names);
            scope.spawn(move || {
                ingest::set_local_threads(per_input);
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&i) = each.get(k) else { break };
                    let mut send = |p: ingest::Progress<'_>| {
                        let sent = match p {
                            ingest::Progress::Started { name, total } => {
                                if let Ok(mut n) = names[k].lock() {
                                    name.clone_into(&mut n);
                                }
                                Sent::Started(k, total)
                            }
                            ingest::Progress::Read { done, total, .. } => {
                                Sent::Read(k, done, total)
                            }
                            ingest::Progress::Finished { total, .. } => Sent::Finished(k, total),
                        };
                        // The receiver lives until every worker is done.
                        let _ = tx.send(sent);
                    };
                    let out = read(i, &mut send);
                    if let Ok(mut slot) = slots[k].lock() {
                        *slot = Some(out);
                    }
                }
            });
        }
        drop(tx);
        for sent in rx {
            let name = |k: usize| names[k].lock().map(|n| n.clone()).unwrap_or_default();
            match sent {
                Sent::Started(k, total) => progress(ingest::Progress::Started {
                    name: &name(k),
                    total,
                }),
                Sent::Read(k, done, total) => progress(ingest::Progress::Read {
                    name: &name(k),
                    done,
                    total,
                }),
                Sent::Finished(k, total) => progress(ingest::Progress::Finished {
                    name: &name(k),
                    total,
                }),
            }
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .expect("every input is read by a worker before the scope ends")
        })
        .collect()
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
///
/// Several inputs are read at once, on up to `--threads` threads (see `read_each`); what is
/// written to `diag` and what is returned do not depend on it.
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
    // Logs first when joining: their requests make the index the recordings are read against.
    let (logs, recordings): (Vec<usize>, Vec<usize>) = match joining {
        true => (0..cfg.inputs.len()).partition(|&i| !recording[i]),
        false => ((0..cfg.inputs.len()).collect(), Vec::new()),
    };

    let mut index = JoinIndex::new();
    let mut not_joined: Vec<String> = Vec::new();
    let mut done = Vec::with_capacity(cfg.inputs.len());
    let mut failed: Vec<(usize, Error)> = Vec::new();
    // Span trees are measured as soon as they close and then forgotten: memory follows what is
    // open at once and what is reported, not the length of the file.
    let read_log = |i: usize, progress: &mut dyn FnMut(ingest::Progress<'_>)| {
        let mut collector = analyze::Collector::new(cfg);
        if joining {
            collector = collector.keep_executions();
        }
        let ingested = ingest::ingest_path(&cfg.inputs[i], Some(&mut collector), progress)?;
        let analysis = collector.finish(&ingested.trace);
        Ok((ingested, analysis))
    };
    for (i, read) in logs.iter().zip(read_each(&logs, progress, &read_log)) {
        let Some((ingested, mut analysis)) = take(*i, read, &mut failed, diag) else {
            continue;
        };
        if joining && !analysis.requests.is_empty() {
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
        done.push((*i, Analyzed { ingested, analysis }));
    }
    if !recordings.is_empty() {
        index.seal();
        let index = Arc::new(index);
        let read_recording = |i: usize, progress: &mut dyn FnMut(ingest::Progress<'_>)| {
            let path = &cfg.inputs[i];
            let mut collector = analyze::Collector::new(cfg);
            let ingested = if index.is_empty() {
                ingest::ingest_path(path, Some(&mut collector), progress)?
            } else {
                let mut join = TaskJoin::new(&mut collector, index.clone());
                let mut ingested = ingest::ingest_path(path, Some(&mut join), progress)?;
                join.finish(&mut ingested.trace.tasks, &ingested.stats.path);
                ingested
            };
            let analysis = collector.finish(&ingested.trace);
            Ok((ingested, analysis))
        };
        for (i, read) in recordings
            .iter()
            .zip(read_each(&recordings, progress, &read_recording))
        {
            if let Some((ingested, analysis)) = take(*i, read, &mut failed, diag) {
                done.push((*i, Analyzed { ingested, analysis }));
            }
        }
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
