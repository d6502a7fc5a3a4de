//! A node's `/etc/netns/<netns>/hosts`: `ip netns exec` (and nslab's own
//! commands in a node, see [`crate::exec`]) bind every file of
//! `/etc/netns/<netns>/` over the same name in `/etc`. These files are
//! outside any namespace, so they are owned by a mark: their first line is
//! `# nslab:<lab> ...`. A file without the lab's mark is never written over
//! nor removed; `down` finds the lab's by the mark alone (also after a
//! killed `up`).

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{check_component, Error};

/// `/etc/netns`, as for `ip netns`.
pub fn dir() -> PathBuf {
    PathBuf::from("/etc/netns")
}

/// The end of the name of a hosts file being written (`.<netns>` before).
const TMP_SUFFIX: &str = ".hosts.nslab";

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

/// Whether nslab may write `/etc/netns/<netns>/hosts` for the lab: there
/// is none, or it is the lab's.
pub fn check_hosts(lab: &str, netns: &str) -> Result<(), HostsError> {
    check_component("namespace", netns)?;
    let path = dir().join(netns).join("hosts");
    if path.symlink_metadata().is_ok() && !is_ours(&path, lab) {
        return Err(HostsError::Foreign {
            path,
            mark: mark(lab),
        });
    }
    Ok(())
}

/// Writes `/etc/netns/<netns>/hosts` (`text` must begin with [`mark`]),
/// unless a file there is not the lab's.
pub fn write_hosts(lab: &str, netns: &str, text: &str) -> Result<(), HostsError> {
    check_hosts(lab, netns)?;
    let d = dir().join(netns);
    let path = d.join("hosts");
    std::fs::create_dir_all(&d).map_err(|e| Error::path("cannot create", &d, e))?;
    // Written beside the directory and renamed in: a reader (or `ip netns
    // exec`, which binds every file of the directory) never sees half.
    let tmp = dir().join(format!(".{netns}{TMP_SUFFIX}"));
    std::fs::write(&tmp, text).map_err(|e| Error::path("cannot write", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::path("cannot rename onto", &path, e))?;
    Ok(())
}

/// Removes every hosts file of the lab's under `/etc/netns` but those of
/// the namespaces in `keep` (and each directory it leaves empty), looking
/// only at the lab's candidates: the namespaces `named` (what its record
/// and file call its nodes' namespaces) and those named `<lab>-...` (what
/// `up` names them unless the file says otherwise). No other lab's file
/// is opened: what this costs does not grow with the other labs on the
/// machine. Returns what could not be removed.
pub fn remove_hosts(lab: &str, named: &[String], keep: &[String]) -> Vec<Error> {
    let Ok(entries) = std::fs::read_dir(dir()) else {
        return Vec::new();
    };
    let prefix = format!("{lab}-");
    let mut names: Vec<String> = named.to_vec();
    for e in entries.flatten() {
        // `<netns>` or `.<netns>.hosts.nslab`, by name alone (no stat).
        let Some(n) = e.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let ns = n
            .strip_prefix('.')
            .and_then(|m| m.strip_suffix(TMP_SUFFIX))
            .unwrap_or(&n);
        if ns.starts_with(&prefix) && !names.iter().any(|m| m == ns) {
            names.push(ns.to_string());
        }
    }
    remove_hosts_of(lab, &names, keep)
}

/// [`remove_hosts`] among the namespaces `named` and `keep` only, without
/// reading `/etc/netns` (for `up`, which knows the lab's namespaces from
/// its record and file).
pub fn remove_hosts_of(lab: &str, named: &[String], keep: &[String]) -> Vec<Error> {
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for ns in named.iter().chain(keep) {
        if !seen.insert(ns.as_str()) || check_component("namespace", ns).is_err() {
            continue;
        }
        // A file half-written by a killed run (see `write_hosts`).
        let tmp = dir().join(format!(".{ns}{TMP_SUFFIX}"));
        if is_ours(&tmp, lab) {
            if let Err(err) = std::fs::remove_file(&tmp) {
                errors.push(Error::path("cannot remove", &tmp, err));
            }
        }
        if keep.contains(ns) {
            continue;
        }
        let d = dir().join(ns);
        let path = d.join("hosts");
        if !is_ours(&path, lab) {
            continue;
        }
        if let Err(err) = std::fs::remove_file(&path) {
            errors.push(Error::path("cannot remove", &path, err));
            continue;
        }
        // Only when empty: another file there is someone else's.
        match std::fs::remove_dir(&d) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::DirectoryNotEmpty => {}
            Err(err) => errors.push(Error::path("cannot remove", &d, err)),
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
}
