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
//! only when it needs individual attention: a long poll, a wait or idle stretch under another
//! task's long poll, mostly self-wakes. Long polls are those at or over the stall threshold
//! of the [`Config`].
//!
//! When a log of the same run was read first (the sink's
//! [`join_index`](crate::model::TreeSink::join_index)), every poll of an application task is
//! offered to the [`JoinIndex`], tasks are held until the end, and those it labels are grouped
//! under the endpoint they served instead of their own site.
//!
//! Lines are parsed into borrowed, typed structs. A cut-off last line (the recorder's writer
//! thread is never joined, so a killed process leaves one) is a warning; records of unknown
//! kinds, or of a known kind with unexpected contents, are counted and skipped; a line that
//! is not JSON is an error naming it.

use super::InputStats;
use super::lines::{Lines, excerpt};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{
    FieldValue, HELD_IDLE_SLACK, JoinIndex, JoinState, NEVER_YIELDED, Ns, SELF_WAKE_PERCENT,
    SpanIdx, Sym, TaskData, TaskRecord, TaskRole, TaskTotals, TraceBuilder,
};
use rustc_hash::FxHashMap as HashMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;
use std::sync::Arc;

/// Waits and idle stretches shorter than this are not kept one by one.
const DELAY_FLOOR: Ns = 1_000_000;
/// Groups beyond this many (tasks named one by one, say) are summed under one site.
const MAX_GROUPS: usize = 10_000;
const OTHER_SITES: &str = "(other sites)";

// ---------------------------------------------------------------------------------------------
// Lines as typed, borrowed records.

#[derive(Deserialize)]
struct Header {
    v: u64,
}

#[derive(Deserialize)]
struct At {
    secs_since_epoch: u64,
    nanos_since_epoch: u32,
}

impl At {
    /// Unix time in ns; `None` past the year 2262.
    fn ns(&self) -> Option<Ns> {
        i64::try_from(self.secs_since_epoch)
            .ok()?
            .checked_mul(1_000_000_000)?
            .checked_add(i64::from(self.nanos_since_epoch))
    }
}

#[derive(Deserialize)]
struct SpawnBody<'a> {
    id: u64,
    at: At,
    #[serde(borrow, default)]
    fields: Vec<Field<'a>>,
}

#[derive(Deserialize)]
struct Field<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    value: FieldVal<'a>,
}

/// A field value: console-subscriber writes strings (debug values too), unsigned and signed
/// integers and booleans.
enum FieldVal<'a> {
    Str(Cow<'a, str>),
    U64(u64),
    I64(i64),
    Bool(bool),
    Other,
}

impl FieldVal<'_> {
    fn text(&self) -> Cow<'_, str> {
        match self {
            FieldVal::Str(s) => Cow::Borrowed(s),
            FieldVal::U64(v) => Cow::Owned(v.to_string()),
            FieldVal::I64(v) => Cow::Owned(v.to_string()),
            FieldVal::Bool(v) => Cow::Owned(v.to_string()),
            FieldVal::Other => Cow::Borrowed("?"),
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            FieldVal::Str(s) => Some(s),
            _ => None,
        }
    }

    fn as_u64(&self) -> Option<u64> {
        match self {
            FieldVal::U64(v) => Some(*v),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for FieldVal<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldVal<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, integer or boolean")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::Str(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::U64(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::I64(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::Bool(v))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<FieldVal<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FieldVal::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<FieldVal<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(FieldVal::Other)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct IdAt {
    id: u64,
    at: At,
}

#[derive(Deserialize)]
struct WakerBody {
    id: u64,
    op: WakeOp,
    at: At,
}

/// `"Clone"`, `"Drop"`, `{"Wake":{"self_wake":bool}}`, `{"WakeByRef":{"self_wake":bool}}`.
#[derive(Deserialize)]
enum WakeOp {
    Wake {
        #[serde(default)]
        self_wake: bool,
    },
    WakeByRef {
        #[serde(default)]
        self_wake: bool,
    },
    Clone,
    Drop,
}

/// One event line: `{"Variant": {...}}`. Unknown variants are read past, not errors.
enum Record<'a> {
    Spawn(SpawnBody<'a>),
    Enter(IdAt),
    Exit(IdAt),
    Close(IdAt),
    Waker(WakerBody),
    Unknown,
}

impl<'de> Deserialize<'de> for Record<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Record<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "an object with one key naming the event (Spawn, Enter, Exit, Close, Waker)",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record<'de>, A::Error> {
                let Some(tag) = map.next_key::<Cow<'de, str>>()? else {
                    return Err(de::Error::custom("an empty object, expected one event"));
                };
                let rec = match &*tag {
                    "Spawn" => Record::Spawn(map.next_value()?),
                    "Enter" => Record::Enter(map.next_value()?),
                    "Exit" => Record::Exit(map.next_value()?),
                    "Close" => Record::Close(map.next_value()?),
                    "Waker" => Record::Waker(map.next_value()?),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                        Record::Unknown
                    }
                };
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(rec)
            }
        }
        d.deserialize_map(V)
    }
}

// ---------------------------------------------------------------------------------------------
// Per-task bookkeeping.

/// A task between its Spawn and its Close.
struct Live {
    span: SpanIdx,
    /// Unique within the recording (span ids are reused): the task's number for the join.
    seq: u32,
    group: usize,
    rec: TaskRecord,
    /// Enter depth: a span entered again while entered is still one poll (as the console counts).
    depth: u32,
    poll_start: Option<Ns>,
    last_poll_start: Option<Ns>,
    prev_end: Option<Ns>,
    /// When the task became ready for its next poll: its first wake after the previous poll
    /// ended, or that end for a wake that came during the poll.
    ready: Option<Ns>,
    woken_in_poll: bool,
    last_seen: Ns,
}

/// Interned field keys of task spans.
struct Keys {
    task: Sym,
}

/// Task groups and the tasks kept whole, filled by both readers.
#[derive(Default)]
struct TaskSink {
    /// Group index by site, then (kind, role).
    group_index: HashMap<String, Vec<(String, TaskRole, usize)>>,
    totals: Vec<TaskTotals>,
    records: Vec<TaskRecord>,
    /// Finished tasks held back until the join labels them: (task number, record, group).
    pending: Vec<(u32, TaskRecord, usize)>,
}

impl TaskSink {
    /// The index of the group (site, kind, role), created on first use.
    fn group(&mut self, site: String, kind: &str, role: TaskRole) -> usize {
        let site = if self.totals.len() >= MAX_GROUPS && !self.group_index.contains_key(&site) {
            OTHER_SITES.to_string()
        } else {
            site
        };
        let list = self.group_index.entry(site.clone()).or_default();
        if let Some(&(_, _, i)) = list.iter().find(|(k, r, _)| k == kind && *r == role) {
            return i;
        }
        let i = self.totals.len();
        list.push((kind.to_string(), role, i));
        self.totals.push(TaskTotals {
            site,
            kind: kind.to_string(),
            role,
            ..TaskTotals::default()
        });
        i
    }

    /// Sums a finished task into its group and keeps it whole when it needs individual
    /// attention.
    fn add(&mut self, rec: TaskRecord, group: usize) {
        if let Some(totals) = self.totals.get_mut(group) {
            totals.add(&rec);
        }
        let keep = rec.role != TaskRole::App
            || rec.closed.is_none()
            || !rec.long_polls.is_empty()
            || !rec.delays.is_empty()
            || !rec.idle_gaps.is_empty()
            || (!rec.is_blocking() && rec.self_wake_percent() > SELF_WAKE_PERCENT)
            || (!rec.is_blocking() && rec.first_poll_duration.unwrap_or(0) >= NEVER_YIELDED);
        if keep {
            self.records.push(rec);
        }
    }

    /// Adds the tasks held back for the join, application tasks with a label under it.
    fn relabel(&mut self, labels: &std::collections::HashMap<u32, Arc<str>>) {
        for (seq, mut rec, mut group) in std::mem::take(&mut self.pending) {
            if let (TaskRole::App, Some(label)) = (rec.role, labels.get(&seq)) {
                rec.site = label.to_string();
                let kind = rec.kind.clone();
                group = self.group(rec.site.clone(), &kind, rec.role);
                if let Some(g) = self.totals.get_mut(group) {
                    g.joined = true;
                }
            }
            self.add(rec, group);
        }
    }

    fn finish(mut self, floor: Ns, max_concurrent_polls: usize, other_spans: u64) -> TaskData {
        self.records.sort_by_key(|r| (r.spawned, r.span_id));
        // Groups left empty by the join (every task of theirs went to an endpoint).
        self.totals.retain(|g| g.tasks > 0);
        TaskData {
            records: self.records,
            totals: self.totals,
            long_poll_floor: floor,
            max_concurrent_polls,
            other_spans,
            join: None,
        }
    }
}

struct Reader<'a, 'b, 's> {
    b: &'a mut TraceBuilder<'s>,
    report: &'a mut InputStats,
    name: &'b str,
    live: HashMap<u64, Live>,
    tasks: TaskSink,
    /// Finished long polls of async application tasks, sorted by end, pruned as tasks close.
    long_polls: Vec<(Ns, Ns)>,
    pruned_at: usize,
    /// Async application tasks in a poll: (span id, poll start).
    running: Vec<(u64, Ns)>,
    max_concurrent: usize,
    floor: Ns,
    delay_floor: Ns,
    keys: Keys,
    other_records: u64,
    other_closes: u64,
    unknown: u64,
    malformed: u64,
    unmatched_exits: u64,
    respawned: u64,
    /// Requests of a log of the same run and where their anchors fell so far.
    join: Option<(Arc<JoinIndex>, JoinState)>,
    next_seq: u32,
    /// Worker launch tasks seen so far.
    workers: usize,
}

/// Reads a recording from `reader` into `b`.
pub fn read(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder<'_>,
    report: &mut InputStats,
    config: &Config,
) -> Result<()> {
    let floor = config.stall_threshold().max(1);
    let keys = Keys {
        task: b.intern("task"),
    };
    let mut r = Reader {
        b,
        report,
        name,
        live: HashMap::default(),
        tasks: TaskSink::default(),
        long_polls: Vec::new(),
        pruned_at: 0,
        running: Vec::new(),
        max_concurrent: 0,
        floor,
        delay_floor: DELAY_FLOOR.min(floor),
        keys,
        other_records: 0,
        other_closes: 0,
        unknown: 0,
        malformed: 0,
        unmatched_exits: 0,
        respawned: 0,
        join: None,
        next_seq: 0,
        workers: 0,
    };
    if let Some(ix) = r.b.join_index().filter(|ix| !ix.is_empty()) {
        let state = ix.state();
        r.join = Some((ix, state));
    }
    let mut lines = Lines::new(name, reader);
    let mut header = false;
    while let Some((line_no, line, complete)) = lines.next_line()? {
        let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if !header {
            r.header(line_no, line)?;
            header = true;
            continue;
        }
        let rec: Record<'_> = match serde_json::from_slice(line) {
            Ok(rec) => rec,
            Err(_) if !complete => {
                r.report.warn(format!(
                    "line {line_no}: the last line is cut off (the recording was not finished); kept everything before it"
                ));
                r.report.skipped += 1;
                break;
            }
            Err(e) if e.is_data() => {
                r.malformed += 1;
                r.report.skipped += 1;
                if r.malformed <= 3 {
                    r.report.warn(format!(
                        "line {line_no}: an event with unexpected contents, skipped: {e}: {}",
                        excerpt(&String::from_utf8_lossy(line), 80)
                    ));
                }
                continue;
            }
            Err(e) => {
                return Err(Error::line(
                    name,
                    line_no,
                    format!(
                        "expected one JSON event per line (console-subscriber recording): {e}: {}",
                        excerpt(&String::from_utf8_lossy(line), 60)
                    ),
                ));
            }
        };
        r.event(line_no, rec);
    }
    if !header {
        return Err(Error::input(
            name,
            "empty recording: expected a {\"v\":1} header line, then one event per line",
        ));
    }
    r.finish();
    Ok(())
}

impl Reader<'_, '_, '_> {
    fn header(&mut self, line_no: u64, line: &[u8]) -> Result<()> {
        let h: Header = serde_json::from_slice(line).map_err(|e| {
            Error::line(
                self.name,
                line_no,
                format!(
                    "expected the recording header {{\"v\":1}}: {e}: {}",
                    excerpt(&String::from_utf8_lossy(line), 60)
                ),
            )
        })?;
        if h.v != 1 {
            self.report.warn(format!(
                "recording format version {}; this stallscope knows version 1 and reads it as such",
                h.v
            ));
        }
        Ok(())
    }

    /// A Unix time in ns, or `None` (counted) for one out of range.
    fn time(&mut self, line_no: u64, at: &At) -> Option<Ns> {
        let t = at.ns();
        if t.is_none() {
            self.malformed += 1;
            self.report.skipped += 1;
            if self.malformed <= 3 {
                self.report
                    .warn(format!("line {line_no}: a time out of range, skipped"));
            }
        }
        t
    }

    fn event(&mut self, line_no: u64, rec: Record<'_>) {
        let at = match &rec {
            Record::Spawn(s) => &s.at,
            Record::Enter(e) | Record::Exit(e) | Record::Close(e) => &e.at,
            Record::Waker(w) => &w.at,
            Record::Unknown => {
                self.unknown += 1;
                self.report.skipped += 1;
                return;
            }
        };
        let Some(t) = self.time(line_no, at) else {
            return;
        };
        self.b.saw_time(t);
        match rec {
            Record::Spawn(s) => self.spawn(line_no, s, t),
            Record::Enter(e) => self.enter(e.id, t),
            Record::Exit(e) => self.exit(e.id, t),
            Record::Close(e) => self.close(e.id, t),
            Record::Waker(w) => self.waker(w.id, w.op, t),
            Record::Unknown => {}
        }
    }

    fn spawn(&mut self, line_no: u64, s: SpawnBody<'_>, t: Ns) {
        if let Some(old) = self.live.remove(&s.id) {
            // The id is only reused after a Close: this one's Close was lost.
            self.respawned += 1;
            if self.respawned == 1 {
                self.report.warn(format!(
                    "line {line_no}: span id {} spawned again without a Close; the earlier task is taken as ended at its last event",
                    s.id
                ));
            }
            let end = old.last_seen;
            self.end_task(old, end, true);
        }
        self.report.events += 1;
        let field = |k: &str| s.fields.iter().find(|f| f.name == k).map(|f| &f.value);
        let kind = field("kind")
            .and_then(FieldVal::as_str)
            .unwrap_or("task")
            .to_string();
        let task_name = field("task.name")
            .and_then(FieldVal::as_str)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let fn_name = field("fn").and_then(FieldVal::as_str);
        let role = if kind == "block_on" {
            TaskRole::BlockOn
        } else if kind == "blocking"
            && fn_name.is_some_and(|f| f.contains("worker::Launch::launch"))
        {
            TaskRole::Worker
        } else {
            TaskRole::App
        };
        // The recorder drops the spawn location; another producer may keep it.
        let location = field("loc.file").map(|file| {
            let mut loc = file.text().into_owned();
            for k in ["loc.line", "loc.col"] {
                if let Some(v) = field(k) {
                    loc.push(':');
                    loc.push_str(&v.text());
                }
            }
            loc
        });
        let site = location
            .or_else(|| task_name.clone())
            .or_else(|| fn_name.map(str::to_string))
            .unwrap_or_else(|| kind.clone());
        let group = self.tasks.group(site.clone(), &kind, role);
        let span_name = match &task_name {
            Some(n) => self.b.intern(n),
            None => self.keys.task,
        };
        let fields: Vec<(Sym, FieldValue)> = s
            .fields
            .iter()
            .map(|f| (self.b.intern(&f.name), f.value.text().into()))
            .collect();
        let span = self.b.open_span(span_name, None, None, t, fields);
        let rec = TaskRecord {
            span_id: s.id,
            task_id: field("task.id").map(|v| v.text().into_owned()),
            name: task_name,
            kind,
            role,
            site,
            spawned: t,
            size_bytes: field("size.bytes").and_then(FieldVal::as_u64),
            original_size_bytes: field("original_size.bytes").and_then(FieldVal::as_u64),
            ..TaskRecord::default()
        };
        self.workers += usize::from(role == TaskRole::Worker);
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.live.insert(
            s.id,
            Live {
                span,
                seq,
                group,
                rec,
                depth: 0,
                poll_start: None,
                last_poll_start: None,
                prev_end: None,
                ready: None,
                woken_in_poll: false,
                last_seen: t,
            },
        );
    }

    fn enter(&mut self, id: u64, t: Ns) {
        let Some(l) = self.live.get_mut(&id) else {
            self.other_records += 1;
            self.report.skipped += 1;
            return;
        };
        self.report.events += 1;
        l.last_seen = t;
        l.depth += 1;
        self.b.enter(l.span, None, t);
        if l.depth > 1 {
            return;
        }
        l.poll_start = Some(t);
        l.last_poll_start = Some(t);
        l.rec.polls += 1;
        // The console's scheduled time: from the later of the last wake and the previous end.
        if let Some(base) = l.rec.last_wake.max(l.prev_end) {
            l.rec.scheduled += (t - base).max(0);
        }
        // The wait for this poll, kept when it began during another task's long poll.
        let ready = if l.rec.first_poll.is_none() {
            Some(l.rec.spawned)
        } else {
            l.ready
        };
        l.ready = None;
        l.woken_in_poll = false;
        l.rec.first_poll.get_or_insert(t);
        let async_app = l.rec.is_async_app();
        if let Some(r) = ready.filter(|r| t - r >= self.delay_floor) {
            if inside_long_poll(&self.long_polls, &self.running, id, r) {
                l.rec.delays.push((r, t));
            }
        }
        if async_app {
            self.running.push((id, t));
            self.max_concurrent = self.max_concurrent.max(self.running.len());
        }
    }

    fn exit(&mut self, id: u64, t: Ns) {
        let Some(l) = self.live.get_mut(&id) else {
            self.other_records += 1;
            self.report.skipped += 1;
            return;
        };
        self.report.events += 1;
        l.last_seen = t;
        if l.depth == 0 {
            self.unmatched_exits += 1;
            return;
        }
        l.depth -= 1;
        self.b.exit(l.span, None, t);
        if l.depth == 0 {
            if let (Some((ix, st)), Some(s), TaskRole::App) =
                (self.join.as_mut(), l.poll_start, l.rec.role)
            {
                ix.poll(st, l.seq, s, t);
            }
            end_poll(
                l,
                t,
                self.floor,
                &mut self.long_polls,
                &mut self.running,
                id,
            );
        }
    }

    fn close(&mut self, id: u64, t: Ns) {
        let Some(mut l) = self.live.remove(&id) else {
            self.other_records += 1;
            self.other_closes += 1;
            self.report.skipped += 1;
            return;
        };
        self.report.events += 1;
        // Dropped while entered: the poll ends here.
        while l.depth > 0 {
            l.depth -= 1;
            self.b.exit(l.span, None, t);
        }
        if let Some(s) = l.poll_start {
            if let (Some((ix, st)), TaskRole::App) = (self.join.as_mut(), l.rec.role) {
                ix.poll(st, l.seq, s, t);
            }
            end_poll(
                &mut l,
                t,
                self.floor,
                &mut self.long_polls,
                &mut self.running,
                id,
            );
        }
        self.end_task(l, t, true);
    }

    fn waker(&mut self, id: u64, op: WakeOp, t: Ns) {
        let Some(l) = self.live.get_mut(&id) else {
            self.other_records += 1;
            self.report.skipped += 1;
            return;
        };
        self.report.events += 1;
        l.last_seen = t;
        let self_wake = match op {
            WakeOp::Clone => {
                l.rec.waker_clones += 1;
                return;
            }
            WakeOp::Drop => {
                l.rec.waker_drops += 1;
                return;
            }
            // Waking by value consumes the waker without a Drop event: the console counts it as
            // one, so that live wakers = clones - drops.
            WakeOp::Wake { self_wake } => {
                l.rec.waker_drops += 1;
                self_wake
            }
            WakeOp::WakeByRef { self_wake } => self_wake,
        };
        l.rec.wakes += 1;
        l.rec.self_wakes += u64::from(self_wake);
        l.rec.last_wake = Some(l.rec.last_wake.map_or(t, |w| w.max(t)));
        if l.depth > 0 {
            l.woken_in_poll = true;
        } else if l.ready.is_none() && l.rec.first_poll.is_some() {
            l.ready = Some(t);
            // The idle stretch this wake ends, kept when the wake came right after a long poll
            // ended within it, or while long polls are still open on every worker: their Exit
            // lines may come later, as lines from several threads are not quite in time order
            // (the analysis decides).
            if let Some(e) = l.prev_end.filter(|e| t - e >= self.delay_floor) {
                let workers = if self.workers > 0 {
                    self.workers
                } else {
                    self.max_concurrent.max(1)
                };
                let open_long = self
                    .running
                    .iter()
                    .filter(|&&(r, s)| r != id && t - s >= self.floor)
                    .count();
                if open_long >= workers
                    || long_poll_ended(&self.long_polls, e.max(t - HELD_IDLE_SLACK), t)
                {
                    l.rec.idle_gaps.push((e, t));
                }
            }
        }
    }

    /// Sums a task into its group and keeps it whole when it needs individual attention.
    /// `end` is its close, or the end of the recording.
    fn end_task(&mut self, l: Live, end: Ns, closed: bool) {
        let mut rec = l.rec;
        if closed {
            rec.closed = Some(end);
            self.b.close(l.span, end, None, None, None);
        }
        rec.idle = (end - rec.spawned - rec.busy - rec.scheduled).max(0);
        if self.join.is_some() {
            self.tasks.pending.push((l.seq, rec, l.group));
        } else {
            self.tasks.add(rec, l.group);
        }
        // Long polls that ended before every live task's last activity can overlap no wait
        // still to come.
        if self.long_polls.len() >= self.pruned_at + 4096 {
            let horizon = self
                .live
                .values()
                .map(|l| l.prev_end.unwrap_or(l.rec.spawned))
                .min()
                .unwrap_or(Ns::MAX);
            let cut = self.long_polls.partition_point(|p| p.1 <= horizon);
            self.long_polls.drain(..cut);
            self.pruned_at = self.long_polls.len();
        }
    }

    /// Tasks still alive at the end: polls in progress count up to the end (as the console
    /// shows them), and a wake not yet answered counts as scheduled time.
    fn finish(mut self) {
        let end = self.b.last_time().unwrap_or(0);
        let mut rest: Vec<(u64, Live)> = self.live.drain().collect();
        rest.sort_by_key(|(id, l)| (l.rec.spawned, *id));
        let still = rest.len();
        for (id, mut l) in rest {
            if let Some(s) = l.poll_start {
                let d = (end - s).max(0);
                l.rec.running = true;
                l.rec.busy += d;
                l.rec.max_poll = l.rec.max_poll.max(d);
                if l.rec.polls == 1 {
                    l.rec.first_poll_duration = Some(d);
                }
                if d >= self.floor && l.rec.is_async_app() {
                    l.rec.long_polls.push((s, end));
                }
                self.running.retain(|(r, _)| *r != id);
            }
            let woken_after_poll = l.rec.last_wake > l.last_poll_start;
            l.rec.woken = l.rec.polls == 0 || woken_after_poll;
            if let (true, false, Some(w)) = (woken_after_poll, l.rec.running, l.rec.last_wake) {
                l.rec.scheduled += (end - w).max(0);
            }
            self.end_task(l, end, false);
        }
        let joined = self.join.take().map(|(ix, st)| ix.resolve(&st, self.name));
        if let Some(j) = &joined {
            self.tasks.relabel(&j.labels);
        }
        *self.b.tasks_mut() = std::mem::take(&mut self.tasks).finish(
            self.floor,
            self.max_concurrent,
            self.other_closes,
        );
        self.b.tasks_mut().join = joined.map(|j| j.summary);
        let report = &mut *self.report;
        if self.other_records > 0 {
            report.warn(format!(
                "{} events for {} resources and async ops (ids never spawned) are not tasks; left out",
                self.other_records, self.other_closes
            ));
        }
        if self.unknown > 0 {
            report.warn(format!(
                "{} events of unknown kinds skipped (this stallscope knows Spawn, Enter, Exit, Close, Waker)",
                self.unknown
            ));
        }
        if self.malformed > 3 {
            report.warn(format!(
                "{} events with unexpected contents skipped in all",
                self.malformed
            ));
        }
        if self.unmatched_exits > 0 {
            report.warn(format!(
                "{} Exit events of tasks that were not entered; ignored",
                self.unmatched_exits
            ));
        }
        if self.respawned > 1 {
            report.warn(format!(
                "{} span ids spawned again without a Close in all",
                self.respawned
            ));
        }
        if still > 0 {
            report.warn(format!(
                "{still} tasks were still alive when the recording ended (their figures run to its last event)"
            ));
        }
    }
}

/// Ends the poll in progress of `l` at `t`.
fn end_poll(
    l: &mut Live,
    t: Ns,
    floor: Ns,
    long_polls: &mut Vec<(Ns, Ns)>,
    running: &mut Vec<(u64, Ns)>,
    id: u64,
) {
    let Some(s) = l.poll_start.take() else {
        return;
    };
    let d = (t - s).max(0);
    l.rec.busy += d;
    l.rec.max_poll = l.rec.max_poll.max(d);
    if l.rec.polls == 1 {
        l.rec.first_poll_duration = Some(d);
    }
    l.prev_end = Some(t);
    if l.woken_in_poll {
        l.ready = Some(t);
        l.woken_in_poll = false;
    }
    if l.rec.is_async_app() {
        if let Some(i) = running.iter().position(|(r, _)| *r == id) {
            running.swap_remove(i);
        }
        if d >= floor {
            l.rec.long_polls.push((s, t));
            // Lines come nearly in time order: the insertion point is at or near the end.
            let at = long_polls.partition_point(|p| p.1 <= t);
            long_polls.insert(at, (s, t));
        }
    }
}

/// Whether `t` fell inside another task's long poll: a finished one, or one still running
/// (which may turn out short: the analysis decides).
fn inside_long_poll(long_polls: &[(Ns, Ns)], running: &[(u64, Ns)], me: u64, t: Ns) -> bool {
    // Sorted by end: those from `first` on ended after `t`; one that also started by `t` held
    // it. Nearly always one of the first few looked at does, if any.
    let first = long_polls.partition_point(|p| p.1 <= t);
    let finished = long_polls[first..].iter().take(64).any(|p| p.0 <= t);
    finished || running.iter().any(|&(r, s)| r != me && s <= t)
}

/// Whether a long poll ended in `[from, to]` (the analysis takes windows ending exactly
/// [`HELD_IDLE_SLACK`] before a wake too).
fn long_poll_ended(long_polls: &[(Ns, Ns)], from: Ns, to: Ns) -> bool {
    let first = long_polls.partition_point(|p| p.1 < from);
    long_polls.get(first).is_some_and(|p| p.1 <= to)
}

// ---------------------------------------------------------------------------------------------
// Live captures (`stallscope record`, see `crate::capture`).

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
    at: Option<Ns>,
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
/// (its start and end are in the snapshot), so long polls found here are a lower bound. Tasks
/// become [`TaskRecord`]s and group totals as with recordings (no spans: there are no events),
/// grouped by task name, else spawn location, else closure type.
pub fn read_capture(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder<'_>,
    report: &mut InputStats,
    config: &Config,
) -> Result<()> {
    let floor = config.stall_threshold().max(1);
    if b.join_index().is_some_and(|ix| !ix.is_empty()) {
        report.warn(
            "a live capture is not joined to logs: it holds each task's poll counts and last poll, not every poll; its tasks keep their own names",
        );
    }
    let mut lines = Lines::new(name, reader);
    // Tasks in the order first reported: (group, record, last snapshot).
    let mut tasks: HashMap<u64, usize> = HashMap::default();
    let mut order: Vec<(usize, TaskRecord, Option<CapStats>)> = Vec::new();
    let mut sink = TaskSink::default();
    let mut header = false;
    b.set_unix_offset(0);
    while let Some((line_no, line, complete)) = lines.next_line()? {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
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
            Err(_) if !complete => {
                report.warn(format!(
                    "line {line_no}: the last line is cut off; kept everything before it"
                ));
                report.skipped += 1;
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
                let field = |k: &str| t.fields.get(k).map(|v| v.trim_matches('"'));
                let kind = field("kind").unwrap_or(&t.kind).to_string();
                let fn_name = field("fn");
                let role = if kind == "block_on" {
                    TaskRole::BlockOn
                } else if fn_name.is_some_and(|f| f.contains("worker::Launch::launch")) {
                    TaskRole::Worker
                } else {
                    TaskRole::App
                };
                let task_name = t
                    .name
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .map(str::to_string);
                let site = task_name
                    .clone()
                    .or_else(|| t.location.as_deref().map(str::to_string))
                    .or_else(|| fn_name.map(str::to_string))
                    .unwrap_or_else(|| kind.clone());
                let group = sink.group(site.clone(), &kind, role);
                let record = TaskRecord {
                    span_id: t.id,
                    task_id: field("task.id").map(str::to_string),
                    name: task_name,
                    kind,
                    role,
                    site,
                    size_bytes: field("size.bytes").and_then(|v| v.parse().ok()),
                    original_size_bytes: field("original_size.bytes").and_then(|v| v.parse().ok()),
                    ..TaskRecord::default()
                };
                match tasks.get(&t.id) {
                    Some(&i) => order[i] = (group, record, None),
                    None => {
                        tasks.insert(t.id, order.len());
                        order.push((group, record, None));
                    }
                }
            }
            CapLine::Stats(st) => {
                let Some(&i) = tasks.get(&st.id) else {
                    report.skipped += 1;
                    continue;
                };
                let (_, task, prev) = &mut order[i];
                // The snapshot shows its last poll exactly. The other polls since the previous
                // snapshot are known only by their number and total busy time: when they
                // average over the floor, one of them lasted at least that long, just before
                // the last.
                let (p0, b0) = prev.map_or((0, 0), |p| (p.polls, p.busy_ns));
                let (dp, db) = (st.polls.saturating_sub(p0), (st.busy_ns - b0).max(0));
                if let (Some(s), Some(e)) = (st.last_poll_started, st.last_poll_ended) {
                    if dp > 0 && e >= s {
                        let last = e - s;
                        if last >= floor {
                            task.long_polls.push((s, e));
                        }
                        let others = db - last;
                        // At least the mean of the other polls (a lower bound).
                        let longest = if dp > 1 { others / (dp as i64 - 1) } else { 0 };
                        if longest >= floor {
                            task.long_polls.push((s - longest, s));
                        }
                        b.saw_time(s);
                    }
                }
                for t in [st.at, st.created, st.dropped].into_iter().flatten() {
                    b.saw_time(t);
                }
                *prev = Some(st);
            }
            CapLine::End(_) => {}
        }
    }
    if !header {
        return Err(Error::input(name, "empty capture"));
    }
    let end = b.last_time().unwrap_or(0);
    for (group, mut t, st) in order {
        let Some(st) = st else {
            continue;
        };
        t.spawned = st.created.or(st.first_poll).unwrap_or(0);
        t.closed = st.dropped;
        t.polls = st.polls;
        t.busy = st.busy_ns;
        t.scheduled = st.scheduled_ns;
        t.first_poll = st.first_poll;
        t.long_polls.sort_unstable();
        t.max_poll = t.long_polls.iter().map(|p| p.1 - p.0).max().unwrap_or(0);
        t.wakes = st.wakes;
        t.self_wakes = st.self_wakes;
        t.waker_clones = st.waker_clones;
        t.waker_drops = st.waker_drops;
        t.last_wake = None;
        t.running = st
            .last_poll_started
            .zip(st.last_poll_ended)
            .is_some_and(|(s, e)| s > e)
            || (st.last_poll_started.is_some() && st.last_poll_ended.is_none());
        t.woken = st.polls == 0;
        if st.polls == 1 && st.first_poll == st.last_poll_started {
            let s = st.first_poll.unwrap_or(0);
            t.first_poll_duration =
                Some(st.last_poll_ended.filter(|e| *e >= s).unwrap_or(end.max(s)) - s);
        }
        t.idle = (t.closed.unwrap_or(end) - t.spawned - t.busy - t.scheduled).max(0);
        if t.is_async_app() {
            t.long_polls.retain(|p| p.1 - p.0 >= floor);
        } else {
            t.long_polls.clear();
        }
        sink.add(t, group);
    }
    *b.tasks_mut() = sink.finish(floor, 0, 0);
    report.warn(
        "a live capture holds snapshots, not every poll: a long poll is seen exactly as a task's last poll, otherwise inferred from the busy time between snapshots and placed just before the last poll; record with console-subscriber's recording_path for every poll"
            .to_string(),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Generated recordings, for benchmarks.

/// Seeded recordings of a made-up server, for benchmarks and scale tests.
#[doc(hidden)]
pub mod testgen {
    use std::collections::BinaryHeap;
    use std::io::{self, Write};

    /// splitmix64: small, seedable, good enough for test data.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// Uniform in `lo..hi` (`lo` when the range is empty).
        fn range(&mut self, lo: u64, hi: u64) -> u64 {
            if hi <= lo {
                lo
            } else {
                lo + self.next() % (hi - lo)
            }
        }

        fn chance(&mut self, per_mille: u64) -> bool {
            self.next() % 1000 < per_mille
        }
    }

    /// Where a simulated task is in its life.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Step {
        Spawn,
        Enter,
        Exit,
        Park,
        Wake,
        DropEnter,
        DropExit,
        Close,
        /// A resource (never spawned): entered, exited, closed.
        ResEnter,
        ResExit,
        ResClose,
    }

    struct Sim {
        id: u64,
        kind: u8,
        step: Step,
        polls_left: u32,
        task_id: u64,
    }

    /// Writes a recording of `tasks` tasks, the same bytes for the same `seed`.
    ///
    /// About 64 tasks are alive at once: mostly unnamed async tasks (1984-byte futures) of 1 to
    /// 20 short polls each, with waker clones, drops and wakes (2 in 100 answered 1-20 ms
    /// late); 2 in 1000 polls run 15-120 ms of CPU inline; some `spawn_blocking` closures and named tasks; resources (ids never
    /// spawned) entered and closed; two worker launch tasks and a `block_on` alive throughout.
    /// Span ids come from a slab, reused after a close with a new generation in the high bits,
    /// so many exceed 2^53. Each task is about 5.5 KB of JSON (38 000 tasks: ~210 MB).
    pub fn generate_recording(out: &mut impl Write, tasks: usize, seed: u64) -> io::Result<()> {
        let mut rng = Rng(seed ^ 0x5eed_0fc0_ffee);
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
        let mut t: u64 = 1_795_000_000_000_000_000;
        writeln!(buf, "{{\"v\":1}}")?;
        // The runtime: the main block_on and two workers, entered for good (span ids 1-3).
        for (i, fields) in [
            r#"[{"name":"kind","value":"block_on"},{"name":"task.name","value":""},{"name":"task.id","value":1},{"name":"size.bytes","value":624}]"#,
            r#"[{"name":"kind","value":"blocking"},{"name":"task.name","value":""},{"name":"task.id","value":2},{"name":"fn","value":"tokio::runtime::scheduler::multi_thread::worker::Launch::launch::{{closure}}"},{"name":"size.bytes","value":8}]"#,
            r#"[{"name":"kind","value":"blocking"},{"name":"task.name","value":""},{"name":"task.id","value":3},{"name":"fn","value":"tokio::runtime::scheduler::multi_thread::worker::Launch::launch::{{closure}}"},{"name":"size.bytes","value":8}]"#,
        ]
        .iter()
        .enumerate()
        {
            let id = i as u64 + 1;
            t += 20_000;
            write_at(&mut buf, "Spawn", id, t, Some(fields))?;
            t += 5_000;
            write_at(&mut buf, "Enter", id, t, None)?;
        }
        let mut next_task_id = 4u64;
        // Slab: free slots with their generation.
        let mut free: Vec<(u64, u64)> = Vec::new();
        let mut next_slot = 3u64;
        let mut alloc = |rng: &mut Rng, free: &mut Vec<(u64, u64)>| -> (u64, u64) {
            match free.pop() {
                Some((slot, generation)) => (slot, generation + 1),
                None => {
                    next_slot += 1;
                    (next_slot, rng.range(0, 1 << 10))
                }
            }
        };
        let id_of = |slot: u64, generation: u64| ((generation & 0x3_ffff) << 45) | slot;
        // Simulated tasks in a min-heap by the time of their next event.
        let mut heap: BinaryHeap<std::cmp::Reverse<(u64, usize)>> = BinaryHeap::new();
        let mut sims: Vec<Option<Sim>> = Vec::new();
        let mut spawned = 0usize;
        let concurrency = 64.min(tasks.max(1));
        let mut start_one = |rng: &mut Rng,
                             sims: &mut Vec<Option<Sim>>,
                             heap: &mut BinaryHeap<std::cmp::Reverse<(u64, usize)>>,
                             free: &mut Vec<(u64, u64)>,
                             at: u64,
                             resource: bool| {
            let (slot, generation) = alloc(rng, free);
            let kind = match rng.range(0, 100) {
                0..=84 => 0,  // unnamed async task
                85..=94 => 1, // spawn_blocking
                _ => 2,       // named async task
            };
            let sim = Sim {
                id: id_of(slot, generation),
                kind,
                step: if resource {
                    Step::ResEnter
                } else {
                    Step::Spawn
                },
                polls_left: rng.range(1, 21) as u32,
                task_id: 0,
            };
            let i = match sims.iter().position(Option::is_none) {
                Some(i) => {
                    sims[i] = Some(sim);
                    i
                }
                None => {
                    sims.push(Some(sim));
                    sims.len() - 1
                }
            };
            heap.push(std::cmp::Reverse((at, i)));
        };
        for _ in 0..concurrency {
            let at = t + rng.range(0, 1_000_000);
            start_one(&mut rng, &mut sims, &mut heap, &mut free, at, false);
            spawned += 1;
        }
        while let Some(std::cmp::Reverse((at, i))) = heap.pop() {
            t = t.max(at);
            let Some(sim) = sims[i].as_mut() else {
                continue;
            };
            let id = sim.id;
            let next = match sim.step {
                Step::Spawn => {
                    sim.task_id = next_task_id;
                    next_task_id += 1;
                    let fields = match sim.kind {
                        0 => format!(
                            r#"[{{"name":"kind","value":"task"}},{{"name":"task.name","value":""}},{{"name":"task.id","value":{}}},{{"name":"size.bytes","value":1984}}]"#,
                            sim.task_id
                        ),
                        1 => format!(
                            r#"[{{"name":"kind","value":"blocking"}},{{"name":"task.name","value":""}},{{"name":"task.id","value":{}}},{{"name":"fn","value":"server::export::{{{{closure}}}}::{{{{closure}}}}"}},{{"name":"size.bytes","value":40}}]"#,
                            sim.task_id
                        ),
                        _ => format!(
                            r#"[{{"name":"kind","value":"task"}},{{"name":"task.name","value":"conn-{}"}},{{"name":"task.id","value":{}}},{{"name":"size.bytes","value":448}}]"#,
                            sim.task_id % 8,
                            sim.task_id
                        ),
                    };
                    write_at(&mut buf, "Spawn", id, t, Some(&fields))?;
                    if sim.kind == 1 {
                        sim.polls_left = 1;
                    }
                    sim.step = Step::Enter;
                    Some(t + rng.range(2_000, 200_000))
                }
                Step::Enter => {
                    write_at(&mut buf, "Enter", id, t, None)?;
                    sim.step = Step::Exit;
                    let d = if sim.kind == 1 {
                        rng.range(1_000_000, 80_000_000)
                    } else if rng.chance(2) {
                        rng.range(15_000_000, 120_000_000)
                    } else {
                        rng.range(3_000, 200_000)
                    };
                    Some(t + d)
                }
                Step::Exit => {
                    write_at(&mut buf, "Exit", id, t, None)?;
                    sim.polls_left = sim.polls_left.saturating_sub(1);
                    if sim.polls_left == 0 {
                        sim.step = Step::DropEnter;
                        Some(t + rng.range(1_000, 20_000))
                    } else {
                        write_waker(&mut buf, id, t + 500, "\"Clone\"")?;
                        sim.step = Step::Park;
                        Some(t + rng.range(100_000, 30_000_000))
                    }
                }
                Step::Park => {
                    // Something the task awaits is ready: a resource poll, then the wake.
                    sim.step = Step::Wake;
                    if rng.chance(300) {
                        let at = t + rng.range(1_000, 50_000);
                        start_one(&mut rng, &mut sims, &mut heap, &mut free, at, true);
                    }
                    Some(t + rng.range(1_000, 100_000))
                }
                Step::Wake => {
                    if rng.chance(900) {
                        write_waker(&mut buf, id, t, r#"{"Wake":{"self_wake":false}}"#)?;
                    } else {
                        let self_wake = rng.chance(100);
                        write_waker(
                            &mut buf,
                            id,
                            t,
                            if self_wake {
                                r#"{"WakeByRef":{"self_wake":true}}"#
                            } else {
                                r#"{"WakeByRef":{"self_wake":false}}"#
                            },
                        )?;
                        write_waker(&mut buf, id, t + 300, "\"Drop\"")?;
                    }
                    sim.step = Step::Enter;
                    // Now and then the runtime is busy: a wait of 1-20 ms.
                    Some(if rng.chance(20) {
                        t + rng.range(1_000_000, 20_000_000)
                    } else {
                        t + rng.range(2_000, 150_000)
                    })
                }
                Step::DropEnter => {
                    write_at(&mut buf, "Enter", id, t, None)?;
                    sim.step = Step::DropExit;
                    Some(t + rng.range(500, 5_000))
                }
                Step::DropExit => {
                    write_at(&mut buf, "Exit", id, t, None)?;
                    sim.step = Step::Close;
                    Some(t + rng.range(500, 5_000))
                }
                Step::Close | Step::ResClose => {
                    write_at(&mut buf, "Close", id, t, None)?;
                    let slot = id & ((1 << 45) - 1);
                    free.push((slot, (id >> 45) & 0x3_ffff));
                    let was_task = sim.step == Step::Close;
                    sims[i] = None;
                    if was_task && spawned < tasks {
                        spawned += 1;
                        let at = t + rng.range(1_000, 400_000);
                        start_one(&mut rng, &mut sims, &mut heap, &mut free, at, false);
                    }
                    None
                }
                Step::ResEnter => {
                    write_at(&mut buf, "Enter", id, t, None)?;
                    sim.step = Step::ResExit;
                    Some(t + rng.range(500, 5_000))
                }
                Step::ResExit => {
                    write_at(&mut buf, "Exit", id, t, None)?;
                    sim.step = Step::ResClose;
                    Some(t + rng.range(1_000, 2_000_000))
                }
            };
            if let Some(at) = next {
                heap.push(std::cmp::Reverse((at, i)));
            }
            if buf.len() >= 1 << 16 {
                out.write_all(&buf)?;
                buf.clear();
            }
        }
        out.write_all(&buf)?;
        Ok(())
    }

    fn write_at(
        buf: &mut Vec<u8>,
        kind: &str,
        id: u64,
        t: u64,
        fields: Option<&str>,
    ) -> io::Result<()> {
        let (secs, nanos) = (t / 1_000_000_000, t % 1_000_000_000);
        match fields {
            Some(f) => writeln!(
                buf,
                r#"{{"{kind}":{{"id":{id},"at":{{"secs_since_epoch":{secs},"nanos_since_epoch":{nanos}}},"fields":{f}}}}}"#
            ),
            None => writeln!(
                buf,
                r#"{{"{kind}":{{"id":{id},"at":{{"secs_since_epoch":{secs},"nanos_since_epoch":{nanos}}}}}}}"#
            ),
        }
    }

    fn write_waker(buf: &mut Vec<u8>, id: u64, t: u64, op: &str) -> io::Result<()> {
        let (secs, nanos) = (t / 1_000_000_000, t % 1_000_000_000);
        writeln!(
            buf,
            r#"{{"Waker":{{"id":{id},"op":{op},"at":{{"secs_since_epoch":{secs},"nanos_since_epoch":{nanos}}}}}}}"#
        )
    }
}

/// Hand-written recordings for tests: one method per event, times in ms from an arbitrary
/// origin (the trace starts at the first event).
#[cfg(test)]
pub(crate) mod testrec {
    use crate::config::Config;
    use crate::error::Result;
    use crate::ingest::{Ingested, ingest_bytes};

    const T0_SECS: u64 = 1_795_000_000;
    pub const MS: i64 = 1_000_000;
    pub const LAUNCH: &str =
        "tokio::runtime::scheduler::multi_thread::worker::Launch::launch::{{closure}}";

    #[derive(Default)]
    pub struct Rec(pub String);

    impl Rec {
        pub fn new() -> Self {
            Rec("{\"v\":1}\n".to_string())
        }

        fn at(ms: u64) -> String {
            format!(
                r#"{{"secs_since_epoch":{},"nanos_since_epoch":{}}}"#,
                T0_SECS + ms / 1000,
                (ms % 1000) * 1_000_000
            )
        }

        pub fn raw(mut self, line: &str) -> Self {
            self.0.push_str(line);
            self.0.push('\n');
            self
        }

        fn event(self, kind: &str, id: u64, ms: u64) -> Self {
            let line = format!(r#"{{"{kind}":{{"id":{id},"at":{}}}}}"#, Self::at(ms));
            self.raw(&line)
        }

        /// A Spawn with these fields (JSON array members).
        pub fn spawn_with(self, id: u64, ms: u64, fields: &str) -> Self {
            let line = format!(
                r#"{{"Spawn":{{"id":{id},"at":{},"fields":[{fields}]}}}}"#,
                Self::at(ms)
            );
            self.raw(&line)
        }

        /// An unnamed task of `kind`, tokio task id = span id.
        pub fn spawn(self, id: u64, ms: u64, kind: &str) -> Self {
            let fields = format!(
                r#"{{"name":"kind","value":"{kind}"}},{{"name":"task.name","value":""}},{{"name":"task.id","value":{id}}},{{"name":"size.bytes","value":256}}"#
            );
            self.spawn_with(id, ms, &fields)
        }

        /// A worker thread's launch task, entered for good at `ms`.
        pub fn worker(self, id: u64, ms: u64) -> Self {
            let fields = format!(
                r#"{{"name":"kind","value":"blocking"}},{{"name":"task.name","value":""}},{{"name":"task.id","value":{id}}},{{"name":"fn","value":"{LAUNCH}"}},{{"name":"size.bytes","value":8}}"#
            );
            self.spawn_with(id, ms, &fields).enter(id, ms)
        }

        pub fn enter(self, id: u64, ms: u64) -> Self {
            self.event("Enter", id, ms)
        }

        pub fn exit(self, id: u64, ms: u64) -> Self {
            self.event("Exit", id, ms)
        }

        pub fn close(self, id: u64, ms: u64) -> Self {
            self.event("Close", id, ms)
        }

        /// One poll: Enter at `from`, Exit at `to`.
        pub fn poll(self, id: u64, from: u64, to: u64) -> Self {
            self.enter(id, from).exit(id, to)
        }

        fn waker(self, id: u64, ms: u64, op: &str) -> Self {
            let line = format!(
                r#"{{"Waker":{{"id":{id},"op":{op},"at":{}}}}}"#,
                Self::at(ms)
            );
            self.raw(&line)
        }

        /// Woken by value (consumes a waker), not from inside the task.
        pub fn wake(self, id: u64, ms: u64) -> Self {
            self.waker(id, ms, r#"{"Wake":{"self_wake":false}}"#)
        }

        /// Woken by reference from inside its own poll.
        pub fn self_wake(self, id: u64, ms: u64) -> Self {
            self.waker(id, ms, r#"{"WakeByRef":{"self_wake":true}}"#)
        }

        pub fn clone_waker(self, id: u64, ms: u64) -> Self {
            self.waker(id, ms, r#""Clone""#)
        }

        pub fn drop_waker(self, id: u64, ms: u64) -> Self {
            self.waker(id, ms, r#""Drop""#)
        }

        pub fn read(&self) -> Result<Ingested> {
            ingest_bytes("rec.jsonl", self.0.as_bytes(), false, &Config::default())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testrec::{MS, Rec};
    use super::*;
    use crate::ingest::Format;

    fn record(data: &TaskData, span_id: u64) -> &TaskRecord {
        data.records
            .iter()
            .find(|r| r.span_id == span_id)
            .unwrap_or_else(|| panic!("no record for span {span_id}"))
    }

    /// ```text
    /// ms:      0   10                                 130  140
    /// task 1:  spawn [════════ one poll: 120 ms ═══════]    close
    /// ```
    #[test]
    fn one_poll_of_120_ms_is_a_task_span_with_one_execution() {
        let ing = Rec::new()
            .spawn(1, 0, "task")
            .poll(1, 10, 130)
            .close(1, 140)
            .read()
            .expect("reads");
        assert_eq!(ing.stats.format, Format::ConsoleRecording);
        let t = &ing.trace;
        let r = record(&t.tasks, 1);
        assert_eq!((r.polls, r.busy, r.max_poll), (1, 120 * MS, 120 * MS));
        assert_eq!(r.long_polls, vec![(10 * MS, 130 * MS)]);
        assert_eq!(r.first_poll_duration, Some(120 * MS));
        assert_eq!((r.spawned, r.closed), (0, Some(140 * MS)));
        // No wake: the console counts no scheduled time before a first poll.
        assert_eq!((r.scheduled, r.idle), (0, 20 * MS));
        // The model's span and execution.
        assert_eq!(t.spans.len(), 1);
        let span = &t.spans[0];
        assert_eq!(t.name(span), "task");
        assert_eq!(
            (span.start, span.end, span.busy),
            (0, 140 * MS, Some(120 * MS))
        );
        assert_eq!(t.field(span, "kind"), Some("task"));
        assert_eq!(t.field(span, "task.id"), Some("1"));
        assert_eq!(t.executions.len(), 1);
        let e = t.executions[0];
        assert_eq!((e.start, e.end, e.thread), (10 * MS, 130 * MS, None));
        // And its group.
        let g = &t.tasks.totals[0];
        assert_eq!(
            (g.site.as_str(), g.kind.as_str(), g.tasks),
            ("task", "task", 1)
        );
        assert_eq!((g.polls, g.busy, g.long_polls), (1, 120 * MS, 1));
    }

    /// 2^53 and 2^53 + 1 are one number as a float: they must stay two tasks.
    #[test]
    fn ids_above_2_pow_53_stay_exact() {
        let big = 1u64 << 53;
        let ing = Rec::new()
            .spawn(big, 0, "task")
            .spawn(big + 1, 1, "blocking")
            .poll(big + 1, 2, 40)
            .close(big + 1, 41)
            .close(big, 50)
            .read()
            .expect("reads");
        let data = &ing.trace.tasks;
        assert_eq!(data.totals.iter().map(|g| g.tasks).sum::<u64>(), 2);
        let blocking = data
            .totals
            .iter()
            .find(|g| g.kind == "blocking")
            .expect("blocking");
        assert_eq!((blocking.tasks, blocking.busy), (1, 38 * MS));
        let task = data.totals.iter().find(|g| g.kind == "task").expect("task");
        assert_eq!((task.tasks, task.busy, task.completed), (1, 0, 1));
    }

    /// A span id closes, then names a new task: two lives, each with its own figures.
    #[test]
    fn ids_are_reused_after_close() {
        let ing = Rec::new()
            .spawn(5, 0, "task")
            .poll(5, 1, 3)
            .close(5, 4)
            .spawn(5, 10, "blocking")
            .poll(5, 11, 61)
            .close(5, 62)
            .read()
            .expect("reads");
        let totals = &ing.trace.tasks.totals;
        assert_eq!(totals.len(), 2);
        assert_eq!((totals[0].kind.as_str(), totals[0].busy), ("task", 2 * MS));
        assert_eq!(
            (totals[1].kind.as_str(), totals[1].busy),
            ("blocking", 50 * MS)
        );
        assert!(ing.stats.warnings.is_empty(), "{:?}", ing.stats.warnings);
    }

    /// Resources and async ops are entered and closed but never spawned.
    #[test]
    fn ids_never_spawned_are_counted_apart() {
        let ing = Rec::new()
            .spawn(1, 0, "task")
            .poll(7, 1, 2)
            .close(7, 3)
            .poll(1, 4, 5)
            .close(1, 6)
            .read()
            .expect("reads");
        let data = &ing.trace.tasks;
        assert_eq!(data.other_spans, 1);
        assert_eq!(data.totals.len(), 1);
        assert_eq!((ing.stats.events, ing.stats.skipped), (4, 3));
        assert!(ing.stats.warnings[0].contains("3 events for 1 resources"));
    }

    /// The console's scheduled time: poll start - max(last wake, previous poll end).
    ///
    /// ```text
    /// ms:     0  1 2   10        30 31  40 41 42
    /// task:   spawn[]  wake ····· []    [wake-by-ref inside] ]  . []
    ///                  scheduled 20      woken during the poll: ready at its end (41),
    ///                                    polled at 42: scheduled 1
    /// ```
    #[test]
    fn scheduled_time_is_the_consoles() {
        let ing = Rec::new()
            .spawn(1, 0, "task")
            .clone_waker(1, 0)
            .poll(1, 1, 2)
            .wake(1, 10)
            .poll(1, 30, 31)
            .enter(1, 40)
            .self_wake(1, 40)
            .exit(1, 41)
            .poll(1, 42, 43)
            .close(1, 50)
            .read()
            .expect("reads");
        let r = &ing.trace.tasks.totals[0];
        assert_eq!((r.polls, r.wakes, r.self_wakes), (4, 2, 1));
        // 30 - 10, then 40 - 31 (no wake: from the previous end, as the console does), 42 - 41.
        assert_eq!(r.scheduled, 20 * MS + 9 * MS + MS);
        assert_eq!(r.busy, 4 * MS);
        assert_eq!(r.idle, 50 * MS - 4 * MS - 30 * MS);
    }

    /// A wake by value consumes its waker: clones - drops counts it.
    #[test]
    fn wake_by_value_counts_as_a_waker_drop() {
        let ing = Rec::new()
            .spawn(1, 0, "task")
            .poll(1, 1, 2)
            .clone_waker(1, 2)
            .clone_waker(1, 2)
            .wake(1, 5)
            .drop_waker(1, 6)
            .poll(1, 7, 8)
            .read()
            .expect("reads");
        let r = record(&ing.trace.tasks, 1);
        assert_eq!((r.waker_clones, r.waker_drops, r.waker_count()), (2, 2, 0));
        assert!(!r.running && !r.woken, "polled since its wake");
        assert_eq!(r.closed, None);
    }

    /// Nested enters of one span are one poll, as the console counts them.
    #[test]
    fn nested_enter_is_one_poll() {
        let ing = Rec::new()
            .spawn(1, 0, "task")
            .enter(1, 1)
            .enter(1, 2)
            .exit(1, 3)
            .exit(1, 4)
            .exit(1, 5)
            .close(1, 6)
            .read()
            .expect("reads");
        let g = &ing.trace.tasks.totals[0];
        assert_eq!((g.polls, g.busy), (1, 3 * MS));
        assert!(
            ing.stats
                .warnings
                .iter()
                .any(|w| w.contains("1 Exit events"))
        );
    }

    #[test]
    fn runtime_tasks_are_marked() {
        let ing = Rec::new()
            .worker(1, 0)
            .spawn(2, 0, "block_on")
            .spawn(3, 0, "blocking")
            .spawn(4, 0, "task")
            .read()
            .expect("reads");
        let roles: Vec<(u64, TaskRole)> = ing
            .trace
            .tasks
            .records
            .iter()
            .map(|r| (r.span_id, r.role))
            .collect();
        assert_eq!(
            roles,
            vec![
                (1, TaskRole::Worker),
                (2, TaskRole::BlockOn),
                (3, TaskRole::App),
                (4, TaskRole::App)
            ]
        );
    }

    /// Alive at the end: a poll in progress counts up to the last event (as the console
    /// shows busy), an unanswered wake as scheduled time.
    #[test]
    fn tasks_alive_at_the_end_run_to_its_last_event() {
        let ing = Rec::new()
            .spawn(1, 0, "task")
            .enter(1, 10)
            .spawn(2, 0, "task")
            .poll(2, 1, 2)
            .wake(2, 20)
            .spawn(3, 90, "task")
            .read()
            .expect("reads");
        let data = &ing.trace.tasks;
        let running = record(data, 1);
        assert!(running.running);
        assert_eq!(
            (running.busy, running.long_polls.clone()),
            (80 * MS, vec![(10 * MS, 90 * MS)])
        );
        let woken = record(data, 2);
        assert!(woken.woken && !woken.running);
        assert_eq!(woken.scheduled, 70 * MS);
        let never_polled = record(data, 3);
        assert!(
            never_polled.woken,
            "the console takes a task never polled as awakened"
        );
        assert!(
            ing.stats
                .warnings
                .iter()
                .any(|w| w.contains("3 tasks were still alive"))
        );
    }

    /// Closed tasks with nothing remarkable are summed into their group and not kept whole.
    #[test]
    fn quiet_closed_tasks_are_only_summed() {
        let mut rec = Rec::new();
        for id in 1..=100 {
            rec = rec
                .spawn(id, id, "task")
                .poll(id, id, id + 1)
                .close(id, id + 2);
        }
        let ing = rec.read().expect("reads");
        let data = &ing.trace.tasks;
        assert!(data.records.is_empty());
        assert_eq!((data.totals[0].tasks, data.totals[0].polls), (100, 100));
    }

    #[test]
    fn cut_off_last_line_is_a_warning() {
        let mut rec = Rec::new().spawn(1, 0, "task").enter(1, 1);
        rec.0.push_str(r#"{"Exit":{"id":1,"at":{"secs_since"#);
        let ing = rec.read().expect("reads");
        assert!(
            ing.stats
                .warnings
                .iter()
                .any(|w| w.starts_with("line 4:") && w.contains("cut off")),
            "{:?}",
            ing.stats.warnings
        );
        assert!(record(&ing.trace.tasks, 1).running);
    }

    #[test]
    fn bad_json_on_line_3_is_an_error_naming_line_3() {
        let err = Rec::new()
            .spawn(1, 0, "task")
            .raw(r#"{"Enter":{"id":1,"at":"#)
            .enter(1, 1)
            .read()
            .expect_err("not JSON");
        let msg = err.to_string();
        assert!(
            msg.starts_with("rec.jsonl: line 3: expected one JSON event per line"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_events_are_counted_and_skipped() {
        let ing = Rec::new()
            .spawn(1, 0, "task")
            .raw(r#"{"Resource":{"id":9,"at":{"secs_since_epoch":1,"nanos_since_epoch":0}}}"#)
            .raw(r#"{"Enter":{"id":-1,"at":{"secs_since_epoch":1,"nanos_since_epoch":0}}}"#)
            .poll(1, 1, 2)
            .read()
            .expect("reads");
        assert_eq!(ing.stats.skipped, 2);
        assert!(
            ing.stats
                .warnings
                .iter()
                .any(|w| w.contains("unknown kinds"))
        );
        assert!(
            ing.stats
                .warnings
                .iter()
                .any(|w| w.starts_with("line 4: an event with unexpected contents"))
        );
        assert_eq!(ing.trace.tasks.totals[0].polls, 1);
    }

    #[test]
    fn a_missing_header_is_an_error() {
        let text = "{\"v\":1}\n";
        let ing =
            crate::ingest::ingest_bytes("h.jsonl", text.as_bytes(), false, &Config::default())
                .expect("a header alone is an empty recording");
        assert!(ing.trace.tasks.is_empty());
        let mut b = TraceBuilder::new();
        let mut report = crate::ingest::InputStats {
            path: "x".into(),
            format: Format::ConsoleRecording,
            events: 0,
            skipped: 0,
            warnings: Vec::new(),
            gzip: false,
        };
        let mut input: &[u8] = b"{\"Spawn\":{}}\n";
        let err =
            read("x", &mut input, &mut b, &mut report, &Config::default()).expect_err("no header");
        assert!(
            err.to_string()
                .starts_with("x: line 1: expected the recording header"),
            "{err}"
        );
    }

    /// The generator makes valid recordings: same seed, same bytes; every task read.
    #[test]
    fn generated_recordings_read_cleanly() {
        let mut a = Vec::new();
        testgen::generate_recording(&mut a, 300, 7).expect("writes");
        let mut b = Vec::new();
        testgen::generate_recording(&mut b, 300, 7).expect("writes");
        assert_eq!(a, b);
        let ing =
            crate::ingest::ingest_bytes("gen.jsonl", &a, false, &Config::default()).expect("reads");
        let data = &ing.trace.tasks;
        let app: u64 = data
            .totals
            .iter()
            .filter(|g| g.role == TaskRole::App)
            .map(|g| g.tasks)
            .sum();
        assert_eq!(app, 300);
        assert_eq!(
            data.totals
                .iter()
                .filter(|g| g.role == TaskRole::Worker)
                .map(|g| g.tasks)
                .sum::<u64>(),
            2
        );
        assert!(data.other_spans > 0);
        assert!(
            ing.stats
                .warnings
                .iter()
                .all(|w| w.contains("resources and async ops") || w.contains("still alive")),
            "{:?}",
            ing.stats.warnings
        );
        assert!(data.records.iter().any(|r| r.span_id > 1 << 53));
    }
}
