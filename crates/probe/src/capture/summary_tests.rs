//! Tests of [`super::summary`]: one frame per case, built byte by byte.

use super::*;
use crate::capture::fixtures::{self as fx, bytes};
use crate::capture::layers::{ETH_P_8021AD, ETH_P_8021Q, ETH_P_IPV6};
use std::net::Ipv6Addr;

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

/// Each captured fixture, the line it gives: what tcpdump printed for it
/// (tcpdump's wording where nslab's matches it).
#[test]
fn captured_frames_give_tcpdump_like_lines() {
    let cases = [
        (
            fx::ICMP_ECHO_REQUEST,
            "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 4660, seq 1, length 16",
        ),
        (
            fx::ICMP_ECHO_REPLY,
            "IP 10.0.0.2 > 10.0.0.1: ICMP echo reply, id 4660, seq 1, length 16",
        ),
        (
            fx::NDP_SOLICITATION,
            "IP6 fd00::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fd00::2",
        ),
        (
            fx::NDP_ADVERTISEMENT,
            "IP6 fd00::2 > fd00::1: ICMP6, neighbor advertisement, tgt is fd00::2",
        ),
        (
            fx::ICMP6_ECHO_REQUEST,
            "IP6 fd00::1 > fd00::2: ICMP6, echo request, id 4660, seq 1, length 16",
        ),
        (
            fx::ICMP6_ECHO_REPLY,
            "IP6 fd00::2 > fd00::1: ICMP6, echo reply, id 4660, seq 1, length 16",
        ),
        (
            fx::MLD_REPORT,
            "IP6 :: > ff02::16: ICMP6, multicast listener report v2",
        ),
        (
            fx::ROUTER_SOLICITATION,
            "IP6 fe80::7c3f:6dff:fea7:32c7 > ff02::2: ICMP6, router solicitation",
        ),
        (
            fx::DNS_QUERY,
            "IP 10.0.0.1.50358 > 10.0.0.2.53: UDP, DNS query 0x1a2b A? example.com.",
        ),
        (
            fx::TCP_SYN,
            "IP 10.0.0.1.38870 > 10.0.0.2.80: Flags [S], length 0",
        ),
    ];
    for (hex, line) in cases {
        assert_eq!(summarize(&bytes(hex)), line);
    }
}

#[test]
fn vxlan_shows_its_vni_and_the_inner_frame() {
    assert_eq!(
        summarize(&bytes(fx::VXLAN_ARP_REQUEST)),
        "IP 10.0.0.1.59279 > 10.0.0.2.4789: VXLAN, vni 42: ARP, Request who-has 192.168.42.2 tell 192.168.42.1"
    );
    assert_eq!(
        summarize(&bytes(fx::VXLAN_ICMP_ECHO)),
        "IP 10.0.0.1.45858 > 10.0.0.2.4789: VXLAN, vni 42: IP 192.168.42.1 > 192.168.42.2: ICMP echo request, id 4660, seq 1, length 16"
    );
}

#[test]
fn vlan_tags_are_shown_outermost_first() {
    let echo = bytes(fx::ICMP_ECHO_REQUEST);
    assert_eq!(
        summarize(&fx::tagged(&echo, ETH_P_8021Q, 10)),
        "vlan 10, IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 4660, seq 1, length 16"
    );
    let qinq = fx::tagged(&fx::tagged(&echo, ETH_P_8021Q, 10), ETH_P_8021AD, 100);
    assert!(summarize(&qinq).starts_with("vlan 100, vlan 10, IP 10.0.0.1 > 10.0.0.2: ICMP echo"));
}

/// Every prefix of every fixture gives some line, without panicking.
#[test]
fn cut_frames_still_give_a_line() {
    for hex in [
        fx::VXLAN_ICMP_ECHO,
        fx::DNS_QUERY,
        fx::MLD_REPORT,
        fx::TCP_SYN,
    ] {
        let f = bytes(hex);
        for cut in 0..f.len() {
            assert!(!summarize(&f[..cut]).is_empty());
        }
    }
}
