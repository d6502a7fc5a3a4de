//! Tests of [`super::Filter`] on the captured fixtures.

use super::*;
use crate::capture::fixtures::{self as fx, bytes};
use crate::capture::layers::ETH_P_8021Q;

fn keeps(protos: &[Proto], hosts: &[&str], hex: &str) -> bool {
    let f = Filter {
        protos: protos.to_vec(),
        hosts: hosts.iter().map(|h| h.parse().expect("ip")).collect(),
    };
    f.matches(&bytes(hex))
}

const ALL: [&str; 12] = [
    fx::ICMP_ECHO_REQUEST,
    fx::ICMP_ECHO_REPLY,
    fx::NDP_SOLICITATION,
    fx::NDP_ADVERTISEMENT,
    fx::ICMP6_ECHO_REQUEST,
    fx::ICMP6_ECHO_REPLY,
    fx::MLD_REPORT,
    fx::ROUTER_SOLICITATION,
    fx::VXLAN_ARP_REQUEST,
    fx::VXLAN_ICMP_ECHO,
    fx::DNS_QUERY,
    fx::TCP_SYN,
];

/// For each protocol, exactly the fixtures of that protocol are kept
/// (a VXLAN frame also by what it carries).
#[test]
fn each_protocol_keeps_exactly_its_frames() {
    use Proto::*;
    let table: [(Proto, &[&str]); 11] = [
        (Arp, &[fx::VXLAN_ARP_REQUEST]),
        (
            Ip,
            &[
                fx::ICMP_ECHO_REQUEST,
                fx::ICMP_ECHO_REPLY,
                fx::VXLAN_ARP_REQUEST,
                fx::VXLAN_ICMP_ECHO,
                fx::DNS_QUERY,
                fx::TCP_SYN,
            ],
        ),
        (
            Ip6,
            &[
                fx::NDP_SOLICITATION,
                fx::NDP_ADVERTISEMENT,
                fx::ICMP6_ECHO_REQUEST,
                fx::ICMP6_ECHO_REPLY,
                fx::MLD_REPORT,
                fx::ROUTER_SOLICITATION,
            ],
        ),
        (
            Icmp,
            &[
                fx::ICMP_ECHO_REQUEST,
                fx::ICMP_ECHO_REPLY,
                fx::VXLAN_ICMP_ECHO,
            ],
        ),
        (
            Icmp6,
            &[
                fx::NDP_SOLICITATION,
                fx::NDP_ADVERTISEMENT,
                fx::ICMP6_ECHO_REQUEST,
                fx::ICMP6_ECHO_REPLY,
                fx::MLD_REPORT,
                fx::ROUTER_SOLICITATION,
            ],
        ),
        (
            Ndp,
            &[
                fx::NDP_SOLICITATION,
                fx::NDP_ADVERTISEMENT,
                fx::ROUTER_SOLICITATION,
            ],
        ),
        (Tcp, &[fx::TCP_SYN]),
        (
            Udp,
            &[fx::VXLAN_ARP_REQUEST, fx::VXLAN_ICMP_ECHO, fx::DNS_QUERY],
        ),
        (Dns, &[fx::DNS_QUERY]),
        (Vxlan, &[fx::VXLAN_ARP_REQUEST, fx::VXLAN_ICMP_ECHO]),
        (Vlan, &[]),
    ];
    for (proto, want) in table {
        for hex in ALL {
            assert_eq!(
                keeps(&[proto], &[], hex),
                want.contains(&hex),
                "{proto} on {hex}"
            );
        }
    }
    // Several protocols: any of them.
    assert!(keeps(&[Tcp, Dns], &[], fx::DNS_QUERY));
    assert!(keeps(&[Tcp, Dns], &[], fx::TCP_SYN));
    assert!(!keeps(&[Tcp, Dns], &[], fx::MLD_REPORT));
}

/// `--host` keeps frames to or from the address, ARP by sender or target,
/// VXLAN by its outer or inner addresses; with a protocol, both must hold.
#[test]
fn host_matches_either_end() {
    assert!(keeps(&[], &["10.0.0.2"], fx::ICMP_ECHO_REQUEST));
    assert!(keeps(&[], &["10.0.0.2"], fx::ICMP_ECHO_REPLY));
    assert!(!keeps(&[], &["10.0.0.3"], fx::ICMP_ECHO_REPLY));
    assert!(keeps(&[], &["fd00::2"], fx::ICMP6_ECHO_REQUEST));
    assert!(!keeps(&[], &["fd00::2"], fx::MLD_REPORT));
    assert!(keeps(&[], &["192.168.42.2"], fx::VXLAN_ARP_REQUEST));
    assert!(keeps(&[], &["192.168.42.1"], fx::VXLAN_ICMP_ECHO));
    assert!(keeps(
        &[Proto::Icmp],
        &["192.168.42.2"],
        fx::VXLAN_ICMP_ECHO
    ));
    assert!(!keeps(&[Proto::Icmp], &["10.0.0.2"], fx::DNS_QUERY));
    // IPv6 autoconfiguration chatter is not kept for an IPv4 host.
    for hex in [
        fx::MLD_REPORT,
        fx::ROUTER_SOLICITATION,
        fx::NDP_SOLICITATION,
    ] {
        assert!(!keeps(&[], &["10.0.0.2"], hex));
    }
}

#[test]
fn vlan_keeps_tagged_frames_and_sees_through_the_tag() {
    let tagged = fx::tagged(&bytes(fx::ICMP_ECHO_REQUEST), ETH_P_8021Q, 10);
    let f = |protos: Vec<Proto>| {
        Filter {
            protos,
            hosts: vec![],
        }
        .matches(&tagged)
    };
    assert!(f(vec![Proto::Vlan]));
    assert!(f(vec![Proto::Icmp]));
    assert!(!f(vec![Proto::Arp]));
}

#[test]
fn protocol_names_parse_and_unknown_ones_are_listed() {
    for (name, p) in Proto::ALL {
        assert_eq!(name.parse::<Proto>(), Ok(p));
        assert_eq!(p.to_string(), name);
    }
    let e = "icmpv6".parse::<Proto>().unwrap_err();
    assert!(e.contains("icmpv6") && e.contains("icmp6"), "{e}");
}
