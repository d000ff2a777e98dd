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
//! - `console_live`: a live capture from the console demo (its capture test is ignored unless
//!   run with `--include-ignored`; fails when the demo is not built);
//! - `fuzz_regressions`: inputs the fuzzer (`fuzz/`) found crashing, in `tests/data/fuzz/`:
//!   an answer (exit 0 or 2), never a panic;
//! - `verdicts`: issue 10's rules (one row per endpoint, `--workers`) on the samples.
//!
//! `cargo test` runs what needs nothing beside the repository; `cargo test --locked --
//! --include-ignored` (what `.ci/run` runs) is the full suite.

mod support;

mod chrome_corpus;
mod cli;
mod console_live;
mod formats_demo;
mod formats_requests;
mod formats_text;
mod fuzz_regressions;
mod samples;
mod schema;
mod verdicts;
