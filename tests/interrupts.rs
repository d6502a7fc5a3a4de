//! Every wait of `nslab test` heeds an interrupt, and a step's processes
//! end with the step: Ctrl-C during an `expect` with `within:` and during
//! an `exec` ends the run at once (exit 130) with the faults healed, a
//! second Ctrl-C included; an `exec` whose command leaves a child in the
//! background neither outlives its `timeout:` nor leaves the child
//! running.

mod common;
use common::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::process::Child;
use std::time::{Duration, Instant};

const LAB: &str = "lab: it
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.1.1/24] }
  c:
    interfaces:
      eth0: { addresses: [10.0.1.2/24] }
links:
  - [a:eth0, c:eth0]
scenarios:
  within:
    - partition: [[a], [c]]
    - expect: [{ check: a -> c, within: 60s }]
  exec:
    - partition: [[a], [c]]
    - exec: { node: a, cmd: \"sleep 41 & sleep 42\", timeout: 60s }
  background:
    - exec: { node: a, cmd: \"sleep 43 & exit 0\", timeout: 30s }
    - exec: { node: a, cmd: \"sleep 44 & sleep 45\", timeout: 1s, exit: 0 }
";

/// The `sleep 4x` processes still running (the sandbox's PID namespace
/// holds only the test's processes).
fn sleeps() -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rfind(')')
            .is_some_and(|i| stat[i + 2..].starts_with('Z'));
        if cmd.starts_with("sleep 4") && !zombie {
            out.push(cmd);
        }
    }
    out
}

/// Starts `nslab test it NAME` and waits until the partition is in force.
#[allow(clippy::zombie_processes)]
fn start(name: &str) -> Child {
    let mut child = spawn(&["test", "it", name]);
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let show = text(&nslab(&["show", "it"]));
        if show.contains("partition a | c") {
            // Into the step after the partition.
            std::thread::sleep(Duration::from_millis(300));
            return child;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the partition never came:\n{show}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGINT (`times` of them, 100 ms apart) to a started `nslab test`; its
/// exit code, output, and how long it took to end after the first.
fn interrupt(child: Child, times: usize) -> (Option<i32>, String, Duration) {
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    let t = Instant::now();
    for _ in 0..times {
        kill(pid, Signal::SIGINT).expect("SIGINT");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, out, err) = finish(child);
    (code, out + &err, t.elapsed())
}

#[test]
fn ctrl_c_ends_every_wait_and_the_faults_are_healed() {
    if !sandbox("ctrl_c_ends_every_wait_and_the_faults_are_healed") {
        return;
    }
    let f = write("it.yaml", LAB);
    nslab_ok(&["up", &f], 0);
    let mut runs = Vec::new();
    for (name, times) in [("within", 1), ("within", 2), ("exec", 1), ("exec", 2)] {
        let child = start(name);
        let (code, out, took) = interrupt(child, times);
        let show = nslab_ok(&["show", "it"], 0);
        runs.push((name, times, code, out, took, show, sleeps()));
    }
    nslab_ok(&["down", "it"], 0);
    assert_nothing_left("it");
    for (name, times, code, out, took, show, left) in runs {
        let what = format!("{name}, {times} Ctrl-C:\n{out}");
        assert_eq!(code, Some(130), "{what}");
        assert!(took < Duration::from_secs(5), "took {took:?}: {what}");
        assert!(out.contains("healed: partition a | c"), "{what}");
        assert!(!show.contains("faults"), "{what}\n{show}");
        assert!(left.is_empty(), "{what}: left running: {left:?}");
    }
}

#[test]
fn a_step_s_background_children_end_with_it() {
    if !sandbox("a_step_s_background_children_end_with_it") {
        return;
    }
    let f = write("it.yaml", LAB);
    nslab_ok(&["up", &f], 0);
    let t = Instant::now();
    let o = nslab(&["test", "it", "background", "--keep-going"]);
    let took = t.elapsed();
    let left = sleeps();
    nslab_ok(&["down", "it"], 0);
    assert_nothing_left("it");
    let out = text(&o);
    assert!(took < Duration::from_secs(6), "took {took:?}:\n{out}");
    let line = |n: &str| {
        out.lines()
            .find(|l| l.contains(n))
            .unwrap_or_else(|| panic!("no step {n}:\n{out}"))
            .to_string()
    };
    assert!(line("sleep 43").contains('✓'), "{out}");
    assert!(line("sleep 44").contains('✗'), "{out}");
    assert!(out.contains("still running after 1.0s"), "{out}");
    assert!(left.is_empty(), "left running: {left:?}");
}
