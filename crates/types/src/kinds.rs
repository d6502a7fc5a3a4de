//! Parameters of a device kind, one struct per kind, passed whole from the
//! file through the state to the netlink encoder (and back from its
//! decoder): adding an option touches the struct, the file reader and the
//! wire, not every layer between.

use serde::{Deserialize, Serialize};
use std::fmt;
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

impl<D: fmt::Display> Vxlan<D> {
    /// The arguments `ip link add ... type vxlan` takes for these
    /// parameters (`type vxlan id 42 remote 10.0.0.2 dstport 4789`).
    pub fn ip_link_args(&self) -> String {
        let mut s = format!("type vxlan id {}", self.vni);
        let words = [
            ("remote", self.remote.map(|a| a.to_string())),
            ("group", self.group.map(|a| a.to_string())),
            ("local", self.local.map(|a| a.to_string())),
            ("dev", self.dev.as_ref().map(|d| d.to_string())),
        ];
        for (key, value) in words {
            if let Some(v) = value {
                s.push_str(&format!(" {key} {v}"));
            }
        }
        s.push_str(&format!(" dstport {}", self.port));
        if !self.learning {
            s.push_str(" nolearning");
        }
        s
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

impl Bridge {
    /// The arguments `ip link add ... type bridge` takes (the ageing time
    /// in hundredths of a second, as `ip` wants it).
    pub fn ip_link_args(&self) -> String {
        format!(
            "type bridge stp_state {} ageing_time {} vlan_filtering {}",
            u8::from(self.stp),
            u64::from(self.ageing_secs) * 100,
            u8::from(self.vlan_filtering)
        )
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_link_words() {
        let v = Vxlan {
            vni: 42,
            remote: Some("10.0.0.2".parse().unwrap()),
            group: None,
            local: None,
            dev: Some("eth0"),
            port: 4789,
            learning: false,
        };
        assert_eq!(
            v.ip_link_args(),
            "type vxlan id 42 remote 10.0.0.2 dev eth0 dstport 4789 nolearning"
        );
        assert_eq!(v.map_dev(|_| 7).dev, Some(7));
        assert_eq!(
            Bridge::default().ip_link_args(),
            "type bridge stp_state 0 ageing_time 30000 vlan_filtering 0"
        );
    }
}
