//! The whole pipeline on one input: sniff, read, analyze (the Python analysis of viztracer
//! traces included), render the report in every output format, as `stallscope analyze FILE`
//! does for a mapped file, and draw the timeline as `stallscope timeline FILE` does. Catches
//! panics in analysis, report and timeline on whatever a reader lets through.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stallscope::config::{Config, OutputFormat};
use stallscope::report::timeline::{self, TimelineOptions};
use stallscope::{analyze, ingest, report};

fuzz_target!(|data: &[u8]| {
    let mut cfg = Config::default();
    let mut collector = analyze::Collector::new(&cfg);
    let Ok(ingested) = ingest::ingest_bytes_streaming("fuzz", data, &mut collector) else {
        return;
    };
    let analysis = collector.finish(&ingested.trace);
    for format in [
        OutputFormat::Json,
        OutputFormat::Table,
        OutputFormat::Markdown,
    ] {
        cfg.format = format;
        let mut r = report::Report::new(&cfg);
        r.add(&ingested.stats, &ingested.trace, &analysis, &cfg);
        let mut out = Vec::new();
        let _ = r.render(&cfg, &mut out);
        let _ = r.worst();
    }
    let opt = TimelineOptions {
        since: None,
        until: None,
        width: 100,
        color: true,
    };
    let mut out = Vec::new();
    let _ = timeline::render("fuzz", &ingested.trace, &analysis, &opt, &mut out);
});
