//! Telling the format of an input from its first bytes, never from its name.

use super::Format;
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

/// Chooses the format from the first bytes, without consuming them.
pub(super) fn sniff(name: &str, reader: &mut dyn BufRead) -> Result<Format> {
    let head = reader.fill_buf().map_err(|source| Error::Io {
        path: name.to_string(),
        source,
    })?;
    sniff_bytes(head).map_err(|msg| Error::input(name, msg))
}

/// How many lines may come before the first log line of a text log (a shell command, a
/// program's own output, a progress bar).
const TEXT_LOOKAHEAD_LINES: usize = 50;

/// True when one of the first complete lines of `body` after the first is a tracing text log
/// line: the format is decided by the first lines that parse, not by line 1.
fn text_log_after_other_lines(body: &[u8]) -> bool {
    let complete = match memchr::memrchr(b'\n', body) {
        Some(end) => &body[..end],
        None => return false,
    };
    complete
        .split(|&b| b == b'\n')
        .skip(1)
        .take(TEXT_LOOKAHEAD_LINES)
        .any(|line| tracing::text::looks_like_line(&String::from_utf8_lossy(line)))
}

/// Decides the format from a prefix of the (decompressed) input.
pub fn sniff_bytes(head: &[u8]) -> std::result::Result<Format, String> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err("empty input: expected a trace (tracing-subscriber log, Chrome trace or console recording)".into());
    };
    let body = &head[start..];
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
        b'[' => Ok(Format::ChromeTrace),
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
            Err("JSON of an unknown shape: expected tracing-subscriber JSON lines (keys timestamp, level, fields, span), a Chrome trace ({\"traceEvents\": [...]}) or a console recording ({\"v\":1} header)".into())
        }
        _ => {
            let line_end = memchr::memchr(b'\n', body).unwrap_or(body.len());
            let first = String::from_utf8_lossy(&body[..line_end]);
            if tracing::text::looks_like_line(&first) || text_log_after_other_lines(body) {
                Ok(Format::TracingText)
            } else {
                Err(format!(
                    "unrecognised input: the first line does not look like a trace ({}), nor do the next ones; expected a tracing-subscriber log (JSON or text), a Chrome trace or a console recording",
                    excerpt(&first, 60)
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str =
        "2024-05-25T02:39:09.010000Z  INFO a{method=GET}: app: close time.busy=1ms time.idle=1ms\n";

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
