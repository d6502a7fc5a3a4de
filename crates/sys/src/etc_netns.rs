//! A node's `/etc/netns/<netns>/hosts`: `ip netns exec` (and nslab's own
//! commands in a node, see [`crate::exec`]) bind every file of
//! `/etc/netns/<netns>/` over the same name in `/etc`.
//!
//! The lab's names are the same in every node, so they are written once:
//! a shared file per lab, `/etc/netns/.nslab-hosts.<lab>.<variant>`, and
//! each node's `hosts` is a hard link to it (O(N) bytes for N nodes, not
//! N files of N lines). A changed file is rewritten **in place** (the same
//! inode), so a process already running in a node — whose `/etc/hosts` is
//! a bind mount of that inode — sees the new names too.
//!
//! These files are outside any namespace, so they are owned by a mark:
//! their first line is `# nslab:<lab> ...`. A file without the lab's mark
//! is never written over nor removed. `down` looks for the lab's by the
//! names its record lists (each recorded before it is made, so also after
//! a killed `up`), and through the whole directory for `<lab>-…` only when
//! the record is or was lost ([`Candidates`]).

use std::fs::File;
use std::io::{self, Write as _};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{check_component, Error};

/// `/etc/netns`, as for `ip netns`. A lab without root: `<its state directory>/etc-netns` (see
/// [`crate::userns::paths`]).
pub fn dir() -> PathBuf {
    if let Some(p) = crate::userns::paths() {
        return p.lab_dir().join("etc-netns");
    }
    PathBuf::from("/etc/netns")
}

/// The end of the name of a node's hosts link being made (`.<netns>` before).
const TMP_SUFFIX: &str = ".hosts.nslab";

/// The start of the name of a lab's shared hosts file.
const SHARED_PREFIX: &str = ".nslab-hosts.";

/// The first line of every hosts file of the lab's.
pub fn mark(lab: &str) -> String {
    format!("# nslab:{lab}")
}

/// Whether the file at `path` carries the lab's mark.
fn is_ours(path: &Path, lab: &str) -> bool {
    let m = mark(lab);
    std::fs::read_to_string(path).is_ok_and(|t| {
        t.lines().next().is_some_and(|l| {
            l.strip_prefix(m.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        })
    })
}

/// What stops nslab from writing a node's hosts file.
#[derive(Debug, thiserror::Error)]
pub enum HostsError {
    /// The file is there and is not the lab's.
    #[error("{} is not this lab's (its first line is not `{mark}`); nslab leaves it alone: remove or move it, or give the node another `netns:`", path.display())]
    Foreign { path: PathBuf, mark: String },
    /// A system call failed.
    #[error(transparent)]
    Sys(#[from] Error),
}

fn foreign(path: PathBuf, lab: &str) -> HostsError {
    HostsError::Foreign {
        path,
        mark: mark(lab),
    }
}

/// Where the lab's shared hosts file `variant` is, under `root`.
fn shared_path(root: &Path, lab: &str, variant: &str) -> Result<PathBuf, Error> {
    check_component("lab", lab)?;
    check_component("hosts variant", variant)?;
    Ok(root.join(format!("{SHARED_PREFIX}{lab}.{variant}")))
}

/// Whether nslab may write `/etc/netns/<netns>/hosts` for the lab: there
/// is none, or it is the lab's.
pub fn check_hosts(lab: &str, netns: &str) -> Result<(), HostsError> {
    check_hosts_in(&dir(), lab, netns)
}

/// [`check_hosts`] under `root` instead of `/etc/netns`.
pub fn check_hosts_in(root: &Path, lab: &str, netns: &str) -> Result<(), HostsError> {
    check_component("namespace", netns)?;
    let path = root.join(netns).join("hosts");
    if path.symlink_metadata().is_ok() && !is_ours(&path, lab) {
        return Err(foreign(path, lab));
    }
    Ok(())
}

/// Makes the lab's shared hosts file `variant` under `root` hold `text`
/// (which must begin with [`mark`]): created if missing, else rewritten in
/// place (same inode, so the nodes' links and running bind mounts see it)
/// when it differs. Returns the bytes written (0 when it was already so).
pub fn write_shared_in(
    root: &Path,
    lab: &str,
    variant: &str,
    text: &str,
) -> Result<u64, HostsError> {
    let path = shared_path(root, lab, variant)?;
    let mut file = match open_shared(root, &path)? {
        Ok(f) => {
            if !is_ours(&path, lab) {
                return Err(foreign(path, lab));
            }
            if std::fs::read(&path).is_ok_and(|old| old == text.as_bytes()) {
                return Ok(0);
            }
            f
        }
        Err(f) => f,
    };
    // Over the old bytes, then cut to length: a reader never sees an empty
    // file (`ip netns exec` started meanwhile binds it as it is).
    let write = |f: &mut std::fs::File| -> io::Result<()> {
        use std::io::Seek as _;
        f.seek(io::SeekFrom::Start(0))?;
        f.write_all(text.as_bytes())?;
        f.set_len(text.len() as u64)
    };
    write(&mut file).map_err(|e| Error::path("cannot write", &path, e))?;
    Ok(text.len() as u64)
}

/// The shared file at `path` opened (`Ok`) or created (`Err`), `root` made
/// again if another lab's `down` removed it (empty) meanwhile.
fn open_shared(root: &Path, path: &Path) -> Result<Result<File, File>, HostsError> {
    let mut tries = 0;
    loop {
        std::fs::create_dir_all(root).map_err(|e| Error::path("cannot create", root, e))?;
        let open = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path);
        match open {
            Ok(f) => return Ok(Ok(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::path("cannot open", path, e).into()),
        }
        let made = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(path);
        match made {
            Ok(f) => return Ok(Err(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound && tries < 3 => tries += 1,
            Err(e) => return Err(Error::path("cannot create", path, e).into()),
        }
    }
}

/// Makes `root/<netns>/hosts` a hard link to the lab's shared file
/// `variant` (written by [`write_shared_in`] first), unless a file there
/// is not the lab's. Nothing is written when it already is that link.
pub fn link_hosts_in(root: &Path, lab: &str, netns: &str, variant: &str) -> Result<(), HostsError> {
    check_hosts_in(root, lab, netns)?;
    let shared = shared_path(root, lab, variant)?;
    let d = root.join(netns);
    let path = d.join("hosts");
    let inode = |p: &Path| p.symlink_metadata().ok().map(|m| (m.dev(), m.ino()));
    if inode(&path).is_some() && inode(&path) == inode(&shared) {
        return Ok(());
    }
    std::fs::create_dir_all(&d).map_err(|e| Error::path("cannot create", &d, e))?;
    // Linked beside the directory and renamed in: a reader (or `ip netns
    // exec`, which binds every file of the directory) never sees none.
    let tmp = root.join(format!(".{netns}{TMP_SUFFIX}"));
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::path("cannot remove", &tmp, e).into()),
    }
    std::fs::hard_link(&shared, &tmp).map_err(|e| Error::path("cannot link", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::path("cannot rename onto", &path, e))?;
    Ok(())
}

/// Which of a lab's files under `/etc/netns` [`remove_hosts`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct Candidates<'a> {
    /// The namespaces whose `hosts` may be the lab's: what its record and
    /// file call its nodes' namespaces.
    pub named: &'a [String],
    /// Every variant of shared file the lab may have written (see
    /// [`write_shared_in`]).
    pub variants: &'a [&'a str],
    /// Also every `<lab>-…` name and every shared file of the lab's, found
    /// by reading the whole directory: for a lab whose record is (or once
    /// was) lost, so that what it made is listed nowhere. Without it, the
    /// names above are looked up one by one and nothing else is read: the
    /// cost does not grow with the other labs' files.
    pub by_prefix: bool,
}

/// Removes every hosts file of the lab's among its [`Candidates`] under
/// `/etc/netns` but those of the namespaces in `keep` (and each directory
/// it leaves empty, `/etc/netns` itself included when `keep` is empty),
/// and, when `keep` is empty, the lab's shared files. A
/// file is the lab's by its mark alone: no other file is written over or
/// removed. Returns what could not be removed.
pub fn remove_hosts(lab: &str, candidates: &Candidates, keep: &[String]) -> Vec<Error> {
    let shared: &[&str] = if keep.is_empty() { &[] } else { &["*"] };
    let root = dir();
    let errors = remove_hosts_in(&root, lab, candidates, keep, shared);
    if keep.is_empty() {
        // It outlives a reboot: gone once empty (`rmdir`: only then).
        let _ = std::fs::remove_dir(&root);
    }
    errors
}

/// [`remove_hosts`] under `root`, keeping the shared files named in
/// `keep_shared` (`"*"`: all of them).
pub fn remove_hosts_in(
    root: &Path,
    lab: &str,
    candidates: &Candidates,
    keep: &[String],
    keep_shared: &[&str],
) -> Vec<Error> {
    if candidates.by_prefix {
        return remove_listed(root, lab, candidates.named, keep, keep_shared);
    }
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for ns in candidates.named {
        // A name from a record is a single path component, or nothing.
        if !seen.insert(ns) || check_component("namespace", ns).is_err() {
            continue;
        }
        // A link half-made by a killed run (see `link_hosts_in`).
        remove_if_ours(&root.join(format!(".{ns}{TMP_SUFFIX}")), lab, &mut errors);
        if !keep.contains(ns) {
            remove_node_file(&root.join(ns), lab, &mut errors);
        }
    }
    let unused = |v: &&&str| !keep_shared.iter().any(|k| *k == "*" || k == *v);
    for v in candidates.variants.iter().filter(unused) {
        if let Ok(path) = shared_path(root, lab, v) {
            remove_if_ours(&path, lab, &mut errors);
        }
    }
    errors
}

/// Removes the file at `path` if it carries the lab's mark.
fn remove_if_ours(path: &Path, lab: &str, errors: &mut Vec<Error>) {
    if is_ours(path, lab) {
        if let Err(err) = std::fs::remove_file(path) {
            errors.push(Error::path("cannot remove", path, err));
        }
    }
}

/// Removes `node/hosts` if it carries the lab's mark, then `node` if that
/// left it empty (another file there is someone else's).
fn remove_node_file(node: &Path, lab: &str, errors: &mut Vec<Error>) {
    let path = node.join("hosts");
    if !is_ours(&path, lab) {
        return;
    }
    if let Err(err) = std::fs::remove_file(&path) {
        errors.push(Error::path("cannot remove", &path, err));
        return;
    }
    match std::fs::remove_dir(node) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::DirectoryNotEmpty => {}
        Err(err) => errors.push(Error::path("cannot remove", node, err)),
    }
}

/// [`remove_hosts_in`] by one read of `root`: the lab's files among the
/// names `named`, those named `<lab>-…` and its shared files.
fn remove_listed(
    root: &Path,
    lab: &str,
    named: &[String],
    keep: &[String],
    keep_shared: &[&str],
) -> Vec<Error> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let prefix = format!("{lab}-");
    let candidate = |n: &str| n.starts_with(&prefix) || named.iter().any(|m| m == n);
    let mut errors = Vec::new();
    let shared_of_lab = format!("{SHARED_PREFIX}{lab}.");
    for e in entries.flatten() {
        let name = e.file_name();
        let text = name.to_str().unwrap_or("");
        // A shared file no node uses any more.
        let unused_shared = text
            .strip_prefix(&shared_of_lab)
            .is_some_and(|v| !keep_shared.iter().any(|k| *k == "*" || *k == v));
        // `<netns>` or `.<netns>.hosts.nslab`, by name alone (no stat).
        let ns = text
            .strip_prefix('.')
            .and_then(|m| m.strip_suffix(TMP_SUFFIX))
            .unwrap_or(text);
        if !unused_shared && !candidate(ns) {
            continue;
        }
        let tmp = text.starts_with('.') && text.ends_with(TMP_SUFFIX);
        if tmp || unused_shared {
            remove_if_ours(&e.path(), lab, &mut errors);
            continue;
        }
        if !keep.iter().any(|k| *k.as_str() == name) {
            remove_node_file(&e.path(), lab, &mut errors);
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mark is the whole first word sequence `# nslab:<lab>`: another
    /// lab's, a longer lab name, or a mark further down is not the lab's.
    #[test]
    fn only_the_labs_own_mark_on_the_first_line() {
        let d = std::env::temp_dir().join(format!("nslab-etc-netns-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("mkdir");
        let p = d.join("hosts");
        let table = [
            ("# nslab:nm node a: written by nslab\n1.2.3.4 a\n", true),
            ("# nslab:nm\n", true),
            ("# nslab:nm2 node a\n", false),
            ("# nslab:other node a\n", false),
            ("1.2.3.4 a\n# nslab:nm\n", false),
            ("#nslab:nm\n", false),
            ("", false),
        ];
        for (text, ours) in table {
            std::fs::write(&p, text).expect("write");
            assert_eq!(is_ours(&p, "nm"), ours, "{text:?}");
        }
        std::fs::remove_dir_all(&d).expect("rm");
    }

    /// By name, only the candidates' files (and the lab's unused shared
    /// files) go, and the directory is never read; by prefix, also a
    /// `<lab>-…` file no record names. Another lab's file, a file without
    /// the mark and a kept node's file stay in both.
    #[test]
    fn by_name_only_the_named_by_prefix_also_the_labs_leftovers() {
        let root = std::env::temp_dir().join(format!("nslab-etc-cand-{}", std::process::id()));
        let put = |rel: &str, text: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        };
        let ours = "# nslab:lb node\n";
        let named = vec!["lb-a".to_string(), "mine".to_string(), "lb-k".to_string()];
        for by_prefix in [false, true] {
            for ns in ["lb-a", "mine", "lb-k", "lb-left"] {
                put(&format!("{ns}/hosts"), ours);
            }
            put(".lb-a.hosts.nslab", ours);
            put(".nslab-hosts.lb.all", ours);
            put(".nslab-hosts.lb.self", ours);
            put("other-a/hosts", "# nslab:other node\n");
            put("lb-b/hosts", "127.0.0.1 mine, not nslab's\n");
            let c = Candidates {
                named: &named,
                variants: &["all", "self"],
                by_prefix,
            };
            let errors = remove_hosts_in(&root, "lb", &c, &["lb-k".to_string()], &["all"]);
            assert!(errors.is_empty(), "{errors:?}");
            let mut left: Vec<String> = std::fs::read_dir(&root)
                .expect("ls")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            left.sort();
            let mut want = vec![".nslab-hosts.lb.all", "lb-b", "lb-k", "other-a"];
            if !by_prefix {
                want.push("lb-left");
                want.sort();
            }
            assert_eq!(left, want, "by_prefix {by_prefix}");
            assert!(root.join("lb-b/hosts").exists() && root.join("lb-k/hosts").exists());
            std::fs::remove_dir_all(&root).expect("rm");
        }
    }
}
