//! Parameters of a device kind, one struct per kind, passed whole from the
//! file through the state to the netlink encoder (and back from its
//! decoder): adding a kind or an option touches this module, the file
//! reader and the wire, not every layer between.
//!
//! Every kind is generic over how it names another interface (a parent or
//! an underlay): `IfRef` in the model, `Endpoint` in the state, the
//! kernel's ifindex (`u32`) on the wire.

mod bridge;
mod stacked;
mod vxlan;

pub use bridge::{Bridge, BridgeChange};
pub use stacked::{Ipvlan, Macvlan, Vlan};
pub use vxlan::Vxlan;

use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::fmt;

/// A TAP device (made with `TUNSETIFF`, seen as kind `tun`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tap {
    /// Owning uid (`TUNSETOWNER`, `IFLA_TUN_OWNER`).
    pub owner: Option<u32>,
}

/// A dummy device: an interface of its own with no link, for router IDs
/// and service addresses (`ip link add X type dummy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dummy {}

/// A VRF: a routing table of its own (`ip link add X type vrf table N`);
/// its member interfaces name it as their `master:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vrf {
    /// The routing table (`IFLA_VRF_TABLE`); not 0, and not the host's
    /// own tables 253 (default), 254 (main) and 255 (local).
    pub table: u32,
}

/// A device made by nslab: its kind and that kind's parameters. Serialized
/// with the kind in `type` (`{"type":"vlan","parent":...,"id":100}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum DeviceKind<R> {
    Bridge(Bridge),
    Vlan(Vlan<R>),
    Macvlan(Macvlan<R>),
    Ipvlan(Ipvlan<R>),
    Vxlan(Vxlan<R>),
    Tap(Tap),
    Dummy(Dummy),
    Vrf(Vrf),
}

impl<R> DeviceKind<R> {
    /// Kinds that can hold other interfaces (their `master:`).
    pub const MASTERS: &'static [&'static str] = &["bridge", "vrf"];

    /// The kind's name as the file and `ip link ... type X` write it.
    pub fn name(&self) -> &'static str {
        match self {
            DeviceKind::Bridge(_) => "bridge",
            DeviceKind::Vlan(_) => "vlan",
            DeviceKind::Macvlan(_) => "macvlan",
            DeviceKind::Ipvlan(_) => "ipvlan",
            DeviceKind::Vxlan(_) => "vxlan",
            DeviceKind::Tap(_) => "tap",
            DeviceKind::Dummy(_) => "dummy",
            DeviceKind::Vrf(_) => "vrf",
        }
    }

    /// The interface this one is made on (`IFLA_LINK`: `ip link add link
    /// PARENT`), which may be in another node.
    pub fn parent(&self) -> Option<&R> {
        match self {
            DeviceKind::Vlan(v) => Some(&v.parent),
            DeviceKind::Macvlan(m) => Some(&m.parent),
            DeviceKind::Ipvlan(i) => Some(&i.parent),
            _ => None,
        }
    }

    /// The interface this one is bound to and dies with: its parent, or a
    /// VXLAN's underlay device.
    pub fn lower(&self) -> Option<&R> {
        match self {
            DeviceKind::Vxlan(v) => v.dev.as_ref(),
            k => k.parent(),
        }
    }

    /// Whether other interfaces can name this one as their `master:`.
    pub fn is_master(&self) -> bool {
        Self::MASTERS.contains(&self.name())
    }

    /// The MTU the kernel gives a new one when none is asked for, where
    /// that does not depend on other interfaces.
    pub fn default_mtu(&self) -> Option<u32> {
        match self {
            DeviceKind::Tap(_) | DeviceKind::Dummy(_) => Some(1500),
            _ => None,
        }
    }

    /// The same device with its reference named another way.
    pub fn try_map<S, E>(self, f: impl FnOnce(R) -> Result<S, E>) -> Result<DeviceKind<S>, E> {
        Ok(match self {
            DeviceKind::Bridge(b) => DeviceKind::Bridge(b),
            DeviceKind::Vlan(v) => DeviceKind::Vlan(v.try_map(f)?),
            DeviceKind::Macvlan(m) => DeviceKind::Macvlan(m.try_map(f)?),
            DeviceKind::Ipvlan(i) => DeviceKind::Ipvlan(i.try_map(f)?),
            DeviceKind::Vxlan(v) => DeviceKind::Vxlan(v.try_map(f)?),
            DeviceKind::Tap(t) => DeviceKind::Tap(t),
            DeviceKind::Dummy(d) => DeviceKind::Dummy(d),
            DeviceKind::Vrf(v) => DeviceKind::Vrf(v),
        })
    }

    /// The same device with its reference named another way.
    pub fn map<S>(self, f: impl FnOnce(R) -> S) -> DeviceKind<S> {
        match self.try_map(|r| Ok::<S, Infallible>(f(r))) {
            Ok(k) => k,
            Err(never) => match never {},
        }
    }

    /// A short label for the edge to its parent in a graph (`vlan 100`).
    pub fn label(&self) -> String {
        match self {
            DeviceKind::Vlan(v) => format!("vlan {}", v.id),
            DeviceKind::Macvlan(m) => format!("macvlan {}", m.mode),
            DeviceKind::Ipvlan(i) => format!("ipvlan {}", i.mode),
            DeviceKind::Vxlan(v) => format!("vxlan {}", v.vni),
            k => k.name().to_string(),
        }
    }
}

impl<R: fmt::Display> DeviceKind<R> {
    /// The words after `ip link add NAME` that make this device (`type
    /// vlan id 100`); the parent goes before, as `link PARENT`.
    pub fn ip_link_args(&self) -> String {
        match self {
            DeviceKind::Bridge(b) => b.ip_link_args(),
            DeviceKind::Vlan(v) => format!("type vlan id {}", v.id),
            DeviceKind::Macvlan(m) => format!("type macvlan mode {}", m.mode),
            DeviceKind::Ipvlan(i) => format!("type ipvlan mode {} {}", i.mode, i.flag),
            DeviceKind::Vxlan(v) => v.ip_link_args(),
            DeviceKind::Tap(_) => "type tap".to_string(),
            DeviceKind::Dummy(_) => "type dummy".to_string(),
            DeviceKind::Vrf(v) => format!("type vrf table {}", v.table),
        }
    }

    /// What `show` lists about it (`id 100 on a:eth0`), if anything.
    pub fn summary(&self) -> Option<String> {
        Some(match self {
            DeviceKind::Bridge(b) => format!("stp {}", if b.stp { "on" } else { "off" }),
            DeviceKind::Vlan(v) => format!("id {} on {}", v.id, v.parent),
            DeviceKind::Macvlan(m) => format!("{} on {}", m.mode, m.parent),
            DeviceKind::Ipvlan(i) => format!("{} {} on {}", i.mode, i.flag, i.parent),
            DeviceKind::Vxlan(v) => v.summary(),
            DeviceKind::Vrf(v) => format!("table {}", v.table),
            DeviceKind::Tap(_) | DeviceKind::Dummy(_) => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<DeviceKind<&'static str>> {
        vec![
            DeviceKind::Bridge(Bridge::default()),
            DeviceKind::Vlan(Vlan {
                parent: "eth0",
                id: 100,
            }),
            DeviceKind::Macvlan(Macvlan {
                parent: "eth0",
                mode: crate::MacvlanMode::Bridge,
            }),
            DeviceKind::Ipvlan(Ipvlan {
                parent: "eth0",
                mode: crate::IpvlanMode::L3,
                flag: crate::IpvlanFlag::Private,
            }),
            DeviceKind::Tap(Tap { owner: Some(1000) }),
            DeviceKind::Dummy(Dummy {}),
            DeviceKind::Vrf(Vrf { table: 10 }),
        ]
    }

    /// `ip link add NAME X` takes the words as `type NAME ...`: the kind's
    /// name is the word after `type`.
    #[test]
    fn ip_link_words_name_the_kind() {
        for k in all() {
            let words = k.ip_link_args();
            assert!(words.starts_with(&format!("type {}", k.name())), "{words}");
        }
        assert_eq!(all()[3].ip_link_args(), "type ipvlan mode l3 private");
        assert_eq!(all()[1].summary().as_deref(), Some("id 100 on eth0"));
        assert_eq!(all()[6].ip_link_args(), "type vrf table 10");
        assert!(all()[6].is_master() && all()[0].is_master() && !all()[5].is_master());
    }

    #[test]
    fn mapping_keeps_the_parameters_and_renames_the_reference() {
        for k in all() {
            let mapped = k.clone().map(|p| p.len());
            assert_eq!(mapped.name(), k.name());
            assert_eq!(mapped.parent().copied(), k.parent().map(|p| p.len()));
            assert_eq!(mapped.map(|_| "eth0"), k);
        }
        let v = DeviceKind::Vlan(Vlan { parent: 7, id: 1 });
        assert_eq!(v.try_map(|_| Err::<u8, _>("gone")), Err("gone"));
    }

    #[test]
    fn serialized_with_the_kind_in_type() {
        let v = DeviceKind::Vlan(Vlan {
            parent: "eth0".to_string(),
            id: 100,
        });
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, r#"{"type":"vlan","parent":"eth0","id":100}"#);
        assert_eq!(
            serde_json::from_str::<DeviceKind<String>>(&json).unwrap(),
            v
        );
    }
}
