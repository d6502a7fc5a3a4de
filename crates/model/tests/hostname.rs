//! `hostname:`: the node's name by default; what `sethostname` and
//! resolvers take, everything else refused at its place.

use nslab_model::{parse_str, NoHostInterfaces, NodeName, ProblemKind::*};

fn hostname(h: &str) -> Result<String, Vec<nslab_model::ProblemKind>> {
    let text = format!("lab: l\nnodes:\n  a:\n    hostname: {h}\n");
    parse_str("lab.yaml", &text, &NoHostInterfaces)
        .map(|t| t.nodes["a"].hostname_of(&"a".parse::<NodeName>().expect("a name")))
        .map_err(|p| p.kinds())
}

#[test]
fn host_names_as_sethostname_and_resolvers_take_them() {
    let long_label = "x".repeat(63);
    for ok in ["r1", "R1", "db-1.example", "1host", long_label.as_str()] {
        assert_eq!(hostname(ok), Ok(ok.to_string()), "{ok}");
    }
    let too_long = format!("{}.{}", "x".repeat(40), "y".repeat(30));
    let label_too_long = "x".repeat(64);
    for bad in [
        "-r1",
        "r1-",
        "r_1",
        "a..b",
        ".a",
        "a b",
        "\"\"",
        too_long.as_str(),
        label_too_long.as_str(),
    ] {
        assert_eq!(hostname(bad), Err(vec![InvalidName]), "{bad}");
    }
}

#[test]
fn the_default_is_the_node_name_and_the_host_node_has_none() {
    let t = parse_str("x", "lab: l\nnodes:\n  web: {}\n", &NoHostInterfaces).expect("valid");
    let web = "web".parse::<NodeName>().expect("a name");
    assert_eq!(t.nodes["web"].hostname_of(&web), "web");
    let p = parse_str(
        "x",
        "lab: l\nnodes:\n  h: { kind: host, hostname: x }\n",
        &NoHostInterfaces,
    )
    .expect_err("refused");
    assert_eq!(p.kinds(), vec![InvalidValue], "{}", p.render_plain());
}
