//! `nslab stop`/`start` of a node: its `serve:`/`run:` processes frozen
//! (`SIGSTOP`) and thawed (`SIGCONT`). The processes are the recorded ones
//! that are still the processes recorded (pid and start time) and every
//! process of their sessions: nothing else is signalled.

use super::{lab_namespaces, verified};
use crate::host::processes::Processes;
use crate::host::Host;
use crate::record::Record;
use std::time::{Duration, Instant};

/// Sends `sig` to the node's processes; how many received it.
fn signal_node(p: &mut dyn Processes, rec: &Record, node: &str, sig: i32) -> usize {
    let lab_ns = lab_namespaces(p, rec);
    let leaders: Vec<(i32, u64)> = rec
        .processes
        .iter()
        .filter(|r| r.node == node)
        .filter_map(|r| verified(p, &rec.lab, r, &lab_ns))
        .map(|q| (q.pid, q.stat.start))
        .collect();
    if leaders.is_empty() {
        return 0;
    }
    let sessions: Vec<i32> = leaders.iter().map(|(pid, _)| *pid).collect();
    let members = p
        .scan()
        .into_iter()
        .filter(|q| sessions.contains(&q.stat.session) && !sessions.contains(&q.pid))
        .map(|q| (q.pid, q.stat.start));
    let all: Vec<(i32, u64)> = leaders.iter().copied().chain(members).collect();
    p.signal(&all, sig)
}

/// Freezes the node's processes (`SIGSTOP`) and waits (up to a second)
/// until the recorded ones are stopped; how many were signalled.
pub fn freeze(host: &mut dyn Host, rec: &Record, node: &str) -> usize {
    let p = host.processes();
    let n = signal_node(p, rec, node, libc::SIGSTOP);
    let end = Instant::now() + Duration::from_secs(1);
    let lab_ns = lab_namespaces(p, rec);
    let want = rec
        .processes
        .iter()
        .filter(|r| r.node == node)
        .filter(|r| verified(p, &rec.lab, r, &lab_ns).is_some())
        .count();
    while frozen_in(p, rec, node).len() < want && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    n
}

/// Lets the node's processes run again (`SIGCONT`); how many.
pub fn thaw(host: &mut dyn Host, rec: &Record, node: &str) -> usize {
    signal_node(host.processes(), rec, node, libc::SIGCONT)
}

/// The node's recorded processes that are alive and frozen (stopped by
/// a signal), by pid: what `show` reports for a stopped node.
pub fn frozen(host: &mut dyn Host, rec: &Record, node: &str) -> Vec<i32> {
    frozen_in(host.processes(), rec, node)
}

fn frozen_in(p: &mut dyn Processes, rec: &Record, node: &str) -> Vec<i32> {
    let lab_ns = lab_namespaces(p, rec);
    rec.processes
        .iter()
        .filter(|r| r.node == node)
        .filter_map(|r| verified(p, &rec.lab, r, &lab_ns))
        .filter(|q| q.stat.state == 'T')
        .map(|q| q.pid)
        .collect()
}
