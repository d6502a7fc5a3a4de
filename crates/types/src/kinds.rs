//! Parameters of a device kind, one struct per kind, passed whole from the
//! file through the state to the netlink encoder (and back from its
//! decoder): adding an option touches the struct, the file reader and the
//! wire, not every layer between.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// A VXLAN device. `D` names the underlay device: an interface name in the
/// model and the state, the kernel's ifindex on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vxlan<D = String> {
    /// The VNI (24 bits).
    pub vni: u32,
    /// Unicast remote (on the wire `IFLA_VXLAN_GROUP(6)`, as `ip` sends it).
    pub remote: Option<IpAddr>,
    /// Multicast group; never together with `remote`.
    pub group: Option<IpAddr>,
    /// Local source address.
    pub local: Option<IpAddr>,
    /// Underlay device (`IFLA_VXLAN_LINK`).
    pub dev: Option<D>,
    /// UDP destination port; 0 on the wire leaves the kernel's default.
    pub port: u16,
    /// MAC learning.
    pub learning: bool,
}

impl<D> Vxlan<D> {
    /// The same parameters with the underlay device named another way.
    pub fn map_dev<E>(mut self, f: impl FnOnce(D) -> E) -> Vxlan<E> {
        let dev = self.dev.take().map(f);
        self.with_dev(dev)
    }

    /// The same parameters with `dev` as the underlay device.
    pub fn with_dev<E>(self, dev: Option<E>) -> Vxlan<E> {
        Vxlan {
            vni: self.vni,
            remote: self.remote,
            group: self.group,
            local: self.local,
            dev,
            port: self.port,
            learning: self.learning,
        }
    }
}

/// A Linux bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bridge {
    /// Spanning tree on (default off).
    pub stp: bool,
    /// FDB ageing time in seconds (default 300); on the wire
    /// `IFLA_BR_AGEING_TIME` in hundredths of a second.
    pub ageing_secs: u32,
    /// VLAN filtering on (default off).
    pub vlan_filtering: bool,
}

impl Default for Bridge {
    /// What `ip link add type bridge` makes.
    fn default() -> Bridge {
        Bridge {
            stp: false,
            ageing_secs: 300,
            vlan_filtering: false,
        }
    }
}
