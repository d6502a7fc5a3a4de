//! Removing what a lab made owned by subordinate ids when its holder is
//! gone: the user cannot remove such files outside a user namespace that
//! maps those ids, so a child makes a fresh one with the same map (set by
//! `newuidmap`/`newgidmap` from here) and removes them as its root.

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::sched::{unshare, CloneFlags};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, pipe, ForkResult};

use super::subids::{set_map, IdMap};
use crate::error::Error;

/// Removes each of `paths` (a directory with all it holds, or a file; one
/// that is not there is no error) as root of a fresh user namespace with
/// `map`, made by a child of this (single-threaded) process. With
/// [`IdMap::One`] they are removed as this process can.
pub fn remove_as_mapped(map: &IdMap, paths: &[PathBuf]) -> Result<(), Error> {
    if *map == IdMap::One {
        return paths
            .iter()
            .try_for_each(|p| remove(p).map_err(|e| Error::path("cannot remove", p, e)));
    }
    let n = super::threads();
    let op = "remove the lab's files owned by your subordinate ids";
    if n != 1 {
        return Err(Error::Os {
            op,
            source: io::Error::other(format!("the process has {n} threads, not 1")),
        });
    }
    let os = |e: nix::Error| Error::Os {
        op,
        source: e.into(),
    };
    let (up_r, up_w) = pipe().map_err(os)?;
    let (go_r, go_w) = pipe().map_err(os)?;
    // SAFETY: this process has one thread (checked above), so the child
    // starts from a consistent copy of it (no lock held by another
    // thread); it ends with `_exit`, running no destructor of the parent's.
    match unsafe { fork() }.map_err(os)? {
        ForkResult::Child => {
            drop((up_r, go_w));
            let code = child(up_w, go_r, paths);
            // SAFETY: `_exit` ends the forked child at once, as it must.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            drop((up_w, go_r));
            let mut up = std::fs::File::from(up_r);
            let mut b = [0u8; 1];
            let ready = up.read(&mut b).is_ok_and(|n| n == 1);
            let mapped = if ready {
                set_map(child.as_raw(), map)
            } else {
                Err(Error::Os {
                    op,
                    source: io::Error::other("the child made no user namespace"),
                })
            };
            let mut go = std::fs::File::from(go_w);
            if mapped.is_ok() {
                let _ = go.write_all(b"g");
            }
            drop(go);
            let status = waitpid(child, None).map_err(os)?;
            mapped?;
            match status {
                WaitStatus::Exited(_, 0) => Ok(()),
                s => Err(Error::Os {
                    op,
                    source: io::Error::other(format!(
                        "as root of a user namespace with your subordinate ids, not all of {} could be removed ({s:?})",
                        paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
                    )),
                }),
            }
        }
    }
}

/// The forked child: a user namespace of its own, mapped by the parent,
/// then each path removed. Its exit status.
fn child(up: OwnedFd, go: OwnedFd, paths: &[PathBuf]) -> i32 {
    if unshare(CloneFlags::CLONE_NEWUSER).is_err() {
        return 3;
    }
    if std::fs::File::from(up).write_all(b"u").is_err() {
        return 3;
    }
    let mut b = [0u8; 1];
    if !std::fs::File::from(go).read(&mut b).is_ok_and(|n| n == 1) {
        return 3;
    }
    if paths.iter().all(|p| remove(p).is_ok()) {
        0
    } else {
        1
    }
}

fn remove(p: &Path) -> io::Result<()> {
    let r = match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
        Ok(_) => std::fs::remove_file(p),
        Err(e) => Err(e),
    };
    match r {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}
