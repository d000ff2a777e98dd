//! The fast path against serde_json: where it answers, the same structs; where serde refuses
//! a line, no answer.

use super::request;

/// Every OTLP/JSON line of the repository's samples and test files, and generated lines.
fn lines() -> Vec<String> {
    let dir = env!("CARGO_MANIFEST_DIR");
    let mut out = Vec::new();
    for f in [
        "sample-traces/django/asgi.otlp.jsonl",
        "sample-traces/django/asgi.otlp-threads.jsonl",
        "sample-traces/django/wsgi.otlp.jsonl",
        "sample-traces/django/wsgi.otlp-threads.jsonl",
        "sample-traces/har/page-burst.otlp.jsonl",
        "sample-traces/har/page-idle.otlp.jsonl",
        "tests/data/formats/otel/otlp-collector.jsonl",
        "tests/data/formats/otel/otlp-bad-spans.jsonl",
        "tests/data/formats/django/asgi-loop.jsonl",
        "tests/data/formats/django/wsgi-pool.jsonl",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{f}")).expect("test input");
        out.extend(text.lines().map(str::to_string));
    }
    // The specification's example and the protobuf mapping's, pretty-printed: as one line.
    for f in [
        "tests/data/formats/otel/otlp-spec-example.json",
        "tests/data/formats/otel/otlp-protobuf-json.json",
        "tests/data/formats/har/ids.otlp.json",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{f}")).expect("test input");
        out.push(text.trim().to_string());
    }
    let generated = crate::testgen::otlp::generate(1 << 20, 7);
    let generated = String::from_utf8(generated).expect("generated lines are UTF-8");
    out.extend(generated.lines().take(40).map(str::to_string));
    out
}

/// Where the fast path answers, serde reads the line and makes the same structs of it.
fn agrees(line: &str) -> bool {
    crate::ingest::json_cursor::agrees_with_serde(line, request)
}

#[test]
fn reads_every_sample_line_as_serde_does() {
    let lines = lines();
    let (answered, readable) = crate::ingest::json_cursor::serde_coverage(&lines, request);
    let readable = readable.len();
    // Every line serde reads (all but one, cut off, in the file of bad spans): the samples
    // (captured headers come as `arrayValue`s of one), the generated lines, the
    // specification's example and the protobuf mapping's.
    assert_eq!(answered, readable, "lines read by serde: {readable}");
    assert!(readable + 1 == lines.len() && readable > 30);
}

#[test]
fn shapes_it_reads_and_shapes_it_leaves() {
    let span = |members: &str| {
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"s"}}}}]}},"scopeSpans":[{{"scope":{{"name":"x"}},"spans":[{{"traceId":"01","spanId":"02",{members}}}]}}]}}]}}"#
        )
    };
    // Read: times as strings or numbers, kinds as numbers or names, integer and boolean
    // values, unknown members of every kind, white space.
    for m in [
        r#""startTimeUnixNano":"10","endTimeUnixNano":20"#,
        // Times as decimal strings: plain digits read in one pass, the rest as str::parse
        // reads them (white space around, a sign, leading zeros).
        r#""startTimeUnixNano":"9223372036854775807","endTimeUnixNano":"-5""#,
        r#""startTimeUnixNano":" 10 ","endTimeUnixNano":"+20""#,
        r#""startTimeUnixNano":"007","endTimeUnixNano":"0""#,
        r#""kind":2"#,
        r#""kind":"SPAN_KIND_CLIENT""#,
        r#""kind":-1"#,
        r#""attributes":[{"key":"n","value":{"intValue":42}},{"key":"b","value":{"boolValue":false}}]"#,
        r#""attributes":[{"key":"k"}]"#,
        // The compact shape read at once, and its near misses read member by member.
        r#""attributes":[{"key":"a","value":{"stringValue":""}},{"key":"","value":{"intValue":"7"}}]"#,
        r#""attributes":[{"key":"a","value":{"stringValue":"x","intValue":"1"}}]"#,
        r#""attributes":[{"key":"a","value":{"stringValue":"x"},"extra":1}]"#,
        r#""attributes":[{"value":{"stringValue":"v"},"key":"k"}]"#,
        r#""attributes":[{"key":"a","value":{}}]"#,
        r#""attributes":[ {"key":"a","value":{"stringValue":"x"} } , {"key" :"b","value":{"stringValue":"y"}}]"#,
        r#""attributes":[{"key":"a","value":{"intValue":"x"}}]"#,
        r#""attributes":[{"key":"a","value":{"arrayValue":{"values":[]}}}]"#,
        r#""attributes":[{"key":"a","value":{"arrayValue":{"values":[{"stringValue":"x"}]}}}]"#,
        r#""attributes":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"},{"boolValue":true}]}}}]"#,
        r#""attributes":[{"key":"a","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}}]}}}]"#,
        r#""flags":256,"droppedAttributesCount":0,"x":[true,false,{"y":[1,2.5,-3]}]"#,
        r#""status":{"code":2,"message":"boom"}"#,
        r#""status":{"code":"STATUS_CODE_OK"}"#,
        r#""events":[{"timeUnixNano":"5","name":"exception","attributes":[]}]"#,
        " \"name\" : \"a b\" , \"kind\" : 1 ",
        r#""name":"ünïcode ✓""#,
    ] {
        let line = span(m);
        assert!(agrees(&line), "not read by the fast path: {line}");
    }
    // Left to serde (which reads some and refuses others).
    for m in [
        r#""name":"a\"b""#,
        r#""name":null"#,
        r#""name":1"#,
        r#""name":"a","name":"b""#,
        r#""spanId":"03""#,
        r#""span_id":"03""#,
        r#""startTimeUnixNano":1.5"#,
        r#""startTimeUnixNano":"1e3""#,
        "\"startTimeUnixNano\":\"\t10\"",
        r#""startTimeUnixNano":"9223372036854775808""#,
        r#""startTimeUnixNano":"12345678901234567890""#,
        r#""startTimeUnixNano":"""#,
        "\"startTimeUnixNano\":\"10\n\"",
        r#""startTimeUnixNano":99999999999999999999"#,
        r#""kind":1.0"#,
        r#""x":1e5"#,
        r#""x":01"#,
        r#""x":-"#,
        r#""x":nul"#,
        r#""x":"tab	in""#,
        r#""attributes":[{"key":"d","value":{"doubleValue":0.5}}]"#,
        r#""attributes":[{"value":{"stringValue":"no key"}}]"#,
        r#""attributes":[{"key":"a","value":{"stringValue":"x"}},{"key":"a\u0062","value":{"stringValue":"x"}}]"#,
        r#""attributes":[{"key":"a","value":{"stringValue":"x\n"}}]"#,
        r#""attributes":[{"key":"a","key":"b","value":{"stringValue":"x"}}]"#,
        r#""attributes":[{"key":"a","value":{"stringValue":"x"},"value":{"stringValue":"y"}}]"#,
        r#""attributes":[{"key":"a","value":{"stringValue":"x"}}"#,
        r#""attributes":null"#,
        r#""status":{"code":-1}"#,
    ] {
        let line = span(m);
        assert!(request(&line).is_none(), "read by the fast path: {line}");
    }
    assert!(request(&format!("{} x", span(r#""kind":1"#))).is_none());
    assert!(request(r#"{"resourceSpans":[],"resourceSpans":[]}"#).is_none());
    assert!(request(r#"{"other":1}"#).is_none());
    assert!(request(&"[".repeat(100)).is_none());
}

/// Damaged lines (cut, a byte removed, a byte replaced with one of JSON's own): the fast path
/// answers only where serde reads the line, and then the same.
#[test]
fn damaged_lines_agree_with_serde() {
    let mut checked = 0;
    for line in &lines() {
        // Every place of a short line; about 30 spread over a long one.
        let step = if line.len() < 2000 {
            1
        } else {
            line.len() / 30
        };
        for d in crate::ingest::json_cursor::damaged(line, step) {
            agrees(&d);
            checked += 1;
        }
    }
    assert!(checked > 10_000, "only {checked} damaged lines");
}
