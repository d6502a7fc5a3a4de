//! `nslab stop`/`start` of a node: its `serve:`/`run:` processes frozen
//! (`SIGSTOP`) and thawed (`SIGCONT`). The processes are the recorded ones
//! that are still the processes recorded (pid and start time) and the lab's,
//! and every process of their sessions: nothing else is signalled. `start`
//! thaws what `stop` froze ([`Took`]), and no more.

use super::{lab_namespaces, verified};
use crate::host::processes::{Proc, Processes};
use crate::host::Host;
use crate::record::{Record, Took};
use std::time::{Duration, Instant};

/// The node's processes: the recorded ones that are the lab's, and the
/// other members of their sessions.
fn node_processes(p: &mut dyn Processes, rec: &Record, node: &str) -> Vec<Proc> {
    let lab_ns = lab_namespaces(p, rec);
    let leaders: Vec<Proc> = rec
        .processes
        .iter()
        .filter(|r| r.node == node)
        .filter_map(|r| verified(p, &rec.lab, r, &lab_ns))
        .collect();
    if leaders.is_empty() {
        return leaders;
    }
    let sessions: Vec<i32> = leaders.iter().map(|q| q.pid).collect();
    let members: Vec<Proc> = p
        .scan()
        .into_iter()
        .filter(|q| sessions.contains(&q.stat.session) && !sessions.contains(&q.pid))
        .collect();
    leaders.into_iter().chain(members).collect()
}

/// What `stop` of the node would take now: its processes that are not
/// frozen, and its container if it runs.
pub fn running(host: &mut dyn Host, rec: &Record, node: &str) -> Took {
    let processes = node_processes(host.processes(), rec, node)
        .into_iter()
        .filter(|q| q.stat.state != 'T')
        .map(|q| (q.pid, q.stat.start))
        .collect();
    let paused = rec.containers.get(node).is_some_and(|name| {
        let c = host.containers().inspect(name);
        matches!(c, Ok(Some(c)) if c.state == "running")
    });
    Took { processes, paused }
}

/// The node's processes among `took` (all of them: `None`).
fn targets(
    p: &mut dyn Processes,
    rec: &Record,
    node: &str,
    took: Option<&Took>,
) -> Vec<(i32, u64)> {
    node_processes(p, rec, node)
        .into_iter()
        .map(|q| (q.pid, q.stat.start))
        .filter(|q| took.is_none_or(|t| t.processes.contains(q)))
        .collect()
}

/// Freezes the node's processes (`SIGSTOP`; those in `took`, all when
/// `None`) and waits (up to a second) until they are stopped; how many
/// were signalled.
pub fn freeze(host: &mut dyn Host, rec: &Record, node: &str, took: Option<&Took>) -> usize {
    let p = host.processes();
    let targets = targets(p, rec, node, took);
    let n = p.signal(&targets, libc::SIGSTOP);
    let end = Instant::now() + Duration::from_secs(1);
    let stopped = |p: &mut dyn Processes| {
        targets
            .iter()
            .filter_map(|(pid, start)| p.process(*pid, *start))
            .all(|q| q.stat.state == 'T')
    };
    while !stopped(p) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
    n
}

/// Lets the node's processes run again (`SIGCONT`; those `stop` froze,
/// all when `None`); how many.
pub fn thaw(host: &mut dyn Host, rec: &Record, node: &str, took: Option<&Took>) -> usize {
    let p = host.processes();
    let targets = targets(p, rec, node, took);
    p.signal(&targets, libc::SIGCONT)
}

/// The node's recorded processes that are alive and frozen (stopped by
/// a signal), by pid: what `show` reports for a stopped node.
pub fn frozen(host: &mut dyn Host, rec: &Record, node: &str) -> Vec<i32> {
    let p = host.processes();
    let lab_ns = lab_namespaces(p, rec);
    rec.processes
        .iter()
        .filter(|r| r.node == node)
        .filter_map(|r| verified(p, &rec.lab, r, &lab_ns))
        .filter(|q| q.stat.state == 'T')
        .map(|q| q.pid)
        .collect()
}
