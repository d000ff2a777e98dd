//! The progress line (issue 13): shown on a terminal only, for a big file (as a percentage of
//! its size), for stdin redirected from a file (its size is known too), and for stdin from a
//! pipe (bytes read and the rate: the size is unknown). The real binary runs under a
//! pseudo-terminal made by `script` (util-linux), on a 274 MB log generated here.
//!
//! Each run under the terminal is stopped once its first progress line has been seen (by the
//! id of the `script` process this test started): the debug binary takes about a minute to
//! read the whole log on a shared 2-core machine, and what is checked is the line, not the end.

use crate::support::samples_dir;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A tracing JSON log over 64 MB: the CLOSE-only incident log, 2,600 times (288,098,200
/// bytes). Four times what the 64 MB threshold needs: the release binary read 650 copies
/// (68 MB) in about the half second before the first progress line, and often ended first.
fn big_log(dir: &Path) -> PathBuf {
    let log = std::fs::read(samples_dir().join("incident.json-close.log")).expect("sample");
    let path = dir.join("big.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
    for _ in 0..2600 {
        std::io::Write::write_all(&mut f, &log).expect("write");
    }
    std::io::Write::flush(&mut f).expect("write");
    path
}

/// `script`, or a failure saying it is missing.
#[track_caller]
fn script() -> &'static str {
    let found = Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "`script` (util-linux; Debian's bsdutils) is not installed: this test runs stallscope \
         under a pseudo-terminal made by `script -qfec CMD /dev/null`"
    );
    "script"
}

/// Runs the shell command `cmd` with a pseudo-terminal as its stdin, stdout and stderr, and
/// returns what the terminal showed up to and including the first progress line (the text
/// from `stallscope: reading` to the `)` that ends it), then stops the run; or everything the
/// terminal showed, if no progress line came before the command ended.
fn first_progress_line_on_a_terminal(cmd: &str) -> String {
    let mut child = Command::new(script())
        .args(["-qfec", cmd, "/dev/null"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    let mut out = child.stdout.take().expect("piped");
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    let line = loop {
        match out.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => break None,
        }
        let text = String::from_utf8_lossy(&seen);
        if let Some(at) = text.find("stallscope: reading")
            && let Some(end) = text[at..].find(')')
        {
            break Some(text[at..=at + end].to_string());
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    line.unwrap_or_else(|| String::from_utf8_lossy(&seen).into_owned())
}

fn quoted(p: &Path) -> String {
    format!("'{}'", p.display())
}

#[test]
fn progress_is_shown_on_a_terminal_for_files_and_stdin_and_nowhere_else() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = big_log(dir.path());
    let mb = std::fs::metadata(&log).expect("size").len() >> 20;
    assert_eq!(mb, 274);
    let bin = quoted(&assert_cmd::cargo::cargo_bin("stallscope"));
    let file = quoted(&log);

    // A file over 64 MB: its name, a percentage, and its size.
    let line = first_progress_line_on_a_terminal(&format!(
        "{bin} analyze --format json {file} > /dev/null"
    ));
    let prefix = format!("stallscope: reading {}: ", log.display());
    assert!(line.starts_with(&prefix), "{line:?}");
    assert!(line.ends_with(&format!(" of {mb} MB)")), "{line:?}");
    assert!(line.contains("% ("), "{line:?}");

    // Stdin redirected from the file: its size is known all the same.
    let line = first_progress_line_on_a_terminal(&format!(
        "{bin} analyze --format json - < {file} > /dev/null"
    ));
    assert!(line.starts_with("stallscope: reading -: "), "{line:?}");
    assert!(line.ends_with(&format!(" of {mb} MB)")), "{line:?}");

    // Stdin from a pipe: no size, so no percentage: the bytes read and the rate.
    let line = first_progress_line_on_a_terminal(&format!(
        "cat {file} | {bin} analyze --format json - > /dev/null"
    ));
    assert!(line.starts_with("stallscope: reading -: "), "{line:?}");
    assert!(!line.contains('%'), "{line:?}");
    let rest = &line["stallscope: reading -: ".len()..];
    let (read, rate) = rest
        .split_once(" MB read (")
        .expect("bytes read, then the rate");
    assert!(read.parse::<u64>().is_ok_and(|n| n <= mb), "{line:?}");
    let rate = rate.strip_suffix(" MB/s)").expect("a rate in MB/s");
    assert!(rate.parse::<u64>().is_ok(), "{line:?}");

    // Stderr not a terminal (a pipe here): no progress line, whatever the size. The run is
    // stopped after 3 s: a terminal shows the first line after half a second.
    for stdin in [false, true] {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("stallscope"));
        cmd.args(["analyze", "--format", "json"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if stdin {
            cmd.arg("-").stdin(std::fs::File::open(&log).expect("open"));
        } else {
            cmd.arg(&log).stdin(Stdio::null());
        }
        let mut child = cmd.spawn().expect("runs");
        std::thread::sleep(std::time::Duration::from_secs(3));
        let _ = child.kill();
        let out = child.wait_with_output().expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("reading"), "stdin: {stdin}: {err:?}");
    }
}
