//! The key table against raw.rs, and the hints that name the reference.
use super::*;
use crate::raw::*;
use serde::de::{Deserialize, Deserializer, Visitor};

/// A deserializer that only records the fields a struct asks for.
struct Grab<'a>(&'a mut Vec<&'static str>);

impl<'de> Deserializer<'de> for Grab<'_> {
    type Error = serde::de::value::Error;
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct"))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.extend_from_slice(fields);
        Err(serde::de::Error::custom("fields recorded"))
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// The keys serde's derive reads for `T`.
fn serde_keys<'de, T: Deserialize<'de>>() -> Vec<String> {
    let mut fields = Vec::new();
    let _ = T::deserialize(Grab(&mut fields));
    assert!(!fields.is_empty());
    fields.iter().map(|s| s.to_string()).collect()
}

fn keys(fields: &[(&str, Shape)]) -> Vec<String> {
    fields.iter().map(|(k, _)| k.to_string()).collect()
}

#[test]
fn the_table_knows_the_keys_raw_rs_knows() {
    assert_eq!(keys(TOP), serde_keys::<RawTopology>());
    assert_eq!(keys(NODE), serde_keys::<RawNode>());
    assert_eq!(keys(INTERFACE), serde_keys::<RawInterface>());
    assert_eq!(keys(IMPAIR), serde_keys::<RawImpair>());
    assert_eq!(keys(LINK), serde_keys::<RawLinkLong>());
    assert_eq!(keys(ROUTE), serde_keys::<RawRouteMap>());
    assert_eq!(keys(NAT), serde_keys::<RawNat>());
    assert_eq!(keys(MASQUERADE), serde_keys::<RawMasquerade>());
    assert_eq!(keys(FORWARD), serde_keys::<RawForward>());
    assert_eq!(keys(NETWORK), serde_keys::<RawNetwork>());
    assert_eq!(keys(MEMBER), serde_keys::<RawMember>());
    assert_eq!(keys(EXPECT), serde_keys::<RawExpectMap>());
    assert_eq!(keys(STEP), serde_keys::<RawStepMap>());
    assert_eq!(keys(IMPAIR_STEP), serde_keys::<RawImpairStep>());
    assert_eq!(keys(PARTITION), serde_keys::<RawPartitionMap>());
    assert_eq!(keys(EXEC), serde_keys::<RawExec>());
}

#[test]
fn every_map_has_a_section_in_the_docs() {
    let tables = [
        TOP, NODE, INTERFACE, IMPAIR, LINK, ROUTE, NAT, MASQUERADE, FORWARD, NETWORK, MEMBER,
        EXPECT,
    ];
    for t in tables {
        assert!(SECTIONS.iter().any(|(_, s)| same(s, t)), "{:?}", keys(t));
    }
    assert_eq!(section_of(FORWARD), "NAT");
}

#[test]
fn shape_hints_name_the_section_of_the_reference() {
    let text = "lab: x\nnodes:\n  a:\n    routes: 5\n    colour: red\n    nat: { forward: [{ port: 1, too: x }] }\n";
    let problems = check(text, "f", crate::limits::yaml_options()).expect("YAML");
    let hints: Vec<&str> = problems.iter().map(|p| p.hint.as_str()).collect();
    assert_eq!(hints.len(), 3, "{hints:?}");
    assert!(
        hints[0].ends_with("(docs/topology.md, section \"Nodes\")"),
        "{hints:?}"
    );
    assert!(
        hints[1].ends_with("(docs/topology.md, section \"Nodes\")"),
        "{hints:?}"
    );
    assert!(
        hints[2].ends_with("(docs/topology.md, section \"NAT\")"),
        "{hints:?}"
    );
}
