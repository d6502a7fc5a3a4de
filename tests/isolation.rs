//! Docker's isolation of networks (issue 18, item 2), as a class: every
//! combination of {`isolate` default, `true` or `false`} × {`internal` or
//! not}, two networks of each, on one node, probed {within the network,
//! to every other network, to a node outside} and held to Docker's rules
//! ([`docker_reaches`]): two networks reach each other unless one opts
//! out of isolation, and an internal network reaches nothing but itself.
//! Then `plan --exit-code` is 0 and `down` removes the rules (the holder
//! is the sandbox's own namespace, `kind: host`, so its table is seen
//! there).

mod common;
use common::*;
use std::fmt::Write;

/// One network of the table.
#[derive(Debug, Clone, Copy)]
struct Net {
    /// `None`: the key is left out (the default, isolated).
    isolate: Option<bool>,
    internal: bool,
}

impl Net {
    fn isolates(self) -> bool {
        self.isolate.unwrap_or(true)
    }
}

#[derive(Debug, Clone, Copy)]
enum To {
    Same,
    Other(Net),
    Outside,
}

/// Docker's rules: a member reaches its own network; the outside unless
/// its network is internal (`--internal`); another network unless either
/// is internal or both are isolated (`DOCKER-ISOLATION-STAGE-1/2`; a side
/// with `isolate: false` opts the pair out).
fn docker_reaches(from: Net, to: To) -> bool {
    match to {
        To::Same => true,
        To::Outside => !from.internal,
        To::Other(n) => {
            let walled = from.isolates() && n.isolates();
            !(from.internal || n.internal || walled)
        }
    }
}

/// Two of each kind (the second of each isolated kind says `isolate:
/// true` where the first leaves it out), so that a pair of isolated
/// networks, and of open ones, is in the table.
fn nets() -> Vec<Net> {
    let mut v = Vec::new();
    for internal in [false, true] {
        for isolate in [None, Some(true), Some(false), Some(false)] {
            v.push(Net { isolate, internal });
        }
    }
    v
}

/// The lab: the networks `n0`... on `gw` (the sandbox's namespace) with
/// members `mNa`, `mNb`; `out` beyond `gw:wan`. An internal network's
/// members are given a route through their gateway anyway, so what stops
/// them is the forward rules, not a missing route.
fn file(nets: &[Net]) -> (String, usize) {
    let mut y = String::from(
        "lab: iso\nnodes:\n  gw:\n    kind: host\n    interfaces:\n      wan: { addresses: [10.99.0.1/24] }\n  out:\n    interfaces:\n      wan: { addresses: [10.99.0.2/24] }\n    routes: [10.1.0.0/16 via 10.99.0.1]\n",
    );
    for (i, n) in nets.iter().enumerate() {
        if n.internal {
            for m in ["a", "b"] {
                let _ = writeln!(y, "  m{i}{m}:\n    routes: [10.0.0.0/8 via 10.1.{i}.1]");
            }
        }
    }
    y.push_str("links:\n  - [gw:wan, out:wan]\nnetworks:\n");
    for (i, n) in nets.iter().enumerate() {
        let _ = writeln!(y, "  n{i}:\n    node: gw\n    subnet: 10.1.{i}.0/24");
        if let Some(b) = n.isolate {
            let _ = writeln!(y, "    isolate: {b}");
        }
        if n.internal {
            y.push_str("    internal: true\n");
        }
        let _ = writeln!(y, "    members:\n      m{i}a: {{}}\n      m{i}b: {{}}");
    }
    y.push_str("expect:\n");
    let mut checks = Vec::new();
    for (i, n) in nets.iter().enumerate() {
        checks.push((
            format!("m{i}a"),
            format!("m{i}b"),
            docker_reaches(*n, To::Same),
        ));
        checks.push((
            format!("m{i}a"),
            "out".into(),
            docker_reaches(*n, To::Outside),
        ));
        for (j, o) in nets.iter().enumerate() {
            if i != j {
                let ok = docker_reaches(*n, To::Other(*o));
                checks.push((format!("m{i}a"), format!("m{j}b"), ok));
            }
        }
    }
    let reached = checks.iter().filter(|c| c.2).count();
    // Not a table of one answer: both outcomes in every kind of probe.
    assert!(reached > 0 && reached < checks.len(), "{checks:?}");
    for (a, b, ok) in &checks {
        let arrow = if *ok { "->" } else { "-x" };
        let _ = writeln!(y, "  - {a} {arrow} {b}");
    }
    (y, checks.len())
}

#[test]
fn networks_reach_each_other_as_dockers_do() {
    if !sandbox("networks_reach_each_other_as_dockers_do") {
        return;
    }
    let nets = nets();
    let (yaml, checks) = file(&nets);
    let f = write("iso.yaml", &yaml);
    let up = nslab(&["up", "--check", &f]);
    let plan = nslab(&["plan", "--exit-code", &f]);
    let rules = sh("/usr/sbin/nft list table inet nslab-iso");
    nslab_ok(&["down", "iso"], 0);
    assert_nothing_left("iso");
    let report = text(&up);
    assert_eq!(up.status.code(), Some(0), "{report}\n{yaml}");
    assert!(
        report.contains(&format!("{checks} passed, 0 failed")),
        "{report}"
    );
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert!(rules.contains("hook forward"), "{rules}");
}

/// Members of an internal network get no default route and the network
/// no MASQUERADE; every other network keeps both.
#[test]
fn an_internal_network_has_no_route_out_and_no_masquerade() {
    if !sandbox("an_internal_network_has_no_route_out_and_no_masquerade") {
        return;
    }
    let f = write(
        "int.yaml",
        "lab: int\nnodes:\n  gw: {}\nnetworks:\n  in0: { node: gw, subnet: 10.2.0.0/24, internal: true, members: { a: {} } }\n  ex0: { node: gw, subnet: 10.3.0.0/24, members: { b: {} } }\n",
    );
    nslab_ok(&["up", &f], 0);
    let a = sh("ip -n int-a route");
    let b = sh("ip -n int-b route");
    let rules = sh("ip netns exec int-gw /usr/sbin/nft list table inet nslab-int");
    nslab_ok(&["down", "int"], 0);
    assert_nothing_left("int");
    assert!(!a.contains("default"), "{a}");
    assert!(b.contains("default via 10.3.0.1"), "{b}");
    assert!(
        rules.contains("10.3.0.0/24") && rules.contains("masquerade"),
        "{rules}"
    );
    assert!(!rules.contains("10.2.0.0/24"), "{rules}");
}

/// Changing `isolate` (or `internal`) in a running lab's file and running
/// `up` again changes what is dropped, in place: each step's checks
/// pass and `plan --exit-code` is 0 after each.
#[test]
fn changing_the_flags_of_a_running_lab_changes_the_rules() {
    if !sandbox("changing_the_flags_of_a_running_lab_changes_the_rules") {
        return;
    }
    let step = |flags: &str, checks: &str| {
        format!(
            "lab: chg\nnodes:\n  gw: {{}}\nnetworks:\n  n1: {{ node: gw, subnet: 10.3.1.0/24, members: {{ a: {{}} }} }}\n  n2: {{ node: gw, subnet: 10.3.2.0/24{flags}, members: {{ b: {{}}, c: {{}} }} }}\nexpect:\n{checks}"
        )
    };
    let steps = [
        step("", "  - a -x b\n  - b -> c\n"),
        step(", isolate: false", "  - a -> b\n  - b -> a\n"),
        step(
            ", isolate: false, internal: true",
            "  - a -x b\n  - b -x a\n  - b -> c\n",
        ),
        step("", "  - a -x b\n  - b -> c\n"),
    ];
    let mut failed = Vec::new();
    for (i, y) in steps.iter().enumerate() {
        let f = write(&format!("chg{i}.yaml"), y);
        let up = nslab(&["up", "--check", &f]);
        let plan = nslab(&["plan", "--exit-code", &f]);
        if up.status.code() != Some(0) || plan.status.code() != Some(0) {
            failed.push(format!("step {i}:\n{y}\n{}\n{}", text(&up), text(&plan)));
        }
    }
    nslab_ok(&["down", "chg"], 0);
    assert_nothing_left("chg");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// IPv6 too: the rules are the `inet` table's, so two isolated
/// dual-stack networks do not reach each other over either family, and
/// an internal one has no IPv6 default route either.
#[test]
fn isolation_holds_for_ipv6() {
    if !sandbox("isolation_holds_for_ipv6") {
        return;
    }
    let f = write(
        "v6.yaml",
        "lab: six\nnodes:\n  gw: {}\nnetworks:\n  n1: { node: gw, subnets: [10.4.1.0/24, \"fd04:1::/64\"], members: { a: {} } }\n  n2: { node: gw, subnets: [10.4.2.0/24, \"fd04:2::/64\"], members: { b: {} } }\n  n3: { node: gw, subnets: [10.4.3.0/24, \"fd04:3::/64\"], isolate: false, members: { c: {} } }\n  n4: { node: gw, subnets: [10.4.4.0/24, \"fd04:4::/64\"], internal: true, members: { d: {}, e: {} } }\nexpect:\n  - a -x fd04:2::2\n  - b -x fd04:1::2\n  - a -> fd04:3::2\n  - c -> fd04:2::2\n  - d -> fd04:4::3\n  - d -x fd04:3::2\n  - c -x fd04:4::2\n",
    );
    let up = nslab(&["up", "--check", &f]);
    let routes = sh("ip -n six-d -6 route");
    nslab_ok(&["down", "six"], 0);
    assert_nothing_left("six");
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    assert!(!routes.contains("default"), "{routes}");
}
