//! One-line, tcpdump-like summaries of Ethernet frames: 802.1Q/802.1ad
//! tags, ARP who-has and is-at, ICMP/ICMPv6 echo and errors, neighbour
//! and router discovery, TCP flags, UDP, DNS names on port 53, and VXLAN
//! (its VNI, then the inner frame's own summary). Pure; every read is
//! bounds-checked, so any bytes give some line.

use std::fmt::Write as _;

use super::dns;
use super::layers::{
    be16, ether, ip, mac_at, ports, udp_data, v4_at, v6_at, vxlan, Ip, DNS_PORT, ETH_P_ARP,
    ETH_P_IP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP,
};
use crate::icmp::wire::{v4_unreach_reason, v6_unreach_reason};

/// VXLAN inside VXLAN is summarised this deep, then by its length.
const MAX_DEPTH: usize = 3;

/// Summarises one Ethernet frame.
pub fn summarize(frame: &[u8]) -> String {
    frame_line(frame, 0)
}

fn frame_line(frame: &[u8], depth: usize) -> String {
    let Some(e) = ether(frame) else {
        return format!("truncated frame, length {}", frame.len());
    };
    let mut out = String::new();
    for vid in &e.vlans {
        let _ = write!(out, "vlan {vid}, ");
    }
    let line = match e.ethertype {
        ETH_P_ARP => arp(e.payload),
        t => ip(t, e.payload).map(|p| ip_line(t == ETH_P_IP, &p, depth)),
    };
    match line {
        Some(line) => out.push_str(&line),
        None => {
            let _ = write!(
                out,
                "ethertype 0x{:04x}, length {}",
                e.ethertype,
                frame.len()
            );
        }
    }
    out
}

fn arp(b: &[u8]) -> Option<String> {
    // Ethernet/IPv4 ARP only (RFC 826): hlen 6, plen 4.
    if be16(b, 0)? != 1 || be16(b, 2)? != ETH_P_IP {
        return Some("ARP, unknown hardware or protocol".into());
    }
    let (sha, spa, tpa) = (mac_at(b, 8)?, v4_at(b, 14)?, v4_at(b, 24)?);
    Some(match be16(b, 6)? {
        1 => format!("ARP, Request who-has {tpa} tell {spa}"),
        2 => format!("ARP, Reply {spa} is-at {sha}"),
        op => format!("ARP, operation {op}"),
    })
}

/// `IP src.port > dst.port: body` for TCP/UDP, `IP src > dst: body` else.
fn ip_line(v4: bool, p: &Ip, depth: usize) -> String {
    let fam = if v4 { "IP" } else { "IP6" };
    let body = transport(v4, p, depth).unwrap_or_else(|| {
        let what = if v4 { "ip-proto" } else { "next-header" };
        format!("{what}-{}, length {}", p.proto, p.payload.len())
    });
    match ports(p) {
        Some((sp, dp)) => format!("{fam} {}.{sp} > {}.{dp}: {body}", p.src, p.dst),
        None => format!("{fam} {} > {}: {body}", p.src, p.dst),
    }
}

fn transport(v4: bool, p: &Ip, depth: usize) -> Option<String> {
    match (p.proto, v4) {
        (IPPROTO_ICMP, true) => icmp4(p.payload),
        (IPPROTO_ICMPV6, false) => icmp6(p.payload),
        (IPPROTO_TCP, _) => tcp(p.payload),
        (IPPROTO_UDP, _) => udp(p, depth),
        _ => None,
    }
}

fn udp(p: &Ip, depth: usize) -> Option<String> {
    let data = udp_data(p)?;
    if let Some((vni, inner)) = vxlan(p).filter(|_| depth < MAX_DEPTH) {
        return Some(format!(
            "VXLAN, vni {vni}: {}",
            frame_line(inner, depth + 1)
        ));
    }
    let (sp, dp) = ports(p)?;
    if sp == DNS_PORT || dp == DNS_PORT {
        if let Some(line) = dns::summarize(data) {
            return Some(format!("UDP, {line}"));
        }
    }
    Some(format!("UDP, length {}", data.len()))
}

fn icmp4(p: &[u8]) -> Option<String> {
    let (kind, code) = (*p.first()?, *p.get(1)?);
    let (id, seq) = (be16(p, 4)?, be16(p, 6)?);
    Some(match kind {
        8 => format!("ICMP echo request, id {id}, seq {seq}, length {}", p.len()),
        0 => format!("ICMP echo reply, id {id}, seq {seq}, length {}", p.len()),
        3 => format!("ICMP {}", v4_unreach_reason(code)),
        11 => "ICMP time exceeded in-transit".into(),
        _ => format!("ICMP type {kind}, code {code}"),
    })
}

fn icmp6(p: &[u8]) -> Option<String> {
    let (kind, code) = (*p.first()?, *p.get(1)?);
    Some(match kind {
        128 | 129 => {
            let what = if kind == 128 { "request" } else { "reply" };
            let (id, seq) = (be16(p, 4)?, be16(p, 6)?);
            format!("ICMP6, echo {what}, id {id}, seq {seq}, length {}", p.len())
        }
        135 => format!("ICMP6, neighbor solicitation, who has {}", v6_at(p, 8)?),
        136 => format!("ICMP6, neighbor advertisement, tgt is {}", v6_at(p, 8)?),
        133 => "ICMP6, router solicitation".into(),
        134 => "ICMP6, router advertisement".into(),
        143 => "ICMP6, multicast listener report v2".into(),
        1 => format!("ICMP6, {}", v6_unreach_reason(code)),
        _ => format!("ICMP6, type {kind}, code {code}"),
    })
}

fn tcp(p: &[u8]) -> Option<String> {
    let doff = usize::from(p.get(12)? >> 4) * 4;
    let flags = *p.get(13)?;
    // tcpdump's letters, in its order; "." is ACK.
    let mut f = String::new();
    for (bit, c) in [
        (0x02, 'S'),
        (0x01, 'F'),
        (0x08, 'P'),
        (0x04, 'R'),
        (0x20, 'U'),
        (0x40, 'E'),
        (0x80, 'W'),
        (0x10, '.'),
    ] {
        if flags & bit != 0 {
            f.push(c);
        }
    }
    if f.is_empty() {
        f.push_str("none");
    }
    Some(format!(
        "Flags [{f}], length {}",
        p.len().saturating_sub(doff)
    ))
}

#[cfg(test)]
#[path = "summary_tests.rs"]
mod tests;
