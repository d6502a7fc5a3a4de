//! Interfaces, their kinds, and links (veth pairs).

use crate::impair::Impair;
use crate::loc::Loc;
use crate::names::{IfName, NodeName};
use crate::values::{Cidr, MacAddr, Mtu};
use std::fmt;

/// `node:ifname`: an interface of a node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfRef {
    /// The node.
    pub node: NodeName,
    /// The interface inside it.
    pub ifname: IfName,
}

impl fmt::Display for IfRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.node, self.ifname)
    }
}

/// One interface of a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// What it is.
    pub kind: IfKind,
    /// Addresses, host bits kept, in file order.
    pub addresses: Vec<Cidr>,
    /// Bring it up (default true).
    pub up: bool,
    /// MTU; kernel default when `None` (a link's `mtu` lands here for both ends).
    pub mtu: Option<Mtu>,
    /// MAC address; kernel chooses when `None`.
    pub mac: Option<MacAddr>,
    /// Bridge in the same node to enslave this interface to.
    pub master: Option<IfName>,
    /// As a bridge port: reflect frames back out the port they came in on.
    pub hairpin: bool,
    /// Egress impairment.
    pub impair: Option<Impair>,
    /// Where the interface is named (its key; for a default link end, the
    /// endpoint in `links`).
    pub loc: Loc,
}

impl Interface {
    /// An interface of `kind` with every default (up, no address).
    pub fn new(kind: IfKind, loc: Loc) -> Interface {
        Interface {
            kind,
            addresses: Vec::new(),
            up: true,
            mtu: None,
            mac: None,
            master: None,
            hairpin: false,
            impair: None,
            loc,
        }
    }
}

/// An interface's kind and its own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfKind {
    /// One end of a veth pair made by a link; the peer is in [`crate::Topology::links`].
    Veth,
    /// A host-namespace interface moved into the node (and back on `down`).
    Physical {
        /// Its name in the host namespace (default: the interface's name).
        from: IfName,
    },
    /// A device made in the node, with its kind's parameters; a parent
    /// or underlay is resolved to its node.
    Device(DeviceKind<IfRef>),
}

impl IfKind {
    /// The kind's name as the file writes it (`veth`, `bridge`, …).
    pub fn name(&self) -> &'static str {
        match self {
            IfKind::Veth => "veth",
            IfKind::Physical { .. } => "physical",
            IfKind::Device(d) => d.name(),
        }
    }

    /// The device's parameters, for a kind nslab makes.
    pub fn device(&self) -> Option<&DeviceKind<IfRef>> {
        match self {
            IfKind::Device(d) => Some(d),
            _ => None,
        }
    }

    /// The parent of a VLAN, MACVLAN or IPVLAN.
    pub fn parent(&self) -> Option<&IfRef> {
        self.device().and_then(DeviceKind::parent)
    }

    /// Whether this is a bridge.
    pub fn is_bridge(&self) -> bool {
        matches!(self, IfKind::Device(DeviceKind::Bridge(_)))
    }

    /// Whether other interfaces can have this one as `master:`.
    pub fn is_master(&self) -> bool {
        self.device().is_some_and(DeviceKind::is_master)
    }
}

pub use nslab_types::{
    Bridge, DeviceKind, Ipvlan, IpvlanFlag, IpvlanMode, Macvlan, MacvlanMode, Tap, Vlan, Vxlan,
};

/// A veth pair between two interfaces (usually of two nodes). Both ends are
/// in their nodes' `interfaces` with kind [`IfKind::Veth`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// First end.
    pub a: IfRef,
    /// Second end.
    pub b: IfRef,
    /// MTU for both ends (an end's own `mtu` wins).
    pub mtu: Option<Mtu>,
    /// Where the link is written.
    pub loc: Loc,
}
