//! The page's escaping and self-containment, on a report built from a hand-written trace.

use super::*;

#[test]
fn esc_escapes_markup_and_control_characters() {
    assert_eq!(
        esc("<b a='1'>\"x\" & y</b>"),
        "&lt;b a=&#39;1&#39;&gt;&quot;x&quot; &amp; y&lt;/b&gt;"
    );
    // Control characters as the terminal shows them, never raw.
    assert_eq!(esc("a\u{1b}]0;t\u{7}b"), "a\\u{1b}]0;t\\u{7}b");
}

#[test]
fn script_json_cannot_end_the_script_element() {
    let v =
        serde_json::json!({"name": "</script><script>alert(1)</script><!-- \u{2028}\u{2029} &"});
    let text = serde_json::to_string(&v).unwrap();
    let safe = script_json(&text);
    assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
    assert!(!safe.contains('\u{2028}') && !safe.contains('\u{2029}'));
    // Still the same JSON.
    let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
    assert_eq!(back, v);
}

fn stall(i: usize) -> crate::report::StallOut {
    crate::report::StallOut {
        input: "x.log".into(),
        thread: None,
        start_ms: i as f64,
        duration_ms: 12.0,
        culprit: "GET /x".into(),
        source: "event-loop-poll",
        delayed_requests: 0,
        inferred: false,
        reason: None,
    }
}

#[test]
fn embedded_report_cuts_long_arrays_and_says_so() {
    let cfg = Config::default();
    let mut r = Report::new(&cfg);
    r.stalls = (0..REPORT_ARRAY_CAP + 1).map(stall).collect();
    let v: serde_json::Value = serde_json::from_str(&report_json(&r).unwrap()).unwrap();
    assert_eq!(v["stalls"].as_array().unwrap().len(), REPORT_ARRAY_CAP);
    assert_eq!(v["html_cut"]["stalls"], REPORT_ARRAY_CAP + 1);
    // Arrays under the cap are whole and not named.
    assert!(v["html_cut"].get("episodes").is_none());
}

#[test]
fn page_from_a_report_alone_is_whole() {
    let cfg = Config::default();
    let r = Report::new(&cfg);
    let mut out = Vec::new();
    render(&r, &[], &cfg, &mut out).unwrap();
    let page = String::from_utf8(out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.ends_with("</html>\n"));
    assert_eq!(page.matches("<script").count(), 3);
    assert_eq!(page.matches("</script>").count(), 3);
    // The script names the SVG namespace without writing its URL.
    assert!(!page.contains("http://") && !page.contains("https://"));
}
