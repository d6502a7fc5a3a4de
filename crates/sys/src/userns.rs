//! Labs without root: a user namespace per lab, kept by a holder process.
//!
//! The holder ([`become_holder`]) unshares a user namespace and a mount
//! namespace, maps uid and gid 0 inside to the user's own outside (one line
//! each, which an unprivileged process may write for itself once
//! `setgroups` is denied), makes every mount private, unshares a network
//! namespace for nslab itself to work from (the machine's is root's), writes
//! `pid start-time userns-inode` to `<lab dir>/holder` and waits until
//! `down` ends it. Every command on the lab then [`enter`]s the holder's
//! user namespace and mount namespace first, and is root there: netlink,
//! nftables, sysctls, mounts of namespace files all work as with root, on
//! namespaces that the user namespace owns.
//!
//! Where the lab's files go is chosen once per process ([`set_paths`]): the
//! state directory base, the namespace files and the hosts files, all under
//! `$XDG_RUNTIME_DIR/nslab/` (see [`Paths`]).

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use nix::mount::{mount, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};

use crate::error::Error;

#[allow(unsafe_code)] // a fork (crate docs: `unsafe`)
mod clear;
mod subids;

pub use clear::remove_as_mapped;
pub use subids::{id_map, ranges, set_map, IdMap, Range};

/// Where a rootless lab keeps everything: `<base>/<lab>/` is its state
/// directory, `<base>/<lab>/netns/` its namespace files,
/// `<base>/<lab>/etc-netns/` its hosts files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `$XDG_RUNTIME_DIR/nslab`.
    pub base: PathBuf,
    /// The lab this process acts on.
    pub lab: String,
}

impl Paths {
    /// The lab's state directory.
    pub fn lab_dir(&self) -> PathBuf {
        self.base.join(&self.lab)
    }
}

static PATHS: OnceLock<Paths> = OnceLock::new();

/// Whether nslab works without root: `flag` (`--rootless`), else
/// `NSLAB_ROOTLESS` (`1`/`true`/`yes` or `0`/`false`/`no`), else when
/// this process is not root. The CLI and the library both ask this.
pub fn wanted(flag: bool) -> bool {
    match std::env::var("NSLAB_ROOTLESS").unwrap_or_default().as_str() {
        _ if flag => true,
        "1" | "true" | "yes" => true,
        "0" | "false" | "no" => false,
        _ => !crate::sandbox::is_root(),
    }
}

/// Chooses the rootless paths for this process (once: a second call with
/// other paths is an error, one with the same paths is not).
pub fn set_paths(p: Paths) -> Result<(), Error> {
    let set = PATHS.get_or_init(|| p.clone());
    if *set == p {
        Ok(())
    } else {
        Err(Error::Os {
            op: "choose the rootless paths",
            source: io::Error::other("they were chosen for another lab already"),
        })
    }
}

/// The rootless paths of this process, if it acts on a rootless lab.
pub fn paths() -> Option<&'static Paths> {
    PATHS.get()
}

/// The file the holder writes in the lab's directory.
pub const HOLDER_FILE: &str = "holder";

/// What the holder file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    pub pid: i32,
    /// Its start time (`/proc/PID/stat` field 22): a reused pid differs.
    pub start: u64,
    /// The inode of its user namespace: every process of the lab is in it.
    pub userns: u64,
}

impl Holder {
    /// `pid start userns`.
    pub fn parse(text: &str) -> Option<Holder> {
        let mut w = text.split_whitespace();
        let h = Holder {
            pid: w.next()?.parse().ok()?,
            start: w.next()?.parse().ok()?,
            userns: w.next()?.parse().ok()?,
        };
        w.next().is_none().then_some(h)
    }

    /// The line written to the holder file.
    pub fn line(&self) -> String {
        format!("{} {} {}\n", self.pid, self.start, self.userns)
    }

    /// Whether the holder is still the process that wrote the file.
    pub fn alive(&self) -> bool {
        crate::procs::stat(self.pid).is_some_and(|s| s.start == self.start && !s.is_dead())
    }
}

/// The inode of the user namespace of process `pid` (`self` for this one).
pub fn userns_of(pid: &str) -> Option<u64> {
    std::fs::metadata(format!("/proc/{pid}/ns/user"))
        .ok()
        .map(|m| m.ino())
}

/// How the holder's user namespace gets its map: the parent's answer to
/// [`become_holder`]'s question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapping {
    /// The holder writes the one-id map itself ([`IdMap::One`]).
    Own,
    /// The parent wrote it ([`set_map`], [`IdMap::Sub`]).
    Written,
}

/// Turns the calling (single-threaded) process into a lab's holder's
/// namespaces: a new user namespace, and a new mount namespace with every
/// mount private. Once the user namespace is made, `ask` is called: it
/// says (after the parent wrote it with `newuidmap`) whether the map is
/// written, or whether the holder writes the one-id map (the caller's uid
/// and gid as 0) itself. Returns what the holder file is to say.
pub fn become_holder(ask: impl FnOnce() -> Result<Mapping, Error>) -> Result<Holder, Error> {
    let uid = nix::unistd::getuid().as_raw();
    let gid = nix::unistd::getgid().as_raw();
    unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS).map_err(|e| Error::Os {
        op: "unshare a user namespace (are unprivileged user namespaces turned off? see docs/rootless.md)",
        source: e.into(),
    })?;
    if ask()? == Mapping::Own {
        write_one_id_map(uid, gid)?;
    }
    // A network namespace of the lab's own for nslab to work from (and
    // come back to between nodes): the machine's is not the user's to enter.
    unshare(CloneFlags::CLONE_NEWNET).map_err(|e| Error::Os {
        op: "unshare the holder's network namespace",
        source: e.into(),
    })?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| Error::Os {
        op: "make the holder's mounts private",
        source: e.into(),
    })?;
    let pid = i32::try_from(std::process::id()).map_err(|_| Error::Os {
        op: "read the holder's pid",
        source: io::Error::other("pid out of range"),
    })?;
    let start = crate::procs::start_time(pid).ok_or_else(|| Error::Os {
        op: "read the holder's start time",
        source: io::Error::from(io::ErrorKind::NotFound),
    })?;
    let userns = userns_of("self").ok_or_else(|| Error::Os {
        op: "read the holder's user namespace",
        source: io::Error::from(io::ErrorKind::NotFound),
    })?;
    Ok(Holder { pid, start, userns })
}

/// The one-id map, written by the process that unshared for itself.
fn write_one_id_map(uid: u32, gid: u32) -> Result<(), Error> {
    write_proc("/proc/self/setgroups", "deny")?;
    write_proc("/proc/self/uid_map", &format!("0 {uid} 1"))?;
    write_proc("/proc/self/gid_map", &format!("0 {gid} 1"))
}

fn write_proc(path: &str, text: &str) -> Result<(), Error> {
    let w = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    w.map_err(|e| Error::path("cannot write", Path::new(path), e))
}

/// The number of threads of this process.
fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

/// Moves this process into the holder's user namespace, then its network
/// and mount namespaces, and back to the working directory it had (by path; `/` when
/// that path is not there). Must run before any thread starts: the kernel
/// refuses `setns` into a user namespace to a multi-threaded process.
pub fn enter(h: &Holder) -> Result<(), Error> {
    let n = threads();
    if n != 1 {
        return Err(Error::Os {
            op: "enter the lab's user namespace",
            source: io::Error::other(format!("the process has {n} threads, not 1")),
        });
    }
    let open = |what: &str| {
        let p = PathBuf::from(format!("/proc/{}/ns/{what}", h.pid));
        File::open(&p).map_err(|e| Error::path("cannot open", &p, e))
    };
    let user = open("user")?;
    let net = open("net")?;
    let mnt = open("mnt")?;
    // Opened, then checked: a pid reused in between is not entered.
    if !h.alive() || userns_of(&h.pid.to_string()) != Some(h.userns) {
        return Err(Error::Os {
            op: "enter the lab's user namespace",
            source: io::Error::other(format!("its holder (pid {}) is gone", h.pid)),
        });
    }
    let cwd = std::env::current_dir().ok();
    setns(user.as_fd(), CloneFlags::CLONE_NEWUSER).map_err(|e| Error::Os {
        op: "setns into the lab's user namespace",
        source: e.into(),
    })?;
    setns(net.as_fd(), CloneFlags::CLONE_NEWNET).map_err(|e| Error::Os {
        op: "setns into the lab's network namespace",
        source: e.into(),
    })?;
    setns(mnt.as_fd(), CloneFlags::CLONE_NEWNS).map_err(|e| Error::Os {
        op: "setns into the lab's mount namespace",
        source: e.into(),
    })?;
    if cwd.is_none_or(|d| std::env::set_current_dir(d).is_err()) {
        let _ = std::env::set_current_dir("/");
    }
    Ok(())
}

/// Every live process (but this one) in the user namespace `userns`.
pub fn processes_in(userns: u64) -> Vec<crate::procs::Proc> {
    crate::procs::scan()
        .into_iter()
        .filter(|p| userns_of(&p.pid.to_string()) == Some(userns))
        .collect()
}

/// Kills every process (but this one) in the user namespace `userns`, the
/// holder among them, and waits for them to exit. Returns how many were
/// still alive after that.
pub fn kill_all_in(userns: u64) -> usize {
    let mut left = 0;
    // New ones may be forked while the first are killed: a few rounds.
    for _ in 0..5 {
        let targets: Vec<_> = processes_in(userns)
            .into_iter()
            .filter_map(|p| crate::procs::Handle::open(p.pid, p.stat.start))
            .collect();
        if targets.is_empty() {
            return 0;
        }
        for t in &targets {
            t.signal(libc::SIGKILL);
        }
        left = crate::procs::stop(&targets, std::time::Duration::from_millis(500));
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_lines_read_back_and_malformed_ones_do_not() {
        let h = Holder {
            pid: 42,
            start: 7,
            userns: 4026531837,
        };
        assert_eq!(Holder::parse(&h.line()), Some(h));
        for bad in ["", "42", "42 7", "42 7 x", "42 7 9 10", "-x 7 9"] {
            assert_eq!(Holder::parse(bad), None, "{bad:?}");
        }
    }
}
