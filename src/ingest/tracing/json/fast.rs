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
    if let Some(l) = line_compact(&mut Cur::new(text)) {
        return Some(l);
    }
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

/// The shape tracing-subscriber's JSON formatter writes, read by fixed-byte tags instead of
/// member names compared one by one: `{"timestamp":"T"`, then, each in this order and each
/// one optional, `"level"`, `"fields"`, `"target"`, `"span"`, `"spans"`, `"threadName"`,
/// `"threadId"`, then `}`; no white space but inside the values read by the general parts.
/// `None` for anything else (another member, another order, a repeated member), which
/// [`line`] then reads member by member.
fn line_compact<'a>(c: &mut Cur<'a>) -> Option<Line<'a>> {
    let mut l = Line::default();
    if !c.tag(b"{\"timestamp\":\"") {
        return None;
    }
    l.timestamp = Some(Cow::Borrowed(c.string_rest()?));
    if c.tag(b",\"level\":\"") {
        c.pass_string_rest()?;
    }
    if c.tag(b",\"fields\":") {
        l.fields = Some(EventFields::fast(c)?);
    }
    if c.tag(b",\"target\":\"") {
        l.target = Some(Cow::Borrowed(c.string_rest()?));
    }
    if c.tag(b",\"span\":") {
        l.span = Some(SpanObj::fast(c)?);
    }
    if c.tag(b",\"spans\":") {
        l.spans = Some(RawText(c.spans_raw()?));
    }
    if c.tag(b",\"threadName\":\"") {
        l.thread_name = Some(Cow::Borrowed(c.string_rest()?));
    }
    if c.tag(b",\"threadId\":\"") {
        l.thread_id = Some(Cow::Borrowed(c.string_rest()?));
    }
    (c.tag(b"}") && c.at_end()).then_some(l)
}

/// The `spans` list as serde reads it (the lazy context of a span event), or `None` when it
/// is not of the shapes read here.
pub(super) fn spans(text: &str) -> Option<Vec<SpanObj<'_>>> {
    let mut c = Cur::new(text);
    let list = c.array_of(SpanObj::fast, 0)?;
    c.at_end().then_some(list)
}

impl<'a> EventFields<'a> {
    fn fast(c: &mut Cur<'a>) -> Option<Self> {
        let at = c.mark();
        if let Some(f) = Self::compact(c) {
            return Some(f);
        }
        c.back(at);
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

impl<'a> EventFields<'a> {
    /// `{"message":"M"}`, with `"time.busy"`, `"time.idle"` (a span's CLOSE), `"latency"`,
    /// `"status"` (tower-http's response event) after it, each optional, in this order.
    fn compact(c: &mut Cur<'a>) -> Option<Self> {
        let mut f = EventFields::default();
        if !c.tag(b"{\"message\":\"") {
            return None;
        }
        f.message = Some(Cow::Borrowed(c.string_rest()?));
        if c.tag(b",\"time.busy\":\"") {
            f.busy = Some(Cow::Borrowed(c.string_rest()?));
        }
        if c.tag(b",\"time.idle\":\"") {
            f.idle = Some(Cow::Borrowed(c.string_rest()?));
        }
        if c.tag(b",\"latency\":\"") {
            f.latency = Some(Cow::Borrowed(c.string_rest()?));
        }
        if c.tag(b",\"status\":") {
            f.status = Some(c.tracing_scalar()?);
        }
        c.tag(b"}").then_some(f)
    }
}

impl<'a> SpanObj<'a> {
    fn fast(c: &mut Cur<'a>) -> Option<Self> {
        let at = c.mark();
        if let Some(s) = Self::compact(c) {
            return Some(s);
        }
        c.back(at);
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

impl<'a> SpanObj<'a> {
    /// `{"K":V,..}` with no white space, read in one loop (no closure, the member names by
    /// tag); an empty object, white space: [`SpanObj::fast`]'s general reading.
    fn compact(c: &mut Cur<'a>) -> Option<Self> {
        if !c.tag(b"{\"") {
            return None;
        }
        let mut desc = SpanDesc::default();
        loop {
            let key = c.string_rest()?;
            if !c.tag(b":") {
                return None;
            }
            // Mostly a string: its quote read here, not by `tracing_scalar`'s dispatch.
            let v = if c.tag(b"\"") {
                Cow::Borrowed(c.string_rest()?)
            } else {
                c.tracing_scalar()?.0
            };
            if key == "name" {
                desc.name = v;
            } else {
                desc.fields.push((Cow::Borrowed(key), v));
            }
            if c.tag(b",\"") {
                continue;
            }
            if c.tag(b"}") {
                return Some(SpanObj(desc));
            }
            return None;
        }
    }
}

/// The tracing parts of the cursor.
impl<'a> Cur<'a> {
    /// The `spans` list's text, checked: `[{"K":V,..},..]` with scalar values and no white
    /// space passed over in one loop, anything else by [`Cur::raw`].
    fn spans_raw(&mut self) -> Option<&'a str> {
        let at = self.mark();
        let start = self.i;
        if self.flat_objects().is_some() {
            return self.s.get(start..self.i);
        }
        self.back(at);
        self.raw()
    }

    /// `[{"K":V,..},..]`, V a string, a number or a boolean, no white space, no empty object.
    fn flat_objects(&mut self) -> Option<()> {
        if !self.tag(b"[") {
            return None;
        }
        if self.tag(b"]") {
            return Some(());
        }
        loop {
            if !self.tag(b"{\"") {
                return None;
            }
            loop {
                self.pass_string_rest()?;
                if !self.tag(b":") {
                    return None;
                }
                match self.b.get(self.i)? {
                    b'"' => {
                        self.i += 1;
                        self.pass_string_rest()?;
                    }
                    b'-' | b'0'..=b'9' => {
                        self.number()?;
                    }
                    b't' => self.literal(b"true")?,
                    b'f' => self.literal(b"false")?,
                    _ => return None,
                }
                if self.tag(b",\"") {
                    continue;
                }
                if self.tag(b"}") {
                    break;
                }
                return None;
            }
            if self.tag(b",") {
                continue;
            }
            if self.tag(b"]") {
                return Some(());
            }
            return None;
        }
    }

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
