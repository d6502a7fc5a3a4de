//! Long-running processes in a namespace, each leading a process group of
//! its own so the whole tree can be stopped.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::os::fd::BorrowedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::{getpgrp, Pid};

use crate::Error;

/// A command that runs `argv` in the namespace `ns`, as the leader of a new
/// session and process group (`setsid`), with stdin from `/dev/null` and
/// stdout and stderr appended to `log` (created, with its directory, if
/// missing).
///
/// Unlike [`super::command_in`] it keeps the caller's mount namespace and
/// `/sys`: services need no `ip netns exec` view ([`join_node`] adds the
/// node's host name and `/etc/netns` files). It returns the
/// `Command` rather than a started child so the caller may still change it
/// (for example pipe stdout to wait for a readiness line); the child's pid
/// is its process-group id, for [`kill_group`].
pub fn spawn_in(ns: BorrowedFd<'_>, argv: &[OsString], log: &Path) -> Result<Command, Error> {
    let (program, args) = argv.split_first().ok_or(Error::EmptyCommand)?;
    if let Some(dir) = log.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::path("cannot create", dir, e))?;
    }
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o644)
        .open(log)
        .map_err(|e| Error::path("cannot open log", log, e))?;
    let err = out
        .try_clone()
        .map_err(|e| Error::path("cannot open log", log, e))?;
    // Our own copy (close-on-exec), owned by the hook.
    let ns = ns
        .try_clone_to_owned()
        .map_err(|e| Error::os("cannot duplicate the namespace fd", e))?;
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null()).stdout(out).stderr(err);
    // SAFETY: the hook runs between fork and exec and only makes the
    // setns and setsid system calls (through nix) on an fd it owns; errors
    // are raw OS codes, nothing is allocated.
    unsafe {
        cmd.pre_exec(move || {
            nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET)?;
            nix::unistd::setsid()?;
            Ok(())
        });
    }
    Ok(cmd)
}

/// Adds to `cmd` what a node's processes see besides its network (and its
/// `env:`, and its private directories bound over their paths, see
/// [`crate::nodefs`]): the UTS
/// namespace (the host name) the lab keeps for the network namespace
/// `netns`, if any (see [`crate::uts`]), and, when `/etc/netns/<netns>/`
/// has files, a mount namespace of its own with each bound over the same
/// name in `/etc` (as `ip netns exec` does; a failed bind is a warning).
pub fn join_node(cmd: &mut Command, netns: &str) {
    let uts = crate::uts::find(netns);
    let etc = super::ipnetns::etc_binds(&crate::etc_netns::dir().join(netns), Path::new("/etc"));
    let dirs = super::ipnetns::dir_binds(netns);
    if let Some(view) = crate::nodefs::find_view(netns) {
        cmd.envs(view.env);
    }
    if uts.is_none() && etc.is_empty() && dirs.is_empty() {
        return;
    }
    // SAFETY: the hook runs between fork and exec and only makes the setns,
    // unshare and mount system calls (through nix, C strings prepared
    // before the fork) and writes a prepared message; nothing is allocated.
    unsafe {
        cmd.pre_exec(move || {
            if let Some(uts) = &uts {
                nix::sched::setns(uts, nix::sched::CloneFlags::CLONE_NEWUTS)?;
            }
            if etc.is_empty() && dirs.is_empty() {
                return Ok(());
            }
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)?;
            nix::mount::mount(
                Some(c""),
                c"/",
                Some(c"none"),
                nix::mount::MsFlags::MS_SLAVE | nix::mount::MsFlags::MS_REC,
                None::<&std::ffi::CStr>,
            )?;
            for b in &etc {
                let bound = nix::mount::mount(
                    Some(b.source.as_c_str()),
                    b.target.as_c_str(),
                    Some(c"none"),
                    nix::mount::MsFlags::MS_BIND,
                    None::<&std::ffi::CStr>,
                );
                if bound.is_err() {
                    super::ipnetns::say(&b.warning);
                }
            }
            super::ipnetns::bind_dirs(&dirs)
        });
    }
}

/// Stops the process group `pgid`: `SIGTERM` to the group, up to `grace`
/// for it to go, then `SIGKILL`. Returns `true` when no live member is left
/// (zombies awaiting their parent do not count).
///
/// A process-group id is a pid: once the group is gone the number may name
/// someone else's group. Call this only for a group whose leader was just
/// verified (pid and start time, see [`crate::procs::Handle`]); nslab's
/// services are stopped through [`crate::procs::stop`] instead.
///
/// Refuses (returns `false`, sends nothing) for `pgid <= 1` — `kill(0)` and
/// `kill(-1)` would hit our own group or every process — and for our own
/// process group.
pub fn kill_group(pgid: i32, grace: Duration) -> bool {
    if pgid <= 1 || pgid == getpgrp().as_raw() {
        return false;
    }
    let group = Pid::from_raw(pgid);
    if killpg(group, Signal::SIGTERM) == Err(Errno::ESRCH) {
        return true;
    }
    if wait_gone(pgid, grace) {
        return true;
    }
    let _ = killpg(group, Signal::SIGKILL);
    wait_gone(pgid, Duration::from_secs(1))
}

fn wait_gone(pgid: i32, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if !group_alive(pgid) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether a process of the group exists that is not a zombie. `kill(-g, 0)`
/// alone counts unreaped zombies, so look at `/proc` when it says yes.
pub(crate) fn group_alive(pgid: i32) -> bool {
    if killpg(Pid::from_raw(pgid), None) == Err(Errno::ESRCH) {
        return false;
    }
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return true;
    };
    procs.flatten().any(|p| {
        let is_pid = p
            .file_name()
            .to_str()
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        is_pid
            && std::fs::read_to_string(p.path().join("stat"))
                .ok()
                .and_then(|s| parse_stat(&s))
                .is_some_and(|(state, pgrp)| pgrp == pgid && state != 'Z' && state != 'X')
    })
}

/// State and process group from `/proc/PID/stat`: `pid (comm) S ppid pgrp ...`;
/// `comm` may hold spaces and parentheses, so parse after the last `)`.
fn parse_stat(stat: &str) -> Option<(char, i32)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_is_parsed_after_the_command_name() {
        assert_eq!(parse_stat("42 (a) b) S 1 42 42 0"), Some(('S', 42)));
        assert_eq!(parse_stat("7 (sh) Z 1 5 5"), Some(('Z', 5)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn our_own_group_and_the_special_ids_are_never_signalled() {
        assert!(!kill_group(0, Duration::ZERO));
        assert!(!kill_group(1, Duration::ZERO));
        assert!(!kill_group(-5, Duration::ZERO));
        assert!(!kill_group(getpgrp().as_raw(), Duration::ZERO));
    }

    #[test]
    fn a_group_that_ignores_sigterm_is_killed_after_the_grace() {
        let here = crate::netns::current().unwrap();
        let log = std::env::temp_dir().join(format!("nslab-group-test-{}.log", std::process::id()));
        let argv: Vec<OsString> = ["sh", "-c", "trap '' TERM; sleep 30 & sleep 30 & wait"]
            .iter()
            .map(OsString::from)
            .collect();
        let mut child = spawn_in(std::os::fd::AsFd::as_fd(&here), &argv, &log)
            .unwrap()
            .spawn()
            .unwrap();
        let pgid = i32::try_from(child.id()).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert!(group_alive(pgid));
        let start = Instant::now();
        assert!(kill_group(pgid, Duration::from_millis(300)));
        assert!(start.elapsed() >= Duration::from_millis(300));
        assert!(!group_alive(pgid));
        let _ = child.wait();
        std::fs::remove_file(&log).unwrap();
    }
}
