//! console-subscriber recordings (`ConsoleLayer::builder().recording_path(..)` or
//! `TOKIO_CONSOLE_RECORD_PATH`): JSON lines, a `{"v":1}` header, then one externally tagged
//! event per line, `Spawn` / `Enter` / `Exit` / `Close` / `Waker`, each with a wall-clock `at`
//! (`{"secs_since_epoch":…,"nanos_since_epoch":…}`).
//!
//! * `id` is a tracing span id: a u64 that may exceed 2^53, parsed as an integer (never through
//!   a float), and reused once its span closed. A task's life is its `Spawn` to its `Close`.
//! * Only task spans get a `Spawn`. Resources and async ops are entered, exited and closed
//!   too; records for ids never spawned are counted ([`TaskData::other_spans`],
//!   `skipped`) and otherwise left out.
//! * There are no thread ids: a poll cannot be placed on a worker.
//!
//! Each task becomes a span (name = `task.name`, or `task`; fields = the spawn's fields;
//! Spawn to Close) whose polls are its executions (thread unknown), and its poll statistics
//! are computed while reading, the console's way (see [`TaskRecord`]): memory follows the
//! tasks alive at once. A closed task is summed into its group ([`TaskTotals`]) and kept whole
//! only when the caller's [`Retention`] says so: a poll at or over its floor, a wait or idle
//! stretch around such a poll, mostly self-wakes, a long first poll. The reader decides
//! nothing: which polls are stalls and which tasks paid for them is `analyze::runtime`'s call.
//!
//! When the retention asks for every poll ([`Retention::every_poll`], a join with a log of the
//! same run), every poll of an application task is handed to the sink
//! ([`TreeSink::task_poll`](crate::model::TreeSink::task_poll)) and application tasks are held
//! unsummed ([`TaskData::held`]) for the join to regroup.
//!
//! Lines are parsed into borrowed, typed structs. A cut-off last line (the recorder's writer
//! thread is never joined, so a killed process leaves one) is a warning; records of unknown
//! kinds, or of a known kind with unexpected contents, are counted and skipped; a line that
//! is not JSON is an error naming it.

mod capture;
mod recording;
mod tasks;
#[cfg(test)]
pub(crate) mod testrec;
#[cfg(test)]
mod tests;

pub use capture::read_capture;

use super::InputStats;
use super::lines::{ApplyLine, Flow, Lines, ParseLine, excerpt, parse_lines};
use crate::error::{Error, Result};
use crate::model::TraceBuilder;
#[cfg(doc)]
use crate::model::{Retention, TaskRecord, TaskTotals};
use crate::model::{TaskData, TaskRole};
use recording::Record;
use rustc_hash::FxHashMap as HashMap;
use std::io::BufRead;
use tasks::{Keys, Reader};

/// What a task is, from what its spawn recorded: its role to the runtime, and the site it is
/// grouped under. One rule for recordings and captures:
///
/// * role: `kind=block_on` is [`TaskRole::BlockOn`]; `kind=blocking` with an `fn` naming
///   `worker::Launch::launch` is a worker's launch task ([`TaskRole::Worker`]); the rest is the
///   application's;
/// * site: `task.name` when set and not empty, else the spawn location (`file:line:col`),
///   else the closure type (`fn`, blocking tasks), else the kind. A name is what the developer
///   chose to tell tasks apart, while one location can spawn tasks of every kind (a spawn
///   helper); captures carry both, recordings (whose recorder drops the location) rarely, and
///   this order keeps every figure of the sample capture and recordings.
pub(super) fn classify_task(
    kind: &str,
    name: Option<&str>,
    location: Option<&str>,
    fn_name: Option<&str>,
) -> (TaskRole, String) {
    let role = if kind == "block_on" {
        TaskRole::BlockOn
    } else if kind == "blocking" && fn_name.is_some_and(|f| f.contains("worker::Launch::launch")) {
        TaskRole::Worker
    } else {
        TaskRole::App
    };
    let site = name.or(location).or(fn_name).unwrap_or(kind).to_string();
    (role, site)
}

/// Decodes a recording's line on its own (any thread): `None` for a blank line. The header
/// line is decoded too, and not used.
struct RecordParser;

impl ParseLine for RecordParser {
    type Parsed<'a> = Option<serde_json::Result<Record<'a>>>;
    fn parse<'a>(&self, line: &'a str) -> Self::Parsed<'a> {
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if line.bytes().all(|c| c.is_ascii_whitespace()) {
            return None;
        }
        Some(match recording::fast_record(line) {
            Some(record) => Ok(record),
            None => serde_json::from_str(line),
        })
    }
}

/// Takes a recording's decoded lines in order.
struct Apply<'r, 'b, 'c> {
    r: Reader<'r, 'b, 'c>,
    name: &'r str,
    header: bool,
}

impl ApplyLine<RecordParser> for Apply<'_, '_, '_> {
    fn apply<'a>(
        &mut self,
        line_no: u64,
        line: &'a str,
        complete: bool,
        parsed: Option<serde_json::Result<Record<'a>>>,
    ) -> Result<Flow> {
        let Some(parsed) = parsed else {
            return Ok(Flow::Next);
        };
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        let r = &mut self.r;
        if !self.header {
            r.header(line_no, line.as_bytes())?;
            self.header = true;
            return Ok(Flow::Next);
        }
        let rec: Record<'_> = match parsed {
            Ok(rec) => rec,
            Err(_) if !complete => {
                r.report.warn(format!(
                    "line {line_no}: the last line is cut off (the recording was not finished); kept everything before it"
                ));
                r.report.skipped += 1;
                return Ok(Flow::Stop);
            }
            Err(e) if e.is_data() => {
                r.malformed += 1;
                r.report.skipped += 1;
                if r.malformed <= 3 {
                    r.report.warn(format!(
                        "line {line_no}: an event with unexpected contents, skipped: {e}: {}",
                        excerpt(line, 80)
                    ));
                }
                return Ok(Flow::Next);
            }
            Err(e) => {
                return Err(Error::line(
                    self.name,
                    line_no,
                    format!(
                        "expected one JSON event per line (console-subscriber recording): {e}: {}",
                        excerpt(line, 60)
                    ),
                ));
            }
        };
        r.event(line_no, rec);
        Ok(Flow::Next)
    }
}

/// Reads a recording from `reader` into `b`.
pub fn read_recording(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder<'_>,
    report: &mut InputStats,
) -> Result<()> {
    let retention = b.task_retention();
    let keys = Keys {
        task: b.intern("task"),
    };
    let r = Reader {
        b,
        report,
        name,
        live: HashMap::default(),
        long_polls: Vec::new(),
        pruned_at: 0,
        running: Vec::new(),
        max_concurrent: 0,
        tasks: TaskData::new(retention),
        retention,
        keys,
        other_records: 0,
        other_closes: 0,
        unknown: 0,
        malformed: 0,
        unmatched_exits: 0,
        respawned: 0,
        next_seq: 0,
        workers: 0,
    };
    let mut lines = Lines::new(name, reader);
    let mut apply = Apply {
        r,
        name,
        header: false,
    };
    parse_lines(&mut lines, super::threads(), &RecordParser, &mut apply)?;
    let Apply { r, header, .. } = apply;
    if !header {
        return Err(Error::input(
            name,
            "empty recording: expected a {\"v\":1} header line, then one event per line",
        ));
    }
    for w in lines.warnings() {
        r.report.warn(w);
    }
    r.finish();
    Ok(())
}
