//! Seeded generators of big inputs, for the benches, the `gen_*` examples and scale tests
//! (`--features testgen`; not part of the tool). Each writes the same bytes for the same seed,
//! shaped like what the demo server (`examples/demo_server.rs`) records, so analysing a
//! generated input gives the demo's verdicts at any size.
//!
//! - [`tracing_log`]: a tracing-subscriber JSON log (`FmtSpan::FULL`, thread ids);
//! - [`console_recording`]: a console-subscriber recording (runtime tasks);
//! - [`routes_log`]: a JSON log of many requests to one route over many distinct paths (the
//!   cost of many endpoints, `benches/routes.rs`);
//! - [`otlp`]: OTLP/JSON lines of a Django app's spans (the Collector's file exporter);
//! - [`tracing_text`]: the same requests as [`tracing_log`] in tracing-subscriber's default
//!   text format (`FmtSpan::FULL`);
//! - [`console_capture`]: a live capture as `stallscope record` writes it;
//! - [`otel_docs`]: Jaeger JSON and Zipkin v2 JSON documents of a Django app's spans;
//! - [`har`]: a browser's HAR export;
//! - [`asyncio_log`]: a Python asyncio debug-mode log (slow-callback warnings);
//! - [`rng`]: the one seeded random-number generator they share.
//!
//! Chrome traces come from `../shared/tools/gen_chrome_trace.py` (used by the `chrome` bench).

pub mod asyncio_log;
pub mod console_capture;
pub mod console_recording;
pub mod har;
pub mod otel_docs;
pub mod otlp;
pub mod rng;
pub mod routes_log;
pub mod tracing_log;
pub mod tracing_text;
