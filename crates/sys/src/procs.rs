//! Processes as `/proc` shows them, identified beyond their pid.
//!
//! A pid alone names a process only while it lives: once it exits the number
//! may go to an unrelated process. So a process is named by its pid **and**
//! its start time (field 22 of `/proc/PID/stat`, in clock ticks since boot),
//! and is signalled only through a pidfd ([`Handle`]) opened while the start
//! time still matched — a pidfd keeps referring to the process it was
//! opened for, so nothing else can receive the signal.
//!
//! nslab marks the processes it starts with two environment variables,
//! [`LAB_VAR`] and [`NODE_VAR`], which children inherit. Together with the
//! network namespace a process lives in (`/proc/PID/ns/net`, compared by
//! device and inode with the lab's namespaces, see [`NsId`]) that finds a
//! lab's processes when its record is lost or a namespace lost its name.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

/// Environment variable naming the lab of a process nslab started.
pub const LAB_VAR: &str = "NSLAB_LAB";
/// Environment variable naming the node of a process nslab started.
pub const NODE_VAR: &str = "NSLAB_NODE";

/// A namespace's identity: the device and inode of its nsfs file, the same
/// for `/proc/PID/ns/net` and for a bind mount under `/run/netns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NsId {
    pub dev: u64,
    pub ino: u64,
}

/// The identity of the namespace open at `fd`.
pub fn ns_id(fd: BorrowedFd<'_>) -> io::Result<NsId> {
    // Through /proc/self/fd so `std` does the fstat.
    let m = std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))?;
    Ok(NsId {
        dev: m.dev(),
        ino: m.ino(),
    })
}

/// The network namespace process `pid` lives in (its main thread's).
pub fn ns_of(pid: i32) -> Option<NsId> {
    let m = std::fs::metadata(format!("/proc/{pid}/ns/net")).ok()?;
    Some(NsId {
        dev: m.dev(),
        ino: m.ino(),
    })
}

/// What `/proc/PID/stat` says about a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// `R`, `S`, `Z` (exited, not reaped), …
    pub state: char,
    pub pgrp: i32,
    pub session: i32,
    /// Start time in clock ticks after boot (field 22).
    pub start: u64,
}

impl Stat {
    /// Exited (a zombie waiting for its parent, or being reaped).
    pub fn is_dead(&self) -> bool {
        matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// Parses `pid (comm) S ppid pgrp session tty tpgid flags minflt cminflt
/// majflt cmajflt utime stime cutime cstime priority nice threads
/// itrealvalue starttime ...`; `comm` may hold spaces and parentheses, so
/// the fields are counted after the last `)`.
pub fn parse_stat(stat: &str) -> Option<Stat> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state), so field N is f[N - 3].
    Some(Stat {
        state: f.first()?.chars().next()?,
        pgrp: f.get(2)?.parse().ok()?,
        session: f.get(3)?.parse().ok()?,
        start: f.get(19)?.parse().ok()?,
    })
}

/// `/proc/PID/stat` of a process, if it exists.
pub fn stat(pid: i32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The start time of process `pid` (field 22 of its stat), if it exists.
pub fn start_time(pid: i32) -> Option<u64> {
    stat(pid).map(|s| s.start)
}

/// nslab's mark on process `pid`: (lab, node) from its environment.
pub fn mark_of(pid: i32) -> Option<(String, String)> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    mark_in(&env)
}

/// The mark in the bytes of a `/proc/PID/environ`.
pub fn mark_in(environ: &[u8]) -> Option<(String, String)> {
    let mut lab = None;
    let mut node = None;
    for var in environ.split(|b| *b == 0) {
        let var = String::from_utf8_lossy(var);
        if let Some(v) = var.strip_prefix(LAB_VAR).and_then(|r| r.strip_prefix('=')) {
            lab = Some(v.to_string());
        } else if let Some(v) = var.strip_prefix(NODE_VAR).and_then(|r| r.strip_prefix('=')) {
            node = Some(v.to_string());
        }
    }
    Some((lab?, node.unwrap_or_default()))
}

/// One live process seen in `/proc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pub pid: i32,
    pub stat: Stat,
    /// Its network namespace (`None` if it could not be read).
    pub ns: Option<NsId>,
    /// nslab's mark: (lab, node).
    pub mark: Option<(String, String)>,
}

/// Every live (not exited) process in `/proc` but the caller.
pub fn scan() -> Vec<Proc> {
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        if u32::try_from(pid).is_ok_and(|p| p == me) {
            continue;
        }
        let Some(st) = stat(pid) else { continue };
        if st.is_dead() {
            continue;
        }
        out.push(Proc {
            pid,
            stat: st,
            ns: ns_of(pid),
            mark: mark_of(pid),
        });
    }
    out
}

/// A process pinned by a pidfd: signals reach it or nothing.
#[derive(Debug)]
pub struct Handle {
    pub pid: i32,
    pub start: u64,
    fd: OwnedFd,
}

impl Handle {
    /// Opens a pidfd on `pid` if it is alive and started at `start`. The
    /// start time is read after the pidfd is open, so a pid reused in
    /// between is seen as a mismatch.
    pub fn open(pid: i32, start: u64) -> Option<Handle> {
        if pid <= 1 || u32::try_from(pid).is_ok_and(|p| p == std::process::id()) {
            return None;
        }
        // SAFETY: pidfd_open(2) takes a pid and flags and returns a new fd
        // or -1; no memory is passed.
        let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let raw = i32::try_from(raw).ok().filter(|r| *r >= 0)?;
        // SAFETY: `raw` is a fresh fd returned by the kernel that nothing
        // else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let st = stat(pid)?;
        (st.start == start && !st.is_dead()).then_some(Handle { pid, start, fd })
    }

    /// Sends `sig` to the pinned process; `false` if it has exited.
    pub fn signal(&self, sig: i32) -> bool {
        // SAFETY: pidfd_send_signal(2) on an fd we own, with no siginfo
        // (NULL) and no flags.
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                sig,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        r == 0
    }

    /// Whether the process has exited (a pidfd polls readable then).
    pub fn exited(&self) -> bool {
        let mut p = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll(2) on one pollfd that lives across the call, no wait.
        let n = unsafe { libc::poll(&mut p, 1, 0) };
        n != 0
    }
}

/// Stops the processes: `SIGTERM` to each (and `SIGCONT`, so a frozen
/// one runs to receive it), up to `grace` for all to exit, then `SIGKILL`
/// to those left and up to a second more. Returns how many are still
/// alive (0 when all went).
pub fn stop(targets: &[Handle], grace: Duration) -> usize {
    for h in targets {
        h.signal(libc::SIGTERM);
        h.signal(libc::SIGCONT);
    }
    if wait_exited(targets, grace) == 0 {
        return 0;
    }
    for h in targets.iter().filter(|h| !h.exited()) {
        h.signal(libc::SIGKILL);
    }
    wait_exited(targets, Duration::from_secs(1))
}

fn wait_exited(targets: &[Handle], within: Duration) -> usize {
    let deadline = Instant::now() + within;
    loop {
        let left = targets.iter().filter(|h| !h.exited()).count();
        if left == 0 || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Identities of every namespace named under the namespace directory
/// (`/run/netns`), by name.
pub fn named_namespaces() -> Vec<(String, NsId)> {
    let mut out = Vec::new();
    for name in crate::netns::list().unwrap_or_default() {
        let Ok(path) = crate::netns::path(&name) else {
            continue;
        };
        // A leftover file with no namespace mounted is a plain tmpfs file.
        let Ok(f) = File::open(&path) else { continue };
        if let Ok(id) = ns_id(std::os::fd::AsFd::as_fd(&f)) {
            out.push((name, id));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_last_parenthesis() {
        let s = "42 (a) b) c) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(
            parse_stat(s),
            Some(Stat {
                state: 'S',
                pgrp: 42,
                session: 42,
                start: 987654
            })
        );
        assert_eq!(parse_stat("42 (x) S 1"), None);
        assert_eq!(parse_stat(""), None);
    }

    #[test]
    fn the_mark_is_read_from_the_environment() {
        assert_eq!(
            mark_in(b"PATH=/bin\0NSLAB_LAB=demo\0NSLAB_NODE=h1\0"),
            Some(("demo".into(), "h1".into()))
        );
        assert_eq!(mark_in(b"NSLAB_LABX=demo\0"), None);
        assert_eq!(mark_in(b""), None);
    }

    #[test]
    fn a_marked_process_is_found_by_its_namespace_and_mark() {
        if !crate::sandbox::enter(
            "procs::tests::a_marked_process_is_found_by_its_namespace_and_mark",
        ) {
            return;
        }
        let ns = crate::netns::create("p1").unwrap();
        let id = ns_id(std::os::fd::AsFd::as_fd(&ns)).unwrap();
        assert_eq!(named_namespaces(), vec![("p1".to_string(), id)]);
        let argv: Vec<std::ffi::OsString> = ["sleep", "30"].iter().map(Into::into).collect();
        let log = std::path::Path::new("/run/nslab/p/p1.log");
        let mut child = crate::exec::spawn_in(std::os::fd::AsFd::as_fd(&ns), &argv, log)
            .unwrap()
            .env(LAB_VAR, "lab")
            .env(NODE_VAR, "p1")
            .spawn()
            .unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let found: Vec<Proc> = scan().into_iter().filter(|p| p.pid == pid).collect();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].ns, Some(id));
        assert_eq!(found[0].mark, Some(("lab".into(), "p1".into())));
        assert_eq!(found[0].stat.session, pid);
        assert_ne!(ns_of(1), Some(id));
        // Deleting the name leaves the process in a namespace with none.
        drop(ns);
        crate::netns::delete("p1").unwrap();
        assert!(named_namespaces().is_empty());
        assert_eq!(ns_of(pid), Some(id));
        let h = Handle::open(pid, found[0].stat.start).unwrap();
        assert_eq!(stop(&[h], Duration::from_secs(2)), 0);
        let _ = child.wait();
    }

    #[test]
    fn a_handle_needs_the_right_start_time_and_signals_only_its_process() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let start = start_time(pid).unwrap();
        assert!(Handle::open(pid, start + 1).is_none());
        assert!(Handle::open(1, 0).is_none());
        let h = Handle::open(pid, start).unwrap();
        assert!(!h.exited());
        assert_eq!(stop(std::slice::from_ref(&h), Duration::from_secs(2)), 0);
        assert!(h.exited());
        let _ = child.wait();
        assert!(!h.signal(0) || h.exited());
    }
}
