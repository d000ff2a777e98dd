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
