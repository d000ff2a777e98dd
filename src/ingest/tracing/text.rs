//! tracing-subscriber's default text format (`Full` formatter), with or without ANSI colours:
//!
//! ```text
//! <timestamp> <LEVEL> [<thread name> ][<ThreadId(NN)> ]<span>{<fields>}:<span>: <target>: [<file>:<line>: ]<message> <k>=<v> ...
//! ```
//!
//! The span scope (root first) is printed for every event, including the span itself on its
//! own NEW/ENTER/EXIT/CLOSE lines, so the ancestry of every span is exact here.

use super::units::{parse_busy_idle, parse_timestamp, strip_ansi};
use super::{Context, Flow, InputStats, Kind, LineCx, LineFormat, SpanDesc, SpanEvent, read_lines};
use crate::error::Result;
use crate::model::TraceBuilder;
use std::borrow::Cow;
use std::io::BufRead;

const LEVELS: [&str; 5] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

/// True when `line` starts like a tracing text log line (timestamp then level, or a level).
pub fn looks_like_line(line: &str) -> bool {
    let line = strip_ansi(line);
    let mut words = line.split_whitespace();
    match words.next() {
        Some(w) if LEVELS.contains(&w) => true,
        Some(w) if parse_timestamp(w).is_some() => {
            words.next().is_some_and(|l| LEVELS.contains(&l))
        }
        _ => false,
    }
}

/// A parsed line, borrowing from the (ANSI-stripped) text.
#[derive(Debug, Default, PartialEq)]
struct TextLine<'a> {
    timestamp: Option<&'a str>,
    thread_name: Option<&'a str>,
    thread_id: Option<&'a str>,
    scope: Vec<SpanDesc<'a>>,
    target: Option<&'a str>,
    message: &'a str,
    fields: Vec<(&'a str, &'a str)>,
}

/// Splits `s` at `sep` occurring outside braces and double quotes.
fn split_top(s: &str, sep: &str) -> Vec<(usize, usize)> {
    let bytes = s.as_bytes();
    let sepb = sep.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'{' {
            depth += 1;
        } else if c == b'}' {
            depth -= 1;
        } else if depth == 0 && bytes[i..].starts_with(sepb) {
            out.push((start, i));
            i += sepb.len();
            start = i;
            continue;
        }
        i += 1;
    }
    out.push((start, bytes.len()));
    out
}

/// Parses `k=v k2="quoted value" k3=v3` (values may be Debug-quoted strings).
fn parse_kv(s: &str) -> Vec<(&str, &str)> {
    split_top(s.trim(), " ")
        .into_iter()
        .filter_map(|(a, b)| {
            let part = &s.trim()[a..b];
            let (k, v) = part.split_once('=')?;
            Some((k, v))
        })
        .collect()
}

/// Unquotes a Debug-printed string value (`"/a"` -> `/a`); other values are returned as is.
fn unquote(v: &str) -> Cow<'_, str> {
    match v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if inner.contains('\\') => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some(o) => out.push(o),
                        None => {}
                    }
                } else {
                    out.push(c);
                }
            }
            Cow::Owned(out)
        }
        Some(inner) => Cow::Borrowed(inner),
        None => Cow::Borrowed(v),
    }
}

fn parse_segment(seg: &str) -> SpanDesc<'_> {
    match seg.find('{') {
        Some(open) if seg.ends_with('}') => SpanDesc {
            name: Cow::Borrowed(&seg[..open]),
            fields: parse_kv(&seg[open + 1..seg.len() - 1])
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), unquote(v)))
                .collect(),
        },
        _ => SpanDesc {
            name: Cow::Borrowed(seg),
            fields: Vec::new(),
        },
    }
}

fn is_file_line(part: &str) -> bool {
    part.rsplit_once(':').is_some_and(|(f, l)| {
        !f.is_empty() && !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit())
    })
}

fn parse_line(line: &str) -> Option<TextLine<'_>> {
    let mut out = TextLine::default();
    let mut rest = line.trim_start();
    let (first, after) = rest.split_once(' ')?;
    if parse_timestamp(first).is_some() {
        out.timestamp = Some(first);
        rest = after.trim_start();
    }
    let (level, after) = rest.split_once(' ').unwrap_or((rest, ""));
    if !LEVELS.contains(&level) {
        return None;
    }
    rest = after.trim_start();
    // Parts separated by ": " outside braces/quotes: [threads + scope], target, [file:line], message.
    let parts = split_top(rest, ": ");
    let texts: Vec<&str> = parts.iter().map(|&(a, b)| &rest[a..b]).collect();
    let (message_part, head) = texts.split_last()?;
    let mut head: Vec<&str> = head.to_vec();
    if head.last().is_some_and(|p| is_file_line(p)) && head.len() >= 2 {
        head.pop();
    }
    out.target = head.pop();
    if let Some(scope_part) = head.first() {
        // Thread name / id words come first, separated by spaces at depth 0.
        let words = split_top(scope_part, " ");
        let ws: Vec<&str> = words
            .iter()
            .map(|&(a, b)| &scope_part[a..b])
            .filter(|w| !w.is_empty())
            .collect();
        if let Some((scope, threads)) = ws.split_last() {
            for w in threads {
                if w.starts_with("ThreadId(") {
                    out.thread_id = Some(w);
                } else {
                    out.thread_name = Some(w);
                }
            }
            out.scope = split_top(scope, ":")
                .into_iter()
                .map(|(a, b)| &scope[a..b])
                .filter(|s| !s.is_empty())
                .map(parse_segment)
                .collect();
        }
    } else if let Some(t) = out.target {
        // No span scope: the target may be preceded by thread words.
        let words: Vec<&str> = t.split(' ').filter(|w| !w.is_empty()).collect();
        if words.len() > 1 {
            out.target = words.last().copied();
            for w in &words[..words.len() - 1] {
                if w.starts_with("ThreadId(") {
                    out.thread_id = Some(w);
                } else {
                    out.thread_name = Some(w);
                }
            }
        }
    }
    let (message, kv) = message_part.split_once(' ').unwrap_or((message_part, ""));
    out.message = message;
    out.fields = parse_kv(kv);
    Some(out)
}

/// Reads a tracing text log from `reader` into `b`.
pub fn read(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder,
    stats: &mut InputStats,
) -> Result<()> {
    read_lines(name, reader, b, stats, TextLines::default())
}

/// The text line format; counts the lines that do not parse as log lines.
#[derive(Default)]
struct TextLines {
    unparsed: u64,
}

impl LineFormat for TextLines {
    const WHAT: &'static str = "a tracing-subscriber text log";

    fn line(
        &mut self,
        cx: &mut LineCx<'_, '_>,
        line_no: u64,
        bytes: &[u8],
        _complete: bool,
    ) -> Result<Flow> {
        let raw = String::from_utf8_lossy(bytes);
        let clean = strip_ansi(&raw);
        if clean.trim().is_empty() {
            return Ok(Flow::Next);
        }
        let Some(line) = parse_line(&clean) else {
            // Continuation lines (multi-line messages, panics) are normal in text logs.
            cx.skip();
            self.unparsed += 1;
            return Ok(Flow::Next);
        };
        let Some(kind) = Kind::from_message(line.message) else {
            cx.skip();
            return Ok(Flow::Next);
        };
        let Some((span, context)) = line.scope.split_last() else {
            cx.skip();
            return Ok(Flow::Next);
        };
        let time = cx.time(line.timestamp, line_no);
        let thread = cx.thread(line.thread_id, line.thread_name);
        let field = |k: &str| {
            line.fields
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| *v)
        };
        cx.apply(&SpanEvent {
            kind,
            time,
            thread,
            target: line.target,
            span,
            context: Context::Known(context),
            context_exact: true,
            busy: field("time.busy").and_then(parse_busy_idle),
            idle: field("time.idle").and_then(parse_busy_idle),
        });
        Ok(Flow::Next)
    }

    fn end(self, cx: &mut LineCx<'_, '_>, lines: u64) -> Result<Option<String>> {
        let unparsed = self.unparsed;
        if unparsed > 0 {
            cx.stats.warn(format!(
                "{unparsed} lines did not look like log lines (multi-line messages?) and were skipped"
            ));
        }
        Ok((unparsed == lines && lines > 0).then(|| {
            format!("none of the {lines} lines looks like '<timestamp> <LEVEL> <spans>: <target>: <message>'")
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_close_line_with_scope() {
        let l = r#"2026-11-24T00:30:40.839185Z  INFO http.request{method=GET route="/x y" request_id=4}:db.query{db.system="simulated" db.operation="SELECT"}: trace_lab::server: close time.busy=50.2ms time.idle=128µs"#;
        let p = parse_line(l).unwrap();
        assert_eq!(p.timestamp, Some("2026-11-24T00:30:40.839185Z"));
        assert_eq!(p.scope.len(), 2);
        assert_eq!(p.scope[0].name, "http.request");
        assert_eq!(
            p.scope[0].fields[1],
            (Cow::Borrowed("route"), Cow::Borrowed("/x y"))
        );
        assert_eq!(p.scope[1].name, "db.query");
        assert_eq!(p.target, Some("trace_lab::server"));
        assert_eq!(p.message, "close");
        assert_eq!(
            p.fields,
            vec![("time.busy", "50.2ms"), ("time.idle", "128µs")]
        );
    }

    #[test]
    fn parses_threads_file_and_fieldless_spans() {
        let l = "2026-11-24T00:30:40.839185Z DEBUG tokio-rt-worker ThreadId(03) req{id=1}:compute: app::srv: src/srv.rs:42: enter";
        let p = parse_line(l).unwrap();
        assert_eq!(p.thread_name, Some("tokio-rt-worker"));
        assert_eq!(p.thread_id, Some("ThreadId(03)"));
        assert_eq!(p.scope.len(), 2);
        assert_eq!(p.scope[1].name, "compute");
        assert!(p.scope[1].fields.is_empty());
        assert_eq!(p.target, Some("app::srv"));
        assert_eq!(p.message, "enter");
    }

    #[test]
    fn event_without_spans() {
        let p = parse_line("2026-11-24T00:30:40.839185Z  INFO app: listening addr=127.0.0.1:80")
            .unwrap();
        assert!(p.scope.is_empty());
        assert_eq!(p.target, Some("app"));
        assert_eq!(p.message, "listening");
    }

    #[test]
    fn ansi_log_reads_like_plain() {
        let plain = "2026-11-24T00:00:00.100000Z  INFO req{id=1}: app: close time.busy=1.00ms time.idle=99.0ms\n";
        let ansi = "\x1b[2m2026-11-24T00:00:00.100000Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[1mreq\x1b[0m\x1b[1m{\x1b[0mid\x1b[0m\x1b[2m=\x1b[0m1\x1b[1m}\x1b[0m\x1b[2m:\x1b[0m \x1b[2mapp\x1b[0m\x1b[2m:\x1b[0m close \x1b[3mtime.busy\x1b[0m\x1b[2m=\x1b[0m1.00ms \x1b[3mtime.idle\x1b[0m\x1b[2m=\x1b[0m99.0ms\n";
        for input in [plain, ansi] {
            let mut b = TraceBuilder::new();
            let mut rep = InputStats::new("x", crate::ingest::Format::TracingText, false);
            let mut r = input.as_bytes();
            read("x", &mut r, &mut b, &mut rep).unwrap();
            let t = b.finish();
            assert_eq!(t.spans.len(), 1, "{input:?}");
            assert_eq!(t.spans[0].duration(), 100_000_000);
            assert_eq!(t.spans[0].busy, Some(1_000_000));
        }
    }

    #[test]
    fn looks_like() {
        assert!(looks_like_line("2026-11-24T00:30:40.839185Z  INFO x: y"));
        assert!(!looks_like_line("hello world"));
    }
}
