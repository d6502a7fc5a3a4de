//! Checks prove something only when they could be made: a negative check
//! (`a -x b`, `expect: fail`) passes when the probe went out and nothing
//! answered, and fails — like any check — when the probe could not be
//! made at all (a node's namespace gone, a socket that cannot be opened).

mod common;
use common::*;
use std::process::Command;

/// a and b share a link; c sits behind b on a subnet a has no route to.
const LAB: &str = "lab: negc
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.0.1/24] }
  b:
    interfaces:
      eth0: { addresses: [10.0.0.2/24] }
      eth1: { addresses: [10.0.1.2/24] }
  c:
    interfaces:
      eth0: { addresses: [10.0.1.3/24] }
links:
  - [a:eth0, b:eth0]
  - [b:eth1, c:eth0]
expect:
  - a -> b
  - a -x c
  - { from: a, to: 10.0.0.2:81, proto: tcp, expect: fail }
";

fn ip_netns_del(name: &str) {
    let ok = Command::new("ip")
        .args(["netns", "del", name])
        .status()
        .expect("ip netns del");
    assert!(ok.success(), "ip netns del {name}");
}

#[test]
fn negative_checks_fail_when_the_probe_could_not_be_made() {
    if !sandbox("negative_checks_fail_when_the_probe_could_not_be_made") {
        return;
    }
    let f = write("negc.yaml", LAB);
    // As built, every check holds: the negative ones because nothing
    // answers.
    nslab_ok(&["up", &f], 0);
    let first = nslab_ok(&["check", "negc"], 0);
    assert!(first.contains("3 passed, 0 failed"), "{first}");

    // The target's namespace is gone: `a -x c` proves nothing.
    ip_netns_del("negc-c");
    let o = nslab(&["check", "negc"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    let line = t
        .lines()
        .find(|l| l.contains("a -x 10.0.1.3"))
        .unwrap_or_else(|| panic!("no line for a -x c: {t}"));
    assert!(line.contains('✗'), "{line}");
    assert!(
        line.contains("could not probe") && line.contains("negc-c"),
        "{line}"
    );

    // The source's namespace is gone: every check from a fails, the
    // negative ones too, each naming the reason.
    ip_netns_del("negc-a");
    let o = nslab(&["check", "negc"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("0 passed, 3 failed"), "{t}");
    for l in t.lines().filter(|l| l.contains("a -")) {
        assert!(l.contains("could not probe: cannot enter node a"), "{l}");
    }
    nslab_ok(&["down", "negc"], 0);
    assert_nothing_left("negc");
}
