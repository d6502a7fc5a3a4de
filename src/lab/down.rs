//! `down`: remove everything a lab owns, by its record and by the marks
//! it left in the kernel.

use super::{clear_leftover_files, owned_namespaces, read_record, scope_of_record, sd_err};
use super::{physical_marks, LabError, HOST};
use crate::host::linux::Linux;
use crate::host::{Host, OpError, Scope};
use crate::plan::{teardown, Plan};
use crate::record::Record;
use nslab_sys::statedir::StateDir;
use std::collections::BTreeMap;

/// What `down` removed.
#[derive(Debug, Default)]
pub struct DownReport {
    pub plan: Plan,
    pub errors: Vec<OpError>,
    /// What the user must know (a physical interface given back under
    /// another name).
    pub notes: Vec<String>,
    /// What went wrong without stopping the run (a record that could not
    /// be read), for the caller to show.
    pub warnings: Vec<String>,
}

/// Remove everything the lab owns, even if an `up` was killed half-way:
/// what carries its mark where the record says to look (namespaces, host
/// links, routes with nslab's protocol that the record lists for the host,
/// the marked nft table) and every namespace under /run/netns marked as
/// the lab's. What is there but unmarked is left alone. Host sysctls go
/// back to the values recorded before the lab changed them. Without the
/// record, host routes and sysctls cannot be attributed and stay.
pub fn down(lab: &str) -> Result<DownReport, LabError> {
    down_with(lab, &mut |_, _| {})
}

/// [`down`], telling `progress` how many of how many operations are done.
pub fn down_with(
    lab: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<DownReport, LabError> {
    let found = owned_namespaces(lab);
    // A lab with neither a directory nor a namespace is not up: say so
    // without making a directory for it (after stopping any process that
    // still carries its mark in a namespace that lost its name).
    let dir = match StateDir::find(lab).map_err(sd_err)? {
        Some(d) => d,
        None if found.is_empty() => {
            if crate::services::stop_all(lab, None, &found) > 0 {
                return Ok(DownReport::default());
            }
            return Err(LabError::NotFound(lab.to_string()));
        }
        None => StateDir::open(lab).map_err(sd_err)?,
    };
    let Some(lock) = dir.lock_existing().map_err(sd_err)? else {
        // Another `down` removed the lab while this one waited: look
        // again (nothing is made for a lab that is gone).
        return down_with(lab, progress);
    };
    let (rec, warning) = read_record(&dir, true)?;
    // Without a record, the marks alone say what was moved in.
    let lost = rec.is_none();
    // Processes first, while their namespaces still have names.
    let stopped = crate::services::stop_all(lab, rec.as_ref(), &found);
    let Some(rec) = rec.or_else(|| (!found.is_empty() || stopped > 0).then(|| Record::new(lab)))
    else {
        // The directory was there (an `up` killed before it recorded or
        // made anything): nothing is left but the directory.
        dir.remove().map_err(sd_err)?;
        drop(lock);
        return Ok(DownReport {
            warnings: warning.into_iter().collect(),
            ..DownReport::default()
        });
    };
    clear_leftover_files(&rec);
    let scope = scope_of_down(lab, &rec, found, lost);
    let mut host = Linux::new(lab);
    host.give_back_as(rec.physical_was.clone());
    let observed = host.observe(&scope).map_err(LabError::Observe)?;
    let p = teardown(&observed);
    // Teardown keeps going past errors and reports them all.
    let mut errors = Vec::new();
    for (i, s) in p.steps.iter().enumerate() {
        if let Err(e) = host.apply(&s.op) {
            errors.push(e);
        }
        progress(i + 1, p.len());
    }
    let notes = host.take_notes();
    drop(host);
    // A partition's table in the host node (the namespaces took theirs).
    errors.extend(super::faults::remove_host_table(lab));
    // A process that entered a namespace after the first look.
    crate::services::stop_all(lab, None, &[]);
    if let Err(e) = crate::host::query::wait_host_links_gone(lab) {
        errors.push(e);
    }
    // The host node's sysctls as they were before the lab.
    errors.extend(restore_host_sysctls(&rec));
    if errors.is_empty() {
        dir.remove().map_err(sd_err)?;
    }
    drop(lock);
    Ok(DownReport {
        plan: p,
        errors,
        notes,
        warnings: warning.into_iter().collect(),
    })
}

/// What `down` looks at: the nodes of the record, every namespace carrying
/// the lab's mark, the host node, and the physical interfaces marked as
/// the lab's in them (asked of every namespace only when the record is
/// lost or lists some: the record names each before it is moved in).
fn scope_of_down(lab: &str, rec: &Record, found: Vec<String>, lost: bool) -> Scope {
    let mut nodes: BTreeMap<String, Option<String>> = rec.nodes.clone();
    let known: Vec<Option<String>> = nodes.values().cloned().collect();
    for ns in found {
        if !known.contains(&Some(ns.clone())) {
            nodes.insert(format!("(netns {ns})"), Some(ns));
        }
    }
    if !nodes.values().any(|n| n.is_none()) {
        nodes.insert(HOST.to_string(), None);
    }
    let mut scope = scope_of_record(lab, rec);
    scope.nodes = nodes.into_iter().collect();
    // A namespace node's table goes with its namespace.
    scope.nat_nodes = Some(Default::default());
    if lost || !rec.physical.is_empty() {
        for (k, from) in physical_marks(lab, &scope.nodes) {
            scope.physical.entry(k).or_insert(from);
        }
    }
    scope
}

/// Writes back the host sysctls the record saved; the writes that failed.
/// A key of an interface that is gone (one the lab made, deleted above)
/// is done: there is nothing left to give it back to.
fn restore_host_sysctls(rec: &Record) -> Vec<OpError> {
    let mut errors = Vec::new();
    for (key, value) in &rec.host_sysctls {
        let gone = super::sysctl_interface(key).is_some_and(|i| {
            // /proc/sys/net is this namespace's: net/ipv4/conf/<if>.
            let family = key.split('.').take(3).collect::<Vec<_>>().join("/");
            !std::path::Path::new("/proc/sys")
                .join(family)
                .join(i)
                .exists()
        });
        if gone {
            continue;
        }
        if let Err(e) = nslab_sys::sysctl::write(key, value) {
            errors.push(OpError::at(format!("sysctl -w {key}={value}"), HOST, e));
        }
    }
    errors
}
