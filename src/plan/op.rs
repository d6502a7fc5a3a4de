//! The operations a plan is made of. Each reads like the `ip` command a
//! person would type for it (`Display`), so `nslab plan` is a dry run that
//! needs no root.

use crate::state::{fmt_mac, BridgeChange, Cidr, Impair, LinkKind, RouteState};
use serde::Serialize;

/// Where an operation runs: a node, by name, and its namespace (`None` for
/// the host node, the namespace nslab itself runs in).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct At {
    pub node: String,
    pub netns: Option<String>,
}

impl At {
    /// `ip -n NAME ` or nothing for the host node.
    pub(super) fn ip(&self) -> String {
        match &self.netns {
            Some(ns) => format!("ip -n {ns} "),
            None => "ip ".to_string(),
        }
    }
}

/// One end of a new link: its node, name and kernel-chosen-unless-set knobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEnd {
    pub at: At,
    pub ifname: String,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
}

/// Attributes of an existing link to change; `None` leaves one alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkChange {
    pub up: Option<bool>,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    /// `Some(None)` is `nomaster`.
    pub master: Option<Option<String>>,
    pub hairpin: Option<bool>,
    /// New bridge options, changed in place (`type bridge stp_state ...`).
    pub bridge: Option<BridgeChange>,
    /// IPv6 link-local address on (`addrgenmode eui64`) or off (`none`),
    /// set before the link goes up.
    pub ipv6_link_local: Option<bool>,
}

impl LinkChange {
    pub fn is_empty(&self) -> bool {
        *self == LinkChange::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    CreateNetns {
        node: String,
        netns: String,
    },
    DeleteNetns {
        node: String,
        netns: String,
    },
    SetLo {
        at: At,
        up: bool,
    },
    SetSysctl {
        at: At,
        key: String,
        value: String,
    },
    /// A veth pair, both ends at once (the peer is created directly in its
    /// namespace).
    AddVeth {
        a: NewEnd,
        b: NewEnd,
    },
    /// Any other kind. A sub-interface whose parent lives in another node is
    /// created next to its parent (`parent_at`) and placed in `end.at`.
    AddLink {
        end: NewEnd,
        kind: LinkKind,
        parent_at: Option<At>,
    },
    DeleteLink {
        at: At,
        ifname: String,
    },
    /// Move the host interface `from` into the node, renamed `ifname`.
    MoveIn {
        at: At,
        ifname: String,
        from: String,
    },
    /// Move it back to the host namespace under its old name.
    MoveOut {
        at: At,
        ifname: String,
        to: String,
    },
    SetLink {
        at: At,
        ifname: String,
        change: LinkChange,
    },
    AddAddress {
        at: At,
        ifname: String,
        cidr: Cidr,
    },
    DelAddress {
        at: At,
        ifname: String,
        cidr: Cidr,
    },
    AddRoute {
        at: At,
        route: RouteState,
    },
    DelRoute {
        at: At,
        route: RouteState,
    },
    /// Replace the node's nftables table in one transaction (`None`
    /// deletes it).
    SetNat {
        at: At,
        /// `nslab-<lab>`.
        table: String,
        nat: Option<crate::state::nat::Nat>,
    },
    /// Replace the egress qdisc (`None` removes the impairment).
    SetImpair {
        at: At,
        ifname: String,
        impair: Option<Impair>,
    },
    /// Write one of the node's files (`files:`) into its private
    /// directory (`/run/nslab/<lab>/fs/<node>/<path>`).
    WriteFile {
        at: At,
        path: String,
        file: crate::state::fs::FileState,
    },
    /// Remove a file the lab wrote there before.
    RemoveFile {
        at: At,
        path: String,
    },
}

impl Op {
    /// The node the operation runs in (for errors: "failed in node h1").
    pub fn node(&self) -> &str {
        match self {
            Op::CreateNetns { node, .. } | Op::DeleteNetns { node, .. } => node,
            Op::AddVeth { a, .. } => &a.at.node,
            Op::AddLink { end, .. } => &end.at.node,
            Op::SetLo { at, .. }
            | Op::SetSysctl { at, .. }
            | Op::DeleteLink { at, .. }
            | Op::MoveIn { at, .. }
            | Op::MoveOut { at, .. }
            | Op::SetLink { at, .. }
            | Op::AddAddress { at, .. }
            | Op::DelAddress { at, .. }
            | Op::AddRoute { at, .. }
            | Op::DelRoute { at, .. }
            | Op::SetNat { at, .. }
            | Op::SetImpair { at, .. }
            | Op::WriteFile { at, .. }
            | Op::RemoveFile { at, .. } => &at.node,
        }
    }
}

pub(super) fn end_opts(e: &NewEnd) -> String {
    let mut s = String::new();
    if let Some(mtu) = e.mtu {
        s.push_str(&format!(" mtu {mtu}"));
    }
    if let Some(mac) = &e.mac {
        s.push_str(&format!(" address {}", fmt_mac(mac)));
    }
    s
}

pub(super) fn kind_words(kind: &LinkKind) -> String {
    match kind.device() {
        Some(d) => d.ip_link_args(),
        None => format!("type {}", kind.name()),
    }
}
