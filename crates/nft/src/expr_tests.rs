//! Rules lowered to expressions (in `nft --debug=netlink`-like notation),
//! the text of `describe`, and validation.

use crate::expr::lower;
use crate::*;

fn lowered(r: &Rule) -> Vec<String> {
    lower(r).iter().map(ToString::to_string).collect()
}

fn net(s: &str) -> Cidr {
    s.parse().unwrap()
}

#[test]
fn ipv6_dnat_uses_ipv6_offsets_family_and_16_byte_address() {
    let r = Rule {
        matches: vec![
            Match::DstNet(net("fd00:1::5/128")),
            Match::L4Proto(Proto::Udp),
            Match::DstPort(53),
        ],
        action: Action::Dnat {
            addr: "fd00:2::10".parse().unwrap(),
            port: Some(5353),
        },
    };
    assert_eq!(
        lowered(&r),
        [
            "[ meta load 15 => reg 1 ]",
            "[ cmp eq reg 1 0x0a ]", // NFPROTO_IPV6
            // daddr at offset 24 of the IPv6 header, /128: no bitwise
            "[ payload load 16b @ base 1 + 24 => reg 1 ]",
            "[ cmp eq reg 1 0xfd000001000000000000000000000005 ]",
            "[ meta load 16 => reg 1 ]",
            "[ cmp eq reg 1 0x11 ]",
            "[ payload load 2b @ base 2 + 2 => reg 1 ]",
            "[ cmp eq reg 1 0x0035 ]",
            "[ immediate reg 1 0xfd000002000000000000000000000010 ]",
            "[ immediate reg 2 0x14e9 ]",
            "[ nat dnat family 10 addr_min reg 1 proto_min reg 2 ]",
        ]
    );
}

#[test]
fn ipv6_source_prefix_uses_offset_8_and_a_mask() {
    let r = Rule {
        matches: vec![Match::NotSrcNet(net("fd00:17::1/64"))],
        action: Action::Masquerade,
    };
    assert_eq!(
        lowered(&r)[2..5],
        [
            "[ payload load 16b @ base 1 + 8 => reg 1 ]",
            "[ bitwise reg 1 = ( reg 1 & 0xffffffffffffffff0000000000000000 ) ^ 0x00000000000000000000000000000000 ]",
            // host bits of the given address are cleared
            "[ cmp neq reg 1 0xfd000017000000000000000000000000 ]",
        ]
    );
}

#[test]
fn masquerade_without_addresses_has_no_family_guard() {
    // inet masquerade serves IPv4 and IPv6 alike.
    let r = Rule {
        matches: vec![Match::OifName("eth0".into())],
        action: Action::Masquerade,
    };
    assert_eq!(
        lowered(&r),
        [
            "[ meta load 7 => reg 1 ]",
            "[ cmp eq reg 1 0x65746830000000000000000000000000 ]",
            "[ masq ]",
        ]
    );
}

#[test]
fn dnat_without_port_loads_no_port_register() {
    let r = Rule {
        matches: vec![Match::IifName("ens4".into())],
        action: Action::Dnat {
            addr: "10.0.0.2".parse().unwrap(),
            port: None,
        },
    };
    let l = lowered(&r);
    assert_eq!(
        l[0..2],
        ["[ meta load 15 => reg 1 ]", "[ cmp eq reg 1 0x02 ]"]
    );
    assert_eq!(
        l[4..],
        [
            "[ immediate reg 1 0x0a000002 ]",
            "[ nat dnat family 2 addr_min reg 1 ]"
        ]
    );
}

#[test]
fn zero_prefix_matches_the_family_only_and_its_negation_nothing() {
    let any = Rule {
        matches: vec![Match::SrcNet(net("0.0.0.0/0"))],
        action: Action::Accept,
    };
    assert_eq!(
        lowered(&any),
        [
            "[ meta load 15 => reg 1 ]",
            "[ cmp eq reg 1 0x02 ]",
            "[ immediate reg 0 verdict 1 ]"
        ]
    );
    let none = Rule {
        matches: vec![Match::NotSrcNet(net("0.0.0.0/0"))],
        action: Action::Accept,
    };
    // nfproto is never NFPROTO_UNSPEC (0): the rule matches no packet.
    assert_eq!(lowered(&none)[3], "[ cmp eq reg 1 0x00 ]");
}

#[test]
fn ipnet_masks_and_parsing() {
    assert_eq!(net("172.16.0.0/12").mask_bytes(), [255, 240, 0, 0]);
    assert_eq!(net("172.17.3.4/12").network_bytes(), [172, 16, 0, 0]);
    assert_eq!(Cidr::host("10.0.0.1".parse().unwrap()).prefix, 32);
    assert_eq!(net("::/0").mask_bytes(), [0; 16]);
    assert!("10.0.0.0/33".parse::<Cidr>().is_err());
    assert!("fd00::/129".parse::<Cidr>().is_err());
    assert!("nonsense/8".parse::<Cidr>().is_err());
}

fn demo() -> Table {
    Table {
        name: "nslab-demo".into(),
        comment: None,
        chains: vec![
            Chain {
                name: "prerouting".into(),
                hook: Hook::Prerouting,
                kind: ChainType::Nat,
                priority: -100,
                rules: vec![Rule {
                    matches: vec![
                        Match::DstLocal,
                        Match::L4Proto(Proto::Tcp),
                        Match::DstPort(8080),
                    ],
                    action: Action::Dnat {
                        addr: "172.17.10.10".parse().unwrap(),
                        port: Some(80),
                    },
                }],
            },
            Chain {
                name: "postrouting".into(),
                hook: Hook::Postrouting,
                kind: ChainType::Nat,
                priority: 100,
                rules: vec![
                    Rule {
                        matches: vec![
                            Match::SrcNet(net("172.17.0.0/16")),
                            Match::NotOifName("docker0".into()),
                        ],
                        action: Action::Masquerade,
                    },
                    Rule {
                        matches: vec![
                            Match::CtStatusDnat,
                            Match::SrcNet(net("fd00:17::/64")),
                            Match::DstNet(net("fd00:17::10/128")),
                            Match::OifName("docker0".into()),
                        ],
                        action: Action::Masquerade,
                    },
                ],
            },
        ],
    }
}

#[test]
fn describe_reads_like_nft() {
    assert_eq!(
        describe(&demo()),
        "table inet nslab-demo {\n\
         \tchain prerouting {\n\
         \t\ttype nat hook prerouting priority -100; policy accept;\n\
         \t\tfib daddr type local meta l4proto tcp th dport 8080 dnat ip to 172.17.10.10:80\n\
         \t}\n\
         \tchain postrouting {\n\
         \t\ttype nat hook postrouting priority 100; policy accept;\n\
         \t\tip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade\n\
         \t\tct status dnat ip6 saddr fd00:17::/64 ip6 daddr fd00:17::10/128 oifname \"docker0\" masquerade\n\
         \t}\n\
         }\n"
    );
}

#[test]
fn validation_reports_every_problem_with_its_place() {
    let mut t = demo();
    t.chains[0].rules.push(Rule {
        matches: vec![
            Match::IifName("a-very-long-interface".into()),
            Match::SrcNet(net("10.0.0.0/8")),
        ],
        action: Action::Dnat {
            addr: "fd00::1".parse().unwrap(),
            port: Some(80),
        },
    });
    t.chains.push(t.chains[1].clone());
    let err = encode_replace_batch(&t, 1).unwrap_err();
    let kinds: Vec<(Option<&str>, Option<usize>, &ProblemKind)> = err
        .problems
        .iter()
        .map(|p| (p.chain.as_deref(), p.rule, &p.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                Some("prerouting"),
                Some(1),
                &ProblemKind::BadIfName("a-very-long-interface".into())
            ),
            (Some("prerouting"), Some(1), &ProblemKind::MixedFamilies),
            (Some("prerouting"), Some(1), &ProblemKind::PortWithoutProto),
            (
                None,
                None,
                &ProblemKind::DuplicateChain("postrouting".into())
            ),
        ]
    );
    assert!(err
        .to_string()
        .contains("chain prerouting rule 2: the rule mixes"));
}

#[test]
fn bad_table_names_are_refused_before_sending() {
    assert!(encode_delete_batch("", 1).is_err());
    assert!(encode_delete_batch(&"x".repeat(256), 1).is_err());
    assert!(encode_delete_batch(&"x".repeat(255), 1).is_ok());
}
