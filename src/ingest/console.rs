//! console-subscriber recordings (`ConsoleLayer::builder().recording_path(..)` or
//! `TOKIO_CONSOLE_RECORD_PATH`): JSON lines, a `{"v":1}` header, then externally tagged
//! `Spawn` / `Enter` / `Exit` / `Close` / `Waker` events with wall-clock `at`.
//!
//! * `id` is a tracing span id (u64, may exceed 2^53: parsed as an integer, never a float) and
//!   is reused after `Close`: lifetimes are tracked Spawn -> Close.
//! * Only task spans get a `Spawn`. Enter/Exit/Close of ids never spawned are resources and
//!   async ops; they are counted and otherwise skipped.
//! * There are no thread ids: a poll cannot be placed on a worker.
//!
//! Per task, the same figures tokio-console shows are computed while reading (memory follows
//! live tasks): polls, busy, scheduled time (poll start - max(last wake, previous poll end)),
//! wakes, self-wakes, waker clones and drops; long polls and long scheduling delays are kept
//! one by one for the stall and victim analysis.

use super::InputReport;
use super::tracing_common::Lines;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{Ns, TaskRecord, TraceBuilder};
use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;

/// Polls and scheduling delays at or over this are kept individually (the rest are counted).
const KEEP_FLOOR: Ns = 1_000_000;

#[derive(Deserialize)]
struct At {
    secs_since_epoch: i64,
    nanos_since_epoch: i64,
}

impl At {
    fn ns(&self) -> Ns {
        self.secs_since_epoch.saturating_mul(1_000_000_000) + self.nanos_since_epoch
    }
}

#[derive(Deserialize)]
struct Field<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    value: Value<'a>,
}

/// A field value as text: a string, an integer, a boolean (or serde's tagged form of them).
struct Value<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Value<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field value")
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                v: &'de str,
            ) -> std::result::Result<Value<'de>, E> {
                Ok(Value(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Value<'de>, E> {
                Ok(Value(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Value<'de>, E> {
                Ok(Value(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Value<'de>, E> {
                Ok(Value(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Value<'de>, E> {
                Ok(Value(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Value<'de>, E> {
                Ok(Value(Cow::Owned(v.to_string())))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Value<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Value(Cow::Borrowed("[..]")))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Value<'de>, A::Error> {
                // serde's externally tagged form: {"Str": "x"}, {"U64": 3}, ...
                let mut out = Value(Cow::Borrowed(""));
                while let Some(_k) = a.next_key::<Cow<'de, str>>()? {
                    out = a.next_value::<Value<'de>>()?;
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct SpawnData<'a> {
    id: u64,
    at: At,
    #[serde(borrow, default)]
    fields: Vec<Field<'a>>,
}

#[derive(Deserialize)]
struct IdAt {
    id: u64,
    at: At,
}

#[derive(Deserialize)]
struct WakerData<'a> {
    id: u64,
    at: At,
    #[serde(borrow)]
    op: WakerOp<'a>,
}

/// `"Clone"`, `"Drop"`, `{"Wake":{"self_wake":bool}}`, `{"WakeByRef":{"self_wake":bool}}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum WakerOp<'a> {
    #[serde(borrow)]
    Unit(Cow<'a, str>),
    Wake {
        #[serde(rename = "Wake", alias = "WakeByRef")]
        wake: SelfWake,
    },
}

#[derive(Deserialize)]
struct SelfWake {
    #[serde(default)]
    self_wake: bool,
}

#[derive(Deserialize)]
enum Record<'a> {
    #[serde(borrow)]
    Spawn(SpawnData<'a>),
    Enter(IdAt),
    Exit(IdAt),
    Close(IdAt),
    #[serde(borrow)]
    Waker(WakerData<'a>),
}

/// A live task while reading.
struct Live {
    task: TaskRecord,
    poll_start: Option<Ns>,
    prev_end: Option<Ns>,
    last_wake: Option<Ns>,
}

/// Reads a recording from `reader` into `b`.
pub fn read(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder<'_>,
    report: &mut InputReport,
    _config: &Config,
) -> Result<()> {
    let mut lines = Lines::new(name, reader);
    let mut live: HashMap<u64, Live> = HashMap::default();
    let mut other_ids = 0u64;
    let mut header = false;
    let mut unix_set = false;
    while let Some((line_no, line, complete)) = lines.next_line()? {
        if line.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        if !header {
            let v: serde_json::Value = serde_json::from_slice(line).map_err(|e| {
                Error::line(
                    name,
                    line_no,
                    format!("expected the recording header {{\"v\":1}}: {e}"),
                )
            })?;
            match v.get("v").and_then(serde_json::Value::as_u64) {
                Some(1) => header = true,
                Some(other) => {
                    return Err(Error::line(
                        name,
                        line_no,
                        format!(
                            "recording format version {other}; this stallscope reads version 1"
                        ),
                    ));
                }
                None => {
                    return Err(Error::line(
                        name,
                        line_no,
                        "expected the recording header {\"v\":1}",
                    ));
                }
            }
            continue;
        }
        let rec: Record<'_> = match serde_json::from_slice(line) {
            Ok(r) => r,
            Err(e) if !complete && e.is_eof() => {
                report.warn(format!(
                    "line {line_no}: the last line is cut off; kept everything before it"
                ));
                report.skipped += 1;
                break;
            }
            Err(e) if e.is_data() => {
                // Another variant, or a shape this version does not know: count and go on.
                report.skipped += 1;
                if report.skipped <= 3 {
                    report.warn(format!("line {line_no}: unknown record skipped ({e})"));
                }
                continue;
            }
            Err(e) => {
                return Err(Error::line(
                    name,
                    line_no,
                    format!("expected a JSON record: {e}"),
                ));
            }
        };
        report.events += 1;
        if !unix_set {
            unix_set = true;
            b.set_unix_offset(0);
        }
        match rec {
            Record::Spawn(s) => {
                let t = s.at.ns();
                let field = |k: &str| {
                    s.fields
                        .iter()
                        .find(|f| f.name == k)
                        .map(|f| f.value.0.to_string())
                };
                let kind = field("kind").unwrap_or_else(|| "task".into());
                let task_name = field("task.name").filter(|n| !n.is_empty());
                let fn_name = field("fn");
                let loc = match (field("loc.file"), field("loc.line")) {
                    (Some(f), Some(l)) => Some(format!("{f}:{l}")),
                    _ => None,
                };
                let internal = kind == "block_on"
                    || fn_name
                        .as_deref()
                        .is_some_and(|f| f.contains("worker::Launch::launch"));
                let site = loc
                    .or_else(|| fn_name.clone())
                    .or_else(|| task_name.clone());
                b.saw_time(t);
                live.insert(
                    s.id,
                    Live {
                        task: TaskRecord {
                            name: task_name.unwrap_or_else(|| "task".into()),
                            kind,
                            site,
                            task_id: field("task.id"),
                            spawned: t,
                            runtime_internal: internal,
                            ..TaskRecord::default()
                        },
                        poll_start: None,
                        prev_end: None,
                        last_wake: None,
                    },
                );
            }
            Record::Enter(e) => {
                let t = e.at.ns();
                b.saw_time(t);
                let Some(l) = live.get_mut(&e.id) else {
                    other_ids += 1;
                    continue;
                };
                if l.poll_start.is_none() {
                    l.poll_start = Some(t);
                    let ready = match (l.last_wake, l.prev_end) {
                        (Some(w), Some(p)) => Some(w.max(p)),
                        (Some(w), None) => Some(w),
                        (None, Some(_)) => None,
                        (None, None) => Some(l.task.spawned),
                    };
                    if let Some(r) = ready.filter(|r| *r <= t) {
                        l.task.scheduled += t - r;
                        if t - r >= KEEP_FLOOR {
                            l.task.delays.push((r, t));
                        }
                    }
                    l.last_wake = None;
                    l.task.first_poll.get_or_insert(t);
                }
            }
            Record::Exit(e) => {
                let t = e.at.ns();
                b.saw_time(t);
                let Some(l) = live.get_mut(&e.id) else {
                    other_ids += 1;
                    continue;
                };
                if let Some(s) = l.poll_start.take() {
                    let d = (t - s).max(0);
                    l.task.polls += 1;
                    l.task.busy += d;
                    l.task.max_poll = l.task.max_poll.max(d);
                    if d >= KEEP_FLOOR {
                        l.task.long_polls.push((s, t));
                    }
                    l.prev_end = Some(t);
                }
            }
            Record::Close(e) => {
                let t = e.at.ns();
                b.saw_time(t);
                match live.remove(&e.id) {
                    Some(mut l) => {
                        l.task.closed = Some(t);
                        b.task(l.task);
                    }
                    None => other_ids += 1,
                }
            }
            Record::Waker(w) => {
                let t = w.at.ns();
                b.saw_time(t);
                let Some(l) = live.get_mut(&w.id) else {
                    other_ids += 1;
                    continue;
                };
                match w.op {
                    WakerOp::Unit(op) if op == "Clone" => l.task.waker_clones += 1,
                    WakerOp::Unit(op) if op == "Drop" => l.task.waker_drops += 1,
                    WakerOp::Unit(_) => {}
                    WakerOp::Wake { wake } => {
                        l.task.wakes += 1;
                        if wake.self_wake {
                            l.task.self_wakes += 1;
                        }
                        l.last_wake = Some(l.last_wake.map_or(t, |w| w.min(t)));
                    }
                }
            }
        }
    }
    if !header {
        return Err(Error::input(
            name,
            "empty recording: expected a {\"v\":1} header line",
        ));
    }
    let still = live.len();
    let mut rest: Vec<(u64, Live)> = live.into_iter().collect();
    rest.sort_by_key(|(id, l)| (l.task.spawned, *id));
    for (_, mut l) in rest {
        l.task.running = l.poll_start.is_some();
        l.task.woken = l.last_wake.is_some();
        if let Some(s) = l.poll_start {
            // A poll still under way: it counts up to the end of the recording.
            let end = b.last_time().unwrap_or(s);
            l.task.busy += end - s;
            l.task.max_poll = l.task.max_poll.max(end - s);
            if end - s >= KEEP_FLOOR {
                l.task.long_polls.push((s, end));
            }
        }
        b.task(l.task);
    }
    if other_ids > 0 {
        report.skipped += other_ids;
        report.warn(format!(
            "{other_ids} records for ids that were never spawned (resources and async ops) were not counted as tasks"
        ));
    }
    if still > 0 {
        report.warn(format!(
            "{still} tasks were still alive when the recording ended"
        ));
    }
    Ok(())
}

/// A task line of a `stallscope record` capture.
#[derive(Deserialize)]
struct CapTask<'a> {
    id: u64,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    location: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    fields: HashMap<Cow<'a, str>, Cow<'a, str>>,
}

/// A stats line of a capture: a snapshot of the task's statistics.
#[derive(Deserialize, Clone, Copy)]
struct CapStats {
    id: u64,
    #[serde(default)]
    created: Option<Ns>,
    #[serde(default)]
    dropped: Option<Ns>,
    polls: u64,
    busy_ns: Ns,
    scheduled_ns: Ns,
    #[serde(default)]
    first_poll: Option<Ns>,
    #[serde(default)]
    last_poll_started: Option<Ns>,
    #[serde(default)]
    last_poll_ended: Option<Ns>,
    wakes: u64,
    self_wakes: u64,
    waker_clones: u64,
    waker_drops: u64,
}

#[derive(Deserialize)]
enum CapLine<'a> {
    #[serde(rename = "task", borrow)]
    Task(CapTask<'a>),
    #[serde(rename = "stats")]
    Stats(CapStats),
    #[serde(rename = "end")]
    End(IgnoredAny),
}

/// Reads a capture written by `stallscope record` (see `crate::capture`). Statistics are
/// snapshots, one per publish interval; a poll is seen one by one only as a task's last poll
/// (its start and end are in the snapshot), so long polls found here are a lower bound.
pub fn read_capture(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder<'_>,
    report: &mut InputReport,
    _config: &Config,
) -> Result<()> {
    let mut lines = Lines::new(name, reader);
    let mut tasks: HashMap<u64, (TaskRecord, Option<CapStats>)> = HashMap::default();
    let mut order: Vec<u64> = Vec::new();
    let mut header = false;
    b.set_unix_offset(0);
    while let Some((line_no, line, complete)) = lines.next_line()? {
        if !header {
            header = true;
            if memchr::memmem::find(line, b"\"stallscope_console_capture\":1").is_none() {
                return Err(Error::line(
                    name,
                    line_no,
                    "expected a stallscope capture header (version 1)",
                ));
            }
            continue;
        }
        let rec: CapLine<'_> = match serde_json::from_slice(line) {
            Ok(r) => r,
            Err(e) if !complete && e.is_eof() => {
                report.warn(format!(
                    "line {line_no}: the last line is cut off; kept everything before it"
                ));
                break;
            }
            Err(e) => {
                return Err(Error::line(
                    name,
                    line_no,
                    format!("expected a capture record: {e}"),
                ));
            }
        };
        report.events += 1;
        match rec {
            CapLine::Task(t) => {
                let fname = t.fields.get("fn").map(|f| f.to_string());
                let internal = t.kind == "block_on"
                    || fname
                        .as_deref()
                        .is_some_and(|f| f.contains("worker::Launch::launch"));
                let task_name = t
                    .name
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .map(str::to_string);
                let site = task_name
                    .clone()
                    .or_else(|| t.location.as_deref().map(str::to_string))
                    .or(fname);
                if !tasks.contains_key(&t.id) {
                    order.push(t.id);
                }
                tasks.insert(
                    t.id,
                    (
                        TaskRecord {
                            name: task_name.unwrap_or_else(|| "task".into()),
                            kind: t.kind.to_string(),
                            site,
                            task_id: t.fields.get("task.id").map(|v| v.to_string()),
                            runtime_internal: internal,
                            ..TaskRecord::default()
                        },
                        None,
                    ),
                );
            }
            CapLine::Stats(st) => {
                let Some((task, prev)) = tasks.get_mut(&st.id) else {
                    report.skipped += 1;
                    continue;
                };
                // The snapshot shows its last poll exactly. The other polls since the previous
                // snapshot are known only by their number and total busy time: when they average
                // over the floor, one of them lasted at least that long, just before the last.
                let (p0, b0) = prev.map_or((0, 0), |p| (p.polls, p.busy_ns));
                let (dp, db) = (st.polls.saturating_sub(p0), (st.busy_ns - b0).max(0));
                if let (Some(s), Some(e)) = (st.last_poll_started, st.last_poll_ended) {
                    if dp > 0 && e >= s {
                        let last = e - s;
                        if last >= KEEP_FLOOR {
                            task.long_polls.push((s, e));
                        }
                        let others = db - last;
                        // At least the mean of the other polls (a lower bound).
                        let longest = if dp > 1 { others / (dp as i64 - 1) } else { 0 };
                        if longest >= KEEP_FLOOR {
                            task.long_polls.push((s - longest, s));
                        }
                        b.saw_time(s);
                    }
                }
                *prev = Some(st);
            }
            CapLine::End(_) => {}
        }
    }
    if !header {
        return Err(Error::input(name, "empty capture"));
    }
    for id in order {
        let Some((mut t, Some(st))) = tasks.remove(&id) else {
            continue;
        };
        t.spawned = st.created.or(st.first_poll).unwrap_or(0);
        t.closed = st.dropped;
        t.polls = st.polls;
        t.busy = st.busy_ns;
        t.scheduled = st.scheduled_ns;
        t.first_poll = st.first_poll;
        t.max_poll = t.long_polls.iter().map(|p| p.1 - p.0).max().unwrap_or(0);
        t.wakes = st.wakes;
        t.self_wakes = st.self_wakes;
        t.waker_clones = st.waker_clones;
        t.waker_drops = st.waker_drops;
        t.running = st
            .last_poll_started
            .zip(st.last_poll_ended)
            .is_some_and(|(s, e)| s > e);
        b.task(t);
    }
    report.warn(
        "a live capture holds snapshots, not every poll: a long poll is seen exactly as a task's last poll, otherwise inferred from the busy time between snapshots and placed just before the last poll; record with console-subscriber's recording_path for every poll"
            .to_string(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{Format, ingest_bytes};

    const MS: Ns = 1_000_000;

    fn at(ms: i64) -> String {
        let ns = 1_795_000_000_000_000_000i64 + ms * MS;
        format!(
            r#"{{"secs_since_epoch":{},"nanos_since_epoch":{}}}"#,
            ns / 1_000_000_000,
            ns % 1_000_000_000
        )
    }

    fn rec(kind: &str, id: u64, ms: i64) -> String {
        format!(r#"{{"{kind}":{{"id":{id},"at":{}}}}}"#, at(ms))
    }

    fn spawn(id: u64, ms: i64, kind: &str) -> String {
        format!(
            r#"{{"Spawn":{{"id":{id},"at":{},"fields":[{{"name":"kind","value":"{kind}"}},{{"name":"task.name","value":""}},{{"name":"task.id","value":{id}}}]}}}}"#,
            at(ms)
        )
    }

    fn wake(id: u64, ms: i64) -> String {
        format!(
            r#"{{"Waker":{{"id":{id},"op":{{"Wake":{{"self_wake":false}}}},"at":{}}}}}"#,
            at(ms)
        )
    }

    fn read_lines(lines: &[String]) -> Result<crate::ingest::Ingested> {
        let text = lines.join("\n");
        ingest_bytes("rec.json", text.as_bytes(), false, &Config::default())
    }

    /// ```text
    /// t (ms):   0   10        130   140
    /// task 1:       [── poll 120 ──]
    /// task 2:   woken at 20 ......... polled at 135: 115 ms scheduled delay
    /// ```
    #[test]
    fn polls_busy_and_scheduled_time() {
        let big = 9_007_199_254_740_993u64; // 2^53 + 1: must survive exactly
        let lines = vec![
            r#"{"v":1}"#.to_string(),
            spawn(big, 0, "task"),
            spawn(2, 0, "task"),
            rec("Enter", 2, 1),
            rec("Exit", 2, 2),
            rec("Enter", big, 10),
            wake(2, 20),
            rec("Exit", big, 130),
            rec("Enter", 2, 135),
            rec("Exit", 2, 136),
            rec("Close", big, 140),
            rec("Close", 2, 141),
            rec("Enter", 77, 141),
            rec("Exit", 77, 142),
        ];
        let ing = read_lines(&lines).expect("reads");
        assert_eq!(ing.report.format, Format::ConsoleRecording);
        let t = &ing.trace.tasks;
        assert_eq!(t.len(), 2);
        let a = t
            .iter()
            .find(|x| x.task_id.as_deref() == Some("9007199254740993"))
            .expect("big id");
        assert_eq!((a.polls, a.busy, a.max_poll), (1, 120 * MS, 120 * MS));
        assert_eq!(a.long_polls, vec![(10 * MS, 130 * MS)]);
        let b = t
            .iter()
            .find(|x| x.task_id.as_deref() == Some("2"))
            .expect("task 2");
        assert_eq!(b.polls, 2);
        assert_eq!(b.wakes, 1);
        // First poll: 1 ms after spawn; second: woken at 20, polled at 135.
        assert_eq!(b.scheduled, MS + 115 * MS);
        // Delays of 1 ms or more are kept one by one (times from the trace start).
        assert_eq!(b.delays, vec![(0, MS), (20 * MS, 135 * MS)]);
        assert!(
            ing.report
                .warnings
                .iter()
                .any(|w| w.contains("never spawned"))
        );
    }

    #[test]
    fn ids_are_reused_after_close() {
        let lines = vec![
            r#"{"v":1}"#.to_string(),
            spawn(5, 0, "task"),
            rec("Enter", 5, 1),
            rec("Exit", 5, 3),
            rec("Close", 5, 4),
            spawn(5, 10, "blocking"),
            rec("Enter", 5, 11),
            rec("Exit", 5, 61),
            rec("Close", 5, 62),
        ];
        let ing = read_lines(&lines).expect("reads");
        let t = &ing.trace.tasks;
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].kind.as_str(), t[0].busy), ("task", 2 * MS));
        assert_eq!((t[1].kind.as_str(), t[1].busy), ("blocking", 50 * MS));
    }

    #[test]
    fn cut_off_last_line_and_bad_line() {
        let mut lines = vec![
            r#"{"v":1}"#.to_string(),
            spawn(1, 0, "task"),
            rec("Enter", 1, 1),
        ];
        lines.push(r#"{"Exit":{"id":1,"at":{"secs_since"#.to_string());
        let ing = read_lines(&lines).expect("reads");
        assert!(
            ing.report
                .warnings
                .iter()
                .any(|w| w.contains("line 4") && w.contains("cut off"))
        );
        assert!(ing.trace.tasks[0].running);

        let bad = vec![
            r#"{"v":1}"#.to_string(),
            spawn(1, 0, "task"),
            "{not json".to_string(),
            rec("Enter", 1, 1),
        ];
        let err = read_lines(&bad).unwrap_err().to_string();
        assert!(err.starts_with("rec.json: line 3:"), "{err}");
    }
}
