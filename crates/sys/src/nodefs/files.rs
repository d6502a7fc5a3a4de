//! The files of a node, by the path the node sees: written, removed and
//! read back under its fs directory (for the plan's `write-file` and
//! `remove-file` and for observing what the lab wrote).

use super::{find_view_of, node_dir, write_file};
use crate::error::Error;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// A file as it is: bytes (as text), permission bits, owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub content: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// The node's fs directory and the file's place in it.
fn places(lab: &str, node: &str, path: &str) -> Result<(PathBuf, PathBuf), Error> {
    let backing = node_dir(lab, node, path)?;
    let root = super::fs_root(lab)?.join(node);
    Ok((root, backing))
}

/// Writes the node's file `path` (its directories made as needed, never
/// through a link).
pub fn write_node_file(
    lab: &str,
    node: &str,
    path: &str,
    content: &[u8],
    (mode, uid, gid): (u32, u32, u32),
) -> Result<(), Error> {
    let (root, backing) = places(lab, node, path)?;
    if let Some(parent) = backing.parent() {
        super::no_links_below(&root, parent)?;
        super::make_dirs(parent, 0o755)?;
    }
    write_file(&root, &backing, content, mode, uid, gid)
}

/// Removes the node's file `path`, if there.
pub fn remove_node_file(lab: &str, node: &str, path: &str) -> Result<(), Error> {
    let (root, backing) = places(lab, node, path)?;
    super::remove_file(&root, &backing)
}

/// The files the lab wrote for the node of namespace `netns` (its view's
/// list), as they are now; a missing one is left out.
pub fn observe_files(lab: &str, node: &str, netns: &str) -> Vec<(String, Seen)> {
    let Some(view) = find_view_of(lab, netns) else {
        return Vec::new();
    };
    view.files
        .into_iter()
        .filter_map(|p| {
            let (_, backing) = places(lab, node, &p).ok()?;
            let m = backing.symlink_metadata().ok().filter(|m| m.is_file())?;
            let bytes = std::fs::read(&backing).ok()?;
            let seen = Seen {
                content: String::from_utf8_lossy(&bytes).into_owned(),
                mode: m.mode() & 0o7777,
                uid: m.uid(),
                gid: m.gid(),
            };
            Some((p, seen))
        })
        .collect()
}
