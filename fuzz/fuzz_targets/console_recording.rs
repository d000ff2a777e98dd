//! The console-subscriber recording reader (JSON lines after a `{"v":1}` header).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stallscope::ingest::{Format, InputStats};
use stallscope::model::TraceBuilder;

fuzz_target!(|data: &[u8]| {
    let mut stats = InputStats::new("fuzz", Format::ConsoleRecording, false);
    let mut b = TraceBuilder::new();
    let mut input: &[u8] = data;
    if stallscope::ingest::console::read_recording("fuzz", &mut input, &mut b, &mut stats).is_ok() {
        let _ = b.finish();
    }
});
