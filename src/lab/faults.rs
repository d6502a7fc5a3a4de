//! Faults put into a running lab on purpose, and healed: an interface
//! down (`nslab link`), an impairment changed at run time (`impair`), a
//! partition (`partition`), a failed host (`stop`/`start`). Each is
//! checked against the lab's file first (bad input changes nothing), acts
//! only on nodes of the lab's record (never the host node in place of
//! one it lacks), is recorded under the lab's lock as being put in before
//! the kernel is touched and as in force once applied, and is undone by
//! [`heal`], by `up` (which makes the lab match its file again) and by
//! `down`. Nothing here makes a directory for a lab that is not up.

mod partition;
mod request;
mod seen;
mod target;
mod unresolved;

use super::{sd_err, LabError, HOST};
use crate::host::linux::Drops;
use crate::host::{Host, OpError};
use crate::plan::{At, LinkChange, Op};
use crate::record::{self, Fault, Record, Took};
use crate::state::{Impair, State};
use std::collections::BTreeSet;

pub use partition::check_groups;
use request::prepare;
pub use request::Request;
pub use seen::{active, partitions_seen};
use target::{at, brought_up_from, check_recorded, open};
pub use target::{check_brought_up_from, check_nodes, node_netns};
pub(super) use unresolved::forget_after_up;

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
    /// What the kernel refused. With `undone`, what the request had done
    /// was undone and the faults in force are as before it; otherwise
    /// the fault stays recorded as perhaps put in (`heal` undoes it).
    #[error("{}", .errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Kernel { errors: Vec<OpError>, undone: bool },
}

impl FaultError {
    fn kernel(errors: Vec<OpError>) -> FaultError {
        FaultError::Kernel {
            errors,
            undone: false,
        }
    }
}

/// What is done to the kernel for a request, after it is recorded.
enum Action {
    Op(Box<Op>),
    /// Rewrite the partition tables of these nodes from the faults.
    Partition(BTreeSet<String>),
    /// Freeze what the node's `Stopped` fault says `stop` takes.
    Freeze(String),
    /// Thaw what `stop` took (`None`: all of the node's).
    Thaw(String, Option<Took>),
    /// Put back the addresses and routes the file gives these nodes (the
    /// kernel drops routes, and IPv6 addresses, of an interface taken
    /// down).
    Repair(BTreeSet<String>),
    /// A node the lab's record does not have: nothing is done, the
    /// action fails (never the host node in its place).
    NotTheLabs(String),
}

fn set_up(rec: &Record, node: &str, ifname: &str, up: bool) -> Action {
    let Some(at) = at(rec, node) else {
        return Action::NotTheLabs(node.to_string());
    };
    Action::Op(Box::new(Op::SetLink {
        at,
        ifname: ifname.to_string(),
        change: LinkChange {
            up: Some(up),
            ..LinkChange::default()
        },
    }))
}

fn not_the_labs(rec: &Record, node: &str) -> OpError {
    OpError::at(
        "find the node in the lab's record",
        node,
        crate::host::Cause::Refused(format!(
            "not a node of lab {}; nothing was done to it",
            rec.lab
        )),
    )
}

/// The interface's impairment set to `impair` (none when `None`).
fn set_impair(rec: &Record, node: &str, ifname: &str, impair: Option<Impair>) -> Action {
    let Some(at) = at(rec, node) else {
        return Action::NotTheLabs(node.to_string());
    };
    Action::Op(Box::new(Op::SetImpair {
        at,
        ifname: ifname.to_string(),
        impair: impair.filter(|i| !i.is_none()),
    }))
}

/// Carry out `actions` against the kernel; what failed. Partition tables
/// are written from `faults`.
fn run(
    host: &mut dyn Host,
    desired: &State,
    rec: &Record,
    faults: &[Fault],
    actions: Vec<Action>,
) -> Vec<OpError> {
    let mut errors = Vec::new();
    let all = partition::drops(desired, faults);
    let restores = actions.iter().any(unresolved::restores);
    for a in actions {
        let r = match a {
            Action::Op(op) => host.apply(&op),
            Action::NotTheLabs(n) => Err(not_the_labs(rec, &n)),
            Action::Partition(nodes) => {
                for n in nodes {
                    let none = Drops::default();
                    let d = all.get(&n).unwrap_or(&none);
                    let r = match at(rec, &n) {
                        Some(at) => host.set_partition(&at, Some(d)),
                        None => Err(not_the_labs(rec, &n)),
                    };
                    errors.extend(r.err());
                }
                Ok(())
            }
            Action::Freeze(n) => {
                let took = faults.iter().find_map(|f| match f {
                    Fault::Stopped { node, took, .. } if *node == n => took.as_ref(),
                    _ => None,
                });
                crate::services::freeze(host, rec, &n, took);
                pause(host, rec, &n, true, took)
            }
            Action::Thaw(n, took) => {
                crate::services::thaw(host, rec, &n, took.as_ref());
                pause(host, rec, &n, false, took.as_ref())
            }
            Action::Repair(nodes) => {
                errors.extend(repair(host, desired, rec, &nodes));
                Ok(())
            }
        };
        errors.extend(r.err());
    }
    if restores {
        errors.extend(unresolved::forget(host, rec));
    }
    errors
}

/// An image node's container paused (`podman pause`) or unpaused.
/// Only a container `stop` paused (`took`; `None`: any) is unpaused, and
/// paused only if `took` says so.
fn pause(
    host: &mut dyn Host,
    rec: &Record,
    node: &str,
    paused: bool,
    took: Option<&Took>,
) -> Result<(), OpError> {
    if took.is_some_and(|t| !t.paused) {
        return Ok(());
    }
    crate::services::containers::set_paused(host, rec, node, paused)
        .map(|_| ())
        .map_err(|e| {
            let op = if paused {
                "podman pause"
            } else {
                "podman unpause"
            };
            OpError::at(op, node, crate::host::Cause::Refused(e.to_string()))
        })
}

/// The addresses and routes of `nodes` that the file has and the kernel
/// lacks, added (nothing else: other faults stay as they are).
fn repair(
    host: &mut dyn Host,
    desired: &State,
    rec: &Record,
    nodes: &BTreeSet<String>,
) -> Vec<OpError> {
    let scope = super::scope_for(host, desired, rec);
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
///
/// A fault put in is recorded as pending before the kernel is touched
/// (a command killed half-way leaves it listed, and `heal`, `up` and
/// `down` undo it) and listed as in force only once applied. When the
/// kernel refuses, what the request did is undone and the faults in
/// force stay as they were.
pub fn apply(
    host: &mut dyn Host,
    desired: &State,
    req: &Request,
) -> Result<Vec<Fault>, FaultError> {
    let (dir, _lock, mut rec) = open(&desired.lab)?;
    host.release();
    // The file's words first (no such node, no such interface), then the
    // lab as it is up: a node it does not have is refused.
    let (mut after, actions) = prepare(desired, &rec, req)?;
    check_recorded(&rec, request::nodes(desired, req))?;
    let before = rec.faults.clone();
    // A node stopped now: what it will take (its processes and container
    // that run), recorded before anything is frozen.
    for f in after.iter_mut().filter(|f| !before.contains(&**f)) {
        if let Fault::Stopped { node, took, .. } = f {
            *took = Some(crate::services::running(host, &rec, node));
        }
    }
    let pending_before = rec.pending.clone();
    let added: Vec<Fault> = after
        .iter()
        .filter(|f| !before.contains(f))
        .cloned()
        .collect();
    for f in &added {
        if !rec.pending.contains(f) {
            rec.pending.push(f.clone());
        }
    }
    dir.write_atomic(record::FILE, &rec.to_json())
        .map_err(sd_err)?;
    let errors = run(host, desired, &rec, &after, actions);
    if errors.is_empty() {
        rec.faults = after;
        rec.pending = pending_before;
        // One a killed command left, now applied: in force, not pending.
        let faults = &rec.faults;
        rec.pending.retain(|f| !faults.contains(f));
        dir.write_atomic(record::FILE, &rec.to_json())
            .map_err(sd_err)?;
        return Ok(rec.faults);
    }
    // Undo what this request put in: the faults in force stay as before.
    let undo = undo_actions(desired, &rec, &added, true);
    let undo_errors = run(host, desired, &rec, &before, undo);
    let undone = undo_errors.is_empty();
    if undone {
        rec.pending = pending_before;
    }
    dir.write_atomic(record::FILE, &rec.to_json())
        .map_err(sd_err)?;
    let mut errors = errors;
    errors.extend(undo_errors);
    Err(FaultError::Kernel { errors, undone })
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
            Fault::Stopped { node, downed, took } => {
                if links {
                    for i in downed {
                        if let Some(l) = file_link(node, i) {
                            actions.push(set_up(rec, node, i, l.up));
                        }
                    }
                }
                actions.push(Action::Thaw(node.clone(), took.clone()));
            }
            Fault::LinkDown { node, ifname } if links => {
                if let Some(l) = file_link(node, ifname) {
                    actions.push(set_up(rec, node, ifname, l.up));
                }
            }
            Fault::Impair { node, ifname, .. } if links => {
                if let Some(l) = file_link(node, ifname) {
                    actions.push(set_impair(rec, node, ifname, l.impair));
                }
            }
            _ => {}
        }
    }
    if !parted.is_empty() {
        actions.insert(0, Action::Partition(parted));
    }
    // An interface taken down lost its routes (and IPv6 addresses): put
    // back, once it is up again, what the file gives its node.
    let downed: BTreeSet<String> = faults
        .iter()
        .filter(|f| links && matches!(f, Fault::LinkDown { .. } | Fault::Stopped { .. }))
        .flat_map(|f| f.nodes().into_iter().map(str::to_string))
        .collect();
    if !downed.is_empty() {
        actions.push(Action::Repair(downed));
    }
    actions
}

/// `nslab heal`: every fault removed, then the lab made to match its
/// file again as `up` does (taking an interface down loses its routes and
/// IPv6 addresses; a process may have died while frozen). `t` and
/// `desired` are the lab as brought up: a file that differs from it is
/// refused (healing does not reshape a lab). Returns the faults that
/// were in force and are healed (those a killed command may have left
/// half put in are undone too, but were never in force). A fault the
/// kernel refused to undo stays recorded (and the error says why).
///
/// The lab's lock is held from the first look to the last change: a
/// `down` waiting for it runs after, never in between.
pub fn heal(
    host: &mut dyn Host,
    t: &nslab_model::Topology,
    desired: &State,
) -> Result<Vec<Fault>, FaultError> {
    let (dir, _lock, mut rec) = open(&desired.lab)?;
    host.release();
    let text = brought_up_from(&dir, desired)?;
    let faults = std::mem::take(&mut rec.faults);
    let pending = std::mem::take(&mut rec.pending);
    let mut all = faults.clone();
    all.extend(pending.into_iter().filter(|f| !faults.contains(f)));
    let actions = undo_actions(desired, &rec, &all, true);
    let errors = run(host, desired, &rec, &[], actions);
    if !errors.is_empty() {
        return Err(FaultError::kernel(errors));
    }
    dir.write_atomic(record::FILE, &rec.to_json())
        .map_err(sd_err)?;
    super::up_locked(host, &dir, desired, &rec.source, &text, &mut |_, _| {})?;
    crate::services::start_locked(host, &dir, t, desired)?;
    Ok(faults)
}

/// For `up` (under the lab's lock): what its plan does not see of the
/// faults of `prev` (partition tables, frozen processes) is undone; the
/// interfaces and impairments are put back by the plan itself. Returns
/// what could not be undone, as warnings.
pub(super) fn undo_for_up(host: &mut dyn Host, prev: &Record) -> Vec<String> {
    if prev.faults.is_empty() && prev.pending.is_empty() {
        return Vec::new();
    }
    let none = State {
        lab: prev.lab.clone(),
        ..State::default()
    };
    let mut rec = prev.clone();
    let mut all = prev.faults.clone();
    all.extend(prev.pending.iter().cloned());
    let actions = undo_actions(&none, prev, &all, false);
    rec.faults.clear();
    rec.pending.clear();
    run(host, &none, &rec, &[], actions)
        .into_iter()
        .map(|e| format!("undoing a fault: {e}"))
        .collect()
}

/// For `down`: the lab's partition table in the host node (those in the
/// lab's namespaces go with them). A table of that name without the lab's
/// mark is left alone.
pub(super) fn remove_host_table(host: &mut dyn Host) -> Option<OpError> {
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
