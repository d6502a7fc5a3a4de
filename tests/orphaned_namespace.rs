//! A node's namespace deleted by hand (`ip netns del`), with or without a
//! `serve:`/`run:` process of the lab still in it: one `up` converges.
//!
//! A process keeps the deleted namespace alive (no name, still the lab's:
//! its `lo` carries `nslab:<lab>`), and with it the far ends of its veths
//! in the surviving nodes. Those ends must never be taken for the peers of
//! an unrelated pair that happens to have the same ifindex numbers (the
//! topology below is built so that `b:b0` and `d:c0`, whose peers were
//! both in `z`, look like each other's peer by ifindex alone). Without a
//! process, the kernel destroys the namespace's links a moment after the
//! deletion: an `up` right away must not trip over them.
//!
//! After the one `up`: `plan --exit-code` is 0, `check` passes, exactly one
//! responder runs (in the new namespace), and `down` leaves nothing.

mod common;
use common::*;

/// `b:b0` (ifindex 3, peer 2 in z) and `d:c0` (ifindex 2, peer 3 in z).
const LAB: &str = "lab: oc
nodes:
  b:
    interfaces:
      a0: { addresses: [10.0.0.1/24] }
      b0: { addresses: [10.0.1.1/24] }
  c:
    interfaces:
      a0: { addresses: [10.0.0.2/24] }
  d:
    interfaces:
      c0: { addresses: [10.0.2.1/24] }
  z:
    interfaces:
      b0: { addresses: [10.0.1.2/24] }
      c0: { addresses: [10.0.2.2/24] }
    serve: [tcp/80]
    run: [\"sleep 4242\"]
links:
  - [b:a0, c:a0]
  - [b:b0, z:b0]
  - [d:c0, z:c0]
expect:
  - { from: b, to: 10.0.1.2:80, proto: tcp, reply-from: z }
  - { from: d, to: 10.0.2.2:80, proto: tcp, reply-from: z }
  - { from: b, to: 10.0.0.2 }
";

/// Processes whose command line contains `needle`.
fn processes(needle: &str) -> usize {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .count()
}

#[test]
fn one_up_converges_after_a_namespace_is_deleted_by_hand() {
    if !sandbox("one_up_converges_after_a_namespace_is_deleted_by_hand") {
        return;
    }
    let f = write("oc.yaml", LAB);
    let f = f.as_str();
    // Which namespaces are deleted, all at once, right before the `up`:
    // the one the processes keep alive, one that dies on its own (no
    // process), both, and every one.
    let cases: &[&[&str]] = &[
        &["z"],
        &["d"],
        &["b"],
        &["b", "z"],
        &["d", "z"],
        &["b", "c", "d", "z"],
    ];
    for (round, deleted) in cases.iter().enumerate() {
        nslab_ok(&["up", f], 0);
        // The ifindex coincidence this test is built on.
        if round == 0 {
            let b = sh("ip -n oc-b -o link show b0");
            let d = sh("ip -n oc-d -o link show c0");
            assert!(
                b.starts_with("3: b0@if2") && d.starts_with("2: c0@if3"),
                "the topology no longer makes the ifindex coincidence:\n{b}{d}"
            );
        }
        for n in *deleted {
            sh(&format!("ip netns del oc-{n}"));
        }
        let up = nslab(&["up", f]);
        let plan = nslab(&["plan", f, "--exit-code"]);
        let check = nslab(&["check", "oc"]);
        let responders = processes("__serve oc/z");
        let runs = processes("sleep 4242");
        let kernel = sh("for n in $(ls /run/netns); do echo $n; ip -n $n -o link; done");
        nslab_ok(&["down", "oc"], 0);
        assert_nothing_left("oc");
        let what = format!("deleted {deleted:?}");
        assert_eq!(up.status.code(), Some(0), "{what}: up\n{}", text(&up));
        assert_eq!(
            plan.status.code(),
            Some(0),
            "{what}: not converged in one up\n{}\n{kernel}",
            text(&plan)
        );
        assert_eq!(
            check.status.code(),
            Some(0),
            "{what}: check\n{}",
            text(&check)
        );
        assert_eq!(responders, 1, "{what}: responders");
        assert_eq!(runs, 1, "{what}: run: processes");
        assert_eq!(processes("sleep 4242"), 0, "{what}: left after down");
    }
}

/// The deleted namespace held by a process that is not the lab's: `up`
/// leaves that process alone, waits a bounded time for the namespace to
/// go, then replaces the veths whose peers are in it; one `up` still
/// converges.
#[test]
fn a_namespace_held_by_a_stranger_is_left_alone_and_one_up_converges() {
    if !sandbox("a_namespace_held_by_a_stranger_is_left_alone_and_one_up_converges") {
        return;
    }
    let f = write("oc.yaml", LAB);
    let f = f.as_str();
    nslab_ok(&["up", f], 0);
    let mut stranger = std::process::Command::new("ip")
        .args(["netns", "exec", "oc-z", "sleep", "3737"])
        .spawn()
        .expect("ip netns exec");
    std::thread::sleep(std::time::Duration::from_millis(200));
    sh("ip netns del oc-z");
    let started = std::time::Instant::now();
    let up = nslab(&["up", f]);
    let took = started.elapsed();
    let plan = nslab(&["plan", f, "--exit-code"]);
    let check = nslab(&["check", "oc"]);
    let responders = processes("__serve oc/z");
    let stranger_alive = matches!(stranger.try_wait(), Ok(None));
    let _ = stranger.kill();
    let _ = stranger.wait();
    nslab_ok(&["down", "oc"], 0);
    assert_nothing_left("oc");
    assert_eq!(up.status.code(), Some(0), "up\n{}", text(&up));
    assert!(stranger_alive, "up stopped a process that is not the lab's");
    assert!(took.as_secs() < 10, "up waited {took:?}");
    assert_eq!(plan.status.code(), Some(0), "{}", text(&plan));
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    assert_eq!(responders, 1);
}
