//! The lab lifecycle on the real host: `up` (reconcile) and `down`
//! (teardown by record and by ownership), under the lab's lock, with the
//! record written before the kernel is touched.

use crate::apply::{reconcile, ApplyError};
use crate::host::linux::Linux;
use crate::host::{Host, OpError, Scope};
use crate::plan::{plan, teardown, Plan};
use crate::record::{self, Record};
use crate::state::{LinkKind, State};
use nslab_netlink as nl;
use nslab_sys::netns;
use nslab_sys::statedir::StateDir;
use std::collections::BTreeMap;
use std::os::fd::AsFd;

/// The name the host node gets in a scope built without the file.
pub const HOST: &str = "host";

#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("state directory: {0}")]
    StateDir(String),
    #[error("{0}")]
    Observe(OpError),
    #[error("{0}")]
    Apply(ApplyError),
    #[error("lab {0} is not up (no state under /run/nslab and no namespace owned by it)")]
    NotFound(String),
}

/// What `up` did.
#[derive(Debug)]
pub struct UpReport {
    pub plan: Plan,
    pub observed: State,
}

/// Scope of a lab: the nodes of the desired state, plus those an earlier
/// (perhaps interrupted) run recorded.
pub fn scope_for(desired: &State, record: &Record) -> Scope {
    let mut scope = scope_of_record(&desired.lab, record);
    let mut nodes: BTreeMap<String, Option<String>> = scope.nodes.into_iter().collect();
    for (name, n) in &desired.nodes {
        nodes.insert(name.clone(), n.netns.clone());
    }
    scope.nodes = nodes.into_iter().collect();
    scope.sysctls = desired
        .nodes
        .iter()
        .map(|(name, n)| (name.clone(), n.sysctls.keys().cloned().collect()))
        .collect();
    scope
}

/// What a lab's record says to look at (for `down` and `show`).
pub fn scope_of_record(lab: &str, record: &Record) -> Scope {
    Scope {
        lab: lab.to_string(),
        nodes: record.nodes.clone().into_iter().collect(),
        sysctls: BTreeMap::new(),
        physical: record.physical.clone(),
        owned: record.nodes.values().flatten().cloned().collect(),
        nat: record.nat.clone(),
    }
}

fn record_of(desired: &State) -> Record {
    let mut r = Record::new(&desired.lab);
    for (name, n) in &desired.nodes {
        r.nodes.insert(name.clone(), n.netns.clone());
        if let Some(nat) = &n.nat {
            r.nat.insert(name.clone(), nat.clone());
        }
        for (ifname, l) in &n.links {
            if let LinkKind::Physical { from } = &l.kind {
                r.physical.insert(format!("{name}:{ifname}"), from.clone());
            }
        }
    }
    r
}

fn sd_err(e: impl std::fmt::Display) -> LabError {
    LabError::StateDir(e.to_string())
}

fn read_record(dir: &StateDir) -> Result<Option<Record>, LabError> {
    match dir.read(record::FILE).map_err(sd_err)? {
        Some(bytes) => Record::from_json(&bytes).map(Some).map_err(sd_err),
        None => Ok(None),
    }
}

/// A namespace file of the lab's with no namespace mounted on it is what
/// an `up` killed between creating the file and mounting leaves behind:
/// remove it (as `ip netns del` would) so the name can be used again.
fn clear_leftover_files(record: &Record) {
    for ns in record.nodes.values().flatten() {
        if matches!(netns::open(ns), Err(nslab_sys::Error::NotNetns { .. })) {
            let _ = netns::delete(ns);
        }
    }
}

/// Plan only: what `up` would do now.
pub fn plan_up(desired: &State) -> Result<Plan, LabError> {
    let dir = StateDir::open(&desired.lab).map_err(sd_err)?;
    let prev = read_record(&dir)?.unwrap_or_else(|| Record::new(&desired.lab));
    let scope = scope_for(desired, &prev);
    let mut host = Linux::new(&desired.lab);
    let observed = host.observe(&scope).map_err(LabError::Observe)?;
    Ok(plan(desired, &observed))
}

/// Make the kernel match `desired`. `topology` is the file's text, kept for
/// `check` and `show`.
pub fn up(
    desired: &State,
    source: &str,
    topology: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<UpReport, LabError> {
    let dir = StateDir::open(&desired.lab).map_err(sd_err)?;
    let _lock = dir.lock().map_err(sd_err)?;
    let prev_file = read_record(&dir)?;
    let prev = prev_file
        .clone()
        .unwrap_or_else(|| Record::new(&desired.lab));
    clear_leftover_files(&prev);
    // Look before anything is written: a namespace of the file's that
    // belongs to someone else stops the run here, and is never recorded
    // as this lab's.
    let scope = scope_for(desired, &prev);
    let mut host = Linux::new(&desired.lab);
    let observed = match host.observe(&scope) {
        Ok(o) => o,
        Err(e) => {
            if prev_file.is_none() {
                let _ = dir.remove();
            }
            return Err(LabError::Observe(e));
        }
    };
    let p = plan(desired, &observed);
    // Before the kernel is touched: everything this run may create.
    let mut intent = record_of(desired);
    intent.source = source.to_string();
    intent.merge(&prev);
    intent.incomplete = true;
    dir.write_atomic(record::FILE, &intent.to_json())
        .map_err(sd_err)?;
    dir.write_atomic(record::TOPOLOGY, topology.as_bytes())
        .map_err(sd_err)?;

    match reconcile(&mut host, desired, &observed, &scope, progress) {
        Ok(done) => {
            let mut rec = record_of(desired);
            rec.source = source.to_string();
            rec.processes = prev.processes.clone();
            dir.write_atomic(record::FILE, &rec.to_json())
                .map_err(sd_err)?;
            // `plan` is what was planned first; `done` may hold a second
            // round for what the kernel took along.
            let plan = if done.len() > p.len() { done } else { p };
            Ok(UpReport { plan, observed })
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
                // Remove while still holding the lock: a waiting `up` then
                // finds the directory gone and makes a fresh one.
                let _ = dir.remove();
                drop(_lock);
            } else {
                let _ = dir.write_atomic(record::FILE, &prev.to_json());
            }
            Err(LabError::Apply(e))
        }
    }
}

/// Namespaces under /run/netns whose `lo` carries the lab's alias.
pub fn owned_namespaces(lab: &str) -> Vec<String> {
    marked_namespaces().remove(lab).unwrap_or_default()
}

/// Every namespace under /run/netns that carries a lab's mark, by lab.
pub fn marked_namespaces() -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in netns::list().unwrap_or_default() {
        let Ok(fd) = netns::open(&name) else { continue };
        let lo_alias = netns::run_in(fd.as_fd(), || {
            let mut s = nl::Socket::open().ok()?;
            s.link_by_name("lo").ok().flatten().and_then(|l| l.alias)
        })
        .ok()
        .flatten();
        if let Some(lab) = lo_alias.as_deref().and_then(|a| a.strip_prefix("nslab:")) {
            found.entry(lab.to_string()).or_default().push(name);
        }
    }
    found
}

/// Host-side veth ends go away with their peers' namespaces, which the
/// kernel destroys asynchronously. Wait for them (so their names can be
/// used again at once), and delete any that outlast the wait.
fn wait_host_links_gone(lab: &str) -> Result<(), OpError> {
    let alias = format!("nslab:{lab}");
    let fail = |m: String| OpError {
        op: "remove host links".into(),
        node: HOST.into(),
        message: m,
    };
    let mut sock = nl::Socket::open().map_err(|e| fail(e.to_string()))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left: Vec<nl::Link> = sock
            .links()
            .map_err(|e| fail(e.to_string()))?
            .into_iter()
            .filter(|l| l.alias.as_deref() == Some(alias.as_str()))
            .collect();
        if left.is_empty() {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            let reqs: Vec<nl::Request> = left
                .iter()
                .map(|l| nl::Request::DelLink { index: l.index })
                .collect();
            for (l, r) in left.iter().zip(sock.execute(&reqs)) {
                if let Err(e) = r {
                    if !e.is_not_found() {
                        return Err(fail(format!("{}: {e}", l.name)));
                    }
                }
            }
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// What `down` removed.
#[derive(Debug, Default)]
pub struct DownReport {
    pub plan: Plan,
    pub errors: Vec<OpError>,
}

/// Remove everything the lab owns: what its record lists and what carries
/// its mark, even if an `up` was killed half-way.
pub fn down(lab: &str) -> Result<DownReport, LabError> {
    let dir = StateDir::open(lab).map_err(sd_err)?;
    let lock = dir.lock().map_err(sd_err)?;
    let rec = read_record(&dir)?;
    let found = owned_namespaces(lab);
    let Some(rec) = rec.or_else(|| (!found.is_empty()).then(|| Record::new(lab))) else {
        let _ = dir.remove();
        drop(lock);
        return Err(LabError::NotFound(lab.to_string()));
    };
    crate::services::stop_all(&rec);
    clear_leftover_files(&rec);
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
    let mut scope = scope_of_record(lab, &rec);
    scope.nodes = nodes.into_iter().collect();
    let mut host = Linux::new(lab);
    let observed = host.observe(&scope).map_err(LabError::Observe)?;
    let p = teardown(&observed);
    // Teardown keeps going past errors and reports them all.
    let mut errors = Vec::new();
    for s in &p.steps {
        if let Err(e) = host.apply(&s.op) {
            errors.push(e);
        }
    }
    drop(host);
    if let Err(e) = wait_host_links_gone(lab) {
        errors.push(e);
    }
    if errors.is_empty() {
        dir.remove().map_err(sd_err)?;
    }
    drop(lock);
    Ok(DownReport { plan: p, errors })
}
