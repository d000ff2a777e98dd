//! Live capture over the tokio-console API: starts the demo server built with console-subscriber
//! (`scripts/build-console-demo.sh`, run by `.ci/run`), captures a few seconds of its incident
//! load with `stallscope record`, and checks that the endpoint doing CPU work inline shows long
//! polls and the one awaiting I/O does not. That test is ignored unless run with
//! `--include-ignored`, and then fails when the demo is not built.

use crate::support::{console_demo, stallscope};
use serde_json::Value;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Kills the demo when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The tests of this file pick ports with [`free_port`]; run at once, two of them could be
/// handed the same one (or the demo's own port 0 could land on the "refused" one), so they take
/// turns.
static PORTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

#[test]
#[ignore = "needs the console demo: scripts/build-console-demo.sh"]
fn capture_shows_long_polls_only_where_cpu_runs_inline() {
    let bin = console_demo();
    let _turn = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let child = std::process::Command::new(&bin)
        .arg(dir.path().join("recording.jsonl"))
        .args(["--mode", "incident", "--log-format", "none"])
        .env("DEMO_CONSOLE_PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo starts");
    let _guard = Guard(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the demo's console server did not come up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let capture = dir.path().join("capture.jsonl");
    let out = stallscope()
        .args([
            "record",
            "--console",
            &format!("http://127.0.0.1:{port}"),
            "--duration",
            "4s",
            "-o",
        ])
        .arg(&capture)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = stallscope()
        .args(["analyze", "--format", "json"])
        .arg(&capture)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["inputs"][0]["format"], "console-capture");
    let group = |site: &str| {
        v["tasks"]
            .as_array()
            .and_then(|g| g.iter().find(|g| g["site"] == site))
            .cloned()
            .unwrap_or_else(|| panic!("no task group {site}: {}", v["tasks"]))
    };
    let report = group("/report");
    let orders = group("/orders");
    assert!(report["tasks"].as_u64().unwrap_or(0) >= 5, "{report}");
    // At least 2: on a loaded machine (other tests in parallel) fewer /report requests run in
    // the 4 s, and 2 long polls were seen at a load average of 9-11 (3 or more when quiet).
    assert!(report["long_polls"].as_u64().unwrap_or(0) >= 2, "{report}");
    assert!(
        report["max_poll_ms"].as_f64().unwrap_or(0.0) >= 50.0,
        "{report}"
    );
    assert!(orders["tasks"].as_u64().unwrap_or(0) >= 20, "{orders}");
    assert_eq!(orders["long_polls"], 0, "{orders}");
    let bad = v["verdicts"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["endpoint"] == "/report"));
    assert_eq!(bad.map(|r| r["verdict"].clone()), Some(Value::from("bad")));
}

#[test]
fn refused_connection_is_a_clear_error() {
    let _turn = PORTS.lock().unwrap_or_else(|e| e.into_inner());
    let port = free_port(); // nothing listens there now
    let dir = tempfile::tempdir().expect("temp dir");
    let out = stallscope()
        .args([
            "record",
            "--console",
            &format!("http://127.0.0.1:{port}"),
            "--duration",
            "1s",
            "-o",
        ])
        .arg(dir.path().join("c.jsonl"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot connect to a console-subscriber server"),
        "{err}"
    );
}
