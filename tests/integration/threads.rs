//! `--threads`: the readers decode on several threads and apply what they decoded in the
//! order of the input, so the report must be the same, byte for byte, whatever the number of
//! threads. Every file in `sample-traces/` (several are over one 2 MiB block of lines once
//! gunzipped, e.g. `tasks.json-full.log.gz` at 6.3 MB) and, with `--include-ignored`, every
//! Chrome corpus trace, as a file and on standard input.

use crate::support::{chrome_corpus_dir, samples_dir, stallscope};
use std::path::{Path, PathBuf};

/// Every file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).expect("readable directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// (exit code, stdout, stderr) of `stallscope --threads N analyze --format json PATH`, with
/// the file on standard input when `stdin`.
fn run(threads: &str, path: &Path, stdin: bool) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let mut cmd = stallscope();
    cmd.args(["--threads", threads, "analyze", "--format", "json"]);
    if stdin {
        cmd.arg("-")
            .pipe_stdin(path)
            .expect("the input can be opened");
    } else {
        cmd.arg(path);
    }
    let out = cmd.output().expect("runs");
    (out.status.code(), out.stdout, out.stderr)
}

/// Compares one thread with two and three on each of `files`; returns how many were traces
/// (exit 0), and panics naming every file whose output differs.
fn same_on_every_thread_count(files: &[PathBuf], stdin: bool) -> usize {
    let mut differ = Vec::new();
    let mut traces = 0;
    for f in files {
        let one = run("1", f, stdin);
        traces += usize::from(one.0 == Some(0));
        for n in ["2", "3"] {
            let many = run(n, f, stdin);
            if many != one {
                differ.push(format!(
                    "{} (--threads {n}{}): exit {:?} vs {:?}, stdout {} vs {} bytes, stderr {:?} vs {:?}",
                    f.display(),
                    if stdin { ", stdin" } else { "" },
                    many.0,
                    one.0,
                    many.1.len(),
                    one.1.len(),
                    String::from_utf8_lossy(&many.2),
                    String::from_utf8_lossy(&one.2),
                ));
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    traces
}

#[test]
fn every_sample_reads_the_same_on_one_two_and_three_threads() {
    let files = files_under(&samples_dir());
    let traces = same_on_every_thread_count(&files, false);
    // The samples are traces, but for their READMEs and expected figures.
    assert!(
        traces >= 50,
        "only {traces} of {} samples read",
        files.len()
    );
}

/// The hand-made shapes and the fuzzer's crashing inputs, damaged ones included, as files and
/// on standard input: the same answer (report, warnings, errors) whatever the threads.
#[test]
fn every_test_input_reads_the_same_on_one_two_and_three_threads() {
    let files = files_under(&crate::support::manifest_dir().join("tests/data"));
    assert!(files.len() >= 100, "{}", files.len());
    same_on_every_thread_count(&files, false);
    same_on_every_thread_count(&files, true);
}

#[test]
fn big_samples_on_standard_input_read_the_same_on_one_two_and_three_threads() {
    let files: Vec<PathBuf> = files_under(&samples_dir())
        .into_iter()
        .filter(|f| std::fs::metadata(f).is_ok_and(|m| m.len() > 200_000))
        .collect();
    assert!(files.len() >= 5, "{files:?}");
    let traces = same_on_every_thread_count(&files, true);
    assert_eq!(traces, files.len(), "every big sample is a trace");
}

#[test]
#[ignore = "needs ../shared/corpus/chrome"]
fn every_corpus_trace_reads_the_same_on_one_two_and_three_threads() {
    let files: Vec<PathBuf> = files_under(&chrome_corpus_dir())
        .into_iter()
        .filter(|f| {
            let name = f.to_string_lossy();
            (name.ends_with(".json") || name.ends_with(".json.gz")) && !name.contains("/expected/")
        })
        .collect();
    assert!(files.len() >= 20, "{}", files.len());
    same_on_every_thread_count(&files, false);
}

/// (exit code, stdout, stderr) of `stallscope --threads N analyze --format json FILES...`.
fn run_many(threads: &str, files: &[&str], args: &[&str]) -> (Option<i32>, Vec<u8>, Vec<u8>) {
    let out = stallscope()
        .args(["--threads", threads, "analyze", "--format", "json"])
        .args(args)
        .args(files.iter().map(|f| samples_dir().join(f)))
        .output()
        .expect("runs");
    (out.status.code(), out.stdout, out.stderr)
}

/// Several inputs in one call are read side by side on several threads: the report, the
/// warnings (in the order of the inputs) and the exit code must not depend on it.
#[test]
fn several_inputs_read_the_same_on_one_two_and_three_threads() {
    let calls: &[(&[&str], &[&str], i32)] = &[
        // Two logs, each its own report.
        (
            &["patterns.json-full.log.gz", "tasks.json-full.log.gz"],
            &[],
            0,
        ),
        // Logs joined to the recordings of the same runs: the logs are read first (their
        // requests make the join index), then the recordings.
        (
            &[
                "joined.patterns.console.jsonl.gz",
                "joined.patterns.json-full.log.gz",
                "joined.incident.console.jsonl",
                "joined.incident.json-full.log",
            ],
            &[],
            0,
        ),
        // A page and its server: the browser-to-server join.
        (&["har/page-burst.har", "har/page-burst.otlp.jsonl"], &[], 0),
        // One input is not there: the others are reported, the bad one named.
        (
            &[
                "incident.text.log",
                "no-such-file.log",
                "django/asgi.zipkin.json",
            ],
            &["--keep-going"],
            0,
        ),
        (
            &[
                "incident.text.log",
                "no-such-file.log",
                "django/asgi.zipkin.json",
            ],
            &[],
            2,
        ),
    ];
    for (files, args, code) in calls {
        let one = run_many("1", files, args);
        assert_eq!(
            one.0,
            Some(*code),
            "{files:?}: {}",
            String::from_utf8_lossy(&one.2)
        );
        let reports = String::from_utf8_lossy(&one.1).matches("\"path\"").count();
        assert!(
            reports >= files.len() - 1,
            "{files:?}: {reports} paths in the report"
        );
        for n in ["2", "3"] {
            let many = run_many(n, files, args);
            assert!(
                many == one,
                "{files:?} --threads {n}: exit {:?} vs {:?}, stdout {} vs {} bytes, stderr {:?} vs {:?}",
                many.0,
                one.0,
                many.1.len(),
                one.1.len(),
                String::from_utf8_lossy(&many.2),
                String::from_utf8_lossy(&one.2),
            );
        }
    }
}
