//! Docker's isolation between the machine's nslab CNI networks, through
//! the plugin as a runtime execs it (see `cni_contract.rs`): two
//! networks with a container each (namespaces made by the test) do not
//! forward to each other when both isolate (the default), do when either
//! says `isolate: false`, in whichever order they are made, and both
//! reach the outside (a namespace of the test behind the host); an
//! `internal` network forwards nothing in or out, even with a route its
//! container added itself, and still reaches its gateway. Each test runs
//! in its own sandbox.

#[path = "common/cni.rs"]
mod cni;
mod common;
use cni::{call, install, Req};
use common::*;
use serde_json::{json, Value};

fn conf(net: &str, subnet: &str, isolate: Option<bool>) -> Value {
    let mut c = json!({
        "cniVersion": "1.0.0", "name": net, "type": "nslab",
        "bridge": format!("br-{net}"), "subnets": [subnet],
    });
    if let Some(i) = isolate {
        c["isolate"] = json!(i);
    }
    c
}

/// Container `container` in namespace `ns` (made by the test).
fn req<'a>(container: &'a str, ns: &'a str) -> Req<'a> {
    sh(&format!("ip netns add {container}"));
    Req {
        container,
        netns: ns,
        ifname: "eth0",
    }
}

/// Whether `from` (a namespace) gets an answer from `to`.
fn pings(from: &str, to: &str) -> bool {
    sh(&format!(
        "ip netns exec {from} busybox ping -c1 -W1 {to} >/dev/null 2>&1 && echo PING-OK"
    ))
    .contains("PING-OK")
}

/// The outside: namespace `wan` behind the host's `wan0` (10.99.0.1/24,
/// `wan` 10.99.0.2/24, routing back to the host).
fn outside() {
    sh(
        "ip netns add wan; ip link add wan0 type veth peer name eth0 netns wan; \
        ip addr add 10.99.0.1/24 dev wan0; ip link set wan0 up; \
        ip -n wan addr add 10.99.0.2/24 dev eth0; ip -n wan link set eth0 up; \
        ip -n wan link set lo up; ip -n wan route add default via 10.99.0.1",
    );
}

/// Each pair of `isolate` settings, each order of making the networks:
/// a ping across is dropped both ways exactly when both isolate; the
/// outside is reached from both either way; nothing is left.
#[test]
fn two_networks_forward_to_each_other_only_if_one_opts_out() {
    if !sandbox("two_networks_forward_to_each_other_only_if_one_opts_out") {
        return;
    }
    install();
    outside();
    let r1 = req("c1", "/run/netns/c1");
    let r2 = req("c2", "/run/netns/c2");
    let table = [
        (None, None, false),
        (Some(true), Some(true), false),
        (Some(true), Some(false), true),
        (Some(false), None, true),
        (Some(false), Some(false), true),
    ];
    for (iso1, iso2, across) in table {
        for first in [1, 2] {
            let c1 = conf("n1", "10.7.1.0/24", iso1);
            let c2 = conf("n2", "10.7.2.0/24", iso2);
            if first == 1 {
                call("ADD", &r1, &c1).ok();
                call("ADD", &r2, &c2).ok();
            } else {
                call("ADD", &r2, &c2).ok();
                call("ADD", &r1, &c1).ok();
            }
            let case = format!("isolate {iso1:?}/{iso2:?}, n{first} made first");
            assert_eq!(pings("c1", "10.7.2.2"), across, "c1 -> c2: {case}");
            assert_eq!(pings("c2", "10.7.1.2"), across, "c2 -> c1: {case}");
            assert!(pings("c1", "10.99.0.2"), "c1 -> outside: {case}");
            assert!(pings("c2", "10.99.0.2"), "c2 -> outside: {case}");
            assert!(pings("c1", "10.7.1.1") && pings("c2", "10.7.2.1"), "{case}");
            call("DEL", &r1, &c1).ok();
            call("DEL", &r2, &c2).ok();
        }
    }
    nslab_ok(&["down", "n1"], 0);
    nslab_ok(&["down", "n2"], 0);
    sh("ip -all netns delete; ip link del wan0");
    assert_nothing_left("n1");
    assert_nothing_left("n2");
}

/// `internal: true`: with the host forwarding (another network switched
/// it on) and a default route the container added itself, nothing leaves
/// the network nor comes into it; its gateway answers; another network's
/// container is not reached either way.
#[test]
fn an_internal_network_forwards_nothing_in_or_out() {
    if !sandbox("an_internal_network_forwards_nothing_in_or_out") {
        return;
    }
    install();
    outside();
    let r3 = req("c3", "/run/netns/c3");
    let r4 = req("c4", "/run/netns/c4");
    let mut c3 = conf("in3", "10.5.0.0/24", Some(false));
    c3["internal"] = json!(true);
    let c4 = conf("out4", "10.6.0.0/24", Some(false));
    call("ADD", &r4, &c4).ok();
    call("ADD", &r3, &c3).ok();
    assert_eq!(sh("sysctl -n net.ipv4.ip_forward").trim(), "1");
    sh("ip -n c3 route add default via 10.5.0.1; ip -n wan route add 10.5.0.0/24 via 10.99.0.1");
    assert!(pings("c3", "10.5.0.1"), "the gateway");
    assert!(!pings("c3", "10.99.0.2"), "internal -> outside");
    assert!(!pings("wan", "10.5.0.2"), "outside -> internal");
    assert!(!pings("c3", "10.6.0.2"), "internal -> another network");
    assert!(!pings("c4", "10.5.0.2"), "another network -> internal");
    assert!(
        pings("c4", "10.99.0.2"),
        "the other network reaches outside"
    );
    call("DEL", &r3, &c3).ok();
    call("DEL", &r4, &c4).ok();
    nslab_ok(&["down", "in3"], 0);
    nslab_ok(&["down", "out4"], 0);
    sh("ip -all netns delete; ip link del wan0");
    assert_nothing_left("in3");
    assert_nothing_left("out4");
}
