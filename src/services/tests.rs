//! `serve:`, `run:` and `image:` against the fake machine (its kernel, its
//! process table and its containers): what a user relies on of the lab's
//! processes, for every example. What lives outside the fake (the record
//! under /run/nslab, the hosts files) is the sandbox's.

use super::status::Running;
use crate::host::fake::FakeHost;
use crate::host::Host;
use crate::lab::faults::{self, Request};
use crate::lab::tests::{examples, kernel, load, machine, recorded, Example};
use crate::launch::{Loaded, Undone, UpError};
use crate::record::{self, Process, Record};
use nslab_sys::sandbox::Sandbox;
use nslab_sys::statedir::StateDir;

fn sandboxed(name: &str) -> bool {
    Sandbox::new()
        .with_pid_namespace()
        .enter(&format!("services::tests::{name}"))
}

fn loaded(e: &Example) -> Loaded {
    Loaded {
        topology: e.t.clone(),
        desired: e.desired.clone(),
        text: e.text.clone(),
        source: e.path.clone(),
        warnings: Vec::new(),
    }
}

/// `up` as the CLI runs it (the one entry point, `launch::up`).
fn up(h: &mut FakeHost, e: &Example) -> Result<(), UpError> {
    crate::launch::up(h, &loaded(e), &mut |_, _| {}).map(|_| ())
}

fn read_record(lab: &str) -> Record {
    let dir = StateDir::find(lab).expect("state dir").expect("a record");
    Record::from_json(&dir.read(record::FILE).expect("read").expect("record")).expect("parse")
}

fn write_record(rec: &Record) {
    let dir = StateDir::find(&rec.lab)
        .expect("state dir")
        .expect("a record");
    dir.write_atomic(record::FILE, &rec.to_json())
        .expect("write the record");
}

/// What the example asks to run: its `serve:`/`run:` entries and its
/// image nodes.
fn asked(e: &Example) -> (usize, usize) {
    let procs =
        e.t.nodes
            .values()
            .map(|n| usize::from(!n.serve.is_empty()) + n.run.len())
            .sum();
    let images = e.t.nodes.values().filter(|n| n.image.is_some()).count();
    (procs, images)
}

fn with_processes() -> Vec<Example> {
    let all: Vec<Example> = examples()
        .into_iter()
        .filter(|e| asked(e) != (0, 0))
        .collect();
    assert!(all.len() >= 5, "examples with processes: {}", all.len());
    assert!(
        all.iter().any(|e| asked(e).1 > 0),
        "no example with an image node"
    );
    all
}

/// `up` then `down` of every example starts each entry and container
/// once, each the lab's and running, and leaves the machine as it
/// started (the processes' children stopped too): kernel, processes,
/// containers, no record.
#[test]
fn up_then_down_runs_each_process_once_and_leaves_nothing() {
    if !sandboxed("up_then_down_runs_each_process_once_and_leaves_nothing") {
        return;
    }
    for e in with_processes() {
        let mut h = machine(&e.desired);
        h.procs.foreign();
        let before = kernel(&h);
        up(&mut h, &e).unwrap_or_else(|err| panic!("{}: up: {err}", e.path));
        let (procs, images) = asked(&e);
        assert_eq!(h.procs.procs.len(), procs + 1, "{}: processes", e.path);
        assert_eq!(h.procs.containers.len(), images, "{}: containers", e.path);
        let rec = read_record(&e.desired.lab);
        let status = super::status(&mut h, &rec, None);
        assert_eq!(status.len(), procs, "{}: recorded", e.path);
        for (p, running) in status {
            assert_eq!(running, Running::Yes, "{}: {p:?}", e.path);
        }
        // `up` again: nothing new starts, nothing is stopped.
        for p in &rec.processes {
            h.procs.fork(p.pid).expect("fork");
        }
        let running = kernel(&h);
        up(&mut h, &e).unwrap_or_else(|err| panic!("{}: up again: {err}", e.path));
        assert_eq!(kernel(&h), running, "{}: up again", e.path);
        let r = crate::lab::down(&mut h, &e.desired.lab).expect("down");
        assert!(r.errors.is_empty(), "{}: {:?}", e.path, r.errors);
        assert_eq!(kernel(&h), before, "{}: up then down", e.path);
        assert!(!recorded(&e.desired.lab), "{}: record left", e.path);
    }
}

/// A new lab whose process or container fails to start (each in turn)
/// is removed again, as the CLI promises: nothing runs, the kernel as
/// before, no record.
#[test]
fn a_start_failing_at_each_process_removes_a_new_lab() {
    if !sandboxed("a_start_failing_at_each_process_removes_a_new_lab") {
        return;
    }
    let mut failures = 0;
    for e in with_processes() {
        let (procs, images) = asked(&e);
        for k in 0..procs + images {
            let mut h = machine(&e.desired);
            h.procs.foreign();
            let before = kernel(&h);
            h.procs.fail_starts.insert(k);
            let r = up(&mut h, &e);
            assert!(
                matches!(
                    &r,
                    Err(UpError::Processes {
                        undone: Undone::Removed,
                        ..
                    })
                ),
                "{} failing at start {k}: {r:?}",
                e.path
            );
            assert!(
                h.procs.fail_starts.is_empty(),
                "{}: start {k} not tried",
                e.path
            );
            assert_eq!(kernel(&h), before, "{} failing at start {k}", e.path);
            assert!(!recorded(&e.desired.lab), "{} failing at start {k}", e.path);
            failures += 1;
        }
    }
    assert!(failures >= 10, "only {failures} failures tried");
}

/// An image the host's store lacks stops `up` before anything is made
/// (nslab pulls nothing): the machine as before, no record.
#[test]
fn an_image_the_host_lacks_changes_nothing() {
    if !sandboxed("an_image_the_host_lacks_changes_nothing") {
        return;
    }
    for e in with_processes().into_iter().filter(|e| asked(e).1 > 0) {
        let mut h = machine(&e.desired);
        let images = e.t.nodes.values().filter_map(|n| n.image.clone());
        h.procs.missing_images.extend(images);
        let before = kernel(&h);
        let r = up(&mut h, &e);
        assert!(matches!(&r, Err(UpError::Invalid(_))), "{}: {r:?}", e.path);
        assert_eq!(kernel(&h), before, "{}", e.path);
        assert!(!recorded(&e.desired.lab), "{}: record made", e.path);
    }
}

/// A lab that was up keeps running when an `up` fails to start a
/// process again (two had died; the first starts again, the second
/// fails): the network as before, the processes that ran still run, the
/// one this run started is stopped again, neither is recorded.
#[test]
fn a_start_failing_in_a_lab_that_was_up_keeps_it_up() {
    if !sandboxed("a_start_failing_in_a_lab_that_was_up_keeps_it_up") {
        return;
    }
    for e in with_processes().into_iter().filter(|e| asked(e).0 >= 2) {
        let mut h = machine(&e.desired);
        let before = kernel(&h);
        up(&mut h, &e).unwrap_or_else(|err| panic!("{}: up: {err}", e.path));
        let dead: Vec<Process> = read_record(&e.desired.lab).processes[..2].to_vec();
        for d in &dead {
            h.procs.procs.remove(&d.pid);
        }
        let running = kernel(&h);
        h.procs.fail_starts.insert(h.procs.starts + 1);
        let r = up(&mut h, &e);
        assert!(
            matches!(
                &r,
                Err(UpError::Processes {
                    undone: Undone::KeptUp { .. },
                    ..
                })
            ),
            "{}: {r:?}",
            e.path
        );
        assert!(
            h.procs.fail_starts.is_empty(),
            "{}: no second start",
            e.path
        );
        assert_eq!(kernel(&h), running, "{}: the lab as it was", e.path);
        let rec = read_record(&e.desired.lab);
        assert_eq!(rec.processes.len(), asked(&e).0 - 2, "{}", e.path);
        for p in &rec.processes {
            assert!(h.procs.procs.contains_key(&p.pid), "{}: {p:?}", e.path);
        }
        crate::lab::down(&mut h, &e.desired.lab).expect("down");
        assert_eq!(kernel(&h), before, "{}: down", e.path);
    }
}

/// `stop NODE` then `start NODE` gives back exactly what `stop` took:
/// the node's processes thawed and its container unpaused, its
/// interfaces up; and no more: a process frozen or a container paused
/// before `stop` stays so, other nodes are untouched.
#[test]
fn start_restores_what_stop_took_and_no_more() {
    if !sandboxed("start_restores_what_stop_took_and_no_more") {
        return;
    }
    let mut tried = 0;
    for e in with_processes() {
        let rec0 = {
            let mut h = machine(&e.desired);
            up(&mut h, &e).expect("up");
            let r = read_record(&e.desired.lab);
            crate::lab::down(&mut h, &e.desired.lab).expect("down");
            r
        };
        let busy: Vec<String> = e
            .desired
            .nodes
            .keys()
            .filter(|n| {
                rec0.processes.iter().any(|p| p.node == **n) || rec0.containers.contains_key(*n)
            })
            .cloned()
            .collect();
        for node in busy {
            let mut h = machine(&e.desired);
            up(&mut h, &e).expect("up");
            // Each with a child (frozen and thawed with it).
            for p in read_record(&e.desired.lab).processes {
                h.procs.fork(p.pid).expect("fork");
            }
            frozen_before(&mut h, &read_record(&e.desired.lab), &node);
            let healthy = kernel(&h);
            let stop = Request::stop(node.clone());
            faults::apply(&mut h, &e.desired, &stop).expect("stop");
            assert_ne!(
                kernel(&h),
                healthy,
                "{}: stop {node} changed nothing",
                e.path
            );
            let rec = read_record(&e.desired.lab);
            let leaders: Vec<i32> = rec.processes.iter().map(|p| p.pid).collect();
            for q in h.procs.procs.values() {
                let of = rec.processes.iter().find(|p| p.pid == q.stat.session);
                let mine = of.is_some_and(|p| p.node == node);
                let want = if mine {
                    'T'
                } else {
                    healthy.3[&q.pid].stat.state
                };
                assert_eq!(q.stat.state, want, "{}: stop {node}: {q:?}", e.path);
                assert!(leaders.contains(&q.stat.session), "{q:?}");
            }
            if let Some(c) = rec.containers.get(&node) {
                assert_eq!(h.procs.containers[c].state, "paused", "{}: {c}", e.path);
            }
            let start = Request::Start { node: node.clone() };
            faults::apply(&mut h, &e.desired, &start).expect("start");
            assert_eq!(kernel(&h), healthy, "{}: stop {node}, start {node}", e.path);
            crate::lab::down(&mut h, &e.desired.lab).expect("down");
            tried += 1;
        }
    }
    assert!(tried >= 5, "only {tried} nodes tried");
}

/// Before `stop`: one of the node's processes frozen, or its container
/// paused, by someone else (when it has several processes, or a
/// container and no process), which `start` must leave so.
fn frozen_before(h: &mut FakeHost, rec: &Record, node: &str) {
    let mine: Vec<&Process> = rec.processes.iter().filter(|p| p.node == node).collect();
    if mine.len() >= 2 {
        h.processes()
            .signal(&[(mine[0].pid, mine[0].start)], libc::SIGSTOP);
    }
    if let Some(c) = rec.containers.get(node) {
        if mine.is_empty() {
            h.containers().set_paused(c, true).expect("pause");
        }
    }
}

/// A record naming a process that is not the lab's (crafted, or a pid
/// reused after a reboot) never gets it signalled: `down` leaves it
/// running, `stop` leaves it unfrozen, `show` calls it exited; a process
/// that is the lab's by its mark alone (its namespace gone) is stopped.
#[test]
fn a_recorded_process_is_stopped_only_if_the_host_says_it_is_the_labs() {
    if !sandboxed("a_recorded_process_is_stopped_only_if_the_host_says_it_is_the_labs") {
        return;
    }
    let e = load("one.yaml", ONE);
    let mut h = machine(&e.desired);
    let before = kernel(&h);
    up(&mut h, &e).expect("up");
    let (pid, start) = h.procs.foreign();
    let foreign = h.procs.procs[&pid].clone();
    let mut rec = read_record("one");
    rec.processes.push(Process {
        node: "a".into(),
        pid,
        start,
        netns: None,
        what: "sleep 1000".into(),
    });
    write_record(&rec);
    let status = super::status(&mut h, &rec, Some("a"));
    assert!(
        status
            .iter()
            .any(|(p, r)| p.pid == pid && *r == Running::Exited),
        "{status:?}"
    );
    faults::apply(&mut h, &e.desired, &Request::stop("a".into())).expect("stop");
    assert_eq!(h.procs.procs.get(&pid), Some(&foreign), "stop froze it");
    let r = crate::lab::down(&mut h, "one").expect("down");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(h.procs.procs.get(&pid), Some(&foreign), "down killed it");
    h.procs.procs.remove(&pid);
    assert_eq!(kernel(&h), before);
}

const ONE: &str = "lab: one
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.9.1/24] }
    serve: [tcp/80]
    run: [sleep 1000]
  b:
    interfaces:
      eth0: { addresses: [10.0.9.2/24] }
links:
  - [a:eth0, b:eth0]
";
