//! The cursor's own parts.

use super::{Cur, string_end};

#[test]
fn the_end_of_a_string_eight_bytes_at_a_time() {
    let naive = |b: &[u8]| {
        b.iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
            .unwrap_or(b.len())
    };
    // Every length up to 20, the stop byte at every place, after every kind of byte.
    for len in 0..20 {
        for at in 0..=len {
            for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                for fill in [b'a', b' ', 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xc3, 0xff] {
                    let mut b = vec![fill; len];
                    if at < len {
                        b[at] = stop;
                    }
                    assert_eq!(string_end(&b), naive(&b), "{b:?}");
                }
            }
        }
    }
    // Two stops in one word: the first.
    assert_eq!(string_end(b"ab\"cd\\ef"), 2);
    assert_eq!(string_end(b"ab\\cd\"ef"), 2);
    assert_eq!(string_end("é\u{1}".as_bytes()), 2);
}

#[test]
fn values_passed_over_and_their_text() {
    let mut c = Cur::new(r#" [1, -2.5, "a", {"b": [true, false]}] , "#);
    assert_eq!(c.raw(), Some(r#"[1, -2.5, "a", {"b": [true, false]}]"#));
    assert!(!c.at_end());
    // Left to serde: null, exponents, escapes, leading zeros, bare words.
    for v in [
        "null",
        "1e5",
        r#""a\"b""#,
        "01",
        "-",
        "tru",
        "[1,]",
        "{\"a\"}",
        "[",
        "{",
    ] {
        let mut c = Cur::new(v);
        assert!(c.raw().is_none() || !c.at_end(), "{v}");
    }
}

/// A fixed shape matched byte for byte: read when it is there, the cursor left where it was
/// when it is not (no white space skipped, nothing past the end of the line read).
#[test]
fn tags_match_exactly_or_leave_the_cursor() {
    let mut c = Cur::new(r#"{"key":"a b","value":{"#);
    assert!(!c.tag(b"{\"value\":"));
    assert_eq!(c.i, 0);
    assert!(c.tag(b"{\"key\":\""));
    assert_eq!(c.string_rest(), Some("a b"));
    assert!(c.tag(b",\"value\":{"));
    assert!(c.at_end());
    // Past the end of the line: no match.
    let mut c = Cur::new(r#"{"ke"#);
    assert!(!c.tag(b"{\"key\":"));
    assert_eq!(c.i, 0);
    // White space is not skipped by a tag.
    let mut c = Cur::new(r#" {"key":"#);
    assert!(!c.tag(b"{\"key\":"));
    c.ws();
    assert!(c.tag(b"{\"key\":"));
    // A string's rest: up to its closing quote, none with an escape or no end.
    for (text, rest) in [
        ("ab\"x", Some("ab")),
        ("\"", Some("")),
        ("a\\\"b\"", None),
        ("ab", None),
    ] {
        let mut c = Cur::new(text);
        assert_eq!(c.string_rest(), rest, "{text}");
    }
}
