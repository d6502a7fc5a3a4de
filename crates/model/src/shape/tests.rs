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

fn keys(map: &Map) -> Vec<String> {
    map.keys.iter().map(|(k, _)| k.to_string()).collect()
}

/// The table's key (`raw_map!`'s kebab case, or `as`) is the key serde reads.
#[test]
fn the_table_knows_the_keys_raw_rs_knows() {
    assert_eq!(keys(&RawTopology::MAP), serde_keys::<RawTopology>());
    assert_eq!(keys(&RawNode::MAP), serde_keys::<RawNode>());
    assert_eq!(keys(&RawInterface::MAP), serde_keys::<RawInterface>());
    assert_eq!(keys(&RawImpair::MAP), serde_keys::<RawImpair>());
    assert_eq!(keys(&RawLoMap::MAP), serde_keys::<RawLoMap>());
    assert_eq!(keys(&RawDirMap::MAP), serde_keys::<RawDirMap>());
    assert_eq!(keys(&RawFileMap::MAP), serde_keys::<RawFileMap>());
    assert_eq!(keys(&RawLinkLong::MAP), serde_keys::<RawLinkLong>());
    assert_eq!(keys(&RawRouteMap::MAP), serde_keys::<RawRouteMap>());
    assert_eq!(keys(&RawNat::MAP), serde_keys::<RawNat>());
    assert_eq!(keys(&RawMasquerade::MAP), serde_keys::<RawMasquerade>());
    assert_eq!(keys(&RawForward::MAP), serde_keys::<RawForward>());
    assert_eq!(keys(&RawNetwork::MAP), serde_keys::<RawNetwork>());
    assert_eq!(keys(&RawMember::MAP), serde_keys::<RawMember>());
    assert_eq!(keys(&RawExpectMap::MAP), serde_keys::<RawExpectMap>());
    assert_eq!(keys(&RawStepMap::MAP), serde_keys::<RawStepMap>());
    assert_eq!(keys(&RawImpairStep::MAP), serde_keys::<RawImpairStep>());
    assert_eq!(keys(&RawPartitionMap::MAP), serde_keys::<RawPartitionMap>());
    assert_eq!(keys(&RawExec::MAP), serde_keys::<RawExec>());
}

/// Every map is reached from the top (so its keys are documented), once.
#[test]
fn every_map_is_reached_from_the_top_once() {
    let all = [
        &RawTopology::MAP,
        &RawNode::MAP,
        &RawLoMap::MAP,
        &RawDirMap::MAP,
        &RawFileMap::MAP,
        &RawInterface::MAP,
        &RawImpair::MAP,
        &RawLinkLong::MAP,
        &RawRouteMap::MAP,
        &RawNat::MAP,
        &RawMasquerade::MAP,
        &RawForward::MAP,
        &RawNetwork::MAP,
        &RawMember::MAP,
        &RawExpectMap::MAP,
        &RawStepMap::MAP,
        &RawImpairStep::MAP,
        &RawPartitionMap::MAP,
        &RawExec::MAP,
    ];
    let reached = maps();
    assert_eq!(reached.len(), all.len());
    for m in all {
        assert!(reached.iter().any(|r| same(r, m)), "{:?}", keys(m));
    }
    assert_eq!(RawForward::MAP.section, "NAT");
    let pairs = documented_keys();
    assert!(pairs.contains(&("Interfaces", "vlan-filtering")));
    assert!(pairs.contains(&("NAT", "in")));
    assert!(pairs.contains(&("Scenarios", "one-way")));
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
