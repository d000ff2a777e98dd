//! The fast path against serde_json: where it answers, the same event and the same length;
//! where serde refuses an element, no answer. Both ways an element is decoded: alone (the
//! stream's batches, `from_str`) and followed by the rest of the file (the split path, serde's
//! stream deserializer and its `byte_offset`).

use super::{checked_raw, element, value_end, whole};
use crate::ingest::chrome::event::MaybeEvent;
use crate::ingest::chrome::scan::Scanner;
use crate::ingest::json_cursor::{agrees_with_serde, damaged, repo_text};
use serde_json::value::RawValue;

/// The repository's Chrome traces (DevTools, tracing-chrome, viztracer).
const REPO_TRACES: &[&str] = &[
    "sample-traces/devtools.page-burst.json.gz",
    "sample-traces/devtools.page-idle.json.gz",
    "sample-traces/django/asgi.viztracer.json.gz",
    "sample-traces/har/demo-page-burst.devtools.json.gz",
    "sample-traces/har/demo-page-idle.devtools.json.gz",
    "sample-traces/har/page-burst.devtools.json.gz",
    "sample-traces/har/page-idle.devtools.json.gz",
    "sample-traces/incident.chrome-async.json",
    "sample-traces/patterns.chrome-threaded.json",
    "sample-traces/tasks.chrome-async.json.gz",
    "sample-traces/tasks.chrome-threaded.json.gz",
    "tests/data/formats/lifecycle/async.chrome.json",
    "tests/data/formats/python/viztracer-async.json.gz",
    "tests/data/formats/python/viztracer-min-async.json",
    "tests/data/formats/python/viztracer-min.json",
    "tests/data/formats/python/viztracer.json.gz",
    "tests/data/formats/requests/chrome-path-not-http.json",
    "tests/data/formats/task_spans/chrome-async.json",
    "tests/data/formats/task_spans/chrome-threaded.json",
];

/// The elements of the event array of `text`, each with its offset, as the stream's scanner
/// cuts them.
fn elements(text: &str) -> Vec<(usize, String)> {
    let mut input = text.as_bytes();
    let mut s = Scanner::new("t.json", &mut input);
    let mut out = Vec::new();
    let _ = s.events(&mut |slice, at, _| {
        if let (Ok(e), Ok(at)) = (std::str::from_utf8(slice), usize::try_from(at)) {
            out.push((at, e.to_string()));
        }
        Ok(())
    });
    out
}

/// Where the fast path answers the element `rest` starts with, serde's stream deserializer
/// reads the same event and ends at the same byte.
fn agrees_in_place(rest: &str) -> bool {
    let Some((fast, len)) = element(rest) else {
        return false;
    };
    let mut one = serde_json::Deserializer::from_str(rest).into_iter::<MaybeEvent<'_>>();
    match one.next() {
        Some(Ok(slow)) => {
            assert_eq!(fast, slow, "the fast path and serde differ on {rest:.300}");
            assert_eq!(len, one.byte_offset(), "not the same length: {rest:.300}");
        }
        other => panic!(
            "the fast path read an element serde does not ({:?}): {rest:.300}",
            other.map(|r| r.err())
        ),
    }
    true
}

/// Every element of `text`, both ways: (elements, answered alone, answered in place, read
/// by serde, with a backslash or an exponent outside `args`).
fn check_trace(text: &str) -> (usize, usize, usize, usize, usize) {
    let els = elements(text);
    let (mut alone, mut in_place, mut readable, mut odd) = (0, 0, 0, 0);
    for (at, e) in &els {
        alone += usize::from(agrees_with_serde(e.as_str(), whole));
        in_place += usize::from(agrees_in_place(&text[*at..]));
        readable += usize::from(serde_json::from_str::<MaybeEvent<'_>>(e).is_ok());
        let outside_args = match serde_json::from_str::<serde_json::Value>(e) {
            Ok(serde_json::Value::Object(mut m)) => {
                m.remove("args");
                serde_json::to_string(&m).unwrap_or_default()
            }
            _ => String::new(),
        };
        let exponent = e.contains("e+") || e.contains("e-") || e.contains("E");
        odd += usize::from(outside_args.contains('\\') || exponent);
    }
    (els.len(), alone, in_place, readable, odd)
}

#[test]
fn reads_every_element_of_the_repository_traces_as_serde_does() {
    let mut total = 0;
    for f in REPO_TRACES {
        let text = repo_text(f);
        let (n, alone, in_place, readable, odd) = check_trace(&text);
        assert!(n > 0, "no elements in {f}");
        assert_eq!(alone, in_place, "{f}");
        // Every element serde reads, but those with an escape or an exponent outside `args`
        // (which the cursor leaves to serde).
        assert!(
            alone + odd >= readable,
            "{f}: answered {alone} of {readable} elements serde reads ({odd} odd)"
        );
        total += n;
    }
    assert!(total > 20_000, "only {total} elements");
}

/// The Chrome traces of the shared corpus (outside the repository: run with `--ignored`; it
/// fails, never passes, when the corpus is not there).
#[test]
#[ignore = "reads ../shared/corpus/chrome, outside the repository"]
fn reads_every_element_of_the_corpus_as_serde_does() {
    use std::io::Read;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/chrome");
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("no corpus at {dir}: {e}"));
    let mut files = 0;
    for entry in entries {
        let path = entry.expect("a corpus entry").path();
        let name = path.to_string_lossy().to_string();
        if !(name.ends_with(".json") || name.ends_with(".json.gz")) {
            continue;
        }
        let raw = std::fs::read(&path).expect("a corpus file");
        let mut text = Vec::new();
        if name.ends_with(".gz") {
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_end(&mut text)
                .expect("gzip corpus file");
        } else {
            text = raw;
        }
        let Ok(text) = String::from_utf8(text) else {
            continue;
        };
        let (n, alone, in_place, readable, odd) = check_trace(&text);
        assert_eq!(alone, in_place, "{name}");
        assert!(
            alone + odd >= readable,
            "{name}: answered {alone} of {readable} elements serde reads ({odd} odd)"
        );
        eprintln!("{name}: {n} elements, {alone} answered, {readable} read by serde");
        files += 1;
    }
    assert!(files >= 20, "only {files} corpus traces");
}

/// Damaged copies of a few hundred elements (cut, a byte removed, replaced or inserted), alone
/// and followed by more of the array: the fast path answers only what serde reads, the same.
#[test]
fn damaged_elements_agree_with_serde() {
    let mut picked = Vec::new();
    for f in REPO_TRACES {
        let els = elements(&repo_text(f));
        let step = (els.len() / 30).max(1);
        picked.extend(els.into_iter().step_by(step).map(|(_, e)| e));
    }
    assert!(picked.len() > 300, "only {} elements", picked.len());
    let mut checked = 0;
    for e in &picked {
        for d in damaged(e, 3) {
            agrees_with_serde(d.as_str(), whole);
            agrees_in_place(&format!("{d},\n{{\"ph\":\"X\"}}]"));
            agrees_in_place(&format!("{d} ]"));
            checked += 1;
        }
    }
    assert!(checked > 50_000, "only {checked} damaged elements");
}

/// An event with `members` in the middle.
fn with(members: &str) -> String {
    format!(
        r#"{{"args":{{"data":{{"url":"https://a.example/x.js","lineNumber":3}}}},"cat":"devtools.timeline",{members}"ts":187006265459,"dur":15,"tts":6265476}}"#
    )
}

#[test]
fn near_misses_it_reads_as_serde_does() {
    for m in [
        "",
        r#""name":"FunctionCall","ph":"X","pid":10311,"tid":9,"#,
        // Wrong types read as absent, for each field.
        r#""name":5,"cat":true,"ph":["X"],"pid":{"a":1},"tid":false,"id":[1,{"b":2}],"#,
        r#""name":null,"cat":null,"ph":null,"pid":null,"tid":null,"id":null,"id2":null,"args":null,"#,
        r#""name":{"x":"y"},"ph":-1.5,"pid":true,"tid":[],"id":{},"#,
        r#""ts":"n/a","dur":[1],"#,
        r#""ts":true,"dur":{"a":"b"},"#,
        r#""ts":null,"dur":null,"#,
        // Numeric strings (trimmed), numbers of every kind.
        r#""ts":" 12.5 ","dur":"7","#,
        r#""ts":"1e3","dur":"-0","#,
        r#""ts":"0x10","dur":"","#,
        r#""ts":-5,"dur":-0,"#,
        r#""ts":12.25,"dur":0.1,"#,
        r#""ts":0.30000000000000004,"dur":123456789.123456789,"#,
        r#""ts":18446744073709551615,"dur":18446744073709551616,"#,
        r#""ts":99999999999999999999999999999,"dur":-9223372036854775808,"#,
        r#""ts":-9223372036854775809,"dur":9999999999999999999,"#,
        // Ids: exact unsigned, other numbers as serde's text, strings borrowed.
        r#""pid":18446744073709551615,"tid":"0x1f","id":-3,"#,
        r#""pid":-0,"tid":1.5,"id":18446744073709551616,"#,
        r#""pid":-9223372036854775808,"tid":0,"id":"","#,
        r#""pid":1.0,"tid":-0.0,"id":123456789012345678901234567890,"#,
        // id2 in every form.
        r#""id2":{"global":"0x2a"},"#,
        r#""id2":{"local":"0x2a"},"#,
        r#""id2":{"local":7,"global":8},"#,
        r#""id2":{"global":8,"local":7},"#,
        r#""id2":{"global":null,"local":7},"#,
        r#""id2":{"local":null,"global":true},"#,
        r#""id2":{"local":[1],"local":3},"#,
        r#""id2":{"global":1,"global":"x","other":{"a":[]}},"#,
        r#""id2":{},"#,
        r#""id2":"0x2a","#,
        r#""id2":[1,2],"#,
        r#""id2":5,"#,
        r#""id":1,"id2":{"local":"a"},"id2":{"global":"b"},"#,
        // Duplicate keys: the last one stays.
        r#""name":"a","name":"b","ph":"X","ph":5,"#,
        r#""ts":1,"ts":"2","dur":3,"dur":null,"#,
        r#""pid":1,"pid":"p","tid":2,"tid":[],"#,
        r#""args":{"a":1},"args":[2],"#,
        // Nested and odd args, unknown keys of every kind.
        r#""args":{"a":{"b":{"c":[1,{"d":"e\"f\\g\u00e9"}]}},"n":null,"t":true},"#,
        r#""args":"plain","#,
        r#""args":-1.5e300,"#,
        r#""args":[],"#,
        r#""bind_id":"0x1","flow_in":true,"flow_out":false,"s":"t","sf":12,"#,
        r#""stack":[1,2,[3,[4]]],"argsStripped":null,"tdur":-0.5,"#,
        r#""":1,"x":{},"y":[],"#,
        // Unknown keys' values are passed over as serde does: escapes, exponents, null.
        r#""other":"\t\"\\\u00e9","tts":2e10,"tdur":-1.5E-3,"stack":[null,{"a":null}],"#,
        // Non-ASCII text.
        r#""name":"é ü 漢字 🎉","cat":"ß","#,
    ] {
        let e = with(m);
        assert!(agrees_with_serde(e.as_str(), whole), "not read: {e}");
        assert!(
            agrees_in_place(&format!("{e},{e}]")),
            "not read in place: {e}"
        );
    }
    // White space everywhere JSON allows it.
    let spaced = " {\n\t\"name\" : \"a\" ,\r\n \"args\" :\n {\"b\" : [ 1 , 2 ] } , \"id2\" : { \"local\" : 3 } , \"ts\" : 1 } \n";
    assert!(agrees_with_serde(spaced, whole));
    assert!(agrees_in_place(&format!("{spaced},{{}}]")));
    assert!(agrees_with_serde("{}", whole));
    assert!(agrees_in_place("{} , {}"));
}

#[test]
fn shapes_it_leaves_to_serde() {
    for m in [
        // Escapes where the cursor reads a string.
        r#""name":"a\"b","#,
        r#""na\u006de":"x","#,
        r#""ph":"\u0058","#,
        r#""tid":"\\","#,
        r#""ts":"1\n","#,
        r#""id2":{"glob\u0061l":1},"#,
        // Exponents outside `args`.
        r#""ts":1e3,"#,
        r#""dur":1.5E-3,"#,
        r#""pid":1e0,"#,
        // Syntax errors.
        r#""name":"a",,"#,
        r#""name" "a","#,
        r#""ts":01,"#,
        r#""ts":-,"#,
        r#""ts":1.,"#,
        r#""ts":.5,"#,
        r#""ts":+1,"#,
        r#""ph":tru,"#,
        r#""ph":nul,"#,
        r#""args":{"a":1,},"#,
        r#""args":[1,],"#,
        r#""args":{"a"},"#,
        r#""id2":{"local":1,},"#,
        "\"name\":\"a\u{1}b\",",
        "\"args\":{\"a\":\"\u{1f}\"},",
    ] {
        let e = with(m);
        assert!(whole(&e).is_none(), "read by the fast path: {e}");
        assert!(element(&e).is_none(), "read by the fast path in place: {e}");
        // And serde reads it or refuses it by itself.
        let _ = serde_json::from_str::<MaybeEvent<'_>>(&e);
    }
    // Elements that are not objects, and what is not one element.
    for e in [
        "5", "\"a\"", "null", "[1]", "true", "", " ", "{", "{\"a\":1", "{} x", "{}}",
    ] {
        assert!(whole(e).is_none(), "read by the fast path: {e}");
    }
    // Deeper than the cursor follows (serde decides).
    let deep = format!("{{\"x\":{}1{}}}", "[".repeat(40), "]".repeat(40));
    assert!(whole(&deep).is_none());
    assert!(serde_json::from_str::<MaybeEvent<'_>>(&deep).is_ok());
    // ... but `args` is serde's own raw value, at any depth serde reads.
    let deep_args = format!("{{\"args\":{}1{}}}", "[".repeat(200), "]".repeat(200));
    assert!(agrees_with_serde(deep_args.as_str(), whole));
}

/// The raw value handed over as serde_json's parser hands its own over: should serde_json
/// change how, the fast path would still be right but slow, and this fails.
#[test]
fn args_checked_by_the_cursor_become_raw_values_without_a_second_parse() {
    for json in ["[1, 2]", "{}", "\"x\"", "{\"a\":{\"b\":[true,false,-1.5]}}"] {
        let raw = checked_raw(json).expect("a raw value");
        assert_eq!(raw.get(), json);
        assert!(std::ptr::eq(raw.get().as_ptr(), json.as_ptr()));
    }
    let e = with("");
    let (ev, _) = element(&e).expect("an event");
    let args = ev.0.and_then(|e| e.args).map(RawValue::get);
    assert_eq!(
        args,
        Some(r#"{"data":{"url":"https://a.example/x.js","lineNumber":3}}"#)
    );
}

/// `value_end` against serde_json's own pass over a value (a `&RawValue`): where it answers,
/// serde reads the same value and it ends at the same byte; on values of every kind and their
/// damaged copies.
#[test]
fn values_are_passed_over_as_serde_does() {
    let values = [
        r#"{"a":[1,-2.5e+3,0,-0.0,1E5,true,false,null],"b":{"c":"d\"\\\/\b\f\n\r\t\u00e9\uD800"}}"#,
        r#" [ { } , [ ] , "" , 0 , { "k" : "v" } ] "#,
        r#""plain text with é and 漢字""#,
        "-12.75e-3",
        "123456789012345678901234567890123456789012345678901234567890",
        "null",
        r#"{"stackTrace":[{"functionName":"path\\with\\backslash","lineNumber":12}]}"#,
    ];
    let serde_end = |v: &str| {
        let mut de = serde_json::Deserializer::from_str(v);
        <&RawValue as serde::Deserialize>::deserialize(&mut de)
            .ok()
            .map(|r| r.get().as_ptr() as usize - v.as_ptr() as usize + r.get().len())
    };
    let mut answered = 0;
    for v in values {
        assert_eq!(value_end(v.as_bytes()), serde_end(v), "{v}");
        for d in damaged(v, 1).chain(
            [
                "01",
                "1.",
                "-",
                "1e",
                "1e+",
                "[1,]",
                "{\"a\":1,}",
                "\"\\x\"",
                "\"\\u12G4\"",
                "\"\u{1}\"",
                "tru",
                "nul",
                "{\"a\" 1}",
                "{1:2}",
            ]
            .map(String::from),
        ) {
            if let Some(end) = value_end(d.as_bytes()) {
                assert_eq!(Some(end), serde_end(&d), "{d}");
                answered += 1;
            }
        }
    }
    assert!(answered > 500, "only {answered} damaged values read");
    let deep = format!("{}1{}", "[".repeat(33), "]".repeat(33));
    assert_eq!(value_end(deep.as_bytes()), None);
    let deep = format!("{}1{}", "[".repeat(32), "]".repeat(32));
    assert_eq!(value_end(deep.as_bytes()), Some(deep.len()));
}
