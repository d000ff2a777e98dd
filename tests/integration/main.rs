//! The one integration-test binary: the real `stallscope` binary (and its library) on real
//! files. One binary links once; each former test file is a module here.
//!
//! - `cli`: bad input, exit codes and conventions, on small inline inputs;
//! - `samples`: every recording in `sample-traces/` against `sample-traces/expected.json`, and
//!   the table snapshots (in `snapshots/`);
//! - `chrome_corpus`: agreement with Chrome DevTools on `../shared/corpus/chrome` (ignored
//!   unless run with `--include-ignored`; fails when the corpus is missing);
//! - `formats_requests`: which spans are requests, the headline, ENTER/EXIT without CLOSE,
//!   several files with one bad, on the small logs in `tests/data/formats/requests/`;
//! - `formats_demo`: real recordings of the demo in every text formatter, option and timer,
//!   in `tests/data/formats/demo/`, their request rows checked against counts read off the files;
//! - `formats_text`: tracing-subscriber text logs in every formatter, option, timer and
//!   prefix, in `tests/data/formats/text/`;
//! - `lifecycle`: creation and close threads as evidence (issue 10, items 3-4), on the
//!   hand-written logs in `tests/data/formats/lifecycle/`;
//! - `task_spans`: tokio's own task spans (`runtime.spawn`) in tracing-chrome and JSON logs, on
//!   the small traces of one timeline in `tests/data/formats/task_spans/`;
//! - `routes`: endpoints are routes, not URLs (ids as `{id}`, `--route`), and tower-http's
//!   `finished processing request` events as requests, on the logs in `tests/data/formats/routes/`;
//! - `formats_python`: asyncio debug logs and viztracer traces (issue 11), in
//!   `tests/data/formats/python/`;
//! - `issue10`: the recordings made for issue 10 (tokio's task spans, NEW|CLOSE with thread ids,
//!   tower-http's TraceLayer, a handler mixing I/O and CPU), every endpoint's row on each;
//! - `formats_har`: HAR 1.2 files (issue 12): the shapes in `tests/data/formats/har/` and the
//!   recordings in `sample-traces/har/` (against the DevTools trace of the same page load);
//! - `formats_otel`: OTLP/JSON, Jaeger JSON and Zipkin v2 JSON spans, in `tests/data/formats/otel/`;
//! - `django`: Django views from OpenTelemetry spans (issue 11, section 2): rows, server model and
//!   stalls on `sample-traces/django/` against its `expected.json`;
//! - `console_live`: a live capture from the console demo (its capture test is ignored unless
//!   run with `--include-ignored`; fails when the demo is not built);
//! - `timeline`, `diff`: `stallscope timeline` and `stallscope diff` (issue 15) on the samples,
//!   `diff` on `sample-traces/diff.*` (the demo before and after moving /report's CPU work);
//! - `html`: `analyze --format html`: self-contained and escaped (always), and rendered in
//!   headless Chromium with its DOM checked against the JSON (ignored unless run with
//!   `--include-ignored`; fails when Chromium cannot start);
//! - `fuzz_regressions`: inputs the fuzzer (`fuzz/`) found crashing, in `tests/data/fuzz/`:
//!   an answer (exit 0 or 2), never a panic;
//! - `hostile`: issue 13's behaviours on hostile inputs: not a trace (one line, exit 2), broken
//!   but useful (read, with what was repaired said), control characters in notes, a gzip bomb
//!   in bounded memory;
//! - `threads`: the same report, byte for byte, on one, two and three reader threads, for
//!   every sample and corpus trace;
//! - `progress`: the progress line on a pseudo-terminal (made by `script`, util-linux) for a big
//!   file, stdin from a file and stdin from a pipe, and none when stderr is not a terminal;
//! - `verdicts`: issue 10's rules (one row per endpoint, `--workers`) on the samples.
//!
//! `cargo test` runs what needs nothing beside the repository; `cargo test --locked --
//! --include-ignored` (what `.ci/run` runs) is the full suite.

mod support;

mod chrome_corpus;
mod cli;
mod console_live;
mod diff;
mod django;
mod formats_demo;
mod formats_har;
mod formats_otel;
mod formats_python;
mod formats_requests;
mod formats_text;
mod fuzz_regressions;
mod hostile;
mod html;
mod issue10;
mod lifecycle;
mod progress;
mod routes;
mod samples;
mod schema;
mod task_spans;
mod threads;
mod timeline;
mod verdicts;
