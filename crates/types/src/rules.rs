//! Packet-filter rules as data: the one model of a lab's NAT and filter
//! rules. The state layer builds them from the file (and reads them back
//! from the kernel), `nslab-nft` encodes them to nf_tables expressions
//! and decodes what the kernel holds into the same values, so the two can
//! never disagree on what a rule is.

use crate::{Cidr, Proto};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// A netfilter hook of the `inet` family: where a base chain is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Hook {
    Prerouting,
    Input,
    Forward,
    Output,
    Postrouting,
}

impl Hook {
    /// Every hook, in the kernel's order (`NF_INET_*`).
    pub const ALL: [Hook; 5] = [
        Hook::Prerouting,
        Hook::Input,
        Hook::Forward,
        Hook::Output,
        Hook::Postrouting,
    ];

    /// The name nft uses.
    pub fn name(self) -> &'static str {
        match self {
            Hook::Prerouting => "prerouting",
            Hook::Input => "input",
            Hook::Forward => "forward",
            Hook::Output => "output",
            Hook::Postrouting => "postrouting",
        }
    }
}

/// One condition of a rule; every match of a rule must hold for its
/// action to run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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
    #[serde(rename = "proto")]
    L4Proto(Proto),
    /// `th dport PORT`: the transport header's destination port.
    DstPort(u16),
    /// `fib daddr type local`: the destination is an address of this node
    /// (iptables' `-m addrtype --dst-type LOCAL`).
    DstLocal,
    /// `ct status dnat`: the connection was destination-NATed.
    #[serde(rename = "ct-dnat")]
    CtStatusDnat,
}

/// What a rule does with a packet all its matches hold for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// SNAT to the outgoing interface's address (postrouting only).
    Masquerade,
    /// `dnat ip to ADDR[:PORT]` (prerouting and output only); a port needs
    /// an [`Match::L4Proto`] in the same rule.
    Dnat {
        addr: IpAddr,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
    },
    Accept,
    /// `drop`: the packet is discarded (filter chains).
    Drop,
}

/// Every match must hold for the action to run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rule {
    pub matches: Vec<Match>,
    pub action: Action,
}

/// `ip` or `ip6`: nft's protocol keyword for an address family.
fn l3(a: IpAddr) -> &'static str {
    if a.is_ipv4() {
        "ip"
    } else {
        "ip6"
    }
}

impl fmt::Display for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// nft's syntax for the match (`ip saddr 10.0.0.0/8`, `th dport 80`).
impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Match::SrcNet(c) => write!(f, "{} saddr {c}", l3(c.addr)),
            Match::DstNet(c) => write!(f, "{} daddr {c}", l3(c.addr)),
            Match::NotSrcNet(c) => write!(f, "{} saddr != {c}", l3(c.addr)),
            Match::NotDstNet(c) => write!(f, "{} daddr != {c}", l3(c.addr)),
            Match::IifName(n) => write!(f, "iifname \"{n}\""),
            Match::NotIifName(n) => write!(f, "iifname != \"{n}\""),
            Match::OifName(n) => write!(f, "oifname \"{n}\""),
            Match::NotOifName(n) => write!(f, "oifname != \"{n}\""),
            Match::L4Proto(p) => write!(f, "meta l4proto {}", p.name()),
            Match::DstPort(p) => write!(f, "th dport {p}"),
            Match::DstLocal => write!(f, "fib daddr type local"),
            Match::CtStatusDnat => write!(f, "ct status dnat"),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Masquerade => write!(f, "masquerade"),
            Action::Accept => write!(f, "accept"),
            Action::Drop => write!(f, "drop"),
            Action::Dnat { addr, port: None } => write!(f, "dnat {} to {addr}", l3(*addr)),
            Action::Dnat {
                addr: IpAddr::V6(a),
                port: Some(p),
            } => write!(f, "dnat ip6 to [{a}]:{p}"),
            Action::Dnat {
                addr,
                port: Some(p),
            } => write!(f, "dnat ip to {addr}:{p}"),
        }
    }
}

/// The rule as nft writes it: its matches, then its action.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.matches {
            write!(f, "{m} ")?;
        }
        write!(f, "{}", self.action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The serde form is the one records and `plan --json` have always
    /// had (`proto`, `ct-dnat`, a DNAT's port as a number).
    #[test]
    fn the_serde_form_is_the_records_one() {
        let r = Rule {
            matches: vec![
                Match::CtStatusDnat,
                Match::L4Proto(Proto::Udp),
                Match::DstPort(53),
            ],
            action: Action::Dnat {
                addr: "10.0.0.1".parse().unwrap(),
                port: Some(5353),
            },
        };
        let j = serde_json::to_string(&r).unwrap();
        assert_eq!(
            j,
            r#"{"matches":["ct-dnat",{"proto":"udp"},{"dst-port":53}],"action":{"dnat":{"addr":"10.0.0.1","port":5353}}}"#
        );
        assert_eq!(serde_json::from_str::<Rule>(&j).unwrap(), r);
    }
}
