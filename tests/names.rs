//! Names resolve inside every node: each node name of the lab to that
//! node's first IPv4 and IPv6 address, a node's own name to itself,
//! localhost as usual — from `nslab exec`, from `run:` and from
//! `ip netns exec` (iproute2 binds `/etc/netns/<netns>/hosts` over
//! `/etc/hosts`). The files there are the lab's by a mark: `down` removes
//! them, and a file that is not the lab's is never written over.

mod common;
use common::*;
use std::path::Path;

const LAB: &str = "nm";

const FILE: &str = r#"lab: nm
nodes:
  a:
    run: ["sh -c 'getent ahostsv4 b > /run/test-files/a-run; echo $$ > /run/test-files/a-pid; exec sleep 1000'"]
  b:
    hostname: bee
  c: {}
  d:
    lo: { addresses: [10.255.0.4/32] }
links:
  - [a:eth0, b:eth0]
  - [a:eth1, d:eth0]
networks: {}
"#;

fn file() -> String {
    FILE.replace(
        "links:",
        "  # addresses below\nlinks:",
    )
    .replace(
        "    run:",
        "    interfaces:\n      eth0: { addresses: [10.0.0.1/24, \"fd00::1/64\"] }\n      eth1: { addresses: [10.0.1.1/24] }\n    run:",
    )
    .replace(
        "    hostname: bee\n",
        "    hostname: bee\n    interfaces:\n      eth0: { addresses: [10.0.0.2/24, \"fd00::2/64\"] }\n",
    )
    .replace(
        "    lo: { addresses: [10.255.0.4/32] }\n",
        "    lo: { addresses: [10.255.0.4/32] }\n    interfaces:\n      eth0: { addresses: [10.0.1.2/24] }\n",
    )
    .replace("networks: {}\n", "")
}

/// The first address `getent` gives for `name` in `node` (through `how`).
fn resolve(how: &str, node: &str, db: &str, name: &str) -> String {
    let out = match how {
        "nslab" => nslab(&["exec", LAB, node, "--", "getent", db, name]).stdout,
        _ => {
            std::process::Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &format!("{LAB}-{node}"),
                    "getent",
                    db,
                    name,
                ])
                .output()
                .expect("ip netns exec")
                .stdout
        }
    };
    let out = String::from_utf8_lossy(&out);
    out.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn node_names_resolve_in_every_node() {
    if !sandbox("node_names_resolve_in_every_node") {
        return;
    }
    let machine_hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let f = write("names.yaml", &file());
    nslab_ok(&["up", &f], 0);
    for how in ["nslab", "ip netns exec"] {
        let table = [
            ("a", "ahostsv4", "b", "10.0.0.2"),
            ("a", "ahostsv6", "b", "fd00::2"),
            ("a", "ahostsv4", "bee", "10.0.0.2"),
            ("b", "ahostsv4", "a", "10.0.0.1"),
            ("b", "ahostsv6", "a", "fd00::1"),
            ("b", "ahostsv4", "d", "10.0.1.2"),
            ("a", "ahostsv4", "a", "10.0.0.1"),
            // c has no address: getaddrinfo (`ahosts`) answers nothing
            // there (AI_ADDRCONFIG); gethostbyname2 (`hosts`) does.
            ("c", "hosts", "c", "127.0.1.1"),
            ("c", "hosts", "localhost", "::1"),
            ("a", "ahostsv4", "localhost", "127.0.0.1"),
        ];
        for (node, db, name, want) in table {
            assert_eq!(
                resolve(how, node, db, name),
                want,
                "{how}: {name} in {node}"
            );
        }
        assert_eq!(resolve(how, "a", "hosts", "nosuch"), "", "{how}");
    }
    let mut ran = String::new();
    for _ in 0..50 {
        ran = std::fs::read_to_string("/run/test-files/a-run").unwrap_or_default();
        if !ran.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(ran.starts_with("10.0.0.2 "), "run: saw {ran:?}");
    assert_eq!(
        std::fs::read_to_string("/etc/hosts").unwrap_or_default(),
        machine_hosts,
        "the machine's /etc/hosts changed"
    );
    nslab_ok(&["plan", &f, "--exit-code"], 0);
    // A changed name reaches a process already running: the lab's hosts
    // file is rewritten in place, so the inode bound over its /etc/hosts
    // changes too.
    let pid = std::fs::read_to_string("/run/test-files/a-pid").expect("a's pid");
    let f2 = write(
        "names.yaml",
        &file().replace("10.0.0.2/24, \"fd00::2/64\"", "10.0.0.3/24, \"fd00::2/64\""),
    );
    nslab_ok(&["up", &f2], 0);
    let seen = std::fs::read_to_string(format!("/proc/{}/root/etc/hosts", pid.trim()))
        .expect("a's /etc/hosts");
    assert!(seen.contains("10.0.0.3\tb bee\n"), "{seen}");
    assert_eq!(resolve("nslab", "a", "ahostsv4", "b"), "10.0.0.3");
    nslab_ok(&["down", LAB], 0);
    assert_nothing_left(LAB);
    let left: Vec<_> = std::fs::read_dir("/etc/netns")
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left under /etc/netns: {left:?}");
}

#[test]
fn a_hosts_file_that_is_not_the_labs_is_left_alone() {
    if !sandbox("a_hosts_file_that_is_not_the_labs_is_left_alone") {
        return;
    }
    let theirs = Path::new("/etc/netns/nm-b/hosts");
    std::fs::create_dir_all("/etc/netns/nm-b").expect("mkdir");
    std::fs::write(theirs, "10.9.9.9 mine\n").expect("write");
    let f = write("names.yaml", &file());
    let out = nslab_ok(&["up", &f], 1);
    assert!(
        out.contains("/etc/netns/nm-b/hosts is not this lab's"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(theirs).expect("still there"),
        "10.9.9.9 mine\n"
    );
    // Refused before anything was made.
    assert!(
        std::fs::read_dir("/run/netns").map_or(true, |mut d| d.next().is_none()),
        "namespaces made"
    );
    assert!(!Path::new("/etc/netns/nm-a").exists());
    // Another lab's `down` leaves it alone too.
    std::fs::write(theirs, "# nslab:other\n10.9.9.9 mine\n").expect("write");
    nslab_ok(&["up", &f], 1);
    std::fs::remove_file(theirs).expect("rm");
    nslab_ok(&["up", &f], 0);
    std::fs::write("/etc/netns/nm-c/extra", "x\n").expect("a file of someone else's");
    nslab_ok(&["down", LAB], 0);
    assert!(!Path::new("/etc/netns/nm-a").exists());
    assert!(!Path::new("/etc/netns/nm-c/hosts").exists());
    assert!(
        Path::new("/etc/netns/nm-c/extra").exists(),
        "someone else's file"
    );
    assert_nothing_left(LAB);
}

/// `/etc/netns` outlives a reboot: when `up` made it, the last lab's
/// `down` removes it; another lab's files, or anyone's, keep it.
#[test]
fn the_last_labs_down_leaves_no_etc_netns_behind() {
    if !sandbox("the_last_labs_down_leaves_no_etc_netns_behind") {
        return;
    }
    // The sandbox gives an empty /etc/netns (a tmpfs over the machine's,
    // if it has one): start from a machine without one.
    let _ = nix::mount::umount2("/etc/netns", nix::mount::MntFlags::MNT_DETACH);
    let etc = Path::new("/etc/netns");
    if etc.exists() {
        std::fs::remove_dir_all(etc).expect("rm -r /etc/netns (in the sandbox's overlay)");
    }
    let f = write("names.yaml", &file());
    let other = write("other.yaml", "lab: other\nnodes: { x: {}, y: {} }\n");
    nslab_ok(&["up", &f], 0);
    nslab_ok(&["up", &other], 0);
    assert!(etc.join("nm-a/hosts").exists() && etc.join("other-x/hosts").exists());
    nslab_ok(&["down", LAB], 0);
    assert!(etc.join("other-x/hosts").exists(), "the other lab's file");
    nslab_ok(&["down", "other"], 0);
    assert!(!etc.exists(), "/etc/netns left after the last lab's down");
    assert_nothing_left(LAB);
    // Someone else's file keeps it.
    std::fs::create_dir_all(etc.join("theirs")).expect("mkdir");
    std::fs::write(etc.join("theirs/hosts"), "10.9.9.9 mine\n").expect("write");
    nslab_ok(&["up", &f], 0);
    nslab_ok(&["down", LAB], 0);
    assert_eq!(
        std::fs::read_to_string(etc.join("theirs/hosts")).expect("still there"),
        "10.9.9.9 mine\n"
    );
    assert_nothing_left(LAB);
}
