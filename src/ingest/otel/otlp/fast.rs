//! The fast path of an OTLP/JSON line: the line read straight into the structs serde would
//! make of it ([`Request`]), by a small cursor over its bytes, for the shapes writers actually
//! produce. Anything else (an escape in a string, `null`, a float, a duplicate key, an
//! `arrayValue`, a syntax error, ...) gives `None`, and the line goes through serde_json as
//! before, which then makes the same structs or reports the error in its own words. So the
//! fast path changes no result and no message: where it answers, it answers what serde would
//! (a differential test below holds it to that on every sample line and on thousands of
//! damaged ones).
//!
//! Why: serde_json reads these lines into `IgnoredAny` at about 1.2 GB/s but into the typed
//! structs at about a third of that (field names matched alias by alias, every attribute
//! value through `deserialize_any`, options through `deserialize_option`); here a key is
//! matched once by its bytes and a string's end is found eight bytes at a time.

use super::{Attributes, Event, OtlpKind, Request, ResourceSpans, Scope, ScopeSpans, Span, Status};
use crate::ingest::otel::Kind;
use crate::ingest::otel::value::{AnyValue, CapVec, Int, KeyValue, Scalar, Text};
use std::borrow::Cow;

/// The line as serde would read it, or `None` when the line is not of the shapes read here.
pub(super) fn request(line: &str) -> Option<Request<'_>> {
    let mut c = Cur {
        s: line,
        b: line.as_bytes(),
        i: 0,
        depth: 0,
    };
    let mut spans = None;
    c.object(|c, key| {
        match key {
            "resourceSpans" | "resource_spans" if spans.is_none() => {
                spans = Some(c.array_of(ResourceSpans::fast, 0)?);
            }
            "resourceSpans" | "resource_spans" => return None,
            _ => c.skip()?,
        }
        Some(())
    })?;
    c.ws();
    if c.i != c.b.len() {
        return None;
    }
    Some(Request {
        resource_spans: Some(spans?),
    })
}

/// How deep the fast path follows nested values (serde_json's own limit is 128: deeper than
/// this, serde decides).
const MAX_DEPTH: u32 = 32;

/// A cursor over one line's bytes. Every method returns `None` for "not read here".
struct Cur<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    depth: u32,
}

impl<'a> Cur<'a> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// The next byte that is not white space (not consumed).
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A string without escapes or control characters, borrowed.
    fn string(&mut self) -> Option<&'a str> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        let end = start + string_end(self.b.get(start..)?);
        // An escape, a control character serde refuses, or no end: serde's to read or refuse.
        if self.b.get(end) != Some(&b'"') {
            return None;
        }
        self.i = end + 1;
        // Both ends are next to ASCII quotes: on character boundaries.
        self.s.get(start..end)
    }

    /// A number in JSON's grammar: its text and whether it is an integer (no fraction, no
    /// exponent). An exponent is left to serde.
    fn number(&mut self) -> Option<(&'a str, bool)> {
        self.ws();
        let start = self.i;
        let digit = |c: Option<&u8>| c.is_some_and(u8::is_ascii_digit);
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.b.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                while digit(self.b.get(self.i)) {
                    self.i += 1;
                }
            }
            _ => return None,
        }
        let mut integer = true;
        if self.b.get(self.i) == Some(&b'.') {
            integer = false;
            self.i += 1;
            if !digit(self.b.get(self.i)) {
                return None;
            }
            while digit(self.b.get(self.i)) {
                self.i += 1;
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            return None;
        }
        Some((self.s.get(start..self.i)?, integer))
    }

    /// A non-negative integer written in at most 19 digits (it fits a `u64`, and its text is
    /// what formatting the number gives back: JSON has no leading zeros).
    fn small_uint(&mut self) -> Option<&'a str> {
        match self.number()? {
            (t, true) if !t.starts_with('-') && t.len() <= 19 => Some(t),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// An object: `f` reads each member's value after its key.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.enter()?;
        if self.peek()? == b'}' {
            self.i += 1;
        } else {
            loop {
                let key = self.string()?;
                self.eat(b':')?;
                f(self, key)?;
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// An array: `f` reads each element.
    fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        self.enter()?;
        if self.peek()? == b']' {
            self.i += 1;
        } else {
            loop {
                f(self)?;
                match self.peek()? {
                    b',' => self.i += 1,
                    b']' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// An array of `T`, into a vector with room for `room` (0: grown as needed).
    fn array_of<T>(&mut self, read: fn(&mut Self) -> Option<T>, room: usize) -> Option<Vec<T>> {
        let mut out = Vec::with_capacity(room);
        self.array(|c| {
            out.push(read(c)?);
            Some(())
        })?;
        Some(out)
    }

    /// Any value, checked and passed over (a string with an escape, `null`, a number with an
    /// exponent: not here).
    fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(|c, _| c.skip()),
            b'[' => self.array(Self::skip),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'-' | b'0'..=b'9' => self.number().map(drop),
            _ => None,
        }
    }

    fn text(&mut self) -> Option<Text<'a>> {
        self.string().map(|s| Text(Cow::Borrowed(s)))
    }

    /// What [`Scalar`] makes of a string, a small non-negative integer or a boolean.
    fn scalar(&mut self) -> Option<Scalar<'a>> {
        let s = match self.peek()? {
            b'"' => self.string()?,
            b't' => self.literal(b"true").map(|()| "true")?,
            b'f' => self.literal(b"false").map(|()| "false")?,
            _ => self.small_uint()?,
        };
        Some(Scalar(Cow::Borrowed(s)))
    }

    /// What [`Int`] makes of an integer or a decimal string of one.
    fn int(&mut self) -> Option<Int> {
        let t = match self.peek()? {
            b'"' => self.string()?.trim(),
            _ => match self.number()? {
                (t, true) => t,
                _ => return None,
            },
        };
        t.parse::<i64>().ok().map(Int)
    }

    /// What [`OtlpKind`] makes of an integer or a name.
    fn kind(&mut self) -> Option<OtlpKind> {
        Some(OtlpKind(match self.peek()? {
            b'"' => super::kind_of_name(self.string()?),
            _ => match self.number()? {
                (t, true) => Kind::from_int(t.parse::<i64>().ok()?),
                _ => return None,
            },
        }))
    }

    /// `{"values": [...]}`: an `arrayValue` or a `kvlistValue`.
    fn list<T>(&mut self, read: fn(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut values = None;
        self.object(|c, key| match key {
            "values" => once(&mut values, c.array_of(read, 0)),
            _ => c.skip(),
        })?;
        Some(values.unwrap_or_default())
    }

    /// What [`AnyValue`] makes of an object: a scalar value as its text, a list as
    /// `[a, b]` (one value: that value), a key-value list as `{k: v, ...}`.
    fn any_value(&mut self) -> Option<AnyValue<'a>> {
        let mut out = AnyValue::default();
        self.object(|c, key| {
            match key {
                "stringValue" | "string_value" | "intValue" | "int_value" | "doubleValue"
                | "double_value" | "boolValue" | "bool_value" | "bytesValue" | "bytes_value" => {
                    out = AnyValue(c.scalar()?.0);
                }
                "arrayValue" | "array_value" => {
                    let values = c.list(Self::any_value)?;
                    out = AnyValue(match values.as_slice() {
                        [one] => one.0.clone(),
                        many => Cow::Owned(format!(
                            "[{}]",
                            many.iter().map(|v| &*v.0).collect::<Vec<_>>().join(", ")
                        )),
                    });
                }
                "kvlistValue" | "kvlist_value" => {
                    let values = c.list(Self::key_value)?;
                    let items: Vec<String> = values
                        .iter()
                        .map(|kv| format!("{}: {}", kv.key.0, kv.value.0))
                        .collect();
                    out = AnyValue(Cow::Owned(format!("{{{}}}", items.join(", "))));
                }
                _ => c.skip()?,
            }
            Some(())
        })?;
        Some(out)
    }

    fn key_value(&mut self) -> Option<KeyValue<'a>> {
        let (mut key, mut value) = (None, None);
        self.object(|c, k| {
            match k {
                "key" if key.is_none() => key = Some(c.text()?),
                "value" if value.is_none() => value = Some(c.any_value()?),
                "key" | "value" => return None,
                _ => c.skip()?,
            }
            Some(())
        })?;
        Some(KeyValue {
            key: key?,
            value: value.unwrap_or_default(),
        })
    }

    fn attributes(&mut self, room: usize) -> Option<Vec<KeyValue<'a>>> {
        self.array_of(Self::key_value, room)
    }
}

/// Where the string that `b` starts in ends: the first `"`, `\\` or control character (or the
/// end of `b`). Eight bytes at a time: a string here is mostly short, and `memchr2` was slower
/// on short strings than this.
fn string_end(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w);
        // A byte of `x` that is zero after the xor, or below 0x20, sets its high bit here; a
        // borrow can only set bits above the first such byte, so the lowest one is exact.
        let q = x ^ (ONES * u64::from(b'"'));
        let e = x ^ (ONES * u64::from(b'\\'));
        let found = (q.wrapping_sub(ONES) & !q)
            | (e.wrapping_sub(ONES) & !e)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        if found & HIGH != 0 {
            return i + (found & HIGH).trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    i + b
        .get(i..)
        .unwrap_or(&[])
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(b.len() - i)
}

/// Reads a member once: a second one is a duplicate field, which serde refuses.
fn once<T>(slot: &mut Option<T>, value: Option<T>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value?);
    Some(())
}

impl<'a> ResourceSpans<'a> {
    fn fast(c: &mut Cur<'a>) -> Option<Self> {
        let (mut resource, mut scope_spans) = (None, None);
        c.object(|c, key| match key {
            "resource" => once(&mut resource, Attributes::fast(c)),
            "scopeSpans"
            | "scope_spans"
            | "instrumentationLibrarySpans"
            | "instrumentation_library_spans" => {
                once(&mut scope_spans, c.array_of(ScopeSpans::fast, 0))
            }
            _ => c.skip(),
        })?;
        Some(ResourceSpans {
            resource,
            scope_spans: scope_spans.unwrap_or_default(),
        })
    }
}

impl<'a> Attributes<'a> {
    fn fast(c: &mut Cur<'a>) -> Option<Self> {
        let mut attributes = None;
        c.object(|c, key| match key {
            "attributes" => once(&mut attributes, c.attributes(0)),
            _ => c.skip(),
        })?;
        Some(Attributes {
            attributes: attributes.unwrap_or_default(),
        })
    }
}

impl<'a> ScopeSpans<'a> {
    fn fast(c: &mut Cur<'a>) -> Option<Self> {
        let (mut scope, mut spans) = (None, None);
        c.object(|c, key| match key {
            "scope" | "instrumentationLibrary" | "instrumentation_library" => {
                once(&mut scope, Scope::fast(c))
            }
            "spans" => once(&mut spans, c.array_of(Span::fast, 512).map(CapVec)),
            _ => c.skip(),
        })?;
        Some(ScopeSpans {
            scope,
            spans: spans.unwrap_or_default(),
        })
    }
}

impl<'a> Scope<'a> {
    fn fast(c: &mut Cur<'a>) -> Option<Self> {
        let mut name = None;
        c.object(|c, key| match key {
            "name" => once(&mut name, c.text()),
            _ => c.skip(),
        })?;
        Some(Scope { name })
    }
}

impl<'a> Span<'a> {
    fn fast(c: &mut Cur<'a>) -> Option<Self> {
        let mut s = Span {
            trace_id: None,
            span_id: None,
            parent_span_id: None,
            name: None,
            kind: None,
            start: None,
            end: None,
            attributes: CapVec::default(),
            events: Vec::new(),
            status: None,
        };
        let (mut attributes, mut events) = (None, None);
        c.object(|c, key| match key {
            "traceId" | "trace_id" => once(&mut s.trace_id, c.text()),
            "spanId" | "span_id" => once(&mut s.span_id, c.text()),
            "parentSpanId" | "parent_span_id" => once(&mut s.parent_span_id, c.text()),
            "name" => once(&mut s.name, c.text()),
            "kind" => once(&mut s.kind, c.kind()),
            "startTimeUnixNano" | "start_time_unix_nano" => once(&mut s.start, c.int()),
            "endTimeUnixNano" | "end_time_unix_nano" => once(&mut s.end, c.int()),
            "attributes" => once(&mut attributes, c.attributes(16)),
            "events" => once(&mut events, c.array_of(Event::fast, 0)),
            "status" => once(&mut s.status, Status::fast(c)),
            _ => c.skip(),
        })?;
        s.attributes = CapVec(attributes.unwrap_or_default());
        s.events = events.unwrap_or_default();
        Some(s)
    }
}

impl<'a> Event<'a> {
    fn fast(c: &mut Cur<'a>) -> Option<Self> {
        let (mut name, mut attributes) = (None, None);
        c.object(|c, key| match key {
            "name" => once(&mut name, c.text()),
            "attributes" => once(&mut attributes, c.attributes(0)),
            _ => c.skip(),
        })?;
        Some(Event {
            name,
            attributes: attributes.unwrap_or_default(),
        })
    }
}

impl<'a> Status<'a> {
    fn fast(c: &mut Cur<'a>) -> Option<Self> {
        let (mut code, mut message) = (None, None);
        c.object(|c, key| match key {
            "code" => once(&mut code, c.scalar()),
            "message" => once(&mut message, c.text()),
            _ => c.skip(),
        })?;
        Some(Status { code, message })
    }
}

#[cfg(test)]
mod tests;
