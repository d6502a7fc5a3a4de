//! The lab lifecycle against the in-memory kernel ([`FakeHost`]): what a
//! user relies on of `up`, `down` and the faults, for every example. The
//! kernel, its processes and the containers are the fake's; what lives
//! outside it (the record under /run/nslab, the nodes' host names and
//! hosts files) is the sandbox's, so each test runs in one. The helpers
//! here serve `services`' tests too.

use super::faults::{self, Request};
use super::{down, up_with_processes, LabError};
use crate::host::fake::FakeHost;
use crate::host::linux::Drops;
use crate::host::processes::{Container, Proc};
use crate::record::Fault;
use crate::state::Impair;
use crate::state::{desired::desired, LinkKind, NodeState, State};
use nslab_sys::sandbox::Sandbox;
use nslab_sys::statedir::StateDir;
use std::collections::{BTreeMap, BTreeSet};

/// What the fake machine holds that a lab may change: the kernel's
/// objects, the processes and the containers.
pub(crate) type Kernel = (
    State,
    BTreeSet<String>,
    BTreeMap<String, Drops>,
    BTreeMap<i32, Proc>,
    BTreeMap<String, Container>,
);

pub(crate) fn kernel(h: &FakeHost) -> Kernel {
    (
        h.state.clone(),
        h.host_ifaces.clone(),
        h.partitions.clone(),
        h.procs.procs.clone(),
        h.procs.containers.clone(),
    )
}

/// A machine for `desired`: its host nodes (with a value for every host
/// sysctl the file sets, as a kernel has one) and the host interfaces its
/// `physical` ones take.
pub(crate) fn machine(desired: &State) -> FakeHost {
    let mut h = FakeHost::new(&desired.lab);
    for (name, n) in &desired.nodes {
        if n.netns.is_none() {
            let mut node = NodeState::new(None);
            for k in n.sysctls.keys() {
                node.sysctls.insert(k.clone(), "0".into());
            }
            h.state.nodes.insert(name.clone(), node);
        }
        for l in n.links.values() {
            if let LinkKind::Physical { from } = &l.kind {
                h.host_ifaces.insert(from.clone());
            }
        }
    }
    h
}

pub(crate) struct Example {
    pub path: String,
    pub text: String,
    pub t: nslab_model::Topology,
    pub desired: State,
}

pub(crate) fn load(path: &str, text: &str) -> Example {
    let t = nslab_model::parse_str(path, text, &nslab_model::AnyHostInterfaces)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    Example {
        desired: desired(&t),
        path: path.to_string(),
        text: text.to_string(),
        t,
    }
}

/// Every example, those with `serve:`, `run:` and `image:` included.
pub(crate) fn examples() -> Vec<Example> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("read example");
        out.push(load(&p.display().to_string(), &text));
    }
    out
}

fn up(h: &mut FakeHost, e: &Example) -> Result<super::UpReport, LabError> {
    let (report, processes) =
        up_with_processes(h, &e.t, &e.desired, &e.path, &e.text, &mut |_, _| {})?;
    processes.unwrap_or_else(|err| panic!("{}: processes: {err}", e.path));
    Ok(report)
}

pub(crate) fn recorded(lab: &str) -> bool {
    StateDir::find(lab).expect("state dir").is_some()
}

pub(crate) fn sandboxed(name: &str) -> bool {
    Sandbox::new()
        .with_pid_namespace()
        .enter(&format!("lab::tests::{name}"))
}

/// `up` then `down` leaves the kernel as it was before, and no record.
#[test]
fn up_then_down_leaves_the_kernel_as_it_started() {
    if !sandboxed("up_then_down_leaves_the_kernel_as_it_started") {
        return;
    }
    let all = examples();
    assert!(all.len() >= 8, "examples: {}", all.len());
    for e in &all {
        let mut h = machine(&e.desired);
        let before = kernel(&h);
        let report = up(&mut h, e).unwrap_or_else(|err| panic!("{}: up: {err}", e.path));
        assert!(!report.plan.is_empty(), "{}: up did nothing", e.path);
        assert_ne!(kernel(&h), before, "{}: up changed nothing", e.path);
        let r = down(&mut h, &e.desired.lab).expect("down");
        assert!(r.errors.is_empty(), "{}: {:?}", e.path, r.errors);
        assert_eq!(kernel(&h), before, "{}: up then down", e.path);
        assert!(!recorded(&e.desired.lab), "{}: record left", e.path);
    }
}

/// A `down` that fails half-way (at each of its operations in turn, or
/// waiting for the host's links) says so, keeps the record, and a second
/// `down` finishes: the kernel as before `up`, no record.
#[test]
fn a_down_that_fails_is_reported_and_retried() {
    if !sandboxed("a_down_that_fails_is_reported_and_retried") {
        return;
    }
    let e = examples()
        .into_iter()
        .find(|e| e.path.ends_with("/bridge.yaml"))
        .expect("bridge.yaml");
    let lab = e.desired.lab.clone();
    let mut failures = 0;
    for k in 0.. {
        let mut h = machine(&e.desired);
        let before = kernel(&h);
        up(&mut h, &e).expect("up");
        let steps = h.applied;
        h.fail_at = Some(steps + k);
        h.fail_host_links = usize::from(k == 0);
        let r = down(&mut h, &lab).expect("down");
        if h.fail_at.is_some() && k > 0 {
            // Past the last operation: nothing failed.
            assert!(r.errors.is_empty(), "{:?}", r.errors);
            break;
        }
        failures += 1;
        assert!(!r.errors.is_empty(), "failure {k} not reported");
        assert!(recorded(&lab), "failure {k}: the record went");
        let again = down(&mut h, &lab).expect("down again");
        assert!(again.errors.is_empty(), "{:?}", again.errors);
        assert_eq!(kernel(&h), before, "failure {k}, then down again");
        assert!(!recorded(&lab), "failure {k}: record left after the retry");
    }
    assert!(failures >= 3, "only {failures} failures tried");
}

/// An `up` of a new lab that fails at any operation undoes itself: the
/// kernel as before, and no record.
#[test]
fn a_failed_up_of_a_new_lab_leaves_nothing() {
    if !sandboxed("a_failed_up_of_a_new_lab_leaves_nothing") {
        return;
    }
    for e in examples() {
        for k in 0.. {
            let mut h = machine(&e.desired);
            let before = kernel(&h);
            h.fail_at = Some(k);
            let r = up(&mut h, &e);
            if h.fail_at.is_some() {
                r.unwrap_or_else(|err| panic!("{}: {err}", e.path));
                down(&mut h, &e.desired.lab).expect("down");
                break;
            }
            assert!(
                matches!(&r, Err(LabError::Apply(a)) if a.restored()),
                "{} failing at {k}: {r:?}",
                e.path
            );
            assert_eq!(kernel(&h), before, "{} failing at {k}", e.path);
            assert!(!recorded(&e.desired.lab), "{} failing at {k}", e.path);
        }
    }
}

/// Three nodes in a row with routes across the middle one: taking an
/// interface down loses its routes, so healing must put them back.
const ROW: &str = "lab: row
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.1.1/24] }
    routes: [10.0.2.0/24 via 10.0.1.2]
  r:
    forwarding: true
    interfaces:
      eth0: { addresses: [10.0.1.2/24] }
      eth1: { addresses: [10.0.2.2/24] }
  b:
    interfaces:
      eth0: { addresses: [10.0.2.1/24] }
    routes: [10.0.1.0/24 via 10.0.2.2]
links:
  - [a:eth0, r:eth0]
  - [r:eth1, b:eth0]
";

fn link(node: &str, ifname: &str, up: bool) -> Request {
    Request::Link {
        node: node.into(),
        ifname: ifname.into(),
        up,
        both: false,
    }
}

/// Every kind of fault, put in then healed, leaves the kernel as `up`
/// made it and no fault in force; each changes the kernel while in force.
#[test]
fn a_fault_put_in_then_healed_restores_the_lab() {
    if !sandboxed("a_fault_put_in_then_healed_restores_the_lab") {
        return;
    }
    let e = load("row.yaml", ROW);
    let slow = Impair {
        delay_us: Some(20_000),
        ..Impair::default()
    };
    let part = Fault::Partition {
        groups: vec![vec!["a".into()], vec!["b".into()]],
        one_way: false,
    };
    let cases: Vec<(&str, Vec<Request>)> = vec![
        ("link down", vec![link("r", "eth0", false)]),
        (
            "both ends down",
            vec![Request::Link {
                node: "a".into(),
                ifname: "eth0".into(),
                up: false,
                both: true,
            }],
        ),
        (
            "impair",
            vec![Request::impair("a".into(), "eth0".into(), Some(slow))],
        ),
        ("partition", vec![Request::Put(part)]),
        ("stop", vec![Request::stop("r".into())]),
        (
            "several",
            vec![
                link("b", "eth0", false),
                Request::stop("a".into()),
                Request::impair("r".into(), "eth1".into(), Some(slow)),
            ],
        ),
    ];
    for (what, reqs) in cases {
        let mut h = machine(&e.desired);
        up(&mut h, &e).expect("up");
        let healthy = kernel(&h);
        for req in &reqs {
            faults::apply(&mut h, &e.desired, req).unwrap_or_else(|err| panic!("{what}: {err}"));
        }
        assert_ne!(kernel(&h), healthy, "{what}: the fault changed nothing");
        assert!(!faults::active("row").expect("faults").is_empty());
        h.forgot.clear();
        let healed = faults::heal(&mut h, &e.t, &e.desired).expect("heal");
        assert!(!healed.is_empty(), "{what}: nothing healed");
        // What cut traffic leaves unresolved is forgotten in every node
        // (tests/heal_neighbours.rs: on the kernel).
        let forgot: std::collections::BTreeSet<&str> =
            h.forgot.iter().map(String::as_str).collect();
        let every: std::collections::BTreeSet<&str> = ["a", "b", "r"].into();
        let cut = what != "partition";
        assert_eq!(forgot == every, cut, "{what}: forgot {forgot:?}");
        assert_eq!(kernel(&h), healthy, "{what}: put in, then healed");
        assert!(faults::active("row").expect("faults").is_empty());
        down(&mut h, "row").expect("down");
    }
}

/// A fault the kernel refuses at any of its operations is undone whole
/// (what took effect before the failure too) and not listed in force.
#[test]
fn a_fault_the_kernel_refuses_changes_nothing() {
    if !sandboxed("a_fault_the_kernel_refuses_changes_nothing") {
        return;
    }
    let e = load("row.yaml", ROW);
    let reqs = [
        link("a", "eth0", false),
        Request::Link {
            node: "a".into(),
            ifname: "eth0".into(),
            up: false,
            both: true,
        },
        Request::stop("r".into()),
    ];
    let mut failures = 0;
    for req in &reqs {
        for k in 0.. {
            let mut h = machine(&e.desired);
            up(&mut h, &e).expect("up");
            let healthy = kernel(&h);
            h.fail_at = Some(h.applied + k);
            let r = faults::apply(&mut h, &e.desired, req);
            if h.fail_at.is_some() {
                r.expect("nothing failed");
                down(&mut h, "row").expect("down");
                break;
            }
            failures += 1;
            assert!(
                matches!(r, Err(faults::FaultError::Kernel { undone: true, .. })),
                "{req:?} failing at {k}: {r:?}"
            );
            assert_eq!(kernel(&h), healthy, "{req:?} failing at {k}");
            assert!(faults::active("row").expect("faults").is_empty());
            down(&mut h, "row").expect("down");
        }
    }
    assert!(failures >= 5, "only {failures} failures tried");
}
