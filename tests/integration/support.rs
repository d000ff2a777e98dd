//! What every test module shares: the binary under test, where the inputs live, and the
//! `analyze` runs the tests make.
//!
//! Inputs outside the repository (the Chrome corpus in `../shared`, the console demo built by
//! `scripts/build-console-demo.sh`) are found here, and their absence is a failure with a
//! message saying what to provide: the tests that need them are `#[ignore]`d, so a plain
//! `cargo test` reports them as ignored, and `cargo test -- --include-ignored` runs them.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The crate's root directory (where `Cargo.toml` is).
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `sample-traces/`: the recordings in the repository, with their expected findings.
pub fn samples_dir() -> PathBuf {
    manifest_dir().join("sample-traces")
}

/// `../shared`, beside the repository: the Chrome corpus and the tools that made it.
pub fn shared_dir() -> PathBuf {
    manifest_dir().join("../shared")
}

/// `../shared/corpus/chrome` with its `expected/` files; panics with what is missing.
#[track_caller]
pub fn chrome_corpus_dir() -> PathBuf {
    let dir = shared_dir().join("corpus/chrome");
    assert!(
        dir.join("expected").is_dir(),
        "the Chrome corpus is missing: no {} (this test needs ../shared/corpus/chrome and its \
         expected/ files beside the repository)",
        dir.join("expected").display()
    );
    dir
}

/// The demo server built with console-subscriber: `$STALLSCOPE_CONSOLE_DEMO`, else where
/// `scripts/build-console-demo.sh` puts it; panics with how to build it when it is not there.
#[track_caller]
pub fn console_demo() -> PathBuf {
    let path = std::env::var_os("STALLSCOPE_CONSOLE_DEMO")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target/console-demo/release/console-demo"));
    assert!(
        path.is_file(),
        "the console demo is not built: no {} (run scripts/build-console-demo.sh, or set \
         STALLSCOPE_CONSOLE_DEMO to a console-demo binary)",
        path.display()
    );
    path
}

/// The `stallscope` binary, with `NO_COLOR` cleared so colour depends only on the options.
pub fn stallscope() -> Command {
    let mut c = Command::cargo_bin("stallscope").expect("binary builds");
    c.env_remove("NO_COLOR");
    c
}

/// Runs `stallscope analyze ARGS... PATH`; returns (exit code, stdout, stderr).
pub fn analyze(path: &Path, args: &[&str]) -> (i32, String, String) {
    let out = stallscope()
        .arg("analyze")
        .args(args)
        .arg(path)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `stallscope analyze --format json EXTRA... PATHS...`, which must succeed.
pub fn analyze_json(extra: &[&str], paths: &[&Path]) -> Value {
    let out = stallscope()
        .arg("analyze")
        .args(["--format", "json"])
        .args(extra)
        .args(paths)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{paths:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}
