//! A node's loopback addresses (`lo: { addresses }`) on a real kernel: a
//! route to another node's loopback /32 (/128) reaches it, `plan` is empty
//! after `up`, an address taken out of the file is taken off `lo` (and is
//! then unreachable), and `down` leaves nothing.

mod common;
use common::*;

const LAB: &str = "lb";

fn file(lo: &str) -> String {
    format!(
        r#"lab: {LAB}
nodes:
  a:
    lo: {lo}
    interfaces:
      eth0: {{ addresses: [10.0.0.1/24, "fd00::1/64"] }}
  b:
    interfaces:
      eth0: {{ addresses: [10.0.0.2/24, "fd00::2/64"] }}
    routes:
      - 10.255.0.1/32 via 10.0.0.1
      - fd00:ff::1/128 via fd00::1
links:
  - [a:eth0, b:eth0]
"#
    )
}

fn lo_addrs() -> String {
    sh(&format!("ip -n {LAB}-a -br addr show dev lo"))
}

#[test]
fn a_route_to_a_loopback_address_reaches_it() {
    if !sandbox("a_route_to_a_loopback_address_reaches_it") {
        return;
    }
    let both = file("{ up: true, addresses: [10.255.0.1/32, \"fd00:ff::1/128\"] }");
    let both = format!(
        "{both}expect:\n  - {{ check: b -> 10.255.0.1, within: 5s }}\n  - {{ check: b -> fd00:ff::1, within: 5s }}\n"
    );
    let f = write("both.yaml", &both);
    nslab_ok(&["up", &f, "--check"], 0);
    let lo = lo_addrs();
    assert!(
        lo.contains("10.255.0.1/32") && lo.contains("fd00:ff::1/128"),
        "{lo}"
    );
    nslab_ok(&["plan", &f, "--exit-code"], 0);
    let show = nslab_ok(&["show", LAB, "a"], 0);
    assert!(
        show.lines()
            .any(|l| l.trim_start().starts_with("lo ") && l.contains("10.255.0.1/32")),
        "{show}"
    );

    // The IPv4 address leaves the file: it leaves `lo`, and b's route to
    // it leads nowhere.
    let one = file("{ addresses: [\"fd00:ff::1/128\"] }");
    let one = format!(
        "{one}expect:\n  - b -x 10.255.0.1\n  - {{ check: b -> fd00:ff::1, within: 5s }}\n"
    );
    let g = write("one.yaml", &one);
    nslab_ok(&["up", &g, "--check"], 0);
    let lo = lo_addrs();
    assert!(
        !lo.contains("10.255.0.1") && lo.contains("fd00:ff::1/128"),
        "{lo}"
    );
    assert!(lo.contains("127.0.0.1/8"), "the kernel's own stays: {lo}");
    nslab_ok(&["plan", &g, "--exit-code"], 0);

    // `lo: up` alone: the lab has no address on lo any more.
    let none = write("none.yaml", &file("up"));
    nslab_ok(&["up", &none], 0);
    assert!(!lo_addrs().contains("fd00:ff::1"), "{}", lo_addrs());
    nslab_ok(&["plan", &none, "--exit-code"], 0);

    nslab_ok(&["down", LAB], 0);
    assert_nothing_left(LAB);
}
