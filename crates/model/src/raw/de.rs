//! Reading the forms that take a string, a map or a list (routes, expects,
//! links) and the ones that take a value or a list; each string-or-map
//! form's shape is its map's keys.

use super::{Leaf, Scalar};
use super::{OneOrMany, RawExpect, RawExpectMap, RawLink, RawLinkLong, RawRoute, RawRouteMap};
use super::{RawDir, RawDirMap, RawFile, RawFileMap};
use super::{RawLo, RawLoMap, RawPartition, RawPartitionMap, RawStep, RawStepMap};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::fmt;

/// Implements `Deserialize` for an enum that takes a string, a map (read
/// by `$map`, as a `$mapty`), a list (`$seq` or "other"), or anything else
/// as `Other`.
macro_rules! string_or_map {
    ($ty:ident, $str:expr, $map:expr, $mapty:ty, $seq:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                struct Vis;
                impl<'de> Visitor<'de> for Vis {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a string or a map")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        Ok($str(v.to_string()))
                    }
                    fn visit_bool<E>(self, v: bool) -> Result<$ty, E> {
                        Ok($ty::Other(Scalar::Bool(v)))
                    }
                    fn visit_i64<E>(self, v: i64) -> Result<$ty, E> {
                        Ok($ty::Other(Scalar::Int(v.into())))
                    }
                    fn visit_u64<E>(self, v: u64) -> Result<$ty, E> {
                        Ok($ty::Other(Scalar::Int(v.into())))
                    }
                    fn visit_f64<E>(self, v: f64) -> Result<$ty, E> {
                        Ok($ty::Other(Scalar::Float(v)))
                    }
                    fn visit_unit<E>(self) -> Result<$ty, E> {
                        Ok($ty::Other(Scalar::Null))
                    }
                    fn visit_none<E>(self) -> Result<$ty, E> {
                        Ok($ty::Other(Scalar::Null))
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<$ty, A::Error> {
                        $seq(seq)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$ty, A::Error> {
                        $map(map)
                    }
                }
                d.deserialize_any(Vis)
            }
        }

        impl $crate::shape::Shaped for $ty {
            const SHAPE: $crate::shape::Shape = $crate::shape::Shape::MapForm(&<$mapty>::MAP);
        }
    };
    // `Words`, `Map` and `Other` (a list too): a route, a check.
    ($ty:ident, $mapty:ty) => {
        string_or_map!($ty, $ty::Words, |m| map_form(m, $ty::Map), $mapty, |s| {
            seq_other(s, $ty::Other)
        });
    };
}

fn seq_other<'de, A: SeqAccess<'de>, T>(mut seq: A, wrap: fn(Scalar) -> T) -> Result<T, A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(wrap(Scalar::List))
}

fn seq_leaves<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Vec<Leaf>, A::Error> {
    let mut out = Vec::new();
    while let Some(v) = seq.next_element::<Leaf>()? {
        out.push(v);
    }
    Ok(out)
}

string_or_map!(RawRoute, RawRouteMap);
string_or_map!(RawExpect, RawExpectMap);
string_or_map!(RawLo, RawLoMap);
string_or_map!(RawDir, RawDirMap);
string_or_map!(RawFile, RawFileMap);
string_or_map!(RawStep, RawStep::Words, step_map, RawStepMap, |s| {
    seq_other(s, RawStep::Other)
});
string_or_map!(
    RawPartition,
    |s: String| RawPartition::Other(Scalar::Str(s)),
    |m| map_form(m, RawPartition::Map),
    RawPartitionMap,
    |mut s: A| {
        let mut out = Vec::new();
        while let Some(v) = s.next_element::<Spanned<OneOrMany>>()? {
            out.push(v);
        }
        Ok(RawPartition::Groups(out))
    }
);
string_or_map!(
    RawLink,
    |s: String| RawLink::Other(Scalar::Str(s)),
    |m| map_form(m, RawLink::Long),
    RawLinkLong,
    |s| seq_leaves(s).map(RawLink::Short)
);

/// The map form, read as its struct.
fn map_form<'de, A: MapAccess<'de>, M: Deserialize<'de>, T>(
    map: A,
    wrap: fn(Box<M>) -> T,
) -> Result<T, A::Error> {
    M::deserialize(de::value::MapAccessDeserializer::new(map)).map(|m| wrap(Box::new(m)))
}

/// A step's map; one whose keys are all unknown is [`RawStep::UnknownKeys`]
/// (the shape pass reports each key, so the step is not reported again).
fn step_map<'de, A: MapAccess<'de>>(map: A) -> Result<RawStep, A::Error> {
    let mut keys = CountKeys {
        map,
        known: RawStepMap::MAP.keys,
        seen: 0,
        matched: 0,
    };
    let m = RawStepMap::deserialize(de::value::MapAccessDeserializer::new(&mut keys))?;
    if keys.seen > 0 && keys.matched == 0 {
        return Ok(RawStep::UnknownKeys);
    }
    Ok(RawStep::Map(Box::new(m)))
}

/// A map read through, counting its keys and those of `known`.
struct CountKeys<A> {
    map: A,
    known: &'static [(&'static str, crate::shape::Shape)],
    seen: usize,
    matched: usize,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for CountKeys<A> {
    type Error = A::Error;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.map.next_key::<Leaf>()? else {
            return Ok(None);
        };
        let name = match &key.value {
            Scalar::Str(s) => s.as_str(),
            _ => "",
        };
        self.seen += 1;
        if self.known.iter().any(|(k, _)| *k == name) {
            self.matched += 1;
        }
        seed.deserialize(de::value::StrDeserializer::new(name))
            .map(Some)
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<OneOrMany, D::Error> {
        struct Vis;
        impl<'de> Visitor<'de> for Vis {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value or a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<OneOrMany, A::Error> {
                seq_leaves(seq).map(OneOrMany::Many)
            }
            fn visit_str<E>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(Scalar::Str(v.to_string())))
            }
            fn visit_bool<E>(self, v: bool) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(Scalar::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(Scalar::Int(v.into())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(Scalar::Int(v.into())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(Scalar::Float(v)))
            }
            fn visit_unit<E>(self) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(Scalar::Null))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OneOrMany, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(OneOrMany::One(Scalar::Map))
            }
        }
        d.deserialize_any(Vis)
    }
}
