//! `nslab test`: scenarios on a real kernel in a sandbox. Steps run in
//! order with ✓/✗; a failing scenario names the failing step and is still
//! healed; the JUnit file is well-formed XML with one suite per scenario
//! and one case per step; SIGTERM heals before exiting; a `nslab test`
//! killed with SIGKILL mid-scenario leaves faults that `heal` or `down`
//! remove entirely.

mod common;
use common::*;
use std::os::fd::AsFd;
use std::process::Child;
use std::time::{Duration, Instant};

const LAB: &str = "lab: sc
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.1.2/24] }
    routes: [default via 10.0.1.1]
  r:
    interfaces:
      eth0: { addresses: [10.0.1.1/24] }
      eth1: { addresses: [10.0.2.1/24] }
    forwarding: true
  c:
    interfaces:
      eth0: { addresses: [10.0.2.2/24] }
    routes: [default via 10.0.2.1]
    serve: [tcp/80]
links:
  - [a:eth0, r:eth0]
  - [r:eth1, c:eth0]
expect:
  - a -> c
scenarios:
  cut:
    - expect: [a -> c]
    - link: r:eth1 down both
    - expect: [a -x c, { from: a, to: c:80, proto: tcp, expect: fail }]
    - link: r:eth1 up both
    - expect: [{ check: a -> c, within: 5s }]
    - partition: [[a], [c]]
    - expect: [a -x c, c -x a]
    - exec: { node: a, cmd: \"echo from-a; exit 3\", exit: 3 }
    - heal
    - expect: [a -> c]
  broken:
    - partition: [[a], [c]]
    - stop: c
    - expect: [a -> c]
    - wait: 1s
    - heal
  long:
    - partition: [[a], [c]]
    - stop: c
    - link: a:eth0 down
    - wait: 60s
";

fn up() {
    let f = write("sc.yaml", LAB);
    nslab_ok(&["up", &f], 0);
}

fn no_faults_left(lab: &str) -> String {
    let show = nslab_ok(&["show", lab], 0);
    assert!(!show.contains("faults"), "faults left:\n{show}");
    show
}

#[test]
fn scenarios_pass_fail_report_junit_and_heal() {
    if !sandbox("scenarios_pass_fail_report_junit_and_heal") {
        return;
    }
    up();
    let all = nslab(&["test", "sc", "cut", "broken", "--junit", "/run/junit.xml"]);
    let junit = std::fs::read_to_string("/run/junit.xml").expect("junit written");
    let show = no_faults_left("sc");
    let after = nslab(&["check", "sc"]);
    let keep = nslab(&["test", "sc", "broken", "--keep-going", "--json"]);
    let unknown = nslab(&["test", "sc", "nope"]);
    nslab_ok(&["down", "sc"], 0);
    assert_nothing_left("sc");
    let out = text(&all);
    assert_eq!(all.status.code(), Some(1), "{out}");
    for line in [
        "✓  2 link r:eth1 down (both ends)",
        "✓  8 exec in a",
        "scenario cut: passed",
        "✗  3 expect a -> c",
        "scenario broken: failed at step 3 (expect a -> c)",
        "-    wait 1.0s (not run)",
        "healed: partition a | c, stop c",
        "1 scenario(s) passed, 1 failed",
    ] {
        assert!(out.contains(line), "`{line}` missing in:\n{out}");
    }
    let elements = well_formed(&junit).unwrap_or_else(|e| panic!("{e}:\n{junit}"));
    assert!(elements > 10);
    assert_eq!(junit.matches("<testsuite ").count(), 2, "{junit}");
    assert_eq!(junit.matches("<testcase ").count(), 10 + 5, "{junit}");
    assert_eq!(junit.matches("<failure ").count(), 1, "{junit}");
    assert!(junit.contains("name=\"sc/broken\""), "{junit}");
    assert!(show.contains("running"), "{show}");
    assert_eq!(after.status.code(), Some(0), "{}", text(&after));
    assert_eq!(keep.status.code(), Some(1), "{}", text(&keep));
    let v: serde_json::Value = serde_json::from_str(String::from_utf8_lossy(&keep.stdout).trim())
        .unwrap_or_else(|e| panic!("{e}: {}", text(&keep)));
    let steps = v[0]["steps"].as_array().map_or(0, Vec::len);
    assert_eq!(steps, 5, "--keep-going runs every step: {v}");
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    assert!(
        text(&unknown).contains("no scenario nope"),
        "{}",
        text(&unknown)
    );
}

/// Starts `nslab test sc long` and waits until its three faults are in
/// force (the record lists them). The caller reaps it (clippy cannot see
/// through the return).
#[allow(clippy::zombie_processes)]
fn start_long() -> Child {
    let mut child = spawn(&["test", "sc", "long"]);
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let show = text(&nslab(&["show", "sc"]));
        if show.contains("link a:eth0 down") {
            return child;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the faults never came:\n{show}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn partition_table(ns: &str) -> bool {
    let fd = nslab_sys::netns::open(ns).expect("netns");
    nslab_sys::netns::run_in(fd.as_fd(), || {
        nslab_nft::Socket::open()
            .expect("nft")
            .table_exists("nslab-sc-partition")
            .expect("list")
    })
    .expect("enter")
}

#[test]
fn sigterm_heals_before_exiting() {
    if !sandbox("sigterm_heals_before_exiting") {
        return;
    }
    up();
    let child = start_long();
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let t = Instant::now();
    let out = child.wait_with_output().expect("wait");
    let took = t.elapsed();
    no_faults_left("sc");
    let tables = partition_table("sc-a") || partition_table("sc-c");
    let check = nslab(&["check", "sc"]);
    nslab_ok(&["down", "sc"], 0);
    assert_nothing_left("sc");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert!(text(&out).contains("interrupted"), "{}", text(&out));
    assert!(
        took < Duration::from_secs(10),
        "the wait was not cut short: {took:?}"
    );
    assert!(!tables);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
}

/// SIGKILL leaves the faults in force, but recorded: `heal` removes them
/// all, and so does `down` (nothing of the lab is left).
#[test]
fn a_killed_test_leaves_nothing_after_heal_or_down() {
    if !sandbox("a_killed_test_leaves_nothing_after_heal_or_down") {
        return;
    }
    up();
    let mut child = start_long();
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let during = nslab_ok(&["show", "sc"], 0);
    let healed = nslab_ok(&["heal", "sc"], 0);
    no_faults_left("sc");
    let tables = partition_table("sc-a") || partition_table("sc-c");
    let check = nslab(&["check", "sc"]);
    let mut child = start_long();
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    let t = Instant::now();
    nslab_ok(&["down", "sc"], 0);
    let took = t.elapsed();
    assert_nothing_left("sc");
    assert!(
        during.contains("partition a | c") && during.contains("stop c"),
        "{during}"
    );
    assert!(healed.contains("3 fault(s) removed"), "{healed}");
    assert!(!tables, "partition tables left after heal");
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert!(
        took < Duration::from_secs(2),
        "down waited for frozen processes: {took:?}"
    );
}
