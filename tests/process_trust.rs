//! A process is the lab's only if the kernel says so too: a record that
//! names another process by its pid and start time (crafted, or stale)
//! never gets it signalled — not by `stop`/`start` (SIGSTOP/SIGCONT),
//! not by an `up` that stops what it no longer wants, not by `down`. The
//! lab's own processes are still stopped by each (the control).

mod common;
use common::*;
use std::process::{Child, Command};

const LAB: &str = "lab: pt
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
";

/// Field 22 of `/proc/PID/stat` (start time) and field 3 (state).
fn stat(pid: u32) -> Option<(u64, char)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((f.get(19)?.parse().ok()?, f.first()?.chars().next()?))
}

/// Processes not of the lab: one in the sandbox's own namespace, one in
/// a namespace of someone else's; neither carries the lab's mark.
fn strangers() -> Vec<Child> {
    sh("ip netns add other");
    let here = Command::new("sleep")
        .arg("300")
        .env_remove("NSLAB_LAB")
        .spawn()
        .expect("sleep");
    let there = Command::new("ip")
        .args(["netns", "exec", "other", "sleep", "300"])
        .env_remove("NSLAB_LAB")
        .spawn()
        .expect("sleep in other");
    vec![here, there]
}

/// Adds each of `pids` to the record as a process of node b.
fn craft_record(pids: &[u32]) {
    let path = "/run/nslab/pt/state.json";
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("record")).expect("json");
    let list = v["processes"].as_array_mut().expect("processes");
    for pid in pids {
        let (start, _) = stat(*pid).expect("stat");
        list.push(serde_json::json!({
            "node": "b", "pid": pid, "start": start, "netns": null, "what": "__serve pt/b tcp/80"
        }));
    }
    std::fs::write(path, serde_json::to_vec(&v).expect("json")).expect("write record");
}

/// The lab's responder in b, by its command line.
fn responder() -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
        String::from_utf8_lossy(&cmd)
            .contains("__serve\0pt/b")
            .then(|| e.file_name().to_str()?.parse().ok())?
    })
}

#[test]
fn a_record_naming_a_stranger_never_gets_it_signalled() {
    if !sandbox("a_record_naming_a_stranger_never_gets_it_signalled") {
        return;
    }
    let f = write("pt.yaml", LAB);
    nslab_ok(&["up", &f], 0);
    let mut others = strangers();
    // `ip netns exec` has become the sleep by now.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let pids: Vec<u32> = others.iter().map(Child::id).collect();
    craft_record(&pids);
    let state = |what: &str| -> Vec<String> {
        pids.iter()
            .map(|p| match stat(*p) {
                Some((_, s)) => format!("{what}: {p} {s}"),
                None => format!("{what}: {p} gone"),
            })
            .collect()
    };
    nslab_ok(&["stop", "pt", "b"], 0);
    let stopped = state("stop");
    let lab_frozen = responder().and_then(stat).map(|(_, s)| s);
    nslab_ok(&["start", "pt", "b"], 0);
    craft_record(&pids);
    // The file's b runs no `sleep`: an up stops what it no longer wants.
    nslab_ok(&["up", &f], 0);
    let after_up = state("up");
    craft_record(&pids);
    nslab_ok(&["down", "pt"], 0);
    let after_down = state("down");
    let lab_left = responder();
    for c in &mut others {
        let _ = c.kill();
        let _ = c.wait();
    }
    sh("ip netns del other");
    assert_nothing_left("pt");
    for s in stopped.iter().chain(&after_up).chain(&after_down) {
        assert!(s.ends_with(" S") || s.ends_with(" R"), "signalled: {s}");
    }
    assert_eq!(lab_frozen, Some('T'), "the lab's own responder is frozen");
    assert_eq!(lab_left, None, "the lab's own responder is stopped by down");
}
