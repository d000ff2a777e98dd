//! Live capture from a running app's console-subscriber server, over the tokio-console API
//! (`console-api`: the `Instrument` gRPC service).
//!
//! `stallscope record --console URL --duration D -o FILE` writes JSON lines:
//!
//! ```text
//! {"stallscope_console_capture":1,"target":"http://127.0.0.1:6669","started_unix_ns":...}
//! {"task":{"id":12,"kind":"task","name":"/report","location":"src/main.rs:40:5","fields":{"task.id":"7"}}}
//! {"stats":{"id":12,"at":...,"created":...,"dropped":null,"polls":3,"busy_ns":...,"scheduled_ns":...,
//!           "first_poll":...,"last_poll_started":...,"last_poll_ended":...,"wakes":2,"self_wakes":0,
//!           "waker_clones":2,"waker_drops":2}}
//! {"end":{"at":...,"updates":5,"reason":"duration"}}
//! ```
//!
//! Times are Unix nanoseconds. A `task` line comes when the server first reports the task, a
//! `stats` line whenever its statistics changed (one publish interval, 1 s by default), the `end`
//! line when the capture stops, whatever the reason: what was captured is always kept. The
//! lines are declared once, in [`format`](mod@format), for this writer and the reader
//! (`ingest::console`).

pub mod format;

use crate::error::{Error, Result};
use console_api::field::{Name, Value};
use console_api::instrument::InstrumentRequest;
use console_api::instrument::instrument_client::InstrumentClient;
pub use format::CAPTURE_VERSION;
use format::{EndLine, Header, Line, StatsLine, TaskLine};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

fn ts(t: &Option<prost_types::Timestamp>) -> Option<i64> {
    t.as_ref()
        .map(|t| t.seconds.saturating_mul(1_000_000_000) + i64::from(t.nanos))
}

fn dur(d: &Option<prost_types::Duration>) -> i64 {
    d.as_ref().map_or(0, |d| {
        d.seconds.saturating_mul(1_000_000_000) + i64::from(d.nanos)
    })
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// What a capture did, for the message on stderr.
#[derive(Debug)]
pub struct CaptureSummary {
    pub updates: u64,
    pub tasks: u64,
    pub reason: String,
}

/// Connects to `target` and writes what the server reports for `duration` to `out`.
pub fn record(
    target: &str,
    duration: Duration,
    out: &mut dyn Write,
    out_name: &str,
) -> Result<CaptureSummary> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the capture runtime: {e}")))?;
    rt.block_on(capture(target, duration, out, out_name))
}

async fn capture(
    target: &str,
    duration: Duration,
    out: &mut dyn Write,
    out_name: &str,
) -> Result<CaptureSummary> {
    let write_err = |e: std::io::Error| Error::Io {
        path: out_name.to_string(),
        source: e,
    };
    let connect = tokio::time::timeout(
        Duration::from_secs(5),
        InstrumentClient::connect(target.to_string()),
    )
    .await;
    let mut client = match connect {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            return Err(Error::Input {
                path: target.to_string(),
                msg: format!(
                    "cannot connect to a console-subscriber server: {e} (is the app running with console-subscriber, and is this its address? the default is http://127.0.0.1:6669)"
                ),
            });
        }
        Err(_) => {
            return Err(Error::Input {
                path: target.to_string(),
                msg: "no answer within 5 s from the console-subscriber server".into(),
            });
        }
    };
    let mut stream = client
        .watch_updates(InstrumentRequest {})
        .await
        .map_err(|s| Error::Input {
            path: target.to_string(),
            msg: format!(
                "the server refused WatchUpdates ({}: {}); is it a console-subscriber server of a compatible version (console-api 0.9)?",
                s.code(),
                s.message()
            ),
        })?
        .into_inner();
    serde_json::to_writer(
        &mut *out,
        &Header {
            stallscope_console_capture: CAPTURE_VERSION,
            target: Cow::Borrowed(target),
            started_unix_ns: now_ns(),
        },
    )
    .map_err(|e| write_err(e.into()))?;
    writeln!(out).map_err(write_err)?;
    let deadline = tokio::time::Instant::now() + duration;
    let mut meta_fields: HashMap<u64, Vec<String>> = HashMap::new();
    let (mut updates, mut tasks) = (0u64, 0u64);
    let reason: String = loop {
        let next = tokio::time::timeout_at(deadline, stream.message()).await;
        let update = match next {
            Err(_) => break "duration".into(),
            Ok(Ok(Some(u))) => u,
            Ok(Ok(None)) => break "the server closed the stream".into(),
            Ok(Err(status)) => {
                break format!("stream error: {}: {}", status.code(), status.message());
            }
        };
        updates += 1;
        if let Some(meta) = &update.new_metadata {
            for m in &meta.metadata {
                if let (Some(id), Some(md)) = (&m.id, &m.metadata) {
                    meta_fields.insert(id.id, md.field_names.clone());
                }
            }
        }
        let at = ts(&update.now).unwrap_or_else(now_ns);
        let Some(tu) = update.task_update else {
            continue;
        };
        for t in &tu.new_tasks {
            let Some(id) = t.id.as_ref().map(|i| i.id) else {
                continue;
            };
            let names = t.metadata.as_ref().and_then(|m| meta_fields.get(&m.id));
            let mut fields = HashMap::new();
            for f in &t.fields {
                let key = match &f.name {
                    Some(Name::StrName(s)) => s.clone(),
                    Some(Name::NameIdx(i)) => names
                        .and_then(|n: &Vec<String>| n.get(*i as usize).cloned())
                        .unwrap_or_else(|| format!("field{i}")),
                    None => continue,
                };
                let value = match &f.value {
                    Some(Value::DebugVal(s) | Value::StrVal(s)) => s.clone(),
                    Some(Value::U64Val(v)) => v.to_string(),
                    Some(Value::I64Val(v)) => v.to_string(),
                    Some(Value::BoolVal(v)) => v.to_string(),
                    None => continue,
                };
                fields.insert(key, value);
            }
            let kind = match fields.get("kind").map(String::as_str) {
                Some("blocking") => "blocking",
                Some("block_on") => "block_on",
                Some("local") => "local",
                Some(_) => "task",
                None if t.kind == 1 => "blocking",
                None => "task",
            };
            let line = TaskLine {
                id,
                kind: Cow::Borrowed(kind),
                name: fields
                    .get("task.name")
                    .filter(|n| !n.is_empty())
                    .map(|n| Cow::Owned(n.trim_matches('"').to_string())),
                location: t.location.as_ref().and_then(|l| {
                    l.file.as_ref().map(|f| {
                        Cow::Owned(format!(
                            "{f}:{}:{}",
                            l.line.unwrap_or(0),
                            l.column.unwrap_or(0)
                        ))
                    })
                }),
                fields: fields
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k), Cow::Owned(v)))
                    .collect(),
            };
            tasks += 1;
            serde_json::to_writer(&mut *out, &Line::Task(line)).map_err(|e| write_err(e.into()))?;
            writeln!(out).map_err(write_err)?;
        }
        let mut ids: Vec<&u64> = tu.stats_update.keys().collect();
        ids.sort();
        for id in ids {
            let s = &tu.stats_update[id];
            let ps = s.poll_stats.as_ref();
            let line = StatsLine {
                id: *id,
                at: Some(at),
                created: ts(&s.created_at),
                dropped: ts(&s.dropped_at),
                polls: ps.map_or(0, |p| p.polls),
                busy_ns: ps.map_or(0, |p| dur(&p.busy_time)),
                scheduled_ns: dur(&s.scheduled_time),
                first_poll: ps.and_then(|p| ts(&p.first_poll)),
                last_poll_started: ps.and_then(|p| ts(&p.last_poll_started)),
                last_poll_ended: ps.and_then(|p| ts(&p.last_poll_ended)),
                wakes: s.wakes,
                self_wakes: s.self_wakes,
                waker_clones: s.waker_clones,
                waker_drops: s.waker_drops,
            };
            serde_json::to_writer(&mut *out, &Line::Stats(line))
                .map_err(|e| write_err(e.into()))?;
            writeln!(out).map_err(write_err)?;
        }
        out.flush().map_err(write_err)?;
    };
    serde_json::to_writer(
        &mut *out,
        &Line::End(EndLine {
            at: now_ns(),
            updates,
            reason: Cow::Borrowed(&reason),
        }),
    )
    .map_err(|e| write_err(e.into()))?;
    writeln!(out).map_err(write_err)?;
    out.flush().map_err(write_err)?;
    Ok(CaptureSummary {
        updates,
        tasks,
        reason,
    })
}
