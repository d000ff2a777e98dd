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
}

impl<'r> Lines<'r> {
    pub fn new(name: &'r str, reader: &'r mut dyn BufRead) -> Self {
        Lines {
            reader,
            name,
            buf: Vec::with_capacity(4096),
            line_no: 0,
        }
    }

    /// The next line's number, its bytes without the end-of-line, and whether it had one (the
    /// last line of a file cut short has none).
    pub fn next_line(&mut self) -> Result<Option<(u64, &[u8], bool)>> {
        self.buf.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut self.buf)
            .map_err(|source| Error::Io {
                path: self.name.to_string(),
                source,
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        let complete = self.buf.last() == Some(&b'\n');
        let mut end = self.buf.len();
        while end > 0 && (self.buf[end - 1] == b'\n' || self.buf[end - 1] == b'\r') {
            end -= 1;
        }
        Ok(Some((self.line_no, &self.buf[..end], complete)))
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
