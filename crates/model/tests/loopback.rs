//! A node's `lo:` in every form it takes: `up`/`down`, a boolean, or a map
//! with `up` and the lab's own `addresses` (a router's identity); every
//! wrong form refused at its place, the rest of the file still read.

use nslab_model::{parse_str, Cidr, Loc, NoHostInterfaces, ProblemKind, ProblemKind::*};

/// Every problem: its kind and place.
type Found = Vec<(ProblemKind, Loc)>;

fn node_lo(lo: &str) -> Result<(bool, Vec<Cidr>), Found> {
    let text = format!("lab: l\nnodes:\n  a:\n    lo: {lo}\n  b: {{}}\n");
    match parse_str("lab.yaml", &text, &NoHostInterfaces) {
        Ok(t) => {
            let a = &t.nodes["a"];
            Ok((a.lo_up, a.lo_addresses.clone()))
        }
        Err(p) => Err(p.iter().map(|x| (x.kind, x.loc)).collect()),
    }
}

fn cidrs(v: &[&str]) -> Vec<Cidr> {
    v.iter().map(|s| s.parse().expect("a CIDR")).collect()
}

#[test]
fn every_accepted_form_of_lo() {
    let table: &[(&str, bool, &[&str])] = &[
        ("up", true, &[]),
        ("down", false, &[]),
        ("true", true, &[]),
        ("false", false, &[]),
        ("{}", true, &[]),
        ("{ up: false }", false, &[]),
        ("{ addresses: [10.255.0.1/32] }", true, &["10.255.0.1/32"]),
        (
            "{ up: true, addresses: [1.1.1.1/32, \"fd00::1/128\"] }",
            true,
            &["1.1.1.1/32", "fd00::1/128"],
        ),
        (
            "{ up: down, addresses: [10.9.0.1/24] }",
            false,
            &["10.9.0.1/24"],
        ),
    ];
    for (lo, up, addrs) in table {
        assert_eq!(node_lo(lo), Ok((*up, cidrs(addrs))), "lo: {lo}");
    }
}

#[test]
fn every_wrong_form_of_lo_is_refused_at_its_place() {
    // `lo:` is at line 4, column 9.
    let table: &[(&str, &[(ProblemKind, Loc)])] = &[
        ("sideways", &[(InvalidValue, Loc::new(4, 9))]),
        ("3", &[(InvalidValue, Loc::new(4, 9))]),
        ("[up]", &[(WrongType, Loc::new(4, 9))]),
        ("{ up: maybe }", &[(InvalidValue, Loc::new(4, 15))]),
        (
            "{ addresses: [10.0.0.1/40] }",
            &[(OutOfRange, Loc::new(4, 23))],
        ),
        (
            "{ addresses: [nonsense] }",
            &[(InvalidValue, Loc::new(4, 23))],
        ),
        (
            "{ addresses: 10.0.0.1/32 }",
            &[(WrongType, Loc::new(4, 22))],
        ),
        ("{ colour: red }", &[(UnknownKey, Loc::new(4, 11))]),
        // The kernel's own loopback addresses are not the lab's.
        (
            "{ addresses: [127.0.0.2/8] }",
            &[(InvalidValue, Loc::new(4, 23))],
        ),
        (
            "{ addresses: [\"::1/128\"] }",
            &[(InvalidValue, Loc::new(4, 23))],
        ),
    ];
    for (lo, want) in table {
        let got = node_lo(lo).map_err(|mut v| {
            v.sort_by_key(|(_, l)| *l);
            v
        });
        assert_eq!(got, Err(want.to_vec()), "lo: {lo}");
    }
}

#[test]
fn a_loopback_address_belongs_to_one_node() {
    let text = "lab: l\nnodes:\n  a:\n    lo: { addresses: [10.255.0.1/32] }\n  b:\n    interfaces:\n      eth0: { kind: bridge, addresses: [10.255.0.1/24] }\n";
    let p = parse_str("lab.yaml", text, &NoHostInterfaces).expect_err("a duplicate");
    assert_eq!(p.kinds(), vec![DuplicateAddress], "{}", p.render_plain());
    assert_eq!(p.iter().next().map(|x| x.loc), Some(Loc::new(7, 41)));
}

#[test]
fn the_machines_loopback_is_not_the_labs() {
    let text = "lab: l\nnodes:\n  h:\n    kind: host\n    lo: { addresses: [10.255.0.1/32] }\n";
    let p = parse_str("lab.yaml", text, &NoHostInterfaces).expect_err("refused");
    assert_eq!(p.kinds(), vec![InvalidValue], "{}", p.render_plain());
    assert_eq!(p.iter().next().map(|x| x.loc), Some(Loc::new(5, 23)));
}
