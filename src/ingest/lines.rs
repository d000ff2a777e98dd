//! Reading a line-based input one line at a time, and quoting a piece of it in a message.
//! Shared by the tracing readers and the tokio-console readers.

use crate::error::{Error, Result};
use std::io::BufRead;

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
        }
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
