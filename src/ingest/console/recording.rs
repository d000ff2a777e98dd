//! A console-subscriber recording's lines as typed records borrowing from the line: the
//! `{"v":1}` header and the externally tagged events (`Spawn` / `Enter` / `Exit` / `Close` /
//! `Waker`), each with a wall-clock `at`. Unknown event kinds are read past, not errors.

use crate::model::Ns;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

mod fast;
pub(super) use fast::record as fast_record;

#[derive(Deserialize)]
pub(super) struct Header {
    pub(super) v: u64,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct At {
    pub(super) secs_since_epoch: u64,
    pub(super) nanos_since_epoch: u32,
}

impl At {
    /// Unix time in ns; `None` past the year 2262.
    pub(super) fn ns(&self) -> Option<Ns> {
        i64::try_from(self.secs_since_epoch)
            .ok()?
            .checked_mul(1_000_000_000)?
            .checked_add(i64::from(self.nanos_since_epoch))
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct SpawnBody<'a> {
    pub(super) id: u64,
    pub(super) at: At,
    #[serde(borrow, default)]
    pub(super) fields: Vec<Field<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct Field<'a> {
    #[serde(borrow)]
    pub(super) name: Cow<'a, str>,
    #[serde(borrow)]
    pub(super) value: FieldVal<'a>,
}

/// A field value: console-subscriber writes strings (debug values too), unsigned and signed
/// integers and booleans.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) enum FieldVal<'a> {
    Str(Cow<'a, str>),
    U64(u64),
    I64(i64),
    Bool(bool),
    Other,
}

impl FieldVal<'_> {
    pub(super) fn text(&self) -> Cow<'_, str> {
        match self {
            FieldVal::Str(s) => Cow::Borrowed(s),
            FieldVal::U64(v) => Cow::Owned(v.to_string()),
            FieldVal::I64(v) => Cow::Owned(v.to_string()),
            FieldVal::Bool(v) => Cow::Owned(v.to_string()),
            FieldVal::Other => Cow::Borrowed("?"),
        }
    }

    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            FieldVal::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(super) fn as_u64(&self) -> Option<u64> {
        match self {
            FieldVal::U64(v) => Some(*v),
            _ => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for FieldVal<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldVal<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, integer or boolean")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::Str(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::U64(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::I64(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::Bool(v))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<FieldVal<'de>, E> {
                Ok(FieldVal::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<FieldVal<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FieldVal::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<FieldVal<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(FieldVal::Other)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct IdAt {
    pub(super) id: u64,
    pub(super) at: At,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) struct WakerBody {
    pub(super) id: u64,
    pub(super) op: WakeOp,
    pub(super) at: At,
}

/// `"Clone"`, `"Drop"`, `{"Wake":{"self_wake":bool}}`, `{"WakeByRef":{"self_wake":bool}}`.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) enum WakeOp {
    Wake {
        #[serde(default)]
        self_wake: bool,
    },
    WakeByRef {
        #[serde(default)]
        self_wake: bool,
    },
    Clone,
    Drop,
}

/// One event line: `{"Variant": {...}}`. Unknown variants are read past, not errors.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(super) enum Record<'a> {
    Spawn(SpawnBody<'a>),
    Enter(IdAt),
    Exit(IdAt),
    Close(IdAt),
    Waker(WakerBody),
    Unknown,
}

impl<'de> Deserialize<'de> for Record<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Record<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "an object with one key naming the event (Spawn, Enter, Exit, Close, Waker)",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record<'de>, A::Error> {
                let Some(tag) = map.next_key::<Cow<'de, str>>()? else {
                    return Err(de::Error::custom("an empty object, expected one event"));
                };
                let rec = match &*tag {
                    "Spawn" => Record::Spawn(map.next_value()?),
                    "Enter" => Record::Enter(map.next_value()?),
                    "Exit" => Record::Exit(map.next_value()?),
                    "Close" => Record::Close(map.next_value()?),
                    "Waker" => Record::Waker(map.next_value()?),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                        Record::Unknown
                    }
                };
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(rec)
            }
        }
        d.deserialize_map(V)
    }
}
