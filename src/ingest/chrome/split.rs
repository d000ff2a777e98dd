//! A mapped trace decoded in chunks on every thread (with `--threads 1`, one chunk at a time
//! on the calling one), applied in order on the calling one.
//!
//! The event array is cut into chunks of about [`CHUNK`] bytes at guessed element boundaries
//! (`}` `,` `{` with blanks between), found by looking forward from each cut point, without a
//! pass over the file first. Each chunk is decoded element by element (the same typed
//! `MaybeEvent`, borrowing the mapped text) by whichever thread claims it, a few chunks ahead of
//! the one being applied. A guess can be wrong (the three bytes inside a string or a nested
//! array), so a chunk's events are used only when the chunk before it, decoded from a start
//! known to be real, ended exactly where this one starts; otherwise the calling thread decodes
//! it again from where the chunk before really ended. The first element is found by the stream
//! scanner and the text before it is checked by serde to open the event array.
//!
//! Whatever is not a plain run of `element, element` (the end of the array, a syntax error, a
//! cut-off, keys after `traceEvents`, data after the trace) is read by the one-thread path's
//! serde pass, on a copy of the text before the first element followed by the rest of the
//! input from the last element decoded; its errors' line, column and byte offset are mapped
//! back to the file. So the trace, the warnings and the errors are those of one thread, byte
//! for byte (`tests.rs`, `tests/integration/threads.rs`).

use super::event::MaybeEvent;
use super::fast;
use super::{Reader, TopSeed, first_element};
use serde::de::{Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::sync::{Condvar, Mutex};

/// Bytes of events per chunk. Small enough that a few decoded chunks held at once stay a few
/// MB, large enough that handing them over costs nothing next to decoding them.
pub(super) const CHUNK: usize = 4 << 20;

/// The most text before the first event that the split path takes (more: one thread reads it).
const OPENING: usize = 1 << 20;

/// Chunks decoded ahead of the one being applied, per thread.
const AHEAD: usize = 2;

/// Where serde's one-thread pass must take over: the input from `from` (an element start) on,
/// up to `to`, after the text before the first element.
pub(super) struct Rest {
    pub from: usize,
    pub to: usize,
}

/// The serde pass over the rest: the text it reads and how its positions map to the file.
pub(super) struct Synthetic {
    pub text: String,
    prefix: usize,
    from: usize,
}

impl Synthetic {
    pub fn new(bytes: &str, first: usize, rest: &Rest) -> Synthetic {
        let tail = bytes.get(rest.from..rest.to).unwrap_or("");
        let mut text = String::with_capacity(first + tail.len());
        text.push_str(bytes.get(..first).unwrap_or(""));
        text.push_str(tail);
        Synthetic {
            text,
            prefix: first,
            from: rest.from,
        }
    }

    /// The position in the file of serde's `line` and `column` in `self.text`, as serde's own
    /// (line, column) there.
    pub fn map(&self, file: &str, line: usize, column: usize) -> (usize, usize) {
        if line == 0 {
            return (line, column);
        }
        let synth = self.text.as_bytes();
        let mut start = 0usize;
        for _ in 1..line {
            match memchr::memchr(b'\n', synth.get(start..).unwrap_or(&[])) {
                Some(p) => start += p + 1,
                None => break,
            }
        }
        let index = start + column;
        let index = if index >= self.prefix {
            index - self.prefix + self.from
        } else {
            index
        };
        let bytes = file.as_bytes();
        let index = index.min(bytes.len());
        let line_start = memchr::memrchr(b'\n', &bytes[..index]).map_or(0, |p| p + 1);
        let line = 1 + memchr::memchr_iter(b'\n', &bytes[..line_start]).count();
        (line, index - line_start)
    }
}

/// Where the event array's first element starts, when the text before it is the plain opening
/// of the event array (an array, or an object whose last key before it is the first
/// `traceEvents`).
pub(super) fn first_event(name: &str, text: &str, object: bool) -> Option<usize> {
    // Only the opening is scanned: the scanner reads what it is given into its own buffer.
    let head = text.as_bytes();
    let head = head
        .get(..head.len().min(OPENING + (64 << 10)))
        .unwrap_or(head);
    let (byte, at) = first_element(name, head)?;
    let at = usize::try_from(at).ok()?;
    if byte != b'{' || at > OPENING {
        return None;
    }
    let mut probe = String::with_capacity(at + 2);
    probe.push_str(text.get(..at)?);
    probe.push_str(if object { "]}" } else { "]" });
    let mut de = serde_json::Deserializer::from_str(&probe);
    let opens = de.deserialize_any(Opening).ok()? && de.end().is_ok();
    opens.then_some(at)
}

/// Checks that a trace cut just before its first event and closed is an empty event array:
/// `[]`, or `{...,"traceEvents":[]}` with `traceEvents` last and seen once.
struct Opening;

impl<'de> Visitor<'de> for Opening {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the opening of a trace")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<bool, A::Error> {
        Ok(a.next_element::<IgnoredAny>()?.is_none())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<bool, A::Error> {
        let mut events_last = false;
        let mut seen = false;
        while let Some(super::event::Key(key)) = a.next_key::<super::event::Key<'de>>()? {
            if key == "traceEvents" && !seen {
                seen = true;
                let v: Vec<IgnoredAny> = a.next_value()?;
                events_last = v.is_empty();
            } else {
                a.next_value::<IgnoredAny>()?;
                events_last = false;
            }
        }
        Ok(events_last)
    }
}

/// The next likely element start at or after `from`: the `{` of `}` `,` `{`.
fn boundary(text: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let close = at + memchr::memchr(b'}', text.get(at..)?)?;
        let mut p = close + 1;
        while text.get(p).is_some_and(|c| c.is_ascii_whitespace()) {
            p += 1;
        }
        if text.get(p) == Some(&b',') {
            p += 1;
            while text.get(p).is_some_and(|c| c.is_ascii_whitespace()) {
                p += 1;
            }
            if text.get(p) == Some(&b'{') {
                return Some(p);
            }
        }
        at = close + 1;
    }
}

/// How decoding a chunk ended.
enum End {
    /// At `0`, the start of an object element at or after the chunk's end.
    Reached(usize),
    /// Before the element at `from` (not decoded): serde takes over from there up to `to`.
    Stopped(Rest),
}

/// The events of one chunk, from `from`.
struct Decoded<'a> {
    from: usize,
    events: Vec<MaybeEvent<'a>>,
    end: End,
}

/// Slack kept after a syntax error for serde to meet it again.
const SLACK: usize = 1 << 20;

/// Decodes the elements from `from` (an element start) until the first object element that
/// starts at or after `until`, or until something that is not `element ,` (see [`End`]), into
/// `events` (emptied first: a vector a chunk before used, so that its pages are not mapped
/// anew for every chunk).
fn decode<'a>(
    text: &'a str,
    from: usize,
    until: usize,
    mut events: Vec<MaybeEvent<'a>>,
) -> Decoded<'a> {
    let bytes = text.as_bytes();
    // About one event per 200 bytes (DevTools' average is over 300): no growing on the way.
    let span = until.min(bytes.len()).saturating_sub(from);
    events.clear();
    events.reserve(span / 200);
    let mut pos = from;
    let mut last: Option<usize> = None;
    let stopped = |events: &mut Vec<MaybeEvent<'_>>, last: Option<usize>, fail: Option<usize>| {
        // The last element decoded is read again by serde, with what follows it.
        let from = match last {
            Some(start) => {
                events.pop();
                start
            }
            None => from,
        };
        let to = fail.map_or(bytes.len(), |f| f.saturating_add(SLACK).min(bytes.len()));
        End::Stopped(Rest { from, to })
    };
    let end = loop {
        if pos >= until && bytes.get(pos) == Some(&b'{') {
            break End::Reached(pos);
        }
        let rest = text.get(pos..).unwrap_or("");
        // The fast path where it answers (the same event and length as serde's), else serde.
        let len = match fast::element(rest) {
            Some((ev, len)) => {
                events.push(ev);
                len
            }
            None => {
                let mut one =
                    serde_json::Deserializer::from_str(rest).into_iter::<MaybeEvent<'_>>();
                match one.next() {
                    Some(Ok(ev)) => events.push(ev),
                    Some(Err(e)) if !e.is_eof() => {
                        let fail = pos + error_index(rest, e.line(), e.column());
                        break stopped(&mut events, last, Some(fail));
                    }
                    _ => break stopped(&mut events, last, None),
                }
                one.byte_offset()
            }
        };
        last = Some(pos);
        let mut p = pos + len;
        while bytes.get(p).is_some_and(|c| c.is_ascii_whitespace()) {
            p += 1;
        }
        if bytes.get(p) != Some(&b',') {
            let fail = (bytes.get(p) != Some(&b']')).then_some(p);
            break stopped(&mut events, last, fail);
        }
        p += 1;
        while bytes.get(p).is_some_and(|c| c.is_ascii_whitespace()) {
            p += 1;
        }
        pos = p;
    };
    Decoded { from, events, end }
}

/// The index in `text` of serde's (line, column) there.
fn error_index(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0usize;
    for _ in 1..line {
        match memchr::memchr(b'\n', text.as_bytes().get(start..).unwrap_or(&[])) {
            Some(p) => start += p + 1,
            None => break,
        }
    }
    start + column
}

/// What the threads share: decoded chunks waiting to be applied.
struct Shared<'a> {
    slots: Vec<Option<Decoded<'a>>>,
    /// The next chunk nobody has claimed.
    next: usize,
    /// The chunk being applied.
    applying: usize,
    stop: bool,
    /// Vectors of chunks already applied, emptied, for the next chunks' events.
    spare: Vec<Vec<MaybeEvent<'a>>>,
}

/// Applies the events of `text` from its first element (`first`) to `reader`, decoded on
/// `threads` threads in chunks of `chunk` bytes; returns where serde must take over.
pub(super) fn read_events(
    text: &str,
    first: usize,
    reader: &mut Reader<'_, '_>,
    threads: usize,
    chunk: usize,
) -> Rest {
    let bytes = text.as_bytes();
    let mut starts = vec![first];
    let mut at = first;
    while let Some(b) = boundary(bytes, at.saturating_add(chunk)) {
        starts.push(b);
        at = b;
    }
    let n = starts.len();
    let until = |k: usize| starts.get(k + 1).copied().unwrap_or(usize::MAX);
    let ahead = AHEAD * threads;
    let shared = Mutex::new(Shared {
        slots: (0..n).map(|_| None).collect(),
        next: 0,
        applying: 0,
        stop: false,
        spare: Vec::new(),
    });
    let changed = Condvar::new();
    let lock = || shared.lock().unwrap_or_else(|p| p.into_inner());
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|| {
                let mut s = lock();
                loop {
                    if s.stop || s.next >= n {
                        break;
                    }
                    if s.next > s.applying + ahead {
                        s = changed.wait(s).unwrap_or_else(|p| p.into_inner());
                        continue;
                    }
                    let k = s.next;
                    s.next += 1;
                    let events = s.spare.pop().unwrap_or_default();
                    drop(s);
                    let d = decode(text, starts[k], until(k), events);
                    s = lock();
                    s.slots[k] = Some(d);
                    changed.notify_all();
                }
            });
        }
        let mut pos = first;
        let mut rest = None;
        for k in 0..n {
            let mut s = lock();
            s.applying = k;
            changed.notify_all();
            let d = loop {
                if let Some(d) = s.slots[k].take() {
                    break d;
                }
                // Rather than wait, decode the next unclaimed chunk here (it may be this one).
                if !s.stop && s.next < n && s.next <= k + ahead {
                    let j = s.next;
                    s.next += 1;
                    let events = s.spare.pop().unwrap_or_default();
                    drop(s);
                    let d = decode(text, starts[j], until(j), events);
                    s = lock();
                    s.slots[j] = Some(d);
                    continue;
                }
                s = changed.wait(s).unwrap_or_else(|p| p.into_inner());
            };
            drop(s);
            // Decoded from a guess that was not where the chunk before ended: again, from there.
            let mut d = match d.from == pos {
                true => d,
                false => decode(text, pos, until(k), d.events),
            };
            for MaybeEvent(ev) in d.events.drain(..) {
                match ev {
                    Some(ev) => reader.event(ev),
                    None => {
                        reader.events += 1;
                        reader.skip();
                    }
                }
            }
            lock().spare.push(d.events);
            match d.end {
                End::Reached(p) => pos = p,
                End::Stopped(r) => {
                    rest = Some(r);
                    break;
                }
            }
        }
        let mut s = lock();
        s.stop = true;
        changed.notify_all();
        drop(s);
        // The last chunk never reaches a next one: it stops at the end of the array.
        rest.unwrap_or(Rest {
            from: pos,
            to: bytes.len(),
        })
    })
}

/// The one-thread serde pass over `synth`, for [`super::read`] to conclude as usual.
pub(super) fn read_rest(
    synth: &Synthetic,
    reader: &mut Reader<'_, '_>,
) -> (serde_json::Result<bool>, Option<serde_json::Error>) {
    let mut de = serde_json::Deserializer::from_str(&synth.text);
    let found = de.deserialize_any(TopSeed(reader));
    let after = match found {
        Ok(true) => de.end().err(),
        _ => None,
    };
    (found, after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_found_past_the_cut_point() {
        let t = br#"[{"a":1}, {"b":{"c":2}} ,
 {"d":"},{"}]"#;
        assert_eq!(boundary(t, 0), Some(10));
        assert_eq!(boundary(t, 11), Some(27));
        assert_eq!(t[27], b'{');
        // `},{` inside a string is a guess too: decoding tells it apart.
        assert_eq!(boundary(t, 28), Some(35));
        assert_eq!(boundary(t, 36), None);
    }

    #[test]
    fn decoding_stops_at_the_first_object_past_the_end_and_before_anything_else() {
        let t = r#"[{"ph":"X"}, 5, {"ph":"B"}, {"ph":"E"}]"#;
        let d = decode(t, 1, 13, Vec::new());
        assert_eq!(d.events.len(), 2);
        assert!(matches!(d.end, End::Reached(16)));
        // The last element goes back to serde with the `]` after it.
        let d = decode(t, 16, usize::MAX, d.events);
        assert_eq!(d.events.len(), 1);
        assert!(matches!(d.end, End::Stopped(Rest { from: 28, to: 39 })));
        // A trailing comma: serde must see the element before it.
        let t = r#"[{"ph":"X"}, {"ph":"B"},  ]"#;
        let d = decode(t, 1, usize::MAX, Vec::new());
        assert_eq!(d.events.len(), 1);
        assert!(matches!(d.end, End::Stopped(Rest { from: 13, .. })));
    }

    #[test]
    fn positions_in_the_synthetic_text_map_back_to_the_file() {
        let file = "{\"traceEvents\":[\n{\"a\":1},\n{\"b\":2},\n{\"c\"x}]}";
        let first = 17;
        let from = file.find("{\"b\"").expect("b");
        let s = Synthetic::new(
            file,
            first,
            &Rest {
                from,
                to: file.len(),
            },
        );
        assert_eq!(s.text, "{\"traceEvents\":[\n{\"b\":2},\n{\"c\"x}]}");
        let e = serde_json::from_str::<serde_json::Value>(&s.text).expect_err("bad");
        let one = serde_json::from_str::<serde_json::Value>(file).expect_err("bad");
        assert_eq!(
            s.map(file, e.line(), e.column()),
            (one.line(), one.column())
        );
    }
}
