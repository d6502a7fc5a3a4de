//! `serve:` and `run:`: processes that live inside nodes between `up` and
//! `down`. Each leads a session and process group of its own, carries the
//! lab's mark in its environment (`NSLAB_LAB`, `NSLAB_NODE`, inherited by
//! its children) and is listed in the lab's record by pid and start time.
//!
//! A process is the lab's by proof, not by record: a recorded pid is
//! signalled only while its start time matches (through a pidfd), and
//! `down` also finds the lab's processes by the namespace they live in and
//! by the mark, so a lost record or a namespace that lost its name leaves
//! nothing running.

use crate::host::processes::{Launch, NsId, Proc, Processes, SpawnError};
use crate::host::Host;
use crate::record::{self, Process, Record};
use crate::state::State;
use nslab_model::Topology;
use nslab_sys::statedir::StateDir;
use std::collections::BTreeMap;
use std::ffi::OsString;

/// Why processes could not be started (or the responder could not run).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The lab's state directory or a namespace could not be used.
    #[error("{0}")]
    Sys(#[from] nslab_sys::Error),
    #[error("{0}")]
    Record(#[from] serde_json::Error),
    #[error("cannot find the nslab binary: {0}")]
    NoBinary(std::io::Error),
    #[error("node {node}: `serve`/`run` need a node with a namespace of its own")]
    NoNamespace { node: String },
    #[error("node {node}: cannot start `{what}`: {source}")]
    Spawn {
        node: String,
        what: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Pid(#[from] std::num::TryFromIntError),
    #[error("node {node}: the responder did not start: {log}")]
    NotReady { node: String, log: String },
    #[error("{0}")]
    BadService(#[from] nslab_probe::ServiceParseError),
    #[error("{0}")]
    Responder(#[from] nslab_probe::Error),
    /// The lab went away (a `down` ran) before its processes were started.
    #[error("lab {0} is not up (a `down` removed it): no process was started")]
    NotUp(String),
    /// An image node's container could not be started.
    #[error("{0}")]
    Container(Box<containers::ContainerError>),
}

impl From<containers::ContainerError> for ServiceError {
    fn from(e: containers::ContainerError) -> Self {
        ServiceError::Container(Box::new(e))
    }
}

pub mod containers;
mod freeze;
mod status;
mod stop;
#[cfg(test)]
mod tests;

pub use freeze::{freeze, frozen, running, thaw};
pub use status::status;
pub use stop::{stop_all, stop_orphans};

/// What a node should be running: `serve tcp/80 udp/53` or `run: argv`.
fn wanted(t: &Topology, desired: &State) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (name, node) in &t.nodes {
        if !desired.nodes.contains_key(name.as_str()) {
            continue;
        }
        let services = &node.serve;
        if !services.is_empty() {
            let mut argv = vec!["__serve".to_string(), format!("{}/{}", t.lab, name)];
            argv.extend(services.iter().map(|s| format!("{}/{}", s.proto, s.port)));
            out.push((name.to_string(), argv));
        }
        for cmd in &node.run {
            out.push((name.to_string(), cmd.clone()));
        }
    }
    out
}

/// The `nslab` binary that runs the built-in responder: `NSLAB_BIN` when
/// set; this program when it is `nslab`; else `nslab` in `PATH` (a
/// program using the library, see [`crate::facade`]); else this program.
pub(crate) fn nslab_exe() -> std::io::Result<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("NSLAB_BIN") {
        return Ok(p.into());
    }
    let me = std::env::current_exe()?;
    if me.file_stem().is_some_and(|s| s == "nslab") {
        return Ok(me);
    }
    let in_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("nslab"))
            .find(|p| p.is_file())
    });
    Ok(in_path.unwrap_or(me))
}

fn what(argv: &[String]) -> String {
    argv.join(" ")
}

fn id_pair(id: NsId) -> (u64, u64) {
    (id.dev, id.ino)
}

/// Identities of the named namespaces `names` (missing ones are skipped).
fn ids_of<'a>(p: &mut dyn Processes, names: impl IntoIterator<Item = &'a String>) -> Vec<NsId> {
    names
        .into_iter()
        .filter_map(|n| p.netns(n, false))
        .map(|(id, _)| id)
        .collect()
}

/// A recorded process as it is now, if it is still the process that was
/// started and the kernel says it is the lab's: alive with the recorded
/// start time (a reused pid never matches), and carrying the lab's mark
/// in its environment or living in one of the lab's namespaces `lab_ns`
/// (those whose `lo` carries the lab's mark). A record naming any other
/// process (crafted, or from before a reboot) never gets it signalled.
fn verified(p: &mut dyn Processes, lab: &str, rec: &Process, lab_ns: &[NsId]) -> Option<Proc> {
    let q = p.process(rec.pid, rec.start)?;
    let marked = q.mark.as_ref().is_some_and(|(l, _)| l == lab);
    let in_lab = q.ns.is_some_and(|n| lab_ns.contains(&n));
    (marked || in_lab).then_some(q)
}

/// The namespaces of the record's nodes that are the lab's by proof:
/// their `lo` carries the alias `nslab:<lab>`.
fn lab_namespaces(p: &mut dyn Processes, rec: &Record) -> Vec<NsId> {
    let alias = nslab_types::names::lab_mark(&rec.lab);
    rec.nodes
        .values()
        .flatten()
        .filter_map(|n| p.netns(n, true))
        .filter(|(_, a)| a.as_deref() == Some(alias.as_str()))
        .map(|(id, _)| id)
        .collect()
}

/// The identity of each node's namespace, by node (nodes whose namespace
/// is missing are left out).
fn node_namespaces(p: &mut dyn Processes, desired: &State) -> BTreeMap<String, NsId> {
    let mut node_ns = BTreeMap::new();
    for (name, n) in &desired.nodes {
        if let Some(ns) = &n.netns {
            if let Some(id) = ids_of(p, [ns]).first() {
                node_ns.insert(name.clone(), *id);
            }
        }
    }
    node_ns
}

/// The recorded processes to keep (alive, asked for, in their node's
/// namespace), and those alive that are not to be kept.
fn sort_recorded(
    p: &mut dyn Processes,
    lab: &str,
    recorded: Vec<Process>,
    want: &[(String, Vec<String>)],
    node_ns: &BTreeMap<String, NsId>,
) -> (Vec<Process>, Vec<(i32, u64)>) {
    let mut keep = Vec::new();
    let mut stop = Vec::new();
    let lab_ns: Vec<NsId> = node_ns.values().copied().collect();
    for r in recorded {
        let Some(q) = verified(p, lab, &r, &lab_ns) else {
            continue;
        };
        let asked = want
            .iter()
            .any(|(n, argv)| *n == r.node && what(argv) == r.what);
        let at_home = q.ns.is_some() && q.ns == node_ns.get(&r.node).copied();
        if asked && at_home {
            keep.push(r);
        } else {
            stop.push((q.pid, q.stat.start));
        }
    }
    (keep, stop)
}

/// Start what the file asks for and is not running; stop what runs but is
/// no longer asked for, and any process of the lab's that is not the one
/// recorded. Updates the record.
///
/// A recorded process is kept only if it is alive, its start time matches
/// and it lives in its node's current namespace. Processes carrying the
/// lab's mark that are not kept are stopped when they live in one of the
/// lab's namespaces (a run killed before it recorded them) or in a
/// namespace with no name (a node's namespace deleted by hand).
///
/// If a process cannot start, the ones this run started are stopped again
/// and the record lists only those kept from before.
///
/// A lab that is not up (a `down` removed it after its `up`) is
/// [`ServiceError::NotUp`]: nothing is started, nothing is made for it.
///
/// The caller holds the lab's lock (`up`, `heal`).
pub(crate) fn start_locked(
    host: &mut dyn Host,
    dir: &StateDir,
    t: &Topology,
    desired: &State,
) -> Result<(), ServiceError> {
    let p = host.processes();
    let lab = t.lab.as_str();
    let mut rec = match dir.read(record::FILE)? {
        Some(b) => Record::from_json(&b)?,
        None => return Err(ServiceError::NotUp(lab.to_string())),
    };
    let want = wanted(t, desired);
    let node_ns = node_namespaces(p, desired);
    let recorded = std::mem::take(&mut rec.processes);
    let (keep, stop) = sort_recorded(p, lab, recorded, &want, &node_ns);
    let lab_ns: Vec<NsId> = node_ns.values().copied().collect();
    stop::all_but(p, lab, &keep, stop, &lab_ns);
    rec.processes = keep;
    let exe = nslab_exe().map_err(ServiceError::NoBinary)?;
    let mut started: Vec<(i32, u64)> = Vec::new();
    let mut result = Ok(());
    for (i, (node, argv)) in want.iter().enumerate() {
        if rec
            .processes
            .iter()
            .any(|r| r.node == *node && r.what == what(argv))
        {
            continue;
        }
        let entry = Entry { node, i, argv };
        match start_one(p, dir, &exe, lab, entry, desired, &node_ns) {
            Ok(r) => {
                started.push((r.pid, r.start));
                rec.processes.push(r);
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if result.is_err() {
        // Undo this run's part: stop what it started (with their children).
        // Only those alive: a session of a dead leader's pid may be
        // another's now.
        started.retain(|(pid, start)| p.process(*pid, *start).is_some());
        let leaders: Vec<i32> = started.iter().map(|(pid, _)| *pid).collect();
        stop::stop_where(p, started, |_, q| leaders.contains(&q.stat.session));
        rec.processes.retain(|r| !leaders.contains(&r.pid));
    }
    dir.write_atomic(record::FILE, &rec.to_json())?;
    result
}

/// One entry of what a node should run: its index among the lab's (for
/// its log) and its argv.
struct Entry<'a> {
    node: &'a str,
    i: usize,
    argv: &'a [String],
}

/// Starts one `serve:` or `run:` entry in its node, marked with the lab
/// and node; for `serve:`, waits until the responder is listening.
fn start_one(
    p: &mut dyn Processes,
    dir: &StateDir,
    exe: &std::path::Path,
    lab: &str,
    e: Entry<'_>,
    desired: &State,
    node_ns: &BTreeMap<String, NsId>,
) -> Result<Process, ServiceError> {
    let (node, argv) = (e.node, e.argv);
    let Some(Some(ns)) = desired.nodes.get(node).map(|n| n.netns.clone()) else {
        return Err(ServiceError::NoNamespace { node: node.into() });
    };
    let is_serve = argv.first().map(String::as_str) == Some("__serve");
    let full: Vec<OsString> = if is_serve {
        std::iter::once(exe.as_os_str().to_owned())
            .chain(argv.iter().map(OsString::from))
            .collect()
    } else {
        argv.iter().map(OsString::from).collect()
    };
    let log = dir.log_path(node, e.i);
    let launch = Launch {
        lab,
        node,
        netns: &ns,
        argv: &full,
        log: &log,
        wait_ready: is_serve,
    };
    let (pid, start) = p.spawn(&launch).map_err(|err| match err {
        SpawnError::Sys(e) => ServiceError::Sys(e),
        SpawnError::Pid(e) => ServiceError::Pid(e),
        SpawnError::Spawn(source) => ServiceError::Spawn {
            node: node.into(),
            what: what(argv),
            source,
        },
        SpawnError::NotReady => ServiceError::NotReady {
            node: node.into(),
            log: std::fs::read_to_string(&log)
                .unwrap_or_else(|e| format!("(its log {} cannot be read: {e})", log.display()))
                .trim()
                .to_string(),
        },
    })?;
    Ok(Process {
        node: node.to_string(),
        pid,
        start,
        netns: node_ns.get(node).copied().map(id_pair),
        what: what(argv),
    })
}

/// The built-in responder (`nslab __serve LABEL tcp/80 ...`, run inside a
/// node by [`start_locked`]): binds `services`, calls `ready` (the CLI
/// prints `ready`, what `start` waits for; nothing is written to stdout
/// after it) and serves until killed. Returns only on an error.
pub fn serve(
    label: &str,
    services: &[String],
    ready: impl FnOnce(),
) -> Result<std::convert::Infallible, ServiceError> {
    let mut parsed = Vec::new();
    for s in services {
        let svc = s.parse::<nslab_probe::Service>()?;
        parsed.push((svc.proto, svc.port));
    }
    let responder = nslab_probe::Responder::bind_current(label, &parsed)?;
    ready();
    Ok(responder.wait()?)
}
