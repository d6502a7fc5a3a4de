//! Commands racing on one lab: every ordered pair of {up, down, heal,
//! test, a fault command}. The first holds the lab's lock when the second
//! starts, and the first is slowed at every lock (debug builds read
//! `NSLAB_TEST_LOCK_DELAY_MS`: each lock is held that much longer and
//! that much time passes before it is taken and after it is released),
//! so the second runs in any gap the first leaves between two looks at
//! the lab. Whatever the order, the end is one the user can name: a
//! `down` that returned leaves nothing (no `heal` or `up` of the first
//! rebuilds the lab behind it), a command that finds the lab gone says
//! so and makes nothing (not even `/run/nslab/<lab>/`), and otherwise the
//! lab is whole.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LAB: &str = "lab: rc
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.1.1/24] }
  b:
    interfaces:
      eth0: { addresses: [10.0.1.2/24] }
    serve: [tcp/80]
links:
  - [a:eth0, b:eth0]
expect:
  - a -> b
scenarios:
  cut:
    - link: a:eth0 down
    - expect: [a -x b]
";

const OPS: [&str; 5] = ["up", "down", "heal", "test", "fault"];

fn args<'a>(op: &str, file: &'a str) -> Vec<&'a str> {
    match op {
        "up" => vec!["up", file],
        "down" => vec!["down", "rc"],
        "heal" => vec!["heal", "rc"],
        "test" => vec!["test", "rc"],
        _ => vec!["link", "rc", "a:eth0", "down"],
    }
}

/// The pid written in the lab's lock file (by whoever holds it).
fn lock_holder() -> Option<u32> {
    std::fs::read_to_string("/run/nslab/rc/lock")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// What is left of lab rc, as words (empty: nothing).
fn leftovers() -> Vec<String> {
    let mut left = Vec::new();
    if let Ok(d) = std::fs::read_dir("/run/netns") {
        left.extend(d.flatten().map(|e| format!("netns {:?}", e.file_name())));
    }
    if Path::new("/run/nslab/rc").exists() {
        left.push("/run/nslab/rc".into());
    }
    // The sandbox has a PID namespace of its own: every process is the
    // test's.
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains("__serve rc/") {
            left.push(format!("process {:?}: {cmd}", e.file_name()));
        }
    }
    left
}

/// Runs `first` slowed at its locks, then `second` while `first` holds
/// the lab's lock; their exit codes and output.
fn race(first: &[&str], second: &[&str]) -> ((Option<i32>, String), (Option<i32>, String)) {
    let a = Command::new(nslab_bin())
        .args(first)
        .env("NSLAB_TEST_LOCK_DELAY_MS", "300")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the first");
    let end = Instant::now() + Duration::from_secs(10);
    while lock_holder() != Some(a.id()) {
        assert!(Instant::now() < end, "{first:?} never took the lock");
        std::thread::sleep(Duration::from_millis(5));
    }
    let b = spawn(second);
    let (ca, oa, ea) = finish(a);
    let (cb, ob, eb) = finish(b);
    ((ca, oa + &ea), (cb, ob + &eb))
}

#[test]
fn every_pair_of_commands_racing_ends_in_a_state_one_can_name() {
    if !sandbox("every_pair_of_commands_racing_ends_in_a_state_one_can_name") {
        return;
    }
    let f = write("rc.yaml", LAB);
    let mut wrong = Vec::new();
    for first in OPS {
        for second in OPS {
            nslab_ok(&["up", &f], 0);
            nslab_ok(&["heal", "rc"], 0);
            let ((ca, oa), (cb, ob)) = race(&args(first, &f), &args(second, &f));
            let what = format!(
                "{first} then {second}:\n--- {first} exited {ca:?}:\n{oa}--- {second} exited {cb:?}:\n{ob}"
            );
            let left = leftovers();
            if second == "down" {
                // The last word is the down's: nothing is left. The first
                // finished whole before it (a test's steps after the down
                // fail: the lab is gone).
                let first_whole = first == "test" || ca == Some(0);
                if cb != Some(0) || !left.is_empty() || !first_whole {
                    wrong.push(format!("{what}left: {left:?}"));
                }
            } else if first == "down" && second != "up" {
                // The lab went away first: the second says so, makes
                // nothing.
                if ca != Some(0) || cb != Some(2) || !left.is_empty() {
                    wrong.push(format!("{what}left: {left:?}"));
                }
            } else {
                // Both ran on a lab that is up: it is whole (once healed).
                let healed = nslab(&["heal", "rc"]);
                let plan = nslab(&["plan", "--exit-code", &f]);
                let check = nslab(&["check", "rc"]);
                let ok_codes = ca == Some(0) && cb == Some(0);
                if healed.status.code() != Some(0)
                    || plan.status.code() != Some(0)
                    || check.status.code() != Some(0)
                    || !ok_codes
                {
                    wrong.push(format!(
                        "{what}then heal: {}\nplan: {}\ncheck: {}",
                        text(&healed),
                        text(&plan),
                        text(&check)
                    ));
                }
            }
            let _ = nslab(&["down", "rc"]);
            assert!(
                leftovers().is_empty(),
                "{what}: down left {:?}",
                leftovers()
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
