//! All problems are reported at once, rendered for people, and the rules
//! beyond the fixtures (checks a user would expect).

use nslab_model::{parse_str, Loc, NoHostInterfaces, ProblemKind, ProblemKind::*, Problems};

fn problems(text: &str) -> Problems {
    match parse_str("lab.yaml", text, &NoHostInterfaces) {
        Ok(_) => panic!("parsed without problems:\n{text}"),
        Err(p) => p,
    }
}

fn only(text: &str) -> (ProblemKind, Loc) {
    let p = problems(text);
    assert_eq!(p.len(), 1, "{}", p.render_plain());
    let first = p.iter().next().unwrap();
    (first.kind, first.loc)
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let text = r#"lab: many
nodes:
  h1:
    interfaces:
      br0: { kind: bridge, mtu: 10, addresses: [10.0.0.1/40] }
      v1: { kind: vlan, parent: br0, id: 0 }
      t1: { kind: tap, master: nosuch }
    routes:
      - default via 192.168.1.1
  h2:
    interfaces:
      br0: { kind: bridge, addresses: [10.0.0.5/24, 10.9.9.9/24] }
  h3:
    interfaces:
      b: { kind: bridge, addresses: [10.9.9.9/24] }
links:
  - [h1:eth0, h9:eth0]
expect:
  - ghost -> h2
"#;
    let p = problems(text);
    assert_eq!(
        p.kinds(),
        vec![
            OutOfRange,       // mtu 10
            OutOfRange,       // /40
            OutOfRange,       // VLAN id 0
            UnknownReference, // master nosuch
            ViaUnreachable,   // 192.168.1.1
            DuplicateAddress, // 10.9.9.9 in h2 and h3
            UnknownReference, // link end h9
            UnknownReference, // expect from ghost
        ],
        "{}",
        p.render_plain()
    );
    let locs: Vec<Loc> = p.iter().map(|x| x.loc).collect();
    assert_eq!(locs[0], Loc::new(5, 33));
    assert_eq!(locs[1], Loc::new(5, 49));
    assert_eq!(locs[4], Loc::new(9, 21));
    assert_eq!(p.len(), 8);
}

#[test]
fn renders_as_miette_diagnostic_with_every_problem_related() {
    use miette::Diagnostic;
    let p = problems("lab: r\nnodes:\n  h1:\n    interfaces:\n      b: { kind: bridge, mtu: 1 }\n      c: { kind: tap, master: b, mtu: 2 }\n");
    let related: Vec<_> = p.related().unwrap().collect();
    assert_eq!(related.len(), 2);
    assert_eq!(
        related[0].to_string(),
        "lab.yaml:5:31: MTU 1 is out of range 68..=65535"
    );
    assert!(related[0]
        .help()
        .unwrap()
        .to_string()
        .contains("68 to 65535"));
    let label = related[0].labels().unwrap().next().unwrap();
    let src = "lab: r\nnodes:\n  h1:\n    interfaces:\n      b: { kind: bridge, mtu: 1 }\n";
    assert_eq!(&src[label.offset()..label.offset() + label.len()], "1");
    assert!(related[0].source_code().is_some());
    assert_eq!(p.to_string(), "lab.yaml: 2 problems found");
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, &p)
        .unwrap();
    assert!(out.contains("lab.yaml:5:31"), "{out}");
    assert!(out.contains("help:"), "{out}");
}

#[test]
fn physical_interface_present_on_host_is_accepted() {
    let text =
        "lab: p\nnodes:\n  n1:\n    interfaces:\n      up0: { kind: physical, from: ens41 }\n";
    let host = |n: &str| n == "ens41";
    let t = parse_str("p.yaml", text, &host).unwrap();
    assert_eq!(t.nodes.len(), 1);
    assert!(parse_str("p.yaml", text, &NoHostInterfaces).is_err());
}

#[test]
fn vxlan_needs_remote_or_group() {
    let text = "lab: v\nnodes:\n  h1:\n    interfaces:\n      vx0: { kind: vxlan, vni: 1 }\n";
    assert_eq!(only(text), (VxlanDestination, Loc::new(5, 7)));
}

#[test]
fn vlan_needs_an_id() {
    let text = "lab: v\nnodes:\n  h1:\n    interfaces:\n      b: { kind: bridge }\n      b.1: { kind: vlan, parent: b }\n";
    assert_eq!(only(text), (MissingKey, Loc::new(6, 7)));
}

#[test]
fn key_of_another_kind_is_unknown() {
    let text = "lab: v\nnodes:\n  h1:\n    interfaces:\n      b: { kind: bridge, vni: 5 }\n";
    assert_eq!(only(text), (UnknownKey, Loc::new(5, 31)));
}

#[test]
fn macvlan_and_ipvlan_cannot_share_a_parent() {
    let text = "lab: v\nnodes:\n  h1:\n    interfaces:\n      b: { kind: bridge }\n      m: { kind: macvlan, parent: b }\n      i: { kind: ipvlan, parent: b }\n";
    assert_eq!(only(text).0, BadParent);
}

#[test]
fn parent_cycle() {
    let text = "lab: v\nnodes:\n  h1:\n    interfaces:\n      a: { kind: vlan, parent: b, id: 1 }\n      b: { kind: vlan, parent: a, id: 2 }\n";
    let p = problems(text);
    assert!(
        p.kinds().iter().all(|k| *k == BadParent),
        "{}",
        p.render_plain()
    );
    assert_eq!(p.iter().next().unwrap().loc, Loc::new(5, 32));
}

#[test]
fn parent_on_another_node_is_allowed_but_must_exist() {
    let ok = "lab: v\nnodes:\n  a:\n    interfaces:\n      b: { kind: bridge }\n  c:\n    interfaces:\n      m: { kind: macvlan, parent: a:b }\n";
    assert!(parse_str("x", ok, &NoHostInterfaces).is_ok());
    let bad = ok.replace("parent: a:b", "parent: z:b");
    assert_eq!(only(&bad), (UnknownReference, Loc::new(8, 35)));
}

#[test]
fn veth_kind_without_a_link() {
    let text = "lab: v\nnodes:\n  h1:\n    interfaces:\n      e: { kind: veth }\n";
    assert_eq!(only(text), (UnknownReference, Loc::new(5, 18)));
}

#[test]
fn tcp_check_needs_a_port() {
    let text = "lab: v\nnodes:\n  h1: { interfaces: { b: { kind: bridge, addresses: [10.0.0.1/24] } } }\nexpect:\n  - { from: h1, to: 10.0.0.1, proto: tcp }\n";
    assert_eq!(only(text), (MissingKey, Loc::new(5, 21)));
}

#[test]
fn nat_interfaces_must_exist() {
    let text = "lab: v\nnodes:\n  h1:\n    nat:\n      masquerade: [{ out: wan0 }]\n";
    assert_eq!(only(text), (UnknownReference, Loc::new(5, 27)));
}

#[test]
fn network_node_must_exist() {
    let text = "lab: v\nnetworks:\n  br0: { node: nope, subnet: 10.1.0.0/24 }\n";
    assert_eq!(only(text), (UnknownReference, Loc::new(3, 16)));
}

#[test]
fn network_bridge_counts_as_bridge_for_master() {
    let text = "lab: v\nnodes:\n  gw:\n    interfaces:\n      t: { kind: tap, master: br0 }\nnetworks:\n  br0: { node: gw, subnet: 10.1.0.0/24 }\n";
    assert!(parse_str("x", text, &NoHostInterfaces).is_ok());
}

#[test]
fn route_via_network_subnet_is_connected() {
    let text = "lab: v\nnodes:\n  gw: {}\n  m:\n    routes: [10.50.0.0/16 via 10.1.0.1]\nnetworks:\n  br0: { node: gw, subnet: 10.1.0.0/24, members: { m: {} } }\n";
    assert!(parse_str("x", text, &NoHostInterfaces).is_ok());
}

#[test]
fn duplicate_address_with_network_gateway() {
    let text = "lab: v\nnodes:\n  gw: {}\n  h:\n    interfaces:\n      b: { kind: bridge, addresses: [10.1.0.1/24] }\nnetworks:\n  br0: { node: gw, subnet: 10.1.0.0/24 }\n";
    assert_eq!(only(text).0, DuplicateAddress);
}

#[test]
fn wrong_shape_is_a_wrong_type() {
    let text = "lab: v\nnodes: [a, b]\n";
    assert_eq!(only(text), (WrongType, Loc::new(2, 8)));
}

#[test]
fn gateway_outside_subnet() {
    let text = "lab: v\nnodes:\n  gw: {}\nnetworks:\n  br0: { node: gw, subnet: 10.1.0.0/24, gateway: 10.2.0.1 }\n";
    assert_eq!(only(text), (AddressOutsideSubnet, Loc::new(5, 50)));
}

#[test]
fn lo_and_forwarding_values() {
    let text = "lab: v\nnodes:\n  h1: { lo: sideways }\n";
    assert_eq!(only(text), (InvalidValue, Loc::new(3, 13)));
    let text = "lab: v\nnodes:\n  h1: { forwarding: 2 }\n";
    assert_eq!(only(text), (WrongType, Loc::new(3, 21)));
}

#[test]
fn raw_parse_is_available_without_validation() {
    let raw = nslab_model::parse_raw(
        "x",
        "lab: v\nnodes:\n  h1: { interfaces: { e: { kind: veth } } }\n",
    )
    .unwrap();
    assert!(raw.nodes.is_some());
    assert_eq!(
        nslab_model::parse_raw("x", "lab: v\nbogus: 1\n")
            .unwrap_err()
            .kinds(),
        vec![UnknownKey]
    );
}

#[test]
fn yaml_1_1_booleans_are_names() {
    // examples/loopback.yaml has a node called `off`.
    let text = "lab: v\nnodes:\n  off: { lo: down }\n  no: {}\nexpect:\n  - off -x 127.0.0.1\n";
    let t = parse_str("x", text, &NoHostInterfaces).unwrap();
    assert!(t.nodes.contains_key("off"));
    assert!(t.nodes.contains_key("no"));
    assert!(!t.nodes["off"].lo_up);
}

/// Found by the fuzzer: every problem's place is inside the file, also for
/// a value folded over two lines and for a lone carriage return (which
/// YAML counts as a line break and editors do not).
#[test]
fn places_stay_inside_the_file() {
    let folded = "lab: f\nnodes:\n  h1:\n    routes:\n      - default via 10.0.0.1\n       - x\n";
    let p = problems(folded);
    for x in p.iter() {
        let line = folded.split('\n').nth(x.loc.line as usize - 1).unwrap();
        assert!(
            x.loc.col as usize <= line.chars().count() + 1,
            "{}",
            p.render_plain()
        );
    }
    let (kind, loc) = only("lab: x\r\nnodes:\r  h1:\n");
    assert_eq!((kind, loc), (Syntax, Loc::new(2, 7)));
}

/// Interface names the kernel refuses or reserves, in every place a name
/// comes from: control characters (a NUL would cut the name short), `/`,
/// `:`, whitespace, `.`/`..`, `all`/`default` (they are the
/// /proc/sys/net/*/conf/{all,default} entries), and `lo` anywhere but the
/// node's own loopback entry.
#[test]
fn reserved_and_control_character_interface_names_are_refused_everywhere() {
    let places: &[&str] = &[
        "lab: n\nnodes:\n  h1:\n    interfaces:\n      \"NAME\": { kind: bridge }\n",
        "lab: n\nnodes:\n  h1:\n  h2:\nlinks:\n  - [\"h1:NAME\", h2:eth0]\n",
        "lab: n\nnodes:\n  gw:\n  h1:\nnetworks:\n  \"NAME\": { node: gw, subnet: 10.0.0.0/24, members: { h1: {} } }\n",
        "lab: n\nnodes:\n  gw:\n  h1:\nnetworks:\n  br0: { node: gw, subnet: 10.0.0.0/24, members: { h1: { ifname: \"NAME\" } } }\n",
        "lab: n\nnodes:\n  h1:\n    interfaces:\n      e0: { kind: physical, from: \"NAME\" }\n",
        "lab: n\nnodes:\n  h1:\n    interfaces:\n      vx: { kind: vxlan, vni: 1, remote: 10.0.0.2, dev: \"NAME\" }\n",
        "lab: n\nnodes:\n  h1:\n    routes:\n      - { to: 10.0.0.0/8, dev: \"NAME\" }\n",
    ];
    let names = [
        r"a\0b", r"e\x01", r"e\x7f", r"e\u0085", r"a\tb", "all", "default", "lo",
    ];
    for template in places {
        // The name's value starts at the quote before NAME.
        let at = template.find("NAME").unwrap();
        let quote = template[..at].rfind('"').unwrap();
        let line_start = template[..quote].rfind('\n').map_or(0, |i| i + 1);
        let line = template[..quote].matches('\n').count() as u32 + 1;
        let col = (quote - line_start) as u32 + 1;
        for name in names {
            // `lo` is a fine reference (a route via lo, vxlan over lo in the
            // host): only names that make an interface refuse it.
            let refers = template.contains("dev: \"NAME");
            if name == "lo" && refers {
                continue;
            }
            let text = template.replace("NAME", name);
            let p = match parse_str("n.yaml", &text, &|_: &str| true) {
                Ok(_) => panic!("accepted {name}:\n{text}"),
                Err(p) => p,
            };
            let hit = p
                .iter()
                .find(|x| x.kind == InvalidName)
                .unwrap_or_else(|| panic!("{name}:\n{text}\n{}", p.render_plain()));
            assert_eq!(
                hit.loc,
                Loc::new(line, col),
                "{name}:\n{text}\n{}",
                p.render_plain()
            );
            assert!(!hit.hint.is_empty());
        }
    }
    // The loopback entry itself, and names that merely contain the words.
    let ok = "lab: n\nnodes:\n  h1:\n    lo: down\n    interfaces:\n      allx: { kind: bridge }\n      lo0: { kind: bridge }\n";
    if let Err(p) = parse_str("ok.yaml", ok, &NoHostInterfaces) {
        panic!("{}", p.render_plain());
    }
}

#[test]
fn a_namespace_name_with_a_control_character_is_refused() {
    let (kind, loc) = only("lab: n\nnodes:\n  h1:\n    netns: \"a\\0b\"\n");
    assert_eq!((kind, loc), (InvalidName, Loc::new(4, 12)));
}

/// A host port published twice on one node, by any two of: a member's
/// `publish` (any network of that node), a `nat: forward`; and a `serve:`
/// port listed twice. Only overlapping rules conflict.
#[test]
fn a_host_port_published_twice_on_a_node_is_refused() {
    let head = "lab: p\nnodes:\n  gw:\n";
    let nets = |a: &str, b: &str| {
        format!(
            "networks:\n  br0:\n    node: gw\n    subnet: 10.1.0.0/24\n    members:\n      a: {{ publish: [{a}] }}\n  br1:\n    node: gw\n    subnet: 10.2.0.0/24\n    members:\n      b: {{ publish: [{b}] }}\n"
        )
    };
    let fwd = |f: &str| format!("    nat:\n      forward:\n        - {f}\n");
    // (file, conflicts?)
    let cases: Vec<(String, bool)> = vec![
        (format!("{head}{}", nets("\"8080:80\"", "\"8080:81\"")), true),
        (format!("{head}{}", nets("\"8080:80/udp\"", "\"8080:80/udp\"")), true),
        (format!("{head}{}", nets("\"8080:80/udp\"", "\"8080:80\"")), false),
        (format!("{head}{}", nets("\"8080:80\"", "\"8081:80\"")), false),
        (format!("{head}{}", nets("\"10.9.0.1:8080:80\"", "\"10.9.0.2:8080:80\"")), false),
        (format!("{head}{}", nets("\"10.9.0.1:8080:80\"", "\"8080:80\"")), true),
        (format!("{head}{}", nets("\"8080:80\", \"8080:90\"", "\"1:1\"")), true),
        (format!("{head}{}{}", fwd("{ port: 8080, to: 10.1.0.9:80 }"), nets("\"8080:80\"", "\"1:1\"")), true),
        (format!("{head}    interfaces:\n      eth0: {{ kind: bridge }}\n{}{}", fwd("{ port: 8080, to: 10.1.0.9:80, in: eth0 }"), nets("\"8081:80\"", "\"1:1\"")), false),
        (format!("{head}    interfaces:\n      eth0: {{ kind: bridge }}\n      eth1: {{ kind: bridge }}\n    nat:\n      forward:\n        - {{ port: 53, proto: udp, to: 10.1.0.9:53, in: eth0 }}\n        - {{ port: 53, proto: udp, to: 10.1.0.9:53, in: eth1 }}\n        - {{ port: 53, proto: udp, to: 10.1.0.9:53 }}\n"), true),
        (format!("{head}    serve: [tcp/80, udp/80, tcp/80]\n"), true),
        (format!("{head}    serve: [tcp/80, udp/80]\n"), false),
    ];
    for (text, conflicts) in cases {
        let r = parse_str("p.yaml", &text, &NoHostInterfaces);
        match (r, conflicts) {
            (Ok(_), false) => {}
            (Ok(_), true) => panic!("accepted:\n{text}"),
            (Err(p), c) => {
                let found = p.iter().filter(|x| x.kind == PortConflict).count();
                assert_eq!(found, usize::from(c), "{text}\n{}", p.render_plain());
                if !c {
                    panic!("{text}\n{}", p.render_plain());
                }
            }
        }
    }
    // The second one is named, at its place, and the first in the message.
    let text = format!("{head}{}", nets("\"8080:80\"", "\"8080:81\""));
    let p = problems(&text);
    let x = p.iter().next().unwrap();
    assert_eq!(x.loc, Loc::new(14, 22), "{}", p.render_plain());
    assert!(
        x.message.contains("tcp/8080") && x.message.contains("`a` of network `br0` at 9:22"),
        "{}",
        x.message
    );
}

/// Two routes of a node to the same destination in the same table with the
/// same metric; the kernel says "File exists" at `up`.
#[test]
fn two_routes_the_kernel_would_not_take_twice_are_refused() {
    let head = "lab: r\nnodes:\n  h1:\n    interfaces:\n      eth0: { kind: bridge, addresses: [10.0.0.2/24, \"fd00::2/64\"] }\n    routes:\n";
    let cases: &[(&[&str], bool)] = &[
        (&["default via 10.0.0.1", "default via 10.0.0.9"], true),
        (&["default via 10.0.0.1", "0.0.0.0/0 via 10.0.0.9"], true),
        (
            &["default via 10.0.0.1", "{ to: default, dev: eth0 }"],
            true,
        ),
        // (`10.5.7.7/16` was a duplicate of `10.5.0.0/16`; it is refused
        // for its host bits now, tests/lossless.rs.)
        (&["10.5.0.0/16 via 10.0.0.1", "10.5.0.0/16 dev eth0"], true),
        (
            &["default via 10.0.0.1 metric 0", "default via 10.0.0.9"],
            true,
        ),
        (
            &["default via 10.0.0.1 table 254", "default via 10.0.0.9"],
            true,
        ),
        (
            &["default via fd00::1", "default via fd00::9 metric 1024"],
            true,
        ),
        (&["default via 10.0.0.1", "default via fd00::1"], false),
        (
            &["default via 10.0.0.1", "default via 10.0.0.9 metric 100"],
            false,
        ),
        (
            &["default via 10.0.0.1", "default via 10.0.0.9 table 100"],
            false,
        ),
        (
            &["10.5.0.0/16 via 10.0.0.1", "10.5.0.0/24 via 10.0.0.1"],
            false,
        ),
    ];
    for (routes, dup) in cases {
        let list: String = routes.iter().map(|r| format!("      - {r}\n")).collect();
        let text = format!("{head}{list}");
        match parse_str("r.yaml", &text, &NoHostInterfaces) {
            Ok(_) => assert!(!dup, "accepted:\n{text}"),
            Err(p) => {
                assert!(*dup, "{text}\n{}", p.render_plain());
                assert_eq!(p.kinds(), vec![DuplicateRoute], "{}", p.render_plain());
                let x = p.iter().next().unwrap();
                assert_eq!(x.loc, Loc::new(8, 9), "{}", p.render_plain());
            }
        }
    }
}

/// `run:` programs are looked up on the host (through `HostPrograms`),
/// each at its own entry, with a hint for each way it can be wrong.
#[test]
fn run_programs_that_cannot_start_are_refused() {
    use nslab_model::{parse_str_on, Host, ProgramLookup};
    let lookup = |p: &str| match p {
        "sleep" | "/bin/true" => ProgramLookup::Found,
        "/etc/passwd" | "/tmp" => ProgramLookup::NotExecutable,
        _ => ProgramLookup::Missing,
    };
    let text = "lab: r\nnodes:\n  h1:\n    run:\n      - sleep 100\n      - /nonexistent/prog -x\n      - /bin/true\n      - nosuch-prog\n      - /etc/passwd\n";
    let host = Host {
        interfaces: &NoHostInterfaces,
        programs: &lookup,
    };
    let p = match parse_str_on("r.yaml", text, host) {
        Ok(_) => panic!("accepted"),
        Err(p) => p,
    };
    assert_eq!(p.kinds(), vec![ProgramMissing; 3], "{}", p.render_plain());
    let locs: Vec<Loc> = p.iter().map(|x| x.loc).collect();
    assert_eq!(locs, vec![Loc::new(6, 9), Loc::new(8, 9), Loc::new(9, 9)]);
    let msgs: Vec<&str> = p.iter().map(|x| x.message.as_str()).collect();
    assert!(
        msgs[0].contains("`/nonexistent/prog` does not exist"),
        "{msgs:?}"
    );
    assert!(msgs[1].contains("not found on PATH"), "{msgs:?}");
    assert!(msgs[2].contains("not an executable"), "{msgs:?}");
    // Without a host to ask (parse_str), programs are not checked.
    assert!(parse_str("r.yaml", text, &NoHostInterfaces).is_ok());
}

/// Unknown keys, wrong shapes and keys written twice, anywhere in the
/// file, all in one run (they used to stop at the first), each at its
/// place; and `validate` of the fixed file then passes.
#[test]
fn every_typo_and_wrong_shape_is_reported_in_one_run() {
    let text = "lab: typos
nodes:
  h1:
    kind: netns
    interfce:
      eth0: { kind: bridge }
    routes: default via 10.0.0.1
  h2:
    interfaces:
      br0: { kind: bridge, adresses: [10.0.0.1/24], impair: { dealy: 1ms } }
      br1: [kind, bridge]
    nat:
      forward:
        - { prot: udp, port: 53, to: 10.0.0.2:53 }
    serve: tcp/80
networks:
  br9:
    node: h1
    subnet: 10.9.0.0/24
    members:
      h2: { adress: 10.9.0.5, publish: \"8080:80\" }
links:
  - { endpoint: [h1:eth1, h2:eth1] }
expect:
  - { form: h1, to: h2 }
nodse: {}
";
    let p = problems(text);
    let got: Vec<(ProblemKind, Loc)> = p.iter().map(|x| (x.kind, x.loc)).collect();
    let want = vec![
        (UnknownKey, Loc::new(5, 5)),
        (WrongType, Loc::new(7, 13)),
        (UnknownKey, Loc::new(10, 28)),
        (UnknownKey, Loc::new(10, 63)),
        (WrongType, Loc::new(11, 12)),
        (UnknownKey, Loc::new(14, 13)),
        (WrongType, Loc::new(15, 12)),
        (UnknownKey, Loc::new(21, 13)),
        (WrongType, Loc::new(21, 40)),
        (UnknownKey, Loc::new(23, 7)),
        (UnknownKey, Loc::new(25, 7)),
        (UnknownKey, Loc::new(26, 1)),
    ];
    assert_eq!(got, want, "{}", p.render_plain());
    let hints: Vec<&str> = p.iter().map(|x| x.hint.as_str()).collect();
    assert!(hints[0].contains("did you mean `interfaces`"), "{hints:?}");
    assert!(hints[2].contains("did you mean `addresses`"), "{hints:?}");
    assert!(hints[11].contains("did you mean `nodes`"), "{hints:?}");
    // Keys written twice, in a node list and in an interface.
    let twice = "lab: t\nnodes:\n  h1:\n  h1:\n    kind: netns\n    kind: host\n";
    let p = problems(twice);
    let got: Vec<(ProblemKind, Loc)> = p.iter().map(|x| (x.kind, x.loc)).collect();
    assert_eq!(
        got,
        vec![
            (DuplicateName, Loc::new(4, 3)),
            (DuplicateName, Loc::new(6, 5))
        ],
        "{}",
        p.render_plain()
    );
}

/// `serve:` and `run:` start processes in the node's own namespace; a
/// `kind: host` node has none (`up` used to fail half-way on it).
#[test]
fn serve_and_run_on_the_host_node_are_refused() {
    let p = problems(
        "lab: hs\nnodes:\n  h:\n    kind: host\n    serve: [tcp/80]\n    run: [sleep 9]\n",
    );
    let got: Vec<(ProblemKind, Loc)> = p.iter().map(|x| (x.kind, x.loc)).collect();
    assert_eq!(
        got,
        vec![
            (InvalidValue, Loc::new(5, 13)),
            (InvalidValue, Loc::new(6, 11))
        ],
        "{}",
        p.render_plain()
    );
}

/// Typos and bad values come out in the same run (the typed structs skip
/// the unknown keys the shape pass reported).
#[test]
fn typos_and_bad_values_are_reported_together() {
    let text = "lab: mix\nnodes:\n  h1:\n    interfaces:\n      br0: { kind: bridge, mtu: 10, adresses: [10.0.0.1/24] }\n    rotes: []\n";
    let p = problems(text);
    let got: Vec<(ProblemKind, Loc)> = p.iter().map(|x| (x.kind, x.loc)).collect();
    assert_eq!(
        got,
        vec![
            (OutOfRange, Loc::new(5, 33)),
            (UnknownKey, Loc::new(5, 37)),
            (UnknownKey, Loc::new(6, 5)),
        ],
        "{}",
        p.render_plain()
    );
    // `parse_raw` (the file as written) still refuses unknown keys.
    assert!(nslab_model::parse_raw("x", "lab: v\nbogus: 1\n").is_err());
}
