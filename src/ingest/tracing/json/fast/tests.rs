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

/// Whether the line is read at once, by fixed-byte tags.
fn compact(text: &str) -> bool {
    super::line_compact(&mut crate::ingest::json_cursor::Cur::new(text)).is_some()
}

/// The shape tracing-subscriber writes is read at once; its near misses (white space, members
/// swapped, an extra or a repeated member, an escape) are read member by member or left to
/// serde, always agreeing with serde.
#[test]
fn compact_shape_and_its_near_misses() {
    let span = r#"{"method":"GET","request_id":1,"route":"/orders","name":"http.request"}"#;
    let full = |fields: &str, spans: &str| {
        format!(
            r#"{{"timestamp":"2026-11-24T00:00:00.001275Z","level":"INFO","fields":{fields},"target":"demo_server","span":{span},"spans":{spans},"threadName":"tokio-rt-worker","threadId":"ThreadId(3)"}}"#
        )
    };
    let enter = r#"{"message":"enter"}"#;
    for l in [
        full(enter, "[]"),
        full(enter, &format!("[{span},{span}]")),
        full(
            r#"{"message":"close","time.busy":"1.5ms","time.idle":"2µs"}"#,
            &format!("[{span}]"),
        ),
        full(
            r#"{"message":"finished processing request","latency":"7 ms","status":200}"#,
            "[]",
        ),
        full(r#"{"message":"x","status":"ok"}"#, "[]"),
        full(r#"{"message":"x","status":{"a":[1]}}"#, "[]"),
        // Members the general parts read: white space in spans, a span's odd values.
        full(enter, &format!("[ {span} ]")),
        full(enter, r#"[{"a":[1,{"b":true}],"name":"n"}]"#),
        full(enter, r#"[{},{"x":-1.5,"y":true,"z":false,"name":"é"}]"#),
        r#"{"timestamp":"2026-11-24T00:00:01Z","level":"INFO","fields":{"message":"close","time.busy":"1.00ms","time.idle":"1.00ms"},"span":{"name":"x"}}"#.to_string(),
        r#"{"timestamp":"2026-11-24T00:00:01Z","target":"app"} "#.to_string(),
        r#"{"timestamp":"2026-11-24T00:00:01Z","span":{"b":false,"n":{"x":1},"name":"x"},"threadId":"1"}"#.to_string(),
    ] {
        assert!(compact(&l), "not read at once: {l}");
        assert!(agrees(&l), "not read by the fast path: {l}");
    }
    // Not the fixed shape: read member by member, as serde does.
    for l in [
        full(enter, "[]").replacen(r#""level":"INFO","#, "", 1).replacen(
            r#""target":"demo_server","#,
            r#""target":"demo_server","level":"INFO","#,
            1,
        ),
        full(enter, "[]").replacen(",", ", ", 1),
        full(enter, "[]").replacen(":", ": ", 1),
        full(enter, "[]").replacen('{', "{ ", 1),
        full(enter, "[]").replacen(r#""level""#, r#""lvl""#, 1),
        full(enter, "[]").replacen(r#""threadId""#, r#""filename":"a.rs","threadId""#, 1),
        r#"{"level":"INFO","timestamp":"2026-11-24T00:00:01Z"}"#.to_string(),
        r#"{"timestamp":"2026-11-24T00:00:01Z","message":"close","time.busy":"1.00ms","time.idle":"99.0ms","span":{"name":"x"}}"#.to_string(),
    ] {
        assert!(!compact(&l), "read at once: {l}");
        assert!(agrees(&l), "not read by the fast path: {l}");
    }
    // A member not of its fixed shape: that member read by the general parts.
    use crate::ingest::json_cursor::Cur;
    for fields in [
        r#"{"message":"enter","x":1}"#,
        r#"{"time.busy":"1ms","message":"close"}"#,
        r#"{"message":"close","time.idle":"1ms","time.busy":"1ms"}"#,
        r#"{"message":7}"#,
        r#"{"message":"a","latency":7}"#,
        r#"{ "message":"enter"}"#,
        r#"{"message": "enter"}"#,
        "{}",
    ] {
        assert!(
            super::EventFields::compact(&mut Cur::new(fields)).is_none(),
            "{fields}"
        );
        let l = full(fields, "[]");
        assert!(compact(&l) && agrees(&l), "not read by the fast path: {l}");
    }
    for s in [
        r#"{"method":"GET", "name":"x"}"#,
        r#"{"method" :"GET","name":"x"}"#,
        r#"{ "name":"x"}"#,
        r#"{"name":"x" }"#,
        "{}",
    ] {
        assert!(super::SpanObj::compact(&mut Cur::new(s)).is_none(), "{s}");
        let l = full(enter, "[]").replacen(span, s, 1);
        assert!(compact(&l) && agrees(&l), "not read by the fast path: {l}");
    }
    // Left to serde: a repeated member, an escape, a number serde reads its own way.
    for l in [
        full(enter, "[]").replacen(r#""target""#, r#""target":"t","target""#, 1),
        full(enter, "[]").replacen(
            r#""threadId":"ThreadId(3)""#,
            r#""threadId":"a","threadId":"b""#,
            1,
        ),
        full(r#"{"message":"enter","message":"exit"}"#, "[]"),
        full(r#"{"message":"a\"b"}"#, "[]"),
        full(enter, "[]").replacen("INFO", r"IN\u0046O", 1),
        full(enter, "[]").replacen("/orders", r"\/orders", 1),
        full(enter, r#"[{"a":"\n"}]"#),
        full(enter, r#"[{"x":1e3}]"#),
        full(enter, r#"[{"x":null}]"#),
        full(enter, "[]").replacen(r#""request_id":1"#, r#""request_id":-1"#, 1),
        full(enter, "[]").replacen(r#""request_id":1"#, r#""request_id":1.5"#, 1),
        full(enter, "[]") + "}",
        full(r#"{"message":"enter","message":"exit"}"#, "[]").replacen('"', r#" ""#, 1),
        full(enter, "[]").replacen(span, r#"{"name":"x","a":"\u00e9"}"#, 1),
        full(enter, "[]").replacen("}", "", 1),
    ] {
        assert!(!compact(&l), "read at once: {l}");
        assert!(!agrees(&l), "read by the fast path: {l}");
    }
}

/// A span event's context (`spans`), parsed when the event needs it: where the fast path
/// answers, serde makes the same list of it, on every sample line's list and damaged ones.
#[test]
fn span_lists_agree_with_serde() {
    let agrees = |text: &str| {
        crate::ingest::json_cursor::agrees_with_serde::<Vec<super::SpanObj<'_>>>(text, super::spans)
    };
    let mut lists: Vec<String> = lines()
        .iter()
        .filter_map(|l| {
            let at = l.find(r#""spans":["#)? + 8;
            let end = at + l[at..].find(']')? + 1;
            Some(l[at..end].to_string())
        })
        .collect();
    assert!(lists.len() > 1000, "only {} lists", lists.len());
    let answered = lists.iter().filter(|l| agrees(l)).count();
    assert!(
        answered * 10 > lists.len() * 9,
        "answered {answered} of {}",
        lists.len()
    );
    lists.dedup();
    let mut checked = 0;
    for list in lists.iter().step_by(20) {
        for d in crate::ingest::json_cursor::damaged(list, 1) {
            agrees(&d);
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} damaged lists");
    for l in [
        r#"[{"a":[1]}]"#,
        "[ ]",
        r#" [{"name":"x"}] "#,
        r#"[{"name":"x","name":"y"}]"#,
    ] {
        assert!(agrees(l), "not read: {l}");
    }
    for l in [
        r#"[{"a":"\t"}]"#,
        r#"[{"a":null}]"#,
        "[1]",
        r#"[{"a":1}] x"#,
        "{}",
    ] {
        assert!(!agrees(l), "read: {l}");
    }
}
