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

mod de;
mod scalar;
mod scenario;

pub use scalar::{loc_of, Entries, Leaf, Scalar};
pub use scenario::*;
use serde::Deserialize;
use serde_saphyr::Spanned;

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
    /// `scenarios:`
    pub scenarios: Option<RawScenarios>,
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
    // vrf
    pub table: Option<Leaf>,
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
    /// The arrow form inside the map form: `{ check: a -> b, within: 5s }`.
    pub check: Option<Leaf>,
    pub within: Option<Leaf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loc::Loc;

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
