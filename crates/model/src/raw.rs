//! The file as written: serde structs that mirror the YAML, every leaf a
//! [`Spanned`] [`Scalar`] so the lowering step can parse it, report every bad
//! value with its line and column, and go on.
//!
//! Unknown keys, a list where a map belongs and keys written twice are
//! found before these structs are read, all of them in one run, by a pass
//! over the YAML as a generic tree (`shape.rs`, whose key table mirrors
//! these structs, a test checks). These structs skip unknown keys, so a
//! file whose only shape problems are typos is still read and its values
//! checked in the same run; a wrong shape stops here. Use
//! [`crate::parse_raw`] on its own for tools that want the file's shape
//! without validation.

use crate::loc::Loc;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::fmt;

/// Any YAML leaf, kept as written; parsed later into a typed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// `~`, `null` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A list where a single value belongs.
    List,
    /// A map where a single value belongs.
    Map,
}

impl Scalar {
    /// The value as text, if it is a string or a number.
    pub fn text(&self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s.clone()),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::Float(f) => Some(f.to_string()),
            _ => None,
        }
    }

    /// What the value is, for "expected X, found Y" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Scalar::Null => "nothing",
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) => "a number",
            Scalar::Float(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::List => "a list",
            Scalar::Map => "a map",
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        Scalar::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v.into()))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v.into()))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Scalar, E> {
        Ok(Scalar::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::List)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Map)
    }
}

/// A leaf and where it is.
pub type Leaf = Spanned<Scalar>;

/// Where a spanned value is used in the file.
pub fn loc_of<T>(s: &Spanned<T>) -> Loc {
    Loc::from(s.referenced)
}

/// A map in file order, keys kept with their locations (duplicates are
/// rejected by the YAML reader).
#[derive(Debug, Clone, PartialEq)]
pub struct Entries<V>(pub Vec<(Leaf, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Leaf>()? {
                    let v = map.next_value::<V>()?;
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V2(std::marker::PhantomData))
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RawTopology {
    /// `lab:`
    pub lab: Option<Leaf>,
    /// `nodes:`
    pub nodes: Option<Entries<Option<RawNode>>>,
    /// `links:`
    pub links: Option<Vec<Spanned<RawLink>>>,
    /// `networks:`
    pub networks: Option<Entries<Option<RawNetwork>>>,
    /// `expect:`
    pub expect: Option<Vec<Spanned<RawExpect>>>,
}

/// One node.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawNode {
    pub netns: Option<Leaf>,
    pub kind: Option<Leaf>,
    pub lo: Option<Leaf>,
    pub forwarding: Option<Leaf>,
    pub sysctls: Option<Entries<Leaf>>,
    pub interfaces: Option<Entries<Option<RawInterface>>>,
    pub routes: Option<Vec<Spanned<RawRoute>>>,
    pub nat: Option<RawNat>,
    pub serve: Option<Vec<Leaf>>,
    pub run: Option<Vec<Leaf>>,
}

/// One interface: the common keys and every kind's own keys (the lowering
/// step rejects keys that do not belong to the interface's kind).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawInterface {
    pub kind: Option<Leaf>,
    pub addresses: Option<Vec<Leaf>>,
    pub up: Option<Leaf>,
    pub mtu: Option<Leaf>,
    pub mac: Option<Leaf>,
    pub master: Option<Leaf>,
    pub hairpin: Option<Leaf>,
    pub impair: Option<Spanned<RawImpair>>,
    // bridge
    pub stp: Option<Leaf>,
    pub ageing: Option<Leaf>,
    pub vlan_filtering: Option<Leaf>,
    // vlan, macvlan, ipvlan
    pub parent: Option<Leaf>,
    pub id: Option<Leaf>,
    pub mode: Option<Leaf>,
    pub flag: Option<Leaf>,
    // vxlan
    pub vni: Option<Leaf>,
    pub remote: Option<Leaf>,
    pub group: Option<Leaf>,
    pub local: Option<Leaf>,
    pub dev: Option<Leaf>,
    pub port: Option<Leaf>,
    pub learning: Option<Leaf>,
    // physical
    pub from: Option<Leaf>,
    // tap
    pub owner: Option<Leaf>,
}

/// `impair: {delay, jitter, loss, rate}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawImpair {
    pub delay: Option<Leaf>,
    pub jitter: Option<Leaf>,
    pub loss: Option<Leaf>,
    pub rate: Option<Leaf>,
}

/// A link: `[a:x, b:y]` or `{endpoints: [...], mtu}`.
#[derive(Debug, Clone, PartialEq)]
pub enum RawLink {
    /// `[h1:eth0, h2:eth0]`
    Short(Vec<Leaf>),
    /// `{endpoints: [...], mtu: 9000}`
    Long(Box<RawLinkLong>),
    /// Anything else (reported as a wrong type).
    Other(Scalar),
}

/// The long form of a link.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawLinkLong {
    pub endpoints: Option<Vec<Leaf>>,
    pub mtu: Option<Leaf>,
}

/// A route: `default via 10.0.0.1` or `{to, via, dev, metric, src, table}`.
#[derive(Debug, Clone, PartialEq)]
pub enum RawRoute {
    /// The `ip route` words.
    Words(String),
    /// The map form.
    Map(Box<RawRouteMap>),
    /// Anything else (reported as a wrong type).
    Other(Scalar),
}

/// The map form of a route.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawRouteMap {
    pub to: Option<Leaf>,
    pub via: Option<Leaf>,
    pub dev: Option<Leaf>,
    pub metric: Option<Leaf>,
    pub src: Option<Leaf>,
    pub table: Option<Leaf>,
}

/// `nat: {masquerade, forward}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawNat {
    pub masquerade: Option<Vec<Spanned<RawMasquerade>>>,
    pub forward: Option<Vec<Spanned<RawForward>>>,
}

/// `{ from, out, not-out }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawMasquerade {
    pub from: Option<Leaf>,
    pub out: Option<Leaf>,
    pub not_out: Option<Leaf>,
}

/// `{ proto, port, to, in }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawForward {
    pub proto: Option<Leaf>,
    pub port: Option<Leaf>,
    pub to: Option<Leaf>,
    #[serde(rename = "in")]
    pub in_: Option<Leaf>,
}

/// A Docker-style network.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawNetwork {
    pub node: Option<Leaf>,
    pub subnet: Option<Leaf>,
    pub subnets: Option<Vec<Leaf>>,
    pub gateway: Option<Spanned<OneOrMany>>,
    pub masquerade: Option<Leaf>,
    pub members: Option<Entries<Option<RawMember>>>,
}

/// One member of a network.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawMember {
    pub address: Option<Leaf>,
    pub ifname: Option<Leaf>,
    pub publish: Option<Vec<Leaf>>,
}

/// A value or a list of values (`gateway: 172.17.0.1` or `[a, b]`).
#[derive(Debug, Clone, PartialEq)]
pub enum OneOrMany {
    /// A single value (its location is the enclosing `Spanned`'s).
    One(Scalar),
    /// A list of values.
    Many(Vec<Leaf>),
}

/// A check: `h1 -> h2`, `a -x b`, or the map form.
#[derive(Debug, Clone, PartialEq)]
pub enum RawExpect {
    /// The arrow form.
    Words(String),
    /// The map form.
    Map(Box<RawExpectMap>),
    /// Anything else (reported as a wrong type).
    Other(Scalar),
}

/// The map form of a check.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawExpectMap {
    pub from: Option<Leaf>,
    pub to: Option<Leaf>,
    pub proto: Option<Leaf>,
    pub reply_from: Option<Leaf>,
    pub seen_as: Option<Leaf>,
    pub expect: Option<Leaf>,
}

/// Implements `Deserialize` for an enum that takes a string, a map (parsed
/// as `$map`), a list (`$seq` or "other"), or anything else as `Other`.
macro_rules! string_or_map {
    ($ty:ident, $str:expr, $map:ident, $mapty:ty, $seq:expr) => {
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
                        <$mapty>::deserialize(de::value::MapAccessDeserializer::new(map))
                            .map(|m| $ty::$map(Box::new(m)))
                    }
                }
                d.deserialize_any(Vis)
            }
        }
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

string_or_map!(RawRoute, RawRoute::Words, Map, RawRouteMap, |s| seq_other(
    s,
    RawRoute::Other
));
string_or_map!(RawExpect, RawExpect::Words, Map, RawExpectMap, |s| {
    seq_other(s, RawExpect::Other)
});
string_or_map!(
    RawLink,
    |s: String| RawLink::Other(Scalar::Str(s)),
    Long,
    RawLinkLong,
    |s| seq_leaves(s).map(RawLink::Short)
);

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_reach_leaves_keys_and_custom_forms() {
        let text = "lab: demo\nnodes:\n  h1:\n    interfaces:\n      eth0: { mtu: 9000 }\n    routes:\n      - default via 10.0.0.1\n      - { to: 10.3.0.0/16, dev: eth1 }\n  h2:\nlinks:\n  - [h1:eth0, h2:eth0]\n";
        let raw: RawTopology = serde_saphyr::from_str(text).unwrap();
        let lab = raw.lab.unwrap();
        assert_eq!(lab.value, Scalar::Str("demo".into()));
        assert_eq!(loc_of(&lab), Loc::new(1, 6));
        let nodes = raw.nodes.unwrap().0;
        assert_eq!(loc_of(&nodes[0].0), Loc::new(3, 3));
        assert!(nodes[1].1.is_none());
        let h1 = nodes[0].1.clone().unwrap();
        let ifs = h1.interfaces.unwrap().0;
        let mtu = ifs[0].1.clone().unwrap().mtu.unwrap();
        assert_eq!(mtu.value, Scalar::Int(9000));
        assert_eq!(loc_of(&mtu), Loc::new(5, 20));
        let routes = h1.routes.unwrap();
        assert_eq!(
            routes[0].value,
            RawRoute::Words("default via 10.0.0.1".into())
        );
        assert_eq!(loc_of(&routes[0]), Loc::new(7, 9));
        let RawRoute::Map(m) = &routes[1].value else {
            panic!()
        };
        assert_eq!(loc_of(m.dev.as_ref().unwrap()), Loc::new(8, 33));
        let links = raw.links.unwrap();
        let RawLink::Short(ends) = &links[0].value else {
            panic!()
        };
        assert_eq!(loc_of(&ends[1]), Loc::new(11, 15));
    }
}
