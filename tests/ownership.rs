//! What is the lab's is proven by a mark on the object in the kernel, never
//! by the record alone, and nothing else is touched: routes by nslab's
//! protocol (and, in the host namespace, the lab's claim), namespaces by
//! their `lo` alias, the nft table by its comment. Host sysctls come back
//! as they were; NAT rules and a tap's owner are read back from the kernel,
//! so hand edits show in `plan` and `up` repairs them.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// The "host": an interface with an address, a `proto static` default
/// route (as NetworkManager and systemd-networkd install it).
fn fake_host_uplink() {
    sh("ip link set lo up && ip link add up0 type veth peer name up1 && ip addr add 192.0.2.1/24 dev up0 && ip link set up0 up && ip link set up1 up && ip route add default via 192.0.2.254 proto static");
}

/// Routes by nslab's protocol only; in the host namespace only those the
/// lab claims. A hand-made route equal to a lab route, the host's default
/// route and another lab's routes are never the lab's; a hand route inside
/// a node is left alone too.
#[test]
fn routes_nslab_did_not_add_are_never_the_labs() {
    if !sandbox("routes_nslab_did_not_add_are_never_the_labs") {
        return;
    }
    fake_host_uplink();
    sh("ip route add 198.51.100.0/24 via 192.0.2.254 proto static");
    // Hand routes of every kind of origin, each also claimed by the lab.
    let protos = ["static", "boot", "dhcp", "bird", "99"];
    let mut claimed = String::new();
    for (i, p) in protos.iter().enumerate() {
        sh(&format!(
            "ip route add 198.18.{i}.0/24 via 192.0.2.254 proto {p}"
        ));
        claimed.push_str(&format!("      - 198.18.{i}.0/24 via 192.0.2.254\n"));
    }
    let a = write(
        "ra.yaml",
        &format!("lab: ra\nnodes:\n  me:\n    kind: host\n    interfaces:\n      rav: {{ addresses: [10.61.0.1/24] }}\n    routes:\n      - 198.51.100.0/24 via 192.0.2.254\n      - 203.0.113.0/24 via 192.0.2.254\n{claimed}  h1:\n    interfaces:\n      eth0: {{ addresses: [10.61.0.2/24] }}\n    routes: [default via 10.61.0.1]\nlinks:\n  - [me:rav, h1:eth0]\n"),
    );
    let b = write(
        "rb.yaml",
        "lab: rb\nnodes:\n  me:\n    kind: host\n    interfaces:\n      rbv: { addresses: [10.62.0.1/24] }\n    routes: [10.66.0.0/16 via 192.0.2.254]\n  h1:\n    interfaces:\n      eth0: { addresses: [10.62.0.2/24] }\nlinks:\n  - [me:rbv, h1:eth0]\n",
    );
    let first = nslab_ok(&["plan", &a], 0);
    assert!(
        !first.contains("route del"),
        "plans to delete routes it did not add: {first}"
    );
    nslab_ok(&["up", &a], 0);
    let ours = sh("ip route show proto 231");
    assert!(ours.contains("203.0.113.0/24 via 192.0.2.254"), "{ours}");
    // A hand route in a node is not the lab's.
    for (i, p) in protos.iter().enumerate() {
        sh(&format!(
            "ip -n ra-h1 route add 10.99.{i}.0/24 dev eth0 proto {p}"
        ));
    }
    nslab_ok(&["plan", "--exit-code", &a], 0);
    // The lab's route replaced by the same one made by hand: it serves, and
    // is left alone.
    sh("ip -n ra-h1 route del default && ip -n ra-h1 route add default via 10.61.0.1 proto static");
    nslab_ok(&["plan", "--exit-code", &a], 0);
    nslab_ok(&["up", &a], 0);
    let h1 = sh("ip -n ra-h1 route show default");
    assert!(h1.contains("proto static"), "{h1}");
    nslab_ok(&["up", &b], 0);
    // Each lab sees only its own host routes.
    nslab_ok(&["plan", "--exit-code", &a], 0);
    nslab_ok(&["plan", "--exit-code", &b], 0);
    nslab_ok(&["down", "rb"], 0);
    let after_b = sh("ip route");
    assert!(
        after_b.contains("203.0.113.0/24 via 192.0.2.254") && !after_b.contains("10.66.0.0/16"),
        "down of rb touched ra's routes or left its own: {after_b}"
    );
    nslab_ok(&["plan", "--exit-code", &a], 0);
    nslab_ok(&["down", "ra"], 0);
    assert_nothing_left("ra");
    let routes = sh("ip route");
    assert!(
        routes.contains("default via 192.0.2.254 dev up0 proto static"),
        "the host's default route is gone: {routes}"
    );
    assert!(
        routes.contains("198.51.100.0/24 via 192.0.2.254 dev up0 proto static"),
        "the hand-made route equal to a lab route is gone: {routes}"
    );
    for (i, p) in protos.iter().enumerate() {
        assert!(
            routes.contains(&format!("198.18.{i}.0/24 via 192.0.2.254")),
            "the hand-made route of proto {p} is gone: {routes}"
        );
    }
    assert_eq!(sh("ip route show proto 231"), "", "lab routes left");
}

/// `forwarding: true` on a `kind: host` node: the previous value is in the
/// record before the change, and `down` puts it back.
#[test]
fn host_sysctls_are_recorded_before_and_restored_by_down() {
    if !sandbox("host_sysctls_are_recorded_before_and_restored_by_down") {
        return;
    }
    sh("sysctl -qw net.ipv4.ip_forward=0");
    let f = write(
        "fw.yaml",
        "lab: fw\nnodes:\n  me:\n    kind: host\n    forwarding: true\n    interfaces:\n      fwv: { addresses: [10.63.0.1/24] }\n  h1:\n    interfaces:\n      eth0: { addresses: [10.63.0.2/24] }\nlinks:\n  - [me:fwv, h1:eth0]\n",
    );
    nslab_ok(&["up", &f], 0);
    let during = sh("cat /proc/sys/net/ipv4/ip_forward");
    let record = std::fs::read_to_string("/run/nslab/fw/state.json").expect("record");
    // A second `up` keeps the value from before the lab, not its own.
    nslab_ok(&["up", &f], 0);
    let record2 = std::fs::read_to_string("/run/nslab/fw/state.json").expect("record");
    nslab_ok(&["down", "fw"], 0);
    assert_nothing_left("fw");
    assert_eq!(during.trim(), "1", "forwarding was turned on");
    for r in [&record, &record2] {
        let v: serde_json::Value = serde_json::from_str(r).expect("json");
        assert_eq!(
            v["host_sysctls"]["net.ipv4.ip_forward"], "0",
            "the previous value is recorded: {r}"
        );
    }
    assert_eq!(
        sh("cat /proc/sys/net/ipv4/ip_forward").trim(),
        "0",
        "down restores ip_forward"
    );
}

/// A namespace made by hand under a name the lab planned (after the lab's
/// own was removed, as after a killed `up`) is not the lab's because the
/// record lists it: `up` refuses it and touches none of its links, `down`
/// leaves it (and removes the rest).
#[test]
fn a_namespace_made_by_hand_under_a_recorded_name_is_never_the_labs() {
    if !sandbox("a_namespace_made_by_hand_under_a_recorded_name_is_never_the_labs") {
        return;
    }
    let f = write(
        "nsh.yaml",
        "lab: nsh\nnodes:\n  a:\n    interfaces:\n      eth0: { addresses: [10.64.0.1/24] }\n  b:\n    interfaces:\n      eth0: { addresses: [10.64.0.2/24] }\n  c: {}\nlinks:\n  - [a:eth0, b:eth0]\n",
    );
    nslab_ok(&["up", &f], 0);
    // Someone removes the lab's namespace and makes their own of that name.
    sh("ip netns del nsh-b && ip netns add nsh-b && ip -n nsh-b link add eth0 type veth peer name keep");
    let o = nslab(&["up", &f]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("namespace nsh-b already exists and nslab did not make it")
            && t.contains("ip netns del nsh-b"),
        "{t}"
    );
    let plan = nslab(&["plan", &f]);
    assert_eq!(plan.status.code(), Some(1), "{}", text(&plan));
    let links = sh("ip -n nsh-b -br link");
    assert!(
        links.contains("eth0") && links.contains("keep"),
        "up touched the hand-made namespace: {links}"
    );
    nslab_ok(&["down", "nsh"], 0);
    let list = sh("ip netns list");
    assert!(list.contains("nsh-b"), "down deleted it: {list}");
    assert!(
        !list.contains("nsh-a") && !list.contains("nsh-c"),
        "down left the lab's own: {list}"
    );
    assert!(sh("ip -n nsh-b -br link").contains("keep"));
    sh("ip netns del nsh-b");
    assert_nothing_left("nsh");
}

/// An `up` killed right after writing its record (which lists every
/// namespace it may create) and before creating any: a namespace then made
/// by hand under a listed name is not the lab's. `up` refuses it, `down`
/// leaves it.
#[test]
fn a_namespace_listed_by_a_killed_up_but_made_by_hand_is_never_the_labs() {
    if !sandbox("a_namespace_listed_by_a_killed_up_but_made_by_hand_is_never_the_labs") {
        return;
    }
    let f = write(
        "nsk.yaml",
        "lab: nsk\nnodes:\n  a:\n    interfaces:\n      eth0: { addresses: [10.68.0.1/24] }\n  b:\n    interfaces:\n      eth0: { addresses: [10.68.0.2/24] }\nlinks:\n  - [a:eth0, b:eth0]\n",
    );
    // What the killed `up` left: its record, nothing in the kernel.
    std::fs::create_dir_all("/run/nslab/nsk").expect("mkdir");
    std::fs::write(
        "/run/nslab/nsk/state.json",
        r#"{"lab":"nsk","source":"nsk.yaml","nodes":{"a":"nsk-a","b":"nsk-b"},"physical":{},"processes":[],"incomplete":true}"#,
    )
    .expect("record");
    sh("ip netns add nsk-a && ip -n nsk-a link add eth0 type veth peer name keep");
    let o = nslab(&["up", &f]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("namespace nsk-a already exists"), "{t}");
    assert!(!sh("ip netns list").contains("nsk-b"), "up went on");
    nslab_ok(&["down", "nsk"], 0);
    let links = sh("ip -n nsk-a -br link");
    assert!(
        links.contains("eth0") && links.contains("keep"),
        "down touched it: {links}"
    );
    sh("ip netns del nsk-a");
    assert_nothing_left("nsk");
}

/// The namespace is marked before it has a name: `init` runs inside it
/// while the file under /run/netns is not yet a namespace.
#[test]
fn a_namespace_is_marked_before_it_has_its_name() {
    if !sandbox("a_namespace_is_marked_before_it_has_its_name") {
        return;
    }
    use std::os::unix::fs::MetadataExt;
    let seen = std::sync::Mutex::new(None);
    let fd = nslab_sys::netns::create_with("early", || {
        let named = nslab_sys::netns::open("early").map(|_| ());
        let ino = std::fs::metadata("/proc/thread-self/ns/net")
            .map(|m| m.ino())
            .map_err(|e| e.to_string())?;
        *seen.lock().map_err(|e| e.to_string())? = Some((named.is_ok(), ino));
        Ok(())
    })
    .expect("create");
    drop(fd);
    let (named, ino) = seen.into_inner().expect("lock").expect("init ran");
    assert!(!named, "the name was usable before init finished");
    let mounted = std::fs::metadata("/run/netns/early").expect("stat").ino();
    assert_eq!(mounted, ino, "init ran in the namespace that got the name");
    // A failing init leaves nothing behind.
    let r = nslab_sys::netns::create_with("late", || Err::<(), _>("no".into()));
    assert!(r.is_err());
    assert!(!Path::new("/run/netns/late").exists());
    nslab_sys::netns::delete("early").expect("delete");
}

fn nft_in(ns: &str, cmd: &str) -> String {
    sh(&format!("ip netns exec {ns} nft {cmd}"))
}

/// NAT rules are read back from the kernel: a rule deleted, added or
/// replaced by hand is drift (`plan --exit-code` 3), and `up` makes the
/// table equal to a fresh build.
#[test]
fn nat_rules_edited_by_hand_are_drift_and_up_repairs_them() {
    if !sandbox("nat_rules_edited_by_hand_are_drift_and_up_repairs_them") {
        return;
    }
    let f = write(
        "nat.yaml",
        "lab: nt\nnodes:\n  gw:\n    interfaces:\n      wan: { addresses: [10.65.0.1/24] }\n      br0: { kind: bridge, addresses: [10.65.1.1/24] }\n    nat:\n      masquerade: [{ from: 10.65.1.0/24, out: wan }]\n      forward:\n        - { proto: tcp, port: 8080, to: 10.65.1.10:80 }\n  out:\n    interfaces:\n      wan: { addresses: [10.65.0.2/24] }\nlinks:\n  - [gw:wan, out:wan]\n",
    );
    nslab_ok(&["up", &f], 0);
    let fresh = nft_in("nt-gw", "list ruleset");
    assert!(
        fresh.contains("comment \"nslab:nt\"") && fresh.contains("masquerade"),
        "{fresh}"
    );
    nslab_ok(&["plan", "--exit-code", &f], 0);
    let edits = [
        // Deleted.
        "flush chain inet nslab-nt output",
        // Added.
        "add rule inet nslab-nt postrouting counter",
        // Replaced by one of the same count: one deleted, one added.
        "flush chain inet nslab-nt output ; add rule inet nslab-nt prerouting tcp dport 22 dnat ip to 10.65.1.10:22",
        // Edited in place: the same rule, another address.
        "flush chain inet nslab-nt postrouting ; add rule inet nslab-nt postrouting ip saddr 10.65.9.0/24 oifname \"wan\" masquerade",
    ];
    for edit in edits {
        let out = nft_in("nt-gw", &format!("'{edit}'"));
        assert!(!out.contains("Error"), "{edit}: {out}");
        let o = nslab(&["plan", "--exit-code", &f]);
        assert_eq!(o.status.code(), Some(3), "{edit} is drift: {}", text(&o));
        nslab_ok(&["up", &f], 0);
        nslab_ok(&["plan", "--exit-code", &f], 0);
        assert_eq!(nft_in("nt-gw", "list ruleset"), fresh, "after {edit}");
    }
    nslab_ok(&["down", "nt"], 0);
    assert_nothing_left("nt");
}

/// A table named like the lab's that does not carry its mark is refused,
/// with the fix, and neither changed nor deleted.
#[test]
fn an_nft_table_without_the_labs_mark_is_never_taken_over() {
    if !sandbox("an_nft_table_without_the_labs_mark_is_never_taken_over") {
        return;
    }
    let f = write(
        "tk.yaml",
        "lab: tk\nnodes:\n  me:\n    kind: host\n    nat:\n      masquerade: [{ from: 10.67.0.0/24 }]\n    interfaces:\n      tkv: { addresses: [10.67.0.1/24] }\n  h1:\n    interfaces:\n      eth0: { addresses: [10.67.0.2/24] }\nlinks:\n  - [me:tkv, h1:eth0]\n",
    );
    // No comment; another lab's mark; a comment that only starts alike.
    for comment in [
        "",
        "{ comment \"nslab:other\" ; }",
        "{ comment \"nslab:tk2\" ; }",
    ] {
        sh(&format!("nft add table inet nslab-tk '{comment}' && nft add chain inet nslab-tk mine && nft add rule inet nslab-tk mine counter"));
        let before = sh("nft list ruleset");
        assert!(before.contains("nslab-tk"), "{before}");
        for cmd in ["plan", "up"] {
            let o = nslab(&[cmd, &f]);
            let t = text(&o);
            assert_eq!(o.status.code(), Some(1), "{cmd}: {t}");
            assert!(
                t.contains("table inet nslab-tk exists and is not this lab's")
                    && t.contains("nft delete table inet nslab-tk")
                    && t.contains("rename the lab"),
                "{cmd}: {t}"
            );
        }
        assert_eq!(sh("nft list ruleset"), before, "the table was changed");
        assert!(!Path::new("/run/nslab/tk").exists(), "nothing recorded");
        sh("nft delete table inet nslab-tk");
    }
    // Made by hand while the lab is up: `down` leaves it.
    nslab_ok(&["up", &f], 0);
    sh("nft delete table inet nslab-tk && nft add table inet nslab-tk");
    nslab_ok(&["down", "tk"], 0);
    assert!(
        sh("nft list tables").contains("nslab-tk"),
        "down deleted a table that is not the lab's"
    );
    sh("nft delete table inet nslab-tk");
    assert_nothing_left("tk");
}

/// A tap's owner is read back: changing `owner:` is planned and applied.
#[test]
fn a_changed_tap_owner_is_planned_and_applied() {
    if !sandbox("a_changed_tap_owner_is_planned_and_applied") {
        return;
    }
    let v1 = write(
        "tap1.yaml",
        "lab: tp\nnodes:\n  n:\n    interfaces:\n      t0: { kind: tap, owner: 1000 }\n",
    );
    let v2 = write(
        "tap2.yaml",
        "lab: tp\nnodes:\n  n:\n    interfaces:\n      t0: { kind: tap, owner: 1001 }\n",
    );
    nslab_ok(&["up", &v1], 0);
    nslab_ok(&["plan", "--exit-code", &v1], 0);
    let o = nslab(&["plan", "--exit-code", &v2]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    nslab_ok(&["up", &v2], 0);
    let owner = sh("ip netns exec tp-n cat /sys/class/net/t0/owner");
    nslab_ok(&["plan", "--exit-code", &v2], 0);
    nslab_ok(&["down", "tp"], 0);
    assert_nothing_left("tp");
    assert_eq!(owner.trim(), "1001");
}

/// Without root `plan FILE` cannot read the kernel: it refuses (exit 2)
/// and says what to do, instead of planning against an empty machine.
#[test]
fn plan_without_root_refuses_instead_of_guessing() {
    if !sandbox("plan_without_root_refuses_instead_of_guessing") {
        return;
    }
    let f = write("nr.yaml", "lab: nr\nnodes:\n  a: {}\n");
    nslab_ok(&["up", &f], 0);
    let as_nobody = |args: &[&str]| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(nslab_bin())
            .args(args)
            .output()
            .expect("setpriv")
    };
    let o = as_nobody(&["plan", "--exit-code", &f]);
    let t = text(&o);
    let offline = as_nobody(&["plan", "--offline", &f]);
    nslab_ok(&["down", "nr"], 0);
    assert_nothing_left("nr");
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("root") && t.contains("--offline"), "{t}");
    assert_eq!(offline.status.code(), Some(0), "{}", text(&offline));
}
