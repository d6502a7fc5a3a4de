//! A VXLAN device's parameters.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// A VXLAN device. `R` names the underlay device: an interface of the
/// node in the model and the state, the kernel's ifindex on the wire
/// (`IFLA_VXLAN_LINK`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vxlan<R = String> {
    /// The VNI (24 bits).
    pub vni: u32,
    /// Unicast remote (on the wire `IFLA_VXLAN_GROUP(6)`, as `ip` sends it).
    pub remote: Option<IpAddr>,
    /// Multicast group; never together with `remote`.
    pub group: Option<IpAddr>,
    /// Local source address.
    pub local: Option<IpAddr>,
    /// Underlay device (`IFLA_VXLAN_LINK`).
    pub dev: Option<R>,
    /// UDP destination port; 0 on the wire leaves the kernel's default.
    pub port: u16,
    /// MAC learning.
    pub learning: bool,
}

impl<R> Vxlan<R> {
    /// The same parameters with the underlay device named another way.
    pub fn try_map<S, E>(mut self, f: impl FnOnce(R) -> Result<S, E>) -> Result<Vxlan<S>, E> {
        let dev = self.dev.take().map(f).transpose()?;
        Ok(self.with_dev(dev))
    }

    /// The same parameters with `dev` as the underlay device.
    pub fn with_dev<S>(self, dev: Option<S>) -> Vxlan<S> {
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

impl<R: fmt::Display> Vxlan<R> {
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

impl<R> Vxlan<R> {
    /// `vni 42 to 10.0.0.2`, as `show` lists it.
    pub fn summary(&self) -> String {
        match self.remote.or(self.group) {
            Some(a) => format!("vni {} to {a}", self.vni),
            None => format!("vni {}", self.vni),
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
        assert_eq!(v.summary(), "vni 42 to 10.0.0.2");
        let mapped = v.try_map(|_| Ok::<_, ()>(7));
        assert_eq!(mapped.map(|v| v.dev), Ok(Some(7)));
    }
}
