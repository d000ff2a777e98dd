//! The cursor's own parts.

use super::{Cur, eight_digits, string_end};

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

/// The one-pass integer: what `str::parse` makes of the digits, for every length it reads;
/// nothing for what it leaves to `number` (more digits, a leading zero, a fraction, an
/// exponent, a sign, no digit).
#[test]
fn small_integers_in_one_pass() {
    let digits = "98765432109876543210";
    for len in 1..=19 {
        for text in [
            &digits[..len],
            &digits[20 - len..],
            &"9999999999999999999"[..len],
        ] {
            for end in ["", ",", "}", " ", "]"] {
                let line = format!("{text}{end}");
                let mut c = Cur::new(&line);
                if len > 1 && text.starts_with('0') {
                    assert_eq!(c.uint(), None, "{line}");
                    continue;
                }
                assert_eq!(c.uint(), text.parse().ok(), "{line}");
                assert_eq!(c.i, len, "{line}");
            }
        }
    }
    assert_eq!(Cur::new("0").uint(), Some(0));
    assert_eq!(Cur::new("  7,").uint(), Some(7));
    for v in [
        "",
        "x",
        "-1",
        "-0",
        "01",
        "00",
        "1.5",
        "1e3",
        "1E3",
        "0.0",
        "12345678901234567890",
    ] {
        assert_eq!(Cur::new(v).uint(), None, "{v}");
    }
}

/// Eight digits at once: what `str::parse` makes of them; no number when any byte is no digit
/// (every byte value at every place, next to digits).
#[test]
fn eight_digits_at_once() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..20_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let text = format!("{:08}", state % 100_000_000);
        let b: [u8; 8] = text.as_bytes().try_into().expect("eight digits");
        assert_eq!(
            eight_digits(u64::from_le_bytes(b)),
            text.parse().ok(),
            "{text}"
        );
    }
    for at in 0..8 {
        for byte in 0..=255u8 {
            let mut b = *b"19283746";
            b[at] = byte;
            let want = std::str::from_utf8(&b)
                .ok()
                .filter(|t| t.bytes().all(|c| c.is_ascii_digit()))
                .and_then(|t| t.parse().ok());
            assert_eq!(eight_digits(u64::from_le_bytes(b)), want, "{b:?}");
        }
    }
}
