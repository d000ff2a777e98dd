//! Input formats. This is the only module that knows a file format; each submodule feeds a
//! [`TraceBuilder`]. The format is chosen by content, never by file name; gzip is detected by its
//! magic bytes.

pub mod chrome;
pub mod console;
mod text_util;
mod tracing_common;
pub mod tracing_json;
pub mod tracing_text;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::model::{Trace, TraceBuilder, TreeSink};
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// The formats stallscope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// tracing-subscriber `fmt().json()`: one JSON object per line.
    TracingJson,
    /// tracing-subscriber's default text format.
    TracingText,
    /// Chrome trace-event JSON (DevTools exports, chrome://tracing, tracing-chrome).
    ChromeTrace,
    /// console-subscriber recording (JSON lines with a `{"v":1}` header).
    ConsoleRecording,
    /// A live capture written by `stallscope record`.
    ConsoleCapture,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::TracingJson => "tracing-json",
            Format::TracingText => "tracing-text",
            Format::ChromeTrace => "chrome-trace",
            Format::ConsoleRecording => "console-recording",
            Format::ConsoleCapture => "console-capture",
        }
    }
}

/// What reading one input found, besides the trace.
#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    pub path: String,
    pub format: Format,
    /// Records read and used (lines, trace events).
    pub events: u64,
    /// Records read and skipped (log lines that are not span events, unknown event kinds...).
    pub skipped: u64,
    pub warnings: Vec<String>,
    pub gzip: bool,
}

impl InputReport {
    pub fn warn(&mut self, msg: impl Into<String>) {
        // Keep the list readable: a broken file could otherwise warn once per line.
        const MAX: usize = 20;
        if self.warnings.len() < MAX {
            self.warnings.push(msg.into());
        } else if self.warnings.len() == MAX {
            self.warnings
                .push("further warnings suppressed".to_string());
        }
    }
}

/// One input read into the model.
#[derive(Debug)]
pub struct Ingested {
    pub trace: Trace,
    pub report: InputReport,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads one input (`-` = stdin) into a whole [`Trace`].
pub fn ingest(path: &Path, config: &Config) -> Result<Ingested> {
    ingest_to(path, config, None)
}

/// Reads one input, handing each span tree to `sink` as soon as it finishes; the returned trace
/// holds only what was still open at the end (and everything that is not a span tree).
pub fn ingest_streaming(path: &Path, config: &Config, sink: &mut dyn TreeSink) -> Result<Ingested> {
    ingest_to(path, config, Some(sink))
}

fn new_builder<'s>(sink: Option<&'s mut dyn TreeSink>) -> TraceBuilder<'s> {
    match sink {
        Some(s) => TraceBuilder::with_sink(s),
        None => TraceBuilder::new(),
    }
}

fn ingest_to(path: &Path, config: &Config, sink: Option<&mut dyn TreeSink>) -> Result<Ingested> {
    let name = path.display().to_string();
    let io_err = |source| Error::Io {
        path: name.clone(),
        source,
    };
    if name == "-" {
        let stdin = io::stdin();
        let reader = BufReader::with_capacity(1 << 18, stdin.lock());
        return ingest_reader(&name, Box::new(reader), config, sink);
    }
    let file = File::open(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if meta.is_dir() {
        return Err(Error::input(&name, "is a directory, expected a trace file"));
    }
    let mut head = [0u8; 4096];
    let n = {
        let mut f = &file;
        read_up_to(&mut f, &mut head).map_err(io_err)?
    };
    let gzip = n >= 2 && head[..2] == GZIP_MAGIC;
    let chrome = !gzip && sniff_bytes(&head[..n]).is_ok_and(|f| f == Format::ChromeTrace);
    if !chrome || !meta.is_file() {
        // Line formats stream (memory stays flat whatever the file size); so do gzip and pipes.
        // A pipe (`<(zcat app.log.gz)`) cannot be opened again from its start: its first bytes
        // go in front of the rest.
        let file: Box<dyn Read> = if meta.is_file() {
            Box::new(File::open(path).map_err(io_err)?)
        } else {
            Box::new(io::Cursor::new(head[..n].to_vec()).chain(file))
        };
        let reader = Progress::new(file, &name, meta.len(), config.progress);
        let result = ingest_reader(
            &name,
            Box::new(BufReader::with_capacity(1 << 18, reader)),
            config,
            sink,
        );
        Progress::<Box<dyn Read>>::clear(meta.len(), config.progress);
        return result;
    }
    // An uncompressed Chrome trace: map it, so the reader can borrow strings from it.
    // SAFETY: the map is read-only; a file truncated by another process while we read it is the
    // only hazard (SIGBUS), the same trade-off ripgrep makes for regular files.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io_err)?;
    ingest_bytes_to(&name, &map, false, config, sink)
}

/// Progress on stderr while reading a big file, for a person at a terminal: at most every
/// half second, only for files over 64 MB, and cleared when done.
struct Progress<R> {
    inner: R,
    name: String,
    total: u64,
    done: u64,
    last: std::time::Instant,
    enabled: bool,
}

const PROGRESS_MIN_BYTES: u64 = 64 << 20;

impl<R: Read> Progress<R> {
    fn new(inner: R, name: &str, total: u64, enabled: bool) -> Self {
        Progress {
            inner,
            name: name.to_string(),
            total,
            done: 0,
            last: std::time::Instant::now(),
            enabled: enabled && total >= PROGRESS_MIN_BYTES,
        }
    }

    fn clear(total: u64, enabled: bool) {
        if enabled && total >= PROGRESS_MIN_BYTES {
            eprint!("\r\x1b[2K");
        }
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.enabled && self.last.elapsed().as_millis() >= 500 {
            self.last = std::time::Instant::now();
            eprint!(
                "\rstallscope: reading {}: {}% ({} of {} MB)",
                self.name,
                self.done * 100 / self.total.max(1),
                self.done >> 20,
                self.total >> 20
            );
        }
        Ok(n)
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

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

/// Reads from a stream: gunzips when the magic says so, then sniffs and parses.
pub fn ingest_reader(
    name: &str,
    mut reader: Box<dyn BufRead + '_>,
    config: &Config,
    sink: Option<&mut dyn TreeSink>,
) -> Result<Ingested> {
    let io_err = |source| Error::Io {
        path: name.to_string(),
        source,
    };
    let head = reader.fill_buf().map_err(io_err)?;
    let gzip = head.starts_with(&GZIP_MAGIC);
    let mut reader: Box<dyn BufRead + '_> = if gzip {
        Box::new(BufReader::with_capacity(
            1 << 18,
            flate2::bufread::MultiGzDecoder::new(reader),
        ))
    } else {
        reader
    };
    let format = sniff(name, &mut reader)?;
    let mut report = new_report(name, format, gzip);
    let mut builder = new_builder(sink);
    match format {
        Format::TracingJson => {
            tracing_json::read(name, &mut reader, &mut builder, &mut report, config)?
        }
        Format::TracingText => {
            tracing_text::read(name, &mut reader, &mut builder, &mut report, config)?
        }
        Format::ConsoleRecording => {
            console::read(name, &mut reader, &mut builder, &mut report, config)?
        }
        Format::ConsoleCapture => {
            console::read_capture(name, &mut reader, &mut builder, &mut report, config)?
        }
        Format::ChromeTrace => {
            chrome::read_stream(name, &mut reader, &mut builder, &mut report, config)?
        }
    }
    finish(builder, report)
}

/// Reads from bytes already in memory (a mapped file).
pub fn ingest_bytes(name: &str, bytes: &[u8], gzip: bool, config: &Config) -> Result<Ingested> {
    ingest_bytes_to(name, bytes, gzip, config, None)
}

/// Reads from bytes in memory, handing span trees to `sink` as they finish.
pub fn ingest_bytes_streaming(
    name: &str,
    bytes: &[u8],
    config: &Config,
    sink: &mut dyn TreeSink,
) -> Result<Ingested> {
    ingest_bytes_to(name, bytes, false, config, Some(sink))
}

fn ingest_bytes_to(
    name: &str,
    bytes: &[u8],
    gzip: bool,
    config: &Config,
    sink: Option<&mut dyn TreeSink>,
) -> Result<Ingested> {
    let mut cursor: &[u8] = bytes;
    let format = sniff(name, &mut cursor)?;
    let mut report = new_report(name, format, gzip);
    let mut builder = new_builder(sink);
    match format {
        Format::ChromeTrace => chrome::read(name, bytes, &mut builder, &mut report, config)?,
        Format::TracingJson => {
            tracing_json::read(name, &mut cursor, &mut builder, &mut report, config)?
        }
        Format::TracingText => {
            tracing_text::read(name, &mut cursor, &mut builder, &mut report, config)?
        }
        Format::ConsoleRecording => {
            console::read(name, &mut cursor, &mut builder, &mut report, config)?
        }
        Format::ConsoleCapture => {
            console::read_capture(name, &mut cursor, &mut builder, &mut report, config)?
        }
    }
    finish(builder, report)
}

fn new_report(name: &str, format: Format, gzip: bool) -> InputReport {
    InputReport {
        path: name.to_string(),
        format,
        events: 0,
        skipped: 0,
        warnings: Vec::new(),
        gzip,
    }
}

fn finish(builder: TraceBuilder, mut report: InputReport) -> Result<Ingested> {
    if builder.unmatched_exits > 0 {
        report.warn(format!(
            "{} exits/ends matched no enter/begin on their thread; ignored",
            builder.unmatched_exits
        ));
    }
    Ok(Ingested {
        trace: builder.finish(),
        report,
    })
}

/// Chooses the format from the first bytes, without consuming them.
fn sniff(name: &str, reader: &mut dyn BufRead) -> Result<Format> {
    let head = reader.fill_buf().map_err(|source| Error::Io {
        path: name.to_string(),
        source,
    })?;
    sniff_bytes(head).map_err(|msg| Error::input(name, msg))
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
            if tracing_text::looks_like_line(&first) {
                Ok(Format::TracingText)
            } else {
                Err(format!(
                    "unrecognised input: the first line does not look like a trace ({}); expected a tracing-subscriber log (JSON or text), a Chrome trace or a console recording",
                    text_util::excerpt(&first, 60)
                ))
            }
        }
    }
}
