//! The part of the tracing-subscriber readers that is not about one format: the span event
//! both formats become, and the line-reading driver with its clock, counts and end-of-log
//! checks. `matcher` gives spans their identity; `json` and `text` decode lines; `units` parses
//! the timestamps and durations they print.

pub mod json;
mod matcher;
pub mod text;
#[cfg(test)]
mod text_formatters;
mod units;

use super::InputStats;
pub(super) use super::lines::Flow;
use super::lines::{ApplyLine, Lines, ParseLine, excerpt};
use crate::error::{Error, Result};
use crate::model::{Ns, ThreadIdx, TraceBuilder};
use matcher::SpanMatcher;
use std::borrow::Cow;
use std::io::BufRead;
pub use units::{Timestamp, parse_timestamp};

/// Which synthetic span event a line is (`FmtSpan` NEW, ENTER, EXIT, CLOSE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    New,
    Enter,
    Exit,
    Close,
}

impl Kind {
    pub fn from_message(m: &str) -> Option<Kind> {
        match m {
            "new" => Some(Kind::New),
            "enter" => Some(Kind::Enter),
            "exit" => Some(Kind::Exit),
            "close" => Some(Kind::Close),
            _ => None,
        }
    }
}

/// A span as an event describes it: name and fields (values as display text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SpanDesc<'a> {
    pub name: Cow<'a, str>,
    pub fields: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

/// The context of an event: given, or parsed on demand (most events match exactly one open
/// span and never need it, and parsing JSON `spans` lists is the costliest part of a line).
enum Context<'a> {
    Known(&'a [SpanDesc<'a>]),
    Lazy(&'a dyn Fn() -> Vec<SpanDesc<'a>>),
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Context::Known(c) => c.fmt(f),
            Context::Lazy(_) => f.write_str("<lazy>"),
        }
    }
}

/// One synthetic span event, format-neutral.
#[derive(Debug)]
struct SpanEvent<'a> {
    pub kind: Kind,
    pub time: Ns,
    pub thread: Option<ThreadIdx>,
    pub target: Option<&'a str>,
    pub span: &'a SpanDesc<'a>,
    /// Root first, not including `span`.
    pub context: Context<'a>,
    /// The context is the span's real ancestry (text format), not just what is entered.
    pub context_exact: bool,
    pub busy: Option<Ns>,
    pub idle: Option<Ns>,
}

/// The message of tower-http's `DefaultOnResponse` event (`TraceLayer::new_for_http()`), in
/// the context of the request's span: `latency` (`{n} ms` by default; `{f} s`, `{n} μs` or
/// `{n} ns` with another `LatencyUnit`) and `status` (absent for a gRPC stream).
pub const RESPONSE_MESSAGE: &str = "finished processing request";

/// A `finished processing request` event, decoded: `span` is the span it was emitted in.
#[derive(Debug)]
struct ResponseEvent<'a> {
    time: Ns,
    thread: Option<ThreadIdx>,
    target: Option<&'a str>,
    span: &'a SpanDesc<'a>,
    latency: Ns,
    status: Option<&'a str>,
}

/// tower-http's `latency` field: a number, a space, a unit (`12 ms`, `0.0123 s`, `80 μs`).
fn parse_latency(s: &str) -> Option<Ns> {
    let s = s.trim().trim_matches('"');
    let (num, unit) = s.split_once(' ').unwrap_or((s, ""));
    if num.is_empty() || unit.contains(' ') {
        return None;
    }
    let mut compact = String::with_capacity(s.len());
    compact.push_str(num);
    compact.push_str(unit);
    units::parse_busy_idle(&compact)
}

/// Whether the spans of `finished processing request` events are requests themselves (the log
/// records their lifecycle) or the events are the only trace of the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ResponseMode {
    /// No such event yet, or held ones and nothing decided.
    #[default]
    Undecided,
    /// The log has no span lifecycle lines for those spans: each event is a request.
    Events,
    /// The log has lifecycle lines (CLOSE) for those spans: they are the requests, and the
    /// events add nothing (counting both would count every request twice).
    Spans,
}

/// Lines a held `finished processing request` event waits for a lifecycle line of its span's
/// name (its CLOSE follows it within a few lines in a log that has them) before the events are
/// taken as the requests. Bounds what is held: the reader still streams.
const DECIDE_AFTER_LINES: u64 = 1000;

/// A held event, owned.
#[derive(Debug)]
struct HeldResponse {
    name: String,
    target: Option<String>,
    fields: Vec<(String, String)>,
    thread: Option<ThreadIdx>,
    start: Ns,
    end: Ns,
}

/// tower-http's `finished processing request` events as requests, in a log without span
/// lifecycle lines (the most common setup: default `fmt()`, no span events,
/// `tower_http=debug`). Each becomes a closed span: its span's name and fields, end = the
/// event's time, start = end - latency, no busy/idle time. A lifecycle line (NEW, ENTER, EXIT,
/// CLOSE) of a span of the same name means the spans themselves are the requests: held events
/// are dropped and later ones skipped.
#[derive(Debug, Default)]
struct ResponseEvents {
    mode: ResponseMode,
    /// Span names seen in lifecycle lines (few).
    lifecycle: Vec<String>,
    held: Vec<HeldResponse>,
    first_held_line: u64,
    /// Events taken as requests, and events dropped or skipped (their span is the request).
    taken: u64,
    dropped: u64,
    /// Span names of the events taken, and whether a late lifecycle line of one was warned of.
    taken_names: Vec<String>,
    warned_late: bool,
}

impl ResponseEvents {
    fn held(ev: &ResponseEvent<'_>) -> HeldResponse {
        let mut fields: Vec<(String, String)> = ev
            .span
            .fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(st) = ev.status
            && !fields.iter().any(|(k, _)| k == "status")
        {
            fields.push(("status".into(), st.to_string()));
        }
        HeldResponse {
            name: ev.span.name.to_string(),
            target: ev.target.map(str::to_string),
            fields,
            thread: ev.thread,
            start: ev.time - ev.latency,
            end: ev.time,
        }
    }

    fn commit(&mut self, b: &mut TraceBuilder, r: HeldResponse) {
        self.taken += 1;
        if self.taken_names.len() < 64 && !self.taken_names.contains(&r.name) {
            self.taken_names.push(r.name.clone());
        }
        let name = b.intern(&r.name);
        let target = r.target.as_deref().map(|t| b.intern(t));
        let fields = r
            .fields
            .into_iter()
            .map(|(k, v)| (b.intern(&k), v.into()))
            .collect();
        b.closed_span(
            name, target, None, r.start, r.end, None, None, fields, r.thread,
        );
    }

    /// Takes the events as the requests: commits what is held.
    fn decide_events(&mut self, b: &mut TraceBuilder) {
        self.mode = ResponseMode::Events;
        for r in std::mem::take(&mut self.held) {
            self.commit(b, r);
        }
    }

    /// A lifecycle line of a span named `name`; true (once) when events of spans of that name
    /// were already taken as requests: the log has both, and some requests count twice.
    fn lifecycle(&mut self, name: &str) -> bool {
        if self.lifecycle.len() < 64 && !self.lifecycle.iter().any(|n| n == name) {
            self.lifecycle.push(name.to_string());
        }
        if self.mode == ResponseMode::Undecided && self.held.iter().any(|h| h.name == name) {
            self.drop_held();
        }
        let late = self.mode == ResponseMode::Events
            && !self.warned_late
            && self.taken_names.iter().any(|n| n == name);
        self.warned_late |= late;
        late
    }

    /// The spans are the requests: what is held is dropped.
    fn drop_held(&mut self) {
        self.mode = ResponseMode::Spans;
        self.dropped += self.held.len() as u64;
        self.held.clear();
    }

    /// A `finished processing request` event on line `line_no`.
    fn event(&mut self, b: &mut TraceBuilder, ev: &ResponseEvent<'_>, line_no: u64) {
        if self.mode == ResponseMode::Undecided && self.lifecycle.iter().any(|n| *n == ev.span.name)
        {
            self.drop_held();
        }
        match self.mode {
            ResponseMode::Spans => self.dropped += 1,
            ResponseMode::Events => {
                let r = Self::held(ev);
                self.commit(b, r);
            }
            ResponseMode::Undecided => {
                if self.held.is_empty() {
                    self.first_held_line = line_no;
                }
                self.held.push(Self::held(ev));
            }
        }
    }

    /// After line `line_no`: held events that waited long enough are the requests.
    fn tick(&mut self, b: &mut TraceBuilder, line_no: u64) {
        if self.mode == ResponseMode::Undecided
            && !self.held.is_empty()
            && line_no - self.first_held_line >= DECIDE_AFTER_LINES
        {
            self.decide_events(b);
        }
    }
}

/// Event times from the printed timestamps. The first readable one sets the clock (RFC 3339 is
/// Unix time; an uptime timer has no wall-clock origin; a time without a date keeps the order of
/// events but is not a wall-clock time either); a missing one is warned about once and the last
/// time seen is used, and timestamps that cannot be read are counted.
#[derive(Debug, Default)]
struct EventClock {
    unix_set: bool,
    warned: bool,
    no_date_warned: bool,
    /// Span events whose timestamp text could not be read.
    unreadable: u64,
    /// Time-of-day timers: the last time read and the days added for midnights passed.
    last_time_of_day: Option<Ns>,
    midnights: Ns,
}

const DAY_NS: Ns = 86_400 * 1_000_000_000;

impl EventClock {
    pub fn time(
        &mut self,
        b: &mut TraceBuilder,
        raw: Option<&str>,
        line_no: u64,
        stats: &mut InputStats,
    ) -> Ns {
        self.time_read(b, raw, raw.and_then(parse_timestamp), line_no, stats)
    }

    /// As [`EventClock::time`], `raw` already read ([`parse_timestamp`]) into `read`.
    pub fn time_read(
        &mut self,
        b: &mut TraceBuilder,
        raw: Option<&str>,
        read: Option<Timestamp>,
        line_no: u64,
        stats: &mut InputStats,
    ) -> Ns {
        match read {
            Some(ts) => {
                if matches!(ts, Timestamp::Unix(_)) && !self.unix_set {
                    self.unix_set = true;
                    b.set_unix_offset(0);
                }
                if matches!(ts, Timestamp::MonthDay(_) | Timestamp::TimeOfDay(_))
                    && !self.no_date_warned
                {
                    self.no_date_warned = true;
                    let (without, unknown) = match ts {
                        Timestamp::MonthDay(_) => ("a year", "the year and time zone are"),
                        _ => ("a date", "the date and time zone are"),
                    };
                    stats.warn(format!(
                        "line {line_no}: timestamps without {without} ({}): events keep their order and durations, but {unknown} unknown",
                        raw.map_or(String::new(), |t| excerpt(t, 40))
                    ));
                }
                if let Timestamp::TimeOfDay(ns) = ts {
                    // A time of day more than 12 hours before the last one: midnight passed.
                    if self
                        .last_time_of_day
                        .is_some_and(|last| ns < last - DAY_NS / 2)
                    {
                        self.midnights += DAY_NS;
                    }
                    self.last_time_of_day = Some(ns);
                    return ns + self.midnights;
                }
                ts.ns()
            }
            None => {
                if raw.is_some() {
                    self.unreadable += 1;
                }
                if !self.warned {
                    self.warned = true;
                    stats.warn(format!(
                        "line {line_no}: no readable timestamp ({}); span start/end times are unknown: only time.busy/time.idle, where the log has them, give durations",
                        raw.map_or("missing".to_string(), |t| excerpt(t, 40))
                    ));
                }
                b.last_time().unwrap_or(0)
            }
        }
    }
}

/// One tracing line format, as the line-reading driver (`read_lines`) sees it: the driver
/// owns the lines, the span matcher, the clock and the counts; the format's `Parser` decodes
/// lines on their own (on any thread), and `line` takes each decoded line in order and says at
/// the end what it found wrong with the whole.
trait LineFormat {
    /// How the "no span events" error names the input (`expected {WHAT} recorded with ...`).
    const WHAT: &'static str;

    /// What decodes one line with no state of its own.
    type Parser: ParseLine;

    fn parser(&self) -> Self::Parser;

    /// Takes line `line_no` (without its end of line; `complete` is false for a last line
    /// cut short), as the parser decoded it, and hands the span event it holds, if any, to
    /// `cx.apply`.
    fn line(
        &mut self,
        cx: &mut LineCx<'_, '_>,
        line_no: u64,
        line: &str,
        complete: bool,
        parsed: <Self::Parser as ParseLine>::Parsed<'_>,
    ) -> Result<Flow>;

    /// After the last line (`lines` read): an error of the format's own, or else why no line
    /// was a span event (`None`: the driver's default reason).
    fn end(self, cx: &mut LineCx<'_, '_>, lines: u64) -> Result<Option<String>>;
}

/// What a line format may use while decoding a line.
struct LineCx<'c, 's> {
    name: &'c str,
    b: &'c mut TraceBuilder<'s>,
    stats: &'c mut InputStats,
    matcher: SpanMatcher,
    clock: EventClock,
    span_events: u64,
    responses: ResponseEvents,
}

impl LineCx<'_, '_> {
    /// The event time of line `line_no` from its printed timestamp (see `EventClock`).
    fn time(&mut self, raw: Option<&str>, line_no: u64) -> Ns {
        self.clock.time(self.b, raw, line_no, self.stats)
    }

    /// As [`LineCx::time`], with `raw` already read when `read` is `Some` (by the decoding
    /// thread).
    fn time_read(
        &mut self,
        raw: Option<&str>,
        read: Option<Option<Timestamp>>,
        line_no: u64,
    ) -> Ns {
        match read {
            Some(read) => self.clock.time_read(self.b, raw, read, line_no, self.stats),
            None => self.time(raw, line_no),
        }
    }

    /// The thread a line names by id or name (ids normalised by `thread_key`).
    fn thread(&mut self, id: Option<&str>, name: Option<&str>) -> Option<ThreadIdx> {
        id.or(name).map(|id| self.b.thread(&thread_key(id), name))
    }

    /// Applies a span event and counts it.
    fn apply(&mut self, ev: &SpanEvent<'_>) {
        if self.responses.lifecycle(&ev.span.name) {
            self.stats.warn(format!(
                "span events of '{}' spans came more than {DECIDE_AFTER_LINES} lines after tower-http's 'finished processing request' events, which were taken as the requests: requests before this point may be counted twice",
                ev.span.name
            ));
        }
        self.matcher.apply(self.b, ev);
        self.span_events += 1;
        self.stats.events += 1;
    }

    /// A tower-http `finished processing request` event on line `line_no` ([`ResponseEvents`]);
    /// counted at the end, as a span event when it was taken as a request, else as skipped.
    fn response(&mut self, ev: &ResponseEvent<'_>, line_no: u64) {
        self.responses.event(self.b, ev, line_no);
    }

    /// Counts a line that is not a span event.
    fn skip(&mut self) {
        self.stats.skipped += 1;
    }

    /// The end of a tracing log of `lines` lines: an error when it held no span event (with
    /// `why`, or a default reason), a warning when starts had to be computed from busy + idle.
    fn finish(mut self, what: &str, lines: u64, why: Option<String>) -> Result<()> {
        if self.responses.mode == ResponseMode::Undecided {
            self.responses.decide_events(self.b);
        }
        self.span_events += self.responses.taken;
        self.stats.events += self.responses.taken;
        self.stats.skipped += self.responses.dropped;
        if self.span_events == 0 {
            let why = why.unwrap_or_else(|| {
                if lines == 0 {
                    "empty input".to_string()
                } else {
                    format!("{lines} lines, none of them a span event")
                }
            });
            return Err(Error::input(
                self.name,
                format!(
                    "no span events found ({why}): expected {what} recorded with .with_span_events(FmtSpan::CLOSE) or FmtSpan::FULL"
                ),
            ));
        }
        if self.clock.unreadable > 1 {
            let n = self.clock.unreadable;
            self.stats.warn(format!(
                "{n} span events had a timestamp that could not be read; each took the time of the line before"
            ));
        }
        if self.matcher.new_seen && self.matcher.unmatched_closes > 0 {
            let n = self.matcher.unmatched_closes;
            self.stats.warn(format!(
                "{n} CLOSE events matched no span open since its NEW (a span closed twice, or opened before the log starts); each read as a span of its own, started at close time - busy - idle"
            ));
        }
        if !self.matcher.new_seen && self.matcher.computed_starts > 0 {
            self.stats
                .warn("no NEW span events: span starts are computed as close time - busy - idle");
        }
        if !self.matcher.close_seen {
            // ENTER/EXIT without CLOSE (`FmtSpan::ACTIVE`): a span's life ends at its last
            // exit, its busy time is the sum of its enter -> exit intervals.
            self.b.end_unclosed_at_last_exit();
        }
        Ok(())
    }
}

/// Reads every line of `reader` with `format`, then checks the end (`LineCx::finish`).
fn read_lines<F: LineFormat>(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder,
    stats: &mut InputStats,
    format: F,
) -> Result<()> {
    let cx = LineCx {
        name,
        b,
        stats,
        matcher: SpanMatcher::new(),
        clock: EventClock::default(),
        span_events: 0,
        responses: ResponseEvents::default(),
    };
    let parser = format.parser();
    let mut driver = Driver { format, cx };
    let mut lines = Lines::new(name, reader);
    super::lines::parse_lines(&mut lines, super::threads(), &parser, &mut driver)?;
    let Driver { format, mut cx } = driver;
    let line_count = lines.line_no;
    for w in lines.warnings() {
        cx.stats.warn(w);
    }
    let why = format.end(&mut cx, line_count)?;
    cx.finish(F::WHAT, line_count, why)
}

/// A line format and what it feeds, taking decoded lines in order.
struct Driver<'c, 's, F> {
    format: F,
    cx: LineCx<'c, 's>,
}

impl<F: LineFormat> ApplyLine<F::Parser> for Driver<'_, '_, F> {
    fn apply<'a>(
        &mut self,
        line_no: u64,
        line: &'a str,
        complete: bool,
        parsed: <F::Parser as ParseLine>::Parsed<'a>,
    ) -> Result<Flow> {
        let flow = self
            .format
            .line(&mut self.cx, line_no, line, complete, parsed)?;
        self.cx.responses.tick(self.cx.b, line_no);
        Ok(flow)
    }
}

/// Normalises `ThreadId(05)` to `ThreadId(5)` so the text and JSON formats agree.
fn thread_key(id: &str) -> Cow<'_, str> {
    if let Some(num) = id
        .strip_prefix("ThreadId(")
        .and_then(|r| r.strip_suffix(')'))
        && num.len() > 1
        && num.starts_with('0')
        && let Ok(n) = num.parse::<u64>()
    {
        return Cow::Owned(format!("ThreadId({n})"));
    }
    Cow::Borrowed(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_in_every_unit() {
        assert_eq!(parse_latency("12 ms"), Some(12_000_000));
        assert_eq!(parse_latency("0 ms"), Some(0));
        assert_eq!(parse_latency("0.012345 s"), Some(12_345_000));
        assert_eq!(parse_latency("80 μs"), Some(80_000));
        assert_eq!(parse_latency("80 µs"), Some(80_000));
        assert_eq!(parse_latency("1500 ns"), Some(1500));
        assert_eq!(parse_latency("12ms"), Some(12_000_000));
        assert_eq!(parse_latency("\"12 ms\""), Some(12_000_000));
        assert_eq!(parse_latency("soon"), None);
        assert_eq!(parse_latency("12 light years"), None);
    }

    #[test]
    fn thread_keys_normalise() {
        assert_eq!(thread_key("ThreadId(05)"), "ThreadId(5)");
        assert_eq!(thread_key("worker-1"), "worker-1");
    }
}
