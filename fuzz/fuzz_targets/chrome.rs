//! The Chrome trace reader on bytes in memory (the path a mapped file takes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stallscope::ingest::{Format, InputStats, chrome};
use stallscope::model::TraceBuilder;

fuzz_target!(|data: &[u8]| {
    let mut stats = InputStats::new("fuzz", Format::ChromeTrace, false);
    let mut b = TraceBuilder::new();
    if chrome::read("fuzz", data, &mut b, &mut stats).is_ok() {
        let _ = b.finish();
    }
});
