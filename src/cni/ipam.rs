//! nslab's own IPAM: which container attachment holds which addresses,
//! kept in `<state dir>/<network>/cni.json`. Every change is written
//! whole, to a temporary file renamed over the old one, under the lab's
//! lock: ADDs that race are served one after the other and never hand
//! out one address twice; a plugin killed at any point leaves the old or
//! the new file, never half of one. An attachment is recorded *before*
//! the kernel is touched, so a DEL after a kill finds what to remove.

use super::conf::PortMapping;
use crate::state::Cidr;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::net::IpAddr;

pub const FILE: &str = "cni.json";

/// One container's interface on the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub container_id: String,
    pub ifname: String,
    /// `CNI_NETNS` as the runtime gave it at ADD.
    pub netns: String,
    /// The host end of its veth; `None` when chained after another
    /// plugin that made the interface (nslab only publishes its ports).
    pub host_veth: Option<String>,
    /// Its addresses, with the subnet's prefix length, as strings
    /// (`10.88.0.2/16`).
    pub addresses: Vec<String>,
    #[serde(default)]
    pub ports: Vec<PortMapping>,
}

impl Attachment {
    pub fn cidrs(&self) -> Vec<Cidr> {
        self.addresses
            .iter()
            .filter_map(|a| a.parse().ok())
            .collect()
    }

    pub fn is(&self, container_id: &str, ifname: &str) -> bool {
        self.container_id == container_id && self.ifname == ifname
    }
}

/// The network as the other nslab CNI networks' isolation rules need it
/// (see `super::isolate`): its bridge and flags, as its last ADD, DEL or
/// GC was configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetInfo {
    pub bridge: String,
    pub isolate: bool,
    pub internal: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    pub attachments: Vec<Attachment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<NetInfo>,
}

impl Store {
    pub fn from_json(bytes: &[u8]) -> Result<Store, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    pub fn find(&self, container_id: &str, ifname: &str) -> Option<&Attachment> {
        self.attachments.iter().find(|a| a.is(container_id, ifname))
    }

    /// Takes out the attachment, if there is one.
    pub fn remove(&mut self, container_id: &str, ifname: &str) -> Option<Attachment> {
        let i = self
            .attachments
            .iter()
            .position(|a| a.is(container_id, ifname))?;
        Some(self.attachments.remove(i))
    }

    fn used(&self) -> BTreeSet<IpAddr> {
        self.attachments
            .iter()
            .flat_map(Attachment::cidrs)
            .map(|c| c.addr)
            .collect()
    }

    /// One free host address of each subnet (never its gateway, the
    /// network or broadcast address, or one held by another attachment),
    /// the lowest first. `None` when a subnet is full.
    pub fn allocate(&self, subnets: &[(Cidr, IpAddr)]) -> Result<Vec<Cidr>, Cidr> {
        let used = self.used();
        let mut out = Vec::new();
        for (net, gw) in subnets {
            // Searching a /64 address by address would never end: only as
            // many candidates as there are attachments plus two.
            let tries = (used.len() as u128).saturating_add(3).min(net.size());
            let free = (1..=tries)
                .filter_map(|n| net.nth(n))
                .find(|ip| net.is_host_address(*ip) && ip != gw && !used.contains(ip));
            match free {
                Some(ip) => out.push(net.with_addr(ip)),
                None => return Err(*net),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn att(id: usize, addrs: &[Cidr]) -> Attachment {
        Attachment {
            container_id: format!("c{id}"),
            ifname: "eth0".into(),
            netns: String::new(),
            host_veth: None,
            addresses: addrs.iter().map(|c| c.to_string()).collect(),
            ports: Vec::new(),
        }
    }

    proptest! {
        /// Any sequence of ADDs and DELs: no address is ever held twice,
        /// each is a host address of its subnet and never the gateway, and
        /// a subnet refuses only when it is really full.
        #[test]
        fn no_address_is_handed_out_twice(
            ops in proptest::collection::vec((any::<bool>(), 0usize..40), 1..120),
            prefix in 26u8..=29,
        ) {
            let net: Cidr = format!("10.7.0.0/{prefix}").parse().expect("cidr");
            let v6: Cidr = "fd07::/120".parse().expect("cidr");
            let subnets = [(net, net.first_host().expect("gw")), (v6, "fd07::1".parse().expect("ip"))];
            let mut store = Store::default();
            for (add, id) in ops {
                let cid = format!("c{id}");
                if add && store.find(&cid, "eth0").is_none() {
                    match store.allocate(&subnets) {
                        Ok(a) => store.attachments.push(att(id, &a)),
                        Err(full) => {
                            prop_assert_eq!(full, net);
                            // The subnet's hosts minus the gateway are all held.
                            prop_assert_eq!(store.attachments.len() as u128, net.size() - 3);
                        }
                    }
                } else {
                    store.remove(&cid, "eth0");
                }
                let all: Vec<Cidr> = store.attachments.iter().flat_map(Attachment::cidrs).collect();
                let set: BTreeSet<IpAddr> = all.iter().map(|c| c.addr).collect();
                prop_assert_eq!(set.len(), all.len(), "an address held twice: {:?}", all);
                for c in &all {
                    let (n, gw) = subnets.iter().find(|(n, _)| n.contains(c.addr)).expect("in a subnet");
                    prop_assert!(n.is_host_address(c.addr) && c.addr != *gw, "{}", c);
                    prop_assert_eq!(c.prefix, n.prefix);
                }
            }
        }
    }
}
