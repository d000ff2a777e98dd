//! Finds the elements of the event array in a stream (stdin, gzip) without holding the whole
//! input: a small scanner tracks strings and nesting to find where each element ends, and the
//! caller parses the element, borrowed from the buffer, as soon as it is complete. Memory is
//! bounded by the largest element, and no element may exceed [`MAX_ELEMENT`]: whitespace
//! between elements is dropped as it is read (a gzip of 2 GiB of blanks stays small).

/// The largest element (one trace event) the scanner holds: far above any real event (a
/// DevTools source map or script text is a few MB), far below the memory a bomb would take.
pub(super) const MAX_ELEMENT: usize = 64 << 20;

use crate::error::Error;
use std::borrow::Cow;
use std::io::BufRead;

pub(super) enum StreamError {
    Io(Error),
    /// Bad JSON (or an element the caller could not parse), with a description.
    Syntax(String),
    /// The input ended inside the array.
    Eof,
}

pub(super) struct Scanner<'i> {
    input: &'i mut dyn BufRead,
    buf: Vec<u8>,
    pos: usize,
    /// Bytes dropped from the front of `buf` so far.
    consumed: u64,
    eof: bool,
    name: &'i str,
    /// The top level is an object (`{"traceEvents": [...]}`).
    pub object: bool,
    /// The largest element held ([`MAX_ELEMENT`]; smaller in tests).
    max_element: usize,
    /// Commas in the event array with no element before them or before its `]` (a writer's
    /// trailing comma), skipped; the offset of the first.
    pub stray_commas: u64,
    pub first_stray_comma: Option<u64>,
}

type Step<T> = std::result::Result<T, StreamError>;

/// Stray commas met so far: how many, and the offset of the first.
pub(super) type Stray = (u64, Option<u64>);

/// What the caller does with each element: its bytes, its offset in the input, and the stray
/// commas met before it.
pub(super) type OnElement<'f> = dyn FnMut(&[u8], u64, Stray) -> Result<(), String> + 'f;

impl<'i> Scanner<'i> {
    pub fn new(name: &'i str, input: &'i mut dyn BufRead) -> Self {
        Scanner {
            input,
            buf: Vec::with_capacity(1 << 16),
            pos: 0,
            consumed: 0,
            eof: false,
            name,
            object: false,
            max_element: MAX_ELEMENT,
            stray_commas: 0,
            first_stray_comma: None,
        }
    }

    /// Byte offset in the input of the next unread byte (where an error was found).
    pub fn offset(&self) -> u64 {
        self.consumed + self.pos as u64
    }

    /// How many bytes were read from the input: where it ends, once the scan met its end.
    pub fn read_so_far(&self) -> u64 {
        self.consumed + self.buf.len() as u64
    }

    /// Makes at least one more byte available; false at the end of input.
    fn fill(&mut self) -> Step<bool> {
        if self.eof {
            return Ok(false);
        }
        let more = crate::ingest::source::append_more(self.input, &mut self.buf, self.name)
            .map_err(StreamError::Io)?;
        self.eof = !more;
        Ok(more)
    }

    /// Drops what was already parsed. Only between values: scans hold indices into `buf`.
    fn compact(&mut self) {
        if self.pos > (1 << 20) && self.pos * 2 > self.buf.len() {
            self.buf.drain(..self.pos);
            self.consumed += self.pos as u64;
            self.pos = 0;
        }
    }

    fn peek(&mut self) -> Step<Option<u8>> {
        while self.pos >= self.buf.len() {
            if !self.fill()? {
                return Ok(None);
            }
        }
        Ok(self.buf.get(self.pos).copied())
    }

    fn skip_ws(&mut self) -> Step<Option<u8>> {
        loop {
            if self.pos >= self.buf.len() && !self.buf.is_empty() {
                // Everything read is behind us (no index into `buf` is held between values):
                // drop it rather than grow the buffer over a run of blanks.
                self.consumed += self.buf.len() as u64;
                self.buf.clear();
                self.pos = 0;
            }
            match self.peek()? {
                Some(c) if c.is_ascii_whitespace() => self.pos += 1,
                other => return Ok(other),
            }
        }
    }

    /// The end (exclusive) of the JSON value starting at `self.pos`, reading more as needed.
    fn value_end(&mut self) -> Step<usize> {
        let mut i = self.pos;
        let mut depth = 0u32;
        loop {
            while i >= self.buf.len() {
                if i - self.pos > self.max_element {
                    return Err(self.too_long());
                }
                if !self.fill()? {
                    return Err(StreamError::Eof);
                }
            }
            let c = self.buf[i];
            i += 1;
            match c {
                b'"' => {
                    i = self.string_end(i)?;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => return Ok(i - 1),
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                b',' if depth == 0 => return Ok(i - 1),
                c if depth == 0 && c.is_ascii_whitespace() && i - 1 > self.pos => return Ok(i - 1),
                _ => {}
            }
        }
    }

    /// An element over [`MAX_ELEMENT`]. The same words wherever the scan noticed it (in a
    /// string or between): where that is depends on how the input came in blocks, and the
    /// report must not (`--threads` changes the blocks).
    fn too_long(&self) -> StreamError {
        StreamError::Syntax(format!(
            "an element over {} MiB: not a trace event",
            self.max_element >> 20
        ))
    }

    /// Just past the closing quote of the string whose contents start at `i`.
    fn string_end(&mut self, mut i: usize) -> Step<usize> {
        loop {
            let rest = self.buf.get(i..).unwrap_or(&[]);
            match memchr::memchr2(b'"', b'\\', rest) {
                Some(p) if rest[p] == b'\\' => {
                    // Skip the escape and the character it escapes.
                    i += p + 2;
                    while i > self.buf.len() {
                        if !self.fill()? {
                            return Err(StreamError::Eof);
                        }
                    }
                }
                Some(p) => return Ok(i + p + 1),
                None => {
                    i = self.buf.len();
                    if i - self.pos > self.max_element {
                        return Err(self.too_long());
                    }
                    if !self.fill()? {
                        return Err(StreamError::Eof);
                    }
                }
            }
        }
    }

    /// Walks the top level, handing each element of the event array to `on_event`. Returns
    /// whether an event array was found.
    /// `on_event` gets each element and its byte offset in the input.
    pub fn events(&mut self, on_event: &mut OnElement<'_>) -> Step<bool> {
        match self.skip_ws()? {
            Some(b'[') => {
                self.pos += 1;
                self.array(on_event)?;
                Ok(true)
            }
            Some(b'{') => {
                self.object = true;
                self.pos += 1;
                let mut found = false;
                loop {
                    match self.skip_ws()? {
                        Some(b'}') => return Ok(found),
                        Some(b',') => self.pos += 1,
                        Some(b'"') => {
                            let end = self.value_end()?;
                            // A key holding bytes that are not UTF-8 is not "traceEvents".
                            let raw =
                                String::from_utf8_lossy(self.buf.get(self.pos..end).unwrap_or(&[]));
                            let key: Cow<'_, str> = serde_json::from_str(&raw)
                                .map_err(|e| StreamError::Syntax(e.to_string()))?;
                            let is_events = key == "traceEvents" && !found;
                            self.pos = end;
                            if self.skip_ws()? != Some(b':') {
                                return Err(StreamError::Syntax("expected ':' after a key".into()));
                            }
                            self.pos += 1;
                            let value = self.skip_ws()?;
                            if is_events && value == Some(b'[') {
                                self.pos += 1;
                                self.array(on_event)?;
                                found = true;
                            } else if is_events && let Some(c) = value {
                                // Not an array where the events should be: not a trace (the
                                // offset stays at the value, as the mapped reader says).
                                let kind = match c {
                                    b'{' => "map",
                                    b'"' => "string",
                                    b't' | b'f' => "boolean",
                                    b'n' => "null",
                                    _ => "number",
                                };
                                return Err(StreamError::Syntax(format!(
                                    "invalid type: {kind} for \"traceEvents\", expected an array"
                                )));
                            } else {
                                self.skip_ws()?;
                                self.pos = self.value_end()?;
                            }
                        }
                        Some(c) => {
                            return Err(StreamError::Syntax(format!(
                                "expected a key, found '{}'",
                                c.escape_ascii()
                            )));
                        }
                        None => return Err(StreamError::Eof),
                    }
                }
            }
            Some(c) => Err(StreamError::Syntax(format!(
                "expected '[' or '{{', found '{}'",
                c.escape_ascii()
            ))),
            None => Err(StreamError::Eof),
        }
    }

    /// The elements of an array, after its `[`. Stray commas (a trailing one) are skipped.
    fn array(&mut self, on_event: &mut OnElement<'_>) -> Step<()> {
        // The last thing read was `[` or a comma: a comma now, or `]` after a comma, is stray.
        let mut want_element = true;
        let mut after_comma = false;
        loop {
            self.compact();
            match self.skip_ws()? {
                Some(b']') => {
                    if after_comma {
                        self.stray_comma();
                    }
                    self.pos += 1;
                    return Ok(());
                }
                Some(b',') => {
                    if want_element {
                        self.stray_comma();
                    }
                    want_element = true;
                    after_comma = true;
                    self.pos += 1;
                }
                Some(_) => {
                    let end = self.value_end()?;
                    let at = self.offset();
                    let stray = (self.stray_commas, self.first_stray_comma);
                    on_event(self.buf.get(self.pos..end).unwrap_or(&[]), at, stray)
                        .map_err(StreamError::Syntax)?;
                    self.pos = end;
                    want_element = false;
                    after_comma = false;
                }
                None => return Err(StreamError::Eof),
            }
        }
    }
}

impl Scanner<'_> {
    fn stray_comma(&mut self) {
        self.stray_commas += 1;
        if self.first_stray_comma.is_none() {
            self.first_stray_comma = Some(self.offset());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The elements found in `input` read through a reader that hands out `chunk` bytes at a
    /// time (so values straddle buffer refills), and how the walk ended.
    fn elements(input: &str, chunk: usize) -> (Vec<String>, &'static str) {
        struct Chunks<'a>(&'a [u8], usize);
        impl std::io::Read for Chunks<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = std::io::BufReader::with_capacity(chunk, Chunks(input.as_bytes(), chunk));
        let mut s = Scanner::new("t", &mut r);
        let mut got = Vec::new();
        let end = match s.events(&mut |e, _, _| {
            got.push(String::from_utf8_lossy(e).into_owned());
            Ok(())
        }) {
            Ok(true) => "ok",
            Ok(false) => "no events",
            Err(StreamError::Eof) => "eof",
            Err(StreamError::Syntax(_)) => "syntax",
            Err(StreamError::Io(_)) => "io",
        };
        (got, end)
    }

    #[test]
    fn elements_across_refills() {
        let input = r#" [ {"a":"x\"]}","b":[1,{"c":2}]} , 7,"s\\",{"d":{}} ,] "#;
        for chunk in [1, 2, 3, 7, 64] {
            let (got, end) = elements(input, chunk);
            assert_eq!(end, "ok", "chunk {chunk}");
            assert_eq!(
                got,
                [
                    r#"{"a":"x\"]}","b":[1,{"c":2}]}"#,
                    "7",
                    r#""s\\""#,
                    r#"{"d":{}}"#
                ],
                "chunk {chunk}"
            );
        }
    }

    /// `head`, then `n` blanks, then `tail`, handed out 64 KB at a time and never held whole.
    struct Blanks {
        head: &'static [u8],
        n: usize,
        tail: &'static [u8],
    }

    impl std::io::Read for Blanks {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let take = |src: &mut &'static [u8], out: &mut [u8]| {
                let k = src.len().min(out.len());
                out[..k].copy_from_slice(&src[..k]);
                *src = &src[k..];
                k
            };
            if !self.head.is_empty() {
                return Ok(take(&mut self.head, out));
            }
            if self.n > 0 {
                let k = self.n.min(out.len()).min(1 << 16);
                out[..k].fill(b' ');
                self.n -= k;
                return Ok(k);
            }
            Ok(take(&mut self.tail, out))
        }
    }

    /// A gzip bomb's shape: 64 MB of blanks between two events. The buffer stays small.
    #[test]
    fn blanks_between_elements_are_not_buffered() {
        let mut r = std::io::BufReader::new(Blanks {
            head: br#"[{"a":1},"#,
            n: 64 << 20,
            tail: br#"{"b":2}]"#,
        });
        let mut s = Scanner::new("t", &mut r);
        let mut got = Vec::new();
        assert!(matches!(
            s.events(&mut |e, at, _| {
                got.push((String::from_utf8_lossy(e).into_owned(), at));
                Ok(())
            }),
            Ok(true)
        ));
        assert_eq!(
            got,
            [
                (r#"{"a":1}"#.to_string(), 1),
                (r#"{"b":2}"#.to_string(), 9 + (64 << 20))
            ]
        );
        assert!(s.buf.capacity() <= 1 << 20, "{}", s.buf.capacity());
    }

    /// Blanks (or anything) inside one element: it stops at the cap with a syntax error.
    #[test]
    fn an_element_over_the_cap_is_an_error() {
        let mut r = std::io::BufReader::new(Blanks {
            head: br#"[{"a":1},{"b":"#,
            n: 4 << 20,
            tail: br#"2}]"#,
        });
        let mut s = Scanner::new("t", &mut r);
        s.max_element = 1 << 20;
        let mut n = 0;
        let end = s.events(&mut |_, _, _| {
            n += 1;
            Ok(())
        });
        assert_eq!(n, 1);
        assert!(
            matches!(&end, Err(StreamError::Syntax(m)) if m.contains("over 1 MiB")),
            "{}",
            match end {
                Err(StreamError::Syntax(m)) => m,
                _ => "not a syntax error".into(),
            }
        );
        assert!(s.buf.capacity() <= 4 << 20);
    }

    /// Over the cap inside a string or between its values: the same words (which of the two
    /// the scan meets first depends on the blocks the input comes in).
    #[test]
    fn an_element_over_the_cap_is_named_alike_in_a_string_or_not() {
        for head in [&br#"[{"a":1},{"b":""#[..], &br#"[{"a":1},{"b":"#[..]] {
            let mut r = std::io::BufReader::new(Blanks {
                head,
                n: 4 << 20,
                tail: br#"2}]"#,
            });
            let mut s = Scanner::new("t", &mut r);
            s.max_element = 1 << 20;
            let end = s.events(&mut |_, _, _| Ok(()));
            assert!(
                matches!(&end, Err(StreamError::Syntax(m)) if m == "an element over 1 MiB: not a trace event"),
                "{}",
                String::from_utf8_lossy(head)
            );
        }
    }

    #[test]
    fn object_form_and_truncation() {
        let object = r#"{"metadata":{"x":[1,"]"]},"traceEvents":[{"a":1},{"b":2}],"z":3}"#;
        assert_eq!(
            elements(object, 5),
            (vec![r#"{"a":1}"#.into(), r#"{"b":2}"#.into()], "ok")
        );
        let (got, end) = elements(r#"[{"a":1},{"b":2},{"c":"#, 4);
        assert_eq!((got.len(), end), (2, "eof"));
        let (got, end) = elements("[{\"a\":1},\n", 4);
        assert_eq!((got.len(), end), (1, "eof"));
        let (got, end) = elements(r#"{"other":[]}"#, 4);
        assert_eq!((got.len(), end), (0, "no events"));
        assert_eq!(elements("x", 4).1, "syntax");
    }
}
