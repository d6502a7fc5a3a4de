//! A fault's target is resolved only from the lab's record: a node the lab
//! as it is up does not have (named only in another file of the same lab,
//! or removed meanwhile by an `up` of another file) is refused with exit
//! 2, for every fault kind and every scenario step that names a node —
//! and the host (here: the sandbox's own network namespace) is never
//! touched in its place. The sandbox gets an `eth0` of its own (a veth,
//! up, with a pfifo root qdisc) so that acting on "the host's eth0" would
//! show.

mod common;
use common::*;
use std::time::{Duration, Instant};

/// Lab g as brought up: a and b.
const G: &str = "lab: g
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.1.1/24] }
  b:
    interfaces:
      eth0: { addresses: [10.0.1.2/24] }
links:
  - [a:eth0, b:eth0]
";

/// The same lab, with a node x more (x:eth0 is the far end of a:eth1).
const G2: &str = "lab: g
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.1.1/24] }
      eth1: { addresses: [10.0.2.1/24] }
  b:
    interfaces:
      eth0: { addresses: [10.0.1.2/24] }
  x:
    interfaces:
      eth0: { addresses: [10.0.2.2/24] }
links:
  - [a:eth0, b:eth0]
  - [a:eth1, x:eth0]
scenarios:
  on-x:
    - wait: 2s
    - link: x:eth0 down
    - link: a:eth1 down both
    - stop: x
    - partition: [[a], [x]]
    - exec: { node: x, cmd: \"ip link set eth0 down\", exit: 0 }
    - expect: [x -> a]
";

/// The sandbox's own network, as `ip` and `tc` show it (counters left
/// out), and whether a partition table of lab g is in it.
fn host_now() -> String {
    let nft = nslab_nft::Socket::open()
        .expect("netfilter socket")
        .table_exists("nslab-g-partition")
        .expect("list tables");
    format!(
        "{}\n{}\n{}\n{}\npartition table: {nft}",
        sh("ip -o link show | sed 's/ qlen.*//'"),
        sh("ip -o addr show"),
        sh("ip route show table all"),
        sh("tc qdisc show"),
    )
}

/// A veth `eth0` in the sandbox's own namespace, up, with a qdisc.
fn give_the_host_an_eth0() {
    // No IPv6 on it: its link-local address would change state (DAD)
    // between two looks.
    let out = sh("ip link add eth0 type veth peer name eth0p && \
         sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1 net.ipv6.conf.eth0p.disable_ipv6=1 && \
         ip link set eth0 up && ip link set eth0p up && \
         tc qdisc replace dev eth0 root pfifo limit 100 && echo done");
    assert!(out.contains("done"), "{out}");
}

/// Every fault command naming x (or reaching x through --both): refused
/// with exit 2, nothing of the host changed.
fn every_fault_kind_on_x_is_refused(file: &str, why: &str) {
    let cases: &[&[&str]] = &[
        &["link", file, "x:eth0", "down"],
        &["link", file, "x:eth0", "up"],
        &["link", file, "a:eth1", "down", "--both"],
        &["impair", file, "x:eth0", "--delay", "10ms"],
        &["impair", file, "x:eth0", "--clear"],
        &["partition", file, "a", "x"],
        &["partition", file, "a,b", "x", "--one-way"],
        &["stop", file, "x"],
        &["start", file, "x"],
    ];
    for args in cases {
        let before = host_now();
        let o = nslab(args);
        let after = host_now();
        let show = nslab_ok(&["show", "g"], 0);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{why}: nslab {} exited {:?}:\n{}",
            args.join(" "),
            o.status.code(),
            text(&o)
        );
        assert!(
            text(&o).contains("node x"),
            "{why}: nslab {}: the refusal names x:\n{}",
            args.join(" "),
            text(&o)
        );
        assert_eq!(
            before,
            after,
            "{why}: nslab {} changed the host",
            args.join(" ")
        );
        assert!(!show.contains("faults"), "{why}: {show}");
    }
}

#[test]
fn a_node_only_in_another_file_is_refused_never_the_host() {
    if !sandbox("a_node_only_in_another_file_is_refused_never_the_host") {
        return;
    }
    give_the_host_an_eth0();
    let g = write("g.yaml", G);
    let g2 = write("g2.yaml", G2);
    nslab_ok(&["up", &g], 0);
    every_fault_kind_on_x_is_refused(&g2, "x only in another file");
    // Removed meanwhile: brought up with x, then an up of g removes it.
    nslab_ok(&["up", &g2], 0);
    nslab_ok(&["up", &g], 0);
    every_fault_kind_on_x_is_refused(&g2, "x removed by an up");
    nslab_ok(&["down", "g"], 0);
    assert_nothing_left("g");
}

/// `nslab test` of the file with x, while another shell's `up` removes x
/// during the scenario's first step: every later step naming x fails, and
/// the host is as it was.
#[test]
fn scenario_steps_on_a_node_removed_meanwhile_touch_nothing_else() {
    if !sandbox("scenario_steps_on_a_node_removed_meanwhile_touch_nothing_else") {
        return;
    }
    give_the_host_an_eth0();
    let g = write("g.yaml", G);
    let g2 = write("g2.yaml", G2);
    nslab_ok(&["up", &g2], 0);
    let before = host_now();
    let test = spawn(&["test", &g2, "--keep-going"]);
    // The scenario is in its `wait: 2s` now.
    std::thread::sleep(Duration::from_millis(700));
    let t = Instant::now();
    nslab_ok(&["up", &g], 0);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "the up ran during the wait step"
    );
    let (code, out, err) = finish(test);
    let after = host_now();
    nslab_ok(&["down", "g"], 0);
    assert_nothing_left("g");
    assert_eq!(before, after, "the scenario changed the host:\n{out}{err}");
    assert_eq!(code, Some(1), "{out}{err}");
    for step in [
        "link x:eth0 down",
        "link a:eth1 down (both ends)",
        "stop x",
        "partition a | x",
        "exec in x",
        "expect x -> a",
    ] {
        let line = out
            .lines()
            .find(|l| l.contains(step))
            .unwrap_or_else(|| panic!("no line for {step}:\n{out}"));
        assert!(line.contains('✗'), "{step} did not fail:\n{out}");
    }
}
