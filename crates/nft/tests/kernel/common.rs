//! The tables the tests apply; a namespace per test comes from
//! `nslab_sys::testing`.

use nslab_nft::*;

pub use nslab_sys::testing::in_new_netns;

pub fn net(s: &str) -> Cidr {
    s.parse().unwrap()
}

fn chain(name: &str, hook: Hook, priority: i32, rules: Vec<Rule>) -> Chain {
    Chain {
        name: name.into(),
        hook,
        kind: ChainType::Nat,
        priority,
        rules,
    }
}

/// A published port as nslab writes it: local destination, tcp, DNAT.
pub fn publish(port: u16, to: &str, to_port: u16) -> Rule {
    Rule {
        matches: vec![
            Match::DstLocal,
            Match::L4Proto(Proto::Tcp),
            Match::DstPort(port),
        ],
        action: Action::Dnat {
            addr: to.parse().unwrap(),
            port: Some(to_port),
        },
    }
}

/// Every match and action kind, IPv4 and IPv6, in the three NAT chains.
pub fn everything(name: &str) -> Table {
    let pre = vec![
        publish(8080, "172.17.10.10", 80),
        Rule {
            matches: vec![
                Match::IifName("ens41".into()),
                Match::DstNet(net("192.0.2.1/32")),
                Match::L4Proto(Proto::Udp),
                Match::DstPort(5353),
            ],
            action: Action::Dnat {
                addr: "172.17.10.20".parse().unwrap(),
                port: Some(53),
            },
        },
        Rule {
            matches: vec![
                Match::NotIifName("lo".into()),
                Match::L4Proto(Proto::Tcp),
                Match::DstPort(8443),
                Match::NotDstNet(net("fd00:17::/64")),
            ],
            action: Action::Dnat {
                addr: "fd00:17::10".parse().unwrap(),
                port: Some(443),
            },
        },
        Rule {
            matches: vec![Match::NotSrcNet(net("10.0.0.0/8"))],
            action: Action::Dnat {
                addr: "10.9.9.9".parse().unwrap(),
                port: None,
            },
        },
    ];
    let out = vec![publish(8080, "172.17.10.10", 80)];
    let post = vec![
        Rule {
            matches: vec![
                Match::SrcNet(net("172.17.0.0/16")),
                Match::NotOifName("docker0".into()),
            ],
            action: Action::Masquerade,
        },
        Rule {
            matches: vec![
                Match::SrcNet(net("fd00:17::/64")),
                Match::OifName("ens41".into()),
            ],
            action: Action::Masquerade,
        },
        Rule {
            matches: vec![
                Match::CtStatusDnat,
                Match::SrcNet(net("172.17.0.0/16")),
                Match::DstNet(net("172.17.0.0/16")),
                Match::OifName("docker0".into()),
            ],
            action: Action::Masquerade,
        },
    ];
    Table {
        name: name.into(),
        comment: Some("nslab:demo".into()),
        chains: vec![
            chain("prerouting", Hook::Prerouting, -100, pre),
            chain("output", Hook::Output, -100, out),
            chain("postrouting", Hook::Postrouting, 100, post),
        ],
    }
}

pub fn rule_total(t: &Table) -> usize {
    t.chains.iter().map(|c| c.rules.len()).sum()
}
