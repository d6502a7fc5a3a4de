//! The file as written: serde structs that mirror the YAML, every leaf a
//! [`Spanned`] [`Scalar`] so the lowering step can parse it, report every bad
//! value with its line and column, and go on.
//!
//! Unknown keys, a list where a map belongs and keys written twice are
//! found before these structs are read, all of them in one run, by a pass
//! over the YAML as a generic tree (`shape.rs`, whose key table
//! `raw_map!` writes from these structs' field lists: a key is declared
//! once; an interface kind's keys with the kind, in `lower/kinds.rs`).
//! These structs skip unknown keys, so a file whose only shape problems
//! are typos is still read and its values checked in the same run; a
//! wrong shape stops here. Use
//! [`crate::parse_raw`] on its own for tools that want the file's shape
//! without validation.

mod de;
mod fs;
mod scalar;
mod scenario;

pub use crate::lower::kinds::RawInterface;
use crate::shape::raw_map;
pub use fs::*;
pub use scalar::{loc_of, Entries, Leaf, Scalar};
pub use scenario::*;
use serde_saphyr::Spanned;

raw_map! {
    /// The whole file.
    pub struct RawTopology in "Top level" {
        /// `lab:`
        lab: Option<Leaf>,
        /// `nodes:`
        nodes: Option<Entries<Option<RawNode>>>,
        /// `links:`
        links: Option<Vec<Spanned<RawLink>>>,
        /// `networks:`
        networks: Option<Entries<Option<RawNetwork>>>,
        /// `expect:`
        expect: Option<Vec<Spanned<RawExpect>>>,
        /// `scenarios:`
        scenarios: Option<RawScenarios>,
    }
}

raw_map! {
    /// One node.
    #[allow(missing_docs)]
    pub struct RawNode in "Nodes" {
        netns: Option<Leaf>,
        kind: Option<Leaf>,
        hostname: Option<Leaf>,
        lo: Option<Spanned<RawLo>>,
        forwarding: Option<Leaf>,
        sysctls: Option<Entries<Leaf>>,
        interfaces: Option<Entries<Option<RawInterface>>>,
        routes: Option<Vec<Spanned<RawRoute>>>,
        nat: Option<RawNat>,
        serve: Option<Vec<Leaf>>,
        run: Option<Vec<Leaf>>,
        env: Option<Entries<Leaf>>,
        dirs: Option<Vec<Spanned<RawDir>>>,
        files: Option<Entries<Spanned<RawFile>>>,
    }
}

/// A node's `lo:`: `up`/`down` (or a boolean), or `{up, addresses}`.
#[derive(Debug, Clone, PartialEq)]
pub enum RawLo {
    /// `up` or `down`.
    Words(String),
    /// `{ up: true, addresses: [...] }`.
    Map(Box<RawLoMap>),
    /// Anything else (a boolean is `up`/`down`; the rest a wrong type).
    Other(Scalar),
}

raw_map! {
    /// The map form of `lo:`.
    #[allow(missing_docs)]
    pub struct RawLoMap in "Loopback" {
        up: Option<Leaf>,
        addresses: Option<Vec<Leaf>>,
    }
}

raw_map! {
    /// `impair: {delay, jitter, loss, rate}`.
    #[allow(missing_docs)]
    pub struct RawImpair in "Impairments" {
        delay: Option<Leaf>,
        jitter: Option<Leaf>,
        loss: Option<Leaf>,
        rate: Option<Leaf>,
    }
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

raw_map! {
    /// The long form of a link.
    #[allow(missing_docs)]
    pub struct RawLinkLong in "Links" {
        endpoints: Option<Vec<Leaf>>,
        mtu: Option<Leaf>,
    }
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

raw_map! {
    /// The map form of a route.
    #[allow(missing_docs)]
    pub struct RawRouteMap in "Routes" {
        to: Option<Leaf>,
        via: Option<Leaf>,
        dev: Option<Leaf>,
        metric: Option<Leaf>,
        src: Option<Leaf>,
        table: Option<Leaf>,
    }
}

raw_map! {
    /// `nat: {masquerade, forward}`.
    #[allow(missing_docs)]
    pub struct RawNat in "NAT" {
        masquerade: Option<Vec<Spanned<RawMasquerade>>>,
        forward: Option<Vec<Spanned<RawForward>>>,
    }
}

raw_map! {
    /// `{ from, out, not-out }`.
    #[allow(missing_docs)]
    pub struct RawMasquerade in "NAT" {
        from: Option<Leaf>,
        out: Option<Leaf>,
        not_out: Option<Leaf>,
    }
}

raw_map! {
    /// `{ proto, port, to, in }`.
    #[allow(missing_docs)]
    pub struct RawForward in "NAT" {
        proto: Option<Leaf>,
        port: Option<Leaf>,
        to: Option<Leaf>,
        in_ as "in": Option<Leaf>,
    }
}

raw_map! {
    /// A Docker-style network.
    #[allow(missing_docs)]
    pub struct RawNetwork in "Networks" {
        node: Option<Leaf>,
        subnet: Option<Leaf>,
        subnets: Option<Vec<Leaf>>,
        gateway: Option<Spanned<OneOrMany>>,
        masquerade: Option<Leaf>,
        members: Option<Entries<Option<RawMember>>>,
    }
}

raw_map! {
    /// One member of a network.
    #[allow(missing_docs)]
    pub struct RawMember in "Networks" {
        address: Option<Leaf>,
        ifname: Option<Leaf>,
        publish: Option<Vec<Leaf>>,
    }
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

raw_map! {
    /// The map form of a check.
    #[allow(missing_docs)]
    pub struct RawExpectMap in "Expect" {
        from: Option<Leaf>,
        to: Option<Leaf>,
        proto: Option<Leaf>,
        reply_from: Option<Leaf>,
        seen_as: Option<Leaf>,
        expect: Option<Leaf>,
        /// The arrow form inside the map form: `{ check: a -> b, within: 5s }`.
        check: Option<Leaf>,
        within: Option<Leaf>,
    }
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
