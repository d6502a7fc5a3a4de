//! The real proof of an encoding: the kernel accepts it. Each test runs on
//! a thread that unshared its own network namespace (only that thread
//! changes namespace), so the machine's own rules are never touched.

use nslab_nftables::*;
use std::net::IpAddr;

fn in_new_netns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    assert!(
        nix::unistd::geteuid().is_root(),
        "kernel tests need root (they stay in namespaces of their own)"
    );
    std::thread::spawn(move || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare");
        f()
    })
    .join()
    .expect("test thread")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("ip")
}

fn docker_table(name: &str) -> Table {
    let dnat = |port| Rule {
        matches: vec![
            Match::DstLocal,
            Match::L4Proto(Proto::Tcp),
            Match::DstPort(port),
        ],
        action: Action::Dnat {
            addr: ip("172.17.10.10"),
            port: Some(80),
        },
    };
    Table {
        name: name.into(),
        chains: vec![
            Chain {
                name: "prerouting".into(),
                hook: Hook::Prerouting,
                kind: ChainType::Nat,
                priority: -100,
                rules: vec![
                    dnat(8080),
                    Rule {
                        matches: vec![
                            Match::IifName("ens41".into()),
                            Match::DstNet(ip("192.168.54.230"), 32),
                            Match::L4Proto(Proto::Udp),
                            Match::DstPort(53),
                        ],
                        action: Action::Dnat {
                            addr: ip("fd00::10"),
                            port: Some(53),
                        },
                    },
                ],
            },
            Chain {
                name: "output".into(),
                hook: Hook::Output,
                kind: ChainType::Nat,
                priority: -100,
                rules: vec![Rule {
                    matches: vec![
                        Match::DstLocal,
                        Match::NotDstNet(ip("127.0.0.0"), 8),
                        Match::L4Proto(Proto::Tcp),
                        Match::DstPort(8080),
                    ],
                    action: Action::Dnat {
                        addr: ip("172.17.10.10"),
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
                            Match::SrcNet(ip("172.17.0.0"), 16),
                            Match::NotOifName("docker0".into()),
                        ],
                        action: Action::Masquerade,
                    },
                    Rule {
                        matches: vec![
                            Match::SrcNet(ip("fd00:17::"), 64),
                            Match::OifName("ens41".into()),
                        ],
                        action: Action::Masquerade,
                    },
                    Rule {
                        matches: vec![
                            Match::CtStatusDnat,
                            Match::SrcNet(ip("172.17.0.0"), 16),
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
fn the_kernel_accepts_every_rule_kind_and_replace_is_whole() {
    in_new_netns(|| {
        let mut s = Socket::open().expect("open");
        let t = docker_table("nslab-t");
        s.replace(&t).expect("install");
        assert!(s.table_exists("nslab-t").expect("list"));
        assert_eq!(s.rule_count("nslab-t").expect("count"), 6);
        // Replacing with fewer rules leaves only those.
        let mut smaller = t.clone();
        smaller.chains.truncate(1);
        s.replace(&smaller).expect("replace");
        assert_eq!(s.rule_count("nslab-t").expect("count"), 2);
        s.delete("nslab-t").expect("delete");
        assert!(!s.table_exists("nslab-t").expect("list"));
        // Deleting a table that is not there is no error.
        s.delete("nslab-t").expect("delete again");
    });
}

#[test]
fn a_rejected_batch_names_the_message_and_changes_nothing() {
    in_new_netns(|| {
        let mut s = Socket::open().expect("open");
        s.replace(&docker_table("nslab-keep")).expect("install");
        // A nat chain cannot hang on the forward hook.
        let bad = Table {
            name: "nslab-keep".into(),
            chains: vec![Chain {
                name: "fwd".into(),
                hook: Hook::Forward,
                kind: ChainType::Nat,
                priority: 0,
                rules: vec![],
            }],
        };
        let e = s.replace(&bad).expect_err("must be rejected");
        let text = e.to_string();
        assert!(text.contains("add chain inet nslab-keep fwd"), "{text}");
        // The transaction was all or nothing: the old rules are still there.
        assert_eq!(s.rule_count("nslab-keep").expect("count"), 6);
    });
}

/// Cross-check with the `nft` tool (test-only; nslab never runs it): what
/// it reads back is what was meant.
#[test]
fn nft_reads_back_what_was_meant() {
    if std::process::Command::new("nft")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("this test needs the nft tool (apt-get install nftables), used only to cross-check");
    }
    let out = in_new_netns(|| {
        let mut s = Socket::open().expect("open");
        s.replace(&docker_table("nslab-x")).expect("install");
        let ns = format!(
            "/proc/{}/task/{}/ns/net",
            std::process::id(),
            nix::unistd::gettid()
        );
        let o = std::process::Command::new("nsenter")
            .arg(format!("--net={ns}"))
            .args(["nft", "list", "ruleset"])
            .output()
            .expect("nft");
        String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
    });
    for want in [
        "table inet nslab-x",
        "type nat hook prerouting priority dstnat; policy accept;",
        "fib daddr type local tcp dport 8080 dnat ip to 172.17.10.10:80",
        "iifname \"ens41\" ip daddr 192.168.54.230 udp dport 53 dnat ip6 to [fd00::10]:53",
        "ip daddr != 127.0.0.0/8",
        "ip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade",
        "ip6 saddr fd00:17::/64 oifname \"ens41\" masquerade",
        "ct status dnat ip saddr 172.17.0.0/16 oifname \"docker0\" masquerade",
    ] {
        assert!(out.contains(want), "`{want}` not in:\n{out}");
    }
}
