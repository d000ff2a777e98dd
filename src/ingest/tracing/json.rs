//! tracing-subscriber `fmt().json()` output: one JSON object per line.
//!
//! Only synthetic span events (`message` = new/enter/exit/close, from `with_span_events`) build
//! spans, and tower-http's `finished processing request` events in a log without them (see
//! `ResponseEvents`); other log lines are counted as skipped. Lines are parsed into borrowed, typed structs:
//! nothing but the keys used here is materialised.

use super::units::{Timestamp, parse_busy_idle, parse_timestamp};
use super::{
    Context, Flow, InputStats, Kind, LineCx, LineFormat, RESPONSE_MESSAGE, ResponseEvent, SpanDesc,
    SpanEvent, parse_latency, read_lines,
};
use crate::error::{Error, Result};
use crate::ingest::lines::{ParseLine, excerpt};
use crate::model::TraceBuilder;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;

mod fast;

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct Line<'a> {
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    fields: Option<EventFields<'a>>,
    #[serde(borrow, default)]
    target: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    span: Option<SpanObj<'a>>,
    #[serde(borrow, default)]
    spans: Option<RawText<'a>>,
    #[serde(rename = "threadName", borrow, default)]
    thread_name: Option<Cow<'a, str>>,
    #[serde(rename = "threadId", borrow, default)]
    thread_id: Option<Cow<'a, str>>,
    /// `flatten_event(true)` puts the event's fields at the top level.
    #[serde(borrow, default, deserialize_with = "str_or_other")]
    message: Option<Cow<'a, str>>,
    #[serde(rename = "time.busy", borrow, default)]
    busy: Option<Cow<'a, str>>,
    #[serde(rename = "time.idle", borrow, default)]
    idle: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "str_or_other")]
    latency: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    status: Option<Scalar<'a>>,
    /// `timestamp` read ([`parse_timestamp`]) by the decoding thread, for the lines whose
    /// time is taken (span events, responses); `None` when it was not read there.
    #[serde(skip)]
    read_time: Option<Option<Timestamp>>,
}

/// The event's own fields. Only the ones span events carry are read; `message` of an ordinary
/// event may be any value (a `Debug`-recorded struct, a number) and is then not a span event.
#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct EventFields<'a> {
    #[serde(borrow, default, deserialize_with = "str_or_other")]
    message: Option<Cow<'a, str>>,
    #[serde(rename = "time.busy", borrow, default)]
    busy: Option<Cow<'a, str>>,
    #[serde(rename = "time.idle", borrow, default)]
    idle: Option<Cow<'a, str>>,
    /// tower-http's `finished processing request` event: `latency` (`12 ms`) and `status`.
    #[serde(borrow, default, deserialize_with = "str_or_other")]
    latency: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    status: Option<Scalar<'a>>,
}

/// A string, or `None` for any other JSON value.
fn str_or_other<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Cow<'de, str>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any value")
        }
        fn visit_borrowed_str<E: de::Error>(
            self,
            v: &'de str,
        ) -> std::result::Result<Self::Value, E> {
            Ok(Some(Cow::Borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
            Ok(Some(Cow::Owned(v.to_string())))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(
            self,
            mut a: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            while a.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(
            self,
            mut a: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// A value's text as written: the `spans` list, parsed only when an event needs it.
#[derive(Clone, Copy)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct RawText<'a>(&'a str);

impl<'de: 'a, 'a> Deserialize<'de> for RawText<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        <&'de RawValue>::deserialize(d).map(|r| RawText(r.get()))
    }
}

/// A span object (`{"route":"/a","request_id":3,"name":"http.request"}`) as a [`SpanDesc`].
#[cfg_attr(test, derive(Debug, PartialEq))]
struct SpanObj<'a>(SpanDesc<'a>);

/// A scalar field value as display text, borrowed from the line when it has no escapes.
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Scalar<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field value")
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                v: &'de str,
            ) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed("null")))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Scalar<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar(Cow::Borrowed("[..]")))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<Scalar<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar(Cow::Borrowed("{..}")))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for SpanObj<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SpanObj<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a span object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut a: A,
            ) -> std::result::Result<SpanObj<'de>, A::Error> {
                let mut desc = SpanDesc::default();
                while let Some(key) = a.next_key::<Cow<'de, str>>()? {
                    let Scalar(v) = a.next_value()?;
                    if key == "name" {
                        desc.name = v;
                    } else {
                        desc.fields.push((key, v));
                    }
                }
                Ok(SpanObj(desc))
            }
        }
        d.deserialize_map(V)
    }
}

struct SpanList<'a>(Vec<SpanDesc<'a>>);

impl<'de> Deserialize<'de> for SpanList<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v: Vec<SpanObj<'de>> = Vec::deserialize(d)?;
        Ok(SpanList(v.into_iter().map(|s| s.0).collect()))
    }
}

/// Reads tracing JSON lines from `reader` into `b`.
pub fn read(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder,
    stats: &mut InputStats,
) -> Result<()> {
    read_lines(name, reader, b, stats, JsonLines::default())
}

/// The JSON line format; counts the lines that are not JSON.
#[derive(Default)]
struct JsonLines {
    bad_lines: u64,
    /// Lines before the first JSON line (a shell command, a build's output): skipped, and not
    /// held against the log.
    prologue: u64,
    /// A JSON line was read.
    seen_json: bool,
}

/// Decodes a JSON line on its own (any thread): `None` for a blank line.
pub(super) struct JsonParser;

impl ParseLine for JsonParser {
    type Parsed<'a> = Option<serde_json::Result<Line<'a>>>;
    // `SPLIT` is left true since the fast path (2026-12-02): `--threads 2` on the 210 MB log,
    // median of 5 alternating, 1.10 s without the split, 0.98 s with it (before the fast path,
    // with serde alone, splitting measured no faster: freeing each line's span-field vector on
    // the applying thread cost glibc what the split saved).
    fn parse<'a>(&self, line: &'a str) -> Self::Parsed<'a> {
        if line.bytes().all(|c| c.is_ascii_whitespace()) {
            return None;
        }
        let mut parsed = match fast::line(line) {
            Some(parsed) => Ok(parsed),
            None => serde_json::from_str::<Line<'a>>(line),
        };
        if let Ok(l) = &mut parsed {
            // Read here, off the applying thread, for the lines `line` takes a time of.
            let message = l.fields.as_ref().map_or(&l.message, |f| &f.message);
            let timed = message
                .as_deref()
                .is_some_and(|m| m == RESPONSE_MESSAGE || Kind::from_message(m).is_some());
            if timed && l.span.is_some() {
                l.read_time = Some(l.timestamp.as_deref().and_then(parse_timestamp));
            }
        }
        Some(parsed)
    }
}

impl LineFormat for JsonLines {
    const WHAT: &'static str = "tracing-subscriber JSON";

    type Parser = JsonParser;

    fn parser(&self) -> JsonParser {
        JsonParser
    }

    fn line(
        &mut self,
        cx: &mut LineCx<'_, '_>,
        line_no: u64,
        line: &str,
        complete: bool,
        parsed: Option<serde_json::Result<Line<'_>>>,
    ) -> Result<Flow> {
        let Some(parsed) = parsed else {
            return Ok(Flow::Next);
        };
        let parsed: Line<'_> = match parsed {
            Ok(l) => l,
            Err(e) => {
                if !complete && e.is_eof() {
                    cx.stats.warn(format!(
                        "line {line_no}: the last line is cut off ({e}); kept everything before it"
                    ));
                    cx.skip();
                    return Ok(Flow::Stop);
                }
                // Line 1 decided the format when it opened like a JSON object; otherwise the
                // format was found on a later line, and what comes before it (a shell command, a
                // program's own output) is skipped like any line that is not JSON.
                if line_no == 1 && line.trim_start().starts_with('{') {
                    return Err(Error::line(
                        cx.name,
                        line_no,
                        format!(
                            "expected a JSON object per line (tracing-subscriber fmt().json()): {e}: {}",
                            excerpt(line, 60)
                        ),
                    ));
                }
                if self.seen_json {
                    self.bad_lines += 1;
                } else {
                    self.prologue += 1;
                }
                cx.skip();
                cx.stats
                    .warn(format!("line {line_no}: not a JSON log line, skipped: {e}"));
                return Ok(Flow::Next);
            }
        };
        self.seen_json = true;
        let (message, busy, idle, latency, status) = match parsed.fields {
            Some(f) => (f.message, f.busy, f.idle, f.latency, f.status),
            None => (
                parsed.message,
                parsed.busy,
                parsed.idle,
                parsed.latency,
                parsed.status,
            ),
        };
        if message.as_deref() == Some(RESPONSE_MESSAGE)
            && let (Some(SpanObj(span)), Some(latency)) =
                (&parsed.span, latency.as_deref().and_then(parse_latency))
        {
            let time = cx.time_read(parsed.timestamp.as_deref(), parsed.read_time, line_no);
            let thread = cx.thread(parsed.thread_id.as_deref(), parsed.thread_name.as_deref());
            let status = status.as_ref().map(|s| s.0.as_ref());
            cx.response(
                &ResponseEvent {
                    time,
                    thread,
                    target: parsed.target.as_deref(),
                    span,
                    latency,
                    status,
                },
                line_no,
            );
            return Ok(Flow::Next);
        }
        let kind = message.as_deref().and_then(Kind::from_message);
        let (Some(kind), Some(SpanObj(span))) = (kind, parsed.span) else {
            cx.skip();
            return Ok(Flow::Next);
        };
        let time = cx.time_read(parsed.timestamp.as_deref(), parsed.read_time, line_no);
        let thread = cx.thread(parsed.thread_id.as_deref(), parsed.thread_name.as_deref());
        let raw_spans = parsed.spans;
        let lazy = || {
            let mut context = raw_spans
                .and_then(|r| match fast::spans(r.0) {
                    Some(list) => Some(list.into_iter().map(|s| s.0).collect()),
                    None => serde_json::from_str::<SpanList>(r.0).ok().map(|s| s.0),
                })
                .unwrap_or_default();
            // For ENTER the entered stack ends with the span itself; not its own ancestor.
            if context
                .last()
                .is_some_and(|l| l.name == span.name && l.fields == span.fields)
            {
                context.pop();
            }
            context
        };
        cx.apply(&SpanEvent {
            kind,
            time,
            thread,
            target: parsed.target.as_deref(),
            span: &span,
            context: Context::Lazy(&lazy),
            context_exact: false,
            busy: busy.as_deref().and_then(parse_busy_idle),
            idle: idle.as_deref().and_then(parse_busy_idle),
        });
        Ok(Flow::Next)
    }

    fn end(self, cx: &mut LineCx<'_, '_>, lines: u64) -> Result<Option<String>> {
        let bad_lines = self.bad_lines + if self.seen_json { 0 } else { self.prologue };
        let lines = lines - if self.seen_json { self.prologue } else { 0 };
        if bad_lines * 2 > lines {
            return Err(Error::input(
                cx.name,
                format!(
                    "{bad_lines} of {lines} lines are not JSON: this is not a tracing JSON log"
                ),
            ));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str) -> Result<(crate::model::Trace, InputStats)> {
        let mut b = TraceBuilder::new();
        let mut rep = InputStats::new("t.log", crate::ingest::Format::TracingJson, false);
        let mut r = input.as_bytes();
        read("t.log", &mut r, &mut b, &mut rep)?;
        Ok((b.finish(), rep))
    }

    /// The decoding thread reads the timestamp of the lines whose time is taken (span events,
    /// tower-http's response events), not of the others.
    #[test]
    fn timestamps_read_where_lines_are_decoded() {
        let read = |line: &str| match JsonParser.parse(line) {
            Some(Ok(l)) => l.read_time,
            _ => panic!("not decoded: {line}"),
        };
        let at = Timestamp::Unix(1_764_498_600_123_000_000);
        let span = r#""span":{"name":"request"}"#;
        let ts = r#""timestamp":"2025-11-30T10:30:00.123Z""#;
        assert_eq!(
            read(&format!(
                r#"{{{ts},"fields":{{"message":"close","time.busy":"1ms"}},{span}}}"#
            )),
            Some(Some(at))
        );
        assert_eq!(
            read(&format!(r#"{{{ts},"message":"enter",{span}}}"#)),
            Some(Some(at)),
            "a flattened event"
        );
        assert_eq!(
            read(&format!(
                r#"{{"timestamp":"soon","fields":{{"message":"new"}},{span}}}"#
            )),
            Some(None),
            "read, and unreadable"
        );
        assert_eq!(
            read(&format!(
                r#"{{{ts},"fields":{{"message":"{RESPONSE_MESSAGE}"}},{span}}}"#
            )),
            Some(Some(at))
        );
        assert_eq!(
            read(&format!(
                r#"{{{ts},"fields":{{"message":"hello"}},{span}}}"#
            )),
            None
        );
        assert_eq!(
            read(&format!(r#"{{{ts},"fields":{{"message":"close"}}}}"#)),
            None
        );
    }

    fn response_line(ms: u64, id: u64, latency: &str) -> String {
        format!(
            r#"{{"timestamp":"2026-11-30T10:{:02}:{:02}.{:03}000Z","level":"DEBUG","fields":{{"message":"finished processing request","latency":"{latency}","status":200}},"target":"tower_http::trace::on_response","span":{{"method":"GET","uri":"/u/{id}","version":"HTTP/1.1","name":"request"}},"spans":[{{"method":"GET","uri":"/u/{id}","version":"HTTP/1.1","name":"request"}}]}}"#,
            ms / 60_000,
            ms / 1000 % 60,
            ms % 1000
        )
    }

    /// 1,500 `finished processing request` events and no lifecycle line: the first ones are
    /// held for 1,000 lines, then taken; every one is a closed span from end - latency to end.
    #[test]
    fn response_events_without_lifecycle_lines_are_requests() {
        let log: String = (0..1500u64)
            .map(|i| response_line(10 * i + 100, i, "7 ms") + "\n")
            .collect();
        let (t, stats) = run(&log).expect("reads");
        assert_eq!(t.spans.len(), 1500);
        assert_eq!((stats.events, stats.skipped), (1500, 0));
        let last = &t.spans[1499];
        assert_eq!(last.end - last.start, 7_000_000);
        assert_eq!(last.busy, None, "latency is not busy time");
        assert_eq!(t.field(last, "status"), Some("200"));
    }

    /// A CLOSE of a `request` span after 1,000 lines of events already taken as requests: the
    /// log has both; a warning says requests may count twice.
    #[test]
    fn a_late_close_line_is_warned_of() {
        let mut log: String = (0..1001u64)
            .map(|i| response_line(10 * i + 100, i, "7 ms") + "\n")
            .collect();
        log.push_str(r#"{"timestamp":"2026-11-30T10:00:20.000000Z","level":"DEBUG","fields":{"message":"close","time.busy":"1ms","time.idle":"7ms"},"target":"t","span":{"method":"GET","uri":"/u/0","name":"request"},"spans":[]}"#);
        let (t, stats) = run(&log).expect("reads");
        assert_eq!(t.spans.len(), 1002);
        assert!(
            stats
                .warnings
                .iter()
                .any(|w| w.contains("may be counted twice")),
            "{:?}",
            stats.warnings
        );
    }

    /// The span's own CLOSE after the event: the span is the request, the event is skipped.
    #[test]
    fn a_close_line_makes_the_span_the_request() {
        let close = r#"{"timestamp":"2026-11-30T10:00:00.108000Z","level":"DEBUG","fields":{"message":"close","time.busy":"1ms","time.idle":"7ms"},"target":"tower_http::trace::make_span","span":{"method":"GET","uri":"/u/0","version":"HTTP/1.1","name":"request"},"spans":[]}"#;
        let log = format!(
            "{}\n{close}\n{}\n",
            response_line(107, 0, "7 ms"),
            response_line(200, 1, "7 ms")
        );
        let (t, stats) = run(&log).expect("reads");
        assert_eq!(t.spans.len(), 1);
        assert_eq!(
            t.spans[0].end - t.spans[0].start,
            8_000_000,
            "busy + idle of the CLOSE"
        );
        assert_eq!((stats.events, stats.skipped), (1, 2));
    }

    #[test]
    fn full_span_events_with_threads() {
        let log = r#"{"timestamp":"2026-11-24T00:00:00.000000Z","level":"INFO","fields":{"message":"new"},"target":"app","span":{"method":"GET","request_id":1,"route":"/a","name":"http.request"},"spans":[],"threadId":"ThreadId(2)"}
{"timestamp":"2026-11-24T00:00:00.001000Z","level":"INFO","fields":{"message":"enter"},"target":"app","span":{"method":"GET","request_id":1,"route":"/a","name":"http.request"},"spans":[{"method":"GET","request_id":1,"route":"/a","name":"http.request"}],"threadId":"ThreadId(2)"}
{"timestamp":"2026-11-24T00:00:00.002000Z","level":"INFO","fields":{"message":"a log line"},"target":"app","span":{"method":"GET","request_id":1,"route":"/a","name":"http.request"},"threadId":"ThreadId(2)"}
{"timestamp":"2026-11-24T00:00:00.021000Z","level":"INFO","fields":{"message":"exit"},"target":"app","span":{"method":"GET","request_id":1,"route":"/a","name":"http.request"},"spans":[],"threadId":"ThreadId(2)"}
{"timestamp":"2026-11-24T00:00:00.050000Z","level":"INFO","fields":{"message":"close","time.busy":"20.0ms","time.idle":"30.0ms"},"target":"app","span":{"method":"GET","request_id":1,"route":"/a","status":200,"name":"http.request"},"spans":[],"threadId":"ThreadId(3)"}
"#;
        let (t, rep) = run(log).unwrap();
        assert_eq!(rep.events, 4);
        assert_eq!(rep.skipped, 1);
        assert_eq!(t.spans.len(), 1);
        let s = &t.spans[0];
        assert_eq!((s.start, s.end), (0, 50_000_000));
        assert_eq!(s.busy, Some(20_000_000));
        assert_eq!(t.field(s, "status"), Some("200"));
        assert_eq!(t.executions.len(), 1);
        assert_eq!(t.executions[0].duration(), 20_000_000);
        assert_eq!(t.thread(t.executions[0].thread.unwrap()).key, "ThreadId(2)");
        // Created on the NEW line's thread, closed on the CLOSE line's.
        let key = |th: Option<crate::model::ThreadIdx>| th.map(|th| t.thread(th).key.as_str());
        assert_eq!(key(s.opened_on), Some("ThreadId(2)"));
        assert_eq!(key(s.closed_on), Some("ThreadId(3)"));
        assert_eq!(t.clock.origin_unix_ns, Some(1_795_478_400_000_000_000));
    }

    #[test]
    fn flattened_close_only() {
        let log = r#"{"timestamp":"2026-11-24T00:00:01Z","level":"INFO","message":"close","time.busy":"1.00ms","time.idle":"99.0ms","target":"app","span":{"route":"/b","name":"http.request"}}"#;
        let (t, _) = run(log).unwrap();
        assert_eq!(t.spans.len(), 1);
        assert_eq!(t.spans[0].duration(), 100_000_000);
    }

    #[test]
    fn cut_off_last_line_is_a_warning() {
        let log = "{\"timestamp\":\"2026-11-24T00:00:01Z\",\"level\":\"INFO\",\"fields\":{\"message\":\"close\",\"time.busy\":\"1.00ms\",\"time.idle\":\"1.00ms\"},\"span\":{\"name\":\"x\"}}\n{\"timestamp\":\"2026-11-24T00:00:0";
        let (t, rep) = run(log).unwrap();
        assert_eq!(t.spans.len(), 1);
        assert!(rep.warnings[0].contains("line 2"), "{:?}", rep.warnings);
    }

    #[test]
    fn not_json_names_the_line() {
        // A first line that opens like JSON and is not: the error names it.
        let err = run("{hello world\n").unwrap_err().to_string();
        assert!(
            err.starts_with("t.log: line 1: expected a JSON object"),
            "{err}"
        );
        // Text alone: no line is JSON.
        let err = run("hello world\n").unwrap_err().to_string();
        assert!(err.contains("1 of 1 lines are not JSON"), "{err}");
    }

    /// A shell command and a build line before the log (found by the sniffer on line 3):
    /// skipped and counted, the log read.
    #[test]
    fn lines_before_the_first_json_line_are_skipped() {
        let log = concat!(
            "$ cargo run --release\n",
            "   Compiling app v0.1.0\n",
            r#"{"timestamp":"2026-11-24T00:00:00.100000Z","level":"INFO","fields":{"message":"close","time.busy":"1.00ms","time.idle":"99.0ms"},"target":"app","span":{"method":"GET","route":"/a","name":"http.request"}}"#,
            "\n"
        );
        assert_eq!(
            crate::ingest::sniff_bytes(log.as_bytes()),
            Ok(crate::ingest::Format::TracingJson)
        );
        let (t, rep) = run(log).expect("reads");
        assert_eq!(t.spans.len(), 1);
        assert_eq!(rep.skipped, 2);
        assert!(
            rep.warnings[0].starts_with("line 1: not a JSON log line"),
            "{:?}",
            rep.warnings
        );
    }

    #[test]
    fn no_span_events_is_an_error() {
        let log = r#"{"timestamp":"2026-11-24T00:00:01Z","level":"INFO","fields":{"message":"hi"},"target":"app"}"#;
        let err = run(log).unwrap_err().to_string();
        assert!(err.contains("no span events found"), "{err}");
    }
}
