//! End-to-end tests: the real binary on real files.

use crate::support::{analyze, stallscope};
use std::io::Write;
use std::path::{Path, PathBuf};

fn tmp_file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write temp file");
    (dir, path)
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// ---------------------------------------------------------------- bad input

#[test]
fn empty_file_is_a_clear_error() {
    let (_d, p) = tmp_file("empty.log", b"");
    let (code, out, err) = analyze(&p, &[]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("empty.log") && err.contains("empty input"),
        "{err}"
    );
}

#[test]
fn not_a_trace_names_the_file() {
    let (_d, p) = tmp_file("notes.txt", b"hello world\nthis is not a trace\n");
    let (code, _, err) = analyze(&p, &[]);
    assert_eq!(code, 2);
    assert!(err.starts_with("stallscope: "), "{err}");
    assert!(
        err.contains("notes.txt") && err.contains("unrecognised input"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn json_of_another_shape_is_rejected() {
    let (_d, p) = tmp_file(
        "other.json",
        b"{\"foo\": 1, \"bar\": [1,2]}\n{\"foo\": 2, \"bar\": []}\n",
    );
    let (code, _, err) = analyze(&p, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("other.json") && err.contains("unknown shape"),
        "{err}"
    );
}

/// An array of arrays is JSON, not a trace: exit 2 naming where, whether the file is mapped
/// or streamed (stdin, gzip).
#[test]
fn nested_arrays_are_not_a_trace() {
    let nested = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
    let (_d, p) = tmp_file("nested.json", nested.as_bytes());
    let (code, out, err) = analyze(&p, &[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("nested.json: byte 1: expected a Chrome trace (an array of event objects), found an array of arrays"),
        "{err}"
    );
    let piped = stallscope()
        .args(["analyze", "-"])
        .write_stdin(nested)
        .output()
        .expect("runs");
    assert_eq!(piped.status.code(), Some(2));
    assert!(
        stderr_of(&piped).contains("found an array of arrays"),
        "{}",
        stderr_of(&piped)
    );
    let (_d, p) = tmp_file("numbers.json", br#"{"traceEvents": [1, 2, 3]}"#);
    let (code, _, err) = analyze(&p, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("byte 17:")
            && err.contains("an array of numbers: none of its 3 elements is an object"),
        "{err}"
    );
}

#[test]
fn tracing_json_without_span_events_says_how_to_record() {
    let (_d, p) = tmp_file(
        "events.log",
        b"{\"timestamp\":\"2026-11-24T00:00:00.000000Z\",\"level\":\"INFO\",\"fields\":{\"message\":\"listening\"},\"target\":\"app\"}\n",
    );
    let (code, _, err) = analyze(&p, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("no span events found") && err.contains("FmtSpan::CLOSE"),
        "{err}"
    );
}

#[test]
fn broken_line_in_the_middle_is_skipped_with_its_line_number() {
    let good = r#"{"timestamp":"2026-11-24T00:00:00.100000Z","level":"INFO","fields":{"message":"close","time.busy":"1.00ms","time.idle":"99.0ms"},"target":"app","span":{"method":"GET","route":"/a","name":"http.request"}}"#;
    let input = format!("{good}\n{{\"timestamp\": oops\n{good}\n");
    let (_d, p) = tmp_file("mixed.log", input.as_bytes());
    let (code, out, err) = analyze(&p, &["--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("mixed.log: line 2"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["inputs"][0]["skipped"], 1);
    assert_eq!(v["inputs"][0]["requests"], 2);
}

#[test]
fn missing_file_exits_2() {
    let (code, _, err) = analyze(Path::new("/nonexistent/trace.log"), &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("/nonexistent/trace.log") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn bad_duration_is_a_usage_error() {
    let (_d, p) = tmp_file("x.log", b"");
    let (code, _, err) = analyze(&p, &["--slow", "fast"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid duration 'fast'"), "{err}");
}

#[test]
fn help_has_examples_and_exit_codes() {
    let out = stallscope()
        .args(["analyze", "--help"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("EXAMPLES:") && text.contains("EXIT CODES:"),
        "{text}"
    );
    assert!(text.contains("--fail-on"));
    // Several inputs with one bad (issue 13): the option and what it does to the exit code.
    assert!(
        text.contains("stallscope analyze --keep-going logs/*.log")
            && text.contains("--keep-going: exit as if all\n       were read, the unreadable ones named as warnings"),
        "{text}"
    );
}

// ---------------------------------------------------------------- conventions

const TWO_REQUESTS: &str = concat!(
    r#"{"timestamp":"2026-11-24T00:00:00.100000Z","level":"INFO","fields":{"message":"close","time.busy":"1.00ms","time.idle":"99.0ms"},"target":"app","span":{"method":"GET","route":"/a","request_id":1,"name":"http.request"}}"#,
    "\n",
    r#"{"timestamp":"2026-11-24T00:00:00.300000Z","level":"INFO","fields":{"message":"close","time.busy":"1.00ms","time.idle":"149ms"},"target":"app","span":{"method":"GET","route":"/a","request_id":2,"name":"http.request"}}"#,
    "\n"
);

#[test]
fn gzip_is_detected_by_content_and_stdin_works() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(TWO_REQUESTS.as_bytes()).expect("gzip");
    let bytes = gz.finish().expect("gzip");
    // A misleading name: the content decides.
    let (_d, p) = tmp_file("plain.log", &bytes);
    let (code, out, err) = analyze(&p, &["--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["inputs"][0]["gzip"], true);
    assert_eq!(v["inputs"][0]["requests"], 2);
    assert_eq!(v["verdicts"][0]["endpoint"], "GET /a");
    assert_eq!(v["verdicts"][0]["p50_ms"], 100.0);
    assert_eq!(v["verdicts"][0]["max_ms"], 150.0);

    let out = stallscope()
        .args(["analyze", "--format", "json", "-"])
        .write_stdin(bytes)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["inputs"][0]["path"], "-");
    assert_eq!(v["inputs"][0]["requests"], 2);
}

/// A path that is a pipe (`<(zcat app.log.gz)`, here /dev/stdin fed by a pipe) is read once,
/// from its first byte: the bytes looked at to tell the format are not lost.
#[cfg(target_os = "linux")]
#[test]
fn a_pipe_given_by_path_is_read_from_its_first_byte() {
    let out = stallscope()
        .args(["analyze", "--format", "json", "/dev/stdin"])
        .write_stdin(TWO_REQUESTS)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["inputs"][0]["requests"], 2);
    assert_eq!(v["verdicts"][0]["max_ms"], 150.0);
}

#[test]
fn piped_table_has_no_colour() {
    let (_d, p) = tmp_file("a.log", TWO_REQUESTS.as_bytes());
    let (code, out, _) = analyze(&p, &[]);
    assert_eq!(code, 0);
    assert!(!out.contains('\x1b'), "{out}");
    let (_, forced, _) = analyze(&p, &["--color", "always"]);
    assert!(forced.contains('\x1b'), "{forced}");
}

#[test]
fn cut_off_last_line_warns_and_keeps_the_rest() {
    let mut input = TWO_REQUESTS.to_string();
    input.push_str(r#"{"timestamp":"2026-11-24T00:00:00.400000Z","level":"INFO","fields":{"mess"#);
    let (_d, p) = tmp_file("cut.log", input.as_bytes());
    let (code, out, err) = analyze(&p, &["--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("cut.log: line 3: the last line is cut off"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["inputs"][0]["requests"], 2);
    assert!(
        v["inputs"][0]["warnings"][0]
            .as_str()
            .unwrap_or("")
            .contains("line 3")
    );
}

/// `--request-span` names the request span when the HTTP-field heuristic does not fit;
/// `--io-span` makes a child count as I/O.
#[test]
fn request_and_io_span_options() {
    let log = concat!(
        r#"{"timestamp":"2026-11-24T00:00:00.090000Z","level":"INFO","fields":{"message":"close","time.busy":"80.0ms","time.idle":"10.0µs"},"target":"app","span":{"name":"lookup"},"spans":[{"job":"a","name":"job"}]}"#,
        "\n",
        r#"{"timestamp":"2026-11-24T00:00:00.100000Z","level":"INFO","fields":{"message":"close","time.busy":"90.0ms","time.idle":"10.0ms"},"target":"app","span":{"job":"a","name":"job"}}"#,
        "\n"
    );
    let (_d, p) = tmp_file("jobs.log", log.as_bytes());
    let (_, out, _) = analyze(&p, &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["inputs"][0]["requests"], 0);
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap_or("")
            .contains("--request-span"),
        "{v}"
    );

    let (_, out, _) = analyze(&p, &["--format", "json", "--request-span", "job"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["verdicts"][0]["endpoint"], "job");
    assert_eq!(v["verdicts"][0]["requests"], 1);
    // `job` is busy 90 ms, 80 of them inside `lookup`: all computation unless `lookup` is I/O.
    assert_eq!(v["verdicts"][0]["heavy_ms_p50"], 90.0);
    assert!(
        v["verdicts"][0]["evidence"][0]
            .as_str()
            .unwrap_or("")
            .starts_with("busy outside I/O calls")
    );

    let (_, out, _) = analyze(
        &p,
        &[
            "--format",
            "json",
            "--request-span",
            "job",
            "--io-span",
            "^lookup$",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(
        v["verdicts"][0]["evidence"][0]
            .as_str()
            .unwrap_or("")
            .contains("lookup matches --io-span"),
        "{v}"
    );
    // A busy I/O call held its thread: Bad whichever thread it was.
    assert_eq!(v["verdicts"][0]["verdict"], "bad");
}

/// A route holding terminal escapes (a window-title sequence, a colour) is shown escaped in the
/// table and in Markdown, never sent raw; the JSON keeps the real text, escaped by JSON.
#[test]
fn control_characters_from_the_input_never_reach_the_terminal_raw() {
    let route = r"/x\u001b]0;pwned\u0007\u001b[31m";
    let line = |t: &str, busy: &str| {
        format!(
            r#"{{"timestamp":"2026-11-24T00:00:00.{t}Z","level":"INFO","fields":{{"message":"close","time.busy":"{busy}","time.idle":"1.00ms"}},"target":"app","span":{{"method":"GET","route":"{route}","name":"http.request"}}}}"#
        )
    };
    let log = [line("300000", "250ms"), line("600000", "250ms")].join("\n");
    let (_d, p) = tmp_file("escapes.log", log.as_bytes());
    for format in ["table", "markdown"] {
        let (code, out, _) = analyze(&p, &["--format", format, "--color", "never"]);
        assert_eq!(code, 0, "{out}");
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{format}: {out:?}"
        );
        // A table cell wraps at its width: there, look for the start of the escaped route.
        let shown = match format {
            "table" => r"/x\u{1b}]0;pwned",
            _ => r"GET /x\u{1b}]0;pwned\u{7}\u{1b}[31m",
        };
        assert!(out.contains(shown), "{format}: {shown} in {out}");
    }
    let (_, out, _) = analyze(&p, &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(
        v["verdicts"][0]["endpoint"],
        "GET /x\u{1b}]0;pwned\u{7}\u{1b}[31m"
    );
}

/// An error that quotes the input shows its control bytes escaped on stderr too.
#[test]
fn errors_quoting_the_input_escape_control_characters() {
    let (_d, p) = tmp_file("esc.txt", b"hello \x1b]0;pwned\x07 world\nmore text\n");
    let (code, _, err) = analyze(&p, &[]);
    assert_eq!(code, 2);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains(r"'hello \u{1b}]0;pwned\u{7} world'"), "{err}");
}

/// Formats people save that are not read yet are named as what they are, and binary data as
/// binary: exit 2, one line, what was found and what is read.
#[test]
fn formats_not_read_yet_and_binary_data_are_named() {
    let (_d, p) = tmp_file("metrics.json", br#"{"resourceMetrics":[]}"#);
    let (code, _, err) = analyze(&p, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("metrics.json: OpenTelemetry metrics as OTLP/JSON (resourceMetrics), not spans: stallscope does not read this format yet"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let binary: Vec<u8> = (1..600u32).map(|i| (i * 131 % 251) as u8).collect();
    let (_d, p) = tmp_file("core.bin", &binary);
    let (code, _, err) = analyze(&p, &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("core.bin: binary data (not text, and not gzip)"),
        "{err}"
    );
}
