//! No input is half understood (issue 16, item 2): a short form whose
//! every token is not read is refused at `file:line:col`, with a hint —
//! never read in part. Each case is a whole file: a small lab, then the
//! one line under test, refused at the token that is not understood.

use nslab_model::{parse_str, Loc, NoHostInterfaces, ProbeProto, StepKind, Target};

/// The lab every case adds one thing to (nodes last, so a case may add
/// a node).
const HEAD: &str = "lab: t
links: [[a:eth0, b:eth0]]
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.0.1/24] }
  b:
    interfaces:
      eth0: { addresses: [10.0.0.2/24] }
    serve: [tcp/80, udp/53]
";

/// (lines added to HEAD, the token the problem must point at — its first
/// occurrence in those lines —, words its message or hint has).
const REFUSED: &[(&str, &str, &str)] = &[
    // Checks: every word of the arrow form.
    ("expect:\n  - a -> b c\n", "c\n", "`c`"),
    ("expect:\n  - a -> b:9999/sctp\n", "sctp", "sctp"),
    ("expect:\n  - a -> b/tcp\n", "tcp", "no port"),
    ("expect:\n  - a -> b:80:90\n", "b:80", "b:80:90"),
    ("expect:\n  - a -> b:+80\n", "b:", "+80"),
    ("expect:\n  - a -> 10.0.0.2:80/udp/x\n", "udp", "udp/x"),
    ("expect:\n  - { check: \"a -> b c\", within: 1s }\n", "c\"", "`c`"),
    ("expect:\n  - { from: a, to: \"b:80/tcp\", proto: tcp }\n", "\"b:80", "80/tcp"),
    // Addresses: a prefix length is digits.
    ("  c:\n    interfaces:\n      x: { kind: bridge, addresses: [10.0.0.9/+24] }\n", "10.0.0.9/+24", "`+24`"),
    // Link ends: one colon.
    (
        "scenarios:\n  s:\n    - impair: { interface: a:eth0:x, delay: 1ms }\n",
        "a:eth0:x",
        "eth0:x",
    ),
    // Subnets are network addresses (as `docker network create --subnet`
    // and `ip route add` require), not an address with host bits.
    (
        "networks:\n  br0: { node: a, subnet: 172.20.0.1/16 }\n",
        "172.20.0.1/16",
        "172.20.0.0/16",
    ),
    (
        "networks:\n  br0: { node: a, subnets: [172.20.0.0/16, \"fd00:1::1/64\"] }\n",
        "\"fd00:1::1/64",
        "fd00:1::/64",
    ),
    (
        "  c:\n    nat: { masquerade: [{ from: 10.0.0.1/24 }] }\n",
        "10.0.0.1/24",
        "10.0.0.0/24",
    ),
    (
        "  c:\n    routes: [10.9.0.1/16 via 10.0.0.1]\n",
        "10.9.0.1/16",
        "10.9.0.0/16",
    ),
    (
        "  c:\n    routes: [{ to: 10.9.0.1/16, via: 10.0.0.1 }]\n",
        "10.9.0.1/16",
        "10.9.0.0/16",
    ),
    (
        "  c:\n    routes: [\"10.9.0.0/16 dev eth0 metric\"]\n",
        "metric",
        "`metric`",
    ),
    // Scenario steps: groups are lists, link steps are their words only.
    (
        "scenarios:\n  s:\n    - partition: [a, [b]]\n",
        "a, [b]",
        "list of nodes",
    ),
    (
        "scenarios:\n  s:\n    - partition: { groups: [[a], b] }\n",
        "b]",
        "list of nodes",
    ),
    (
        "scenarios:\n  s:\n    - link: a:eth0 down both now\n",
        "now",
        "`now`",
    ),
    (
        "scenarios:\n  s:\n    - link: a:eth0 down bothx\n",
        "bothx",
        "`bothx`",
    ),
    // Impairments: nothing finer than what the kernel keeps is rounded away.
    (
        "scenarios:\n  s:\n    - impair: { interface: a:eth0, delay: 0.5us }\n",
        "0.5us",
        "microsecond",
    ),
    (
        "  c:\n    interfaces:\n      x: { kind: bridge, impair: { delay: 1ms, jitter: 1.0001ms } }\n",
        "1.0001ms",
        "microsecond",
    ),
    (
        "scenarios:\n  s:\n    - impair: { interface: a:eth0, loss: 0.00001% }\n",
        "0.00001%",
        "0.0001%",
    ),
    (
        "scenarios:\n  s:\n    - impair: { interface: a:eth0, rate: 10bit }\n",
        "10bit",
        "bytes",
    ),
    ("scenarios:\n  s:\n    - wait: 1.5.5s\n", "1.5.5s", "duration"),
    // Services and published ports: digits are a port, nothing after.
    ("  c:\n    serve: [tcp/80/x]\n", "tcp/80/x", "80/x"),
    (
        "networks:\n  br0: { node: a, subnet: 172.20.0.0/16, members: { c: { publish: [\"fd00::1:80:80\"] } } }\n",
        "\"fd00::1:80:80",
        "brackets",
    ),
    ("  c:\n    serve: [\"tcp/ 80\"]\n", "\"tcp/ 80", "port"),
];

fn file(case: &str) -> String {
    format!("{HEAD}{case}")
}

/// Line and column of the first `token` in `case`, as placed in the file.
fn place(case: &str, token: &str) -> Loc {
    let head_lines = HEAD.lines().count();
    let at = case.find(token).expect("the token is in the case");
    let before = &case[..at];
    let line = head_lines + before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |n| n + 1) + 1;
    Loc::new(line as u32, col as u32)
}

#[test]
fn half_understood_inputs_are_refused_at_their_token() {
    let mut wrong = Vec::new();
    for (case, token, words) in REFUSED {
        let text = file(case);
        let at = place(case, token);
        match parse_str("t.yaml", &text, &NoHostInterfaces) {
            Ok(_) => wrong.push(format!("accepted:\n{case}")),
            Err(p) => {
                let hit = p.iter().any(|x| {
                    x.loc == at
                        && !x.hint.is_empty()
                        && (x.message.contains(words) || x.hint.contains(words))
                });
                if !hit {
                    wrong.push(format!(
                        "{case}expected {at} with `{words}`, got:\n{}",
                        p.render_plain()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n---\n"));
}

/// The short form with a port is the TCP check of the map form (`/udp`
/// and `/http` say which other), never a ping that ignores the port.
#[test]
fn a_check_with_a_port_probes_that_port() {
    let cases: &[(&str, ProbeProto, u16)] = &[
        ("a -> b:80", ProbeProto::Tcp, 80),
        ("a -> b:80/tcp", ProbeProto::Tcp, 80),
        ("a -> 10.0.0.2:53/udp", ProbeProto::Udp, 53),
        ("a -x b:81/http", ProbeProto::Http, 81),
        ("a -> [fd00::2]:9999", ProbeProto::Tcp, 9999),
    ];
    for (check, proto, port) in cases {
        let text = file(&format!("expect:\n  - \"{check}\"\n"));
        let topo = parse_str("t.yaml", &text, &NoHostInterfaces)
            .unwrap_or_else(|p| panic!("{check}: {}", p.render_plain()));
        let e = &topo.expect[0];
        assert_eq!(e.proto, *proto, "{check}");
        assert_eq!(e.to.port().map(|p| p.get()), Some(*port), "{check}");
    }
    let text = file("expect:\n  - a -> b\n  - a -> fd00::2\n");
    let topo = parse_str("t.yaml", &text, &NoHostInterfaces).expect("valid");
    for e in &topo.expect {
        assert_eq!((e.proto, e.to.port()), (ProbeProto::Icmp, None));
    }
    assert!(matches!(topo.expect[1].to, Target::Addr { .. }));
}

/// A partition's groups are lists, each read whole.
#[test]
fn partition_groups_are_lists() {
    let text = file("scenarios:\n  s:\n    - partition: [[a], [b]]\n");
    let topo = parse_str("t.yaml", &text, &NoHostInterfaces).expect("valid");
    let StepKind::Partition { groups, .. } = &topo.scenarios[0].steps[0].kind else {
        panic!("a partition");
    };
    assert_eq!(groups.len(), 2);
}
