//! A small cursor over the bytes of one JSON line, for the fast paths of the JSON-lines
//! readers (`otel/otlp/fast.rs`, `tracing/json/fast.rs`). Each reads a line straight into the
//! structs serde would make of it, for the shapes writers actually produce; every method
//! returns `None` for "not read here" (an escape in a string, `null`, a number with an
//! exponent, a syntax error, ...), and the line then goes through serde_json, which makes the
//! same structs or reports the error in its own words. So a fast path changes no result and
//! no message; each one's tests hold it to serde on every sample line and on damaged ones.

/// How deep the fast path follows nested values (serde_json's own limit is 128: deeper than
/// this, serde decides).
const MAX_DEPTH: u32 = 32;

/// A cursor over one line's bytes. Every method returns `None` for "not read here".
pub(crate) struct Cur<'a> {
    pub(crate) s: &'a str,
    pub(crate) b: &'a [u8],
    pub(crate) i: usize,
    depth: u32,
}

impl<'a> Cur<'a> {
    pub(crate) fn new(line: &'a str) -> Self {
        Cur {
            s: line,
            b: line.as_bytes(),
            i: 0,
            depth: 0,
        }
    }

    /// Only white space is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.ws();
        self.i == self.b.len()
    }

    pub(crate) fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    /// The next byte that is not white space (not consumed).
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    pub(crate) fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A string without escapes or control characters, borrowed.
    pub(crate) fn string(&mut self) -> Option<&'a str> {
        if self.b.get(self.i) != Some(&b'"') && self.peek()? != b'"' {
            return None;
        }
        self.i += 1;
        self.string_rest()
    }

    /// The rest of a string whose opening quote was read: its text up to the closing quote,
    /// which is read too.
    pub(crate) fn string_rest(&mut self) -> Option<&'a str> {
        let start = self.i;
        self.pass_string_rest()?;
        // Both ends are next to ASCII quotes: on character boundaries.
        self.s.get(start..self.i - 1)
    }

    /// Whether `lit` comes next, byte for byte (no white space first); read when it does. For
    /// the fixed shapes writers produce (`{"key":"`), matched at once instead of key by key.
    #[inline(always)]
    pub(crate) fn tag<const N: usize>(&mut self, lit: &[u8; N]) -> bool {
        match self.b.get(self.i..).and_then(|b| b.first_chunk::<N>()) {
            Some(x) if x == lit => {
                self.i += N;
                true
            }
            _ => false,
        }
    }

    /// A number in JSON's grammar: its text and whether it is an integer (no fraction, no
    /// exponent).
    pub(crate) fn number(&mut self) -> Option<(&'a str, bool)> {
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
        // An exponent, or so many digits that serde's float could overflow (its error): serde's.
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) || self.i - start > 40 {
            return None;
        }
        Some((self.s.get(start..self.i)?, integer))
    }

    /// A non-negative integer of at most 19 digits (so it fits), read in one pass. `None`,
    /// with the cursor anywhere, for anything else: no digit, a leading zero, more digits, a
    /// fraction or an exponent (callers that read those go back and take [`Cur::number`]).
    #[inline]
    pub(crate) fn uint(&mut self) -> Option<u64> {
        if !self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.ws();
        }
        // The place in a local, not in `self`, through the loops.
        let b = self.b;
        let start = self.i;
        let mut i = start;
        let mut v: u64 = 0;
        // Eight digits at a time while there are eight (a time's seconds, an id).
        while let Some(chunk) = b.get(i..).and_then(|b| b.first_chunk::<8>()) {
            let Some(eight) = eight_digits(u64::from_le_bytes(*chunk)) else {
                break;
            };
            v = v.wrapping_mul(100_000_000).wrapping_add(eight);
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            let d = c.wrapping_sub(b'0');
            if d >= 10 {
                break;
            }
            // At most 19 digits are kept (checked below): 10^19 - 1 fits a `u64`.
            v = v.wrapping_mul(10).wrapping_add(u64::from(d));
            i += 1;
        }
        self.i = i;
        let n = i - start;
        if n == 0 || n > 19 || (n > 1 && b.get(start) == Some(&b'0')) {
            return None;
        }
        if matches!(b.get(i), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        Some(v)
    }

    /// Where the cursor is, for [`Cur::back`]: a fixed shape tried first, and the general
    /// reading from the same place when it is not that shape.
    pub(crate) fn mark(&mut self) -> Mark {
        self.ws();
        Mark(self.i, self.depth)
    }

    pub(crate) fn back(&mut self, m: Mark) {
        (self.i, self.depth) = (m.0, m.1);
    }

    /// The rest of a string whose opening quote was read, checked and passed over (no text:
    /// no character-boundary check).
    pub(crate) fn pass_string_rest(&mut self) -> Option<()> {
        let rest = self.b.get(self.i..)?;
        let len = string_end(rest);
        // An escape, a control character serde refuses, or no end: serde's to read or refuse.
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        self.i += len + 1;
        Some(())
    }

    /// A non-negative integer written in at most 19 digits (it fits a `u64`, and its text is
    /// what formatting the number gives back: JSON has no leading zeros).
    pub(crate) fn small_uint(&mut self) -> Option<&'a str> {
        match self.number()? {
            (t, true) if !t.starts_with('-') && t.len() <= 19 => Some(t),
            _ => None,
        }
    }

    pub(crate) fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.ws();
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// An object: `f` reads each member's value after its key.
    pub(crate) fn object(
        &mut self,
        mut f: impl FnMut(&mut Self, &'a str) -> Option<()>,
    ) -> Option<()> {
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
    pub(crate) fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
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
    pub(crate) fn array_of<T>(
        &mut self,
        read: fn(&mut Self) -> Option<T>,
        room: usize,
    ) -> Option<Vec<T>> {
        let mut out = Vec::with_capacity(room);
        self.array(|c| {
            out.push(read(c)?);
            Some(())
        })?;
        Some(out)
    }

    /// Any value, checked and passed over, as its text.
    pub(crate) fn raw(&mut self) -> Option<&'a str> {
        self.ws();
        let start = self.i;
        self.skip()?;
        self.s.get(start..self.i)
    }

    /// Any value, checked and passed over (a string with an escape, `null`, a number with an
    /// exponent: not here).
    pub(crate) fn skip(&mut self) -> Option<()> {
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
}

/// The number eight ASCII digits write (the first in the lowest byte), or `None` when one of
/// the bytes is no digit.
fn eight_digits(x: u64) -> Option<u64> {
    const HIGH_NIBBLES: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    // A digit is 0x30..=0x39: its high nibble is 3, and adding 6 leaves it 3. A byte above
    // 0xf9 carries into the next one, but its own high nibble already fails the first test.
    if x & HIGH_NIBBLES != ZEROS || x.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES != ZEROS {
        return None;
    }
    let x = x - ZEROS;
    // Pairs, then fours, then the eight, each step a multiply of neighbouring lanes.
    let x = (x * 10 + (x >> 8)) & 0x00ff_00ff_00ff_00ff;
    let x = (x * 100 + (x >> 16)) & 0x0000_ffff_0000_ffff;
    Some((x * 10_000 + (x >> 32)) & 0xffff_ffff)
}

/// A place in the line and the depth there ([`Cur::mark`]).
#[derive(Clone, Copy)]
pub(crate) struct Mark(usize, u32);

/// Where the string that `b` starts in ends: the first `"`, `\\` or control character (or the
/// end of `b`). Eight bytes at a time: a string here is mostly short, and `memchr2` was slower
/// on short strings than this.
pub(crate) fn string_end(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let (chunks, tail) = b.as_chunks::<8>();
    for (n, chunk) in chunks.iter().enumerate() {
        let x = u64::from_le_bytes(*chunk);
        // A byte of `x` that is zero after the xor, or below 0x20, sets its high bit here; a
        // borrow can only set bits above the first such byte, so the lowest one is exact.
        let q = x ^ (ONES * u64::from(b'"'));
        let e = x ^ (ONES * u64::from(b'\\'));
        let found = (q.wrapping_sub(ONES) & !q)
            | (e.wrapping_sub(ONES) & !e)
            | (x.wrapping_sub(ONES * 0x20) & !x);
        if found & HIGH != 0 {
            return n * 8 + (found & HIGH).trailing_zeros() as usize / 8;
        }
    }
    let done = b.len() - tail.len();
    done + tail
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(tail.len())
}

/// Reads a member once: a second one is a duplicate field, which serde refuses.
pub(crate) fn once<T>(slot: &mut Option<T>, value: Option<T>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value?);
    Some(())
}

/// The members of an object read so far, one bit each.
pub(crate) struct Seen(pub(crate) u32);

impl Seen {
    /// `value`, when member `bit` was not seen before.
    pub(crate) fn first<T>(&mut self, bit: u32, value: Option<T>) -> Option<T> {
        if self.0 & (1 << bit) != 0 {
            return None;
        }
        self.0 |= 1 << bit;
        value
    }
}

/// Whether `fast` answers `line`, after checking that serde reads it into the same value (a
/// test failure where it does not, or where serde refuses a line the fast path read).
#[cfg(test)]
pub(crate) fn agrees_with_serde<'a, T>(line: &'a str, fast: impl Fn(&'a str) -> Option<T>) -> bool
where
    T: serde::Deserialize<'a> + PartialEq + std::fmt::Debug,
{
    let Some(fast) = fast(line) else {
        return false;
    };
    match serde_json::from_str::<T>(line) {
        Ok(slow) => assert_eq!(fast, slow, "the fast path and serde differ on {line}"),
        Err(e) => panic!("the fast path read a line serde refuses ({e}): {line}"),
    }
    true
}

/// Of `lines`: how many `fast` answers (each checked against serde by
/// [`agrees_with_serde`]), and the lines serde reads.
#[cfg(test)]
pub(crate) fn serde_coverage<'a, T>(
    lines: &'a [String],
    fast: impl Fn(&'a str) -> Option<T> + Copy,
) -> (usize, Vec<&'a str>)
where
    T: serde::Deserialize<'a> + PartialEq + std::fmt::Debug,
{
    let answered = lines
        .iter()
        .filter(|l| agrees_with_serde(l.as_str(), fast))
        .count();
    let readable = lines
        .iter()
        .map(String::as_str)
        .filter(|l| serde_json::from_str::<T>(l).is_ok())
        .collect();
    (answered, readable)
}

/// A file of the repository (gunzipped when its name ends in `.gz`), for the fast paths'
/// tests.
#[cfg(test)]
pub(crate) fn repo_text(path: &str) -> String {
    use std::io::Read;
    let raw = std::fs::read(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).expect("test input");
    if path.ends_with(".gz") {
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .expect("gzip test input");
        s
    } else {
        String::from_utf8(raw).expect("UTF-8 test input")
    }
}

/// Damaged copies of `line` for the fast paths' differential tests: cut, with a byte removed,
/// replaced with one of JSON's own or with one inserted, at every `step`th place (copies that
/// are not UTF-8 left out).
#[cfg(test)]
pub(crate) fn damaged(line: &str, step: usize) -> impl Iterator<Item = String> + '_ {
    let b = line.as_bytes();
    (0..b.len()).step_by(step.max(1)).flat_map(move |at| {
        (0..4u8).filter_map(move |edit| {
            let mut d = b.to_vec();
            match edit {
                0 => d.truncate(at),
                1 => {
                    d.remove(at);
                }
                2 => d[at] = b"{}[],:\"0-e. n"[at % 13],
                _ => d.insert(at, b"\\\"{,]1"[at % 6]),
            }
            String::from_utf8(d).ok()
        })
    })
}

#[cfg(test)]
mod tests;
