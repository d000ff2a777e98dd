//! asyncio debug logs (`PYTHONASYNCIODEBUG=1`, `python -X dev`, `loop.set_debug(True)`): the
//! slow-callback warning, one line per callback that held the loop.
//!
//! In debug mode `BaseEventLoop._run_once` times every callback it runs and logs, on the
//! `asyncio` logger at WARNING, `'Executing %s took %.3f seconds'` for one that took at least
//! `loop.slow_callback_duration` (0.1 s by default). `%s` is `base_events._format_handle(handle)`:
//!
//! ```text
//! a task step:   <Task pending name='Task-2' coro=<view() running at /app/v.py:29> cb=[...] created at ...>
//!                <Task finished name='Task-2' coro=<view() done, defined at /app/v.py:26> result=None ...>
//!                (coroutines._format_coroutine: `name() running at f:l`, `name() done, defined
//!                at f:l`, `name() running` or `name()` for built-in coroutines without code,
//!                `<T without __name__>()` for Cython ones; Python < 3.8 has no `name=`)
//! a callback:    <Handle flush_cache(3) at /app/v.py:39 created at /app/v.py:51>
//! a timer:       <TimerHandle when=8899.27 rotate_keys() at /app/v.py:44 created at ...>
//!                (events.Handle._repr_info: class name, `cancelled`, `when=` for timers, then
//!                format_helpers._format_callback_source: `qualname(args)(partial args) at f:l`)
//! ```
//!
//! The line is written when the callback *ends*, so each line is a stall on the loop:
//!
//! ```text
//! loop:   ....[render_report() ───── took ─────]....
//!                                               ^ the line's time
//! ```
//!
//! The timestamp is whatever the logging format put before the message: Python's default
//! `asctime` (`2026-01-01 12:00:00,123`, local time, read as UTC), ISO 8601 (`T`, a fraction
//! with `.` or `,`, `Z` or an offset), or none (logging's `WARNING:asyncio:` format, or the
//! last-resort handler that prints the bare message). Lines without one are counted but not
//! placed in time: they are laid one after another in file order, and a warning says so.
//!
//! Into the model: one thread for the loop, with the format-defined role
//! [`ThreadRole::EventLoop`] (the asyncio loop is an event loop by definition), and per line one
//! span named by its coroutine or callback (`view()`, `flush_cache()`) with one execution on
//! that thread. Every other line (tracebacks, other loggers) is counted as skipped.

use super::InputStats;
use super::lines::{Lines, excerpt};
use crate::error::Result;
use crate::model::{FieldValue, Ns, Sym, ThreadRole, TraceBuilder};
use std::io::BufRead;

/// asyncio's default `loop.slow_callback_duration`: callbacks shorter than this are not logged.
pub const SLOW_CALLBACK_DEFAULT: Ns = 100_000_000;

/// Where the slow-callback message starts in a line.
const MARKER: &str = "Executing <";

/// The kind of callback a line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Task,
    Handle,
    TimerHandle,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Task => "task",
            Kind::Handle => "handle",
            Kind::TimerHandle => "timer-handle",
        }
    }
}

/// One slow-callback line, decoded.
#[derive(Debug, PartialEq, Eq)]
struct SlowCallback<'a> {
    /// Unix time in ns when the logging format has a timestamp.
    at: Option<i64>,
    took: Ns,
    kind: Kind,
    /// `view()`, `flush_cache()`: the coroutine's or callback's qualified name.
    name: String,
    /// The task's name (`Task-2`), for task steps that have one.
    task: Option<&'a str>,
    /// `file:line` where the coroutine runs (or was defined) or the callback is defined.
    source: Option<&'a str>,
}

/// True when `line` is asyncio's slow-callback warning (used by sniffing).
pub fn looks_like_line(line: &[u8]) -> bool {
    let line = String::from_utf8_lossy(line);
    let line = line.trim_end();
    line.contains(MARKER) && parse_took(line).is_some()
}

/// The message's repr and duration: `Executing <repr> took 0.205 seconds` at the line's end.
fn parse_took(line: &str) -> Option<(&str, Ns)> {
    let start = line.find(MARKER)?;
    let rest = &line[start + MARKER.len() - 1..];
    let body = rest.strip_suffix(" seconds")?;
    let cut = body.rfind(" took ")?;
    let (repr, num) = (&body[..cut], &body[cut + " took ".len()..]);
    if !repr.ends_with('>') {
        return None;
    }
    Some((repr, seconds_ns(num)?))
}

/// `0.205` (`%.3f` seconds) as nanoseconds.
fn seconds_ns(s: &str) -> Option<Ns> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = int.parse().ok()?;
    let digits = &frac[..frac.len().min(9)];
    let frac_ns = if digits.is_empty() {
        0
    } else {
        digits.parse::<i64>().ok()? * 10i64.pow(9 - digits.len() as u32)
    };
    secs.checked_mul(1_000_000_000)?.checked_add(frac_ns)
}

/// Decodes a line; `Ok(None)` when it is not a slow-callback line, `Err(what)` when it starts
/// like one but is not whole.
fn parse_line(line: &str) -> std::result::Result<Option<SlowCallback<'_>>, &'static str> {
    let Some(start) = line.find(MARKER) else {
        return Ok(None);
    };
    let Some((repr, took)) = parse_took(line.trim_end()) else {
        if line.contains(" took ") && line.trim_end().ends_with(" seconds") {
            return Err("an asyncio slow-callback line whose duration does not parse");
        }
        return Ok(None);
    };
    let at = find_timestamp(&line[..start]);
    // `<Task ...>`, `<Handle ...>`, `<TimerHandle ...>`; a Task subclass keeps `coro=<`.
    let inner = &repr[1..repr.len() - 1];
    let class = inner.split(' ').next().unwrap_or("");
    let (kind, name, task, source) = if let Some(c) = inner.find("coro=<") {
        let coro = &inner[c + "coro=<".len()..];
        // `name=` (Python 3.8+) comes before `coro=`.
        let task = inner[..c]
            .find("name=")
            .map(|n| &inner[n + "name=".len()..])
            .and_then(quoted);
        (
            Kind::Task,
            callable_name(coro),
            task,
            after(coro, &[" running at ", " defined at "]),
        )
    } else if class == "Handle" || class == "TimerHandle" {
        let mut rest = &inner[class.len()..];
        // `cancelled` and `when=<float>` come before the callback.
        for word in ["cancelled", "when="] {
            let r = rest.trim_start();
            if r.starts_with(word) {
                rest = r.split_once(' ').map_or("", |(_, tail)| tail);
            }
        }
        let rest = rest.trim_start();
        let kind = if class == "Handle" {
            Kind::Handle
        } else {
            Kind::TimerHandle
        };
        if rest.is_empty() || rest.starts_with("created at ") {
            // No callback left to name (asyncio drops it once a handle is cancelled).
            (kind, format!("{class}()"), None, None)
        } else {
            let source = after(rest, &[") at "]);
            (kind, callable_name(rest), None, source)
        }
    } else {
        return Ok(None);
    };
    Ok(Some(SlowCallback {
        at,
        took,
        kind,
        name,
        task,
        source,
    }))
}

/// `view` from `view() running at ...`, `flush_cache` from `flush_cache(3) at ...`, as
/// `view()`: the name as asyncio writes a coroutine, arguments left out.
fn callable_name(s: &str) -> String {
    // A name may hold `<...>` (`<lambda>`, `<locals>`, `<T without __name__>`) but no `(`.
    let end = s
        .find('(')
        .unwrap_or_else(|| s.find(' ').unwrap_or(s.len()));
    let name = s[..end].trim();
    if name.is_empty() {
        "<unnamed>()".to_string()
    } else {
        format!("{name}()")
    }
}

/// The `file:line` after the first of `markers` found, up to the next space.
fn after<'a>(s: &'a str, markers: &[&str]) -> Option<&'a str> {
    let (pos, len) = markers
        .iter()
        .filter_map(|m| s.find(m).map(|p| (p, m.len())))
        .min()?;
    let tail = &s[pos + len..];
    let end = tail.find([' ', '>']).unwrap_or(tail.len());
    Some(&tail[..end]).filter(|t| !t.is_empty())
}

/// The string of a Python repr `'Task-2'` or `"it's"` at the start of `s`.
fn quoted(s: &str) -> Option<&str> {
    let q = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &s[1..];
    body.find(q).map(|end| &body[..end])
}

/// The first timestamp in the part of a line before the message: ISO 8601 or Python's
/// `asctime` (`2026-01-01 12:00:00,123`), as Unix ns. A time without an offset is read as UTC.
fn find_timestamp(prefix: &str) -> Option<i64> {
    let b = prefix.as_bytes();
    (0..b.len())
        .filter(|&i| b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit()))
        .find_map(|i| parse_timestamp(&prefix[i..]))
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.,]fraction?(Z|±HH:MM|±HHMM)?` at the start of `s`.
fn parse_timestamp(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let p = s.get(r)?;
        p.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| p.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac = 0;
    if let Some(r) = rest.strip_prefix(['.', ',']) {
        let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
        let digits = &r[..end.min(9)];
        if !digits.is_empty() {
            frac = digits.parse::<i64>().ok()? * 10i64.pow(9 - digits.len() as u32);
        }
        rest = &r[end..];
    }
    let offset = if rest.starts_with(['Z', 'z']) {
        0
    } else if let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-') {
        let r = &rest[1..];
        let (oh, om) = if r.as_bytes().get(2) == Some(&b':') {
            (r.get(0..2)?, r.get(3..5)?)
        } else {
            (r.get(0..2)?, r.get(2..4)?)
        };
        let (oh, om): (i64, i64) = (oh.parse().ok()?, om.parse().ok()?);
        // Real offsets are within a day; a bigger one (or `+-1`) is garbage.
        if !(0..24).contains(&oh) || !(0..60).contains(&om) {
            return None;
        }
        let secs = oh * 3600 + om * 60;
        if sign == '+' { secs } else { -secs }
    } else {
        0
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    let ns = secs.checked_mul(1_000_000_000)?.checked_add(frac)?;
    // Before 1970 is no log's time (as for tracing logs): times stay in 0..=i64::MAX, so that
    // the difference of any two cannot overflow (a line of 1685 after one of 2026 did).
    (ns >= 0).then_some(ns)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Field keys of the spans this reader makes.
struct Keys {
    kind: Sym,
    task: Sym,
    source: Sym,
}

/// Reads an asyncio debug log: each slow-callback line becomes a span and an execution on the
/// loop thread; other lines are skipped. See the module docs.
pub fn read(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder<'_>,
    stats: &mut InputStats,
) -> Result<()> {
    let mut lines = Lines::new(name, reader);
    let thread = b.thread("asyncio event loop", None);
    b.set_thread_role_hint(thread, ThreadRole::EventLoop);
    let target = Some(b.intern("asyncio"));
    let keys = Keys {
        kind: b.intern("asyncio.kind"),
        task: b.intern("asyncio.task"),
        source: b.intern("code.location"),
    };
    // The first timed line fixes the origin; times are kept relative to it.
    let mut origin: Option<i64> = None;
    let mut prev_end: Option<Ns> = None;
    let (mut untimed, mut shortest, mut moved) = (0u64, None::<Ns>, 0u64);
    while let Some((line_no, bytes, complete)) = lines.next_line()? {
        let text = String::from_utf8_lossy(bytes);
        let cb = match parse_line(&text) {
            Ok(Some(cb)) => cb,
            Ok(None) => {
                stats.skipped += 1;
                continue;
            }
            Err(_) if !complete => {
                stats.skipped += 1;
                stats.warn(format!(
                    "line {line_no}: the last line is cut short ({}); skipped",
                    excerpt(&text, 60)
                ));
                continue;
            }
            Err(what) => {
                // A garbled line is skipped and said, like a garbled line of a JSON log; the
                // end of the line is what did not parse.
                let tail = text.rfind(" took ").map_or(&*text, |i| &text[i + 1..]);
                stats.skipped += 1;
                stats.warn(format!(
                    "line {line_no}: {what}: expected '... took 0.205 seconds' at the end, found {}; skipped",
                    excerpt(tail, 60)
                ));
                continue;
            }
        };
        stats.events += 1;
        shortest = Some(shortest.map_or(cb.took, |s: Ns| s.min(cb.took)));
        // Where the callback ended, on the ingest clock (ns from the first timed line).
        let end = match cb.at {
            Some(at) => {
                let o = *origin.get_or_insert_with(|| {
                    b.set_unix_offset(-at);
                    at
                });
                at.saturating_sub(o)
            }
            None => {
                untimed += 1;
                // 1 ns apart: untimed callbacks do not form episodes together.
                prev_end
                    .map_or(0, |p| p.saturating_add(1))
                    .saturating_add(cb.took)
            }
        };
        // One loop runs one callback at a time: a start before the previous end is a rounding
        // of the logged time (asctime keeps milliseconds) or lines out of order. Keep `took`.
        let mut start = end.saturating_sub(cb.took);
        if let Some(prev) = prev_end.filter(|p| start < *p) {
            if prev.saturating_sub(start) > 10_000_000 {
                moved += 1;
            }
            start = prev;
        }
        let end = start.saturating_add(cb.took);
        prev_end = Some(end);
        let name_sym = b.intern(&cb.name);
        let mut fields: Vec<(Sym, FieldValue)> = vec![(keys.kind, cb.kind.as_str().into())];
        if let Some(t) = cb.task {
            fields.push((keys.task, t.into()));
        }
        if let Some(s) = cb.source {
            fields.push((keys.source, s.into()));
        }
        let span = b.open_span(name_sym, target, None, start, fields);
        b.execution(span, Some(thread), start, end);
        b.close(span, end, Some(cb.took), Some(0), Some(thread));
    }
    if untimed > 0 {
        let (lines, carry) = if untimed == 1 {
            ("line", "carries")
        } else {
            ("lines", "carry")
        };
        stats.warn(format!(
            "{untimed} slow-callback {lines} {carry} no timestamp (the logging format has no asctime): counted, but not placed in time; laid one after another in file order, so their times and episodes say nothing"
        ));
    }
    if moved > 0 {
        stats.warn(format!(
            "{moved} slow-callback line(s) start before the previous one ended (lines out of order, or several loops in one file): moved to start when it ended"
        ));
    }
    for w in lines.warnings() {
        stats.warn(w);
    }
    stats.logged_from = shortest.map(|s| s.min(SLOW_CALLBACK_DEFAULT));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASK: &str = "2026-12-01 03:54:32,832 WARNING asyncio Executing <Task pending name='Task-2' coro=<render_report() running at /app/rec.py:29> cb=[gather.<locals>._done_callback() at /py/asyncio/tasks.py:764] created at /py/asyncio/tasks.py:680> took 0.171 seconds";

    #[test]
    fn a_task_step_is_named_by_its_coroutine() {
        let cb = parse_line(TASK).unwrap().unwrap();
        assert_eq!(cb.kind, Kind::Task);
        assert_eq!(cb.name, "render_report()");
        assert_eq!(cb.task, Some("Task-2"));
        assert_eq!(cb.source, Some("/app/rec.py:29"));
        assert_eq!(cb.took, 171_000_000);
        // 2026-12-01 03:54:32.832 UTC (Python: calendar.timegm((2026, 12, 1, 3, 54, 32)))
        assert_eq!(cb.at, Some(1_796_097_272_832_000_000));
    }

    #[test]
    fn every_repr_shape_asyncio_writes() {
        for (line, kind, name, task, source) in [
            (
                "Executing <Task finished name='Task-2' coro=<render_report() done, defined at /app/rec.py:26> result=None created at /py/tasks.py:680> took 0.120 seconds",
                Kind::Task,
                "render_report()",
                Some("Task-2"),
                Some("/app/rec.py:26"),
            ),
            // Django under uvicorn: a nested qualname with <locals>.
            (
                "Executing <Task pending name='Task-43' coro=<ASGIHandler.handle.<locals>.process_request() running at /dj/asgi.py:189> wait_for=<Future pending cb=[Task.task_wakeup()]> cb=[] created at /py/tasks.py:384> took 0.166 seconds",
                Kind::Task,
                "ASGIHandler.handle.<locals>.process_request()",
                Some("Task-43"),
                Some("/dj/asgi.py:189"),
            ),
            // A built-in (Cython) coroutine without code, and one without __name__.
            (
                "Executing <Task pending name=\"it's\" coro=<fetch() running>> took 0.101 seconds",
                Kind::Task,
                "fetch()",
                Some("it's"),
                None,
            ),
            (
                "Executing <Task pending coro=<<coroutine without __name__>()>> took 0.2 seconds",
                Kind::Task,
                "<coroutine without __name__>()",
                None,
                None,
            ),
            (
                "WARNING:asyncio:Executing <Handle flush_cache(3) at /app/rec.py:39 created at /app/rec.py:51> took 0.116 seconds",
                Kind::Handle,
                "flush_cache()",
                None,
                Some("/app/rec.py:39"),
            ),
            // functools.partial: the partial's arguments follow the call's.
            (
                "Executing <Handle Store.save(1)(key='a') at /app/s.py:7> took 0.300 seconds",
                Kind::Handle,
                "Store.save()",
                None,
                Some("/app/s.py:7"),
            ),
            (
                "Executing <TimerHandle when=8899.277200114999 rotate_keys() at /app/rec.py:44 created at /app/rec.py:52> took 0.130 seconds",
                Kind::TimerHandle,
                "rotate_keys()",
                None,
                Some("/app/rec.py:44"),
            ),
            (
                "Executing <Handle <lambda>() at /app/l.py:3> took 1.500 seconds",
                Kind::Handle,
                "<lambda>()",
                None,
                Some("/app/l.py:3"),
            ),
            (
                "Executing <Handle created at /app/l.py:3> took 0.150 seconds",
                Kind::Handle,
                "Handle()",
                None,
                None,
            ),
        ] {
            let cb = parse_line(line).unwrap().unwrap();
            assert_eq!(
                (cb.kind, cb.name.as_str(), cb.task, cb.source, cb.at),
                (kind, name, task, source, None),
                "{line}"
            );
        }
    }

    #[test]
    fn timestamps_of_the_usual_logging_formats() {
        let at = |p: &str| find_timestamp(p);
        let base = 1_767_268_800_000_000_000; // 2026-01-01 12:00:00 UTC
        assert_eq!(
            at("2026-01-01 12:00:00,123 WARNING asyncio "),
            Some(base + 123_000_000)
        );
        assert_eq!(
            at("2026-01-01T12:00:00.123456Z WARNING "),
            Some(base + 123_456_000)
        );
        assert_eq!(at("[2026-01-01T14:00:00+02:00] WARNING "), Some(base));
        assert_eq!(at("2026-01-01T11:30:00-0030 "), Some(base));
        assert_eq!(at("pid 4012 2026-01-01 12:00:00 "), Some(base));
        assert_eq!(at("WARNING:asyncio:"), None);
        assert_eq!(at("12:00:00 "), None);
        // Before 1970, and offsets beyond a day: garbage, no time.
        assert_eq!(at("1685-12-01 03:54:32,953 WARNING "), None);
        assert_eq!(at("1970-01-01T00:00:00+01:00 "), None);
        assert_eq!(at("2026-01-01T11:30:00+99:00 "), None);
    }

    #[test]
    fn lines_out_of_order_keep_their_durations_and_are_warned_about() {
        // The second line ends 1 s before the first: one loop runs one callback at a time, so
        // it is moved to start when the first ended.
        let log = "2026-01-01 12:00:02,000 WARNING asyncio Executing <Handle a() at x.py:1> took 0.200 seconds
2026-01-01 12:00:01,000 WARNING asyncio Executing <Handle b() at x.py:2> took 0.300 seconds
";
        let ing = crate::ingest::ingest_bytes("o.log", log.as_bytes(), false).expect("reads");
        let t = &ing.trace;
        let got: Vec<(i64, i64)> = t
            .executions
            .iter()
            .map(|e| (e.start / 1_000_000, e.end / 1_000_000))
            .collect();
        assert_eq!(got, vec![(0, 200), (200, 500)]);
        assert_eq!(ing.stats.warnings.len(), 1, "{:?}", ing.stats.warnings);
        assert!(ing.stats.warnings[0].starts_with("1 slow-callback line(s) start before"));
        assert_eq!(ing.stats.logged_from, Some(SLOW_CALLBACK_DEFAULT));
        assert_eq!(t.threads.len(), 1);
        assert_eq!(t.threads[0].role_hint, Some(ThreadRole::EventLoop));
    }

    #[test]
    fn other_lines_are_not_slow_callbacks() {
        for line in [
            "Task was destroyed but it is pending!",
            "Executing <Task pending> took a while",
            "INFO: Executing the plan",
            "Traceback (most recent call last):",
        ] {
            assert!(!looks_like_line(line.as_bytes()), "{line}");
        }
        assert!(matches!(parse_line("Task was destroyed"), Ok(None)));
        assert!(parse_line("Executing <Handle f() at a.py:1> took 0.1x seconds").is_err());
        assert!(looks_like_line(TASK.as_bytes()));
    }
}
