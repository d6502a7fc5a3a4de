//! Which named namespaces exist under the netns directory, as
//! `ip netns list` shows them.

use std::io;

use super::{netns_dir, path_of};
use crate::error::Error;

/// Whether a file of that name is under [`netns_dir`] (what `ip netns list`
/// would show). An invalid name does not exist.
pub fn exists(name: &str) -> bool {
    path_of(name).is_ok_and(|p| p.symlink_metadata().is_ok())
}

/// The names under [`netns_dir`], sorted, as `ip netns list` shows them.
/// No directory means no namespaces. Names that are not UTF-8 are skipped.
pub fn list() -> Result<Vec<String>, Error> {
    list_with_prefix("")
}

/// The names under [`netns_dir`] that start with `prefix`, sorted: what
/// [`list`] gives, but only those names are made into strings (a lab's
/// among thousands of other namespaces).
pub fn list_with_prefix(prefix: &str) -> Result<Vec<String>, Error> {
    use std::os::unix::ffi::OsStrExt;
    let dir = netns_dir();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::path("cannot list", &dir, e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::path("cannot list", &dir, e))?;
        let name = entry.file_name();
        if !name.as_bytes().starts_with(prefix.as_bytes()) {
            continue;
        }
        if let Some(n) = name.to_str() {
            names.push(n.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Opens the namespace file at `path`, one nslab did not name (a CNI
/// runtime's `CNI_NETNS`, `/proc/PID/ns/net`): [`Error::NetnsNotFound`]
/// when there is no such file, [`Error::NotNetns`] when it holds no
/// namespace. [`super::open`] takes names only.
pub fn open_path(path: &std::path::Path) -> Result<std::os::fd::OwnedFd, Error> {
    use nix::fcntl::{open, OFlag};
    use nix::sys::stat::Mode;
    let fd = match open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(nix::errno::Errno::ENOENT) => {
            return Err(Error::NetnsNotFound {
                name: path.display().to_string(),
            })
        }
        Err(e) => return Err(Error::path("cannot open", path, e)),
    };
    super::check_nsfs(std::os::fd::AsFd::as_fd(&fd), path)?;
    Ok(fd)
}
