//! Faults put into a running lab on purpose, and healed: an interface
//! down (`nslab link`), an impairment changed at run time (`impair`), a
//! partition (`partition`), a failed host (`stop`/`start`). Each is
//! checked against the lab's file first (bad input changes nothing),
//! recorded in the lab's record under its lock before the kernel is
//! touched, and undone by [`heal`], by `up` (which makes the lab match its
//! file again) and by `down`.

mod partition;
mod request;

use super::{look, sd_err, LabError, Recorded, HOST};
use crate::host::linux::{Drops, Linux};
use crate::host::{Host, OpError};
use crate::plan::{At, LinkChange, Op};
use crate::record::{self, Fault, Record};
use crate::state::State;
use nslab_sys::statedir::StateDir;
use std::collections::BTreeSet;

pub use partition::check_groups;
use request::prepare;
pub use request::Request;

#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    /// The request does not fit the lab (nothing was changed).
    #[error("{0}")]
    BadInput(String),
    #[error("lab {0} is not up")]
    NotUp(String),
    #[error("{0}")]
    Lab(#[from] LabError),
    #[error("the lab's processes: {0}")]
    Services(#[from] crate::services::ServiceError),
    /// What the kernel refused; the faults stay recorded (`heal` retries).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Kernel(Vec<OpError>),
}

/// What is done to the kernel for a request, after it is recorded.
enum Action {
    Op(Box<Op>),
    /// Rewrite the partition tables of these nodes from the record.
    Partition(BTreeSet<String>),
    Freeze(String),
    Thaw(String),
    /// Put back the addresses and routes the file gives these nodes (the
    /// kernel drops routes, and IPv6 addresses, of an interface taken
    /// down).
    Repair(BTreeSet<String>),
}

/// The lab's state directory, locked, and its record.
fn open(lab: &str) -> Result<(StateDir, nslab_sys::statedir::LockGuard, Record), FaultError> {
    let dir = StateDir::find(lab)
        .map_err(sd_err)?
        .ok_or_else(|| FaultError::NotUp(lab.to_string()))?;
    let lock = dir.lock().map_err(sd_err)?;
    match look(&dir)? {
        Recorded::Found(r) => Ok((dir, lock, *r)),
        Recorded::Missing => Err(FaultError::NotUp(lab.to_string())),
        Recorded::Unreadable(why) => Err(FaultError::BadInput(format!(
            "the record of lab {lab} cannot be read ({why}); `nslab down {lab}` removes the lab"
        ))),
    }
}

/// Where `node` lives, from the record (`None` namespace: the host node).
fn at(rec: &Record, node: &str) -> At {
    At {
        node: node.to_string(),
        netns: rec.nodes.get(node).cloned().flatten(),
    }
}

fn set_up(rec: &Record, node: &str, ifname: &str, up: bool) -> Action {
    Action::Op(Box::new(Op::SetLink {
        at: at(rec, node),
        ifname: ifname.to_string(),
        change: LinkChange {
            up: Some(up),
            ..LinkChange::default()
        },
    }))
}

/// Carry out `actions` against the kernel; what failed.
fn run(desired: &State, rec: &Record, actions: Vec<Action>) -> Vec<OpError> {
    let mut host = Linux::new(&rec.lab);
    let mut errors = Vec::new();
    let all = partition::drops(desired, &rec.faults);
    for a in actions {
        let r = match a {
            Action::Op(op) => host.apply(&op),
            Action::Partition(nodes) => {
                for n in nodes {
                    let none = Drops::default();
                    let d = all.get(&n).unwrap_or(&none);
                    if let Err(e) = host.set_partition(&at(rec, &n), Some(d)) {
                        errors.push(e);
                    }
                }
                Ok(())
            }
            Action::Freeze(n) => {
                crate::services::freeze(rec, &n);
                Ok(())
            }
            Action::Thaw(n) => {
                crate::services::thaw(rec, &n);
                Ok(())
            }
            Action::Repair(nodes) => {
                errors.extend(repair(&mut host, desired, rec, &nodes));
                Ok(())
            }
        };
        errors.extend(r.err());
    }
    errors
}

/// The addresses and routes of `nodes` that the file has and the kernel
/// lacks, added (nothing else: other faults stay as they are).
fn repair(
    host: &mut Linux,
    desired: &State,
    rec: &Record,
    nodes: &BTreeSet<String>,
) -> Vec<OpError> {
    let scope = super::scope_for(desired, rec);
    let observed = match host.observe(&scope) {
        Ok(o) => o,
        Err(e) => return vec![e],
    };
    let p = crate::plan::plan(desired, &observed);
    p.steps
        .iter()
        .filter(|s| nodes.contains(s.op.node()))
        .filter(|s| matches!(s.op, Op::AddAddress { .. } | Op::AddRoute { .. }))
        .filter_map(|s| host.apply(&s.op).err())
        .collect()
}

/// Put in (or take out) one fault. `desired` is the lab as its file says
/// (the topology it was brought up from). Returns the faults in force.
pub fn apply(desired: &State, req: &Request) -> Result<Vec<Fault>, FaultError> {
    let (dir, _lock, mut rec) = open(&desired.lab)?;
    let (faults, actions) = prepare(desired, &rec, req)?;
    rec.faults = faults;
    dir.write_atomic(record::FILE, &rec.to_json())
        .map_err(sd_err)?;
    let errors = run(desired, &rec, actions);
    if errors.is_empty() {
        Ok(rec.faults)
    } else {
        Err(FaultError::Kernel(errors))
    }
}

/// What undoes `faults`: partition tables deleted, frozen processes
/// thawed and, with `links`, interfaces and impairments back to the file.
fn undo_actions(desired: &State, rec: &Record, faults: &[Fault], links: bool) -> Vec<Action> {
    let mut parted = BTreeSet::new();
    let mut actions = Vec::new();
    let file_link = |node: &str, ifname: &str| desired.nodes.get(node)?.links.get(ifname);
    for f in faults {
        match f {
            Fault::Partition { .. } => parted.extend(f.nodes().into_iter().map(str::to_string)),
            Fault::Stopped { node, downed } => {
                if links {
                    for i in downed {
                        if let Some(l) = file_link(node, i) {
                            actions.push(set_up(rec, node, i, l.up));
                        }
                    }
                }
                actions.push(Action::Thaw(node.clone()));
            }
            Fault::LinkDown { node, ifname } if links => {
                if let Some(l) = file_link(node, ifname) {
                    actions.push(set_up(rec, node, ifname, l.up));
                }
            }
            Fault::Impair { node, ifname, .. } if links => {
                if let Some(l) = file_link(node, ifname) {
                    actions.push(Action::Op(Box::new(Op::SetImpair {
                        at: at(rec, node),
                        ifname: ifname.clone(),
                        impair: l.impair.filter(|i| !i.is_none()),
                    })));
                }
            }
            _ => {}
        }
    }
    if !parted.is_empty() {
        actions.insert(0, Action::Partition(parted));
    }
    actions
}

/// `nslab heal`: every fault removed, then the lab made to match its
/// file again as `up` does (taking an interface down loses its routes and
/// IPv6 addresses; a process may have died while frozen). `t` and
/// `desired` are the lab as brought up. Returns the faults that were
/// healed. A fault the kernel refused to undo stays recorded (and the
/// error says why).
pub fn heal(t: &nslab_model::Topology, desired: &State) -> Result<Vec<Fault>, FaultError> {
    let (dir, lock, mut rec) = open(&desired.lab)?;
    let faults = std::mem::take(&mut rec.faults);
    let actions = undo_actions(desired, &rec, &faults, true);
    let errors = run(desired, &rec, actions);
    if !errors.is_empty() {
        return Err(FaultError::Kernel(errors));
    }
    dir.write_atomic(record::FILE, &rec.to_json())
        .map_err(sd_err)?;
    let text = dir
        .read(record::TOPOLOGY)
        .map_err(sd_err)?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    drop(lock);
    super::up(desired, &rec.source, &text, &mut |_, _| {})?;
    crate::services::start(t, desired)?;
    Ok(faults)
}

/// For `up` (under the lab's lock): what its plan does not see of the
/// faults of `prev` (partition tables, frozen processes) is undone; the
/// interfaces and impairments are put back by the plan itself. What
/// cannot be undone is said in a warning.
pub(super) fn undo_for_up(prev: &Record) {
    if prev.faults.is_empty() {
        return;
    }
    let none = State {
        lab: prev.lab.clone(),
        ..State::default()
    };
    let mut rec = prev.clone();
    let actions = undo_actions(&none, prev, &prev.faults, false);
    rec.faults.clear();
    for e in run(&none, &rec, actions) {
        eprintln!("warning: undoing a fault: {e}");
    }
}

/// For `down`: the lab's partition table in the host node (those in the
/// lab's namespaces go with them). A table of that name without the lab's
/// mark is left alone.
pub(super) fn remove_host_table(lab: &str) -> Option<OpError> {
    let mut host = Linux::new(lab);
    let at = At {
        node: HOST.to_string(),
        netns: None,
    };
    match host.partition_of(&at) {
        Ok(Some(_)) => host.set_partition(&at, None).err(),
        Ok(None) => None,
        Err(e) => Some(e),
    }
}

/// The faults in force in a lab, as its record lists them (none when the
/// lab is not up or its record cannot be read).
pub fn active(lab: &str) -> Vec<Fault> {
    let Ok(Some(dir)) = StateDir::find(lab) else {
        return Vec::new();
    };
    match look(&dir) {
        Ok(Recorded::Found(r)) => r.faults,
        _ => Vec::new(),
    }
}

/// What the kernel holds of the lab's partitions: node -> its drops.
pub fn partitions_seen(rec: &Record) -> Vec<(String, Drops)> {
    let mut host = Linux::new(&rec.lab);
    rec.nodes
        .keys()
        .filter_map(|n| {
            let d = host.partition_of(&at(rec, n)).ok().flatten()?;
            Some((n.clone(), d))
        })
        .collect()
}
