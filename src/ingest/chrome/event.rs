//! One trace event, borrowed from the input, and the lenient scalar types it is made of.
//!
//! Every field is optional and a value of the wrong JSON type reads as absent: one odd event
//! (a `"dur": "n/a"`, a numeric `name`) costs that field, never the rest of the trace. A
//! syntax error is the only thing that stops the event array.

use crate::model::Ns;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Times further than this from 0 (about 127 years in µs) are treated as absent, so that sums
/// and differences of two valid times always fit in an [`Ns`]. Unix-epoch microseconds (1.7e15
/// today) are well inside.
const MAX_ABS_US: f64 = 4e15;

/// A time in µs (a JSON number, or a numeric string as Perfetto accepts) as [`Ns`].
pub(super) fn us_to_ns(us: f64) -> Option<Ns> {
    (us.is_finite() && us.abs() <= MAX_ABS_US).then(|| (us * 1000.0).round() as Ns)
}

/// Implements the `visit_*` methods of the JSON types a lenient visitor does not want: their
/// values are consumed and read as absent (`Default`).
macro_rules! absent_for {
    ($($kind:ident),*) => { $( absent_for!(@one $kind); )* };
    (@one bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
    (@one num) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
    (@one str) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
    (@one unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Default::default())
        }
    };
    (@one seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
    };
    (@one map) => {
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
    };
}
pub(super) use absent_for;

/// An object key, borrowed from the input when it has no escapes. (serde's own `Cow<str>`
/// always allocates unless the field is marked `#[serde(borrow)]`; map keys cannot be.)
pub(super) struct Key<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The keys of an event object that are read; every other key is `Other` (no allocation).
pub(super) enum Field {
    Name,
    Cat,
    Ph,
    Ts,
    Dur,
    Pid,
    Tid,
    Id,
    Id2,
    Args,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                Ok(Field::of(v))
            }
        }
        d.deserialize_identifier(V)
    }
}

impl Field {
    /// The field a key names (the fast path's too: `fast.rs`).
    pub(super) fn of(key: &str) -> Field {
        match key {
            "name" => Field::Name,
            "cat" => Field::Cat,
            "ph" => Field::Ph,
            "ts" => Field::Ts,
            "dur" => Field::Dur,
            "pid" => Field::Pid,
            "tid" => Field::Tid,
            "id" => Field::Id,
            "id2" => Field::Id2,
            "args" => Field::Args,
            _ => Field::Other,
        }
    }
}

/// A string, or absent.
#[derive(Default, Debug)]
pub(super) struct LooseStr<'a>(pub Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for LooseStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<LooseStr<'de>, E> {
                Ok(LooseStr(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LooseStr<'de>, E> {
                Ok(LooseStr(Some(Cow::Owned(v.to_string()))))
            }
            absent_for!(bool, num, unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// A boolean, or absent.
#[derive(Default, Clone, Copy, Debug)]
pub(super) struct LooseBool(pub Option<bool>);

impl<'de> Deserialize<'de> for LooseBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseBool;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<LooseBool, E> {
                Ok(LooseBool(Some(v)))
            }
            absent_for!(num, str, unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// A number, or a string holding one (times in µs; Perfetto accepts both); else absent.
#[derive(Default, Clone, Copy, Debug)]
pub(super) struct LooseNum(pub Option<f64>);

impl<'de> Deserialize<'de> for LooseNum {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseNum;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LooseNum, E> {
                Ok(LooseNum(Some(v as f64)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LooseNum, E> {
                Ok(LooseNum(Some(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LooseNum, E> {
                Ok(LooseNum(Some(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LooseNum, E> {
                Ok(LooseNum(v.trim().parse().ok()))
            }
            absent_for!(bool, unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// A pid, tid or async id: a JSON number or a string. Unsigned integers stay exact up to
/// `u64::MAX` (tracing span ids go past 2^53, where an `f64` would round them); any other
/// number is kept as its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Id<'a> {
    Num(u64),
    Str(Cow<'a, str>),
}

impl fmt::Display for Id<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Num(n) => write!(f, "{n}"),
            Id::Str(s) => f.write_str(s),
        }
    }
}

/// An [`Id`], or absent.
#[derive(Default)]
pub(super) struct LooseId<'a>(pub Option<Id<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for LooseId<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LooseId<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LooseId<'de>, E> {
                Ok(LooseId(Some(Id::Num(v))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LooseId<'de>, E> {
                Ok(LooseId(Some(Id::Str(Cow::Owned(v.to_string())))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LooseId<'de>, E> {
                Ok(LooseId(Some(Id::Str(Cow::Owned(v.to_string())))))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<LooseId<'de>, E> {
                Ok(LooseId(Some(Id::Str(Cow::Borrowed(v)))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LooseId<'de>, E> {
                Ok(LooseId(Some(Id::Str(Cow::Owned(v.to_string())))))
            }
            absent_for!(bool, unit, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// `id2: {"global": ..}` or `{"local": ..}` (a local id is only unique within its process).
#[derive(Default)]
pub(super) struct Id2<'a> {
    pub id: Option<Id<'a>>,
    pub local: bool,
}

impl<'de: 'a, 'a> Deserialize<'de> for Id2<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Id2<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an id2 object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Id2<'de>, A::Error> {
                let mut out = Id2::default();
                while let Some(Key(key)) = a.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "global" => {
                            if let Some(id) = a.next_value::<LooseId<'de>>()?.0 {
                                out = Id2 {
                                    id: Some(id),
                                    local: false,
                                };
                            }
                        }
                        "local" if out.id.is_none() => {
                            out.id = a.next_value::<LooseId<'de>>()?.0;
                            out.local = out.id.is_some();
                        }
                        _ => {
                            a.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
            absent_for!(bool, num, str, unit, seq);
        }
        d.deserialize_any(V)
    }
}

/// One trace event: only the fields stallscope uses, borrowed from the input; `args` stays raw
/// JSON until an event kind that needs it looks inside.
#[derive(Default)]
pub(super) struct Event<'a> {
    pub name: Option<Cow<'a, str>>,
    pub cat: Option<Cow<'a, str>>,
    pub ph: Option<Cow<'a, str>>,
    /// Microseconds.
    pub ts: Option<f64>,
    pub dur: Option<f64>,
    pub pid: Option<Id<'a>>,
    pub tid: Option<Id<'a>>,
    pub id: Option<Id<'a>>,
    pub id2: Id2<'a>,
    pub args: Option<&'a RawValue>,
}

impl Event<'_> {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    pub fn ts_ns(&self) -> Option<Ns> {
        self.ts.and_then(us_to_ns)
    }

    pub fn dur_ns(&self) -> Option<Ns> {
        self.dur.and_then(us_to_ns)
    }
}

/// An element of the event array: an event object, or anything else (skipped and counted).
pub(super) struct MaybeEvent<'a>(pub Option<Event<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeEvent<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeEvent<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a trace event object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<MaybeEvent<'de>, A::Error> {
                let mut ev = Event::default();
                while let Some(key) = a.next_key::<Field>()? {
                    match key {
                        Field::Name => ev.name = a.next_value::<LooseStr<'de>>()?.0,
                        Field::Cat => ev.cat = a.next_value::<LooseStr<'de>>()?.0,
                        Field::Ph => ev.ph = a.next_value::<LooseStr<'de>>()?.0,
                        Field::Ts => ev.ts = a.next_value::<LooseNum>()?.0,
                        Field::Dur => ev.dur = a.next_value::<LooseNum>()?.0,
                        Field::Pid => ev.pid = a.next_value::<LooseId<'de>>()?.0,
                        Field::Tid => ev.tid = a.next_value::<LooseId<'de>>()?.0,
                        Field::Id => ev.id = a.next_value::<LooseId<'de>>()?.0,
                        Field::Id2 => ev.id2 = a.next_value::<Id2<'de>>()?,
                        Field::Args => ev.args = Some(a.next_value::<&'de RawValue>()?),
                        Field::Other => {
                            a.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(MaybeEvent(Some(ev)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<MaybeEvent<'de>, E> {
                Ok(MaybeEvent(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<MaybeEvent<'de>, E> {
                Ok(MaybeEvent(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<MaybeEvent<'de>, E> {
                Ok(MaybeEvent(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<MaybeEvent<'de>, E> {
                Ok(MaybeEvent(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<MaybeEvent<'de>, E> {
                Ok(MaybeEvent(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<MaybeEvent<'de>, E> {
                Ok(MaybeEvent(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<MaybeEvent<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(MaybeEvent(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// For the fast path's tests: the same event down to the bits of its times, whether each string
/// is borrowed, and where `args` lies in the input.
#[cfg(test)]
impl PartialEq for MaybeEvent<'_> {
    fn eq(&self, other: &Self) -> bool {
        fn cow(a: &Option<Cow<'_, str>>, b: &Option<Cow<'_, str>>) -> bool {
            a == b
                && a.as_ref().map(|c| matches!(c, Cow::Borrowed(_)))
                    == b.as_ref().map(|c| matches!(c, Cow::Borrowed(_)))
        }
        fn id(a: &Option<Id<'_>>, b: &Option<Id<'_>>) -> bool {
            let s = |x: &Option<Id<'_>>| match x {
                Some(Id::Str(s)) => Some(matches!(s, Cow::Borrowed(_))),
                _ => None,
            };
            a == b && s(a) == s(b)
        }
        let (a, b) = match (&self.0, &other.0) {
            (None, None) => return true,
            (Some(a), Some(b)) => (a, b),
            _ => return false,
        };
        cow(&a.name, &b.name)
            && cow(&a.cat, &b.cat)
            && cow(&a.ph, &b.ph)
            && a.ts.map(f64::to_bits) == b.ts.map(f64::to_bits)
            && a.dur.map(f64::to_bits) == b.dur.map(f64::to_bits)
            && id(&a.pid, &b.pid)
            && id(&a.tid, &b.tid)
            && id(&a.id, &b.id)
            && id(&a.id2.id, &b.id2.id)
            && a.id2.local == b.id2.local
            && a.args.map(|r| (r.get(), r.get().as_ptr()))
                == b.args.map(|r| (r.get(), r.get().as_ptr()))
    }
}

#[cfg(test)]
impl fmt::Debug for MaybeEvent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(e) = &self.0 else {
            return f.write_str("MaybeEvent(None)");
        };
        f.debug_struct("Event")
            .field("name", &e.name)
            .field("cat", &e.cat)
            .field("ph", &e.ph)
            .field("ts", &e.ts.map(f64::to_bits))
            .field("dur", &e.dur.map(f64::to_bits))
            .field("pid", &e.pid)
            .field("tid", &e.tid)
            .field("id", &e.id)
            .field("id2", &(&e.id2.id, e.id2.local))
            .field("args", &e.args.map(RawValue::get))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(s: &str) -> Option<Event<'_>> {
        serde_json::from_str::<MaybeEvent<'_>>(s)
            .expect("valid JSON")
            .0
    }

    #[test]
    fn wrong_types_read_as_absent() {
        let e = ev(
            r#"{"name":5,"ph":"X","ts":"12.5","dur":"n/a","pid":true,"tid":[1],"args":{"a":1}}"#,
        )
        .expect("an event");
        assert!(e.name.is_none());
        assert_eq!(e.ph.as_deref(), Some("X"));
        assert_eq!(e.ts_ns(), Some(12_500));
        assert_eq!(e.dur_ns(), None);
        assert!(e.pid.is_none() && e.tid.is_none());
        assert_eq!(e.args.map(RawValue::get), Some(r#"{"a":1}"#));
        assert!(ev("42").is_none());
        assert!(ev("null").is_none());
    }

    /// Ids above 2^53 stay exact; negative and fractional ones keep their text.
    #[test]
    fn ids_never_go_through_f64() {
        let e = ev(r#"{"id":18446744073709551615,"pid":-3,"tid":"0x1f"}"#).expect("an event");
        assert_eq!(e.id, Some(Id::Num(u64::MAX)));
        assert_eq!(e.pid.map(|p| p.to_string()).as_deref(), Some("-3"));
        assert_eq!(e.tid.map(|p| p.to_string()).as_deref(), Some("0x1f"));
        let e = ev(r#"{"id2":{"local":"0x2a"}}"#).expect("an event");
        assert!(e.id2.local);
        assert_eq!(e.id2.id, Some(Id::Str("0x2a".into())));
    }

    #[test]
    fn times_out_of_range_are_absent() {
        assert_eq!(us_to_ns(1.5), Some(1_500));
        assert_eq!(us_to_ns(1e300), None);
        assert_eq!(us_to_ns(f64::NAN), None);
        assert_eq!(us_to_ns(-1e16), None);
        // Unix-epoch microseconds are fine.
        assert_eq!(us_to_ns(1.7e15), Some(1_700_000_000_000_000_000));
    }
}
