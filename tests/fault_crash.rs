//! A fault command killed (SIGKILL) at moments spread over its run leaves
//! nothing `heal` does not undo: no partition table, no interface down,
//! no process frozen, nothing listed; and a later `down` leaves nothing.
//! (A fault is recorded as being put in before the kernel is touched.)

mod common;
use common::*;
use std::time::Duration;

const LAB: &str = "lab: fc
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.1.1/24] }
  b:
    interfaces:
      eth0: { addresses: [10.0.1.2/24] }
      eth1: { addresses: [10.0.2.1/24] }
    serve: [tcp/80]
  c:
    interfaces:
      eth0: { addresses: [10.0.2.2/24] }
links:
  - [a:eth0, b:eth0]
  - [b:eth1, c:eth0]
expect:
  - a -> b
  - c -> 10.0.2.1
  - { from: a, to: b:80, proto: tcp }
";

/// The state letter of the lab's responder in b.
fn responder_state() -> Option<char> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        if !String::from_utf8_lossy(&cmd).contains("__serve\0fc/b") {
            return None;
        }
        let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
        stat[stat.rfind(')')? + 2..].chars().next()
    })
}

#[test]
fn a_killed_fault_command_leaves_nothing_heal_does_not_undo() {
    if !sandbox("a_killed_fault_command_leaves_nothing_heal_does_not_undo") {
        return;
    }
    let f = write("fc.yaml", LAB);
    nslab_ok(&["up", &f], 0);
    let commands: [&[&str]; 3] = [
        &["stop", "fc", "b"],
        &["partition", "fc", "a", "b,c"],
        &["link", "fc", "b:eth0", "down", "--both"],
    ];
    let mut wrong = Vec::new();
    for args in commands {
        for ms in [0u64, 2, 4, 6, 8, 12, 16, 25] {
            let mut child = spawn(args);
            std::thread::sleep(Duration::from_millis(ms));
            let _ = child.kill();
            let _ = child.wait();
            let heal = nslab(&["heal", "fc"]);
            let show = nslab_ok(&["show", "fc"], 0);
            let check = nslab(&["check", "fc"]);
            let frozen = responder_state() == Some('T');
            if heal.status.code() != Some(0)
                || show.contains("faults")
                || check.status.code() != Some(0)
                || frozen
            {
                wrong.push(format!(
                    "{args:?} killed after {ms} ms:\nheal: {}\nshow: {show}\ncheck: {}\nfrozen: {frozen}",
                    text(&heal),
                    text(&check)
                ));
            }
        }
    }
    // Killed once more, then taken down: nothing is left.
    let mut child = spawn(&["stop", "fc", "b"]);
    std::thread::sleep(Duration::from_millis(5));
    let _ = child.kill();
    let _ = child.wait();
    nslab_ok(&["down", "fc"], 0);
    assert_nothing_left("fc");
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
