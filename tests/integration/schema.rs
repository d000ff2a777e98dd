//! Every JSON report validates against `schema/report-v2.json`, which documents every key:
//! each sample (alone, and the recordings joined to their logs) and, with `--include-ignored`,
//! each trace of the Chrome corpus.

use crate::support::{analyze_json, chrome_corpus_dir, manifest_dir, samples_dir};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn validator() -> jsonschema::Validator {
    let path = manifest_dir().join("schema/report-v2.json");
    let text = std::fs::read_to_string(&path).expect("schema/report-v2.json");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft202012::new(&schema).expect("the schema is a valid draft 2020-12 schema")
}

#[track_caller]
fn check(v: &jsonschema::Validator, paths: &[&Path]) {
    check_report(v, &[], paths);
}

/// `stallscope analyze --format json EXTRA... PATHS...` fits the schema.
#[track_caller]
pub fn check_with(extra: &[&str], paths: &[&Path]) {
    check_report(&validator(), extra, paths);
}

#[track_caller]
fn check_report(v: &jsonschema::Validator, extra: &[&str], paths: &[&Path]) {
    let report = analyze_json(extra, paths);
    let errors: Vec<String> = v
        .iter_errors(&report)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{paths:?} does not fit the schema:\n{}",
        errors.join("\n")
    );
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_sample_report_fits_the_schema() {
    let v = validator();
    let mut n = 0;
    for path in files_in(&samples_dir()) {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name == "expected.json" || name.ends_with(".md") || crate::samples::pending(&path) {
            continue;
        }
        check(&v, &[&path]);
        n += 1;
    }
    assert!(n >= 20, "only {n} samples checked");
    for run in ["incident", "patterns"] {
        for log in ["json-full", "json-close"] {
            let dir = samples_dir();
            let find = |stem: String| {
                files_in(&dir)
                    .into_iter()
                    .find(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with(&stem))
                    })
                    .unwrap_or_else(|| panic!("no sample {stem}*"))
            };
            let log = find(format!("joined.{run}.{log}.log"));
            let recording = find(format!("joined.{run}.console.jsonl"));
            check(&v, &[&log, &recording]);
        }
    }
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn every_corpus_report_fits_the_schema() {
    let v = validator();
    let traces: Vec<PathBuf> = files_in(&chrome_corpus_dir())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "gz"))
        .collect();
    assert!(traces.len() >= 25, "only {} corpus traces", traces.len());
    for path in traces {
        check(&v, &[&path]);
    }
}

/// The schema is strict: a key it does not describe is an error, so an undocumented key
/// cannot slip into the report.
#[test]
fn the_schema_rejects_unknown_keys() {
    let v = validator();
    let path = samples_dir().join("incident.json-full.log");
    let mut report = analyze_json(&[], &[&path]);
    assert!(v.is_valid(&report));
    report["verdicts"][0]["delayed_requests"] = Value::from(36);
    assert!(!v.is_valid(&report), "a v1 key passed");
    report["verdicts"][0]
        .as_object_mut()
        .map(|o| o.remove("delayed_requests"));
    report["schema_version"] = Value::from(1);
    assert!(!v.is_valid(&report), "schema_version 1 passed");
}
