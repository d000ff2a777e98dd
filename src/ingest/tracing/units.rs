//! What the tracing readers parse inside a line: timestamps, `time.busy`/`time.idle` durations,
//! and ANSI colour codes to strip.

use crate::model::Ns;
use std::borrow::Cow;

/// Removes ANSI escape sequences (`ESC [ ... letter`, and two-byte `ESC x`).
pub fn strip_ansi(s: &str) -> Cow<'_, str> {
    if !s.contains('\x1b') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                // CSI: parameters and intermediates, then one final byte in @..~
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(_) => {
                chars.next();
            }
            None => {}
        }
    }
    Cow::Owned(out)
}

/// Parses a tracing `time.busy`/`time.idle` value: `95.4µs`, `50.2ms`, `1.23s`, `812ns`, `3.1us`.
///
/// Not shared with `config::parse_duration` (`--stall 10ms`), on purpose: that one reads what a
/// person types (a bare number is ms, `min` is a unit, a space may precede the unit, errors say
/// what is wrong), this one what tracing-subscriber prints (a unit is required, `None` on
/// anything else); they also differ at the upper bound (2^63 ns is accepted there, not here).
pub fn parse_busy_idle(s: &str) -> Option<Ns> {
    let s = s.trim().trim_matches('"');
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = s.split_at(split);
    let v: f64 = num.parse().ok()?;
    let scale = match unit {
        "ns" => 1.0,
        "µs" | "μs" | "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    let ns = v * scale;
    (ns.is_finite() && ns >= 0.0 && ns < i64::MAX as f64).then(|| ns.round() as Ns)
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A timestamp as tracing-subscriber's timers print it, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    /// RFC 3339 wall-clock time: Unix nanoseconds.
    Unix(Ns),
    /// `Uptime` timer: nanoseconds since the subscriber started.
    Uptime(Ns),
    /// A local wall-clock time without a year (`Mar 04 20:18:44.853`, tracing-subscriber 0.2's
    /// default timer): nanoseconds since Jan 1 00:00 of an unknown year, zone unknown.
    MonthDay(Ns),
    /// A time of day only (`10:39:09.010480`): nanoseconds since an unknown midnight.
    TimeOfDay(Ns),
}

impl Timestamp {
    pub fn ns(self) -> Ns {
        match self {
            Timestamp::Unix(n)
            | Timestamp::Uptime(n)
            | Timestamp::MonthDay(n)
            | Timestamp::TimeOfDay(n) => n,
        }
    }
}

pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The decimal number in `s[r]`, when every byte of it is a digit (and there is one).
fn digits(s: &str, r: std::ops::Range<usize>) -> Option<i64> {
    let part = s.as_bytes().get(r.clone())?;
    // Summed byte by byte (`str::parse` cost five times as much on a timestamp's fields): up
    // to 18 digits cannot overflow. A range that cuts a character holds a byte that is no
    // digit; an empty one is no number.
    if part.is_empty() || part.len() > 18 {
        let part = s.get(r)?;
        return part
            .bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?;
    }
    part.iter().try_fold(0i64, |v, &c| {
        c.is_ascii_digit().then(|| v * 10 + i64::from(c - b'0'))
    })
}

/// `HH:MM:SS[.fraction]` as nanoseconds since midnight.
fn parse_time_of_day(s: &str) -> Option<Ns> {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits(s, r);
    let (h, mi, sec) = (num(0..2)?, num(3..5)?, num(6..8)?);
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let frac = match &s[8..] {
        "" => 0,
        r => frac_ns(r.strip_prefix('.')?)?,
    };
    Some((h * 3600 + mi * 60 + sec) * 1_000_000_000 + frac)
}

/// `Mar 04 20:18:44.853` (chrono's `%b %d %H:%M:%S%.3f`, tracing-subscriber 0.2's default).
fn parse_month_day(s: &str) -> Option<Ns> {
    let mut words = s.split_whitespace();
    let month = words.next()?;
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    let day: i64 = words.next()?.parse().ok()?;
    let tod = parse_time_of_day(words.next()?)?;
    if words.next().is_some() || !(1..=31).contains(&day) {
        return None;
    }
    // A leap year, so that Feb 29 has a place; only the order matters.
    let days = days_from_civil(2000, month, day) - days_from_civil(2000, 1, 1);
    Some(days * 86_400 * 1_000_000_000 + tod)
}

/// Parses a timestamp as tracing-subscriber's timers print it: RFC 3339
/// (`2026-11-24T00:17:06.724099Z`, `...+02:00`, a space instead of `T`, `/` in the date, any
/// number of fraction digits, no offset), an uptime (`1.234567890s`), the 0.2 default
/// `Mar 04 20:18:44.853`, or a time of day alone (`10:39:09.010480`).
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Some(ns) = parse_time_of_day(s) {
        return Some(Timestamp::TimeOfDay(ns));
    }
    if s.as_bytes().first().is_some_and(u8::is_ascii_uppercase) {
        return parse_month_day(s).map(Timestamp::MonthDay);
    }
    if let Some(num) = s.strip_suffix('s')
        && num.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !num.is_empty()
    {
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        let secs: i64 = int.parse().ok()?;
        return Some(Timestamp::Uptime(
            secs.checked_mul(1_000_000_000)?
                .checked_add(frac_ns(frac)?)?,
        ));
    }
    let b = s.as_bytes();
    let b4 = b.get(4).copied().unwrap_or(0);
    if b.len() < 19
        || !(b[4] == b'-' || b[4] == b'/')
        || b[7] != b4
        || !(b[10] == b'T' || b[10] == b' ' || b[10] == b't')
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits(s, r);
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac = 0;
    if let Some(r) = rest.strip_prefix('.') {
        // The first byte that is no digit (a character's first byte, or ASCII).
        let end = r
            .bytes()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(r.len());
        frac = frac_ns(&r[..end])?;
        rest = &r[end..];
    }
    let offset_s = match rest {
        "Z" | "z" => 0,
        "" => 0, // a local time without offset: we cannot know the zone; treat as UTC
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = &rest[1..];
            let (oh, om) = match r.split_once(':') {
                Some((a, b)) => (a.parse::<i64>().ok()?, b.parse::<i64>().ok()?),
                None if r.len() == 4 => (r.get(..2)?.parse().ok()?, r.get(2..)?.parse().ok()?),
                None => (r.parse().ok()?, 0),
            };
            // Real offsets are within a day; a bigger one is garbage (and would overflow).
            if !(0..24).contains(&oh) || !(0..60).contains(&om) {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_s;
    let ns = secs.checked_mul(1_000_000_000)?.checked_add(frac)?;
    // Before 1970 is no log's time: every time stays in 0..=i64::MAX, so that the difference
    // of any two cannot overflow (1815 to 2206 did).
    (ns >= 0).then_some(Timestamp::Unix(ns))
}

/// A fraction of a second's digits (any number; past the ninth ignored) as nanoseconds.
fn frac_ns(digits: &str) -> Option<Ns> {
    if digits.is_empty() {
        return Some(0);
    }
    // Digits only: a sign or a multi-byte character is no fraction (and cutting at the ninth
    // byte could split a character).
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // At most nine digits: summed byte by byte, no overflow.
    let d = digits.as_bytes().get(..digits.len().min(9))?;
    let v = d.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0'));
    Some(v * 10i64.pow(9 - d.len() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `digits` and `frac_ns` sum bytes where they called `str::parse`: the same answers as
    /// the parse, on digits, signs, white space, characters cut by the range, empty ranges.
    #[test]
    fn digits_as_str_parse_reads_them() {
        let old_digits = |s: &str, r: std::ops::Range<usize>| -> Option<i64> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let old_frac = |d: &str| -> Option<Ns> {
            if d.is_empty() {
                return Some(0);
            }
            if !d.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let d = &d[..d.len().min(9)];
            let v: i64 = d.parse().ok()?;
            Some(v * 10i64.pow(9 - d.len() as u32))
        };
        for s in [
            "2026-11-24T00:00:00.001275Z",
            "0123456789",
            "99999999999999999999999",
            "+12",
            "-12",
            " 12",
            "1é2",
            "é12",
            "12é",
            "",
            "00",
            "9223372036854775807",
            "9223372036854775808",
        ] {
            for start in 0..=s.len() + 1 {
                for end in start..=s.len() + 1 {
                    assert_eq!(
                        digits(s, start..end),
                        old_digits(s, start..end),
                        "{s} {start}..{end}"
                    );
                    if let Some(part) = s.get(start..end) {
                        assert_eq!(frac_ns(part), old_frac(part), "{part}");
                    }
                }
            }
        }
    }

    #[test]
    fn busy_idle_units_as_tracing_prints_them() {
        assert_eq!(parse_busy_idle("95.4µs"), Some(95_400));
        assert_eq!(parse_busy_idle("95.4us"), Some(95_400));
        assert_eq!(parse_busy_idle("50.2ms"), Some(50_200_000));
        assert_eq!(parse_busy_idle("199ms"), Some(199_000_000));
        assert_eq!(parse_busy_idle("5.95ms"), Some(5_950_000));
        assert_eq!(parse_busy_idle("812ns"), Some(812));
        assert_eq!(parse_busy_idle("1.23s"), Some(1_230_000_000));
        assert_eq!(parse_busy_idle("1234s"), Some(1_234_000_000_000));
        assert_eq!(parse_busy_idle("\"10.00µs\""), Some(10_000));
        assert_eq!(parse_busy_idle("12 parsecs"), None);
        assert_eq!(parse_busy_idle(""), None);
    }

    #[test]
    fn rfc3339() {
        let t = parse_timestamp("2026-11-24T00:17:06.724099Z").unwrap();
        assert_eq!(t, Timestamp::Unix(1_795_479_426_724_099_000));
        let plus = parse_timestamp("2026-11-24T02:17:06.724099+02:00").unwrap();
        assert_eq!(plus, t);
        assert_eq!(
            parse_timestamp("1970-01-01T00:00:00Z"),
            Some(Timestamp::Unix(0))
        );
        assert_eq!(
            parse_timestamp("   1.500000000s"),
            Some(Timestamp::Uptime(1_500_000_000))
        );
        assert_eq!(parse_timestamp("INFO"), None);
        assert_eq!(parse_timestamp("2026-13-24T00:17:06Z"), None);
    }

    #[test]
    fn timers_without_a_zone_or_a_date() {
        let t = parse_timestamp("2024-05-25 10:39:09.010480").unwrap();
        assert_eq!(t, parse_timestamp("2024-05-25T10:39:09.010480Z").unwrap());
        assert_eq!(t, parse_timestamp("2024/05/25 10:39:09.010480").unwrap());
        assert_eq!(
            parse_timestamp("10:39:09.010480"),
            Some(Timestamp::TimeOfDay(38_349_010_480_000))
        );
        assert_eq!(
            parse_timestamp("00:00:01"),
            Some(Timestamp::TimeOfDay(1_000_000_000))
        );
        // Jan 2 00:00:00.5 is one day and half a second after Jan 1.
        assert_eq!(
            parse_timestamp("Jan 02 00:00:00.500"),
            Some(Timestamp::MonthDay(86_400_500_000_000))
        );
        let mar = parse_timestamp("Mar 04 20:18:44.853").unwrap();
        let mar2 = parse_timestamp("Mar 04 20:18:45.003").unwrap();
        assert_eq!(mar2.ns() - mar.ns(), 150_000_000);
        assert_eq!(parse_timestamp("Mar 04 host"), None);
        assert_eq!(parse_timestamp("Foo 04 20:18:44"), None);
        assert_eq!(parse_timestamp("25:00:00"), None);
    }

    /// Found by fuzzing (tests/data/fuzz/): a fraction, an offset or an uptime that is not
    /// one gives no timestamp, never a panic.
    #[test]
    fn garbage_in_a_timestamp_is_no_timestamp() {
        // A multi-byte character among the fraction's first nine bytes.
        assert_eq!(parse_timestamp("20:18:44.1234567\u{fffd}"), None);
        assert_eq!(parse_timestamp("Dec 01 03:07:49.4\u{fffd}"), None);
        assert_eq!(parse_timestamp("10:39:09.+5"), None);
        // An offset of four bytes that are not four digits, and one beyond a day.
        assert_eq!(parse_timestamp("2024-05-25T10:39:09+1\u{e9}1"), None);
        assert_eq!(
            parse_timestamp("2024-05-25T10:39:09+99999999999999999:00"),
            None
        );
        assert_eq!(
            parse_timestamp("2024-05-25T12:39:09+02:00"),
            parse_timestamp("2024-05-25T10:39:09Z")
        );
        // Before 1970: no log's time.
        assert_eq!(parse_timestamp("1815-11-24T09:55:33Z"), None);
        assert_eq!(parse_timestamp("1970-01-01T00:00:00+01:00"), None);
        // An uptime whose fraction takes it past the largest time.
        assert_eq!(parse_timestamp("9223372036.999999999s"), None);
        assert_eq!(
            parse_timestamp("9223372036.5s"),
            Some(Timestamp::Uptime(9_223_372_036_500_000_000))
        );
    }

    #[test]
    fn ansi_is_stripped() {
        let s = "\x1b[2m2026-11-24T00:30:40.839185Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[1mhttp.request\x1b[0m\x1b[1m{\x1b[0m";
        assert_eq!(
            strip_ansi(s),
            "2026-11-24T00:30:40.839185Z  INFO http.request{"
        );
    }
}
