//! `nslab plan --script`: the script of every example, run by `sh` in a
//! sandbox, builds what `nslab up` builds in another fresh sandbox —
//! compared from dumps by `ip` and `nft` (namespaces; links with kind,
//! master, MTU, up, alias; addresses; routes with protocol and scope;
//! nft rulesets) — and nslab sees its own lab there (`plan --exit-code`
//! is 0); the script's `down` leaves nothing.
//!
//! Each example has two tests: `script_X` (a sandbox: the script's side,
//! and the comparison) and `up_side_X`, which `script_X` runs in a second
//! sandbox of its own (ignored: on its own it only prints a dump).

mod common;
use common::*;

#[path = "script/dump.rs"]
mod dump;
use dump::{dump, run};
use nslab_sys::sandbox::Sandbox;
use std::process::Command;

/// A lab of what the examples leave out: a host node (the sandbox's own
/// namespace), a tap, MTU and MAC, IPv6 addresses and routes, route
/// metric, source and table, a bridge port with hairpin, sysctls, and
/// NAT of both families.
const KINDS: &str = r#"
lab: kinds
nodes:
  machine:
    kind: host
    interfaces:
      lab0: { addresses: [10.98.0.1/24, "fd00:98::1/64"] }
    routes: [10.97.0.0/24 via 10.98.0.2 metric 7]
  gw:
    sysctls: { net.ipv4.conf.all.rp_filter: 2 }
    interfaces:
      up0: { addresses: [10.98.0.2/24, "fd00:98::2/64"], mtu: 1400, mac: "02:00:00:00:98:02" }
      br0: { kind: bridge, stp: true, ageing: 60, addresses: [10.97.0.1/24, "fd00:97::1/64"] }
      p1: { master: br0, hairpin: true }
      tap0: { kind: tap, owner: 1000, mtu: 9000 }
    routes:
      - default via 10.98.0.1
      - "default via fd00:98::1"
      - 10.96.0.0/24 dev up0 src 10.98.0.2 table 100
    nat:
      masquerade:
        - { from: 10.97.0.0/24, out: up0 }
        - { from: "fd00:97::/64", not-out: br0 }
      forward:
        - { port: 8080, to: "10.97.0.2:80" }
        - { proto: udp, port: 5353, to: "[fd00:97::2]:53", in: up0 }
  h:
    interfaces:
      eth0: { addresses: [10.97.0.2/24, "fd00:97::2/64"] }
    routes: [default via 10.97.0.1, "default via fd00:97::1"]
links:
  - [machine:lab0, gw:up0]
  - [gw:p1, h:eth0]
"#;

/// A node with a physical interface: a veth of the sandbox's own
/// namespace stands in for it (made by [`lab_file`]).
const PHYSICAL: &str = "lab: phys
nodes:
  a:
    interfaces:
      eth0: { kind: physical, from: ph0, addresses: [10.9.0.1/24], mtu: 1400 }
";

/// The file of `name`: an example, or (`kinds`, `physical`) a lab of
/// this file written to this sandbox's /run.
fn lab_file(name: &str) -> String {
    if name == "physical" {
        run(
            "ip",
            &["link", "add", "ph0", "type", "veth", "peer", "name", "ph1"],
        );
        let at = "/run/physical.yaml";
        std::fs::write(at, PHYSICAL).expect("write the lab");
        return at.to_string();
    }
    if name == "kinds" {
        let at = "/run/kinds.yaml";
        std::fs::write(at, KINDS).expect("write the lab");
        return at.to_string();
    }
    let path = examples().join(name);
    path.to_str().expect("utf-8 path").to_string()
}

const BEGIN: &str = "---- dump begins\n";
const END: &str = "---- dump ends\n";

/// The `up` side: `nslab up`, the dump (printed between markers), `down`.
fn up_side(file: &str, lab: &str) {
    let path = lab_file(file);
    let path = path.as_str();
    nslab_ok(&["up", path], 0);
    let d = dump();
    nslab_ok(&["down", lab], 0);
    assert_nothing_left(lab);
    print!("{BEGIN}{d}{END}");
}

/// The script's side, in this sandbox, against the `up` side run by test
/// `up_test` in a fresh one.
fn script_side(file: &str, lab: &str, up_test: &str) {
    let path = lab_file(file);
    let path = path.as_str();
    let out = nslab(&["plan", "--script", path]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let script = String::from_utf8_lossy(&out.stdout).into_owned();
    let at = "/run/lab-script.sh";
    std::fs::write(at, &script).expect("write the script");
    run("sh", &[at]);
    let got = dump();
    let plan = nslab(&["plan", path, "--exit-code"]);
    run("sh", &[at, "down"]);
    assert_nothing_left(lab);
    assert_eq!(
        plan.status.code(),
        Some(0),
        "nslab does not see its lab after the script of {file}:\n{}\n{script}",
        text(&plan)
    );
    let (passed, output) = Sandbox::new()
        .with_pid_namespace()
        .with_empty_run()
        .run_test(up_test)
        .expect("run the up side");
    assert!(passed, "{up_test} failed:\n{output}");
    let want = output
        .split_once(BEGIN)
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(d, _)| d)
        .unwrap_or_else(|| panic!("no dump in:\n{output}"));
    let only = |a: &str, b: &str| -> Vec<String> {
        let b: Vec<&str> = b.lines().collect();
        a.lines()
            .filter(|l| !b.contains(l))
            .map(str::to_string)
            .collect()
    };
    let (extra, missing) = (only(&got, want), only(want, &got));
    assert!(
        extra.is_empty() && missing.is_empty(),
        "the script of {file} built another kernel state than `up`:\n\
         only after the script:\n  {}\nonly after `up`:\n  {}",
        extra.join("\n  "),
        missing.join("\n  ")
    );
    assert!(got.contains(" link "), "an empty dump: {got}");
}

macro_rules! example {
    ($script:ident, $up:ident, $file:literal, $lab:literal) => {
        #[test]
        fn $script() {
            if sandbox(stringify!($script)) {
                script_side($file, $lab, stringify!($up));
            }
        }

        /// Run by its `script_` test in a sandbox of its own, and on its
        /// own: `up`, then `down` leaves nothing. (Not `#[ignore]`d: an
        /// ignored test is a VM-lane test here.)
        #[test]
        fn $up() {
            if sandbox(stringify!($up)) {
                up_side($file, $lab);
            }
        }
    };
}

example!(script_bridge, up_side_bridge, "bridge.yaml", "bridge");
example!(
    script_docker_bridge,
    up_side_docker_bridge,
    "docker-bridge.yaml",
    "docker"
);
example!(
    script_failover,
    up_side_failover,
    "failover.yaml",
    "failover"
);
example!(
    script_loopback,
    up_side_loopback,
    "loopback.yaml",
    "loopback"
);
example!(script_macvlan, up_side_macvlan, "macvlan.yaml", "mv");
example!(
    script_nat_gateway,
    up_side_nat_gateway,
    "nat-gateway.yaml",
    "natgw"
);
example!(
    script_partition,
    up_side_partition,
    "partition.yaml",
    "replicas"
);
example!(
    script_veth_pair,
    up_side_veth_pair,
    "veth-pair.yaml",
    "veth"
);
example!(script_vxlan, up_side_vxlan, "vxlan.yaml", "vxlan");
example!(script_isolation, up_side_isolation, "isolation.yaml", "iso");
example!(script_kinds, up_side_kinds, "kinds", "kinds");
example!(script_physical, up_side_physical, "physical", "phys");

/// Examples this kernel cannot build (their kinds' modules are missing):
/// the VM lane's.
const VM_ONLY: &[&str] = &["ipvlan.yaml", "vlan.yaml", "vrf.yaml"];

/// Examples whose kernel state after `nslab up` is not the file's alone,
/// so a dump after the script cannot equal it: each still passes `sh -n`
/// below.
const NOT_COMPARED: &[(&str, &str)] = &[
    (
        "ospf.yaml",
        "its routes come from the FRR daemons `up` starts (the script leaves run: to nslab)",
    ),
    (
        "container-replicas.yaml",
        "`up` needs the test's Podman image (tests/images.rs runs it)",
    ),
];

/// Every example is one of the above, the VM lane's, or not compared for a
/// reason given: a new one is not left out unnoticed.
#[test]
fn every_example_has_a_script_test() {
    let src = include_str!("script.rs");
    let mut missing = Vec::new();
    for e in std::fs::read_dir(examples()).expect("examples").flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".yaml")
            || VM_ONLY.contains(&name.as_str())
            || NOT_COMPARED.iter().any(|(n, _)| *n == name)
        {
            continue;
        }
        if !src.contains(&format!("\"{name}\"")) {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "examples without a script test: {missing:?}"
    );
}

/// The script of every example, those of the VM lane too, is planned
/// without root or kernel and is valid `sh` (`sh -n`); it asks for root
/// before it changes anything.
#[test]
fn every_examples_script_is_valid_sh() {
    for e in std::fs::read_dir(examples()).expect("examples").flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        let path = path.to_str().expect("utf-8 path");
        let out = nslab(&["plan", "--script", path]);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", text(&out));
        // Warnings (a module this kernel lacks) go to standard error.
        let script = String::from_utf8_lossy(&out.stdout).into_owned();
        let file = std::env::temp_dir().join(format!("nslab-script-{}.sh", std::process::id()));
        std::fs::write(&file, &script).expect("write the script");
        let checked = Command::new("sh").arg("-n").arg(&file).output();
        let _ = std::fs::remove_file(&file);
        let checked = checked.expect("run sh -n");
        assert!(
            checked.status.success(),
            "{path}: {}\n{script}",
            text(&checked)
        );
        assert!(script.starts_with("#!/bin/sh\n"), "{script}");
        let root = script.find("id -u").expect("a root check");
        let first = script.find("\tip ").expect("an ip command");
        assert!(root < first, "the root check comes first:\n{script}");
    }
}

/// Run by someone who is not root, the script stops before it changes
/// anything, and says why.
#[test]
fn the_script_asks_for_root() {
    let path = examples().join("veth-pair.yaml");
    let out = nslab(&["plan", "--script", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let file = std::env::temp_dir().join(format!("nslab-noroot-{}.sh", std::process::id()));
    std::fs::write(&file, &out.stdout).expect("write the script");
    let ran = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "sh"])
        .arg(&file)
        .output();
    let _ = std::fs::remove_file(&file);
    let ran = ran.expect("run setpriv");
    assert_eq!(ran.status.code(), Some(1), "{}", text(&ran));
    let said = text(&ran);
    assert!(said.contains("needs root"), "{said}");
    assert!(!said.contains("netns"), "it went on: {said}");
}

/// What the script leaves to nslab is named in it, this lab's own:
/// processes (with the command to start a `run:` by hand), checks.
#[test]
fn the_script_names_what_it_leaves_out() {
    let dir = std::env::temp_dir().join(format!("nslab-left-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("lab.yaml");
    std::fs::write(
        &file,
        "lab: left\nnodes:\n  a:\n    hostname: alpha\n    serve: [tcp/80, udp/53]\n    run: [\"sleep 1000\"]\n  b:\n    interfaces:\n      eth0: { addresses: [10.0.0.2/24] }\nlinks:\n  - [a:eth0, b:eth0]\nexpect:\n  - a -> 10.0.0.2\n",
    )
    .expect("write the lab");
    let out = nslab(&["plan", "--script", file.to_str().expect("utf-8 path")]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let script = String::from_utf8_lossy(&out.stdout);
    for said in [
        "#   node a: `serve: [tcp/80, udp/53]`",
        "#   node a: `run:` ip netns exec left-a sleep 1000 &",
        "#   node a: `hostname: alpha`",
        "#   1 `expect:` check(s)",
    ] {
        assert!(script.contains(said), "no {said:?} in:\n{script}");
    }
    assert!(!script.contains("node b:"), "{script}");
}

/// A file with a problem gives no script: its problems, with
/// `file:line:col`, and status 2.
#[test]
fn a_bad_file_gives_no_script() {
    let file = std::env::temp_dir().join(format!("nslab-bad-script-{}.yaml", std::process::id()));
    std::fs::write(
        &file,
        "lab: x\nnodes:\n  a: { routes: [10.0.0.0/33 via 1.2.3.4] }\n",
    )
    .expect("write the lab");
    let path = file.to_str().expect("utf-8 path").to_string();
    let out = nslab(&["plan", "--script", &path]);
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains(&format!("{path}:3:")), "{said}");
}
