//! What the three span formats share below the span: ids (hex or base64), numbers that may be
//! JSON strings, and typed attribute values as the display text the model keeps.

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A JSON string borrowed from the input when it has no escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Any scalar as display text (a Jaeger tag value, a Zipkin tag): strings unquoted, numbers
/// and booleans as written; arrays and objects as `[..]` / `{..}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed(if v { "true" } else { "false" })))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar(Cow::Borrowed("")))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Scalar<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar(Cow::Borrowed("[..]")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Scalar<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar(Cow::Borrowed("{..}")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON array read into a vector made room for `N` elements up front (serde's own `Vec`
/// grows from nothing: for a batch of hundreds of spans that is many copies of big structs).
#[derive(Debug, PartialEq)]
pub struct CapVec<T, const N: usize>(pub Vec<T>);

impl<T, const N: usize> Default for CapVec<T, N> {
    fn default() -> Self {
        CapVec(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for CapVec<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T, const N: usize>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for V<T, N> {
            type Value = CapVec<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_unit<E: de::Error>(self) -> Result<CapVec<T, N>, E> {
                Ok(CapVec(Vec::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<CapVec<T, N>, A::Error> {
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(N));
                while let Some(x) = a.next_element()? {
                    out.push(x);
                }
                Ok(CapVec(out))
            }
        }
        d.deserialize_any(V::<T, N>(std::marker::PhantomData))
    }
}

/// A whole number written as a JSON number or a decimal string (protobuf JSON writes 64-bit
/// integers as strings; readers accept both). A float is truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Int(pub i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer, as a number or a decimal string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom(format!("{v} is too large")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Int, E> {
                if v.is_finite() && v.abs() < 9.2e18 {
                    Ok(Int(v as i64))
                } else {
                    Err(E::custom(format!("{v} is not a time")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                let t = v.trim();
                t.parse::<i64>()
                    .map(Int)
                    .or_else(|_| {
                        t.parse::<f64>().map_err(|_| ()).and_then(|f| {
                            if f.is_finite() && f.abs() < 9.2e18 {
                                Ok(Int(f as i64))
                            } else {
                                Err(())
                            }
                        })
                    })
                    .map_err(|_| E::custom(format!("'{v}' is not an integer")))
            }
        }
        d.deserialize_any(V)
    }
}

/// An OTLP `AnyValue` (`{"stringValue": "x"}`, `{"intValue": "3"}`, ...) as display text:
/// strings as they are, integers and doubles as written, booleans `true`/`false`, bytes as
/// their base64 text, an array of one value as that value, longer arrays `[a, b]`, key-value
/// lists `{k: v, ...}`; an empty value is empty text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AnyValue<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for AnyValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AnyValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an OTLP AnyValue object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<AnyValue<'de>, E> {
                Ok(AnyValue::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<AnyValue<'de>, A::Error> {
                let mut out = AnyValue::default();
                while let Some(Text(key)) = a.next_key::<Text<'de>>()? {
                    out = match &*key {
                        "stringValue" | "string_value" | "intValue" | "int_value"
                        | "doubleValue" | "double_value" | "boolValue" | "bool_value"
                        | "bytesValue" | "bytes_value" => AnyValue(a.next_value::<Scalar>()?.0),
                        "arrayValue" | "array_value" => {
                            let list: ValueList = a.next_value()?;
                            AnyValue(Cow::Owned(match list.values.as_slice() {
                                [one] => one.0.to_string(),
                                many => format!(
                                    "[{}]",
                                    many.iter().map(|v| &*v.0).collect::<Vec<_>>().join(", ")
                                ),
                            }))
                        }
                        "kvlistValue" | "kvlist_value" => {
                            let list: KeyValueList = a.next_value()?;
                            let items: Vec<String> = list
                                .values
                                .iter()
                                .map(|kv| format!("{}: {}", kv.key.0, kv.value.0))
                                .collect();
                            AnyValue(Cow::Owned(format!("{{{}}}", items.join(", "))))
                        }
                        _ => {
                            a.next_value::<IgnoredAny>()?;
                            out
                        }
                    };
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(serde::Deserialize)]
struct ValueList<'a> {
    #[serde(borrow, default)]
    values: Vec<AnyValue<'a>>,
}

#[derive(serde::Deserialize)]
struct KeyValueList<'a> {
    #[serde(borrow, default)]
    values: Vec<KeyValue<'a>>,
}

/// An OTLP `KeyValue`: an attribute.
#[derive(Debug, PartialEq, serde::Deserialize)]
pub struct KeyValue<'a> {
    #[serde(borrow)]
    pub key: Text<'a>,
    #[serde(borrow, default)]
    pub value: AnyValue<'a>,
}

/// Each byte's value as a hex digit; 0x80 for a byte that is not one.
const HEX: [u8; 256] = {
    let mut t = [0x80u8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Up to 16 hex digits as a number. Ids are 16 or 32 digits: their halves of 8 go through
/// [`hex8`]; other lengths take a digit at a time (no branch per digit: a bad digit is noticed
/// at the end).
fn hex_u64(digits: &[u8]) -> Option<u64> {
    if let (Ok(hi), Ok(lo)) = (
        <[u8; 8]>::try_from(digits.get(..8).unwrap_or(&[])),
        <[u8; 8]>::try_from(digits.get(8..).unwrap_or(&[])),
    ) {
        return Some((u64::from(hex8(hi)?) << 32) | u64::from(hex8(lo)?));
    }
    hex_digit_by_digit(digits)
}

/// Eight hex digits as a number, the eight bytes checked and converted together in one `u64`
/// (a 32-digit trace id digit by digit was about 400 instructions, 4 % of an OTLP read).
fn hex8(digits: [u8; 8]) -> Option<u32> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let x = u64::from_le_bytes(digits);
    if x & HIGH != 0 {
        return None;
    }
    // Every byte is below 0x80, so adding at most 0x80 to each cannot carry into the next:
    // a byte's high bit then says whether it reached the bound.
    let at_least = |x: u64, lo: u8| x.wrapping_add(ONES * u64::from(0x80 - lo)) & HIGH;
    let above = |x: u64, hi: u8| x.wrapping_add(ONES * u64::from(0x7f - hi)) & HIGH;
    let lower = x | (ONES * 0x20);
    let digit = at_least(x, b'0') & !above(x, b'9');
    let letter = at_least(lower, b'a') & !above(lower, b'f');
    if digit | letter != HIGH {
        return None;
    }
    // '0'-'9' are 0x30-0x39, 'a'-'f' 0x61-0x66 and 'A'-'F' 0x41-0x46: the low four bits, plus 9
    // for a letter (bit 6).
    let v = (x & (ONES * 0x0f)) + 9 * ((x >> 6) & ONES);
    // The first digit is the lowest byte: pairs of digits into bytes, bytes into a word, and
    // the word's bytes turned around.
    const NIBBLES: u64 = 0x000f_000f_000f_000f;
    let pairs = ((v & NIBBLES) << 4) | ((v >> 8) & NIBBLES);
    let quads = (pairs | (pairs >> 8)) & 0x0000_ffff_0000_ffff;
    let word = (quads | (quads >> 16)) as u32;
    Some(word.swap_bytes())
}

/// Up to 16 hex digits as a number, a digit at a time.
fn hex_digit_by_digit(digits: &[u8]) -> Option<u64> {
    let (mut v, mut bad) = (0u64, 0u8);
    for &c in digits {
        let d = HEX[usize::from(c)];
        bad |= d;
        v = (v << 4) | u64::from(d & 0xf);
    }
    (bad & 0x80 == 0).then_some(v)
}

/// Up to `max` (at most 32) hex digits as a number: the last 16 and those before them, each
/// into a `u64` (a trace id's 32 digits shifted through a `u128` one by one cost three times
/// as much).
fn hex_digits(s: &str, max: usize) -> Option<u128> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > max.min(32) {
        return None;
    }
    let (hi, lo) = b.split_at(b.len().saturating_sub(16));
    let shift = 4 * lo.len();
    Some((u128::from(hex_u64(hi)?) << shift) | u128::from(hex_u64(lo)?))
}

/// Standard or URL-safe base64 (padding optional) into bytes; `None` when it is not base64.
fn base64(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn hash(s: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// A span id as a number: hex of up to 16 digits (OTLP/JSON, Jaeger, Zipkin; Jaeger drops
/// leading zeros), base64 of 8 bytes (a generic protobuf-to-JSON mapping), else the text's hash
/// (an id is only compared with other ids of the same file). Empty or all zeros: no id.
pub fn span_id(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let id = match hex_digits(s, 16) {
        Some(v) => v as u64,
        None => match base64(s).filter(|b| b.len() == 8) {
            Some(b) => b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)),
            None => hash(s),
        },
    };
    (id != 0).then_some(id)
}

/// A trace id as a number: hex of up to 32 digits (64- and 128-bit ids alike), base64 of 16
/// (or 8) bytes, else the text's hash; empty: 0.
pub fn trace_id(s: &str) -> u128 {
    trace_id_exact(s).0
}

/// [`trace_id`], and whether it read `s` as the id itself (hex or base64), not as a hash of
/// something else; `s` is read once.
pub fn trace_id_exact(s: &str) -> (u128, bool) {
    let s = s.trim();
    if s.is_empty() {
        return (0, false);
    }
    match hex_digits(s, 32) {
        Some(v) => (v, true),
        None => match base64(s).filter(|b| b.len() == 16 || b.len() == 8) {
            Some(b) => (
                b.iter().fold(0u128, |acc, x| (acc << 8) | u128::from(*x)),
                true,
            ),
            None => (u128::from(hash(s)), false),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_hex_and_base64_are_the_same_number() {
        // 0x0102030405060708 as 16 hex digits (OTLP/JSON), upper case (the spec's example) and
        // as base64 of its 8 bytes (protobuf JSON's bytes rule).
        assert_eq!(span_id("0102030405060708"), Some(0x0102_0304_0506_0708));
        assert_eq!(span_id("EEE19B7EC3C1B174"), Some(0xEEE1_9B7E_C3C1_B174));
        assert_eq!(span_id("AQIDBAUGBwg="), Some(0x0102_0304_0506_0708));
        // Jaeger drops leading zeros.
        assert_eq!(span_id("2"), span_id("0000000000000002"));
        assert_eq!(span_id(""), None);
        assert_eq!(span_id("0000000000000000"), None);
        // Anything else still identifies the span within the file.
        assert_eq!(span_id("span 1 id"), span_id("span 1 id"));
        assert_ne!(span_id("span 1 id"), span_id("span 2 id"));
        assert_eq!(
            trace_id("5b8efff798038103d269b633813fc60c"),
            0x5b8e_fff7_9803_8103_d269_b633_813f_c60c
        );
        assert_eq!(
            trace_id("W47/95gDgQPSabYzgT/GDA=="),
            trace_id("5B8EFFF798038103D269B633813FC60C")
        );
        // Every length up to 32 digits, either case; anything else is not hex.
        assert_eq!(hex_digits("f", 32), Some(0xf));
        assert_eq!(
            hex_digits("1234567890abcdefF", 32),
            Some(0x1_2345_6789_0abc_deff)
        );
        assert_eq!(hex_digits(&"f".repeat(32), 32), Some(u128::MAX));
        assert_eq!(hex_digits(&"f".repeat(17), 16), None);
        assert_eq!(hex_digits(&"f".repeat(33), 40), None);
        assert_eq!(hex_digits("12g4", 32), None);
        assert_eq!(hex_digits("ABCDEF0123456789abcdef012345678/", 32), None);
        assert_eq!(hex_digits("", 32), None);
    }

    /// Eight digits at a time read what a digit at a time reads: every byte value in every
    /// place, and all-digit words of every kind.
    #[test]
    fn eight_digits_at_once_read_as_one_at_a_time() {
        let base = *b"09afAF3c";
        for place in 0..8 {
            for byte in 0..=255u8 {
                let mut d = base;
                d[place] = byte;
                let one = hex_digit_by_digit(&d);
                assert_eq!(hex8(d).map(u64::from), one, "{d:?}");
                let mut sixteen = [b'7'; 16];
                sixteen[place..place + 8].copy_from_slice(&d);
                assert_eq!(
                    hex_u64(&sixteen),
                    hex_digit_by_digit(&sixteen),
                    "{sixteen:?}"
                );
            }
        }
        let digits = b"0123456789abcdefABCDEF";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut d = [0u8; 16];
            for b in &mut d {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = digits[(state % digits.len() as u64) as usize];
            }
            assert!(hex_u64(&d).is_some());
            assert_eq!(hex_u64(&d), hex_digit_by_digit(&d), "{d:?}");
        }
        assert_eq!(hex8(*b"00000000"), Some(0));
        assert_eq!(hex8(*b"ffffffff"), Some(u32::MAX));
        assert_eq!(hex8(*b"12345678"), Some(0x1234_5678));
        assert_eq!(hex8(*b"9aBcDeF0"), Some(0x9abc_def0));
        // A 64-bit trace id is the same trace as its 128-bit zero-padded form.
        assert_eq!(
            trace_id("0000000000000001"),
            trace_id("00000000000000000000000000000001")
        );
    }

    #[test]
    fn numbers_as_strings_or_numbers() {
        let n: Int = serde_json::from_str("\"1544712660000000000\"").unwrap();
        assert_eq!(n, Int(1_544_712_660_000_000_000));
        let n: Int = serde_json::from_str("1544712660000000000").unwrap();
        assert_eq!(n, Int(1_544_712_660_000_000_000));
        let n: Int = serde_json::from_str("1.5e3").unwrap();
        assert_eq!(n, Int(1500));
        assert!(serde_json::from_str::<Int>("\"soon\"").is_err());
        assert!(serde_json::from_str::<Int>("18446744073709551615").is_err());
    }

    #[test]
    fn typed_attribute_values_become_display_text() {
        let v = |json: &str| {
            serde_json::from_str::<AnyValue>(json)
                .map(|v| v.0.into_owned())
                .unwrap_or_else(|e| panic!("{json}: {e}"))
        };
        assert_eq!(v(r#"{"stringValue":"async-io/"}"#), "async-io/");
        assert_eq!(v(r#"{"intValue":"200"}"#), "200");
        assert_eq!(v(r#"{"intValue":200}"#), "200");
        assert_eq!(v(r#"{"doubleValue":0.25}"#), "0.25");
        assert_eq!(v(r#"{"boolValue":true}"#), "true");
        assert_eq!(v(r#"{"bytesValue":"AAAwOQ=="}"#), "AAAwOQ==");
        assert_eq!(
            v(r#"{"arrayValue":{"values":[{"stringValue":"r-17"}]}}"#),
            "r-17"
        );
        assert_eq!(
            v(r#"{"arrayValue":{"values":[{"intValue":"1"},{"intValue":"2"}]}}"#),
            "[1, 2]"
        );
        assert_eq!(
            v(r#"{"kvlistValue":{"values":[{"key":"a","value":{"boolValue":false}}]}}"#),
            "{a: false}"
        );
        assert_eq!(v("{}"), "");
        // Protobuf JSON parsers accept the proto field names too.
        assert_eq!(v(r#"{"string_value":"x"}"#), "x");
    }
}
