//! What the state directory trusts: directories made and checked (no
//! links, owner, mode), files that are regular, and the lock holder's pid.

use std::fs::{DirBuilder, File};
use std::io::{self, Read, Seek};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt};
use std::path::Path;

use crate::error::Error;

/// Creates the base directory (with its parents) if needed, then checks it.
pub(super) fn make_dirs(dir: &Path) -> Result<(), Error> {
    if std::fs::symlink_metadata(dir).is_err() {
        DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .map_err(|e| Error::path("cannot create", dir, e))?;
    }
    check_dir(dir)
}

/// Creates a lab's directory (not its parents) if needed, then checks it.
pub(super) fn make_dir(dir: &Path) -> Result<(), Error> {
    match DirBuilder::new().mode(0o755).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(Error::path("cannot create", dir, e)),
    }
    check_dir(dir)
}

fn refuse(dir: &Path, why: String) -> Error {
    Error::path("refusing to use", dir, io::Error::other(why))
}

/// A real directory (not a link to one), owned by the user running nslab,
/// writable by no one else.
pub(super) fn check_dir(dir: &Path) -> Result<(), Error> {
    let m = std::fs::symlink_metadata(dir).map_err(|e| Error::path("cannot look at", dir, e))?;
    let t = m.file_type();
    if t.is_symlink() {
        return Err(refuse(
            dir,
            "it is a symbolic link, and nslab follows none in its state directory; remove it"
                .into(),
        ));
    }
    if !t.is_dir() {
        return Err(refuse(dir, "it is not a directory; remove it".into()));
    }
    // Root's, or (for a base of one's own, `NSLAB_RUN_DIR`) the user's who
    // runs nslab: anyone may read a lab root brought up.
    let me = nix::unistd::geteuid().as_raw();
    if m.uid() != 0 && m.uid() != me {
        return Err(refuse(
            dir,
            format!(
                "it is owned by uid {}, neither root nor uid {me} who runs nslab; remove it",
                m.uid()
            ),
        ));
    }
    if m.mode() & 0o022 != 0 {
        return Err(refuse(
            dir,
            format!(
                "group or others may write to it (mode {:o}); `chmod go-w` it",
                m.mode() & 0o7777
            ),
        ));
    }
    Ok(())
}

/// The error of an `O_NOFOLLOW` open: a link says so.
pub(super) fn open_error(op: &'static str, path: &Path, e: io::Error) -> Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        refuse(
            path,
            "it is a symbolic link, and nslab follows none in its state directory; remove it"
                .into(),
        )
    } else {
        Error::path(op, path, e)
    }
}

/// Only regular files are state (not a fifo, device or directory).
pub(super) fn regular(f: &File, path: &Path) -> Result<(), Error> {
    let m = f
        .metadata()
        .map_err(|e| Error::path("cannot look at", path, e))?;
    let t = m.file_type();
    if t.is_file() {
        return Ok(());
    }
    let what = if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a fifo"
    } else {
        "not a regular file"
    };
    Err(refuse(path, format!("it is {what}; remove it")))
}

pub(super) fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

pub(super) fn holder_pid(file: &mut File) -> Option<u32> {
    let mut s = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}
