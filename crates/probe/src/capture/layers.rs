//! Walking the headers of an Ethernet frame, for [`super::summary`] and
//! [`super::filter`]: 802.1Q/802.1ad tags, IPv4, IPv6 (past its extension
//! headers), UDP, VXLAN. Pure; every read is bounds-checked and a frame
//! that is cut short gives `None`, never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(crate) const ETH_P_IP: u16 = 0x0800;
pub(crate) const ETH_P_ARP: u16 = 0x0806;
pub(crate) const ETH_P_8021Q: u16 = 0x8100;
pub(crate) const ETH_P_8021AD: u16 = 0x88a8;
pub(crate) const ETH_P_IPV6: u16 = 0x86dd;
pub(crate) const IPPROTO_ICMP: u8 = 1;
pub(crate) const IPPROTO_TCP: u8 = 6;
pub(crate) const IPPROTO_UDP: u8 = 17;
pub(crate) const IPPROTO_ICMPV6: u8 = 58;
/// The IANA VXLAN port, and the Linux default before it existed.
pub(crate) const VXLAN_PORTS: [u16; 2] = [4789, 8472];
pub(crate) const DNS_PORT: u16 = 53;
/// Tags read before giving up (QinQ is two).
const MAX_TAGS: usize = 4;

pub(crate) fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at + 2)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

pub(crate) fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(s))
}

pub(crate) fn v4_at(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(s))
}

pub(crate) fn v6_at(b: &[u8], at: usize) -> Option<Ipv6Addr> {
    let s: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(s))
}

pub(crate) fn mac_at(b: &[u8], at: usize) -> Option<String> {
    let m = b.get(at..at + 6)?;
    Some(
        m.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// An Ethernet frame past its addresses and tags.
pub(crate) struct Ether<'a> {
    /// VLAN ids of the 802.1Q/802.1ad tags, outermost first.
    pub vlans: Vec<u16>,
    pub ethertype: u16,
    pub payload: &'a [u8],
}

pub(crate) fn ether(frame: &[u8]) -> Option<Ether<'_>> {
    let mut ethertype = be16(frame, 12)?;
    let mut payload = &frame[14..];
    let mut vlans = Vec::new();
    while matches!(ethertype, ETH_P_8021Q | ETH_P_8021AD) && vlans.len() < MAX_TAGS {
        let (Some(tci), Some(inner)) = (be16(payload, 0), be16(payload, 2)) else {
            break;
        };
        vlans.push(tci & 0x0fff);
        ethertype = inner;
        payload = &payload[4..];
    }
    Some(Ether {
        vlans,
        ethertype,
        payload,
    })
}

/// An IP packet: its addresses, its (upper-layer) protocol and payload.
pub(crate) struct Ip<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub payload: &'a [u8],
}

pub(crate) fn ipv4(b: &[u8]) -> Option<Ip<'_>> {
    let ihl = usize::from(b.first()? & 0x0f) * 4;
    let total = usize::from(be16(b, 2)?);
    Some(Ip {
        proto: *b.get(9)?,
        src: IpAddr::V4(v4_at(b, 12)?),
        dst: IpAddr::V4(v4_at(b, 16)?),
        payload: b.get(ihl..total.max(ihl).min(b.len()))?,
    })
}

/// IPv6, past hop-by-hop, routing and destination options headers (MLD
/// reports carry a hop-by-hop header before their ICMPv6).
pub(crate) fn ipv6(b: &[u8]) -> Option<Ip<'_>> {
    let len = usize::from(be16(b, 4)?);
    let (src, dst) = (v6_at(b, 8)?, v6_at(b, 24)?);
    let mut next = *b.get(6)?;
    let mut payload = b.get(40..(40 + len).min(b.len()))?;
    while matches!(next, 0 | 43 | 60) {
        let skip = (usize::from(*payload.get(1)?) + 1) * 8;
        next = *payload.first()?;
        payload = payload.get(skip..)?;
    }
    Some(Ip {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        proto: next,
        payload,
    })
}

/// The IP packet an ethertype carries, if it is IPv4 or IPv6.
pub(crate) fn ip(ethertype: u16, b: &[u8]) -> Option<Ip<'_>> {
    match ethertype {
        ETH_P_IP => ipv4(b),
        ETH_P_IPV6 => ipv6(b),
        _ => None,
    }
}

/// TCP or UDP ports (source, destination).
pub(crate) fn ports(ip: &Ip) -> Option<(u16, u16)> {
    match ip.proto {
        IPPROTO_TCP | IPPROTO_UDP => Some((be16(ip.payload, 0)?, be16(ip.payload, 2)?)),
        _ => None,
    }
}

/// A UDP datagram's data (after its 8-byte header, within its length).
pub(crate) fn udp_data<'a>(ip: &Ip<'a>) -> Option<&'a [u8]> {
    let len = usize::from(be16(ip.payload, 4)?);
    ip.payload.get(8..len.max(8).min(ip.payload.len()))
}

/// The VNI and inner Ethernet frame of a VXLAN datagram (RFC 7348: flags
/// with the I bit, 24 reserved bits, the VNI, 8 reserved bits).
pub(crate) fn vxlan<'a>(ip: &Ip<'a>) -> Option<(u32, &'a [u8])> {
    let (_, dport) = ports(ip).filter(|_| ip.proto == IPPROTO_UDP)?;
    if !VXLAN_PORTS.contains(&dport) {
        return None;
    }
    let data = udp_data(ip)?;
    if data.first()? & 0x08 == 0 || data.len() < 8 + 14 {
        return None;
    }
    Some((be32(data, 4)? >> 8, &data[8..]))
}
