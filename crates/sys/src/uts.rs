//! A node's hostname: a UTS namespace per node, kept without a process the
//! way `ip netns add` keeps a network namespace — `/proc/<tid>/ns/uts`
//! bind-mounted onto a file — at `<run dir>/.uts/<lab>/<netns>`
//! (`/run/nslab/.uts/...`; a lab name never starts with a dot, so this is
//! no lab's state directory). The directory names the lab that owns the
//! files in it: `down` removes them all, also after an `up` that was
//! killed, without asking anything else.
//!
//! Every process nslab starts in a node ([`crate::exec`]) joins the UTS
//! namespace of its node's network namespace when there is one.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::statfs::{fstatfs, NSFS_MAGIC};

use crate::error::{check_component, Error};
use crate::statedir::base_dir;

/// `<run dir>/.uts`: one directory per lab.
fn root() -> PathBuf {
    base_dir().join(".uts")
}

/// The directory of the lab's UTS namespaces.
pub fn lab_dir(lab: &str) -> Result<PathBuf, Error> {
    check_component("lab", lab)?;
    Ok(root().join(lab))
}

/// Opens `path` when it holds a namespace (not a leftover plain file).
fn open_ns(path: &Path) -> Option<OwnedFd> {
    let f = File::open(path).ok()?;
    let fs = fstatfs(f.as_fd()).ok()?;
    (fs.filesystem_type() == NSFS_MAGIC).then(|| f.into())
}

/// Makes sure the node whose network namespace is `netns` has a UTS
/// namespace of the lab's with the host name `hostname` (made on first
/// use; its name set again each time, so a changed `hostname:` applies).
pub fn ensure(lab: &str, netns: &str, hostname: &str) -> Result<(), Error> {
    check_component("namespace", netns)?;
    let dir = lab_dir(lab)?;
    // Twice: another lab's `down` may remove an empty `.uts` between the
    // two levels.
    let mkdir = || DirBuilder::new().recursive(true).mode(0o755).create(&dir);
    match mkdir().or_else(|_| mkdir()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(Error::path("cannot create", &dir, e)),
    }
    let path = dir.join(netns);
    let name = hostname.to_string();
    if let Some(fd) = open_ns(&path) {
        return on_thread(move || {
            setns(&fd, CloneFlags::CLONE_NEWUTS)
                .map_err(|e| Error::os("setns(CLONE_NEWUTS)", e))?;
            nix::unistd::sethostname(&name).map_err(|e| Error::os("sethostname", e))
        });
    }
    // A plain file left by a killed run: used as the mount point.
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::path("cannot create", &path, e))?;
    let target = path.clone();
    on_thread(move || {
        unshare(CloneFlags::CLONE_NEWUTS).map_err(|e| Error::os("unshare(CLONE_NEWUTS)", e))?;
        nix::unistd::sethostname(&name).map_err(|e| Error::os("sethostname", e))?;
        let own = format!("/proc/self/task/{}/ns/uts", nix::unistd::gettid());
        mount(
            Some(own.as_str()),
            &target,
            Some("none"),
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| Error::path("cannot bind-mount the UTS namespace on", &target, e))
    })
}

/// The UTS namespace kept for the network namespace `netns`, by whichever
/// lab made it (a network namespace name is the machine's, so one lab).
pub fn find(netns: &str) -> Option<OwnedFd> {
    check_component("namespace", netns).ok()?;
    let labs = std::fs::read_dir(root()).ok()?;
    labs.flatten()
        .find_map(|lab| open_ns(&lab.path().join(netns)))
}

/// The host name the node whose network namespace is `netns` has now
/// (read in its UTS namespace, on a thread of its own); `None` when the
/// lab keeps no UTS namespace for it.
pub fn hostname(netns: &str) -> Option<String> {
    let fd = find(netns)?;
    std::thread::scope(|s| {
        s.spawn(move || {
            setns(&fd, CloneFlags::CLONE_NEWUTS).ok()?;
            nix::unistd::gethostname().ok()?.into_string().ok()
        })
        .join()
        .ok()
        .flatten()
    })
}

/// Removes the lab's UTS namespaces except those of the network namespaces
/// in `keep` (every one of them for an empty `keep`, and then the lab's
/// directory). Returns what could not be removed.
pub fn remove(lab: &str, keep: &[String]) -> Vec<Error> {
    let Ok(dir) = lab_dir(lab) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for e in entries.flatten() {
        if keep.iter().any(|k| *k.as_str() == e.file_name()) {
            continue;
        }
        let p = e.path();
        // Not mounted (a leftover file): nothing to unmount.
        let _ = umount2(&p, MntFlags::MNT_DETACH);
        if let Err(err) = std::fs::remove_file(&p) {
            errors.push(Error::path("cannot remove", &p, err));
        }
    }
    if keep.is_empty() && errors.is_empty() {
        if let Err(err) = std::fs::remove_dir(&dir) {
            if err.kind() != io::ErrorKind::NotFound {
                errors.push(Error::path("cannot remove", &dir, err));
            }
        }
        // The last lab's: `.uts` goes too (another lab's keeps it).
        let _ = std::fs::remove_dir(root());
    }
    errors
}

/// Runs `f` on a short-lived thread (a thread may change its own UTS
/// namespace; the process's other threads stay where they are).
fn on_thread(f: impl FnOnce() -> Result<(), Error> + Send) -> Result<(), Error> {
    std::thread::scope(|s| {
        let h = std::thread::Builder::new()
            .name("nslab-uts".into())
            .spawn_scoped(s, f)
            .map_err(|e| Error::os("cannot start a thread", e))?;
        match h.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
