//! Docker-style bridge networks.

use crate::loc::Loc;
use crate::names::{IfName, LabName, NodeName};
use crate::values::{Cidr, Port, Proto};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A Docker-style bridge network. Not expanded into interfaces here (the
/// root crate does that); member addresses are allocated here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// The node that holds the bridge.
    pub node: NodeName,
    /// Subnets with their gateways (on the bridge), in file order.
    pub subnets: Vec<Subnet>,
    /// SNAT what leaves the subnets through other interfaces (default true).
    pub masquerade: bool,
    /// Traffic forwarded between this network and another isolated
    /// network of the same node is dropped (default true; Docker's
    /// `DOCKER-ISOLATION-STAGE-1/2` chains).
    pub isolate: bool,
    /// No route out and no masquerade: members reach each other and the
    /// bridge, nothing forwarded in or out (`docker network create
    /// --internal`; default false).
    pub internal: bool,
    /// Members by node name.
    pub members: BTreeMap<NodeName, Member>,
    /// Where the network is named.
    pub loc: Loc,
}

/// One subnet of a network and its gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    /// The subnet (host bits cleared).
    pub cidr: Cidr,
    /// The gateway address (default: first host address), put on the bridge.
    pub gateway: IpAddr,
}

impl Subnet {
    /// The gateway with the subnet's prefix (`172.17.0.1/16`), as the
    /// bridge's address.
    pub fn gateway_cidr(&self) -> Cidr {
        self.cidr.with_addr(self.gateway)
    }
}

/// A member of a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The address as written, if any.
    pub address: Option<IpAddr>,
    /// The final addresses, one per subnet of the network in the same order,
    /// with the subnet's prefix: the written address for its family's
    /// subnet, the others allocated.
    pub addresses: Vec<Cidr>,
    /// The interface inside the member (default `eth0`).
    pub ifname: IfName,
    /// Published ports (`docker run -p`).
    pub publish: Vec<Publish>,
    /// Where the member is named.
    pub loc: Loc,
}

/// `[host-ip:]host-port:port[/tcp|udp]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publish {
    /// Only on this address of the network's node.
    pub host_ip: Option<IpAddr>,
    /// Port on the network's node.
    pub host_port: Port,
    /// Port on the member.
    pub port: Port,
    /// Protocol (default tcp).
    pub proto: Proto,
}

impl Network {
    /// The name of the bridge-side veth end for `member`, in the network's
    /// node: `veth` and 8 hex digits of a hash of lab, bridge and member
    /// (12 bytes, like Docker's names; the lab is in the hash so two labs
    /// sharing the host node do not collide). Validation rejects a file
    /// where this collides with another interface of that node.
    pub fn port_name(lab: &LabName, bridge: &IfName, member: &NodeName) -> IfName {
        // FNV-1a, 32 bits: stable across Rust versions, unlike DefaultHasher.
        let mut h: u32 = 0x811c_9dc5;
        for b in format!("{lab}/{bridge}/{member}").bytes() {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
        // "veth" + 8 hex digits is always a valid 12-byte name.
        IfName::new_unchecked(format!("veth{h:08x}"))
    }
}
