//! One step of a scenario, run: checks, faults through
//! [`crate::lab::faults`], a wait, a command in a node.

use super::{describe, interrupted, StepResult};
use crate::lab::faults::{self, Request};
use crate::record::Fault;
use crate::state::State;
use nslab_model::{Expect, Outcome as Want, StepKind, Target, Topology};
use std::ffi::OsString;
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Why a step did not pass (its report shows this as words).
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// A fault, a heal, or a node the lab does not have, refused or
    /// failed.
    #[error("{0}")]
    Fault(#[from] faults::FaultError),
    /// The checks do not fit the lab (nothing was probed).
    #[error("{0}")]
    Check(#[from] crate::check::CheckError),
    /// Checks that ran and did not pass, each as `check: what was seen`.
    #[error("{}", .0.join("; "))]
    Failed(Vec<String>),
    /// The command could not be started in its node.
    #[error("cannot run {cmd}: {source}")]
    Spawn {
        cmd: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Enter(#[from] nslab_sys::Error),
    /// The command ended otherwise than the step expects, with the last
    /// lines of its output (`: a / b`, or nothing).
    #[error("{ended}{tail}")]
    Command { ended: Ended, tail: String },
    #[error("not a fault step")]
    NotAFault,
}

/// How a step's command ended when it was not as expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ended {
    #[error("exited {code}, expected {expected}")]
    Exited { code: i32, expected: u8 },
    #[error("interrupted; killed")]
    Interrupted,
    #[error("still running after {:.1}s; killed", .0.as_secs_f64())]
    TimedOut(Duration),
    #[error("ended by a signal")]
    Signal,
}

/// A check as the file writes it (`a -> c`, `a -x 10.0.0.1:80`).
pub(super) fn expect_words(e: &Expect) -> String {
    let arrow = if e.outcome == Want::Ok { "->" } else { "-x" };
    let to = match &e.to {
        Target::Node { node, port } => match port {
            Some(p) => format!("{node}:{}", p.get()),
            None => node.to_string(),
        },
        Target::Addr { ip, port } => match port {
            Some(p) => format!("{ip}:{}", p.get()),
            None => ip.to_string(),
        },
    };
    match e.within {
        Some(w) => format!("{} {arrow} {to} within {:.1}s", e.from, w.as_secs_f64()),
        None => format!("{} {arrow} {to}", e.from),
    }
}

pub(super) fn run_step(
    t: &Topology,
    desired: &State,
    kind: &StepKind,
    number: usize,
) -> StepResult {
    let started = Instant::now();
    let mut checks = Vec::new();
    // A node the lab as it is up does not have (one an `up` of another
    // file removed meanwhile) is refused, never taken for the host.
    let known = faults::check_nodes(&desired.lab, named_nodes(kind)).map_err(StepError::from);
    let outcome: Result<(), StepError> = match kind {
        _ if known.is_err() => known,
        StepKind::Expect(list) => expect(t, desired, list, &mut checks),
        StepKind::Heal => faults::heal(
            &mut crate::host::linux::Linux::new(&desired.lab),
            t,
            desired,
        )
        .map(|_| ())
        .map_err(StepError::from),
        StepKind::Wait(d) => {
            wait(*d);
            Ok(())
        }
        StepKind::Exec {
            node,
            cmd,
            exit,
            timeout,
        } => exec(&desired.lab, node, cmd, *exit, *timeout),
        fault => match request(fault) {
            Some(req) => faults::apply(
                &mut crate::host::linux::Linux::new(&desired.lab),
                desired,
                &req,
            )
            .map(|_| ())
            .map_err(StepError::from),
            None => Err(StepError::NotAFault),
        },
    };
    StepResult {
        number,
        text: describe(kind),
        pass: outcome.is_ok(),
        took: started.elapsed(),
        detail: outcome.err().map(|e| e.to_string()).unwrap_or_default(),
        checks,
    }
}

/// The nodes a check or command step runs in or probes (fault steps are
/// checked against the lab's record by [`faults::apply`]).
fn named_nodes(kind: &StepKind) -> Vec<&str> {
    match kind {
        StepKind::Expect(list) => list
            .iter()
            .flat_map(|e| {
                let to = match &e.to {
                    Target::Node { node, .. } => Some(node.as_str()),
                    Target::Addr { .. } => None,
                };
                std::iter::once(e.from.as_str()).chain(to)
            })
            .collect(),
        StepKind::Exec { node, .. } => vec![node.as_str()],
        _ => Vec::new(),
    }
}

/// The fault request of a fault step.
fn request(kind: &StepKind) -> Option<Request> {
    Some(match kind {
        StepKind::Link { at, up, both } => Request::Link {
            node: at.node.to_string(),
            ifname: at.ifname.to_string(),
            up: *up,
            both: *both,
        },
        StepKind::Impair { at, impair } => {
            Request::impair(at.node.to_string(), at.ifname.to_string(), *impair)
        }
        StepKind::Partition { groups, one_way } => Request::Put(Fault::Partition {
            groups: groups
                .iter()
                .map(|g| g.iter().map(ToString::to_string).collect())
                .collect(),
            one_way: *one_way,
        }),
        StepKind::Stop(n) => Request::stop(n.to_string()),
        StepKind::Start(n) => Request::Start {
            node: n.to_string(),
        },
        _ => return None,
    })
}

fn expect(
    t: &Topology,
    desired: &State,
    list: &[Expect],
    out: &mut Vec<(crate::check::Check, crate::check::Outcome)>,
) -> Result<(), StepError> {
    let resolved = crate::check::resolve_list(t, desired, list)?;
    let outcomes = crate::check::run_all(&resolved);
    out.extend(resolved.into_iter().zip(outcomes));
    let failed: Vec<String> = out
        .iter()
        .filter(|(_, o)| !o.pass)
        .map(|(c, o)| format!("{}: {}", c.text, o.seen))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(StepError::Failed(failed))
    }
}

/// Sleeps `d`, or less when interrupted.
fn wait(d: Duration) {
    let end = Instant::now() + d;
    while !interrupted() {
        let now = Instant::now();
        if now >= end {
            break;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

/// Runs `cmd` in `node` (where the lab's record says it is); it must end
/// with `exit` within `timeout`.
///
/// The command leads a process group of its own. Every wait checks for
/// an interrupt; at the timeout or an interrupt the whole group is
/// killed, and when the command ends, what it left running in its group
/// (`sleep 20 &`) is killed too: a step's processes end with the step.
/// Its output is read until the group is gone, and no longer than the
/// step may take (a process that left the group may hold it open).
fn exec(
    lab: &str,
    node: &nslab_model::NodeName,
    cmd: &[String],
    exit: u8,
    timeout: Duration,
) -> Result<(), StepError> {
    use std::os::unix::process::CommandExt;
    let argv: Vec<OsString> = cmd.iter().map(OsString::from).collect();
    // The node's namespace as the lab's record has it (a node the lab
    // lacks is refused, never the host).
    let netns = faults::node_netns(lab, node.as_str())?;
    let mut command =
        crate::services::containers::command_at(lab, node.as_str(), netns.as_deref(), &argv)?;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let spawn = |source| StepError::Spawn {
        cmd: cmd.join(" "),
        source,
    };
    let mut child = command.spawn().map_err(spawn)?;
    let group = i32::try_from(child.id())
        .map(nix::unistd::Pid::from_raw)
        .map_err(|e| spawn(std::io::Error::other(e)))?;
    let kill_group = || {
        // ESRCH: nothing left in the group.
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    };
    let (rx, expected) = read_outputs(&mut child);
    let end = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < end && !interrupted() => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                kill_group();
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    // What the command left running in its group ends with the step.
    kill_group();
    let output = collect_output(&rx, expected, end);
    let tail = tail(&output);
    let ended = match status.and_then(|s| s.code()) {
        Some(c) if c == i32::from(exit) => return Ok(()),
        Some(code) => Ended::Exited {
            code,
            expected: exit,
        },
        None if status.is_none() && interrupted() => Ended::Interrupted,
        None if status.is_none() => Ended::TimedOut(timeout),
        None => Ended::Signal,
    };
    Err(StepError::Command { ended, tail })
}

/// A thread for each of the child's stdout and stderr reading it to its
/// end and sending it on the channel; how many were started.
fn read_outputs(child: &mut std::process::Child) -> (std::sync::mpsc::Receiver<Vec<u8>>, usize) {
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let readers = [
        child
            .stdout
            .take()
            .map(|o| Box::new(o) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|e| Box::new(e) as Box<dyn Read + Send>),
    ];
    let mut expected = 0;
    for mut r in readers.into_iter().flatten() {
        let tx = tx.clone();
        expected += 1;
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = r.read_to_end(&mut s);
            let _ = tx.send(s);
        });
    }
    drop(tx);
    (rx, expected)
}

/// The output of `expected` readers, waited for no longer than half a
/// second past `end` (or now, if later) and not past an interrupt.
fn collect_output(
    rx: &std::sync::mpsc::Receiver<Vec<u8>>,
    mut expected: usize,
    end: Instant,
) -> Vec<u8> {
    let mut output = Vec::new();
    let reads_end = Instant::now().max(end) + Duration::from_millis(500);
    while expected > 0 && !interrupted() {
        let now = Instant::now();
        if now >= reads_end {
            break;
        }
        match rx.recv_timeout((reads_end - now).min(Duration::from_millis(50))) {
            Ok(s) => {
                output.extend(s);
                expected -= 1;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    output
}

/// The last lines of a command's output, for the report.
fn tail(out: &[u8]) -> String {
    let text = String::from_utf8_lossy(out);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let last = &lines[lines.len().saturating_sub(3)..];
    if last.is_empty() {
        String::new()
    } else {
        format!(": {}", last.join(" / "))
    }
}
