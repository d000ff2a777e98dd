//! The Jaeger JSON reader (the query API's and the UI's "Download JSON" documents),
//! through the window that assembles spans of one trace.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stallscope::ingest::{Format, InputStats};
use stallscope::model::TraceBuilder;

fuzz_target!(|data: &[u8]| {
    let mut stats = InputStats::new("fuzz", Format::JaegerJson, false);
    let mut b = TraceBuilder::new();
    let mut input: &[u8] = data;
    if stallscope::ingest::otel::jaeger::read("fuzz", &mut input, &mut b, &mut stats).is_ok() {
        let _ = b.finish();
    }
});
