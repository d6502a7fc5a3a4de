//! The rule set as data: a table of base chains holding rules, each rule a
//! list of matches and one action. Nothing here touches the kernel; the
//! root crate decides which rules exist and this crate encodes them.
//!
//! The rules themselves ([`Rule`], [`Match`], [`Action`], [`Hook`]) are
//! `nslab_types::rules`: the one model the state layer builds and this
//! crate encodes and reads back.

pub use nslab_types::rules::{Action, Hook, Match, Rule};
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
pub enum ChainType {
    Nat,
    Filter,
}

pub(crate) fn addr_bytes(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// The kernel's `NF_INET_*` number of a hook.
pub(crate) fn hook_number(h: Hook) -> u32 {
    use crate::uapi::*;
    match h {
        Hook::Prerouting => NF_INET_PRE_ROUTING,
        Hook::Input => NF_INET_LOCAL_IN,
        Hook::Forward => NF_INET_FORWARD,
        Hook::Output => NF_INET_LOCAL_OUT,
        Hook::Postrouting => NF_INET_POST_ROUTING,
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
