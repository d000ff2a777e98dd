//! Input formats. This is the only module that knows a file format; each submodule feeds a
//! `TraceBuilder`. The format is chosen by content, never by file name; gzip is detected by its
//! magic bytes.
//!
//! This file holds what every input has in common: the `Format` list, what reading one input
//! gives back (`Ingested`), the entry points, and the one dispatch from an opened input to the
//! reader of its format. Opening inputs is in `source`, telling formats apart in `sniff`.

pub mod asyncio;
pub mod chrome;
pub mod console;
pub mod har;
pub mod http_ids;
mod json_cursor;
mod lines;
pub mod otel;
mod sniff;
mod source;
mod stats;
pub mod tracing;

pub use sniff::{peek_format, sniff_bytes};
pub use source::Progress;
pub use stats::InputStats;

use crate::error::Result;
use crate::model::{Trace, TraceBuilder, TreeSink};
use serde::Serialize;
use source::Source;
use std::io::BufRead;
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
    /// Python asyncio debug-mode log: `Executing <Task ...> took 0.205 seconds` lines.
    AsyncioDebug,
    /// OpenTelemetry OTLP/JSON: `ExportTraceServiceRequest` documents, one or JSON lines.
    OtlpJson,
    /// Jaeger JSON (the query API, the UI's "Download JSON").
    JaegerJson,
    /// Zipkin v2 JSON: lists of spans.
    ZipkinJson,
    /// HAR 1.2: a browser's network export (Chrome, Firefox, Playwright `recordHar`).
    Har,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::TracingJson => "tracing-json",
            Format::TracingText => "tracing-text",
            Format::ChromeTrace => "chrome-trace",
            Format::ConsoleRecording => "console-recording",
            Format::ConsoleCapture => "console-capture",
            Format::AsyncioDebug => "asyncio-debug",
            Format::OtlpJson => "otlp-json",
            Format::JaegerJson => "jaeger-json",
            Format::ZipkinJson => "zipkin-json",
            Format::Har => "har",
        }
    }
}

/// Threads a reader may use (0: not set, the machine's cores).
static THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Sets how many threads the readers may use (`--threads`; 0 = the machine's cores, 1 = read on
/// the calling thread only). What is read does not depend on it, only how fast.
pub fn set_threads(n: usize) {
    THREADS.store(n, std::sync::atomic::Ordering::Relaxed);
}

thread_local! {
    /// This thread's share of the threads, when inputs are read side by side (0: not set).
    static LOCAL_THREADS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Sets how many threads the readers called from this thread may use, overriding
/// [`set_threads`]: the share of one of several inputs read at once.
pub fn set_local_threads(n: usize) {
    LOCAL_THREADS.with(|t| t.set(n));
}

/// How many threads the readers may use.
pub fn threads() -> usize {
    let local = LOCAL_THREADS.with(|t| t.get());
    if local > 0 {
        return local;
    }
    match THREADS.load(std::sync::atomic::Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// One input read into the model.
#[derive(Debug)]
pub struct Ingested {
    pub trace: Trace,
    pub stats: InputStats,
}

/// Reads one input (`-` = stdin) into a whole `Trace`.
pub fn ingest(path: &Path) -> Result<Ingested> {
    ingest_path(path, None, &mut |_| {})
}

/// Reads one input, handing each span tree to `sink` as soon as it finishes; the returned trace
/// holds only what was still open at the end (and everything that is not a span tree).
pub fn ingest_streaming(path: &Path, sink: &mut dyn TreeSink) -> Result<Ingested> {
    ingest_path(path, Some(sink), &mut |_| {})
}

/// Reads one input (`-` = stdin), handing span trees to `sink` if there is one, and telling
/// `progress` how far reading has got (see `Progress` for which inputs report it).
pub fn ingest_path(
    path: &Path,
    sink: Option<&mut dyn TreeSink>,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Ingested> {
    let name = path.display().to_string();
    let ahead = threads() > 1;
    match Source::open(path, &name)? {
        // Reading (and gunzipping) on a thread of their own, a few blocks ahead of the reader.
        Source::File {
            file, len, plain, ..
        } if ahead && !plain => {
            let (mut ahead, gzip) = source::read_ahead(&name, file, len, progress)?;
            let result = read(&name, Input::Ahead(&mut ahead), gzip, sink);
            drop(ahead);
            progress(Progress::Finished {
                name: &name,
                total: len,
            });
            result
        }
        Source::File { file, len, .. } => {
            let reader = source::buffered_with_progress(file, &name, len, progress);
            let result = ingest_reader(&name, reader, sink);
            progress(Progress::Finished {
                name: &name,
                total: len,
            });
            result
        }
        Source::Mapped(map) => read(&name, Input::Bytes(&map), false, sink),
    }
}

/// Reads from a stream: gunzips when the magic says so, then sniffs and parses.
pub fn ingest_reader(
    name: &str,
    reader: Box<dyn BufRead + '_>,
    sink: Option<&mut dyn TreeSink>,
) -> Result<Ingested> {
    let (mut reader, gzip) = source::gunzip(name, reader)?;
    read(name, Input::Stream(&mut reader), gzip, sink)
}

/// Reads from bytes already in memory (a mapped file).
pub fn ingest_bytes(name: &str, bytes: &[u8], gzip: bool) -> Result<Ingested> {
    read(name, Input::Bytes(bytes), gzip, None)
}

/// Reads from bytes in memory, handing span trees to `sink` as they finish.
pub fn ingest_bytes_streaming(
    name: &str,
    bytes: &[u8],
    sink: &mut dyn TreeSink,
) -> Result<Ingested> {
    read(name, Input::Bytes(bytes), false, Some(sink))
}

/// What a reader reads from.
enum Input<'a, 'p> {
    /// A stream, already gunzipped.
    Stream(&'a mut dyn BufRead),
    /// A stream read (and gunzipped) ahead on a thread of its own: the Chrome reader takes its
    /// blocks to another thread, the others read it like any stream.
    Ahead(&'a mut source::Ahead<'p>),
    /// The whole input in memory (a mapped file): the Chrome reader borrows strings from it,
    /// the line readers read it like a stream (the slice is moved on as it is read).
    Bytes(&'a [u8]),
}

impl Input<'_, '_> {
    /// The input as a stream.
    fn reader(&mut self) -> &mut dyn BufRead {
        match self {
            Input::Stream(r) => &mut **r,
            Input::Ahead(a) => &mut **a,
            Input::Bytes(bytes) => bytes,
        }
    }
}

/// The one dispatch from an input to the reader of its format. `gzip` is only recorded.
fn read(
    name: &str,
    mut input: Input<'_, '_>,
    gzip: bool,
    sink: Option<&mut dyn TreeSink>,
) -> Result<Ingested> {
    let bytes = match input {
        Input::Bytes(bytes) => Some(bytes),
        _ => None,
    };
    let format = sniff::sniff(name, input.reader())?;
    let mut stats = InputStats::new(name, format, gzip);
    let mut builder = match sink {
        Some(s) => TraceBuilder::with_sink(s),
        None => TraceBuilder::new(),
    };
    let b = &mut builder;
    match format {
        Format::TracingJson => tracing::json::read(name, input.reader(), b, &mut stats)?,
        Format::TracingText => tracing::text::read(name, input.reader(), b, &mut stats)?,
        Format::ConsoleRecording => console::read_recording(name, input.reader(), b, &mut stats)?,
        Format::ConsoleCapture => console::read_capture(name, input.reader(), b, &mut stats)?,
        Format::AsyncioDebug => asyncio::read(name, input.reader(), b, &mut stats)?,
        Format::OtlpJson => otel::otlp::read(name, input.reader(), b, &mut stats)?,
        Format::JaegerJson => otel::jaeger::read(name, input.reader(), b, &mut stats)?,
        Format::ZipkinJson => otel::zipkin::read(name, input.reader(), b, &mut stats)?,
        Format::Har => match bytes {
            Some(bytes) => har::read(name, bytes, b, &mut stats)?,
            None => har::read_stream(name, input.reader(), b, &mut stats)?,
        },
        Format::ChromeTrace => match (bytes, &mut input) {
            (Some(bytes), _) => chrome::read(name, bytes, b, &mut stats)?,
            // Scanned on a thread of its own, beside the one reading ahead.
            (None, Input::Ahead(ahead)) if threads() > 1 => match ahead.take_blocks() {
                Some(blocks) => {
                    chrome::read_stream_ahead(name, blocks, &mut || ahead.report(), b, &mut stats)?
                }
                None => chrome::read_stream(name, &mut **ahead, b, &mut stats)?,
            },
            (None, input) => chrome::read_stream(name, input.reader(), b, &mut stats)?,
        },
    }
    if builder.unmatched_exits > 0 {
        stats.warn(format!(
            "{} exits/ends matched no enter/begin on their thread; ignored",
            builder.unmatched_exits
        ));
    }
    Ok(Ingested {
        trace: builder.finish(),
        stats,
    })
}
