//! Routes, NAT rules and built-in services of a node.

use crate::loc::Loc;
use crate::names::IfName;
use crate::values::{Cidr, Port, Proto};
use std::net::IpAddr;

/// IP family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// The family of `ip`.
    pub fn of(ip: IpAddr) -> Family {
        if ip.is_ipv6() {
            Family::V6
        } else {
            Family::V4
        }
    }
}

/// A route in a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Destination; `None` is `default` (of [`Route::family`]).
    pub to: Option<Cidr>,
    /// Gateway.
    pub via: Option<IpAddr>,
    /// Output device (an interface of the node).
    pub dev: Option<IfName>,
    /// Metric (priority).
    pub metric: Option<u32>,
    /// Preferred source address.
    pub src: Option<IpAddr>,
    /// Routing table (main when `None`).
    pub table: Option<u32>,
    /// Where the route is written.
    pub loc: Loc,
}

impl Route {
    /// No destination, gateway or anything else yet, written at `loc`.
    pub(crate) fn at(loc: Loc) -> Route {
        Route {
            to: None,
            via: None,
            dev: None,
            metric: None,
            src: None,
            table: None,
            loc,
        }
    }

    /// The route's family: from `to`, else `via`, else `src`; IPv4 for a
    /// bare `default dev X`.
    pub fn family(&self) -> Family {
        self.to
            .map(|c| c.addr)
            .or(self.via)
            .or(self.src)
            .map(Family::of)
            .unwrap_or(Family::V4)
    }

    /// The destination, with `default` spelled `0.0.0.0/0` or `::/0`.
    pub fn destination(&self) -> Cidr {
        match self.to {
            Some(c) => c.network(),
            None => match self.family() {
                Family::V4 => Cidr::unspecified(false),
                Family::V6 => Cidr::unspecified(true),
            },
        }
    }
}

/// NAT rules of one node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nat {
    /// Source NAT to the outgoing interface's address.
    pub masquerade: Vec<Masquerade>,
    /// Destination NAT (published ports).
    pub forward: Vec<Forward>,
}

impl Nat {
    /// Whether there is no rule at all.
    pub fn is_empty(&self) -> bool {
        self.masquerade.is_empty() && self.forward.is_empty()
    }
}

/// `{ from: 172.17.0.0/16, not-out: docker0 }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Masquerade {
    /// Source subnet to match.
    pub from: Option<Cidr>,
    /// Only when leaving through this interface.
    pub out: Option<IfName>,
    /// Only when not leaving through this interface.
    pub not_out: Option<IfName>,
    /// Where the rule is written.
    pub loc: Loc,
}

/// `{ proto: udp, port: 5353, to: 172.17.10.20:53, in: ens41 }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forward {
    /// Protocol (default tcp).
    pub proto: Proto,
    /// Destination port to match.
    pub port: Port,
    /// Where to send it.
    pub to: std::net::SocketAddr,
    /// Only for packets coming in on this interface.
    pub in_: Option<IfName>,
    /// Where the rule is written.
    pub loc: Loc,
}

/// A built-in responder: `tcp/80`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Service {
    /// Protocol.
    pub proto: Proto,
    /// Port.
    pub port: Port,
}
