//! One `State` type for both sides of a plan: what the file asks for
//! (built by [`desired`]) and what the kernel has (built by the observer in
//! [`crate::host`]). Plain data, no side effects; the planner diffs two of
//! them.

pub mod desired;
pub mod fs;
pub mod nat;
mod nat_rules;

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;

pub use nslab_types::{Bridge, BridgeChange, Cidr, DeviceKind, Impair, MacvlanMode, Tap};
#[cfg(test)]
pub use nslab_types::{Macvlan, Vlan, Vxlan};

/// The whole lab, node by node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub lab: String,
    pub nodes: BTreeMap<String, NodeState>,
}

/// One network namespace (or the namespace nslab runs in, for `kind: host`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeState {
    /// Name under /run/netns; `None` for the host node.
    pub netns: Option<String>,
    pub lo_up: bool,
    /// The host name of a namespace node's processes (its UTS namespace;
    /// set by `up` apart from the plan, see `crate::lab::hostnames`).
    /// Desired side only: the observer leaves it `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The lab's addresses on `lo` (not the kernel's 127.0.0.1/8 and ::1).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub lo_addresses: BTreeSet<Cidr>,
    /// Full dotted keys (`net.ipv4.ip_forward`) to values as written to /proc.
    pub sysctls: BTreeMap<String, String>,
    pub links: BTreeMap<String, LinkState>,
    pub routes: BTreeSet<RouteState>,
    /// The node's nftables table `nslab-<lab>`; `None`: no table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat: Option<nat::Nat>,
    /// `env:`, `dirs:` and `files:` (see [`fs`]); written by `up` apart
    /// from the kernel's objects. Desired side only.
    #[serde(default, skip_serializing_if = "fs::NodeFs::is_empty")]
    pub fs: fs::NodeFs,
}

impl NodeState {
    pub fn new(netns: Option<String>) -> NodeState {
        NodeState {
            netns,
            lo_up: true,
            hostname: None,
            lo_addresses: BTreeSet::new(),
            sysctls: BTreeMap::new(),
            links: BTreeMap::new(),
            routes: BTreeSet::new(),
            nat: None,
            fs: fs::NodeFs::default(),
        }
    }
}

/// `node:ifname`, the way the spec writes an interface of another node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Endpoint {
    pub node: String,
    pub ifname: String,
}

impl Endpoint {
    pub fn new(node: impl Into<String>, ifname: impl Into<String>) -> Endpoint {
        Endpoint {
            node: node.into(),
            ifname: ifname.into(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.node, self.ifname)
    }
}

/// What a link is. Two links of different kinds, or of one kind with
/// different kind parameters, cannot be changed into each other in place:
/// the planner recreates them (bridge options aside).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum LinkKind {
    /// One end of a veth pair; `peer` is the other end.
    Veth { peer: Endpoint },
    /// An interface of the host namespace moved into the node; `from` is its
    /// name in the host namespace, restored on `down`.
    Physical { from: String },
    /// Seen in the kernel but not something nslab makes (observed only).
    Other { kind: String },
    /// A device nslab makes, with its kind's parameters (recorded with its
    /// kind in `type`, as the others).
    #[serde(untagged)]
    Device(DeviceKind<Endpoint>),
}

impl LinkKind {
    pub fn name(&self) -> &str {
        match self {
            LinkKind::Veth { .. } => "veth",
            LinkKind::Physical { .. } => "physical",
            LinkKind::Other { kind } => kind,
            LinkKind::Device(d) => d.name(),
        }
    }

    /// The device's parameters, for a kind nslab makes.
    pub fn device(&self) -> Option<&DeviceKind<Endpoint>> {
        match self {
            LinkKind::Device(d) => Some(d),
            _ => None,
        }
    }

    /// The interface this one is stacked on, if any (it must exist first).
    pub fn parent(&self) -> Option<&Endpoint> {
        self.device().and_then(DeviceKind::parent)
    }

    /// The interface this one dies with: its parent or a VXLAN's underlay.
    pub fn lower(&self) -> Option<&Endpoint> {
        self.device().and_then(DeviceKind::lower)
    }

    /// Whether this is a bridge.
    pub fn is_bridge(&self) -> bool {
        matches!(self, LinkKind::Device(DeviceKind::Bridge(_)))
    }
}

impl From<DeviceKind<Endpoint>> for LinkKind {
    fn from(d: DeviceKind<Endpoint>) -> LinkKind {
        LinkKind::Device(d)
    }
}

/// One interface of a node. `None` in `mtu`/`mac` means "whatever the
/// kernel chose": desired `None` never differs from an observed value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkState {
    pub kind: LinkKind,
    pub addresses: BTreeSet<Cidr>,
    pub up: bool,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    pub master: Option<String>,
    pub hairpin: bool,
    pub impair: Option<Impair>,
    /// Whether IPv6 gives the link a link-local address (its address
    /// generation mode is not `none`). Desired `None`: the kernel's
    /// default, not managed; observed `None`: the link has no IPv6.
    #[serde(default)]
    pub ipv6_link_local: Option<bool>,
    /// Observed only: the kernel's operational state (`up`, `down`,
    /// `lowerlayerdown`...), for `show`; never planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oper: Option<String>,
}

impl LinkState {
    pub fn new(kind: LinkKind) -> LinkState {
        LinkState {
            kind,
            addresses: BTreeSet::new(),
            up: true,
            mtu: None,
            mac: None,
            master: None,
            hairpin: false,
            impair: None,
            ipv6_link_local: None,
            oper: None,
        }
    }
}

/// A route nslab manages (connected routes are the kernel's and never
/// appear here).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RouteState {
    /// `None` is the default route of the family of `via`/`family_v6`.
    pub to: Option<Cidr>,
    pub v6: bool,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub metric: Option<u32>,
    pub src: Option<IpAddr>,
    pub table: Option<u32>,
}

impl fmt::Display for RouteState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.to {
            Some(to) => write!(f, "{to}")?,
            None => write!(f, "default")?,
        }
        if let Some(via) = &self.via {
            write!(f, " via {via}")?;
        }
        if let Some(dev) = &self.dev {
            write!(f, " dev {dev}")?;
        }
        if let Some(metric) = &self.metric {
            write!(f, " metric {metric}")?;
        }
        if let Some(src) = &self.src {
            write!(f, " src {src}")?;
        }
        if let Some(table) = &self.table {
            write!(f, " table {table}")?;
        }
        Ok(())
    }
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn fmt_mac(mac: &[u8; 6]) -> String {
    let parts: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The state as `show --json` writes it: the kind in `type`, beside
    /// its parameters (a VXLAN's `dev` is an interface like a parent).
    #[test]
    fn a_vxlan_reads_and_writes_as_records_have_it() {
        let old = r#"{"type":"vxlan","vni":5,"remote":"10.0.0.2","group":null,"local":null,"dev":{"node":"a","ifname":"eth0"},"port":4789,"learning":true}"#;
        let k: LinkKind = serde_json::from_str(old).expect("read");
        let want = LinkKind::Device(DeviceKind::Vxlan(Vxlan {
            vni: 5,
            remote: Some("10.0.0.2".parse().expect("ip")),
            group: None,
            local: None,
            dev: Some(Endpoint::new("a", "eth0")),
            port: 4789,
            learning: true,
        }));
        assert_eq!(k, want);
        assert_eq!(serde_json::to_string(&k).expect("write"), old);
    }

    #[test]
    fn a_bridge_reads_and_writes_as_records_have_it() {
        let old = r#"{"type":"bridge","stp":false,"ageing_secs":300,"vlan_filtering":true}"#;
        let k: LinkKind = serde_json::from_str(old).expect("read");
        let want = LinkKind::Device(DeviceKind::Bridge(Bridge {
            vlan_filtering: true,
            ..Bridge::default()
        }));
        assert_eq!(k, want);
        assert_eq!(serde_json::to_string(&k).expect("write"), old);
    }

    /// Every kind reads back as written, the ones nslab does not make
    /// (tagged here) and the devices (tagged by `DeviceKind`) alike.
    #[test]
    fn every_kind_round_trips() {
        let kinds = [
            (
                "veth",
                LinkKind::Veth {
                    peer: Endpoint::new("b", "eth0"),
                },
            ),
            (
                "physical",
                LinkKind::Physical {
                    from: "ens4".into(),
                },
            ),
            ("other", LinkKind::Other { kind: "gre".into() }),
            (
                "vlan",
                LinkKind::Device(DeviceKind::Vlan(Vlan {
                    parent: Endpoint::new("a", "eth0"),
                    id: 7,
                })),
            ),
            (
                "tap",
                LinkKind::Device(DeviceKind::Tap(Tap { owner: None })),
            ),
        ];
        for (tag, k) in kinds {
            let json = serde_json::to_string(&k).expect("write");
            assert!(json.starts_with(&format!(r#"{{"type":"{tag}""#)), "{json}");
            assert_eq!(serde_json::from_str::<LinkKind>(&json).expect("read"), k);
        }
    }
}
