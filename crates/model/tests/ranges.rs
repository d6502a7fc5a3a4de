//! Values the kernel cannot hold are refused (issue 16, item 3): every
//! numeric key of the file has the kernel's range (`limits::NUMERIC`), its
//! smallest and largest values are accepted, one past either end is
//! refused with the range in the message, and the reference states the
//! ranges. tests/limits_up.rs brings the accepted ends `up`.

use nslab_model::limits::{self, Range};
use nslab_model::{documented_keys, parse_str, AnyHostInterfaces};
use std::path::Path;

/// Keys whose values are not numbers (names, addresses, booleans,
/// choices, lists, maps, and strings whose numbers are checked as part
/// of the string: `serve`, `publish`, routes' words).
const NOT_NUMERIC: &[&str] = &[
    "lab",
    "nodes",
    "links",
    "networks",
    "expect",
    "scenarios",
    "netns",
    "hostname",
    "kind",
    "lo",
    "forwarding",
    "sysctls",
    "interfaces",
    "routes",
    "nat",
    "serve",
    "run",
    "env",
    "dirs",
    "files",
    "path",
    "owner",
    "content",
    "addresses",
    "up",
    "mac",
    "master",
    "hairpin",
    "impair",
    "stp",
    "vlan-filtering",
    "parent",
    "mode",
    "flag",
    "remote",
    "group",
    "local",
    "dev",
    "learning",
    "from",
    "endpoints",
    "to",
    "via",
    "src",
    "masquerade",
    "forward",
    "out",
    "not-out",
    "proto",
    "in",
    "node",
    "subnet",
    "subnets",
    "gateway",
    "members",
    "address",
    "ifname",
    "publish",
    "reply-from",
    "seen-as",
    "check",
    "link",
    "partition",
    "stop",
    "start",
    "exec",
    "interface",
    "clear",
    "groups",
    "one-way",
    "cmd",
];

/// Every key of the shape table (`raw_map!`) is numeric with a range, or
/// named here as not numeric: a new key cannot be missed.
#[test]
fn every_key_is_numeric_with_a_range_or_named_not_numeric() {
    let mut wrong = Vec::new();
    for (section, key) in documented_keys() {
        let numeric = !limits::ranges_of(section, key).is_empty();
        let named = NOT_NUMERIC.contains(&key);
        if numeric == named {
            wrong.push(format!(
                "{section}: `{key}` numeric: {numeric}, named not numeric: {named}"
            ));
        }
    }
    for r in limits::NUMERIC {
        assert!(
            documented_keys().contains(&(r.section, r.key)),
            "{}: `{}` is not a key of the file",
            r.section,
            r.key
        );
        assert!(r.min <= r.max && !r.why.is_empty(), "{r:?}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A file around one value: `{}` is replaced by it.
struct Case {
    range: Range,
    file: &'static str,
    /// The smallest and largest values as written.
    ends: [&'static str; 2],
    /// One below the smallest (none when it is 0) and one above the
    /// largest, as written.
    past: [Option<&'static str>; 2],
    /// The words of the range a refusal states, for each end.
    states: [&'static str; 2],
}

const NODE: &str = "lab: t\nnodes:\n  a:\n    interfaces:\n";

fn cases() -> Vec<Case> {
    use limits::*;
    let c = |range, file, ends, past, states| Case {
        range,
        file,
        ends,
        past,
        states,
    };
    vec![
        c(MTU, "      br0: { kind: bridge, mtu: {} }\n", ["68", "65535"], [Some("67"), Some("65536")], ["68..=65535", "68..=65535"]),
        c(MTU_TAP, "      tap0: { kind: tap, mtu: {} }\n", ["68", "65521"], [Some("67"), Some("65522")], ["68..=65535", "68..=65521"]),
        c(MTU_VRF, "      red: { kind: vrf, table: 10, mtu: {} }\n", ["1280", "65535"], [Some("1279"), Some("65536")], ["1280..=65535", "68..=65535"]),
        c(MTU_IPV6, "      br0: { kind: bridge, addresses: [\"fd00::1/64\"], mtu: {} }\n", ["1280", "65535"], [Some("1279"), Some("65536")], ["1280..=65535", "68..=65535"]),
        c(AGEING, "      br0: { kind: bridge, ageing: {} }\n", ["0", "42949672"], [None, Some("42949673")], ["", "0..=42949672"]),
        c(VLAN_ID, "      br0: { kind: bridge }\n      v: { kind: vlan, parent: br0, id: {} }\n", ["1", "4094"], [Some("0"), Some("4095")], ["1..=4094", "1..=4094"]),
        c(VNI, "      vx: { kind: vxlan, remote: 10.0.0.9, vni: {} }\n", ["0", "16777215"], [None, Some("16777216")], ["", "0..=16777215"]),
        c(VXLAN_PORT, "      vx: { kind: vxlan, remote: 10.0.0.9, vni: 1, port: {} }\n", ["1", "65535"], [Some("0"), Some("65536")], ["1..=65535", "1..=65535"]),
        c(TAP_OWNER, "      tap0: { kind: tap, owner: {} }\n", ["0", "4294967294"], [None, Some("4294967295")], ["", "0..=4294967294"]),
        c(VRF_TABLE, "      red: { kind: vrf, table: {} }\n", ["1", "4294967295"], [Some("0"), Some("4294967296")], ["1..=4294967295", "1..=4294967295"]),
        c(DELAY, "      br0: { kind: bridge, impair: { delay: {} } }\n", ["0us", "3600s"], [None, Some("3600.000001s")], ["", "0s..=3600s"]),
        c(LOSS, "      br0: { kind: bridge, impair: { loss: {} } }\n", ["0%", "100%"], [None, Some("100.0001%")], ["", "0% and 100%"]),
        c(RATE, "      br0: { kind: bridge, impair: { rate: {} } }\n", ["8bit", "1000tbit"], [Some("0bit"), Some("1000000000000008bit")], ["8bit..=1000tbit", "8bit..=1000tbit"]),
        c(LINK_MTU, "links:\n  - { endpoints: [a:e0, a:e1], mtu: {} }\n", ["68", "65535"], [Some("67"), Some("65536")], ["68..=65535", "68..=65535"]),
        c(METRIC, "      br0: { kind: bridge, addresses: [10.0.0.1/24] }\n    routes: [\"10.9.0.0/16 dev br0 metric {}\"]\n", ["0", "4294967295"], [None, Some("4294967296")], ["", "0..=4294967295"]),
        c(ROUTE_TABLE, "      br0: { kind: bridge, addresses: [10.0.0.1/24] }\n    routes: [{ to: 10.9.0.0/16, dev: br0, table: {} }]\n", ["1", "4294967295"], [Some("0"), Some("4294967296")], ["1..=4294967295", "1..=4294967295"]),
        c(NAT_PORT, "      br0: { kind: bridge, addresses: [10.0.0.1/24] }\n    nat: { forward: [{ port: {}, to: \"10.0.0.2:80\" }] }\n", ["1", "65535"], [Some("0"), Some("65536")], ["1..=65535", "1..=65535"]),
        c(WITHIN, "expect: [{ check: a -> 10.0.0.9, within: {} }]\n", ["0.000000001s", "3600s"], [Some("0s"), Some("3600.000000001s")], ["3600s", "0s..=3600s"]),
        c(WAIT, "scenarios: { s: [ wait: {} ] }\n", ["0s", "3600s"], [None, Some("3601s")], ["", "0s..=3600s"]),
        c(EXIT, "scenarios: { s: [ exec: { node: a, cmd: [true], exit: {} } ] }\n", ["0", "255"], [None, Some("256")], ["", "0..=255"]),
    ]
}

fn text(case: &Case, value: &str) -> String {
    let body = case.file.replace("{}", value);
    // A case that starts at the top level still needs the node.
    if body.starts_with("      ") {
        format!("{NODE}{body}")
    } else {
        format!("{NODE}      lo1: {{ kind: bridge }}\n{body}")
    }
}

/// Every range has its case: the ends accepted, one past refused with
/// the range in the message.
#[test]
fn each_numeric_key_takes_its_ends_and_refuses_one_past() {
    let cases = cases();
    for r in limits::NUMERIC {
        assert!(
            cases.iter().any(|c| c.range == *r),
            "no case for {} `{}` ({})",
            r.section,
            r.key,
            r.applies
        );
    }
    let mut wrong = Vec::new();
    for case in &cases {
        for v in case.ends {
            if let Err(p) = parse_str("t.yaml", &text(case, v), &AnyHostInterfaces) {
                wrong.push(format!(
                    "`{}` {v} refused:\n{}",
                    case.range.key,
                    p.render_plain()
                ));
            }
        }
        for (v, states) in case.past.iter().zip(case.states) {
            let Some(v) = v else { continue };
            match parse_str("t.yaml", &text(case, v), &AnyHostInterfaces) {
                Ok(_) => wrong.push(format!("`{}` {v} accepted", case.range.key)),
                Err(p) => {
                    let said = p.iter().any(|x| x.message.contains(states));
                    if !said {
                        wrong.push(format!(
                            "`{}` {v}: no `{states}` in:\n{}",
                            case.range.key,
                            p.render_plain()
                        ));
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n---\n"));
}

/// An IPv6 route's metric 0 is refused (the kernel makes it 1024); an
/// IPv4 route's is the kernel's own default.
#[test]
fn an_ipv6_metric_of_zero_is_refused() {
    let file = |route: &str| {
        format!("{NODE}      br0: {{ kind: bridge, addresses: [10.0.0.1/24, \"fd00::1/64\"] }}\n    routes: [\"{route}\"]\n")
    };
    assert!(parse_str(
        "t.yaml",
        &file("fd09::/64 dev br0 metric 1"),
        &AnyHostInterfaces
    )
    .is_ok());
    let p = parse_str(
        "t.yaml",
        &file("fd09::/64 dev br0 metric 0"),
        &AnyHostInterfaces,
    )
    .expect_err("refused");
    assert!(p.render_plain().contains("1024"), "{}", p.render_plain());
}

/// docs/topology.md states every range: its "Limits" section has a row
/// per range with both ends.
#[test]
fn the_reference_states_every_range() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/topology.md"),
    )
    .expect("docs/topology.md");
    let start = doc.find("\n## Limits\n").expect("a `## Limits` section");
    let body = &doc[start..];
    let body = &body[..body[1..].find("\n## ").map_or(body.len(), |e| e + 1)];
    for r in limits::NUMERIC {
        let row = limits::doc_row(r);
        assert!(body.contains(&row), "no row:\n{row}");
    }
}

/// `NSLAB_PRINT_LIMITS=1 cargo test -p nslab-model --test ranges print --
/// --nocapture` prints the table for docs/topology.md.
#[test]
fn print_the_limits_table() {
    if std::env::var_os("NSLAB_PRINT_LIMITS").is_some() {
        println!("{}", limits::doc_table());
    }
}

/// A vlan, macvlan or ipvlan child's MTU is at most its parent's (the
/// kernel refuses more): the parent's `mtu`, or a veth's 1500.
#[test]
fn a_child_mtu_above_its_parents_is_refused() {
    let file = |parent_mtu: &str, child: &str| {
        format!(
            "lab: t\nnodes:\n  a:\n    interfaces:\n      eth0: {{ {parent_mtu} }}\n      c0: {{ {child} }}\n  b: {{}}\nlinks: [[a:eth0, b:eth0]]\n"
        )
    };
    let ok = [
        ("", "kind: macvlan, parent: eth0, mtu: 1500"),
        ("mtu: 9000", "kind: macvlan, parent: eth0, mtu: 9000"),
        ("mtu: 9000", "kind: vlan, parent: eth0, id: 5, mtu: 68"),
    ];
    for (p, c) in ok {
        let r = parse_str("t.yaml", &file(p, c), &AnyHostInterfaces);
        assert!(
            r.is_ok(),
            "{p} / {c}: {}",
            r.err().map(|e| e.render_plain()).unwrap_or_default()
        );
    }
    let refused = [
        ("", "kind: macvlan, parent: eth0, mtu: 1501", "68..=1500"),
        (
            "mtu: 1400",
            "kind: vlan, parent: eth0, id: 5, mtu: 1500",
            "68..=1400",
        ),
        (
            "mtu: 9000",
            "kind: ipvlan, parent: eth0, mtu: 9001",
            "68..=9000",
        ),
    ];
    for (p, c, range) in refused {
        let e = parse_str("t.yaml", &file(p, c), &AnyHostInterfaces).expect_err(c);
        let x = e.iter().next().expect("a problem");
        assert!(x.message.contains(range), "{}", e.render_plain());
        assert_eq!(
            x.loc,
            nslab_model::Loc::new(6, c.find("mtu").unwrap() as u32 + 18),
            "{}",
            e.render_plain()
        );
    }
}

/// A vxlan over `dev` has room for its frames and their encapsulation:
/// at most the device's MTU less 50 (IPv4) or 70 (IPv6) bytes, which the
/// kernel would otherwise cut it to silently.
#[test]
fn a_vxlan_mtu_past_its_devs_room_is_refused() {
    let file = |dev_mtu: &str, remote: &str, mtu: u32| {
        format!(
            "lab: t\nnodes:\n  a:\n    interfaces:\n      eth0: {{ {dev_mtu} }}\n      vx0: {{ kind: vxlan, vni: 1, remote: \"{remote}\", dev: eth0, mtu: {mtu} }}\n  b: {{}}\nlinks: [[a:eth0, b:eth0]]\n"
        )
    };
    for (dev_mtu, remote, max) in [
        ("", "10.0.0.2", 1450),
        ("mtu: 9000", "10.0.0.2", 8950),
        ("", "fd00::2", 1430),
    ] {
        let ok = parse_str("t.yaml", &file(dev_mtu, remote, max), &AnyHostInterfaces);
        assert!(
            ok.is_ok(),
            "{}",
            ok.err().map(|e| e.render_plain()).unwrap_or_default()
        );
        let e = parse_str(
            "t.yaml",
            &file(dev_mtu, remote, max + 1),
            &AnyHostInterfaces,
        )
        .expect_err("one past");
        assert!(
            e.render_plain().contains(&format!("68..={max}")),
            "{}",
            e.render_plain()
        );
    }
}

/// A link's MTU below 1280 on an end with an IPv6 address is refused at
/// the link's `mtu` (the kernel would turn IPv6 off there).
#[test]
fn a_link_mtu_below_1280_under_an_ipv6_address_is_refused() {
    let file = |mtu: u32| {
        format!("lab: t\nnodes:\n  a:\n    interfaces:\n      eth0: {{ addresses: [\"fd00::1/64\"] }}\n  b: {{}}\nlinks:\n  - {{ endpoints: [a:eth0, b:eth0], mtu: {mtu} }}\n")
    };
    assert!(parse_str("t.yaml", &file(1280), &AnyHostInterfaces).is_ok());
    let e = parse_str("t.yaml", &file(1279), &AnyHostInterfaces).expect_err("1279");
    let x = e.iter().next().expect("a problem");
    assert!(x.message.contains("1280..=65535"), "{}", e.render_plain());
    assert_eq!(x.loc, nslab_model::Loc::new(8, 41), "{}", e.render_plain());
}
