//! The HAR 1.2 reader (one JSON document held in memory).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stallscope::ingest::{Format, InputStats};
use stallscope::model::TraceBuilder;

fuzz_target!(|data: &[u8]| {
    let mut stats = InputStats::new("fuzz", Format::Har, false);
    let mut b = TraceBuilder::new();
    if stallscope::ingest::har::read("fuzz", data, &mut b, &mut stats).is_ok() {
        let _ = b.finish();
    }
});
