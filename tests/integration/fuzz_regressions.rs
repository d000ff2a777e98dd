//! Inputs the fuzzer (`fuzz/`, `scripts/fuzz.sh`) found crashing a reader, each kept in
//! `tests/data/fuzz/` (its README says what each one is) and run through the real binary: an
//! answer, never a panic (exit 101) or a signal. Each is listed below with the exit it must give
//! (0: read what was usable; 2: not a trace) and a piece of what stderr must say.

use crate::support::{analyze, manifest_dir};
use std::path::PathBuf;

/// `(file in tests/data/fuzz/, exit code, a piece of stderr)`.
const CASES: &[(&str, i32, &str)] = &[
    (
        "sniff-time-fraction-split-char.log",
        2,
        "unrecognised input",
    ),
    (
        "text-month-day-fraction-split-char.log",
        0,
        "no readable timestamp",
    ),
    (
        "console-idle-sum-overflow.jsonl",
        0,
        "an event with unexpected contents, skipped",
    ),
    ("json-huge-time-overflow.log", 0, "no readable timestamp"),
    (
        "text-time-unknown-then-known.log",
        0,
        "no readable timestamp",
    ),
    (
        "text-times-three-centuries-apart.log",
        0,
        "no readable timestamp ('1815-11-24T09:55:33.')",
    ),
    (
        "text-thread-busy-sum-overflow.log",
        0,
        "span events had a timestamp that could not be read",
    ),
    (
        "asyncio-line-before-1970.log",
        0,
        "1 slow-callback line carries no timestamp",
    ),
    (
        "console-leak-report-garbled-enter.jsonl",
        2,
        "line 2: expected one JSON event per line (console-subscriber recording)",
    ),
    (
        "console-leak-report-binary.jsonl",
        2,
        "binary data (not text, and not gzip)",
    ),
];

fn dir() -> PathBuf {
    manifest_dir().join("tests/data/fuzz")
}

#[test]
fn fuzz_findings_get_an_answer_not_a_panic() {
    for &(file, want, says) in CASES {
        let path = dir().join(file);
        assert!(path.is_file(), "{} is missing", path.display());
        for format in ["table", "json", "markdown"] {
            let (code, _, err) = analyze(&path, &["--format", format]);
            assert!(!err.contains("panicked"), "{file} ({format}): {err}");
            assert_eq!(code, want, "{file} ({format}): exit {code}, stderr: {err}");
            assert!(err.contains(says), "{file} ({format}): {err}");
            if code == 2 {
                assert!(err.contains(file), "{file}: stderr does not name it: {err}");
            }
        }
    }
}

/// Every file in `tests/data/fuzz/` is a case above, and the README describes it.
#[test]
fn every_fuzz_input_is_a_case() {
    let readme =
        std::fs::read_to_string(dir().join("README.md")).expect("tests/data/fuzz/README.md");
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .expect("tests/data/fuzz")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f != "README.md")
        .collect();
    files.sort();
    for f in &files {
        assert!(CASES.iter().any(|c| c.0 == f), "{f} is not in CASES");
        assert!(readme.contains(f.as_str()), "{f} is not in the README");
    }
    assert_eq!(files.len(), CASES.len(), "a case has no file");
}
