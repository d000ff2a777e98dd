//! The format sniffer on any first bytes: an answer (a format or why not), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = stallscope::ingest::sniff_bytes(data);
});
