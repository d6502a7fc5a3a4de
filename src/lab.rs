//! The lab lifecycle on the real host: `up` (reconcile) and `down`
//! (teardown by record and by ownership), under the lab's lock, with the
//! record written before the kernel is touched.

use crate::apply::{reconcile, ApplyError};
use crate::host::{Host, OpError, Scope};
use crate::plan::{plan, Plan};
use crate::record::{self, Record};
use crate::state::{LinkKind, RouteState, State};
use nslab_sys::statedir::StateDir;
use std::collections::{BTreeMap, BTreeSet};

mod candidates;
mod down;
pub mod faults;
mod hosts;
mod nodefs;
mod record_io;
mod settle;
#[cfg(test)]
pub(crate) mod tests;

use settle::observe_settled;

pub use candidates::owned_namespaces;
use candidates::{previous, recorded_namespaces};

use record_io::{clear_leftover_files, read_record};
pub use record_io::{look, Recorded};

use crate::host::query::sysctl_interface;
pub use crate::host::query::{marked_namespaces, HOST};
pub use down::{down, down_with};

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("state directory: {0}")]
    StateDir(#[source] nslab_sys::Error),
    #[error("{0}")]
    Observe(#[source] OpError),
    #[error("{0}")]
    Apply(#[source] ApplyError),
    #[error("lab {0} is not up (no state under /run/nslab and no namespace owned by it)")]
    NotFound(String),
}

/// What `up` did.
#[derive(Debug)]
pub struct UpReport {
    pub plan: Plan,
    /// What the user must know (a physical interface given back under
    /// another name).
    pub notes: Vec<String>,
    /// What went wrong without stopping the run (a record that could not
    /// be read), for the caller to show.
    pub warnings: Vec<String>,
}

/// Scope of a lab: the nodes of the desired state, plus those an earlier
/// (perhaps interrupted) run recorded.
pub fn scope_for(host: &mut dyn Host, desired: &State, record: &Record) -> Scope {
    let mut scope = scope_of_record(&desired.lab, record);
    scope.skip_foreign = false;
    let mut nodes: BTreeMap<String, Option<String>> = scope.nodes.into_iter().collect();
    for (name, n) in &desired.nodes {
        nodes.insert(name.clone(), n.netns.clone());
    }
    scope.nodes = nodes.into_iter().collect();
    if desired.nodes.values().any(|n| {
        n.links
            .values()
            .any(|l| matches!(l.kind, LinkKind::Physical { .. }))
    }) || !record.physical.is_empty()
    {
        for (k, from) in host.physical_marks(&desired.lab, &scope.nodes) {
            scope.physical.entry(k).or_insert(from);
        }
    }
    scope.sysctls = desired
        .nodes
        .iter()
        .map(|(name, n)| (name.clone(), n.sysctls.keys().cloned().collect()))
        .collect();
    scope.wanted_routes = desired
        .nodes
        .iter()
        .map(|(name, n)| (name.clone(), n.routes.iter().cloned().collect()))
        .collect();
    for r in host_routes(desired) {
        if !scope.host_routes.contains(&r) {
            scope.host_routes.push(r);
        }
    }
    if let Some(nat) = &mut scope.nat_nodes {
        nat.extend(nat_nodes(desired));
    }
    scope
}

/// What a lab's record says to look at (for `down` and `show`): what is
/// there but not the lab's is left out.
pub fn scope_of_record(lab: &str, record: &Record) -> Scope {
    Scope {
        lab: lab.to_string(),
        nodes: record.nodes.clone().into_iter().collect(),
        sysctls: BTreeMap::new(),
        physical: record.physical.clone(),
        host_routes: record.host_routes.clone(),
        wanted_routes: BTreeMap::new(),
        skip_foreign: true,
        nat_nodes: record.nat_nodes.clone(),
    }
}

/// The routes the file puts in the host node.
fn host_routes(desired: &State) -> Vec<RouteState> {
    desired
        .nodes
        .values()
        .filter(|n| n.netns.is_none())
        .flat_map(|n| n.routes.iter().cloned())
        .collect()
}

fn record_of(desired: &State) -> Record {
    let mut r = Record::new(&desired.lab);
    for (name, n) in &desired.nodes {
        r.nodes.insert(name.clone(), n.netns.clone());
        for (ifname, l) in &n.links {
            if let LinkKind::Physical { from } = &l.kind {
                r.physical.insert(format!("{name}:{ifname}"), from.clone());
            }
        }
    }
    r.host_routes = host_routes(desired);
    r.nat_nodes = Some(nat_nodes(desired));
    r
}

/// The nodes `desired` puts an nft table in.
fn nat_nodes(desired: &State) -> BTreeSet<String> {
    desired
        .nodes
        .iter()
        .filter(|(_, n)| n.nat.is_some())
        .map(|(name, _)| name.clone())
        .collect()
}

/// The host sysctls `desired` sets, each with the value it had before the
/// lab first changed it: from the earlier record when it has one (that is
/// the value from before the lab), otherwise as observed now. A key of an
/// interface the lab makes in the host node (`net.ipv4.conf.lab0.*`) is
/// never saved: its value is the lab's own, and it goes with the
/// interface.
fn saved_host_sysctls(
    desired: &State,
    observed: &State,
    prev: &Record,
) -> BTreeMap<String, String> {
    let mut saved = prev.host_sysctls.clone();
    for (name, d) in desired.nodes.iter().filter(|(_, n)| n.netns.is_none()) {
        let now = observed.nodes.get(name).map(|o| &o.sysctls);
        for key in d.sysctls.keys() {
            let labs_own = sysctl_interface(key).is_some_and(|i| d.links.contains_key(i));
            if labs_own {
                saved.remove(key);
                continue;
            }
            if let Some(v) = now.and_then(|s| s.get(key)) {
                saved.entry(key.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    saved
}

fn sd_err(e: nslab_sys::Error) -> LabError {
    LabError::StateDir(e)
}

/// Plan only: what `up` would do now, and warnings for the user (a
/// record that cannot be read).
pub fn plan_up(host: &mut dyn Host, desired: &State) -> Result<(Plan, Vec<String>), LabError> {
    // Planning changes nothing: not even a state directory is made.
    let (prev, warning) = match StateDir::find(&desired.lab).map_err(sd_err)? {
        Some(dir) => read_record(&dir, false)?,
        None => (None, None),
    };
    let prev = prev.unwrap_or_else(|| Record::new(&desired.lab));
    host.release();
    let scope = scope_for(host, desired, &prev);
    let observed = host.observe(&scope).map_err(LabError::Observe)?;
    Ok((plan(desired, &observed), warning.into_iter().collect()))
}

/// Make the kernel match `desired` (`topology` is the file's text, kept
/// for `check` and `show`), then start the file's `serve:`/`run:`
/// processes ([`crate::services::start_locked`]), under one hold of the lab's lock: a
/// `down` waiting for it runs before or after both, never between. The
/// processes' result is returned beside the report (the caller decides
/// what to undo when they fail).
pub fn up_with_processes(
    host: &mut dyn Host,
    t: &nslab_model::Topology,
    desired: &State,
    source: &str,
    topology: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(UpReport, Result<(), crate::services::ServiceError>), LabError> {
    let dir = StateDir::open(&desired.lab).map_err(sd_err)?;
    let _lock = dir.lock().map_err(sd_err)?;
    let report = up_locked(host, &dir, desired, source, topology, progress)?;
    let processes = crate::services::containers::start_locked(host, &dir, t, desired)
        .map_err(crate::services::ServiceError::from)
        .and_then(|()| crate::services::start_locked(host, &dir, t, desired));
    Ok((report, processes))
}

/// [`up_with_processes`]'s network part, for a caller that holds the lab's lock already (`heal`, which
/// holds it from its first look to its last change).
pub(crate) fn up_locked(
    host: &mut dyn Host,
    dir: &StateDir,
    desired: &State,
    source: &str,
    topology: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<UpReport, LabError> {
    let dir = dir.clone();
    let (prev_file, warning) = read_record(&dir, true)?;
    let prev = previous(&dir, desired, prev_file.clone(), warning.is_some());
    host.release();
    clear_leftover_files(host, &prev);
    let fault_warnings = faults::undo_for_up(host, &prev);
    // A node's namespace deleted by hand lives on while a process of the
    // lab's is in it, and so do the far ends of its veths in the other
    // nodes: stop those processes first, so the kernel destroys it (the
    // processes are started again in the node's new namespace).
    crate::services::stop_orphans(host, &desired.lab);
    // Look before anything is written: a namespace of the file's that
    // belongs to someone else stops the run here, and is never recorded
    // as this lab's.
    let scope = scope_for(host, desired, &prev);
    let seen = observe_settled(host, &scope).map_err(LabError::Observe);
    let observed = match seen.and_then(|o| hosts::check_names(desired).map(|()| o)) {
        Ok(o) => o,
        Err(e) => {
            if prev_file.is_none() {
                let _ = dir.remove();
            }
            return Err(e);
        }
    };
    let p = plan(desired, &observed);
    // Before the kernel is touched: everything this run may create, and
    // how the physical interfaces it moves in are now.
    let intent = intent_of(host, desired, source, &prev, &observed);
    host.give_back_as(intent.physical_was.clone());
    dir.write_atomic(record::FILE, &intent.to_json())
        .map_err(sd_err)?;
    dir.write_atomic(record::TOPOLOGY, topology.as_bytes())
        .map_err(sd_err)?;

    match reconcile(host, desired, &observed, &scope, progress) {
        Ok(done) => {
            hosts::apply(desired, &recorded_namespaces(&prev))?;
            let rec = done_record(desired, source, &prev, intent);
            let forgot = faults::forget_after_up(host, &prev, &rec);
            dir.write_atomic(record::FILE, &rec.to_json())
                .map_err(sd_err)?;
            // `plan` is what was planned first; `done` may hold a second
            // round for what the kernel took along.
            let plan = if done.len() > p.len() { done } else { p };
            let notes = [fault_warnings, host.take_notes(), forgot].concat();
            Ok(UpReport {
                plan,
                notes,
                warnings: warning.into_iter().collect(),
            })
        }
        Err(e) if !e.restored() => {
            // Not everything could be undone: the kernel is not as before
            // this run, so the record keeps everything this run may have
            // made (the intent, still marked incomplete) for `down`.
            Err(LabError::Apply(e))
        }
        Err(e) => {
            // Rolled back: the kernel is as before this run.
            if prev.nodes.is_empty() {
                // Removed while the caller still holds the lock: a waiting
                // `up` then finds the directory gone and makes a fresh one.
                let _ = dir.remove();
            } else {
                let _ = dir.write_atomic(record::FILE, &prev.to_json());
            }
            Err(LabError::Apply(e))
        }
    }
}

/// The record written before the kernel is touched: everything this run
/// may create (marked incomplete), and how the physical interfaces it
/// moves in and the host sysctls it sets are now (and, from `prev`,
/// whether a lost record's time may have left more: [`Record::leftovers`]).
fn intent_of(
    host: &mut dyn Host,
    desired: &State,
    source: &str,
    prev: &Record,
    observed: &State,
) -> Record {
    let mut intent = record_of(desired);
    intent.source = source.to_string();
    intent.physical_was = physical_originals(host, desired, prev, observed);
    intent.host_sysctls = saved_host_sysctls(desired, observed, prev);
    intent.merge(prev);
    intent.incomplete = true;
    intent
}

/// The record of a run that went through: the file's lab, the processes
/// already running, and what to give back of `intent`.
fn done_record(desired: &State, source: &str, prev: &Record, intent: Record) -> Record {
    let mut rec = record_of(desired);
    rec.source = source.to_string();
    rec.processes = prev.processes.clone();
    // Started after the network (`services::containers`): kept as they are.
    rec.containers = prev.containers.clone();
    let wanted: Vec<&String> = rec.physical.values().collect();
    rec.physical_was = intent
        .physical_was
        .into_iter()
        .filter(|(from, _)| wanted.contains(&from))
        .collect();
    // Restored by `down`, even for keys the file no longer sets.
    rec.host_sysctls = intent.host_sysctls;
    rec.leftovers = intent.leftovers;
    rec
}

/// How each physical interface the file moves in is now, in the host,
/// before it is moved: what an earlier run recorded (it was moved in
/// then), else what the host has under its name.
fn physical_originals(
    host: &mut dyn Host,
    desired: &State,
    prev: &Record,
    observed: &State,
) -> BTreeMap<String, record::PhysicalWas> {
    let mut out = BTreeMap::new();
    let mut ask = Vec::new();
    for (node, n) in &desired.nodes {
        for (ifname, l) in &n.links {
            let LinkKind::Physical { from } = &l.kind else {
                continue;
            };
            if let Some(w) = prev.physical_was.get(from) {
                out.insert(from.clone(), w.clone());
                continue;
            }
            let moved = observed
                .nodes
                .get(node)
                .is_some_and(|o| o.links.contains_key(ifname));
            if !moved {
                ask.push(from.as_str());
            }
        }
    }
    out.extend(host.host_interfaces(&ask));
    out
}
