//! Typed views of an event's `args`, parsed from the raw JSON only for the event kinds that need
//! them, and args as span fields.

use super::event::{Key, LooseBool, LooseNum, LooseStr, absent_for};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// `args` of metadata and DevTools events: `args.name` (`M` events) and `args.data`.
#[derive(Deserialize, Default)]
pub(super) struct Args<'a> {
    #[serde(borrow, default)]
    pub data: Option<Data<'a>>,
    #[serde(borrow, default)]
    pub name: LooseStr<'a>,
    /// The frame of `navigationStart` and paint marks.
    #[serde(borrow, default)]
    pub frame: LooseStr<'a>,
}

impl<'a> Args<'a> {
    pub fn parse(raw: Option<&'a RawValue>) -> Option<Args<'a>> {
        serde_json::from_str(raw?.get()).ok()
    }
}

/// `args.data` of the network, navigation, paint and script events: only what is used.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Data<'a> {
    // Network.
    #[serde(borrow, default)]
    pub request_id: LooseStr<'a>,
    #[serde(borrow, default)]
    pub url: LooseStr<'a>,
    #[serde(borrow, default)]
    pub request_method: LooseStr<'a>,
    #[serde(default)]
    pub status_code: LooseNum,
    #[serde(borrow, default)]
    pub mime_type: LooseStr<'a>,
    #[serde(default)]
    pub timing: Option<Timing>,
    #[serde(borrow, default)]
    pub headers: Headers<'a>,
    #[serde(default)]
    pub finish_time: LooseNum,
    // Navigations and paints.
    #[serde(borrow, default)]
    pub navigation_id: LooseStr<'a>,
    #[serde(borrow, default, rename = "documentLoaderURL")]
    pub document_loader_url: LooseStr<'a>,
    #[serde(default)]
    pub is_loading_main_frame: LooseBool,
    #[serde(default)]
    pub is_outermost_main_frame: LooseBool,
    #[serde(default)]
    pub is_main_frame: LooseBool,
    #[serde(default)]
    pub candidate_index: LooseNum,
    #[serde(borrow, default, rename = "type")]
    pub kind: LooseStr<'a>,
    #[serde(default)]
    pub node_id: LooseNum,
    #[serde(default, rename = "DOMNodeId")]
    pub dom_node_id: LooseNum,
    #[serde(borrow, default)]
    pub image_url: LooseStr<'a>,
    // Scripts.
    #[serde(borrow, default)]
    pub function_name: LooseStr<'a>,
}

/// The DevTools protocol's ResourceTiming: `request_time` in **seconds** on the trace clock,
/// every other field in **milliseconds after it**, -1 for "did not happen".
#[derive(Deserialize, Clone, Copy, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Timing {
    #[serde(default)]
    pub request_time: LooseNum,
    #[serde(default)]
    pub send_end: LooseNum,
    /// Only in newer traces.
    #[serde(default)]
    pub receive_headers_start: LooseNum,
    #[serde(default)]
    pub receive_headers_end: LooseNum,
}

/// Response headers: a list of `{name, value}` in newer traces, an object in some older ones.
#[derive(Default)]
pub(super) struct Headers<'a>(pub Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Headers<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Header<'a> {
            #[serde(borrow, default)]
            name: LooseStr<'a>,
            #[serde(borrow, default)]
            value: LooseStr<'a>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Headers<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("response headers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Headers<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(h) = a.next_element::<Header<'de>>()? {
                    if let (Some(n), Some(v)) = (h.name.0, h.value.0) {
                        out.push((n, v));
                    }
                }
                Ok(Headers(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Headers<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((Key(k), v)) = a.next_entry::<Key<'de>, LooseStr<'de>>()? {
                    if let Some(v) = v.0 {
                        out.push((k, v));
                    }
                }
                Ok(Headers(out))
            }
            absent_for!(bool, num, str, unit);
        }
        d.deserialize_any(V)
    }
}

/// An event's `args` as span fields, in the order written. tracing-chrome writes every value
/// as the field's `Debug` text: a `&str` field arrives as `"\"/orders\""` and becomes `/orders`,
/// a number as `"130"`. Nested objects and arrays are kept as `{..}` and `[..]`.
pub(super) fn fields(raw: Option<&RawValue>) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    raw.and_then(|r| serde_json::from_str::<ArgMap<'_>>(r.get()).ok())
        .map(|m| m.0)
        .unwrap_or_default()
}

#[derive(Default)]
struct ArgMap<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de: 'a, 'a> Deserialize<'de> for ArgMap<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ArgMap<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an args object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<ArgMap<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((Key(k), ArgValue(v))) = a.next_entry::<Key<'de>, ArgValue<'de>>()? {
                    out.push((k, v));
                }
                Ok(ArgMap(out))
            }
            absent_for!(bool, num, str, unit, seq);
        }
        d.deserialize_any(V)
    }
}

struct ArgValue<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for ArgValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ArgValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an argument value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<ArgValue<'de>, E> {
                Ok(ArgValue(unquote_debug(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ArgValue<'de>, E> {
                Ok(ArgValue(unquote_debug(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ArgValue<'de>, E> {
                Ok(ArgValue(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ArgValue<'de>, E> {
                Ok(ArgValue(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ArgValue<'de>, E> {
                Ok(ArgValue(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ArgValue<'de>, E> {
                Ok(ArgValue(Cow::Borrowed(if v { "true" } else { "false" })))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ArgValue<'de>, E> {
                Ok(ArgValue(Cow::Borrowed("null")))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<ArgValue<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ArgValue(Cow::Borrowed("[..]")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<ArgValue<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ArgValue(Cow::Borrowed("{..}")))
            }
        }
        d.deserialize_any(V)
    }
}

/// The value of a Rust `Debug`-formatted string (`"a \"b\"\n"` -> `a "b"` + newline); text that
/// is not one is returned as is. Borrows when there is nothing to unescape.
pub(super) fn unquote_debug(v: Cow<'_, str>) -> Cow<'_, str> {
    let quoted = v.len() >= 2 && v.starts_with('"') && v.ends_with('"');
    if !quoted {
        return v;
    }
    if !v[1..v.len() - 1].contains('\\') {
        return match v {
            Cow::Borrowed(b) => Cow::Borrowed(&b[1..b.len() - 1]),
            Cow::Owned(o) => Cow::Owned(o[1..o.len() - 1].to_string()),
        };
    }
    let inner = &v[1..v.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some('u') => {
                // `\u{1f600}`
                let rest = chars.as_str();
                let code = rest
                    .strip_prefix('{')
                    .and_then(|r| r.split_once('}'))
                    .and_then(|(hex, tail)| {
                        let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)?;
                        Some((ch, tail))
                    });
                match code {
                    Some((ch, tail)) => {
                        out.push(ch);
                        chars = tail.chars();
                    }
                    None => out.push_str("\\u"),
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_text_is_unquoted() {
        let f = |s: &str| unquote_debug(Cow::Borrowed(s)).into_owned();
        assert_eq!(f(r#""/orders""#), "/orders");
        assert_eq!(f("130"), "130");
        assert_eq!(f("GET"), "GET");
        assert_eq!(f(r#""say \"hi\"\n""#), "say \"hi\"\n");
        assert_eq!(f(r#""\u{e9}t\u{e9}""#), "été");
        assert_eq!(f(r#""a\\b""#), r"a\b");
        assert_eq!(f("\""), "\"");
        assert_eq!(f(r#""""#), "");
    }

    #[test]
    fn args_become_fields() {
        let raw: &RawValue =
            serde_json::from_str(r#"{"route":"\"/x\"","n":"130","b":true,"o":{"k":1},"a":[1]}"#)
                .expect("json");
        let got: Vec<(String, String)> = fields(Some(raw))
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let want = [
            ("route", "/x"),
            ("n", "130"),
            ("b", "true"),
            ("o", "{..}"),
            ("a", "[..]"),
        ];
        assert_eq!(got, want.map(|(k, v)| (k.to_string(), v.to_string())));
        let not_object: &RawValue = serde_json::from_str("[1,2]").expect("json");
        assert!(fields(Some(not_object)).is_empty());
    }
}
