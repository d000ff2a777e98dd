//! The tracing-subscriber text reader (default, compact, pretty and full formatters).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stallscope::ingest::{Format, InputStats};
use stallscope::model::TraceBuilder;

fuzz_target!(|data: &[u8]| {
    let mut stats = InputStats::new("fuzz", Format::TracingText, false);
    let mut b = TraceBuilder::new();
    let mut input: &[u8] = data;
    if stallscope::ingest::tracing::text::read("fuzz", &mut input, &mut b, &mut stats).is_ok() {
        let _ = b.finish();
    }
});
