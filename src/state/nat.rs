//! NAT of one node as data: the rules of its nftables table
//! `nslab-<lab>`, the way Docker's bridge driver writes them with
//! iptables (MASQUERADE for what leaves a subnet, DNAT for published ports
//! from outside and from the node itself, and SNAT of hairpin traffic).

use super::Cidr;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hook {
    Prerouting,
    Output,
    Postrouting,
    /// The filter hook for forwarded traffic (isolation of networks,
    /// [`super::isolation`]).
    Forward,
}

/// `meta l4proto`: the one transport protocol type (its serde form is
/// `tcp`/`udp`, as records have it).
pub use nslab_types::Proto as L4;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Match {
    SrcNet(Cidr),
    DstNet(Cidr),
    NotDstNet(Cidr),
    IifName(String),
    NotIifName(String),
    OifName(String),
    NotOifName(String),
    Proto(L4),
    DstPort(u16),
    /// The destination is an address of this node (`fib daddr type local`,
    /// iptables' `-m addrtype --dst-type LOCAL`).
    DstLocal,
    /// The connection was DNATed (`ct status dnat`).
    CtDnat,
    /// Stands for rules nslab did not write, read back from the kernel
    /// (a rule or chain added or edited by hand): a table holding it
    /// differs from every one a file asks for, so `up` replaces it, and it
    /// is never written back (shown in `plan` as
    /// `iifname "(rules not written by nslab)"`).
    Foreign,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Masquerade,
    Dnat {
        addr: IpAddr,
        port: u16,
    },
    /// The packet is discarded (forward hook only).
    Drop,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rule {
    pub hook: Hook,
    pub matches: Vec<Match>,
    pub action: Action,
}

impl Nat {
    /// What the kernel's table held that nslab did not write (see
    /// [`Match::Foreign`]).
    pub fn foreign() -> Nat {
        Nat {
            rules: vec![Rule {
                hook: Hook::Prerouting,
                matches: vec![Match::Foreign],
                action: Action::Masquerade,
            }],
        }
    }

    /// Whether the table held rules nslab did not write (it cannot be
    /// written back).
    pub fn is_foreign(&self) -> bool {
        self.rules
            .iter()
            .any(|r| r.matches.contains(&Match::Foreign))
    }
}

/// All NAT rules of a node, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nat {
    pub rules: Vec<Rule>,
}

fn family(c: &Cidr) -> &'static str {
    if c.addr.is_ipv6() {
        "ip6"
    } else {
        "ip"
    }
}

impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Match::SrcNet(c) => write!(f, "{} saddr {c}", family(c)),
            Match::DstNet(c) => write!(f, "{} daddr {c}", family(c)),
            Match::NotDstNet(c) => write!(f, "{} daddr != {c}", family(c)),
            Match::IifName(n) => write!(f, "iifname \"{n}\""),
            Match::NotIifName(n) => write!(f, "iifname != \"{n}\""),
            Match::OifName(n) => write!(f, "oifname \"{n}\""),
            Match::NotOifName(n) => write!(f, "oifname != \"{n}\""),
            Match::Proto(p) => write!(f, "meta l4proto {p}"),
            Match::DstPort(p) => write!(f, "th dport {p}"),
            Match::DstLocal => write!(f, "fib daddr type local"),
            Match::CtDnat => write!(f, "ct status dnat"),
            Match::Foreign => write!(f, "iifname \"(rules not written by nslab)\""),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.matches {
            write!(f, "{m} ")?;
        }
        match &self.action {
            Action::Masquerade => write!(f, "masquerade"),
            Action::Drop => write!(f, "drop"),
            Action::Dnat {
                addr: IpAddr::V6(a),
                port,
            } => write!(f, "dnat ip6 to [{a}]:{port}"),
            Action::Dnat { addr, port } => write!(f, "dnat ip to {addr}:{port}"),
        }
    }
}

impl Hook {
    pub fn name(self) -> &'static str {
        match self {
            Hook::Prerouting => "prerouting",
            Hook::Output => "output",
            Hook::Postrouting => "postrouting",
            Hook::Forward => "forward",
        }
    }
}
