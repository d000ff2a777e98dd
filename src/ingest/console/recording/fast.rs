//! The fast path of a console recording's line: the line read straight into the [`Record`]
//! serde would make of it by the JSON-lines cursor (`ingest/json_cursor.rs`); anything the
//! cursor leaves (an escape, a negative or too large integer, a duplicate member, bad syntax)
//! goes through serde_json as before. Where it answers, it answers what serde would: the
//! tests below hold it to that on every sample line and on damaged ones.
//!
//! Why: serde_json spent 56 % of a one-thread run on these short lines (perf, 61 MB
//! generated recording), most of it per-line and per-member overhead.

use super::{At, Field, FieldVal, IdAt, Record, SpawnBody, WakeOp, WakerBody};
use crate::ingest::json_cursor::{Cur, Seen};
use std::borrow::Cow;

/// The line as serde would read it, or `None` when the line is not of the shapes read here.
pub(in crate::ingest::console) fn record(line: &str) -> Option<Record<'_>> {
    let mut c = Cur::new(line);
    if let Some(rec) = c.record_compact() {
        return Some(rec);
    }
    let mut c = Cur::new(line);
    let mut rec = None;
    c.object(|c, key| {
        if rec.is_some() {
            // Members after the event are passed over, whatever they are.
            return c.skip();
        }
        rec = Some(match key {
            "Spawn" => Record::Spawn(c.spawn()?),
            "Enter" => Record::Enter(c.id_at()?),
            "Exit" => Record::Exit(c.id_at()?),
            "Close" => Record::Close(c.id_at()?),
            "Waker" => Record::Waker(c.waker()?),
            _ => {
                c.skip()?;
                Record::Unknown
            }
        });
        Some(())
    })?;
    // An empty object is serde's to refuse.
    if c.at_end() { rec } else { None }
}

/// The console parts of the cursor.
impl<'a> Cur<'a> {
    /// The shapes console-subscriber writes, read as one piece by fixed-byte tags (no member
    /// names compared one by one): `{"Enter":{"id":N,"at":{"secs_since_epoch":S,
    /// "nanos_since_epoch":NS}}}` (and `Exit`, `Close`), `Waker` with `"op"` between `id` and
    /// `at`, `Spawn` with `"fields":[{"name":"K","value":V},..]` after `at`; no white space
    /// but at the end. `None` for anything else, which [`record`] then reads member by member.
    fn record_compact(&mut self) -> Option<Record<'a>> {
        // The variant's first letter picks the tags to try (each still matches every byte).
        let rec = if self.b.get(2) == Some(&b'W') {
            if !self.tag(b"{\"Waker\":{\"id\":") {
                return None;
            }
            let id = self.uint()?;
            if !self.tag(b",\"op\":") {
                return None;
            }
            let op = self.wake_op_compact()?;
            let at = self.at_compact()?;
            if !self.tag(b"}") {
                return None;
            }
            Record::Waker(WakerBody { id, op, at })
        } else if self.tag(b"{\"Enter\":{\"id\":") {
            Record::Enter(self.id_at_compact()?)
        } else if self.tag(b"{\"Exit\":{\"id\":") {
            Record::Exit(self.id_at_compact()?)
        } else if self.tag(b"{\"Close\":{\"id\":") {
            Record::Close(self.id_at_compact()?)
        } else if self.tag(b"{\"Spawn\":{\"id\":") {
            Record::Spawn(self.spawn_compact()?)
        } else {
            return None;
        };
        (self.tag(b"}") && self.at_end()).then_some(rec)
    }

    /// `,"at":{"secs_since_epoch":S,"nanos_since_epoch":NS}`.
    fn at_compact(&mut self) -> Option<At> {
        if !self.tag(b",\"at\":{\"secs_since_epoch\":") {
            return None;
        }
        let secs_since_epoch = self.uint()?;
        if !self.tag(b",\"nanos_since_epoch\":") {
            return None;
        }
        let nanos_since_epoch = u32::try_from(self.uint()?).ok()?;
        self.tag(b"}").then_some(At {
            secs_since_epoch,
            nanos_since_epoch,
        })
    }

    /// `N,"at":{..}}` after `{"id":`.
    fn id_at_compact(&mut self) -> Option<IdAt> {
        let id = self.uint()?;
        let at = self.at_compact()?;
        self.tag(b"}").then_some(IdAt { id, at })
    }

    /// `N,"at":{..},"fields":[..]}` (or no `fields`) after `{"id":`.
    fn spawn_compact(&mut self) -> Option<SpawnBody<'a>> {
        let id = self.uint()?;
        let at = self.at_compact()?;
        let mut fields = Vec::new();
        if self.tag(b",\"fields\":[") && !self.tag(b"]") {
            // console-subscriber writes four or five fields.
            fields.reserve(6);
            loop {
                if !self.tag(b"{\"name\":\"") {
                    return None;
                }
                let name = Cow::Borrowed(self.string_rest()?);
                if !self.tag(b",\"value\":") {
                    return None;
                }
                let value = self.field_val()?;
                if !self.tag(b"}") {
                    return None;
                }
                fields.push(Field { name, value });
                if self.tag(b"]") {
                    break;
                }
                if !self.tag(b",") {
                    return None;
                }
            }
        }
        self.tag(b"}").then_some(SpawnBody { id, at, fields })
    }

    /// `"Clone"`, `"Drop"`, `{"Wake":{"self_wake":b}}`, `{"WakeByRef":{"self_wake":b}}`.
    fn wake_op_compact(&mut self) -> Option<WakeOp> {
        if self.tag(b"\"Clone\"") {
            Some(WakeOp::Clone)
        } else if self.tag(b"\"Drop\"") {
            Some(WakeOp::Drop)
        } else if self.tag(b"{\"Wake\":{\"self_wake\":") {
            let self_wake = self.bool_close()?;
            Some(WakeOp::Wake { self_wake })
        } else if self.tag(b"{\"WakeByRef\":{\"self_wake\":") {
            let self_wake = self.bool_close()?;
            Some(WakeOp::WakeByRef { self_wake })
        } else {
            None
        }
    }

    /// `true}}` or `false}}`.
    fn bool_close(&mut self) -> Option<bool> {
        if self.tag(b"true}}") {
            Some(true)
        } else if self.tag(b"false}}") {
            Some(false)
        } else {
            None
        }
    }

    /// A non-negative integer that fits a `u64`.
    fn u64(&mut self) -> Option<u64> {
        let at = self.mark();
        if let Some(v) = self.uint() {
            return Some(v);
        }
        // Twenty digits (up to `u64::MAX`), or not such an integer.
        self.back(at);
        match self.number()? {
            (t, true) => t.parse().ok(),
            _ => None,
        }
    }

    fn at(&mut self) -> Option<At> {
        let (mut secs, mut nanos) = (None, None);
        let mut seen = Seen(0);
        self.object(|c, key| {
            match key {
                "secs_since_epoch" => secs = Some(seen.first(0, c.u64())?),
                "nanos_since_epoch" => {
                    nanos = Some(seen.first(1, c.u64().and_then(|n| u32::try_from(n).ok()))?);
                }
                _ => c.skip()?,
            }
            Some(())
        })?;
        Some(At {
            secs_since_epoch: secs?,
            nanos_since_epoch: nanos?,
        })
    }

    fn id_at(&mut self) -> Option<IdAt> {
        let (mut id, mut at) = (None, None);
        let mut seen = Seen(0);
        self.object(|c, key| {
            match key {
                "id" => id = Some(seen.first(0, c.u64())?),
                "at" => at = Some(seen.first(1, c.at())?),
                _ => c.skip()?,
            }
            Some(())
        })?;
        Some(IdAt { id: id?, at: at? })
    }

    fn spawn(&mut self) -> Option<SpawnBody<'a>> {
        let (mut id, mut at, mut fields) = (None, None, None);
        let mut seen = Seen(0);
        self.object(|c, key| {
            match key {
                "id" => id = Some(seen.first(0, c.u64())?),
                "at" => at = Some(seen.first(1, c.at())?),
                "fields" => fields = Some(seen.first(2, c.array_of(Self::field, 0))?),
                _ => c.skip()?,
            }
            Some(())
        })?;
        Some(SpawnBody {
            id: id?,
            at: at?,
            fields: fields.unwrap_or_default(),
        })
    }

    fn field(&mut self) -> Option<Field<'a>> {
        let (mut name, mut value) = (None, None);
        let mut seen = Seen(0);
        self.object(|c, key| {
            match key {
                "name" => name = Some(seen.first(0, c.string().map(Cow::Borrowed))?),
                "value" => value = Some(seen.first(1, c.field_val())?),
                _ => c.skip()?,
            }
            Some(())
        })?;
        Some(Field {
            name: name?,
            value: value?,
        })
    }

    /// What [`FieldVal`] makes of a value (a negative integer is serde's).
    fn field_val(&mut self) -> Option<FieldVal<'a>> {
        Some(match self.peek()? {
            b'"' => FieldVal::Str(Cow::Borrowed(self.string()?)),
            b't' => self.literal(b"true").map(|()| FieldVal::Bool(true))?,
            b'f' => self.literal(b"false").map(|()| FieldVal::Bool(false))?,
            b'n' => self.literal(b"null").map(|()| FieldVal::Other)?,
            b'[' | b'{' => self.skip().map(|()| FieldVal::Other)?,
            _ => {
                let at = self.mark();
                if let Some(v) = self.uint() {
                    return Some(FieldVal::U64(v));
                }
                // A fraction, an exponent, twenty digits, a sign: read again as a number.
                self.back(at);
                match self.number()? {
                    (t, true) if !t.starts_with('-') => FieldVal::U64(t.parse().ok()?),
                    (_, false) => FieldVal::Other,
                    _ => return None,
                }
            }
        })
    }

    fn waker(&mut self) -> Option<WakerBody> {
        let (mut id, mut op, mut at) = (None, None, None);
        let mut seen = Seen(0);
        self.object(|c, key| {
            match key {
                "id" => id = Some(seen.first(0, c.u64())?),
                "op" => op = Some(seen.first(1, c.wake_op())?),
                "at" => at = Some(seen.first(2, c.at())?),
                _ => c.skip()?,
            }
            Some(())
        })?;
        Some(WakerBody {
            id: id?,
            op: op?,
            at: at?,
        })
    }

    /// `"Clone"`, `"Drop"`, `{"Wake":{"self_wake":b}}`, `{"WakeByRef":{"self_wake":b}}`.
    fn wake_op(&mut self) -> Option<WakeOp> {
        if self.peek()? == b'"' {
            return match self.string()? {
                "Clone" => Some(WakeOp::Clone),
                "Drop" => Some(WakeOp::Drop),
                _ => None,
            };
        }
        let mut op = None;
        self.object(|c, key| {
            // One member: the variant (a second is serde's to refuse).
            if op.is_some() {
                return None;
            }
            let self_wake = c.self_wake()?;
            op = Some(match key {
                "Wake" => WakeOp::Wake { self_wake },
                "WakeByRef" => WakeOp::WakeByRef { self_wake },
                _ => return None,
            });
            Some(())
        })?;
        op
    }

    /// `{"self_wake": bool}` (absent: false).
    fn self_wake(&mut self) -> Option<bool> {
        let mut v = None;
        let mut seen = Seen(0);
        self.object(|c, key| {
            match key {
                "self_wake" => {
                    let b = match c.peek()? {
                        b't' => c.literal(b"true").map(|()| true),
                        _ => c.literal(b"false").map(|()| false),
                    };
                    v = Some(seen.first(0, b)?);
                }
                _ => c.skip()?,
            }
            Some(())
        })?;
        Some(v.unwrap_or(false))
    }
}

#[cfg(test)]
mod tests;
