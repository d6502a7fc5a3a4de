//! The fake's processes and containers: a table of what runs, with the
//! kernel's facts a process has (pid and start time, session, namespace,
//! mark, stopped or not) and Podman's of a container (label, digest,
//! state). A namespace keeps its identity while a process lives in it,
//! named or not, as the kernel's does.

use super::FakeHost;
use crate::host::processes::{Container, Containers, Launch, NsId, PodmanError, Proc, Processes};
use crate::host::processes::{SpawnError, Spec};
use nslab_sys::procs::Stat;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The namespace nslab runs in (the host's).
pub const HOST_NS: NsId = NsId { dev: 0, ino: 1 };

#[derive(Debug, Default, Clone)]
pub struct Table {
    /// The live processes, by pid.
    pub procs: BTreeMap<i32, Proc>,
    /// The containers, by name.
    pub containers: BTreeMap<String, Container>,
    /// Images in the local store that are missing.
    pub missing_images: BTreeSet<String>,
    /// Fail the starts (of a process or a container) with these indexes,
    /// counting every start.
    pub fail_starts: BTreeSet<usize>,
    /// Starts asked for so far.
    pub starts: usize,
    /// Named namespaces: name -> identity.
    names: BTreeMap<String, NsId>,
    /// The alias of each namespace's `lo`, by identity.
    marks: BTreeMap<NsId, String>,
    clock: u64,
}

impl Table {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// A namespace `name` made, carrying the mark `mark` on its `lo`.
    pub(super) fn named(&mut self, name: &str, mark: String) {
        let id = NsId {
            dev: 0,
            ino: 100 + self.tick(),
        };
        self.names.insert(name.to_string(), id);
        self.marks.insert(id, mark);
    }

    /// The namespace `name` deleted: it lives on (unnamed) while a
    /// process is in it.
    pub(super) fn unnamed(&mut self, name: &str) {
        self.names.remove(name);
    }

    /// A process that is not the lab's (no mark, in the host's
    /// namespace), as another program started it; its pid and start time.
    pub fn foreign(&mut self) -> (i32, u64) {
        self.add(None, Some(HOST_NS))
    }

    /// A child of process `parent` (a fork: its session, namespace and
    /// mark); its pid and start time.
    pub fn fork(&mut self, parent: i32) -> Option<(i32, u64)> {
        let p = self.procs.get(&parent)?.clone();
        let (pid, start) = self.add(p.mark, p.ns);
        let child = self.procs.get_mut(&pid)?;
        child.stat.session = p.stat.session;
        child.stat.pgrp = p.stat.pgrp;
        Some((pid, start))
    }

    fn add(&mut self, mark: Option<(String, String)>, ns: Option<NsId>) -> (i32, u64) {
        let start = self.tick();
        let pid = i32::try_from(1000 + start).unwrap_or(i32::MAX);
        let stat = Stat {
            state: 'S',
            pgrp: pid,
            session: pid,
            start,
        };
        self.procs.insert(
            pid,
            Proc {
                pid,
                stat,
                ns,
                mark,
            },
        );
        (pid, start)
    }

    /// Whether the next start is one to fail.
    fn fails(&mut self) -> bool {
        let i = self.starts;
        self.starts += 1;
        self.fail_starts.remove(&i)
    }

    fn matching(&self, pid: i32, start: u64) -> Option<&Proc> {
        self.procs.get(&pid).filter(|q| q.stat.start == start)
    }
}

fn refused(op: &str, words: &str) -> PodmanError {
    PodmanError::Failed {
        op: op.to_string(),
        words: words.to_string(),
    }
}

impl Processes for FakeHost {
    fn scan(&mut self) -> Vec<Proc> {
        self.procs.procs.values().cloned().collect()
    }

    fn process(&mut self, pid: i32, start: u64) -> Option<Proc> {
        self.procs.matching(pid, start).cloned()
    }

    fn netns(&mut self, netns: &str, mark: bool) -> Option<(NsId, Option<String>)> {
        let id = *self.procs.names.get(netns)?;
        let alias = mark.then(|| self.procs.marks.get(&id).cloned()).flatten();
        Some((id, alias))
    }

    fn netns_of(&mut self, pid: i32) -> Option<(NsId, Option<String>)> {
        let id = self.procs.procs.get(&pid)?.ns?;
        Some((id, self.procs.marks.get(&id).cloned()))
    }

    fn named_namespaces(&mut self) -> Vec<NsId> {
        self.procs.names.values().copied().collect()
    }

    fn own_namespace(&mut self) -> Option<NsId> {
        Some(HOST_NS)
    }

    fn spawn(&mut self, l: &Launch<'_>) -> Result<(i32, u64), SpawnError> {
        let missing = || std::io::Error::from_raw_os_error(libc::ENOENT);
        let ns = *self
            .procs
            .names
            .get(l.netns)
            .ok_or_else(|| SpawnError::Spawn(missing()))?;
        if l.argv.is_empty() {
            return Err(SpawnError::Spawn(missing()));
        }
        if self.procs.fails() {
            return Err(if l.wait_ready {
                SpawnError::NotReady
            } else {
                SpawnError::Spawn(std::io::Error::other("injected"))
            });
        }
        let mark = (l.lab.to_string(), l.node.to_string());
        Ok(self.procs.add(Some(mark), Some(ns)))
    }

    fn signal(&mut self, targets: &[(i32, u64)], sig: i32) -> usize {
        let mut n = 0;
        for (pid, start) in targets {
            if self.procs.matching(*pid, *start).is_none() {
                continue;
            }
            n += 1;
            match sig {
                libc::SIGTERM | libc::SIGKILL => {
                    self.procs.procs.remove(pid);
                }
                libc::SIGSTOP | libc::SIGCONT => {
                    if let Some(q) = self.procs.procs.get_mut(pid) {
                        q.stat.state = if sig == libc::SIGSTOP { 'T' } else { 'S' };
                    }
                }
                _ => {}
            }
        }
        n
    }

    fn stop(&mut self, targets: &[(i32, u64)], _grace: Duration) -> usize {
        self.signal(targets, libc::SIGKILL)
    }
}

impl Containers for FakeHost {
    fn image_exists(&mut self, image: &str) -> Result<bool, PodmanError> {
        Ok(!self.procs.missing_images.contains(image))
    }

    fn lab_containers(&mut self, lab: &str) -> Result<Vec<String>, PodmanError> {
        let all = self.procs.containers.values();
        Ok(all
            .filter(|c| c.lab == lab)
            .map(|c| c.name.clone())
            .collect())
    }

    fn inspect(&mut self, name: &str) -> Result<Option<Container>, PodmanError> {
        Ok(self.procs.containers.get(name).cloned())
    }

    fn run(&mut self, spec: &Spec) -> Result<(), PodmanError> {
        if self.procs.containers.contains_key(&spec.name) {
            return Err(refused("run", "the container name is already in use"));
        }
        let named = spec
            .netns
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| self.procs.names.contains_key(n));
        if !named || self.procs.missing_images.contains(&spec.image) {
            return Err(refused("run", "no such namespace or image"));
        }
        if self.procs.fails() {
            return Err(refused("run", "injected"));
        }
        let c = Container {
            name: spec.name.clone(),
            lab: spec.lab.clone(),
            digest: spec.digest(),
            state: "running".into(),
            image: spec.image.clone(),
        };
        self.procs.containers.insert(spec.name.clone(), c);
        Ok(())
    }

    fn remove(&mut self, names: &[String]) -> Result<(), PodmanError> {
        for n in names {
            self.procs.containers.remove(n);
        }
        Ok(())
    }

    fn set_paused(&mut self, name: &str, paused: bool) -> Result<(), PodmanError> {
        let c = self
            .procs
            .containers
            .get_mut(name)
            .ok_or_else(|| refused("pause", "no such container"))?;
        let (from, to) = if paused {
            ("running", "paused")
        } else {
            ("paused", "running")
        };
        if c.state != from {
            return Err(refused("pause", "the container is not in the state for it"));
        }
        c.state = to.into();
        Ok(())
    }

    fn wait_starting(&mut self, _lab: &str, _wait: Duration) -> usize {
        0
    }
}
