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
