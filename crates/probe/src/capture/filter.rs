//! Which frames `nslab capture` keeps: `--filter PROTO[,PROTO...]` (any of
//! them) and `--host ADDR` (source or destination; for ARP, sender or
//! target). A VXLAN frame is kept when its outer or its inner frame
//! matches, so `--filter icmp` on the underlay shows the overlay's pings.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use super::layers::{
    ether, ip, ports, v4_at, vxlan, DNS_PORT, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, IPPROTO_ICMP,
    IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP,
};

/// A protocol `--filter` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Arp,
    Ip,
    Ip6,
    Icmp,
    Icmp6,
    /// Neighbour and router discovery (ICMPv6 types 133-137).
    Ndp,
    Tcp,
    Udp,
    /// UDP or TCP to or from port 53.
    Dns,
    Vxlan,
    /// Frames with an 802.1Q/802.1ad tag.
    Vlan,
}

impl Proto {
    /// Every protocol, by the name `--filter` takes.
    pub const ALL: [(&'static str, Proto); 11] = [
        ("arp", Proto::Arp),
        ("ip", Proto::Ip),
        ("ip6", Proto::Ip6),
        ("icmp", Proto::Icmp),
        ("icmp6", Proto::Icmp6),
        ("ndp", Proto::Ndp),
        ("tcp", Proto::Tcp),
        ("udp", Proto::Udp),
        ("dns", Proto::Dns),
        ("vxlan", Proto::Vxlan),
        ("vlan", Proto::Vlan),
    ];
}

impl FromStr for Proto {
    type Err = String;
    fn from_str(s: &str) -> Result<Proto, String> {
        Proto::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s))
            .map(|(_, p)| *p)
            .ok_or_else(|| {
                let names: Vec<&str> = Proto::ALL.iter().map(|(n, _)| *n).collect();
                format!("unknown protocol `{s}`; one of {}", names.join(", "))
            })
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Proto::ALL.iter().find(|(_, p)| p == self).map(|(n, _)| *n);
        f.write_str(name.unwrap_or("?"))
    }
}

/// What to keep; the default keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Any of these (none: any protocol).
    pub protos: Vec<Proto>,
    /// To or from any of these (none: any host).
    pub hosts: Vec<IpAddr>,
}

/// What a frame is, as far as the filter asks.
#[derive(Debug, Default)]
struct Facts {
    tagged: bool,
    ethertype: u16,
    proto: Option<u8>,
    ports: Option<(u16, u16)>,
    icmp6_type: Option<u8>,
    vxlan: bool,
    addrs: Vec<IpAddr>,
}

impl Filter {
    /// Whether the frame is kept.
    pub fn matches(&self, frame: &[u8]) -> bool {
        self.matches_at(frame, 0)
    }

    fn matches_at(&self, frame: &[u8], depth: usize) -> bool {
        let (facts, inner) = facts(frame);
        let here = (self.protos.is_empty() || self.protos.iter().any(|p| facts.is(*p)))
            && (self.hosts.is_empty() || self.hosts.iter().any(|h| facts.addrs.contains(h)));
        here || (depth < 3 && inner.is_some_and(|i| self.matches_at(i, depth + 1)))
    }
}

impl Facts {
    fn is(&self, p: Proto) -> bool {
        let port = |n: u16| self.ports.is_some_and(|(s, d)| s == n || d == n);
        match p {
            Proto::Arp => self.ethertype == ETH_P_ARP,
            Proto::Ip => self.ethertype == ETH_P_IP,
            Proto::Ip6 => self.ethertype == ETH_P_IPV6,
            Proto::Icmp => self.proto == Some(IPPROTO_ICMP) && self.ethertype == ETH_P_IP,
            Proto::Icmp6 => self.proto == Some(IPPROTO_ICMPV6),
            Proto::Ndp => self.icmp6_type.is_some_and(|t| (133..=137).contains(&t)),
            Proto::Tcp => self.proto == Some(IPPROTO_TCP),
            Proto::Udp => self.proto == Some(IPPROTO_UDP),
            Proto::Dns => port(DNS_PORT),
            Proto::Vxlan => self.vxlan,
            Proto::Vlan => self.tagged,
        }
    }
}

/// The facts of a frame, and the inner frame when it is VXLAN.
fn facts(frame: &[u8]) -> (Facts, Option<&[u8]>) {
    let mut f = Facts::default();
    let Some(e) = ether(frame) else {
        return (f, None);
    };
    f.tagged = !e.vlans.is_empty();
    f.ethertype = e.ethertype;
    if e.ethertype == ETH_P_ARP {
        let addr = |at| v4_at(e.payload, at).map(IpAddr::V4);
        f.addrs.extend(addr(14).into_iter().chain(addr(24)));
        f.addrs.retain(|a| *a != IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        return (f, None);
    }
    let Some(p) = ip(e.ethertype, e.payload) else {
        return (f, None);
    };
    f.addrs = vec![p.src, p.dst];
    f.proto = Some(p.proto);
    f.ports = ports(&p);
    if p.proto == IPPROTO_ICMPV6 {
        f.icmp6_type = p.payload.first().copied();
    }
    let inner = vxlan(&p).map(|(_, inner)| inner);
    f.vxlan = inner.is_some();
    (f, inner)
}

#[cfg(test)]
#[path = "filter_tests.rs"]
mod tests;
