//! One-line, tcpdump-like summaries of Ethernet frames: ARP who-has and
//! is-at, ICMP/ICMPv6 echo and errors, neighbour discovery, TCP flags, UDP.
//! Pure; every read is bounds-checked, so any bytes give some line.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::icmp::wire::{v4_unreach_reason, v6_unreach_reason};

const ETH_P_IP: u16 = 0x0800;
const ETH_P_ARP: u16 = 0x0806;
const ETH_P_8021Q: u16 = 0x8100;
const ETH_P_IPV6: u16 = 0x86dd;

/// Summarises one Ethernet frame.
pub fn summarize(frame: &[u8]) -> String {
    let mut out = String::new();
    let Some(mut ethertype) = be16(frame, 12) else {
        return format!("truncated frame, length {}", frame.len());
    };
    let mut rest = &frame[14..];
    if ethertype == ETH_P_8021Q {
        if let (Some(tci), Some(inner)) = (be16(rest, 0), be16(rest, 2)) {
            let _ = write!(out, "vlan {}, ", tci & 0x0fff);
            ethertype = inner;
            rest = &rest[4..];
        }
    }
    let line = match ethertype {
        ETH_P_ARP => arp(rest),
        ETH_P_IP => ipv4(rest),
        ETH_P_IPV6 => ipv6(rest),
        _ => None,
    };
    match line {
        Some(line) => out.push_str(&line),
        None => {
            let _ = write!(out, "ethertype 0x{ethertype:04x}, length {}", frame.len());
        }
    }
    out
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at + 2)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

fn v4_at(b: &[u8], at: usize) -> Option<Ipv4Addr> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(Ipv4Addr::from(s))
}

fn v6_at(b: &[u8], at: usize) -> Option<Ipv6Addr> {
    let s: [u8; 16] = b.get(at..at + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(s))
}

fn mac_at(b: &[u8], at: usize) -> Option<String> {
    let m = b.get(at..at + 6)?;
    Some(
        m.iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
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

fn ipv4(b: &[u8]) -> Option<String> {
    let ihl = usize::from(b.first()? & 0x0f) * 4;
    let total = usize::from(be16(b, 2)?);
    let proto = *b.get(9)?;
    let (src, dst) = (v4_at(b, 12)?, v4_at(b, 16)?);
    let payload = b.get(ihl..total.max(ihl).min(b.len()))?;
    let body = transport(proto, payload, false)
        .unwrap_or_else(|| format!("ip-proto-{proto}, length {}", payload.len()));
    Some(join(
        "IP",
        &src.to_string(),
        &dst.to_string(),
        payload,
        proto,
        body,
    ))
}

fn ipv6(b: &[u8]) -> Option<String> {
    let len = usize::from(be16(b, 4)?);
    let next = *b.get(6)?;
    let (src, dst) = (v6_at(b, 8)?, v6_at(b, 24)?);
    let payload = b.get(40..(40 + len).min(b.len()))?;
    let body = transport(next, payload, true)
        .unwrap_or_else(|| format!("next-header {next}, length {}", payload.len()));
    Some(join(
        "IP6",
        &src.to_string(),
        &dst.to_string(),
        payload,
        next,
        body,
    ))
}

/// `IP src.port > dst.port: body` for TCP/UDP, `IP src > dst: body` else.
fn join(fam: &str, src: &str, dst: &str, payload: &[u8], proto: u8, body: String) -> String {
    match (proto, be16(payload, 0), be16(payload, 2)) {
        (6 | 17, Some(sp), Some(dp)) => format!("{fam} {src}.{sp} > {dst}.{dp}: {body}"),
        _ => format!("{fam} {src} > {dst}: {body}"),
    }
}

fn transport(proto: u8, p: &[u8], v6: bool) -> Option<String> {
    match (proto, v6) {
        (1, false) => icmp4(p),
        (58, true) => icmp6(p),
        (6, _) => tcp(p),
        (17, _) => Some(format!(
            "UDP, length {}",
            usize::from(be16(p, 4)?).saturating_sub(8)
        )),
        _ => None,
    }
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
mod tests {
    use super::*;

    fn eth(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&[0x02, 0, 0, 0, 0, 1]);
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn arp_frame(op: u16) -> Vec<u8> {
        let mut a = vec![0, 1, 0x08, 0x00, 6, 4];
        a.extend_from_slice(&op.to_be_bytes());
        a.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 10, 0, 0, 1]);
        a.extend_from_slice(&[0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
        eth(ETH_P_ARP, &a)
    }

    fn ip4(proto: u8, payload: &[u8]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&total.to_be_bytes());
        h.extend_from_slice(&[0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        h.extend_from_slice(payload);
        eth(ETH_P_IP, &h)
    }

    #[test]
    fn arp_request_and_reply() {
        assert_eq!(
            summarize(&arp_frame(1)),
            "ARP, Request who-has 10.0.0.2 tell 10.0.0.1"
        );
        assert_eq!(
            summarize(&arp_frame(2)),
            "ARP, Reply 10.0.0.1 is-at 02:00:00:00:00:01"
        );
    }

    #[test]
    fn icmp_echo_both_ways() {
        let req = crate::icmp::wire::echo_request(false, 5, 1, b"abcd");
        assert_eq!(
            summarize(&ip4(1, &req)),
            "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 5, seq 1, length 12"
        );
        let mut rep = req.clone();
        rep[0] = 0;
        assert!(summarize(&ip4(1, &rep)).contains("ICMP echo reply, id 5, seq 1"));
    }

    #[test]
    fn tcp_flags_and_udp_ports() {
        let mut syn = vec![0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02];
        syn.extend_from_slice(&[0; 6]);
        assert_eq!(
            summarize(&ip4(6, &syn)),
            "IP 10.0.0.1.12345 > 10.0.0.2.80: Flags [S], length 0"
        );
        syn[13] = 0x12;
        assert!(summarize(&ip4(6, &syn)).contains("Flags [S.]"));
        syn[13] = 0x18;
        syn.extend_from_slice(b"hi");
        assert!(summarize(&ip4(6, &syn)).ends_with("Flags [P.], length 2"));
        let udp = [0x14, 0xe9, 0, 53, 0, 12, 0, 0, 1, 2, 3, 4];
        assert_eq!(
            summarize(&ip4(17, &udp)),
            "IP 10.0.0.1.5353 > 10.0.0.2.53: UDP, length 4"
        );
    }

    #[test]
    fn ipv6_neighbor_solicitation_and_echo() {
        let target: Ipv6Addr = "fd00::2".parse().unwrap();
        let mut ns = vec![135, 0, 0, 0, 0, 0, 0, 0];
        ns.extend_from_slice(&target.octets());
        let mut ip6 = vec![0x60, 0, 0, 0];
        ip6.extend_from_slice(&(ns.len() as u16).to_be_bytes());
        ip6.extend_from_slice(&[58, 255]);
        ip6.extend_from_slice(&"fd00::1".parse::<Ipv6Addr>().unwrap().octets());
        ip6.extend_from_slice(&"ff02::1:ff00:2".parse::<Ipv6Addr>().unwrap().octets());
        let mut frame = ip6.clone();
        frame.extend_from_slice(&ns);
        assert_eq!(
            summarize(&eth(ETH_P_IPV6, &frame)),
            "IP6 fd00::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fd00::2"
        );
    }

    #[test]
    fn anything_else_still_gives_a_line() {
        assert_eq!(summarize(&[1, 2, 3]), "truncated frame, length 3");
        assert_eq!(
            summarize(&eth(0x88cc, &[0; 10])),
            "ethertype 0x88cc, length 24"
        );
        // Truncated IPv4 header falls back to the ethertype line.
        assert_eq!(
            summarize(&eth(ETH_P_IP, &[0x45, 0])),
            "ethertype 0x0800, length 16"
        );
        let mut tagged = vec![0x00, 0x0a];
        tagged.extend_from_slice(&ETH_P_ARP.to_be_bytes());
        tagged.extend_from_slice(&arp_frame(1)[14..]);
        assert_eq!(
            summarize(&eth(ETH_P_8021Q, &tagged)),
            "vlan 10, ARP, Request who-has 10.0.0.2 tell 10.0.0.1"
        );
    }
}
