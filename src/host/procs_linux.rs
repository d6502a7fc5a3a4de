//! The Linux host's processes and containers: `/proc`, pidfds (a signal
//! reaches the process a pid and start time name, or nothing) and Podman
//! ([`nslab_sys::podman`]).

use super::linux::Linux;
use super::processes::{Containers, Launch, NsId, Proc, Processes, SpawnError};
use super::query::lo_alias;
use nslab_sys::podman::{self, Container, PodmanError, Spec};
use nslab_sys::{exec, netns, procs};
use std::io::{BufRead, BufReader};
use std::os::fd::AsFd;
use std::process::Stdio;
use std::time::Duration;

/// Pidfds on those of `targets` still alive with their start time.
fn handles(targets: &[(i32, u64)]) -> Vec<procs::Handle> {
    targets
        .iter()
        .filter_map(|(pid, start)| procs::Handle::open(*pid, *start))
        .collect()
}

impl Processes for Linux {
    fn scan(&mut self) -> Vec<Proc> {
        procs::scan()
    }

    fn process(&mut self, pid: i32, start: u64) -> Option<Proc> {
        // Pinned first: what is read after is about the process started
        // then, or the start time no longer matches.
        let _pinned = procs::Handle::open(pid, start)?;
        let ns = procs::ns_of(pid);
        let mark = procs::mark_of(pid);
        // Still the process the handle is on (not a pid reused meanwhile).
        let stat = procs::stat(pid)?;
        (stat.start == start && !stat.is_dead()).then_some(Proc {
            pid,
            stat,
            ns,
            mark,
        })
    }

    fn netns(&mut self, name: &str, mark: bool) -> Option<(NsId, Option<String>)> {
        let fd = netns::open(name).ok()?;
        let id = procs::ns_id(fd.as_fd()).ok()?;
        Some((id, if mark { lo_alias(fd.as_fd()) } else { None }))
    }

    fn netns_of(&mut self, pid: i32) -> Option<(NsId, Option<String>)> {
        let f = std::fs::File::open(format!("/proc/{pid}/ns/net")).ok()?;
        let id = procs::ns_id(f.as_fd()).ok()?;
        Some((id, lo_alias(f.as_fd())))
    }

    fn named_namespaces(&mut self) -> Vec<NsId> {
        let named = procs::named_namespaces().into_iter();
        named.map(|(_, id)| id).collect()
    }

    fn own_namespace(&mut self) -> Option<NsId> {
        i32::try_from(std::process::id())
            .ok()
            .and_then(procs::ns_of)
    }

    fn spawn(&mut self, l: &Launch<'_>) -> Result<(i32, u64), SpawnError> {
        let fd = netns::open(l.netns)?;
        let mut cmd = exec::spawn_in(fd.as_fd(), l.argv, l.log)?;
        exec::join_node(&mut cmd, l.netns);
        cmd.env(procs::LAB_VAR, l.lab).env(procs::NODE_VAR, l.node);
        if l.wait_ready {
            cmd.stdout(Stdio::piped());
        }
        let mut child = cmd.spawn().map_err(SpawnError::Spawn)?;
        let pid = i32::try_from(child.id())?;
        // Our child: it cannot be reaped (nor its pid reused) before we wait.
        let start = procs::start_time(pid).unwrap_or(0);
        if l.wait_ready {
            // The responder prints one line once its sockets are bound.
            let ready = child.stdout.take().map(|out| {
                let mut line = String::new();
                BufReader::new(out).read_line(&mut line).map(|_| line)
            });
            if !matches!(ready, Some(Ok(ref l)) if l.starts_with("ready")) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SpawnError::NotReady);
            }
        }
        // The child is reaped by init once nslab exits; `down` stops it.
        std::mem::forget(child);
        Ok((pid, start))
    }

    fn signal(&mut self, targets: &[(i32, u64)], sig: i32) -> usize {
        handles(targets).iter().filter(|h| h.signal(sig)).count()
    }

    fn stop(&mut self, targets: &[(i32, u64)], grace: Duration) -> usize {
        let alive = handles(targets);
        procs::stop(&alive, grace);
        alive.len()
    }
}

impl Containers for Linux {
    fn image_exists(&mut self, image: &str) -> Result<bool, PodmanError> {
        podman::image_exists(image)
    }

    fn lab_containers(&mut self, lab: &str) -> Result<Vec<String>, PodmanError> {
        podman::lab_containers(lab)
    }

    fn inspect(&mut self, name: &str) -> Result<Option<Container>, PodmanError> {
        podman::inspect(name)
    }

    fn run(&mut self, spec: &Spec) -> Result<(), PodmanError> {
        podman::start(spec)
    }

    fn remove(&mut self, names: &[String]) -> Result<(), PodmanError> {
        podman::remove(names)
    }

    fn set_paused(&mut self, name: &str, paused: bool) -> Result<(), PodmanError> {
        if paused {
            podman::pause(name)
        } else {
            podman::unpause(name)
        }
    }

    fn wait_starting(&mut self, lab: &str, wait: Duration) -> usize {
        podman::wait_starting(lab, wait)
    }
}
