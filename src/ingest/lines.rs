//! Reading a line-based input one line at a time, and quoting a piece of it in a message.
//! Shared by the tracing readers and the tokio-console readers.

use crate::error::{Error, Result};
use std::io::BufRead;
use std::time::Instant;

/// The size of a block of lines read at once by [`parse_lines`]: large enough that handing
/// part of it to another thread costs little, small enough that memory stays flat.
const BLOCK: usize = 1 << 21;

/// Reads lines into one reused buffer, counting them.
pub struct Lines<'r> {
    reader: &'r mut dyn BufRead,
    name: &'r str,
    buf: Vec<u8>,
    pub line_no: u64,
    /// Lines holding bytes that are not UTF-8, handed out with U+FFFD in their place, and
    /// the number of the first.
    pub repaired: u64,
    first_repaired: u64,
    /// The input ended in the middle of its compressed data (a gzip cut short): what came
    /// before is read, as from a file cut off.
    cut_short: bool,
    /// What was read but not applied when a reader handed the rest of the input back
    /// ([`Flow::HandBack`]): from the start of that line to the end of its block.
    rest: Vec<u8>,
    /// Bytes read after the last block's last end of line: the start of the next block.
    carry: Vec<u8>,
}

#[cfg(test)]
thread_local! {
    /// Blocks of this many bytes instead of [`BLOCK`] (tests: many blocks from a small input).
    pub(crate) static TEST_BLOCK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl<'r> Lines<'r> {
    pub fn new(name: &'r str, reader: &'r mut dyn BufRead) -> Self {
        Lines {
            reader,
            name,
            buf: Vec::with_capacity(4096),
            line_no: 0,
            repaired: 0,
            first_repaired: 0,
            cut_short: false,
            rest: Vec::new(),
            carry: Vec::new(),
        }
    }

    /// The bytes read from the input but not applied after [`Flow::HandBack`]: they come
    /// before whatever the reader still holds.
    pub fn take_rest(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.rest)
    }

    /// The next line's number, its bytes without the end-of-line, and whether it had one (the
    /// last line of a file cut short has none).
    pub fn next_line(&mut self) -> Result<Option<(u64, &[u8], bool)>> {
        self.buf.clear();
        if self.cut_short {
            return Ok(None);
        }
        match self.reader.read_until(b'\n', &mut self.buf) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            // A gzip cut short: the bytes before the cut are in `buf`, a last line cut off.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                self.cut_short = true;
                if self.buf.is_empty() {
                    return Ok(None);
                }
            }
            Err(source) => {
                return Err(Error::Io {
                    path: self.name.to_string(),
                    source,
                });
            }
        }
        self.line_no += 1;
        let complete = self.buf.last() == Some(&b'\n');
        let mut end = self.buf.len();
        while end > 0 && (self.buf[end - 1] == b'\n' || self.buf[end - 1] == b'\r') {
            end -= 1;
        }
        let line = self.buf.get(..end).unwrap_or(&[]);
        if std::str::from_utf8(line).is_err() {
            // Bytes that are not UTF-8 (a garbled write, another encoding) would make the
            // line unreadable: the rest of it is still worth reading.
            let fixed = String::from_utf8_lossy(line).into_owned();
            self.buf.clear();
            self.buf.extend_from_slice(fixed.as_bytes());
            end = self.buf.len();
            if self.repaired == 0 {
                self.first_repaired = self.line_no;
            }
            self.repaired += 1;
        }
        Ok(Some((
            self.line_no,
            self.buf.get(..end).unwrap_or(&[]),
            complete,
        )))
    }

    /// Reads the next block of whole lines, about [`BLOCK`] bytes (more when one line is longer),
    /// into `out`, and makes it UTF-8 (lines that are not are repaired, as by `next_line`).
    /// Returns the number of the block's first line and whether the block's last line is
    /// complete (has its end of line), or `None` at the end of the input.
    ///
    /// The input is read straight into `out`'s own bytes (a regular file: one copy from the
    /// page cache, not two); what follows the block's last end of line waits in `carry` for
    /// the next block. `out`'s bytes are overwritten in place: only what the block needs beyond
    /// the last block's length is zeroed first.
    fn next_block(&mut self, out: &mut String) -> Result<Option<(u64, bool)>> {
        let want = self.block_size();
        let mut raw = std::mem::take(out).into_bytes();
        let mut filled = self.carry.len();
        if raw.len() < filled + want {
            raw.resize(filled + want, 0);
        }
        raw[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        // The end of the block's last whole line, once one is read.
        let mut end = None;
        let mut at_end = self.cut_short;
        while !at_end {
            if filled == raw.len() {
                // A line longer than the block: room for more of it.
                raw.resize(raw.len() + want, 0);
            }
            match self.reader.read(&mut raw[filled..]) {
                Ok(0) => at_end = true,
                Ok(n) => {
                    let from = filled;
                    filled += n;
                    if filled >= want
                        && let Some(p) = memchr::memrchr(b'\n', &raw[from..filled])
                    {
                        end = Some(from + p + 1);
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // A gzip cut short: the bytes before the cut are in the block.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    self.cut_short = true;
                    at_end = true;
                }
                Err(source) => {
                    return Err(Error::Io {
                        path: self.name.to_string(),
                        source,
                    });
                }
            }
        }
        // At the end of the input the block is what is left, its last line without an end of
        // line when the input has none.
        let end = end.unwrap_or(filled);
        self.carry.extend_from_slice(&raw[end..filled]);
        raw.truncate(end);
        if raw.is_empty() {
            *out = String::from_utf8(raw).unwrap_or_default();
            return Ok(None);
        }
        let first = self.line_no + 1;
        let complete = raw.last() == Some(&b'\n');
        *out = match String::from_utf8(raw) {
            Ok(text) => text,
            Err(e) => {
                // Line by line: only the lines holding bytes that are not UTF-8 are repaired.
                let bytes = e.into_bytes();
                let mut text = String::with_capacity(bytes.len());
                for (no, line) in (first..).zip(bytes.split_inclusive(|c| *c == b'\n')) {
                    match std::str::from_utf8(line) {
                        Ok(ok) => text.push_str(ok),
                        Err(_) => {
                            text.push_str(&String::from_utf8_lossy(line));
                            if self.repaired == 0 {
                                self.first_repaired = no;
                            }
                            self.repaired += 1;
                        }
                    }
                }
                text
            }
        };
        self.line_no +=
            memchr::memchr_iter(b'\n', out.as_bytes()).count() as u64 + u64::from(!complete);
        Ok(Some((first, complete)))
    }

    /// The number of bytes a block is read up to.
    fn block_size(&self) -> usize {
        #[cfg(test)]
        {
            let small = TEST_BLOCK.with(|b| b.get());
            if small > 0 {
                return small;
            }
        }
        BLOCK
    }

    /// The warnings about the input as a whole: lines that held bytes that are not UTF-8, a
    /// compressed input cut short.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.repaired > 0 {
            w.push(format!(
                "{} lines held bytes that are not UTF-8 (the first: line {}); read with U+FFFD in their place",
                self.repaired, self.first_repaired
            ));
        }
        if self.cut_short {
            w.push(format!(
                "the compressed data is cut off (at line {}): the lines before the cut are read",
                self.line_no
            ));
        }
        w
    }
}

/// A short, single-line excerpt of `s` for error messages.
pub fn excerpt(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        format!("'{s}'")
    } else {
        let cut: String = s.chars().take(max).collect();
        format!("'{cut}...'")
    }
}

/// Whether a line reader reads on after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Next,
    Stop,
    /// Stop before this line: it and the lines after it are not applied, and what of them
    /// was read is kept for [`Lines::take_rest`] (a reader that goes on another way from there).
    HandBack,
}

/// The part of a line reader that decodes one line on its own, with no state: it may run on
/// any thread, on lines in any order. What it returns borrows from the line.
pub trait ParseLine: Sync {
    type Parsed<'a>: Send;
    /// Whether decoding on a second thread pays: not when what a line decodes into allocates
    /// so much that freeing it on the applying thread costs glibc's allocator more than the
    /// decoding saved (measured per format: README "Performance").
    const SPLIT: bool = true;
    fn parse<'a>(&self, line: &'a str) -> Self::Parsed<'a>;
}

/// The part of a line reader that takes the decoded lines in order, on the calling thread.
pub trait ApplyLine<P: ParseLine> {
    /// Line `line_no` (without its end of line; `complete` is false for a last line cut
    /// short), as `P` decoded it.
    fn apply<'a>(
        &mut self,
        line_no: u64,
        line: &'a str,
        complete: bool,
        parsed: P::Parsed<'a>,
    ) -> Result<Flow>;
}

/// A block's lines: (line, complete), ends of line removed.
fn block_lines(block: &str, complete: bool) -> impl Iterator<Item = (&str, bool)> {
    // `memchr_iter` rather than `str::split`: its searcher cost a tenth of a console
    // recording's time, lines being short.
    let mut ends = memchr::memchr_iter(b'\n', block.as_bytes());
    let mut start = 0;
    std::iter::from_fn(move || {
        let (end, ended) = match ends.next() {
            Some(end) => (end, true),
            // The last line, without its end of line.
            None if start < block.len() => (block.len(), false),
            None => return None,
        };
        // `\n` is one byte: both ends are on character boundaries.
        let line = block.get(start..end)?;
        start = end + 1;
        Some((line.trim_end_matches('\r'), ended || complete))
    })
}

/// Where to cut `block` so that about `share` of it comes after the cut: the start of a line.
fn cut_at(block: &str, share: f64) -> usize {
    let want = ((block.len() as f64) * (1.0 - share)) as usize;
    match memchr::memchr(b'\n', block.as_bytes().get(want..).unwrap_or(&[])) {
        Some(p) => want + p + 1,
        None => block.len(),
    }
}

/// The lines of `block`, each with what `parser` made of it, into `out`.
fn decode<'a, P: ParseLine>(
    parser: &P,
    block: &'a str,
    complete: bool,
    mut out: Vec<(&'a str, bool, P::Parsed<'a>)>,
) -> Vec<(&'a str, bool, P::Parsed<'a>)> {
    out.extend(
        block_lines(block, complete).map(|(line, complete)| (line, complete, parser.parse(line))),
    );
    out
}

/// An empty vector's allocation, reused for items of the same type with other lifetimes (the
/// standard library collects in place when the sizes agree).
fn recycle<A, B>(mut v: Vec<A>) -> Vec<B> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// Where `line` (a slice of `block`) starts in it.
fn offset_in(block: &str, line: &str) -> usize {
    (line.as_ptr() as usize).saturating_sub(block.as_ptr() as usize)
}

/// Reads every line of `lines`: each block of lines is decoded by `parser`, the back part of
/// it on another thread when `threads` > 1 while this one decodes the front, and `apply` takes
/// every line in order on this thread. What `apply` sees does not depend on `threads`.
pub fn parse_lines<P: ParseLine, A: ApplyLine<P>>(
    lines: &mut Lines<'_>,
    threads: usize,
    parser: &P,
    apply: &mut A,
) -> Result<()> {
    let mut block_buf = String::new();
    // The share of each block decoded by the other thread, adjusted block by block so that
    // neither thread waits long for the other (this thread also applies every line).
    let mut share = 0.5f64;
    // The other thread's output, kept empty between blocks: allocating megabytes per block
    // costs glibc's allocator more than the decoding it saves.
    let mut spare: Vec<(&'static str, bool, P::Parsed<'static>)> = Vec::new();
    while let Some((first, complete)) = lines.next_block(&mut block_buf)? {
        let block: &str = &block_buf;
        let cut = if threads > 1 && P::SPLIT {
            cut_at(block, share)
        } else {
            block.len()
        };
        let (front, back) = block.split_at(cut);
        let back_complete = complete;
        let front_complete = if back.is_empty() { complete } else { true };
        let mut line_no = first;
        let stop = std::thread::scope(|s| -> Result<Option<Option<usize>>> {
            let worker = (!back.is_empty()).then(|| {
                let out = recycle(std::mem::take(&mut spare));
                s.spawn(move || (decode(parser, back, back_complete, out), Instant::now()))
            });
            let mut early = None;
            for (line, complete) in block_lines(front, front_complete) {
                let parsed = parser.parse(line);
                let flow = match apply.apply(line_no, line, complete, parsed) {
                    Ok(flow) => flow,
                    Err(e) => {
                        early = Some(Err(e));
                        break;
                    }
                };
                line_no += 1;
                match flow {
                    Flow::Next => {}
                    Flow::Stop => early = Some(Ok(Some(None))),
                    Flow::HandBack => early = Some(Ok(Some(Some(offset_in(block, line))))),
                }
                if early.is_some() {
                    break;
                }
            }
            if let Some(result) = early {
                // The other thread is joined before leaving: a scope waits for its threads'
                // closures, not for the threads to exit, and LeakSanitizer (fuzz/) saw the
                // thread's own records still held after an early stop.
                if let Some(Err(panic)) = worker.map(|w| w.join()) {
                    std::panic::resume_unwind(panic);
                }
                return result;
            }
            let Some(worker) = worker else {
                return Ok(None);
            };
            let front_done = Instant::now();
            let (mut parsed, back_done) = match worker.join() {
                Ok(done) => done,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            // The other thread finished later: it had too much; earlier: too little.
            share = if back_done > front_done {
                (share - 0.02).max(0.1)
            } else {
                (share + 0.02).min(0.9)
            };
            let mut stop = None;
            for (line, complete, parsed) in parsed.drain(..) {
                let flow = apply.apply(line_no, line, complete, parsed)?;
                line_no += 1;
                match flow {
                    Flow::Next => {}
                    Flow::Stop => stop = Some(None),
                    Flow::HandBack => stop = Some(Some(offset_in(block, line))),
                }
                if stop.is_some() {
                    break;
                }
            }
            spare = recycle(parsed);
            Ok(stop)
        })?;
        if let Some(hand_back) = stop {
            // As if reading had stopped at that line: the lines after it were not read.
            lines.line_no = line_no - 1;
            if let Some(at) = hand_back {
                lines.line_no -= 1;
                let mut rest = block.as_bytes().get(at..).unwrap_or(&[]).to_vec();
                rest.append(&mut lines.carry);
                lines.rest = rest;
            }
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{ApplyLine, Flow, Lines, ParseLine, TEST_BLOCK, block_lines, parse_lines};
    use crate::error::Result;
    use std::io::{BufRead, Read};

    /// A reader that hands out at most `step` bytes per call, as a pipe or a slow disk may.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    impl BufRead for Trickle<'_> {
        fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
            Ok(&self.data[..self.step.min(self.data.len())])
        }
        fn consume(&mut self, n: usize) {
            self.data = &self.data[n..];
        }
    }

    /// Parses a line into its length.
    struct Len;

    impl ParseLine for Len {
        type Parsed<'a> = usize;
        fn parse(&self, line: &str) -> usize {
            line.len()
        }
    }

    /// Keeps every line it is handed; says `flow` at line `at`.
    #[derive(Default)]
    struct Keep {
        got: Vec<(u64, String, bool)>,
        at: u64,
        flow: Option<Flow>,
    }

    impl ApplyLine<Len> for Keep {
        fn apply(&mut self, line_no: u64, line: &str, complete: bool, len: usize) -> Result<Flow> {
            assert_eq!(
                len,
                line.len(),
                "line {line_no} went with another line's parse"
            );
            if line_no == self.at
                && let Some(flow) = self.flow
            {
                return Ok(flow);
            }
            self.got.push((line_no, line.to_string(), complete));
            Ok(Flow::Next)
        }
    }

    /// `input`'s lines as `parse_lines` should hand them over.
    fn expected(input: &str) -> Vec<(u64, String, bool)> {
        let ends = input.ends_with('\n');
        let mut v: Vec<(u64, String, bool)> = input
            .split_terminator('\n')
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l.trim_end_matches('\r').to_string(), true))
            .collect();
        if !ends && let Some(last) = v.last_mut() {
            last.2 = false;
        }
        v
    }

    /// Reads `input` with blocks of `block` bytes, on `threads`, from a reader handing out
    /// `step` bytes at a time; returns the lines seen, the rest handed back, the line count.
    fn read(
        input: &[u8],
        block: usize,
        threads: usize,
        step: usize,
        flow: Option<(u64, Flow)>,
    ) -> (Keep, Vec<u8>, u64, u64) {
        TEST_BLOCK.with(|b| b.set(block));
        let mut reader = Trickle { data: input, step };
        let mut keep = Keep {
            at: flow.map_or(0, |f| f.0),
            flow: flow.map(|f| f.1),
            ..Keep::default()
        };
        let (rest, line_no, repaired) = {
            let mut lines = Lines::new("t", &mut reader);
            parse_lines(&mut lines, threads, &Len, &mut keep).expect("read");
            (lines.take_rest(), lines.line_no, lines.repaired)
        };
        TEST_BLOCK.with(|b| b.set(0));
        // What the reader still holds comes after the rest handed back.
        let mut rest = rest;
        rest.extend_from_slice(reader.data);
        (keep, rest, line_no, repaired)
    }

    /// Every line, in order, with its number, whatever the block size, the threads and the
    /// reads' sizes: blocks that end inside a line, lines longer than a block, `\r\n`, empty
    /// lines, a last line with and without its end of line.
    #[test]
    fn every_line_once_in_order_whatever_the_blocks() {
        let long = "x".repeat(40);
        let inputs = [
            String::new(),
            "a\n".to_string(),
            "a\nbb\r\n\nccc\nlast".to_string(),
            format!("one\n{long}\ntwo\n{long}"),
            format!("{long}\n\n\n{long}\n"),
        ];
        for input in &inputs {
            let want = expected(input);
            for block in [1, 2, 3, 7, 16, 1 << 21] {
                for threads in [1, 2, 3] {
                    for step in [1, 5, 1 << 20] {
                        let (keep, rest, line_no, _) =
                            read(input.as_bytes(), block, threads, step, None);
                        let case = format!("{input:?} block {block} threads {threads} step {step}");
                        assert_eq!(keep.got, want, "{case}");
                        assert!(rest.is_empty(), "{case}");
                        assert_eq!(line_no, want.len() as u64, "{case}");
                    }
                }
            }
        }
    }

    /// A line that hands the input back: the lines before it were applied, and the rest (the
    /// bytes read but not applied, then the reader's) starts at that line, wherever the blocks
    /// ended; a line that stops: the lines after it are not applied.
    #[test]
    fn handing_back_and_stopping_at_every_line() {
        let input = "l1\nline2\r\n\nl4 is longer\nl5\nl6";
        let want = expected(input);
        let starts: Vec<usize> = std::iter::once(0)
            .chain(input.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        for at in 1..=want.len() as u64 {
            for block in [1, 4, 9, 1 << 21] {
                for threads in [1, 2] {
                    for step in [1, 3, 1 << 20] {
                        let case = format!("at {at} block {block} threads {threads} step {step}");
                        let before = &want[..at as usize - 1];
                        let (keep, rest, line_no, _) = read(
                            input.as_bytes(),
                            block,
                            threads,
                            step,
                            Some((at, Flow::HandBack)),
                        );
                        assert_eq!(keep.got, before, "{case}");
                        assert_eq!(rest, &input.as_bytes()[starts[at as usize - 1]..], "{case}");
                        assert_eq!(line_no, at - 1, "{case}");
                        let (keep, _, line_no, _) = read(
                            input.as_bytes(),
                            block,
                            threads,
                            step,
                            Some((at, Flow::Stop)),
                        );
                        assert_eq!(keep.got, before, "{case}");
                        assert_eq!(line_no, at, "{case}");
                    }
                }
            }
        }
    }

    /// Bytes that are not UTF-8 are replaced in their line only, and counted, whatever block
    /// they fall in.
    #[test]
    fn lines_that_are_not_utf8_are_repaired() {
        let input = b"ok\n\xff\xfe bad\nok2\nalso \xc3\n";
        for block in [1, 5, 1 << 21] {
            for threads in [1, 2] {
                let (keep, _, line_no, repaired) = read(input, block, threads, 3, None);
                let lines: Vec<&str> = keep.got.iter().map(|l| l.1.as_str()).collect();
                assert_eq!(
                    lines,
                    ["ok", "\u{fffd}\u{fffd} bad", "ok2", "also \u{fffd}"],
                    "block {block} threads {threads}"
                );
                assert_eq!(
                    (line_no, repaired),
                    (4, 2),
                    "block {block} threads {threads}"
                );
            }
        }
    }

    fn lines(block: &str, complete: bool) -> Vec<(&str, bool)> {
        block_lines(block, complete).collect()
    }

    #[test]
    fn a_blocks_lines_with_and_without_their_end() {
        assert_eq!(lines("", true), vec![]);
        assert_eq!(lines("a\n", true), vec![("a", true)]);
        assert_eq!(
            lines("a\r\n\nb\r\n", true),
            vec![("a", true), ("", true), ("b", true)]
        );
        // A last line without its end of line: complete only when the block says so.
        assert_eq!(lines("a\nb", false), vec![("a", true), ("b", false)]);
        assert_eq!(lines("a\nb", true), vec![("a", true), ("b", true)]);
        assert_eq!(lines("\n", false), vec![("", true)]);
        assert_eq!(lines("é\nü", false), vec![("é", true), ("ü", false)]);
    }
}
