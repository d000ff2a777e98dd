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
//! - [`rng`]: the one seeded random-number generator they share.
//!
//! Chrome traces come from `../shared/tools/gen_chrome_trace.py` (used by the `chrome` bench).

pub mod console_recording;
pub mod otlp;
pub mod rng;
pub mod routes_log;
pub mod tracing_log;
