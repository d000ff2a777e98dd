//! The asyncio debug-log reader (`Executing <Task ...> took 0.205 seconds` lines among others).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stallscope::ingest::{Format, InputStats};
use stallscope::model::TraceBuilder;

fuzz_target!(|data: &[u8]| {
    let mut stats = InputStats::new("fuzz", Format::AsyncioDebug, false);
    let mut b = TraceBuilder::new();
    let mut input: &[u8] = data;
    if stallscope::ingest::asyncio::read("fuzz", &mut input, &mut b, &mut stats).is_ok() {
        let _ = b.finish();
    }
});
