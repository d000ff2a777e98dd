//! Telling the format of an input from its first bytes, never from its name.

use super::Format;
use super::asyncio;
use super::lines::excerpt;
use super::source::{GZIP_MAGIC, read_up_to};
use super::tracing;
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// The format of a regular file from its first bytes (gunzipped if need be), without reading
/// on; `None` for stdin and pipes (their bytes cannot be read twice), an unreadable file or an
/// unknown format (reading it will say why).
pub fn peek_format(path: &Path) -> Option<Format> {
    if path.as_os_str() == "-" || !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut file = BufReader::new(File::open(path).ok()?);
    let gzip = file.fill_buf().ok()?.starts_with(&GZIP_MAGIC);
    let mut head = vec![0u8; 4096];
    let n = if gzip {
        read_up_to(&mut flate2::bufread::MultiGzDecoder::new(file), &mut head).ok()?
    } else {
        read_up_to(&mut file, &mut head).ok()?
    };
    sniff_bytes(&head[..n]).ok()
}

/// Chooses the format from the first bytes that are not blank, without consuming them. Blank
/// bytes before them are dropped a buffer at a time (bounded memory), so a stream that starts
/// with more blank space than one buffer holds is still read, not called empty.
pub(super) fn sniff(name: &str, reader: &mut dyn BufRead) -> Result<Format> {
    let io = |source| Error::Io {
        path: name.to_string(),
        source,
    };
    let mut blank = false;
    loop {
        let head = reader.fill_buf().map_err(io)?;
        if head.is_empty() {
            let found: &[u8] = if blank { b" " } else { b"" };
            return sniff_bytes(found).map_err(|msg| Error::input(name, msg));
        }
        if !head.iter().all(u8::is_ascii_whitespace) {
            return sniff_bytes(head).map_err(|msg| Error::input(name, msg));
        }
        let n = head.len();
        reader.consume(n);
        blank = true;
    }
}

/// How many lines may come before the first log line of a text log (a shell command, a
/// program's own output, a progress bar).
const TEXT_LOOKAHEAD_LINES: usize = 50;

/// True when one of the first complete lines of `body` after the first is a line `is_log`
/// accepts: the format is decided by the first lines that parse, not by line 1.
fn log_after_other_lines(body: &[u8], is_log: impl Fn(&[u8]) -> bool) -> bool {
    let complete = match memchr::memrchr(b'\n', body) {
        Some(end) => &body[..end],
        None => return false,
    };
    complete
        .split(|&b| b == b'\n')
        .skip(1)
        .take(TEXT_LOOKAHEAD_LINES)
        .any(is_log)
}

/// A tracing text log line follows other lines.
fn text_log_after_other_lines(body: &[u8]) -> bool {
    log_after_other_lines(body, |line| {
        tracing::text::looks_like_line(&String::from_utf8_lossy(line))
    })
}

/// A tracing JSON log line (an object with two of `level`, `fields`, `span`) follows other
/// lines: a shell command or a program's output before a JSON log.
fn json_log_after_other_lines(body: &[u8]) -> bool {
    log_after_other_lines(body, |line| {
        let line = line.trim_ascii();
        line.starts_with(b"{")
            && [&b"\"level\""[..], b"\"fields\"", b"\"span\""]
                .iter()
                .filter(|k| memchr::memmem::find(line, k).is_some())
                .count()
                >= 2
    })
}

/// An asyncio debug log: one of the first lines is asyncio's slow-callback warning, and no
/// tracing text line comes before it (a tracing log may quote such a message later on).
fn asyncio_log(body: &[u8]) -> bool {
    // A JSON document or a Chrome array is never one.
    let second = body[1..]
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r'));
    if body[0] == b'{'
        || (body[0] == b'[' && second.is_none_or(|b| matches!(b, b'{' | b']' | b'\n')))
    {
        return false;
    }
    for line in body.split(|&b| b == b'\n').take(TEXT_LOOKAHEAD_LINES) {
        if asyncio::looks_like_line(line) {
            return true;
        }
        if tracing::text::looks_like_line(&String::from_utf8_lossy(line)) {
            return false;
        }
    }
    false
}
/// What the error messages list as read.
const READS: &str = "it reads tracing-subscriber logs (JSON or text), Chrome traces (a DevTools Performance export, tracing-chrome, viztracer), tokio-console recordings, OpenTelemetry spans (OTLP/JSON, Jaeger JSON, Zipkin v2 JSON), HAR files (a browser's network export) and asyncio debug logs";

/// Trace formats people save that stallscope does not read yet, recognised by their keys so
/// the error can say what the file is.
fn not_read_yet(body: &[u8]) -> Option<String> {
    let has = |k: &[u8]| memchr::memmem::find(body, k).is_some();
    let what = if has(b"\"traceEvents\"") || has(b"\"ph\"") {
        return None;
    } else if has(b"\"resourceMetrics\"") && !has(b"\"resourceSpans\"") {
        "OpenTelemetry metrics as OTLP/JSON (resourceMetrics), not spans"
    } else if has(b"\"resourceLogs\"") && !has(b"\"resourceSpans\"") {
        "OpenTelemetry logs as OTLP/JSON (resourceLogs), not spans"
    } else if has(b"\"binaryAnnotations\"") {
        "Zipkin v1 JSON spans (binaryAnnotations): export Zipkin v2 JSON instead"
    } else if has(b"\"context\"") && has(b"\"span_id\"") && has(b"\"SpanKind.") {
        "the OpenTelemetry Python SDK's ConsoleSpanExporter output (not OTLP): export OTLP/JSON instead"
    } else {
        return None;
    };
    Some(format!(
        "{what}: stallscope does not read this format yet; {READS}"
    ))
}

/// A HAR document: its root object opens with the `log` key (HAR 1.2's only required key),
/// pretty-printed or not.
fn is_har(body: &[u8]) -> bool {
    let start: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .take(8)
        .collect();
    start.starts_with(b"{\"log\":{")
}

/// Distributed-tracing span formats, by their keys (never when Chrome's keys are there: a
/// Chrome event may carry trace context in its args).
fn span_format(body: &[u8]) -> Option<Format> {
    let has = |k: &[u8]| memchr::memmem::find(body, k).is_some();
    if has(b"\"traceEvents\"") || has(b"\"ph\"") {
        None
    } else if has(b"\"resourceSpans\"") || has(b"\"resource_spans\"") {
        Some(Format::OtlpJson)
    } else if has(b"\"traceID\"") && (has(b"\"spanID\"") || has(b"\"spans\"")) {
        Some(Format::JaegerJson)
    } else if has(b"\"traceId\"")
        && (has(b"\"localEndpoint\"")
            || has(b"\"parentId\"")
            || (has(b"\"id\"") && has(b"\"timestamp\"")))
    {
        Some(Format::ZipkinJson)
    } else {
        None
    }
}

/// The keys of a one-line JSON object, to say what an unknown JSON input looked like.
fn object_keys(line: &[u8]) -> Option<String> {
    let map: std::collections::BTreeMap<String, serde::de::IgnoredAny> =
        serde_json::from_slice(line).ok()?;
    let keys: Vec<&str> = map.keys().take(6).map(String::as_str).collect();
    Some(format!(
        " (an object with keys {}{})",
        keys.join(", "),
        if map.len() > 6 { ", ..." } else { "" }
    ))
}

/// Binary data: a NUL byte, or many bytes that are neither printable, white space, ESC (ANSI
/// colours) nor part of UTF-8 text, in the first 512 bytes.
fn looks_binary(body: &[u8]) -> bool {
    let head = &body[..body.len().min(512)];
    if head.contains(&0) {
        return true;
    }
    let text = String::from_utf8_lossy(head);
    let odd = text
        .chars()
        .filter(|c| {
            *c == char::REPLACEMENT_CHARACTER
                // ESC starts the colours of an ANSI log: text.
                || (c.is_control() && !c.is_whitespace() && *c != '\u{1b}')
        })
        .count();
    odd * 10 > text.chars().count()
}

/// Decides the format from a prefix of the (decompressed) input.
pub fn sniff_bytes(head: &[u8]) -> std::result::Result<Format, String> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        let found = if head.is_empty() {
            "no bytes"
        } else {
            "only blank space"
        };
        return Err(format!(
            "empty input ({found}): expected a trace (a tracing-subscriber log, a Chrome trace, a console recording, OpenTelemetry spans or an asyncio debug log); was the recording written out before the file was copied?"
        ));
    };
    let body = &head[start..];
    if asyncio_log(body) {
        return Ok(Format::AsyncioDebug);
    }
    match body[0] {
        // `kubectl logs --prefix` starts every line with `[pod/name/container] `.
        b'[' if tracing::text::looks_like_line(&String::from_utf8_lossy(
            &body[..memchr::memchr(b'\n', body).unwrap_or(body.len())],
        )) =>
        {
            Ok(Format::TracingText)
        }
        // A line like `[build] done` before a text log (a Chrome array opens with `[`, then `{`,
        // `]` or the end of the line).
        b'[' if !body[1..]
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\r'))
            .is_none_or(|b| matches!(b, b'{' | b']' | b'\n'))
            && text_log_after_other_lines(body) =>
        {
            Ok(Format::TracingText)
        }
        b'[' => match not_read_yet(body) {
            Some(what) => Err(what),
            None => Ok(span_format(body).unwrap_or(Format::ChromeTrace)),
        },
        b'{' => {
            let line_end = memchr::memchr(b'\n', body).unwrap_or(body.len());
            let first = &body[..line_end];
            // Only its start is looked at (a one-line Chrome trace is the whole file).
            let compact: Vec<u8> = first
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .take(64)
                .collect();
            if compact.starts_with(b"{\"v\":") {
                return Ok(Format::ConsoleRecording);
            }
            if compact.starts_with(b"{\"stallscope_console_capture\":") {
                return Ok(Format::ConsoleCapture);
            }
            // An OTLP document says so first (its attributes may be keyed `level`, `target`...).
            if compact.starts_with(b"{\"resourceSpans\":")
                || compact.starts_with(b"{\"resource_spans\":")
            {
                return Ok(Format::OtlpJson);
            }
            if is_har(body) {
                return Ok(Format::Har);
            }
            let in_first = |k: &[u8]| memchr::memmem::find(first, k).is_some();
            // A tracing JSON line may carry any field (a `traceId` of its own): its own keys win.
            let surely_tracing = in_first(b"\"level\"")
                && (in_first(b"\"fields\"") || in_first(b"\"span\"") || in_first(b"\"target\""));
            if !surely_tracing && let Some(what) = not_read_yet(body) {
                return Err(what);
            }
            if !surely_tracing && let Some(format) = span_format(body) {
                return Ok(format);
            }
            if memchr::memmem::find(body, b"\"traceEvents\"").is_some()
                || memchr::memmem::find(first, b"\"ph\"").is_some()
            {
                return Ok(Format::ChromeTrace);
            }
            let looks_tracing = [
                &b"\"level\""[..],
                b"\"fields\"",
                b"\"target\"",
                b"\"timestamp\"",
                b"\"span\"",
            ]
            .iter()
            .any(|k| memchr::memmem::find(first, k).is_some());
            if looks_tracing {
                return Ok(Format::TracingJson);
            }
            if line_end == body.len()
                || first.iter().filter(|b| !b.is_ascii_whitespace()).count() <= 1
            {
                // A pretty-printed object spanning lines: only the Chrome object form is like that.
                return Ok(Format::ChromeTrace);
            }
            Err(format!(
                "JSON of an unknown shape{}: expected tracing-subscriber JSON lines (keys timestamp, level, fields, span), a Chrome trace ({{\"traceEvents\": [...]}}), a console recording ({{\"v\":1}} header), OTLP/JSON spans ({{\"resourceSpans\": [...]}}), Jaeger JSON ({{\"data\": [{{\"traceID\", \"spans\"}}]}}), Zipkin v2 JSON ([{{\"traceId\", \"id\", \"timestamp\"}}]) or a HAR ({{\"log\": {{\"entries\": [...]}}}}); {FIX}",
                object_keys(first).unwrap_or_default()
            ))
        }
        _ if looks_binary(body) => Err(format!(
            "binary data (not text, and not gzip): expected a trace as text or gzip; {FIX}"
        )),
        _ => {
            let line_end = memchr::memchr(b'\n', body).unwrap_or(body.len());
            let first = String::from_utf8_lossy(&body[..line_end]);
            if tracing::text::looks_like_line(&first) || text_log_after_other_lines(body) {
                Ok(Format::TracingText)
            } else if json_log_after_other_lines(body) {
                Ok(Format::TracingJson)
            } else {
                Err(format!(
                    "unrecognised input: the first line does not look like a trace ({}), nor do the next ones; expected a tracing-subscriber log (JSON or text), a Chrome trace, a console recording, OpenTelemetry spans (OTLP/JSON, Jaeger, Zipkin), a HAR or an asyncio debug log (slow-callback lines); {FIX}",
                    excerpt(&first, 60)
                ))
            }
        }
    }
}

/// The likely fix, ending every "not a trace" message (the Chrome reader's too).
pub(super) const FIX: &str = "is it the file you meant? `stallscope analyze --help` lists the formats read, the README's \"Supported inputs\" how to record each";

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str =
        "2024-05-25T02:39:09.010000Z  INFO a{method=GET}: app: close time.busy=1ms time.idle=1ms\n";

    #[test]
    fn formats_not_read_yet_are_named() {
        for (input, what) in [
            (r#"{"resourceMetrics":[]}"#, "OpenTelemetry metrics"),
            (r#"{"resourceLogs":[]}"#, "OpenTelemetry logs"),
            (
                r#"[{"traceId":"a","id":"b","binaryAnnotations":[]}]"#,
                "Zipkin v1",
            ),
            (
                r#"{"name":"GET","context":{"trace_id":"0x1","span_id":"0x2"},"kind":"SpanKind.SERVER"}"#,
                "ConsoleSpanExporter",
            ),
        ] {
            let err = sniff_bytes(input.as_bytes()).expect_err(what);
            assert!(
                err.contains(what) && err.contains("does not read this format yet"),
                "{err}"
            );
        }
        // A tracing JSON line that logs trace context is still a tracing log.
        let line = r#"{"timestamp":"2026-01-01T00:00:00Z","level":"INFO","fields":{"message":"close","traceId":"a","parentId":"b"},"span":{"name":"r"}}"#;
        assert_eq!(sniff_bytes(line.as_bytes()), Ok(Format::TracingJson));
        // A Chrome event may hold such keys in its args.
        let chrome = r#"[{"ph":"X","name":"a","ts":0,"args":{"traceId":"a","parentId":"b"}}]"#;
        assert_eq!(sniff_bytes(chrome.as_bytes()), Ok(Format::ChromeTrace));
    }

    #[test]
    fn asyncio_debug_logs_are_found_by_their_slow_callback_lines() {
        let slow = "Executing <Handle f() at a.py:1> took 0.150 seconds\n";
        for head in [
            "",
            "2026-01-01 12:00:00,123 WARNING asyncio ",
            "WARNING:asyncio:",
            "[2026-01-01T12:00:00Z] WARNING ",
        ] {
            let input = format!("{head}{slow}");
            assert_eq!(
                sniff_bytes(input.as_bytes()),
                Ok(Format::AsyncioDebug),
                "{head}"
            );
        }
        // After a program's own output.
        let input = format!("Starting server\nlistening on :8000\n{slow}");
        assert_eq!(sniff_bytes(input.as_bytes()), Ok(Format::AsyncioDebug));
        // A tracing text log that quotes one later stays a tracing log.
        let input = format!("{LOG}{slow}");
        assert_eq!(sniff_bytes(input.as_bytes()), Ok(Format::TracingText));
        // A tracing JSON line quoting one stays a tracing log.
        let json = r#"{"timestamp":"2026-01-01T00:00:00Z","level":"WARN","fields":{"message":"Executing <Handle f() at a.py:1> took 0.150 seconds"}}"#;
        assert_eq!(sniff_bytes(json.as_bytes()), Ok(Format::TracingJson));
    }

    #[test]
    fn span_formats_are_told_apart() {
        for (input, format) in [
            (r#"{"resourceSpans":[]}"#, Format::OtlpJson),
            ("{\n  \"resourceSpans\": [\n", Format::OtlpJson),
            (r#"{"resource_spans":[]}"#, Format::OtlpJson),
            (
                r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"level","value":{"stringValue":"x"}},{"key":"target","value":{"stringValue":"y"}}]}]}]}]}"#,
                Format::OtlpJson,
            ),
            (
                r#"{"data":[{"traceID":"a","spans":[{"spanID":"b"}]}]}"#,
                Format::JaegerJson,
            ),
            (r#"{"traceID":"a","spans":[]}"#, Format::JaegerJson),
            (
                r#"[{"traceId":"a","id":"b","parentId":"c","timestamp":1}]"#,
                Format::ZipkinJson,
            ),
            (
                r#"[{"traceId":"a","id":"b","timestamp":1,"duration":2}]"#,
                Format::ZipkinJson,
            ),
            (
                r#"[[{"traceId":"a","id":"b","localEndpoint":{}}]]"#,
                Format::ZipkinJson,
            ),
        ] {
            assert_eq!(sniff_bytes(input.as_bytes()), Ok(format), "{input}");
        }
    }

    #[test]
    fn unknown_json_names_its_keys() {
        let err = sniff_bytes(b"{\"spans\":1,\"name\":\"x\"}\n{}\n").expect_err("unknown");
        assert!(
            err.starts_with("JSON of an unknown shape (an object with keys name, spans):"),
            "{err}"
        );
    }

    #[test]
    fn binary_data_is_named() {
        let bytes: Vec<u8> = (0..400u32).map(|i| (i * 37 % 256) as u8).collect();
        let err = sniff_bytes(&bytes[1..]).expect_err("binary");
        assert!(err.starts_with("binary data"), "{err}");
    }

    #[test]
    fn a_text_log_is_found_after_other_lines() {
        for head in [
            "$ cargo run --release\n",
            "n: 20\n",
            "[build] done in 2.3s\n",
            "\u{280b} proving [00:00:01]\n",
        ] {
            let input = format!("{head}{LOG}{LOG}");
            assert_eq!(
                sniff_bytes(input.as_bytes()),
                Ok(Format::TracingText),
                "{head}"
            );
        }
        let kubectl = format!("[pod/web-1/app] {LOG}");
        assert_eq!(sniff_bytes(kubectl.as_bytes()), Ok(Format::TracingText));
    }

    #[test]
    fn chrome_arrays_and_unknown_text_stay_what_they_were() {
        assert_eq!(
            sniff_bytes(b"[\n{\"ph\":\"M\",\"pid\":1}"),
            Ok(Format::ChromeTrace)
        );
        assert_eq!(sniff_bytes(b"[{\"ph\":\"B\"}]"), Ok(Format::ChromeTrace));
        assert!(sniff_bytes(b"hello\nworld\n").is_err());
    }
}
