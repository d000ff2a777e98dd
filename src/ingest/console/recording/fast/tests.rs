//! The fast path against serde_json: where it answers, the same record; where serde refuses
//! a line, no answer.

use super::record;

/// Every line of the repository's console recordings, and generated lines.
fn lines() -> Vec<String> {
    let mut out = Vec::new();
    for f in [
        "sample-traces/console.incident.jsonl",
        "sample-traces/joined.incident.console.jsonl",
        "sample-traces/console.patterns.jsonl.gz",
    ] {
        let text = crate::ingest::json_cursor::repo_text(f);
        out.extend(text.lines().take(3000).map(str::to_string));
    }
    let mut generated = Vec::new();
    crate::testgen::console_recording::generate_recording(&mut generated, 200, 7)
        .expect("written to memory");
    let generated = String::from_utf8(generated).expect("generated lines are UTF-8");
    out.extend(generated.lines().take(1000).map(str::to_string));
    out
}

/// Where the fast path answers, serde reads the line and makes the same record of it.
fn agrees(line: &str) -> bool {
    crate::ingest::json_cursor::agrees_with_serde(line, record)
}

#[test]
fn reads_every_sample_line_as_serde_does() {
    let lines = lines();
    let (answered, readable) = crate::ingest::json_cursor::serde_coverage(&lines, record);
    // Every line serde reads, but for those with an escape or a negative integer.
    let unusual = readable
        .iter()
        .filter(|l| l.contains('\\') || l.contains(":-"))
        .count();
    assert!(
        answered + unusual >= readable.len() && readable.len() > 3000,
        "answered {answered} of {} lines serde reads ({unusual} unusual)",
        readable.len()
    );
}

#[test]
fn shapes_it_reads_and_shapes_it_leaves() {
    let at = r#""at":{"secs_since_epoch":1795000000,"nanos_since_epoch":25000}"#;
    for l in [
        format!(r#"{{"Enter":{{"id":1,{at}}}}}"#),
        format!(r#"{{"Exit":{{"id":18446744073709551615,{at},"extra":[1,2.5]}}}}"#),
        format!(r#"{{"Close":{{{at},"id":3}}}}"#),
        format!(
            r#"{{"Spawn":{{"id":2,{at},"fields":[{{"name":"a","value":"s"}},{{"name":"b","value":7}},{{"name":"c","value":true}},{{"name":"d","value":1.5}},{{"name":"e","value":null}},{{"name":"f","value":[1]}}]}}}}"#
        ),
        format!(r#"{{"Waker":{{"id":4,"op":"Clone",{at}}}}}"#),
        format!(r#"{{"Waker":{{"id":4,"op":{{"Wake":{{"self_wake":true}}}},{at}}}}}"#),
        format!(r#"{{"Waker":{{"id":4,"op":{{"WakeByRef":{{}}}},{at}}}}}"#),
        r#"{"Resume":{"id":4},"later":true}"#.to_string(),
        r#"{"v":1}"#.to_string(),
    ] {
        assert!(agrees(&l), "not read by the fast path: {l}");
    }
    for l in [
        format!(r#"{{"Enter":{{"id":-1,{at}}}}}"#),
        format!(r#"{{"Enter":{{"id":1.0,{at}}}}}"#),
        format!(r#"{{"Enter":{{"id":1,"id":2,{at}}}}}"#),
        r#"{"Enter":{"id":1}}"#.to_string(),
        r#"{"Enter":{"id":1,"at":{"secs_since_epoch":1,"nanos_since_epoch":4294967296}}}"#
            .to_string(),
        format!(r#"{{"Spawn":{{"id":2,{at},"fields":[{{"name":"a","value":-3}}]}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,{at},"fields":[{{"name":"a"}}]}}}}"#),
        format!(r#"{{"Waker":{{"id":4,"op":"Wake",{at}}}}}"#),
        format!(r#"{{"Waker":{{"id":4,"op":{{"Wake":{{}},"Drop":null}},{at}}}}}"#),
        r#"{"Sp\u0061wn":{}}"#.to_string(),
        "{}".to_string(),
        format!(r#"{{"Enter":{{"id":1,{at}}}}} x"#),
    ] {
        assert!(record(&l).is_none(), "read by the fast path: {l}");
    }
}

/// Damaged lines (cut, a byte removed, a byte replaced with one of JSON's own, one inserted):
/// the fast path answers only where serde reads the line, and then the same.
#[test]
fn damaged_lines_agree_with_serde() {
    let mut checked = 0;
    for line in lines().iter().step_by(97) {
        for d in crate::ingest::json_cursor::damaged(line, 1) {
            agrees(&d);
            checked += 1;
        }
    }
    assert!(checked > 10_000, "only {checked} damaged lines");
}

/// The shapes console-subscriber writes are read at once by fixed-byte tags; their near
/// misses (white space, members swapped, an extra or a repeated member, an escape, numbers
/// the one-pass integer leaves) are read member by member or left to serde, always agreeing
/// with serde.
#[test]
fn compact_shapes_and_their_near_misses() {
    let compact = |l: &str| {
        crate::ingest::json_cursor::Cur::new(l)
            .record_compact()
            .is_some()
    };
    let at = r#""at":{"secs_since_epoch":1795000000,"nanos_since_epoch":25000}"#;
    let fields = r#""fields":[{"name":"kind","value":"task"},{"name":"task.id","value":4},{"name":"ok","value":true},{"name":"f","value":1.5},{"name":"big","value":18446744073709551615},{"name":"z","value":0}]"#;
    for l in [
        format!(r#"{{"Enter":{{"id":1,{at}}}}}"#),
        format!(r#"{{"Exit":{{"id":1234567890123456789,{at}}}}}"#),
        format!(r#"{{"Close":{{"id":0,{at}}}}}"#),
        format!("{{\"Close\":{{\"id\":3,{at}}}}} \r\n"),
        format!(r#"{{"Spawn":{{"id":2,{at},{fields}}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,{at},"fields":[]}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,{at}}}}}"#),
        format!(r#"{{"Waker":{{"id":4,"op":"Clone",{at}}}}}"#),
        format!(r#"{{"Waker":{{"id":4,"op":"Drop",{at}}}}}"#),
        format!(r#"{{"Waker":{{"id":4,"op":{{"Wake":{{"self_wake":true}}}},{at}}}}}"#),
        format!(r#"{{"Waker":{{"id":4,"op":{{"WakeByRef":{{"self_wake":false}}}},{at}}}}}"#),
    ] {
        assert!(compact(&l), "not read at once: {l}");
        assert!(agrees(&l), "not read by the fast path: {l}");
    }
    // Not the fixed shape: read member by member, as serde does.
    for l in [
        format!(r#"{{ "Enter":{{"id":1,{at}}}}}"#),
        format!(r#"{{"Enter": {{"id":1,{at}}}}}"#),
        format!(r#"{{"Enter":{{"id":1, {at}}}}}"#),
        format!(r#"{{"Enter":{{{at},"id":1}}}}"#),
        format!(r#"{{"Enter":{{"id":1,{at},"extra":2}}}}"#),
        format!(r#"{{"Enter":{{"id":1,{at}}},"later":true}}"#),
        r#"{"Enter":{"id":1,"at":{"nanos_since_epoch":1,"secs_since_epoch":2}}}"#.to_string(),
        r#"{"Enter":{"id":1,"at":{"secs_since_epoch":2,"nanos_since_epoch":1,"x":0}}}"#.to_string(),
        format!(r#"{{"Enter":{{"id":12345678901234567890,{at}}}}}"#),
        format!(r#"{{"Waker":{{"op":"Clone","id":4,{at}}}}}"#),
        format!(r#"{{"Waker":{{"id":4,"op":{{"Wake":{{}}}},{at}}}}}"#),
        format!(r#"{{"Waker":{{"id":4,"op":{{"Wake":{{"self_wake":true,"x":1}}}},{at}}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,"fields":[],{at}}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,{at},"fields":[{{"value":1,"name":"a"}}]}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,{at},"fields":[{{"name":"a","value":1,"x":0}}]}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,{at},"fields":[ {{"name":"a","value":1}}]}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,{at},"fields":[{{"name":"a","value":1}}],"x":0}}}}"#),
    ] {
        assert!(!compact(&l), "read at once: {l}");
        assert!(agrees(&l), "not read by the fast path: {l}");
    }
    // Left to serde (a duplicate, an escape, numbers serde reads its own way or refuses).
    for l in [
        format!(r#"{{"Enter":{{"id":1,"id":1,{at}}}}}"#),
        format!(r#"{{"Enter":{{"id":1,{at},{at}}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,{at},"fields":[{{"name":"a\"b","value":1}}]}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,{at},"fields":[{{"name":"a","value":"\n"}}]}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,{at},"fields":[{{"name":"a","value":-1}}]}}}}"#),
        format!(r#"{{"Spawn":{{"id":2,{at},"fields":[{{"name":"a","value":1e3}}]}}}}"#),
        format!(r#"{{"Enter":{{"id":01,{at}}}}}"#),
        format!(r#"{{"Enter":{{"id":1.0,{at}}}}}"#),
        format!(r#"{{"Enter":{{"id":1e2,{at}}}}}"#),
        format!(r#"{{"Enter":{{"id":-0,{at}}}}}"#),
        format!(r#"{{"Enter":{{"id":18446744073709551616,{at}}}}}"#),
        r#"{"Enter":{"id":1,"at":{"secs_since_epoch":1,"nanos_since_epoch":4294967296}}}"#
            .to_string(),
        format!(r#"{{"Enter":{{"id":1,{at}}}}}}}"#),
        format!(r#"{{"Enter":{{"id":1,{at}}}"#),
    ] {
        assert!(!compact(&l), "read at once: {l}");
        assert!(!agrees(&l), "read by the fast path: {l}");
    }
}
