//! The promises around a lab's life: a failed `up` undoes itself and says
//! what failed where; an `up` killed half-way is still taken down whole;
//! `up` reconciles a changed file; `kind: host` and `physical` touch the
//! namespace nslab runs in and give back what they took; no `ip`-family
//! process is ever started.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write topology");
    p.to_str().expect("utf-8").to_string()
}

fn tmp() -> std::path::PathBuf {
    // Inside the sandbox /run is a private tmpfs.
    let d = Path::new("/run/test-files");
    std::fs::create_dir_all(d).expect("mkdir");
    d.to_path_buf()
}

/// An interface that is down has no connected route, so the kernel refuses
/// a route via it — half-way through `up`, after namespaces and links
/// exist. Everything must be undone, and the error must name the
/// operation, the node and the kernel's words.
#[test]
fn a_failure_half_way_is_undone_and_explained() {
    if !sandbox("a_failure_half_way_is_undone_and_explained") {
        return;
    }
    let f = write(
        &tmp(),
        "fail.yaml",
        "lab: fail\nnodes:\n  h1:\n    interfaces:\n      eth0: { addresses: [10.0.0.1/24], up: false }\n    routes: [10.9.0.0/16 via 10.0.0.254]\n  h2:\n    interfaces:\n      eth0: { addresses: [10.0.0.2/24] }\nlinks:\n  - [h1:eth0, h2:eth0]\n",
    );
    let o = nslab(&["up", &f]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("route add 10.9.0.0/16 via 10.0.0.254"),
        "names the operation: {t}"
    );
    assert!(t.contains("node h1"), "names the node: {t}");
    assert!(
        t.to_lowercase().contains("unreachable") || t.contains("invalid gateway"),
        "kernel's words: {t}"
    );
    assert!(t.contains("undid"), "says it rolled back: {t}");
    assert_nothing_left("fail");
    assert!(!Path::new("/run/nslab/fail").exists());
}

/// Kill `up` with SIGKILL part-way through a large lab: `down` still
/// removes every namespace and the state.
#[test]
fn down_after_a_killed_up_leaves_nothing() {
    if !sandbox("down_after_a_killed_up_leaves_nothing") {
        return;
    }
    let mut y =
        String::from("lab: killed\nnodes:\n  sw:\n    interfaces:\n      br0: { kind: bridge }\n");
    for i in 0..150 {
        y.push_str(&format!("      p{i}: {{ master: br0 }}\n"));
    }
    for i in 0..150 {
        y.push_str(&format!(
            "  h{i}:\n    interfaces:\n      eth0: {{ addresses: [10.1.{}.{}/16] }}\n",
            i / 200,
            i % 200 + 1
        ));
    }
    y.push_str("links:\n");
    for i in 0..150 {
        y.push_str(&format!("  - [sw:p{i}, h{i}:eth0]\n"));
    }
    let f = write(&tmp(), "killed.yaml", &y);
    let mut child = Command::new(nslab_bin())
        .args(["up", &f])
        .spawn()
        .expect("spawn up");
    // Kill it once it has begun to change the kernel (a fixed delay
    // would, on a busy machine, kill it before it did anything at all).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_dir("/run/netns").map_or(0, |d| d.count()) < 10
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let _ = child.kill();
    let status = child.wait().expect("wait for up");
    assert!(
        !status.success(),
        "up finished before it could be killed: the test proves nothing"
    );
    let made = std::fs::read_dir("/run/netns")
        .map(|d| d.count())
        .unwrap_or(0);
    eprintln!("namespaces when up was killed: {made}");
    nslab_ok(&["down", "killed"], 0);
    assert_nothing_left("killed");
}

/// Changing the file and running `up` again changes exactly that.
#[test]
fn up_reconciles_a_changed_file() {
    if !sandbox("up_reconciles_a_changed_file") {
        return;
    }
    let d = tmp();
    let v1 = "lab: rec\nnodes:\n  a:\n    interfaces:\n      eth0: { addresses: [10.0.0.1/24] }\n  b:\n    interfaces:\n      eth0: { addresses: [10.0.0.2/24] }\n  c: {}\nlinks:\n  - [a:eth0, b:eth0]\n";
    let v2 = "lab: rec\nnodes:\n  a:\n    interfaces:\n      eth0: { addresses: [10.0.0.1/24, 10.0.1.1/24], mtu: 1400 }\n  b:\n    interfaces:\n      eth0: { addresses: [10.0.1.2/24], mtu: 1400 }\n    routes: [default via 10.0.1.1]\nlinks:\n  - [a:eth0, b:eth0]\n";
    let f1 = write(&d, "v1.yaml", v1);
    let f2 = write(&d, "v2.yaml", v2);
    nslab_ok(&["up", &f1], 0);
    let plan = nslab_ok(&["plan", &f2], 0);
    nslab_ok(&["up", &f2], 0);
    let again = nslab(&["plan", "--exit-code", &f2]);
    let addr_b = sh("ip netns exec rec-b ip -4 -o addr show dev eth0");
    let route_b = sh("ip netns exec rec-b ip route show default");
    let mtu_a = sh("ip netns exec rec-a cat /sys/class/net/eth0/mtu");
    let list = sh("ip netns list");
    nslab_ok(&["down", "rec"], 0);
    assert_nothing_left("rec");
    assert!(plan.contains("ip netns del rec-c"), "{plan}");
    assert!(plan.contains("addr del 10.0.0.2/24 dev eth0"), "{plan}");
    assert!(!plan.contains("link add"), "nothing is recreated: {plan}");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        addr_b.contains("10.0.1.2/24") && !addr_b.contains("10.0.0.2"),
        "{addr_b}"
    );
    assert!(route_b.contains("default via 10.0.1.1"), "{route_b}");
    assert!(!list.contains("rec-c"), "{list}");
    assert_eq!(mtu_a.trim(), "1400", "the MTU was changed in place");
}

/// `kind: host`: a bridge and a veth end in the namespace nslab runs in
/// (here the sandbox's), removed by `down`, nothing else touched.
#[test]
fn host_node_objects_are_tagged_and_removed() {
    if !sandbox("host_node_objects_are_tagged_and_removed") {
        return;
    }
    // Something of the "host" that is not the lab's: must survive.
    sh("ip link add keepme type bridge");
    let f = write(
        &tmp(),
        "host.yaml",
        "lab: hst\nnodes:\n  me:\n    kind: host\n    nat:\n      masquerade: [{ from: 10.7.0.0/24, not-out: hbr0 }]\n    interfaces:\n      hbr0: { kind: bridge, addresses: [10.7.0.1/24] }\n      hv0: { master: hbr0 }\n  h1:\n    interfaces:\n      eth0: { addresses: [10.7.0.2/24] }\n    routes: [default via 10.7.0.1]\nlinks:\n  - [me:hv0, h1:eth0]\nexpect:\n  - h1 -> 10.7.0.1\n",
    );
    nslab_ok(&["up", &f], 0);
    let links = sh("ip -d link show hbr0");
    let rules = sh("nft list ruleset");
    let check = nslab(&["check", "hst"]);
    nslab_ok(&["down", "hst"], 0);
    assert_nothing_left("hst");
    assert!(links.contains("alias nslab:hst"), "{links}");
    assert!(
        rules.contains("table inet nslab-hst") && rules.contains("masquerade"),
        "{rules}"
    );
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(
        sh("ip link show keepme").contains("keepme"),
        "a link the lab does not own was touched"
    );
    assert!(sh("ip link show hbr0").contains("does not exist"));
}

/// `physical`: an interface of the namespace nslab runs in is moved into a
/// node under a new name, with the file's MTU and addresses; while it is
/// there `up`, `plan` and `down` of the same file work; `down` gives it
/// back as it was (name, MTU, addresses, admin state). When its name was
/// taken meanwhile, it comes back under a free name derived from it, and
/// `down` says so.
#[test]
fn physical_interfaces_are_moved_in_and_given_back() {
    if !sandbox("physical_interfaces_are_moved_in_and_given_back") {
        return;
    }
    // Stand-ins for NICs: a veth pair in the sandbox's own namespace.
    sh(
        "ip link add ens41 type veth peer name ens42 && ip link set ens41 mtu 1400 \
        && ip addr add 192.0.2.7/24 dev ens41 && ip link set ens42 up && ip link set ens41 up",
    );
    let as_it_was = |name: &str| {
        let link = sh(&format!("ip -o link show {name}"));
        let addrs = sh(&format!("ip -br addr show {name}"));
        assert!(link.contains("mtu 1400"), "{name}: {link}");
        assert!(link.contains(",UP"), "{name} is up again: {link}");
        assert!(
            addrs.contains("192.0.2.7/24") && !addrs.contains("10.8.0.1"),
            "{addrs}"
        );
    };
    let f = write(
        &tmp(),
        "phys.yaml",
        "lab: phys\nnodes:\n  n1:\n    interfaces:\n      wan: { kind: physical, from: ens41, mtu: 1300, addresses: [10.8.0.1/24] }\n",
    );
    nslab_ok(&["up", &f], 0);
    let inside =
        sh("ip netns exec phys-n1 ip -o addr show wan; ip netns exec phys-n1 ip -o link show wan");
    assert!(inside.contains("10.8.0.1/24"), "{inside}");
    assert!(!inside.contains("192.0.2.7"), "{inside}");
    assert!(inside.contains("mtu 1300"), "the file's MTU: {inside}");
    assert!(sh("ip link show ens41").contains("does not exist"));
    // While it is in the node, the file still validates and plans.
    nslab_ok(&["validate", &f], 0);
    nslab_ok(&["plan", &f, "--exit-code"], 0);
    nslab_ok(&["up", &f], 0);
    nslab_ok(&["down", &f], 0);
    assert_nothing_left("phys");
    as_it_was("ens41");

    // Its name taken while it was away: back under a free name, said so.
    nslab_ok(&["up", &f], 0);
    sh("ip link add ens41 type veth peer name ens43");
    let out = nslab_ok(&["down", "phys"], 0);
    assert!(out.contains("ens41-1") && out.contains("taken"), "{out}");
    assert_nothing_left("phys");
    as_it_was("ens41-1");
    assert!(
        sh("ip -o link show ens41").contains("ens43"),
        "the newcomer is left alone"
    );
    // Nothing to lose on a second `down`: the lab is gone, the interface is
    // in the host.
    let again = nslab_ok(&["down", "phys"], 0);
    assert!(again.contains("lab phys is not up"), "{again}");
    as_it_was("ens41-1");

    // The record lost: the interface's mark still says what it is, so the
    // file validates and plans, and `down` gives it back under its name
    // (its former MTU and addresses were only in the record).
    sh("ip link del ens41 && ip link set ens41-1 name ens41");
    nslab_ok(&["up", &f], 0);
    std::fs::write("/run/nslab/phys/state.json", "{").expect("corrupt");
    nslab_ok(&["validate", &f], 0);
    nslab_ok(&["plan", &f, "--exit-code"], 0);
    nslab_ok(&["up", &f], 0);
    std::fs::remove_file("/run/nslab/phys/state.json").expect("lose the record");
    nslab_ok(&["down", "phys"], 0);
    assert_nothing_left("phys");
    let back = sh("ip -d link show ens41");
    assert!(
        back.contains("ens41@ens42") && !back.contains("nslab"),
        "{back}"
    );
}

/// Every interface setting this kernel supports, read back by `ip`, and
/// `up` twice changes nothing: tap with owner, MAC, MTU on a link, bridge
/// STP and ageing, hairpin, `up: false`, routes in both forms and both
/// families, sysctls, forwarding, `lo: down`, a custom `netns:` name.
#[test]
fn every_setting_is_applied_and_read_back() {
    if !sandbox("every_setting_is_applied_and_read_back") {
        return;
    }
    let f = write(
        &tmp(),
        "all.yaml",
        r#"lab: all
nodes:
  r:
    netns: custom-r
    forwarding: true
    sysctls:
      net.ipv4.conf.all.rp_filter: 2
    interfaces:
      br0: { kind: bridge, stp: true, ageing: 120, addresses: [10.1.0.1/24, "fd01::1/64"] }
      p1: { master: br0, hairpin: true }
      t0: { kind: tap, owner: 1000, mtu: 1400, up: false }
      e2: { mac: "02:00:00:00:00:02", addresses: [10.2.0.1/24] }
  h:
    lo: down
    interfaces:
      e1: { addresses: [10.1.0.2/24, "fd01::2/64"] }
    routes:
      - default via 10.1.0.1
      - "fd02::/64 via fd01::1 metric 50"
      - { to: 10.9.0.0/16, dev: e1 }
  x:
    interfaces:
      e2: { addresses: [10.2.0.2/24] }
links:
  - [r:p1, h:e1]
  - endpoints: [r:e2, x:e2]
    mtu: 9000
"#,
    );
    nslab_ok(&["up", &f], 0);
    let again = nslab_ok(&["plan", "--exit-code", &f], 0);
    let r = |cmd: &str| sh(&format!("ip netns exec custom-r {cmd}"));
    let br = r("ip -d link show br0");
    let p1 = r("ip -d link show p1");
    let t0 = r("ip -d link show t0");
    let owner = r("cat /sys/class/net/t0/owner");
    let e2 = r("ip -d link show e2");
    let fwd = r("cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding /proc/sys/net/ipv4/conf/all/rp_filter");
    let routes4 = sh("ip netns exec all-h ip route");
    let routes6 = sh("ip netns exec all-h ip -6 route");
    let lo = sh("ip netns exec all-h ip link show lo");
    let x_mtu = sh("ip netns exec all-x cat /sys/class/net/e2/mtu");
    nslab_ok(&["down", "all"], 0);
    assert_nothing_left("all");
    assert!(
        again.contains("nothing to do") || again.is_empty(),
        "{again}"
    );
    assert!(
        br.contains("stp_state 1") && br.contains("ageing_time 12000"),
        "{br}"
    );
    assert!(
        p1.contains("master br0") && p1.contains("hairpin on"),
        "{p1}"
    );
    assert!(
        t0.contains("tun type tap") && t0.contains("mtu 1400"),
        "{t0}"
    );
    assert_eq!(owner.trim(), "1000", "tap owner");
    assert!(!t0.contains(",UP"), "up: false is honoured: {t0}");
    assert!(
        e2.contains("02:00:00:00:00:02") && e2.contains("mtu 9000"),
        "{e2}"
    );
    assert_eq!(x_mtu.trim(), "9000", "a link's mtu is on both ends");
    assert_eq!(
        fwd.split_whitespace().collect::<Vec<_>>(),
        ["1", "1", "2"],
        "{fwd}"
    );
    assert!(
        routes4.contains("default via 10.1.0.1") && routes4.contains("10.9.0.0/16 dev e1"),
        "{routes4}"
    );
    assert!(
        routes6.contains("fd02::/64 via fd01::1") && routes6.contains("metric 50"),
        "{routes6}"
    );
    assert!(lo.contains("state DOWN"), "{lo}");
}

/// A namespace of the same name that the lab did not make — made by hand,
/// or another lab's — is never taken over, and nothing is recorded.
#[test]
fn a_namespace_the_lab_does_not_own_is_left_alone() {
    if !sandbox("a_namespace_the_lab_does_not_own_is_left_alone") {
        return;
    }
    sh("ip netns add mine && ip -n mine link add keep type bridge");
    let f = write(
        &tmp(),
        "steal.yaml",
        "lab: steal\nnodes:\n  a:\n    netns: mine\n  b: {}\n",
    );
    let o = nslab(&["up", &f]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("namespace mine already exists") && t.contains("ip netns del mine"),
        "{t}"
    );
    assert!(
        sh("ip -n mine link show keep").contains("keep"),
        "the hand-made namespace was touched"
    );
    assert!(!Path::new("/run/nslab/steal").exists(), "nothing recorded");
    assert!(!sh("ip netns list").contains("steal-b"), "nothing created");
    // Another lab's namespace, likewise.
    let other = write(
        &tmp(),
        "other.yaml",
        "lab: other\nnodes:\n  x:\n    netns: shared\n",
    );
    let thief = write(
        &tmp(),
        "thief.yaml",
        "lab: thief\nnodes:\n  y:\n    netns: shared\n",
    );
    nslab_ok(&["up", &other], 0);
    let o = nslab(&["up", &thief]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("belongs to nslab:other"), "{}", text(&o));
    // The thief owns nothing: it is not up, which `down` says (status 0,
    // so a script may run `down` whatever happened), and `other` stays.
    let t = nslab_ok(&["down", "thief"], 0);
    assert!(t.contains("lab thief is not up"), "{t}");
    assert!(
        sh("ip netns list").contains("shared"),
        "other's namespace stays"
    );
    nslab_ok(&["down", "other"], 0);
    sh("ip netns del mine");
    assert_nothing_left("other");
}
