//! Every example in examples/ brought up for real in a sandbox (`up
//! --check`, then `check` again): the
//! reachability its tutorial shows (and the failures it shows), `plan
//! --exit-code` is 0 afterwards, and `down` leaves nothing behind.

mod common;
use common::*;

/// up, check, plan --exit-code, down, and nothing left.
fn run_example(file: &str, lab: &str) {
    let path = examples().join(file);
    let path = path.to_str().expect("utf-8 path");
    nslab_ok(&["validate", path], 0);
    let up = nslab_ok(&["up", "--check", path], 0);
    assert!(up.contains(&format!("lab {lab} is up")), "{up}");
    let check = nslab(&["check", lab]);
    let check_text = text(&check);
    let plan = nslab(&["plan", "--exit-code", path]);
    let plan_text = text(&plan);
    let show = nslab_ok(&["show", lab], 0);
    // Always take the lab down, then judge.
    nslab_ok(&["down", lab], 0);
    assert_nothing_left(lab);
    assert_eq!(
        check.status.code(),
        Some(0),
        "checks of {file} failed:\n{check_text}"
    );
    assert!(check_text.contains(" 0 failed"), "{check_text}");
    assert_eq!(
        plan.status.code(),
        Some(0),
        "plan after up is not empty for {file}:\n{plan_text}\n{show}"
    );
}

#[test]
fn example_loopback() {
    if sandbox("example_loopback") {
        run_example("loopback.yaml", "loopback");
    }
}

#[test]
fn example_veth_pair() {
    if sandbox("example_veth_pair") {
        run_example("veth-pair.yaml", "veth");
    }
}

#[test]
fn example_bridge() {
    if sandbox("example_bridge") {
        run_example("bridge.yaml", "bridge");
    }
}

#[test]
fn example_macvlan() {
    if sandbox("example_macvlan") {
        run_example("macvlan.yaml", "mv");
    }
}

#[test]
fn example_vxlan() {
    if sandbox("example_vxlan") {
        run_example("vxlan.yaml", "vxlan");
    }
}

#[test]
fn example_docker_bridge() {
    if sandbox("example_docker_bridge") {
        run_example("docker-bridge.yaml", "docker");
    }
}

/// Docker's isolation of networks (issue 18, item 2): the example's
/// checks show two networks not reaching each other unless one says
/// `isolate: false`, and an internal network reaching nothing outside.
#[test]
fn example_isolation() {
    if sandbox("example_isolation") {
        run_example("isolation.yaml", "iso");
    }
}

#[test]
fn example_nat_gateway() {
    if sandbox("example_nat_gateway") {
        run_example("nat-gateway.yaml", "natgw");
    }
}

/// An example with scenarios: `nslab test` passes them all, its JUnit
/// file is well-formed with one suite per scenario, and nothing is left
/// in force (then `run_example` on a fresh lab).
fn run_scenarios(file: &str, lab: &str, scenarios: usize) {
    let path = examples().join(file);
    let path = path.to_str().expect("utf-8 path");
    nslab_ok(&["up", path], 0);
    let out = nslab(&["test", lab, "--junit", "/run/junit.xml"]);
    let junit = std::fs::read_to_string("/run/junit.xml").unwrap_or_default();
    let show = nslab_ok(&["show", lab], 0);
    nslab_ok(&["down", lab], 0);
    assert_nothing_left(lab);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    well_formed(&junit).unwrap_or_else(|e| panic!("{e}:\n{junit}"));
    assert_eq!(junit.matches("<testsuite ").count(), scenarios, "{junit}");
    assert!(
        !junit.contains("<failure") && !junit.contains("<skipped"),
        "{junit}"
    );
    assert!(!show.contains("faults"), "{show}");
    run_example(file, lab);
}

#[test]
fn example_failover() {
    if sandbox("example_failover") {
        run_scenarios("failover.yaml", "failover", 2);
    }
}

#[test]
fn example_partition() {
    if sandbox("example_partition") {
        run_scenarios("partition.yaml", "replicas", 2);
    }
}

#[test]
#[ignore = "needs 802.1Q VLAN, which this kernel lacks; runs in the VM lane (tests/vm/run)"]
fn vm_example_vlan() {
    if sandbox("vm_example_vlan") {
        run_example("vlan.yaml", "vlan");
    }
}

/// The host lane runs this example too (`example_macvlan`); the VM lane
/// runs it again to prove all four modes, passthru included, on a stock
/// Debian kernel.
#[test]
#[ignore = "VM lane (tests/vm/run): macvlan modes on a stock Debian kernel; example_macvlan covers this kernel"]
fn vm_example_macvlan() {
    if sandbox("vm_example_macvlan") {
        run_example("macvlan.yaml", "mv");
    }
}

#[test]
#[ignore = "needs IPVLAN, which this kernel lacks; runs in the VM lane (tests/vm/run)"]
fn vm_example_ipvlan() {
    if sandbox("vm_example_ipvlan") {
        run_example("ipvlan.yaml", "ipv");
    }
}

/// Reachability through a VRF (a router's interfaces in table 10, a route
/// there to a dummy's address), and nothing to do on a second `up`.
#[test]
#[ignore = "needs dummy and VRF, which this kernel lacks; runs in the VM lane (tests/vm/run)"]
fn vm_example_vrf() {
    if sandbox("vm_example_vrf") {
        run_example("vrf.yaml", "vrf");
    }
}

/// `show` names each veth's peer as node:interface, and the bridge port's
/// master, as read back from the kernel.
#[test]
fn show_names_veth_peers_and_masters() {
    if !sandbox("show_names_veth_peers_and_masters") {
        return;
    }
    let path = examples().join("bridge.yaml");
    let path = path.to_str().expect("utf-8 path");
    nslab_ok(&["up", path], 0);
    let show = nslab_ok(&["show", "bridge"], 0);
    let json = nslab_ok(&["show", "bridge", "--json"], 0);
    nslab_ok(&["down", "bridge"], 0);
    assert_nothing_left("bridge");
    let line = show
        .lines()
        .find(|l| l.trim_start().starts_with("veth1 "))
        .unwrap_or_else(|| panic!("{show}"));
    assert!(
        line.contains("peer net1:eth1") && line.contains("master js"),
        "{line}"
    );
    let v: serde_json::Value = serde_json::from_str(json.trim()).expect("show --json is JSON");
    assert_eq!(
        v["nodes"]["net1"]["links"]["eth1"]["kind"]["peer"]["node"], "sw",
        "{v}"
    );
}

/// `ip netns` sees the lab's namespaces, and `nslab exec` behaves like
/// `ip netns exec` (its exit status, the node's interfaces in /sys).
#[test]
fn namespaces_are_ip_netns_compatible() {
    if !sandbox("namespaces_are_ip_netns_compatible") {
        return;
    }
    let path = examples().join("veth-pair.yaml");
    let path = path.to_str().expect("utf-8 path");
    nslab_ok(&["up", path], 0);
    let list = sh("ip netns list");
    let exec_ip = sh("ip netns exec veth-net1 ip -br addr");
    let sys = nslab(&["exec", "veth", "net1", "--", "ls", "/sys/class/net"]);
    let status = nslab(&["exec", "veth", "net2", "--", "sh", "-c", "exit 7"]);
    nslab_ok(&["down", "veth"], 0);
    assert_nothing_left("veth");
    assert!(
        list.contains("veth-net1") && list.contains("veth-net2"),
        "{list}"
    );
    assert!(exec_ip.contains("10.0.1.1/24"), "{exec_ip}");
    let sys = text(&sys);
    assert!(sys.contains("veth1") && !sys.contains("veth2"), "{sys}");
    assert_eq!(status.status.code(), Some(7));
}

/// Running `up` twice changes nothing the second time.
#[test]
fn up_twice_changes_nothing() {
    if !sandbox("up_twice_changes_nothing") {
        return;
    }
    let path = examples().join("macvlan.yaml");
    let path = path.to_str().expect("utf-8 path");
    nslab_ok(&["up", path], 0);
    let second = nslab_ok(&["up", path], 0);
    nslab_ok(&["down", "mv"], 0);
    assert_nothing_left("mv");
    assert!(second.contains("0 operation(s)"), "{second}");
}

/// `down` finds a lab by ownership even when its state file is gone.
#[test]
fn down_without_state_file_still_removes_everything() {
    if !sandbox("down_without_state_file_still_removes_everything") {
        return;
    }
    let path = examples().join("bridge.yaml");
    let path = path.to_str().expect("utf-8 path");
    nslab_ok(&["up", path], 0);
    let listed = nslab_ok(&["ls"], 0);
    std::fs::remove_dir_all("/run/nslab/bridge").expect("remove state");
    let unrecorded = nslab_ok(&["ls"], 0);
    nslab_ok(&["down", "bridge"], 0);
    let after = nslab_ok(&["ls"], 0);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("bridge") && l.contains(" 3 ") && l.contains("ok")),
        "{listed}"
    );
    assert!(
        unrecorded
            .lines()
            .any(|l| l.starts_with("bridge") && l.contains("unrecorded")),
        "{unrecorded}"
    );
    assert!(unrecorded.contains("no record"), "{unrecorded}");
    assert!(after.contains("no labs are up"), "{after}");
    assert_nothing_left("bridge");
}

/// The addresses IPv6 gives `ns`'s links, and each link's address
/// generation mode, as `ip` reads them.
fn ipv6_of(ns: &str) -> (String, String) {
    (
        sh(&format!("ip -n {ns} -o -6 addr show scope link")),
        sh(&format!("ip -n {ns} -d -o link show")),
    )
}

/// Bridge ports and the members of an IPv4-only network get no IPv6
/// link-local address (addrgenmode none, set before they go up, as the
/// plan shows), so none of them floods the bridge with neighbour and
/// router solicitations as the lab comes up; every other interface keeps
/// the kernel's default, and the lab converges.
#[test]
fn ports_and_ipv4_only_members_are_quiet_in_ipv6() {
    if !sandbox("ports_and_ipv4_only_members_are_quiet_in_ipv6") {
        return;
    }
    let path = examples().join("docker-bridge.yaml");
    let path = path.to_str().expect("utf-8 path");
    let plan = nslab_ok(&["plan", path], 0);
    nslab_ok(&["up", path], 0);
    // The kernel adds a link-local address as a link goes up; wait for the
    // one the docker node's bridge gets, then look at every node.
    for _ in 0..100 {
        if ipv6_of("docker-docker").0.contains("docker0") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let docker = ipv6_of("docker-docker");
    let nginx = ipv6_of("docker-nginx");
    let internet = ipv6_of("docker-internet");
    let again = nslab(&["plan", "--exit-code", path]);
    nslab_ok(&["down", "docker"], 0);
    assert_nothing_left("docker");

    let member = plan
        .lines()
        .find(|l| l.starts_with("ip -n docker-nginx link set eth0"))
        .unwrap_or_else(|| panic!("{plan}"));
    assert!(member.ends_with("addrgenmode none up"), "{plan}");
    assert_eq!(
        plan.lines()
            .filter(|l| l.contains("master docker0 addrgenmode none"))
            .count(),
        2,
        "{plan}"
    );
    // The bridge and the docker node's uplink keep theirs; ports none.
    assert!(
        docker.0.contains("docker0") && docker.0.contains("ens41"),
        "{docker:?}"
    );
    assert!(!docker.0.contains("veth"), "{docker:?}");
    let port_modes = docker
        .1
        .lines()
        .filter(|l| l.contains(": veth"))
        .map(|l| l.contains("addrgenmode none"))
        .collect::<Vec<_>>();
    assert_eq!(port_modes, vec![true, true], "{docker:?}");
    assert!(!nginx.0.contains("eth0"), "{nginx:?}");
    assert!(nginx.1.contains("addrgenmode none"), "{nginx:?}");
    assert!(internet.1.contains("addrgenmode eui64"), "{internet:?}");
    assert!(!internet.1.contains("addrgenmode none"), "{internet:?}");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
}
