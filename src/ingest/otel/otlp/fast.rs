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
//! matched once by its bytes and a string's end is found eight bytes at a time (the cursor:
//! `ingest/json_cursor.rs`).

use super::{Attributes, Event, OtlpKind, Request, ResourceSpans, Scope, ScopeSpans, Span, Status};
use crate::ingest::json_cursor::{Cur, once};
use crate::ingest::otel::Kind;
use crate::ingest::otel::value::{AnyValue, CapVec, Int, KeyValue, Scalar, Text};
use std::borrow::Cow;

/// The line as serde would read it, or `None` when the line is not of the shapes read here.
pub(super) fn request(line: &str) -> Option<Request<'_>> {
    let mut c = Cur::new(line);
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
    if !c.at_end() {
        return None;
    }
    Some(Request {
        resource_spans: Some(spans?),
    })
}

/// The OTLP parts of the cursor.
impl<'a> Cur<'a> {
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
        // The usual shape, a decimal string of plain digits (`"1795478400026346499"`), in one
        // pass; anything else (white space, a sign, leading zeros, 20 digits) as below.
        let at = self.mark();
        if self.tag(b"\"")
            && self.b.get(self.i).is_some_and(u8::is_ascii_digit)
            && let Some(v) = self.uint()
            && self.tag(b"\"")
            && let Ok(v) = i64::try_from(v)
        {
            return Some(Int(v));
        }
        self.back(at);
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
        let at = self.mark();
        if let Some(kv) = self.key_value_compact() {
            return Some(kv);
        }
        self.back(at);
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

    /// The shape every exporter we know writes, read as one piece:
    /// `{"key":"K","value":{"stringValue":"V"}}` (or `"intValue":"N"`, no white space).
    /// `None` for anything else, which [`Cur::key_value`] then reads member by member.
    fn key_value_compact(&mut self) -> Option<KeyValue<'a>> {
        if !self.tag(b"{\"key\":\"") {
            return None;
        }
        let key = self.string_rest()?;
        if !self.tag(b",\"value\":{\"") {
            return None;
        }
        if !(self.tag(b"stringValue\":\"") || self.tag(b"intValue\":\"")) {
            return None;
        }
        let value = self.string_rest()?;
        if !self.tag(b"}}") {
            return None;
        }
        Some(KeyValue {
            key: Text(Cow::Borrowed(key)),
            value: AnyValue(Cow::Borrowed(value)),
        })
    }

    fn attributes(&mut self, room: usize) -> Option<Vec<KeyValue<'a>>> {
        self.array_of(Self::key_value, room)
    }
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
