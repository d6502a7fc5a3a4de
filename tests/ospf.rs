//! examples/ospf.yaml with the real routing daemons (Debian's FRR 8.4)
//! in a sandbox: four routers in a ring, each running zebra and ospfd in
//! the foreground from its `run:`, with its own /etc/frr, /var/run/frr
//! and /var/tmp/frr (`dirs:`) and its frr.conf (`files:`).
//!
//! `up --check` converges (every loopback reached from every router),
//! each router's daemons answer vtysh in that router and see their two
//! ring neighbours by router ID (so each node has its own sockets), `nslab
//! test --junit` passes every step of every scenario (the reroute round
//! the ring and the failed router) as the JUnit file says, and `down`
//! leaves nothing: no FRR process, no mount, nothing under /run/nslab or
//! /etc/netns, nothing new in the machine's /var/tmp/frr.
//!
//! FRR missing makes the test FAIL, naming the package: `.ci/run`
//! installs it, and a routing example that was never run proves nothing.

mod common;
use common::*;
use std::path::Path;

const LAB: &str = "ospf";
const FRR: &[&str] = &["/usr/lib/frr/zebra", "/usr/lib/frr/ospfd", "/usr/bin/vtysh"];

/// FRR's programs are installed, or the test fails saying what to install.
fn require_frr() {
    let missing: Vec<&str> = FRR
        .iter()
        .copied()
        .filter(|p| !Path::new(p).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "examples/ospf.yaml needs FRR ({} missing): apt-get install frr (.ci/run installs it)",
        missing.join(", ")
    );
}

/// The command lines of every process whose program is one of FRR's
/// daemons (the sandbox has its own PID namespace: each is the test's).
fn frr_processes() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter(|e| {
            std::fs::read_link(e.path().join("exe"))
                .is_ok_and(|x| x.to_string_lossy().starts_with("/usr/lib/frr/"))
        })
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .collect()
}

/// Every path under `dir` (recursively), directories that hold nothing
/// left out.
fn files_under(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && !p.is_symlink() {
            files_under(&p, out);
        } else {
            out.push(p.display().to_string());
        }
    }
}

/// Mount points of this (the sandbox's) mount namespace that a lab could
/// have left: FRR's directories, nslab's state, a namespace under
/// /run/netns, /etc/netns. (/run/netns itself becomes a mount point at the
/// first namespace, as `ip netns add` makes it, and stays, as there.)
fn lab_mounts() -> Vec<String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .filter_map(|l| l.split_whitespace().nth(4).map(str::to_string))
        .filter(|m| {
            m.contains("frr")
                || m.starts_with("/run/nslab")
                || m.starts_with("/run/netns/")
                || m.starts_with("/etc/netns")
        })
        .collect()
}

fn var_tmp_frr() -> Vec<String> {
    let mut out = Vec::new();
    files_under(Path::new("/var/tmp/frr"), &mut out);
    out.sort();
    out
}

/// The neighbours router `node`'s ospfd has in state Full, by router ID,
/// as vtysh in that node reads them.
fn full_neighbours(node: &str) -> (Vec<String>, String) {
    let out = nslab(&[
        "exec",
        LAB,
        node,
        "--",
        "vtysh",
        "-c",
        "show ip ospf neighbor",
    ]);
    let text = text(&out);
    let mut ids: Vec<String> = text
        .lines()
        .filter(|l| l.contains("Full"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    ids.sort();
    (ids, text)
}

#[test]
fn ospf_example_converges_reroutes_and_leaves_nothing() {
    require_frr();
    if !sandbox("ospf_example_converges_reroutes_and_leaves_nothing") {
        return;
    }
    let path = examples().join("ospf.yaml");
    let t = nslab_model::parse_file(&path, &nslab_model::AnyHostInterfaces)
        .unwrap_or_else(|e| panic!("examples/ospf.yaml: {e}"));
    let steps: usize = t.scenarios.iter().map(|s| s.steps.len()).sum();
    let path = path.to_str().expect("utf-8 path");
    let var_tmp_before = var_tmp_frr();
    let mounts_before = lab_mounts();

    let up = nslab(&["up", "--check", path]);
    let daemons = frr_processes();
    let neighbours: Vec<(Vec<String>, String)> = ["r1", "r2", "r3", "r4"]
        .iter()
        .map(|n| full_neighbours(n))
        .collect();
    let show = nslab(&["show", LAB]);
    let test = nslab(&["test", LAB, "--junit", "/run/ospf-junit.xml"]);
    let junit = std::fs::read_to_string("/run/ospf-junit.xml").unwrap_or_default();
    // Always take the lab down, then judge.
    let down = nslab(&["down", LAB]);
    let left_daemons = frr_processes();
    let mut state = Vec::new();
    files_under(Path::new("/run/nslab"), &mut state);
    files_under(Path::new("/etc/netns"), &mut state);
    let mounts_after = lab_mounts();
    let var_tmp_after = var_tmp_frr();

    assert_eq!(up.status.code(), Some(0), "up --check:\n{}", text(&up));
    assert_eq!(down.status.code(), Some(0), "down:\n{}", text(&down));
    assert_nothing_left(LAB);
    assert!(
        left_daemons.is_empty(),
        "FRR left running: {left_daemons:?}"
    );
    assert!(
        state.is_empty(),
        "left under /run/nslab, /etc/netns: {state:?}"
    );
    assert_eq!(mounts_after, mounts_before, "mounts left");
    assert_eq!(
        var_tmp_after, var_tmp_before,
        "FRR wrote to the machine's /var/tmp/frr"
    );

    // zebra and ospfd in each of the four routers, as FRR's user.
    for d in ["zebra", "ospfd"] {
        let n = daemons
            .iter()
            .filter(|c| c.contains(&format!("/usr/lib/frr/{d} ")))
            .count();
        assert_eq!(n, 4, "{d} in each router: {daemons:?}");
    }
    let show = text(&show);
    assert!(!show.contains("exited"), "a daemon exited:\n{show}");
    // Each router's own daemons answer: its two ring neighbours, Full.
    let ring = [
        ["10.255.0.2", "10.255.0.4"],
        ["10.255.0.1", "10.255.0.3"],
        ["10.255.0.2", "10.255.0.4"],
        ["10.255.0.1", "10.255.0.3"],
    ];
    for (i, ((ids, text), want)) in neighbours.iter().zip(ring).enumerate() {
        assert_eq!(ids, &want, "r{}'s OSPF neighbours:\n{text}", i + 1);
    }

    assert_eq!(test.status.code(), Some(0), "nslab test:\n{}", text(&test));
    well_formed(&junit).unwrap_or_else(|e| panic!("{e}:\n{junit}"));
    assert!(t.scenarios.len() >= 2 && steps >= 10, "{junit}");
    assert_eq!(
        junit.matches("<testsuite ").count(),
        t.scenarios.len(),
        "{junit}"
    );
    assert_eq!(junit.matches("<testcase ").count(), steps, "{junit}");
    for s in &t.scenarios {
        let head = format!(
            "<testsuite name=\"{LAB}/{}\" tests=\"{}\" failures=\"0\"",
            s.name,
            s.steps.len()
        );
        assert!(junit.contains(&head), "{head}:\n{junit}");
    }
    assert!(
        !junit.contains("<failure") && !junit.contains("<skipped"),
        "{junit}"
    );
}
