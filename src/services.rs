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

use crate::host::query::lo_alias;
use crate::record::{self, Process, Record};
use crate::state::State;
use nslab_model::Topology;
use nslab_sys::procs::{self, NsId};
use nslab_sys::statedir::StateDir;
use nslab_sys::{exec, netns};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::os::fd::AsFd;
use std::process::Stdio;
use std::time::Duration;

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
}

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

fn what(argv: &[String]) -> String {
    argv.join(" ")
}

/// How long stopped processes get between `SIGTERM` and `SIGKILL`.
const GRACE: Duration = Duration::from_secs(2);

fn id_pair(id: NsId) -> (u64, u64) {
    (id.dev, id.ino)
}

/// The namespace nslab itself runs in (never a lab's).
fn own_namespace() -> Option<NsId> {
    i32::try_from(std::process::id())
        .ok()
        .and_then(procs::ns_of)
}

/// Identities of the named namespaces `names` (missing ones are skipped).
fn ids_of<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<NsId> {
    names
        .into_iter()
        .filter_map(|n| netns::open(n).ok())
        .filter_map(|fd| procs::ns_id(fd.as_fd()).ok())
        .collect()
}

/// Finds the lab's orphans: processes living in a namespace that has no
/// name any more (deleted by `down`, by hand, or by a run that was killed)
/// and that is the lab's by proof — its `lo` still carries the alias
/// `nslab:<lab>`. The environment mark alone could be forged or inherited
/// (a container's process, say), the namespace's own mark cannot.
struct Orphans<'a> {
    lab: &'a str,
    named: Vec<NsId>,
    own: Option<NsId>,
    seen: RefCell<BTreeMap<NsId, bool>>,
}

impl<'a> Orphans<'a> {
    fn new(lab: &'a str) -> Orphans<'a> {
        Orphans {
            lab,
            named: procs::named_namespaces()
                .into_iter()
                .map(|(_, id)| id)
                .collect(),
            own: own_namespace(),
            seen: RefCell::new(BTreeMap::new()),
        }
    }

    fn is_orphan(&self, q: &procs::Proc) -> bool {
        let Some(n) = q.ns else { return false };
        if !has_mark(q, self.lab) || self.named.contains(&n) || Some(n) == self.own {
            return false;
        }
        if let Some(known) = self.seen.borrow().get(&n) {
            return *known;
        }
        let alias = format!("nslab:{}", self.lab);
        let ours = std::fs::File::open(format!("/proc/{}/ns/net", q.pid))
            .ok()
            .and_then(|f| lo_alias(f.as_fd()))
            // The process may be in the namespace it claims, with no
            // other process left there: check it is the same one.
            .is_some_and(|a| a == alias)
            && procs::ns_of(q.pid) == Some(n);
        self.seen.borrow_mut().insert(n, ours);
        ours
    }
}

fn has_mark(q: &procs::Proc, lab: &str) -> bool {
    q.mark.as_ref().is_some_and(|(l, _)| l == lab)
}

/// A recorded process, if it is still the process that was started: alive
/// and with the recorded start time (a reused pid never matches).
fn verified(p: &Process) -> Option<procs::Handle> {
    procs::Handle::open(p.pid, p.start)
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
pub fn start(t: &Topology, desired: &State) -> Result<(), ServiceError> {
    let lab = t.lab.as_str();
    let dir = StateDir::open(lab)?;
    let _lock = dir.lock()?;
    let mut rec = match dir.read(record::FILE)? {
        Some(b) => Record::from_json(&b)?,
        None => Record::new(lab),
    };
    let want = wanted(t, desired);
    let mut node_ns: BTreeMap<String, NsId> = BTreeMap::new();
    for (name, n) in &desired.nodes {
        if let Some(ns) = &n.netns {
            if let Some(id) = ids_of([ns]).first() {
                node_ns.insert(name.clone(), *id);
            }
        }
    }
    let mut keep = Vec::new();
    let mut stop = Vec::new();
    for p in std::mem::take(&mut rec.processes) {
        let h = verified(&p);
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
    let orphans = Orphans::new(lab);
    let lab_ns: Vec<NsId> = node_ns.values().copied().collect();
    let stopped_leaders: Vec<i32> = stop.iter().map(|h| h.pid).collect();
    stop_where(stop, |q| {
        let kept = keep
            .iter()
            .any(|k| k.pid == q.pid || k.pid == q.stat.session);
        let marked_here = has_mark(q, lab) && q.ns.is_some_and(|n| lab_ns.contains(&n));
        let marked_here = marked_here || orphans.is_orphan(q);
        !kept && (marked_here || stopped_leaders.contains(&q.stat.session))
    });
    rec.processes = keep;
    let exe = std::env::current_exe().map_err(ServiceError::NoBinary)?;
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
        match start_one(&dir, &exe, lab, node, i, argv, desired, &node_ns) {
            Ok(p) => {
                if let Some(h) = verified(&p) {
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
        stop_where(started, |q| leaders.contains(&q.stat.session));
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
            let log_text = std::fs::read_to_string(&log).unwrap_or_default();
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

/// Stops every process of the lab, before its namespaces are deleted:
/// the recorded ones that are still the processes recorded (pid and start
/// time) with their sessions, every process living in one of the lab's
/// namespaces `owned`, and every process carrying the lab's mark whose
/// namespace has no name any more. Works without a record. Returns how
/// many processes were stopped.
pub fn stop_all(lab: &str, rec: Option<&Record>, owned: &[String]) -> usize {
    let recorded: Vec<procs::Handle> = rec
        .map(|r| r.processes.iter().filter_map(verified).collect())
        .unwrap_or_default();
    let leaders: Vec<i32> = recorded.iter().map(|h| h.pid).collect();
    let lab_ns = ids_of(owned);
    let orphans = Orphans::new(lab);
    stop_where(recorded, |q| {
        q.ns.is_some_and(|n| lab_ns.contains(&n))
            || orphans.is_orphan(q)
            || leaders.contains(&q.stat.session)
    })
}

/// Stops `first` and every live process `select` picks, then looks again
/// until nothing is picked: a process may fork between a scan and the
/// signal, and its child is only seen by the next scan. Returns how many
/// were stopped.
fn stop_where(first: Vec<procs::Handle>, select: impl Fn(&procs::Proc) -> bool) -> usize {
    const ROUNDS: usize = 5;
    let mut total = 0;
    let mut stop = first;
    for _ in 0..ROUNDS {
        for q in procs::scan() {
            if select(&q) && !stop.iter().any(|h| h.pid == q.pid) {
                if let Some(h) = procs::Handle::open(q.pid, q.stat.start) {
                    stop.push(h);
                }
            }
        }
        if stop.is_empty() {
            break;
        }
        procs::stop(&stop, GRACE);
        total += stop.len();
        stop = Vec::new();
    }
    total
}

/// How a recorded process is, for `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Running {
    /// The recorded process, in its node's namespace.
    Yes,
    Exited,
    /// Left in a namespace that is not its node's (gone, or replaced).
    OutsideItsNode,
}

impl std::fmt::Display for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Running::Yes => "running",
            Running::Exited => "exited",
            Running::OutsideItsNode => "running outside its node's namespace",
        })
    }
}

/// The recorded processes of `node` (every node if `None`), each with how
/// it is now.
pub fn status<'r>(rec: &'r Record, node: Option<&str>) -> Vec<(&'r Process, Running)> {
    let mut out = Vec::new();
    for p in &rec.processes {
        if node.is_none_or(|n| n == p.node) {
            let home = rec
                .nodes
                .get(&p.node)
                .and_then(|ns| ns.as_ref())
                .and_then(|ns| ids_of([ns]).first().copied());
            let state = match verified(p) {
                None => Running::Exited,
                Some(_) if home.is_some() && procs::ns_of(p.pid) == home => Running::Yes,
                Some(_) => Running::OutsideItsNode,
            };
            out.push((p, state));
        }
    }
    out
}

/// The built-in responder (`nslab __serve LABEL tcp/80 ...`, run inside a
/// node by [`start`]): binds `services`, prints `ready` (what `start`
/// waits for; nothing is written to stdout after it) and serves until
/// killed. Returns only on an error.
pub fn serve(label: &str, services: &[String]) -> Result<std::convert::Infallible, ServiceError> {
    let mut parsed = Vec::new();
    for s in services {
        let svc = s.parse::<nslab_probe::Service>()?;
        parsed.push((svc.proto, svc.port));
    }
    let responder = nslab_probe::Responder::bind_current(label, &parsed)?;
    println!("ready");
    Ok(responder.wait()?)
}
