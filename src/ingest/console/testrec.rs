//! Hand-written recordings for tests: one method per event, times in ms from an arbitrary
//! origin (the trace starts at the first event).

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
        ingest_bytes("rec.jsonl", self.0.as_bytes(), false)
    }
}
