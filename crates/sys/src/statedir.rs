//! A lab's state directory, `/run/nslab/<lab>/`.
//!
//! It is in `/run` because the kernel state it describes does not outlive
//! a reboot. The base `/run/nslab` can be overridden with the environment
//! variable `NSLAB_RUN_DIR` (for tests).
//!
//! - [`StateDir::lock`] takes an exclusive `flock` on `<dir>/lock` so two
//!   nslab processes never change one lab at the same time. It waits up to
//!   [`LOCK_WAIT`] for the other process (an `up` of a big lab takes a few
//!   seconds) and then fails with [`Error::Locked`], naming the holder's
//!   pid, rather than hanging without a word. The lock goes with the
//!   process, so a killed nslab never leaves a stale lock.
//! - [`StateDir::write_atomic`] writes a temporary file, fsyncs it and
//!   renames it over the target: a reader sees the old or the new content,
//!   never half of it.
//!
//! Nothing in the directory is followed if it is a symbolic link: files are
//! opened with `O_NOFOLLOW` (a link is an error naming it), temporary files
//! are created exclusively, renames replace a link rather than write through
//! it. The base and the lab's directory must be real directories owned by
//! root (or the user running nslab) and writable by no one else, so no one
//! else can plant anything in them. [`StateDir::find`] looks a lab up
//! without creating anything: only `up` makes a lab's directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{check_component, Error};

mod checks;
use checks::{check_dir, holder_pid, make_dir, make_dirs, open_error, regular, same_file};

/// How long [`StateDir::lock`] waits for another nslab.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

const LOCK_FILE: &str = "lock";

/// The base directory: `$XDG_RUNTIME_DIR/nslab` for a lab without root
/// (see [`crate::userns::paths`]), else `NSLAB_RUN_DIR` if set, else
/// `/run/nslab`.
pub fn base_dir() -> PathBuf {
    if let Some(p) = crate::userns::paths() {
        return p.base.clone();
    }
    std::env::var_os("NSLAB_RUN_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/nslab"))
}

/// A node's private directory `path` (`dirs:`), as a container's volume
/// source: `<run dir>/<lab>/fs/<node>/<path without its leading />`.
pub fn node_dir(lab: &str, node: &str, path: &str) -> PathBuf {
    base_dir()
        .join(lab)
        .join("fs")
        .join(node)
        .join(path.trim_start_matches('/'))
}

/// The state directory of one lab.
#[derive(Debug, Clone)]
pub struct StateDir {
    lab: String,
    dir: PathBuf,
}

/// Holds a lab's lock; dropping it releases the lock.
#[derive(Debug)]
pub struct LockGuard {
    file: Option<File>,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Closing the file releases the lock.
        drop(self.file.take());
        test_delay::pause();
    }
}

/// For tests of races only, in debug builds only: with
/// `NSLAB_TEST_LOCK_DELAY_MS=N` in the environment, a lab's lock is held
/// N ms longer once taken, and N ms pass before it is taken and after it
/// is released, so that another command started meanwhile runs in any
/// gap a command leaves between two looks at a lab. A release build
/// ignores the variable.
mod test_delay {
    #[cfg(debug_assertions)]
    pub(super) fn pause() {
        let ms = std::env::var("NSLAB_TEST_LOCK_DELAY_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(ms) = ms {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }

    #[cfg(not(debug_assertions))]
    pub(super) fn pause() {}
}

impl StateDir {
    /// Opens (creating it, mode 0755, with its parents) the directory of
    /// `lab` under [`base_dir`].
    pub fn open(lab: &str) -> Result<StateDir, Error> {
        StateDir::open_in(&base_dir(), lab)
    }

    /// [`StateDir::open`] under another base directory.
    pub fn open_in(base: &Path, lab: &str) -> Result<StateDir, Error> {
        check_component("lab", lab)?;
        make_dirs(base)?;
        let dir = base.join(lab);
        make_dir(&dir)?;
        Ok(StateDir {
            lab: lab.to_string(),
            dir,
        })
    }

    /// The directory of `lab` if it exists, else `None`; never creates
    /// anything (for commands that only look at a lab).
    pub fn find(lab: &str) -> Result<Option<StateDir>, Error> {
        StateDir::find_in(&base_dir(), lab)
    }

    /// [`StateDir::find`] under another base directory.
    pub fn find_in(base: &Path, lab: &str) -> Result<Option<StateDir>, Error> {
        check_component("lab", lab)?;
        let dir = base.join(lab);
        for d in [base, dir.as_path()] {
            match std::fs::symlink_metadata(d) {
                Ok(_) => check_dir(d)?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(Error::path("cannot look at", d, e)),
            }
        }
        Ok(Some(StateDir {
            lab: lab.to_string(),
            dir,
        }))
    }

    /// The labs that have a directory under [`base_dir`], sorted (a
    /// process that entered a lab without root: that lab alone).
    pub fn list_labs() -> Result<Vec<String>, Error> {
        if let Some(p) = crate::userns::paths() {
            let mut labs = StateDir::list_labs_in(&p.base)?;
            labs.retain(|l| *l == p.lab);
            return Ok(labs);
        }
        StateDir::list_labs_in(&base_dir())
    }

    /// [`StateDir::list_labs`] under another base directory.
    pub fn list_labs_in(base: &Path) -> Result<Vec<String>, Error> {
        let entries = match std::fs::read_dir(base) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::path("cannot list", base, e)),
        };
        let mut labs: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            // `.uts` (see `crate::uts`) and the like: no lab name starts
            // with a dot.
            .filter(|n| !n.starts_with('.'))
            .collect();
        labs.sort();
        Ok(labs)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The lab's name.
    pub fn lab(&self) -> &str {
        &self.lab
    }

    /// The log file of process number `idx` of `node`: `<dir>/<node>.<idx>.log`
    /// (a `/` in the node name becomes `_`). Whatever is at that path and
    /// is not a regular file (a planted symbolic link) is removed, so the
    /// log is never written through it.
    pub fn log_path(&self, node: &str, idx: usize) -> PathBuf {
        let path = self
            .dir
            .join(format!("{}.{idx}.log", node.replace('/', "_")));
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.file_type().is_file()) {
            let _ = std::fs::remove_file(&path);
        }
        path
    }

    /// Takes the lab's lock, waiting up to [`LOCK_WAIT`]; makes the
    /// directory again if a `down` removed it meanwhile (for `up`, which
    /// makes a lab).
    pub fn lock(&self) -> Result<LockGuard, Error> {
        self.lock_within(LOCK_WAIT)
    }

    /// Takes the lab's lock, waiting up to `wait`; [`Error::Locked`] after.
    /// Makes the directory again if it went away (see [`StateDir::lock`]).
    pub fn lock_within(&self, wait: Duration) -> Result<LockGuard, Error> {
        // One that makes its directory is always taken (or an error).
        self.lock_inner(wait, true)?.ok_or_else(|| {
            Error::path(
                "cannot lock",
                &self.dir,
                io::Error::from(io::ErrorKind::NotFound),
            )
        })
    }

    /// Takes the lab's lock, waiting up to [`LOCK_WAIT`], for a command
    /// that changes a lab only while it is up (`down`, `heal`, a fault):
    /// `None` when the directory is gone (a `down` removed it while this
    /// one waited). Nothing is created then.
    pub fn lock_existing(&self) -> Result<Option<LockGuard>, Error> {
        self.lock_inner(LOCK_WAIT, false)
    }

    fn lock_inner(&self, wait: Duration, make: bool) -> Result<Option<LockGuard>, Error> {
        let path = self.dir.join(LOCK_FILE);
        let start = Instant::now();
        test_delay::pause();
        loop {
            if make {
                make_dir(&self.dir)?;
            } else {
                match std::fs::symlink_metadata(&self.dir) {
                    Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                    _ => check_dir(&self.dir)?,
                }
            }
            let mut options = OpenOptions::new();
            options
                .read(true)
                .write(true)
                .truncate(false)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
            // The lock file is made in the lab's directory only: a
            // directory that went away is not made again here.
            options.create(true);
            let mut file = match options.open(&path) {
                Ok(f) => f,
                Err(e) if !make && e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(open_error("cannot open", &path, e)),
            };
            regular(&file, &path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    if start.elapsed() >= wait {
                        return Err(Error::Locked {
                            lab: self.lab.clone(),
                            holder: holder_pid(&mut file),
                            waited: wait,
                        });
                    }
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
                Err(TryLockError::Error(e)) => return Err(Error::path("cannot lock", &path, e)),
            }
            // The holder may have removed the directory (a finished `down`)
            // while we waited: then our lock is on a deleted file. Lock the
            // file that is there now instead.
            if !same_file(&file, &path) {
                continue;
            }
            // Tell whoever waits for us who we are.
            let _ = file.set_len(0);
            let _ = file.write_all(format!("{}\n", std::process::id()).as_bytes());
            test_delay::pause();
            return Ok(Some(LockGuard { file: Some(file) }));
        }
    }

    /// Replaces `file` in the directory with `bytes`, atomically.
    pub fn write_atomic(&self, file: &str, bytes: &[u8]) -> Result<(), Error> {
        check_component("state file", file)?;
        let target = self.dir.join(file);
        let tmp = self.dir.join(format!(".{file}.tmp.{}", std::process::id()));
        let written = (|| -> io::Result<()> {
            // Whatever is at the temporary name (a planted link) goes; the
            // file is then made anew, never opened through a link.
            match std::fs::remove_file(&tmp) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &target)?;
            // Make the rename itself durable.
            File::open(&self.dir)?.sync_all()
        })();
        written.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::path("cannot write", &target, e)
        })
    }

    /// The content of `file`, or `None` when there is no such file. A
    /// symbolic link or anything else that is not a regular file is an
    /// error naming it.
    pub fn read(&self, file: &str) -> Result<Option<Vec<u8>>, Error> {
        check_component("state file", file)?;
        let path = self.dir.join(file);
        let mut f = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(open_error("cannot read", &path, e)),
        };
        regular(&f, &path)?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)
            .map_err(|e| Error::path("cannot read", &path, e))?;
        Ok(Some(bytes))
    }

    /// Renames `file` to `<file>.corrupt-<seconds since 1970>` (a link is
    /// renamed, not followed) and returns the new path; `None` when there
    /// is no such file.
    pub fn set_aside(&self, file: &str) -> Result<Option<PathBuf>, Error> {
        check_component("state file", file)?;
        let path = self.dir.join(file);
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut to = self.dir.join(format!("{file}.corrupt-{secs}"));
        let mut n = 1;
        while std::fs::symlink_metadata(&to).is_ok() {
            to = self.dir.join(format!("{file}.corrupt-{secs}.{n}"));
            n += 1;
        }
        std::fs::rename(&path, &to).map_err(|e| Error::path("cannot set aside", &path, e))?;
        Ok(Some(to))
    }

    /// Removes the directory and everything in it (logs, lock). Removing a
    /// directory that is already gone succeeds.
    ///
    /// Call it while still holding the [`LockGuard`] and drop the guard
    /// after: a process waiting in [`StateDir::lock`] then notices the
    /// directory went away and re-creates it. Removing after releasing lets
    /// a waiter take the lock on the old directory first and lose its
    /// writes.
    pub fn remove(self) -> Result<(), Error> {
        // A rootless lab's `netns/` is a mount point in its holder's mount
        // namespace (made shared for the namespace files): unmount it first.
        if crate::userns::paths().is_some() {
            let _ = nix::mount::umount2(&self.dir.join("netns"), nix::mount::MntFlags::MNT_DETACH);
        }
        match std::fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::path("cannot remove", &self.dir, e)),
        }
    }
}
