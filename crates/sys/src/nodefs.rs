//! A node's private directories and files, and what its processes see
//! (`dirs:`, `files:`, `env:` of the topology file).
//!
//! Each directory is backed by `/run/nslab/<lab>/fs/<node>/<path>`
//! ([`node_dir`]): one layout for nslab's own processes (bound over the
//! path in their mount namespace, see [`crate::exec`]) and for Podman's
//! `-v`. What a node's processes get is kept per namespace in a *view*,
//! `/run/nslab/<lab>/fs/.views/<netns>` ([`write_view`], [`find_view`]),
//! so every way into a node (`exec`, `shell`, `run:`, `serve:`) finds it
//! by the namespace's name, as [`crate::uts::find`] finds the host name.
//!
//! A mount point missing on the machine (`/data`) is made empty by
//! [`ensure_mount_point`], recorded in `/run/nslab/<lab>/fs/.made`
//! **before** it is made, and removed by [`remove`] (only if still empty),
//! also after a killed `up`.
//!
//! Files are written without following a symbolic link a node's process
//! may have planted in its directory: every directory on the way is
//! checked to be a real directory, the file is made under a temporary
//! name (`O_EXCL | O_NOFOLLOW`), owned and moded through its descriptor,
//! and renamed over the target (which replaces a link, never writes
//! through it).

use std::collections::BTreeMap;
use std::io::{self, Write as _};
use std::os::fd::AsFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{check_component, Error};

const VIEWS: &str = ".views";
const MADE: &str = ".made";

/// `/run/nslab/<lab>/fs`.
pub fn fs_root(lab: &str) -> Result<PathBuf, Error> {
    check_component("lab", lab)?;
    Ok(crate::statedir::base_dir().join(lab).join("fs"))
}

/// Where the node's directory (or file) `path` (absolute) is kept:
/// `/run/nslab/<lab>/fs/<node>/<path without its leading />`.
pub fn node_dir(lab: &str, node: &str, path: &str) -> Result<PathBuf, Error> {
    check_component("node", node)?;
    let rel = path.trim_start_matches('/');
    if rel
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(Error::InvalidName {
            what: "path",
            name: path.to_string(),
            reason: "it is not an absolute, normal path",
        });
    }
    Ok(fs_root(lab)?.join(node).join(rel))
}

/// What a node's processes get besides its network: each backing
/// directory bound over its path, and variables added to the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct View {
    /// (backing directory, path the node sees).
    pub dirs: Vec<(PathBuf, PathBuf)>,
    /// `env:`.
    pub env: Vec<(String, String)>,
    /// The files `up` wrote (`files:`), as the node sees their paths.
    pub files: Vec<String>,
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => {}
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// Records the view of the node `node` (namespace `netns`): its `dirs`
/// (absolute paths) and `env`. A node with neither has no view.
pub fn write_view(
    lab: &str,
    node: &str,
    netns: &str,
    dirs: &[String],
    files: &[String],
    env: &BTreeMap<String, String>,
) -> Result<(), Error> {
    check_component("namespace", netns)?;
    let views = fs_root(lab)?.join(VIEWS);
    let path = views.join(netns);
    if dirs.is_empty() && env.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(Error::path("cannot remove", &path, e))
            }
            _ => Ok(()),
        };
    }
    let mut text = String::new();
    for d in dirs {
        let backing = node_dir(lab, node, d)?;
        text.push_str(&format!(
            "dir\t{}\t{}\n",
            escape(&backing.to_string_lossy()),
            escape(d)
        ));
    }
    for (k, v) in env {
        text.push_str(&format!("env\t{}\t{}\n", escape(k), escape(v)));
    }
    for f in files {
        text.push_str(&format!("file\t{}\t\n", escape(f)));
    }
    make_dirs(&views, 0o755)?;
    let tmp = views.join(format!(".{netns}.tmp"));
    std::fs::write(&tmp, text).map_err(|e| Error::path("cannot write", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::path("cannot rename onto", &path, e))
}

/// Removes the lab's views but those of the namespaces in `keep`.
pub fn remove_views(lab: &str, keep: &[String]) -> Vec<Error> {
    let Ok(views) = fs_root(lab).map(|r| r.join(VIEWS)) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(&views) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for e in entries.flatten() {
        if keep.iter().any(|k| *k.as_str() == e.file_name()) {
            continue;
        }
        if let Err(err) = std::fs::remove_file(e.path()) {
            errors.push(Error::path("cannot remove", e.path(), err));
        }
    }
    errors
}

/// The view of the node whose namespace is `netns`, in whichever lab
/// has it; `None` when none does.
pub fn find_view(netns: &str) -> Option<View> {
    check_component("namespace", netns).ok()?;
    let labs = std::fs::read_dir(crate::statedir::base_dir()).ok()?;
    let text = labs
        .flatten()
        .find_map(|l| std::fs::read_to_string(l.path().join("fs").join(VIEWS).join(netns)).ok())?;
    Some(parse_view(&text))
}

/// The view the lab `lab` keeps for `netns`, if any.
pub fn find_view_of(lab: &str, netns: &str) -> Option<View> {
    check_component("namespace", netns).ok()?;
    let text = std::fs::read_to_string(fs_root(lab).ok()?.join(VIEWS).join(netns)).ok()?;
    Some(parse_view(&text))
}

fn parse_view(text: &str) -> View {
    let mut view = View::default();
    for line in text.lines() {
        let mut f = line.split('\t');
        match (f.next(), f.next(), f.next()) {
            (Some("dir"), Some(b), Some(t)) => {
                view.dirs.push((unescape(b).into(), unescape(t).into()));
            }
            (Some("env"), Some(k), Some(v)) => view.env.push((unescape(k), unescape(v))),
            (Some("file"), Some(f), _) => view.files.push(unescape(f)),
            _ => {}
        }
    }
    view
}

/// Whether `path` is a regular file with these bytes, mode and owner.
pub fn same_file(path: &Path, content: &[u8], mode: u32, uid: u32, gid: u32) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = path.symlink_metadata() else {
        return false;
    };
    m.is_file()
        && m.mode() & 0o7777 == mode
        && m.uid() == uid
        && m.gid() == gid
        && m.len() == content.len() as u64
        && std::fs::read(path).is_ok_and(|b| b == content)
}

fn make_dirs(path: &Path, mode: u32) -> Result<(), Error> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
        .map_err(|e| Error::path("cannot create", path, e))
}

/// Every directory from `root` (excluded) down to `path` is a real
/// directory (not a link) or missing.
fn no_links_below(root: &Path, path: &Path) -> Result<(), Error> {
    let Ok(rel) = path.strip_prefix(root) else {
        return Ok(());
    };
    let mut at = root.to_path_buf();
    for c in rel.components() {
        at.push(c);
        match at.symlink_metadata() {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::path(
                    "refusing to follow the link",
                    &at,
                    io::Error::from(io::ErrorKind::InvalidInput),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Makes the node's backing directory `path` (under `root`, the node's
/// fs directory) with `mode` and owner, as it is asked each time.
pub fn make_dir(root: &Path, path: &Path, mode: u32, uid: u32, gid: u32) -> Result<(), Error> {
    no_links_below(root, path)?;
    make_dirs(path, 0o755)?;
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
        .map_err(|e| Error::path("cannot chown", path, e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::path("cannot chmod", path, e))
}

/// Writes `content` to `path` (under `root`), owned and moded as asked:
/// a fresh file renamed over the old one.
pub fn write_file(
    root: &Path,
    path: &Path,
    content: &[u8],
    mode: u32,
    uid: u32,
    gid: u32,
) -> Result<(), Error> {
    no_links_below(root, path)?;
    let dir = path.parent().unwrap_or(root);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.nslab-tmp"));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)
        .map_err(|e| Error::path("cannot create", &tmp, e))?;
    f.write_all(content)
        .map_err(|e| Error::path("cannot write", &tmp, e))?;
    nix::unistd::fchown(f.as_fd(), Some(uid.into()), Some(gid.into()))
        .map_err(|e| Error::path("cannot chown", &tmp, e))?;
    f.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::path("cannot chmod", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| Error::path("cannot rename onto", path, e))
}

/// Removes `path` (under `root`) if it is there.
pub fn remove_file(root: &Path, path: &Path) -> Result<(), Error> {
    no_links_below(root, path)?;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::path("cannot remove", path, e)),
        _ => Ok(()),
    }
}

/// Makes `target` (an absolute path on the machine) exist as a directory
/// to bind over: each missing level is recorded in the lab's `.made`
/// before it is made, for [`remove`].
pub fn ensure_mount_point(lab: &str, target: &Path) -> Result<(), Error> {
    if target.is_dir() {
        return Ok(());
    }
    let mut missing = Vec::new();
    let mut at = Some(target);
    while let Some(p) = at.filter(|p| p.symlink_metadata().is_err()) {
        missing.push(p.to_path_buf());
        at = p.parent();
    }
    let root = fs_root(lab)?;
    make_dirs(&root, 0o755)?;
    let made = root.join(MADE);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o644)
        .open(&made)
        .map_err(|e| Error::path("cannot open", &made, e))?;
    for p in missing.iter().rev() {
        writeln!(f, "{}", escape(&p.to_string_lossy()))
            .and_then(|()| f.sync_data())
            .map_err(|e| Error::path("cannot write", &made, e))?;
        match std::fs::create_dir(p) {
            Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                return Err(Error::path("cannot create", p, e))
            }
            _ => {}
        }
    }
    Ok(())
}

/// Removes the lab's whole fs tree, and each mount point it made that is
/// still empty (deepest first). Returns what could not be removed.
pub fn remove(lab: &str) -> Vec<Error> {
    let Ok(root) = fs_root(lab) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let made = std::fs::read_to_string(root.join(MADE)).unwrap_or_default();
    for line in made.lines().rev() {
        let p = PathBuf::from(unescape(line));
        match std::fs::remove_dir(&p) {
            Err(e)
                if !matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::DirectoryNotEmpty
                ) && e.raw_os_error() != Some(libc::EBUSY) =>
            {
                errors.push(Error::path("cannot remove", &p, e));
            }
            _ => {}
        }
    }
    match std::fs::remove_dir_all(&root) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            errors.push(Error::path("cannot remove", &root, e));
        }
        _ => {}
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_values_come_back_as_written() {
        for s in ["plain", "a\tb", "line\nline", "back\\slash\\n", ""] {
            assert_eq!(unescape(&escape(s)), s);
        }
    }

    #[test]
    fn a_path_is_kept_under_its_lab_and_node() {
        let p = node_dir("l", "r1", "/var/run/frr").expect("path");
        assert!(p.ends_with("l/fs/r1/var/run/frr"), "{}", p.display());
        assert!(node_dir("l", "r1", "/a/../b").is_err());
        assert!(node_dir("l", "../x", "/a").is_err());
    }
}
