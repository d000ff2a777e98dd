//! Pretty-printed span documents (one OTLP `ExportTraceServiceRequest`, a Jaeger
//! `{"data": [...]}`, a Zipkin list, over many lines) read as a stream: a small scanner walks
//! the document over the reader, tracking strings and nesting, descends to the span arrays and
//! hands each span object's text to the format's per-span decoding (the same one the JSON
//! lines read). Only the span being decoded, the spans waiting for their context (see below)
//! and a buffer of about 1 MiB are in memory, never the document.
//!
//! A span's context may come after it in the document: OTLP's `resource` (`service.name`,
//! `process.pid`) after `scopeSpans`, a `scope` after its `spans`, Jaeger's `processes` after
//! `spans` (the usual order). Such spans are held, as text, until it is known: at most the spans
//! of one `resourceSpans` element (OTLP) or one trace object (Jaeger), then decoded in their
//! order. A Zipkin span carries its own context: none are held.
//!
//! Every newline of the input is counted once (`line_at`), so a span's warnings name its own
//! line. A span that cannot be decoded is skipped and counted; a document cut off is read up to
//! its last whole span; a document that is not the format's, first in the input, is the error.

use super::describe_keys;
use crate::error::{Error, Result};
use crate::ingest::InputStats;
use std::collections::BTreeSet;
use std::io::BufRead;

/// The largest span object (or resource, scope, process map) held: far above any real one,
/// far below the memory a hostile input would take. A larger span is skipped, counted.
pub const MAX_VALUE: usize = 64 << 20;

/// Why the walk of a document stopped before its end.
#[derive(Debug)]
pub enum Stop {
    Io(Error),
    /// Bad JSON: what was expected, where.
    Syntax {
        msg: String,
        line: u64,
        column: u64,
    },
    /// The input ended inside the document, reading `what` ("an object", "a list", ...).
    Eof {
        what: &'static str,
        line: u64,
        column: u64,
    },
    /// The document is not the format's (what it is instead); it was read to its end.
    NotFormat(String),
    /// A value over [`MAX_VALUE`] where it cannot be skipped (a key), starting at `line`.
    TooBig {
        line: u64,
    },
}

pub type Step<T> = std::result::Result<T, Stop>;

/// The scanner: a window of the input, positions in it, and the lines counted so far.
pub struct Scan<'i> {
    input: &'i mut dyn BufRead,
    name: &'i str,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    /// Bytes dropped from the front of `buf`.
    consumed: u64,
    /// Newlines are counted in `buf` up to `counted`: `line` is the line there, starting at
    /// input offset `line_start`.
    counted: usize,
    line: u64,
    line_start: u64,
    /// Open brackets of the value being scanned (for the message at a cut).
    brackets: Vec<u8>,
    max_value: usize,
    /// Span objects handed out so far, decoded or not.
    pub spans: u64,
}

impl<'i> Scan<'i> {
    /// A scanner over `input`, whose first byte is on line `first_line`.
    pub fn new(name: &'i str, input: &'i mut dyn BufRead, first_line: u64) -> Self {
        Scan {
            input,
            name,
            buf: Vec::with_capacity(1 << 16),
            pos: 0,
            eof: false,
            consumed: 0,
            counted: 0,
            line: first_line.max(1),
            line_start: 0,
            brackets: Vec::new(),
            max_value: MAX_VALUE,
            spans: 0,
        }
    }

    /// Makes at least one more byte available; false at the end of input.
    fn fill(&mut self) -> Step<bool> {
        if self.eof {
            return Ok(false);
        }
        let more = crate::ingest::source::append_more(self.input, &mut self.buf, self.name)
            .map_err(Stop::Io)?;
        self.eof = !more;
        Ok(more)
    }

    /// Counts the newlines before `buf[i]` (`i` never goes back).
    fn count_to(&mut self, i: usize) {
        let i = i.min(self.buf.len());
        if i <= self.counted {
            return;
        }
        let part = &self.buf[self.counted..i];
        let mut last = None;
        for p in memchr::memchr_iter(b'\n', part) {
            self.line += 1;
            last = Some(p);
        }
        if let Some(p) = last {
            self.line_start = self.consumed + (self.counted + p + 1) as u64;
        }
        self.counted = i;
    }

    /// Line and column (1-based) of `buf[i]`.
    fn line_at(&mut self, i: usize) -> (u64, u64) {
        self.count_to(i);
        let column = (self.consumed + i as u64).saturating_sub(self.line_start) + 1;
        (self.line, column)
    }

    /// Line and column of the next unread byte.
    pub fn here(&mut self) -> (u64, u64) {
        self.line_at(self.pos)
    }

    /// Drops the first `n` bytes of `buf` (read and counted).
    fn drop_front(&mut self, n: usize) {
        self.count_to(n);
        self.buf.drain(..n);
        self.consumed += n as u64;
        self.counted -= n;
        self.pos -= n;
    }

    /// Drops what was already read when it is most of the buffer. Only between values.
    fn compact(&mut self) {
        if self.pos > (1 << 20) && self.pos * 2 > self.buf.len() {
            self.drop_front(self.pos);
        }
    }

    fn syntax(&mut self, msg: String) -> Stop {
        let (line, column) = self.here();
        Stop::Syntax { msg, line, column }
    }

    /// The end of input, reading `what`: where it is.
    fn eof(&mut self, what: &'static str) -> Stop {
        let (line, column) = self.line_at(self.buf.len());
        Stop::Eof {
            what,
            line,
            column: column.saturating_sub(1).max(1),
        }
    }

    /// The next byte that is not blank, not consumed; `None` at the end of input. Blanks are
    /// dropped as they are read (a run of them is never buffered).
    pub fn skip_ws(&mut self) -> Step<Option<u8>> {
        loop {
            let rest = self.buf.get(self.pos..).unwrap_or(&[]);
            match rest.iter().position(|c| !c.is_ascii_whitespace()) {
                Some(p) => {
                    self.pos += p;
                    return Ok(Some(self.buf[self.pos]));
                }
                None => {
                    self.pos = self.buf.len();
                    if self.buf.len() > (1 << 16) {
                        self.drop_front(self.pos);
                    }
                    if !self.fill()? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Just past the closing quote of the string whose contents start at `i`; with `keep`
    /// false, what was scanned may be dropped on the way (`pos` then follows `i`).
    fn string_end(&mut self, mut i: usize, keep: bool) -> Step<usize> {
        loop {
            let rest = self.buf.get(i..).unwrap_or(&[]);
            match memchr::memchr2(b'"', b'\\', rest) {
                Some(p) if rest[p] == b'\\' => {
                    i += p + 2;
                    while i > self.buf.len() {
                        if !self.fill()? {
                            return Err(self.eof("a string"));
                        }
                    }
                }
                Some(p) => return Ok(i + p + 1),
                None => {
                    i = self.buf.len();
                    if keep && i - self.pos > self.max_value {
                        return Err(Stop::TooBig {
                            line: self.here().0,
                        });
                    }
                    if !keep && i > (1 << 20) {
                        self.pos = i;
                        self.drop_front(i);
                        i = 0;
                    }
                    if !self.fill()? {
                        return Err(self.eof("a string"));
                    }
                }
            }
        }
    }

    /// The end (exclusive) of the JSON value at `pos`, reading more as needed. With `keep`,
    /// a value over `max_value` is [`Stop::TooBig`]; without, what was scanned is dropped as
    /// it goes and the value is not kept.
    fn value_end(&mut self, keep: bool) -> Step<usize> {
        let mut i = self.pos;
        self.brackets.clear();
        loop {
            while i >= self.buf.len() {
                if keep && i - self.pos > self.max_value {
                    return Err(Stop::TooBig {
                        line: self.here().0,
                    });
                }
                if !keep && i > (1 << 20) {
                    self.pos = i;
                    self.drop_front(i);
                    i = 0;
                }
                if !self.fill()? {
                    let what = match self.brackets.last() {
                        Some(b'{') => "an object",
                        Some(_) => "a list",
                        None => "a value",
                    };
                    return Err(self.eof(what));
                }
            }
            let c = self.buf[i];
            i += 1;
            match c {
                b'"' => {
                    // Without `keep`, the front may be dropped on the way: `pos` follows.
                    i = self.string_end(i, keep)?;
                    if self.brackets.is_empty() {
                        return Ok(i);
                    }
                }
                b'{' | b'[' => self.brackets.push(c),
                b'}' | b']' => {
                    if self.brackets.pop().is_none() {
                        return Ok(i - 1);
                    }
                    if self.brackets.is_empty() {
                        return Ok(i);
                    }
                }
                b',' if self.brackets.is_empty() => return Ok(i - 1),
                c if self.brackets.is_empty() && c.is_ascii_whitespace() => return Ok(i - 1),
                _ => {}
            }
        }
    }

    /// Skips the value at `pos` without keeping it.
    pub fn skip_value(&mut self) -> Step<()> {
        let end = self.value_end(false)?;
        self.pos = end;
        Ok(())
    }

    /// The value at `pos`: its bytes, line and column, handed to `f`; `None` (and skipped)
    /// when it is over [`MAX_VALUE`].
    pub fn value<T>(&mut self, f: impl FnOnce(&[u8], u64, u64) -> T) -> Step<Option<T>> {
        self.compact();
        let start = self.pos;
        match self.value_end(true) {
            Ok(end) => {
                let (line, column) = self.line_at(start);
                let out = f(self.buf.get(start..end).unwrap_or(&[]), line, column);
                self.pos = end;
                Ok(Some(out))
            }
            Err(Stop::TooBig { .. }) => {
                self.skip_value()?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// A span object at `pos`, handed to `f`; `Err(line)` (and skipped) when it is over
    /// [`MAX_VALUE`].
    pub fn span<T>(
        &mut self,
        f: impl FnOnce(&[u8], u64, u64) -> T,
    ) -> Step<std::result::Result<T, u64>> {
        self.spans += 1;
        let (line, _) = self.here();
        Ok(self.value(f)?.ok_or(line))
    }

    /// At the start of an object (`{`, consumed) or a list: true; anything else: false, not
    /// consumed.
    pub fn open(&mut self, c: u8) -> Step<bool> {
        if self.skip_ws()? == Some(c) {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// The next key of an object whose `{` was read (`first`: none read yet), with its `:`
    /// consumed; `None` after its `}`. Keys that are not UTF-8 come with U+FFFD.
    pub fn key(&mut self, first: &mut bool) -> Step<Option<String>> {
        let mut c = self.skip_ws()?;
        if c == Some(b'}') {
            self.pos += 1;
            return Ok(None);
        }
        if !*first {
            if c != Some(b',') {
                return Err(self.expected(c, "`,` or `}`", "an object"));
            }
            self.pos += 1;
            c = self.skip_ws()?;
        }
        if c != Some(b'"') {
            return Err(self.expected(c, "a key", "an object"));
        }
        *first = false;
        let end = self.string_end(self.pos + 1, true)?;
        let raw = String::from_utf8_lossy(self.buf.get(self.pos..end).unwrap_or(&[]));
        let key = serde_json::from_str::<String>(&raw)
            .unwrap_or_else(|_| raw.trim_matches('"').to_string());
        self.pos = end;
        let c = self.skip_ws()?;
        if c != Some(b':') {
            return Err(self.expected(c, "`:`", "an object"));
        }
        self.pos += 1;
        if self.skip_ws()?.is_none() {
            return Err(self.eof("a value"));
        }
        Ok(Some(key))
    }

    /// Whether a list whose `[` was read has another element (then at `pos`); false after its
    /// `]`. A comma before the `]` (a writer's trailing comma) is let go.
    pub fn element(&mut self, first: &mut bool) -> Step<bool> {
        let mut c = self.skip_ws()?;
        if c == Some(b']') {
            self.pos += 1;
            return Ok(false);
        }
        if !*first {
            if c != Some(b',') {
                return Err(self.expected(c, "`,` or `]`", "a list"));
            }
            self.pos += 1;
            c = self.skip_ws()?;
            if c == Some(b']') {
                self.pos += 1;
                return Ok(false);
            }
        }
        *first = false;
        match c {
            None => Err(self.eof("a list")),
            Some(_) => Ok(true),
        }
    }

    fn expected(&mut self, found: Option<u8>, want: &str, inside: &'static str) -> Stop {
        match found {
            None => self.eof(inside),
            Some(c) => self.syntax(format!("expected {want}, found '{}'", c.escape_ascii())),
        }
    }
}

/// What a document that is not an object is, for "not the format" messages.
pub fn describe_value(c: Option<u8>) -> &'static str {
    match c {
        Some(b'[') => "a JSON array",
        _ => "not a JSON object",
    }
}

/// Describes an object by its keys (as [`super::describe`] does a whole document).
pub fn describe_object(keys: &BTreeSet<String>) -> String {
    describe_keys(keys.iter().map(String::as_str), keys.len())
}

/// Spans that could not be decoded (skipped, counted) and spans whose text was not UTF-8
/// (repaired), warned about once at the end.
#[derive(Debug, Default)]
pub struct SpanErrors {
    bad: u64,
    first_bad: Option<(u64, String)>,
    repaired: u64,
    first_repaired: u64,
}

impl SpanErrors {
    /// A span over [`MAX_VALUE`] at `line`, skipped.
    pub fn too_big(&mut self, line: u64, stats: &mut InputStats) {
        stats.skipped += 1;
        self.bad(line, format!("a span over {} MiB", MAX_VALUE >> 20));
    }

    fn bad(&mut self, line: u64, msg: String) {
        self.bad += 1;
        if self.first_bad.is_none() {
            self.first_bad = Some((line, msg));
        }
    }

    /// Decodes one span's text (starting at `line`, `column`) with `decode`; one that is not
    /// UTF-8 is repaired first, one that does not decode is skipped and counted.
    pub fn decode(
        &mut self,
        text: &[u8],
        line: u64,
        column: u64,
        stats: &mut InputStats,
        decode: &mut dyn FnMut(&str, u64, &mut InputStats) -> serde_json::Result<()>,
    ) {
        let repaired;
        let text = match std::str::from_utf8(text) {
            Ok(t) => t,
            Err(_) => {
                if self.repaired == 0 {
                    self.first_repaired = line;
                }
                self.repaired += 1;
                repaired = String::from_utf8_lossy(text).into_owned();
                &repaired
            }
        };
        if let Err(e) = decode(text, line, stats) {
            stats.skipped += 1;
            let at = line + e.line().saturating_sub(1) as u64;
            let col = if e.line() <= 1 {
                column + e.column().saturating_sub(1) as u64
            } else {
                e.column() as u64
            };
            let text = e.to_string();
            let msg = match text.rsplit_once(" at line ") {
                Some((m, _)) => format!("{m} (column {col})"),
                None => text,
            };
            self.bad(at, msg);
        }
    }

    /// The warnings, once, at the end.
    pub fn warn(&self, stats: &mut InputStats) {
        if let Some((line, msg)) = &self.first_bad {
            stats.warn(match self.bad {
                1 => format!("line {line}: 1 span that could not be read skipped: {msg}"),
                n => format!(
                    "{n} spans that could not be read skipped (the first at line {line}: {msg})"
                ),
            });
        }
        if self.repaired > 0 {
            stats.warn(format!(
                "{} span{} held bytes that are not UTF-8 (the first: line {}); read with U+FFFD in their place",
                self.repaired,
                if self.repaired == 1 { "" } else { "s" },
                self.first_repaired
            ));
        }
    }
}

/// A format's walk of one document.
pub trait Walk {
    /// Reads one document from its first byte (at `pos`), decoding spans as they come.
    fn document(&mut self, scan: &mut Scan<'_>, stats: &mut InputStats) -> Step<()>;
    /// After a document, whole or not: spans still held go in without the context that did
    /// not come.
    fn flush(&mut self, stats: &mut InputStats);
    /// At the end of the input: the warnings about spans.
    fn finish(&mut self, stats: &mut InputStats);
}

/// Reads the documents of the input from line `first_line` on: `rest` (read already), then
/// `reader`. A document cut off ends the reading with a warning; one that is not the format's,
/// or cut off before any span, is the error when it is the first.
pub fn read(
    name: &str,
    first_line: u64,
    rest: Vec<u8>,
    reader: &mut dyn BufRead,
    stats: &mut InputStats,
    walk: &mut dyn Walk,
) -> Result<()> {
    let mut input = std::io::Read::chain(std::io::Cursor::new(rest), reader);
    let mut scan = Scan::new(name, &mut input, first_line);
    let mut docs = 0u64;
    loop {
        let (line, c) = match scan.skip_ws() {
            Ok(None) => break,
            Ok(Some(c)) => (scan.here().0, c),
            Err(Stop::Io(e)) => return Err(e),
            Err(_) => break,
        };
        // A document is an object or a list (anything else would not be consumed).
        let result = if c == b'{' || c == b'[' {
            walk.document(&mut scan, stats)
        } else {
            Err(scan.syntax(format!(
                "expected `{{` or `[` at the start of a document, found '{}'",
                c.escape_ascii()
            )))
        };
        walk.flush(stats);
        let (msg, at) = match result {
            Ok(()) => {
                docs += 1;
                continue;
            }
            Err(Stop::Io(e)) => return Err(e),
            Err(Stop::NotFormat(msg)) => {
                if docs == 0 {
                    return Err(Error::line(name, line, msg));
                }
                stats.skipped += 1;
                stats.warn(format!("line {line}: skipped: {msg}"));
                docs += 1;
                continue;
            }
            Err(Stop::Eof { what, line, column }) => {
                let msg = format!("EOF while parsing {what} (column {column})");
                if docs > 0 || scan.spans > 0 {
                    stats.warn(format!(
                        "line {line}: the input ends in a document cut off ({msg}); read up to it"
                    ));
                    break;
                }
                (msg, line)
            }
            Err(Stop::Syntax { msg, line, column }) => (format!("{msg} (column {column})"), line),
            Err(Stop::TooBig { line }) => (
                format!("a value over {} MiB: not a span document", MAX_VALUE >> 20),
                line,
            ),
        };
        if docs == 0 && scan.spans == 0 {
            return Err(Error::line(name, at, msg));
        }
        stats.warn(format!("line {at}: {msg}; the input is read up to there"));
        break;
    }
    walk.finish(stats);
    Ok(())
}

#[cfg(test)]
mod tests;
