//! The fast path of a tracing JSON line: the line read straight into the structs serde would
//! make of it ([`Line`]) by the JSON-lines cursor (`ingest/json_cursor.rs`); anything the
//! cursor leaves (an escape, a float, `null` where serde would give a value, a duplicate
//! member, bad syntax) goes through serde_json as before. Where it answers, it answers what
//! serde would: the tests below hold it to that on every sample line and on damaged ones.
//!
//! Why: serde_json spent 44 % of a one-thread run on these lines (perf, 60 MB generated log),
//! most of it matching member names and skipping `level`, `spans` and the event's other
//! fields value by value.

use super::{EventFields, Line, RawText, Scalar, SpanObj};
use crate::ingest::json_cursor::{Cur, Seen};
use crate::ingest::tracing::SpanDesc;
use std::borrow::Cow;

/// The line as serde would read it, or `None` when the line is not of the shapes read here.
pub(super) fn line(text: &str) -> Option<Line<'_>> {
    let mut c = Cur::new(text);
    let mut l = Line::default();
    // serde refuses a member given twice, whatever its value.
    let mut seen = Seen(0);
    c.object(|c, key| {
        match key {
            "timestamp" => l.timestamp = Some(seen.first(0, c.cow())?),
            "fields" => l.fields = Some(seen.first(1, EventFields::fast(c))?),
            "target" => l.target = Some(seen.first(2, c.cow())?),
            "span" => l.span = Some(seen.first(3, SpanObj::fast(c))?),
            "spans" => l.spans = Some(seen.first(4, c.raw().map(RawText))?),
            "threadName" => l.thread_name = Some(seen.first(5, c.cow())?),
            "threadId" => l.thread_id = Some(seen.first(6, c.cow())?),
            "message" => l.message = seen.first(7, c.str_or_other())?,
            "time.busy" => l.busy = Some(seen.first(8, c.cow())?),
            "time.idle" => l.idle = Some(seen.first(9, c.cow())?),
            "latency" => l.latency = seen.first(10, c.str_or_other())?,
            "status" => l.status = Some(seen.first(11, c.tracing_scalar())?),
            _ => c.skip()?,
        }
        Some(())
    })?;
    c.at_end().then_some(l)
}

impl<'a> EventFields<'a> {
    fn fast(c: &mut Cur<'a>) -> Option<Self> {
        let mut f = EventFields::default();
        let mut seen = Seen(0);
        c.object(|c, key| {
            match key {
                "message" => f.message = seen.first(0, c.str_or_other())?,
                "time.busy" => f.busy = Some(seen.first(1, c.cow())?),
                "time.idle" => f.idle = Some(seen.first(2, c.cow())?),
                "latency" => f.latency = seen.first(3, c.str_or_other())?,
                "status" => f.status = Some(seen.first(4, c.tracing_scalar())?),
                _ => c.skip()?,
            }
            Some(())
        })?;
        Some(f)
    }
}

impl<'a> SpanObj<'a> {
    fn fast(c: &mut Cur<'a>) -> Option<Self> {
        let mut desc = SpanDesc::default();
        c.object(|c, key| {
            let Scalar(v) = c.tracing_scalar()?;
            if key == "name" {
                desc.name = v;
            } else {
                desc.fields.push((Cow::Borrowed(key), v));
            }
            Some(())
        })?;
        Some(SpanObj(desc))
    }
}

/// The tracing parts of the cursor.
impl<'a> Cur<'a> {
    /// A string, borrowed.
    fn cow(&mut self) -> Option<Cow<'a, str>> {
        self.string().map(Cow::Borrowed)
    }

    /// What `str_or_other` makes of a value: a string, or `None` for a number, a boolean, an
    /// array or an object.
    fn str_or_other(&mut self) -> Option<Option<Cow<'a, str>>> {
        match self.peek()? {
            b'"' => self.cow().map(Some),
            _ => self.skip().map(|()| None),
        }
    }

    /// What [`Scalar`] makes of a value: a string, a small non-negative integer or a boolean
    /// as written, an array as `[..]`, an object as `{..}`.
    fn tracing_scalar(&mut self) -> Option<Scalar<'a>> {
        let s = match self.peek()? {
            b'"' => self.string()?,
            b't' => self.literal(b"true").map(|()| "true")?,
            b'f' => self.literal(b"false").map(|()| "false")?,
            b'[' => self.skip().map(|()| "[..]")?,
            b'{' => self.skip().map(|()| "{..}")?,
            _ => self.small_uint()?,
        };
        Some(Scalar(Cow::Borrowed(s)))
    }
}

#[cfg(test)]
mod tests;
