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

use crate::record::{self, Process, Record};
use crate::state::State;
use nslab_model::Topology;
use nslab_sys::procs::{self, NsId};
use nslab_sys::statedir::StateDir;
use nslab_sys::{exec, netns};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::os::fd::AsFd;
use std::process::Stdio;

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
mod stop;

pub use freeze::{freeze, frozen, thaw};
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
fn ids_of<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<NsId> {
    names
        .into_iter()
        .filter_map(|n| netns::open(n).ok())
        .filter_map(|fd| procs::ns_id(fd.as_fd()).ok())
        .collect()
}

/// A recorded process, if it is still the process that was started and
/// the kernel says it is the lab's: alive with the recorded start time (a
/// reused pid never matches), and carrying the lab's mark in its
/// environment or living in one of the lab's namespaces `lab_ns` (those
/// whose `lo` carries the lab's mark). A record naming any other process
/// (crafted, or from before a reboot) never gets it signalled.
fn verified(lab: &str, p: &Process, lab_ns: &[NsId]) -> Option<procs::Handle> {
    let h = procs::Handle::open(p.pid, p.start)?;
    let marked = procs::mark_of(p.pid).is_some_and(|(l, _)| l == lab);
    let in_lab = procs::ns_of(p.pid).is_some_and(|n| lab_ns.contains(&n));
    // Still the process the handle is on (not a pid reused meanwhile).
    let same = procs::start_time(p.pid) == Some(p.start);
    ((marked || in_lab) && same).then_some(h)
}

/// The namespaces of the record's nodes that are the lab's by proof:
/// their `lo` carries the alias `nslab:<lab>`.
fn lab_namespaces(rec: &Record) -> Vec<NsId> {
    let alias = format!("nslab:{}", rec.lab);
    rec.nodes
        .values()
        .flatten()
        .filter_map(|n| netns::open(n).ok())
        .filter(|fd| crate::host::query::lo_alias(fd.as_fd()).as_deref() == Some(alias.as_str()))
        .filter_map(|fd| procs::ns_id(fd.as_fd()).ok())
        .collect()
}

/// The identity of each node's namespace, by node (nodes whose namespace
/// is missing are left out).
fn node_namespaces(desired: &State) -> BTreeMap<String, NsId> {
    let mut node_ns = BTreeMap::new();
    for (name, n) in &desired.nodes {
        if let Some(ns) = &n.netns {
            if let Some(id) = ids_of([ns]).first() {
                node_ns.insert(name.clone(), *id);
            }
        }
    }
    node_ns
}

/// The recorded processes to keep (alive, asked for, in their node's
/// namespace), and handles on those alive that are not to be kept.
fn sort_recorded(
    lab: &str,
    recorded: Vec<Process>,
    want: &[(String, Vec<String>)],
    node_ns: &BTreeMap<String, NsId>,
) -> (Vec<Process>, Vec<procs::Handle>) {
    let mut keep = Vec::new();
    let mut stop = Vec::new();
    let lab_ns: Vec<NsId> = node_ns.values().copied().collect();
    for p in recorded {
        let h = verified(lab, &p, &lab_ns);
        let asked = want
            .iter()
            .any(|(n, argv)| *n == p.node && what(argv) == p.what);
        let at_home =
            procs::ns_of(p.pid).is_some() && procs::ns_of(p.pid) == node_ns.get(&p.node).copied();
        match h {
            Some(_) if asked && at_home => keep.push(p),
            Some(h) => stop.push(h),
            None => {}
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
    dir: &StateDir,
    t: &Topology,
    desired: &State,
) -> Result<(), ServiceError> {
    let lab = t.lab.as_str();
    let mut rec = match dir.read(record::FILE)? {
        Some(b) => Record::from_json(&b)?,
        None => return Err(ServiceError::NotUp(lab.to_string())),
    };
    let want = wanted(t, desired);
    let node_ns = node_namespaces(desired);
    let (keep, stop) = sort_recorded(lab, std::mem::take(&mut rec.processes), &want, &node_ns);
    let lab_ns: Vec<NsId> = node_ns.values().copied().collect();
    stop::all_but(lab, &keep, stop, &lab_ns);
    rec.processes = keep;
    let exe = nslab_exe().map_err(ServiceError::NoBinary)?;
    let mut started: Vec<procs::Handle> = Vec::new();
    let mut result = Ok(());
    for (i, (node, argv)) in want.iter().enumerate() {
        if rec
            .processes
            .iter()
            .any(|p| p.node == *node && p.what == what(argv))
        {
            continue;
        }
        match start_one(dir, &exe, lab, node, i, argv, desired, &node_ns) {
            Ok(p) => {
                if let Some(h) = procs::Handle::open(p.pid, p.start) {
                    started.push(h);
                }
                rec.processes.push(p);
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if result.is_err() {
        // Undo this run's part: stop what it started (with their children).
        let leaders: Vec<i32> = started.iter().map(|h| h.pid).collect();
        stop::stop_where(started, |q| leaders.contains(&q.stat.session));
        rec.processes.retain(|p| !leaders.contains(&p.pid));
    }
    dir.write_atomic(record::FILE, &rec.to_json())?;
    result
}

/// Starts one `serve:` or `run:` entry in its node, marked with the lab
/// and node; for `serve:`, waits until the responder is listening.
#[allow(clippy::too_many_arguments)]
fn start_one(
    dir: &StateDir,
    exe: &std::path::Path,
    lab: &str,
    node: &str,
    i: usize,
    argv: &[String],
    desired: &State,
    node_ns: &BTreeMap<String, NsId>,
) -> Result<Process, ServiceError> {
    let Some(Some(ns)) = desired.nodes.get(node).map(|n| n.netns.clone()) else {
        return Err(ServiceError::NoNamespace { node: node.into() });
    };
    let fd = netns::open(&ns)?;
    let is_serve = argv.first().map(String::as_str) == Some("__serve");
    let full: Vec<OsString> = if is_serve {
        std::iter::once(exe.as_os_str().to_owned())
            .chain(argv.iter().map(OsString::from))
            .collect()
    } else {
        argv.iter().map(OsString::from).collect()
    };
    let log = dir.log_path(node, i);
    let mut cmd = exec::spawn_in(fd.as_fd(), &full, &log)?;
    exec::join_node(&mut cmd, &ns);
    cmd.env(procs::LAB_VAR, lab).env(procs::NODE_VAR, node);
    if is_serve {
        cmd.stdout(Stdio::piped());
    }
    let mut child = cmd.spawn().map_err(|source| ServiceError::Spawn {
        node: node.into(),
        what: what(argv),
        source,
    })?;
    let pid = i32::try_from(child.id())?;
    // Our child: it cannot be reaped (nor its pid reused) before we wait.
    let start = procs::start_time(pid).unwrap_or(0);
    if is_serve {
        // The responder prints one line once its sockets are bound.
        let ready = child.stdout.take().map(|out| {
            let mut line = String::new();
            BufReader::new(out).read_line(&mut line).map(|_| line)
        });
        if !matches!(ready, Some(Ok(ref l)) if l.starts_with("ready")) {
            let _ = child.kill();
            let _ = child.wait();
            let log_text = std::fs::read_to_string(&log)
                .unwrap_or_else(|e| format!("(its log {} cannot be read: {e})", log.display()));
            return Err(ServiceError::NotReady {
                node: node.into(),
                log: log_text.trim().to_string(),
            });
        }
    }
    // The child is reaped by init once nslab exits; `down` stops it.
    std::mem::forget(child);
    Ok(Process {
        node: node.to_string(),
        pid,
        start,
        netns: node_ns.get(node).copied().map(id_pair),
        what: what(argv),
    })
}

/// How a recorded process is, for `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Running {
    /// The recorded process, in its node's namespace.
    Yes,
    /// As `Yes`, but stopped by a signal (`nslab stop`).
    Frozen,
    Exited,
    /// Left in a namespace that is not its node's (gone, or replaced).
    OutsideItsNode,
}

impl std::fmt::Display for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Running::Yes => "running",
            Running::Frozen => "frozen",
            Running::Exited => "exited",
            Running::OutsideItsNode => "running outside its node's namespace",
        })
    }
}

/// The recorded processes of `node` (every node if `None`), each with how
/// it is now.
pub fn status<'r>(rec: &'r Record, node: Option<&str>) -> Vec<(&'r Process, Running)> {
    let mut out = Vec::new();
    let lab_ns = lab_namespaces(rec);
    for p in &rec.processes {
        if node.is_none_or(|n| n == p.node) {
            let home = rec
                .nodes
                .get(&p.node)
                .and_then(|ns| ns.as_ref())
                .and_then(|ns| ids_of([ns]).first().copied());
            let state = match verified(&rec.lab, p, &lab_ns) {
                None => Running::Exited,
                Some(_) if home.is_some() && procs::ns_of(p.pid) == home => {
                    match procs::stat(p.pid) {
                        Some(s) if s.state == 'T' => Running::Frozen,
                        _ => Running::Yes,
                    }
                }
                Some(_) => Running::OutsideItsNode,
            };
            out.push((p, state));
        }
    }
    out
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
