//! The rule set as data: a table of base chains holding rules, each rule a
//! list of matches and one action. Nothing here touches the kernel; the
//! root crate decides which rules exist and this crate encodes them.

pub use nslab_types::{Cidr, Proto};
use std::net::IpAddr;

/// An `inet`-family table: its chains see IPv4 and IPv6 alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    /// The table's comment (`nft add table inet t '{ comment "..." ; }'`),
    /// kept in `NFTA_TABLE_USERDATA` as nft keeps it. nslab marks its
    /// tables with it.
    pub comment: Option<String>,
    pub chains: Vec<Chain>,
}

/// A base chain: attached to a netfilter hook at a priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub name: String,
    pub hook: Hook,
    pub kind: ChainType,
    pub priority: i32,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    Prerouting,
    Input,
    Forward,
    Output,
    Postrouting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainType {
    Nat,
    Filter,
}

/// Every match must hold for the action to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub matches: Vec<Match>,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// `ip saddr NET` / `ip6 saddr NET`.
    SrcNet(Cidr),
    DstNet(Cidr),
    NotSrcNet(Cidr),
    NotDstNet(Cidr),
    /// `iifname "NAME"` (exact name, at most 15 bytes).
    IifName(String),
    NotIifName(String),
    OifName(String),
    NotOifName(String),
    /// `meta l4proto tcp|udp`; required by [`Match::DstPort`].
    L4Proto(Proto),
    /// `th dport PORT`: the transport header's destination port.
    DstPort(u16),
    /// `fib daddr type local`: the destination is an address of this node
    /// (iptables' `-m addrtype --dst-type LOCAL`).
    DstLocal,
    /// `ct status dnat`: the connection was destination-NATed.
    CtStatusDnat,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// SNAT to the outgoing interface's address (postrouting only).
    Masquerade,
    /// `dnat ip to ADDR[:PORT]` (prerouting and output only); a port needs
    /// an [`Match::L4Proto`] in the same rule.
    Dnat {
        addr: IpAddr,
        port: Option<u16>,
    },
    Accept,
    /// `drop`: the packet is discarded (filter chains).
    Drop,
}

pub(crate) fn addr_bytes(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

impl Hook {
    /// The name nft uses, and the kernel's `NF_INET_*` number.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Prerouting => "prerouting",
            Hook::Input => "input",
            Hook::Forward => "forward",
            Hook::Output => "output",
            Hook::Postrouting => "postrouting",
        }
    }

    pub(crate) fn number(self) -> u32 {
        use crate::uapi::*;
        match self {
            Hook::Prerouting => NF_INET_PRE_ROUTING,
            Hook::Input => NF_INET_LOCAL_IN,
            Hook::Forward => NF_INET_FORWARD,
            Hook::Output => NF_INET_LOCAL_OUT,
            Hook::Postrouting => NF_INET_POST_ROUTING,
        }
    }
}

impl ChainType {
    pub fn name(self) -> &'static str {
        match self {
            ChainType::Nat => "nat",
            ChainType::Filter => "filter",
        }
    }
}
