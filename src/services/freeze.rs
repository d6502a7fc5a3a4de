//! `nslab stop`/`start` of a node: its `serve:`/`run:` processes frozen
//! (`SIGSTOP`) and thawed (`SIGCONT`). The processes are the recorded ones
//! that are still the processes recorded (pid and start time, through a
//! pidfd) and every process of their sessions: nothing else is signalled.

use super::{lab_namespaces, verified};
use crate::record::Record;
use nslab_sys::procs;
use std::time::{Duration, Instant};

/// Sends `sig` to the node's processes; how many received it.
fn signal_node(rec: &Record, node: &str, sig: i32) -> usize {
    let lab_ns = lab_namespaces(rec);
    let leaders: Vec<procs::Handle> = rec
        .processes
        .iter()
        .filter(|p| p.node == node)
        .filter_map(|p| verified(&rec.lab, p, &lab_ns))
        .collect();
    if leaders.is_empty() {
        return 0;
    }
    let sessions: Vec<i32> = leaders.iter().map(|h| h.pid).collect();
    let members: Vec<procs::Handle> = procs::scan()
        .into_iter()
        .filter(|q| sessions.contains(&q.stat.session) && !sessions.contains(&q.pid))
        .filter_map(|q| procs::Handle::open(q.pid, q.stat.start))
        .collect();
    leaders
        .iter()
        .chain(&members)
        .filter(|h| h.signal(sig))
        .count()
}

/// Freezes the node's processes (`SIGSTOP`) and waits (up to a second)
/// until the recorded ones are stopped; how many were signalled.
pub fn freeze(rec: &Record, node: &str) -> usize {
    let n = signal_node(rec, node, libc::SIGSTOP);
    let end = Instant::now() + Duration::from_secs(1);
    let lab_ns = lab_namespaces(rec);
    let alive = |p: &&crate::record::Process| verified(&rec.lab, p, &lab_ns).is_some();
    let want = rec
        .processes
        .iter()
        .filter(|p| p.node == node)
        .filter(alive)
        .count();
    while frozen(rec, node).len() < want && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    n
}

/// Lets the node's processes run again (`SIGCONT`); how many.
pub fn thaw(rec: &Record, node: &str) -> usize {
    signal_node(rec, node, libc::SIGCONT)
}

/// The node's recorded processes that are alive and frozen (stopped by
/// a signal), by pid: what `show` reports for a stopped node.
pub fn frozen(rec: &Record, node: &str) -> Vec<i32> {
    let lab_ns = lab_namespaces(rec);
    rec.processes
        .iter()
        .filter(|p| p.node == node)
        .filter(|p| verified(&rec.lab, p, &lab_ns).is_some())
        .filter(|p| procs::stat(p.pid).is_some_and(|s| s.state == 'T'))
        .map(|p| p.pid)
        .collect()
}
