//! The fast path of one element of the event array: an event object read straight into the
//! [`MaybeEvent`] serde would make of it, by the JSON cursor (`ingest/json_cursor.rs`).
//! Anything it leaves (an escape in a key or in a string it reads, a number with an exponent,
//! an element that is not an object, nesting deeper than the cursor follows, bad syntax)
//! gives `None`, and the element goes through serde_json as before, which then makes the same
//! event or reports the error in its own words. So no event, warning or error changes: where
//! it answers, it answers what serde would, and consumes the same bytes (the tests below hold
//! it to that on every element of the repository's Chrome traces and on damaged copies).
//!
//! What it reproduces of [`MaybeEvent`]'s visitor: a key given twice overwrites (as the
//! visitor's assignments do), a value of the wrong type reads as absent, `ts` and `dur` also
//! read numeric strings, ids keep unsigned integers exact and other numbers as serde's text
//! of them, and `id2`'s `global` beats its `local`. Numbers other than plain non-negative
//! integers are parsed by serde_json itself (as a [`serde_json::Number`]: the same
//! `visit_u64`, `visit_i64` or `visit_f64` with the same value), and `args` is serde_json's
//! own `&RawValue` of the same text (checked by the cursor, or by serde_json where the cursor
//! leaves it).
//!
//! Why: decoding events was 83 % of the instructions of a two-thread run on a generated 10 MB
//! DevTools trace (callgrind), most of it matching keys and skipping values field by field.

use super::event::{Event, Field, Id, Id2, MaybeEvent};
use crate::ingest::json_cursor::{self, Cur};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The element `text` starts with (after white space), as serde would read it, and the
/// bytes up to its end (what serde_json's stream deserializer's `byte_offset` gives after it);
/// `None` when it is not of the shapes read here.
pub(super) fn element(text: &str) -> Option<(MaybeEvent<'_>, usize)> {
    let mut c = Cur::new(text);
    let mut ev = Event::default();
    c.eat(b'{')?;
    if c.peek()? == b'}' {
        c.i += 1;
        return Some((MaybeEvent(Some(ev)), c.i));
    }
    loop {
        if c.peek()? != b'"' {
            return None;
        }
        c.i += 1;
        let key = match known_key(&mut c) {
            Some(key) => key,
            None => Field::of(c.string_rest()?),
        };
        c.eat(b':')?;
        match key {
            Field::Name => ev.name = loose_str(&mut c)?,
            Field::Cat => ev.cat = loose_str(&mut c)?,
            Field::Ph => ev.ph = loose_str(&mut c)?,
            Field::Ts => ev.ts = loose_num(&mut c)?,
            Field::Dur => ev.dur = loose_num(&mut c)?,
            Field::Pid => ev.pid = loose_id(&mut c)?,
            Field::Tid => ev.tid = loose_id(&mut c)?,
            Field::Id => ev.id = loose_id(&mut c)?,
            Field::Id2 => ev.id2 = id2(&mut c)?,
            Field::Args => ev.args = Some(raw(&mut c)?),
            Field::Other => c.i += value_end(c.b.get(c.i..)?)?,
        }
        match c.peek()? {
            b',' => c.i += 1,
            b'}' => {
                c.i += 1;
                return Some((MaybeEvent(Some(ev)), c.i));
            }
            _ => return None,
        }
    }
}

/// The common keys, matched by their bytes and closing quote at once (after the opening
/// quote) instead of by a scan for the end of the string; `None` (nothing read) for any
/// other key, which is then read as a string.
#[inline(always)]
fn known_key(c: &mut Cur<'_>) -> Option<Field> {
    let f = match c.b.get(c.i)? {
        b'a' if c.tag(b"args\"") => Field::Args,
        b'c' if c.tag(b"cat\"") => Field::Cat,
        b'd' if c.tag(b"dur\"") => Field::Dur,
        b'i' if c.tag(b"id\"") => Field::Id,
        b'i' if c.tag(b"id2\"") => Field::Id2,
        b'n' if c.tag(b"name\"") => Field::Name,
        b'p' if c.tag(b"ph\"") => Field::Ph,
        b'p' if c.tag(b"pid\"") => Field::Pid,
        b't' if c.tag(b"ts\"") => Field::Ts,
        b't' if c.tag(b"tid\"") => Field::Tid,
        b't' if c.tag(b"tts\"") || c.tag(b"tdur\"") => Field::Other,
        _ => return None,
    };
    Some(f)
}

/// A text that is one element and white space, as `serde_json::from_str` would read it.
pub(super) fn whole(text: &str) -> Option<MaybeEvent<'_>> {
    let (ev, end) = element(text)?;
    let mut c = Cur::new(text);
    c.i = end;
    c.at_end().then_some(ev)
}

/// An element decoded as serde_json's `from_str` would: by the fast path where it answers.
pub(super) fn from_str(text: &str) -> serde_json::Result<MaybeEvent<'_>> {
    match whole(text) {
        Some(ev) => Ok(ev),
        None => serde_json::from_str(text),
    }
}

/// A value that is not used: checked and passed over (`null` too).
fn other(c: &mut Cur<'_>) -> Option<()> {
    match c.peek()? {
        b'n' => c.literal(b"null"),
        _ => c.skip(),
    }
}

/// What `LooseStr` makes of a value: a string, borrowed; any other value is absent.
fn loose_str<'a>(c: &mut Cur<'a>) -> Option<Option<Cow<'a, str>>> {
    match c.peek()? {
        b'"' => c.string().map(|s| Some(Cow::Borrowed(s))),
        _ => other(c).map(|()| None),
    }
}

/// A JSON number as serde_json hands it to a visitor.
enum Num {
    U64(u64),
    I64(i64),
    F64(f64),
}

/// A number (no exponent: the cursor leaves those): a non-negative integer of at most 19
/// digits here, any other through serde_json's own parser.
fn number(c: &mut Cur<'_>) -> Option<Num> {
    c.ws();
    let start = c.i;
    let mut i = start;
    let mut n = 0u64;
    while let Some(&d) = c.b.get(i).filter(|d| d.is_ascii_digit()) {
        n = n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
        i += 1;
    }
    let len = i - start;
    // At most 19 digits (no overflow), no leading zero, no fraction or exponent after them.
    let plain = (1..=19).contains(&len)
        && (len == 1 || c.b.get(start) != Some(&b'0'))
        && !matches!(c.b.get(i), Some(b'.' | b'e' | b'E'));
    if plain {
        c.i = i;
        return Some(Num::U64(n));
    }
    let (text, _) = c.number()?;
    let n: serde_json::Number = serde_json::from_str(text).ok()?;
    if let Some(u) = n.as_u64() {
        Some(Num::U64(u))
    } else if let Some(i) = n.as_i64() {
        Some(Num::I64(i))
    } else {
        n.as_f64().map(Num::F64)
    }
}

/// What `LooseNum` makes of a value: a number, or a string holding one; else absent.
fn loose_num(c: &mut Cur<'_>) -> Option<Option<f64>> {
    match c.peek()? {
        b'"' => c.string().map(|s| s.trim().parse().ok()),
        b'-' | b'0'..=b'9' => Some(Some(match number(c)? {
            Num::U64(u) => u as f64,
            Num::I64(i) => i as f64,
            Num::F64(f) => f,
        })),
        _ => other(c).map(|()| None),
    }
}

/// What `LooseId` makes of a value.
fn loose_id<'a>(c: &mut Cur<'a>) -> Option<Option<Id<'a>>> {
    match c.peek()? {
        b'"' => c.string().map(|s| Some(Id::Str(Cow::Borrowed(s)))),
        b'-' | b'0'..=b'9' => Some(Some(match number(c)? {
            Num::U64(u) => Id::Num(u),
            Num::I64(i) => Id::Str(Cow::Owned(i.to_string())),
            Num::F64(f) => Id::Str(Cow::Owned(f.to_string())),
        })),
        _ => other(c).map(|()| None),
    }
}

/// What `Id2` makes of a value: `global` over `local`, anything but an object absent.
fn id2<'a>(c: &mut Cur<'a>) -> Option<Id2<'a>> {
    if c.peek()? != b'{' {
        return other(c).map(|()| Id2::default());
    }
    let mut out = Id2::default();
    c.object(|c, key| {
        match key {
            "global" => {
                if let Some(id) = loose_id(c)? {
                    out = Id2 {
                        id: Some(id),
                        local: false,
                    };
                }
            }
            "local" if out.id.is_none() => {
                out.id = loose_id(c)?;
                out.local = out.id.is_some();
            }
            _ => other(c)?,
        }
        Some(())
    })?;
    Some(out)
}

/// `args`: the value's text as serde_json's own raw value, borrowed (it starts after the white
/// space skipped here, as serde's does). Checked by [`value_end`] where it can (nesting up to
/// [`MAX_DEPTH`]), else by serde_json.
fn raw<'a>(c: &mut Cur<'a>) -> Option<&'a RawValue> {
    c.ws();
    let rest = c.s.get(c.i..)?;
    if let Some(len) = value_end(rest.as_bytes())
        && let Some(raw) = rest.get(..len).and_then(checked_raw)
    {
        c.i += len;
        return Some(raw);
    }
    let mut de = serde_json::Deserializer::from_str(rest);
    let raw = <&RawValue>::deserialize(&mut de).ok()?;
    if !std::ptr::eq(raw.get().as_ptr(), rest.as_ptr()) {
        return None;
    }
    c.i += raw.get().len();
    Some(raw)
}

/// serde_json's name for the raw value it hands over (its `raw.rs`): the one map key its
/// `&RawValue` accepts from a deserializer.
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// `json`, already checked to be one JSON value serde_json's parser reads (and ends where it
/// ends), as a `&RawValue` without parsing it again: handed over the way serde_json's own
/// parser hands its raw values over, as a one-entry map of [`RAW_TOKEN`] to the borrowed text.
/// Should serde_json ever change that, this is `None`, and serde reads the value (the tests
/// hold it to working).
fn checked_raw(json: &str) -> Option<&RawValue> {
    use serde::de::value::{BorrowedStrDeserializer, MapDeserializer};
    let value = BorrowedStrDeserializer::<serde_json::Error>::new(json);
    let map = MapDeserializer::<_, serde_json::Error>::new(std::iter::once((RAW_TOKEN, value)));
    <&RawValue>::deserialize(map).ok()
}

/// How deep [`value_end`] follows nested values (deeper: serde reads the element).
const MAX_DEPTH: usize = 32;

/// Where the JSON value `b` starts with (after white space) ends, checked as serde_json checks
/// a value it passes over (`ignore_value`, used for `IgnoredAny` and `&RawValue`): strings with
/// any escape serde accepts there (`\uXXXX` unchecked beyond its four hex digits), `null`,
/// numbers with exponents; `None` wherever serde would refuse the value, and for nesting
/// deeper than [`MAX_DEPTH`]. One loop with a stack, not a call per value.
fn value_end(b: &[u8]) -> Option<usize> {
    let mut stack = [0u8; MAX_DEPTH];
    let mut depth = 0usize;
    let mut i = ws(b, 0);
    'value: loop {
        match *b.get(i)? {
            b'"' => i = string_end(b, i + 1)?,
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                i = ws(b, i + 1);
                if b.get(i) == Some(&close) {
                    i += 1;
                } else {
                    *stack.get_mut(depth)? = open;
                    depth += 1;
                    if open == b'{' {
                        i = key_end(b, i)?;
                    }
                    i = ws(b, i);
                    continue 'value;
                }
            }
            b't' => i = literal_end(b, i, b"true")?,
            b'f' => i = literal_end(b, i, b"false")?,
            b'n' => i = literal_end(b, i, b"null")?,
            b'-' | b'0'..=b'9' => i = number_end(b, i)?,
            _ => return None,
        }
        // After a value: the commas and closing brackets up to the next value, or the end.
        loop {
            let Some(top) = depth.checked_sub(1).and_then(|d| stack.get(d)) else {
                return Some(i);
            };
            i = ws(b, i);
            match (*b.get(i)?, *top) {
                (b',', b'{') => {
                    i = key_end(b, ws(b, i + 1))?;
                    i = ws(b, i);
                    continue 'value;
                }
                (b',', _) => {
                    i = ws(b, i + 1);
                    continue 'value;
                }
                (b'}', b'{') | (b']', b'[') => {
                    i += 1;
                    depth -= 1;
                }
                _ => return None,
            }
        }
    }
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// After a member's opening quote's place `i`: the key, white space and the colon.
fn key_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let i = ws(b, string_end(b, i + 1)?);
    (b.get(i) == Some(&b':')).then_some(i + 1)
}

/// The end of a string whose opening quote is before `i` (after its closing quote).
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        i += json_cursor::string_end(b.get(i..)?);
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' if b.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => i += 6,
                _ => return None,
            },
            // A control character.
            _ => return None,
        }
    }
}

fn literal_end(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    let end = i + word.len();
    (b.get(i..end)? == word).then_some(end)
}

/// The end of a number in JSON's grammar starting at `i`.
fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        // One leading zero only.
        b'0' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => return None,
        b'0' => i += 1,
        b'1'..=b'9' => i = digits(i + 1),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(i)
}

#[cfg(test)]
mod tests;
