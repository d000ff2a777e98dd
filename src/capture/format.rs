//! The capture file's wire format, declared once: `capture` writes it, `ingest::console`
//! reads it (borrowing its strings from the line).
//!
//! JSON lines: a [`Header`], then [`Line`]s, each externally tagged (`{"task":{…}}`,
//! `{"stats":{…}}`, `{"end":{…}}`). Times are Unix nanoseconds.

use crate::model::Ns;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;

/// Format version of the capture file.
pub const CAPTURE_VERSION: u32 = 1;

/// The first line.
#[derive(Debug, Serialize, Deserialize)]
pub struct Header<'a> {
    pub stallscope_console_capture: u32,
    #[serde(borrow)]
    pub target: Cow<'a, str>,
    pub started_unix_ns: Ns,
}

/// A task, written when the server first reports it.
#[derive(Debug, Serialize, Deserialize)]
pub struct TaskLine<'a> {
    pub id: u64,
    /// `task`, `blocking`, `block_on` or `local`.
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
    /// `task.name`, when set and not empty.
    #[serde(borrow, default)]
    pub name: Option<Cow<'a, str>>,
    /// The spawn location, `file:line:col`.
    #[serde(borrow, default)]
    pub location: Option<Cow<'a, str>>,
    /// Every field of the task's span, values as text.
    #[serde(borrow, default)]
    pub fields: HashMap<Cow<'a, str>, Cow<'a, str>>,
}

/// A snapshot of a task's statistics, written whenever they changed (one publish interval).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct StatsLine {
    pub id: u64,
    /// When the server took the snapshot.
    #[serde(default)]
    pub at: Option<Ns>,
    #[serde(default)]
    pub created: Option<Ns>,
    #[serde(default)]
    pub dropped: Option<Ns>,
    pub polls: u64,
    pub busy_ns: Ns,
    pub scheduled_ns: Ns,
    #[serde(default)]
    pub first_poll: Option<Ns>,
    #[serde(default)]
    pub last_poll_started: Option<Ns>,
    #[serde(default)]
    pub last_poll_ended: Option<Ns>,
    pub wakes: u64,
    pub self_wakes: u64,
    pub waker_clones: u64,
    pub waker_drops: u64,
}

/// The last line, written when the capture stops, whatever the reason.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EndLine<'a> {
    pub at: Ns,
    pub updates: u64,
    #[serde(borrow)]
    pub reason: Cow<'a, str>,
}

/// One line after the header.
#[derive(Debug, Serialize, Deserialize)]
pub enum Line<'a> {
    #[serde(rename = "task", borrow)]
    Task(TaskLine<'a>),
    #[serde(rename = "stats")]
    Stats(StatsLine),
    #[serde(rename = "end", borrow)]
    End(EndLine<'a>),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the writer writes, the reader reads back.
    #[test]
    fn lines_round_trip() {
        let task = Line::Task(TaskLine {
            id: 12,
            kind: "task".into(),
            name: Some("/report".into()),
            location: None,
            fields: HashMap::from([("task.id".into(), "7".into())]),
        });
        let text = serde_json::to_string(&task).expect("serializes");
        assert_eq!(
            text,
            r#"{"task":{"id":12,"kind":"task","name":"/report","location":null,"fields":{"task.id":"7"}}}"#
        );
        let Ok(Line::Task(t)) = serde_json::from_str::<Line<'_>>(&text) else {
            panic!("not a task line: {text}");
        };
        assert_eq!(
            (t.id, &*t.kind, t.name.as_deref()),
            (12, "task", Some("/report"))
        );
        let end = serde_json::to_string(&Line::End(EndLine {
            at: 5,
            updates: 2,
            reason: "duration".into(),
        }))
        .expect("serializes");
        assert_eq!(end, r#"{"end":{"at":5,"updates":2,"reason":"duration"}}"#);
        assert!(matches!(
            serde_json::from_str::<Line<'_>>(r#"{"end":{}}"#),
            Ok(Line::End(_))
        ));
    }
}
