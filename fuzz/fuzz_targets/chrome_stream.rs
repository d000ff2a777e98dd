//! The Chrome trace reader on a stream (the path stdin and gzip take): its own scanner, whose
//! memory must stay bounded by the largest event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stallscope::ingest::{Format, InputStats, chrome};
use stallscope::model::TraceBuilder;

fuzz_target!(|data: &[u8]| {
    let mut stats = InputStats::new("fuzz", Format::ChromeTrace, false);
    let mut b = TraceBuilder::new();
    let mut input: &[u8] = data;
    if chrome::read_stream("fuzz", &mut input, &mut b, &mut stats).is_ok() {
        let _ = b.finish();
    }
});
