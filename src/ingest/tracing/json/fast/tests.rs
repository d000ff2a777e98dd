//! The fast path against serde_json: where it answers, the same structs; where serde refuses
//! a line, no answer.

use super::line;

/// Every line of the repository's tracing JSON samples and test files, and generated lines.
fn lines() -> Vec<String> {
    let mut out = Vec::new();
    for f in [
        "sample-traces/incident.json-full.log",
        "sample-traces/incident.json-close.log",
        "sample-traces/diff.before.json-full.log",
        "sample-traces/mixed.json-close.log",
        "sample-traces/patterns.json-newclose.log",
        "sample-traces/towerhttp.json-close.log",
        "sample-traces/patterns.json-full.log.gz",
        "sample-traces/tasks.json-full.log.gz",
        "tests/data/formats/task_spans/json-full.log",
        "tests/data/formats/lifecycle/one-thread.json.log",
        "tests/data/formats/routes/ids.json",
        "tests/data/formats/routes/towerhttp-events.json",
        "tests/data/formats/requests/active-enter-exit.json",
    ] {
        let text = crate::ingest::json_cursor::repo_text(f);
        // The first 400 lines of each: every shape a file has shows early.
        out.extend(text.lines().take(400).map(str::to_string));
    }
    let generated = crate::testgen::tracing_log::generate_log(1 << 18, 7);
    let generated = String::from_utf8(generated).expect("generated lines are UTF-8");
    out.extend(generated.lines().take(200).map(str::to_string));
    out
}

/// Where the fast path answers, serde reads the line and makes the same structs of it.
fn agrees(text: &str) -> bool {
    crate::ingest::json_cursor::agrees_with_serde(text, line)
}

#[test]
fn reads_every_sample_line_as_serde_does() {
    let lines = lines();
    let (answered, readable) = crate::ingest::json_cursor::serde_coverage(&lines, line);
    // Every line serde reads, but for the few with an escaped quote in a message.
    let escaped = readable.iter().filter(|l| l.contains('\\')).count();
    assert!(
        answered + escaped >= readable.len() && readable.len() > 3000,
        "answered {answered} of {} lines serde reads ({escaped} with escapes)",
        readable.len()
    );
}

#[test]
fn shapes_it_reads_and_shapes_it_leaves() {
    let line_with = |members: &str| {
        format!(
            r#"{{"timestamp":"2026-01-01T00:00:00.000001Z","level":"INFO","fields":{{"message":"close","time.busy":"1.5ms","time.idle":"2µs"}},"target":"app","span":{{"id":7,"ok":true,"neg":"-1","name":"request"}},"spans":[{{"name":"root"}}],{members}"threadId":"ThreadId(2)"}}"#
        )
    };
    for m in [
        "",
        r#""threadName":"tokio-runtime-worker","#,
        r#""message":"flattened","latency":"12 ms","status":200,"#,
        r#""message":42,"latency":{"a":[1,2.5]},"status":"ok","#,
        r#""status":[1],"extra":{"nested":[true,false,"x"]},"#,
        r#""time.busy":"3ms","time.idle":"1ms","#,
    ] {
        let l = line_with(m);
        assert!(agrees(&l), "not read by the fast path: {l}");
    }
    for m in [
        r#""message":"a\"b","#,
        r#""message":"a","message":"b","#,
        r#""message":1,"message":2,"#,
        r#""status":-3,"#,
        r#""status":2.5,"#,
        r#""status":null,"#,
        r#""spans":null,"#,
        r#""target":"again","#,
        r#""threadName":7,"#,
        r#""x":1e3,"#,
    ] {
        let l = line_with(m);
        assert!(line(&l).is_none(), "read by the fast path: {l}");
    }
}

/// Damaged lines (cut, a byte removed, a byte replaced with one of JSON's own, one inserted):
/// the fast path answers only where serde reads the line, and then the same.
#[test]
fn damaged_lines_agree_with_serde() {
    let mut checked = 0;
    for text in lines().iter().step_by(40) {
        for d in crate::ingest::json_cursor::damaged(text, 1) {
            agrees(&d);
            checked += 1;
        }
    }
    assert!(checked > 10_000, "only {checked} damaged lines");
}
