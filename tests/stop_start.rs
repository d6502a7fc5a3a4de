//! `nslab stop` then `nslab start` of a node on a real kernel, in a
//! sandbox: `start` thaws what `stop` froze, and no more — a process the
//! user froze before `stop` stays frozen (issue 16, item 16's rule, for
//! processes; the fake-host test in `src/services/tests.rs` covers every
//! example and containers).

mod common;
use common::*;

const LAB: &str = "lab: ss
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.7.1/24] }
    run: [sleep 1000, sleep 1001]
  b:
    interfaces:
      eth0: { addresses: [10.0.7.2/24] }
links:
  - [a:eth0, b:eth0]
";

/// The state letter of process `pid` (`T`: stopped by a signal).
fn state(pid: i64) -> char {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after = stat.rsplit_once(')').expect("comm").1;
    after.trim_start().chars().next().expect("state")
}

/// The recorded pids of the lab's processes, in the file's order.
fn pids() -> Vec<i64> {
    let text = std::fs::read_to_string("/run/nslab/ss/state.json").expect("record");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let procs = v["processes"].as_array().expect("processes");
    procs.iter().filter_map(|p| p["pid"].as_i64()).collect()
}

#[test]
fn start_thaws_what_stop_froze_and_no_more() {
    if !sandbox("start_thaws_what_stop_froze_and_no_more") {
        return;
    }
    let f = write("ss.yaml", LAB);
    nslab_ok(&["up", &f], 0);
    let p = pids();
    assert_eq!(p.len(), 2, "{p:?}");
    // The user freezes one by hand before `stop`.
    sh(&format!("kill -STOP {}", p[0]));
    nslab_ok(&["stop", "ss", "a"], 0);
    let stopped = [state(p[0]), state(p[1])];
    nslab_ok(&["start", "ss", "a"], 0);
    let started = [state(p[0]), state(p[1])];
    nslab_ok(&["down", "ss"], 0);
    assert_nothing_left("ss");
    assert_eq!(stopped, ['T', 'T'], "stop froze the node's processes");
    assert_eq!(
        started[0], 'T',
        "start thawed a process stop had not frozen"
    );
    assert_ne!(started[1], 'T', "start did not thaw what stop froze");
}
