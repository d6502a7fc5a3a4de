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

use std::fs::{DirBuilder, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{check_component, Error};

/// How long [`StateDir::lock`] waits for another nslab.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

const LOCK_FILE: &str = "lock";

/// The base directory: `NSLAB_RUN_DIR` if set, else `/run/nslab`.
pub fn base_dir() -> PathBuf {
    std::env::var_os("NSLAB_RUN_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/nslab"))
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
    _file: File,
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
        let dir = base.join(lab);
        make_dir(&dir)?;
        Ok(StateDir {
            lab: lab.to_string(),
            dir,
        })
    }

    /// The labs that have a directory under [`base_dir`], sorted.
    pub fn list_labs() -> Result<Vec<String>, Error> {
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
    /// (a `/` in the node name becomes `_`).
    pub fn log_path(&self, node: &str, idx: usize) -> PathBuf {
        self.dir
            .join(format!("{}.{idx}.log", node.replace('/', "_")))
    }

    /// Takes the lab's lock, waiting up to [`LOCK_WAIT`].
    pub fn lock(&self) -> Result<LockGuard, Error> {
        self.lock_within(LOCK_WAIT)
    }

    /// Takes the lab's lock, waiting up to `wait`; [`Error::Locked`] after.
    pub fn lock_within(&self, wait: Duration) -> Result<LockGuard, Error> {
        let path = self.dir.join(LOCK_FILE);
        let start = Instant::now();
        loop {
            make_dir(&self.dir)?;
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .open(&path)
                .map_err(|e| Error::path("cannot open", &path, e))?;
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
            return Ok(LockGuard { _file: file });
        }
    }

    /// Replaces `file` in the directory with `bytes`, atomically.
    pub fn write_atomic(&self, file: &str, bytes: &[u8]) -> Result<(), Error> {
        check_component("state file", file)?;
        let target = self.dir.join(file);
        let tmp = self.dir.join(format!(".{file}.tmp.{}", std::process::id()));
        let written = (|| -> io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o644)
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

    /// The content of `file`, or `None` when there is no such file.
    pub fn read(&self, file: &str) -> Result<Option<Vec<u8>>, Error> {
        check_component("state file", file)?;
        let path = self.dir.join(file);
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::path("cannot read", &path, e)),
        }
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
        match std::fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::path("cannot remove", &self.dir, e)),
        }
    }
}

fn make_dir(dir: &Path) -> Result<(), Error> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .map_err(|e| Error::path("cannot create", dir, e))
}

fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn holder_pid(file: &mut File) -> Option<u32> {
    let mut s = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}
