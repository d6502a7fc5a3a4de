//! Nodes' private directories and files (`dirs:`, `files:`) and their
//! `env:`: made under `/run/nslab/<lab>/fs/<node>/` after the kernel is as
//! the file says, and each node's view recorded for every process started
//! in it (`nslab_sys::nodefs`). Processes already running are not
//! restarted when a file changes.

use super::LabError;
use crate::host::OpError;
use crate::state::State;
use nslab_sys::nodefs;
use std::path::Path;

fn op_error(op: String, node: &str, e: nslab_sys::Error) -> LabError {
    LabError::Observe(OpError::at(op, node, e))
}

/// Every namespace node's directories, mount points, files and view; the
/// files a node no longer lists are removed.
pub(super) fn apply(desired: &State) -> Result<(), LabError> {
    let lab = &desired.lab;
    let mut keep = Vec::new();
    for (node, n) in &desired.nodes {
        let Some(ns) = &n.netns else { continue };
        let fs = &n.fs;
        let root = nodefs::node_dir(lab, node, "/.")
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let err = |what: &str, path: &str, e| op_error(format!("{what} {path}"), node, e);
        for d in &fs.dirs {
            let backing = nodefs::node_dir(lab, node, &d.path)
                .map_err(|e| err("private directory", &d.path, e))?;
            nodefs::make_dir(&root, &backing, d.mode, d.uid, d.gid)
                .map_err(|e| err("private directory", &d.path, e))?;
            nodefs::ensure_mount_point(lab, Path::new(&d.path))
                .map_err(|e| err("mount point", &d.path, e))?;
        }
        let before = nodefs::find_view_of(lab, ns)
            .map(|v| v.files)
            .unwrap_or_default();
        for old in before.iter().filter(|p| !fs.files.contains_key(*p)) {
            let backing =
                nodefs::node_dir(lab, node, old).map_err(|e| err("remove file", old, e))?;
            nodefs::remove_file(&root, &backing).map_err(|e| err("remove file", old, e))?;
        }
        for (path, f) in &fs.files {
            let backing =
                nodefs::node_dir(lab, node, path).map_err(|e| err("write file", path, e))?;
            if !nodefs::same_file(&backing, f.content.as_bytes(), f.mode, f.uid, f.gid) {
                nodefs::write_file(&root, &backing, f.content.as_bytes(), f.mode, f.uid, f.gid)
                    .map_err(|e| err("write file", path, e))?;
            }
        }
        let dirs: Vec<String> = fs.dirs.iter().map(|d| d.path.clone()).collect();
        let files: Vec<String> = fs.files.keys().cloned().collect();
        nodefs::write_view(lab, node, ns, &dirs, &files, &fs.env)
            .map_err(|e| err("record the view of", ns, e))?;
        keep.push(ns.clone());
    }
    match nodefs::remove_views(lab, &keep).into_iter().next() {
        Some(e) => Err(super::sd_err(e)),
        None => Ok(()),
    }
}

/// What `up` would change in the nodes' files, one line each
/// (`write-file NODE PATH (new|changed)`, `remove-file NODE PATH`), as
/// `plan` lists it beside the kernel's operations; `offline`: against a
/// machine with nothing on it.
pub(crate) fn file_changes(desired: &State, offline: bool) -> Vec<String> {
    let lab = &desired.lab;
    let mut out = Vec::new();
    for (node, n) in &desired.nodes {
        let Some(ns) = &n.netns else { continue };
        let before = if offline {
            Vec::new()
        } else {
            nodefs::find_view_of(lab, ns)
                .map(|v| v.files)
                .unwrap_or_default()
        };
        for (path, f) in &n.fs.files {
            let backing = nodefs::node_dir(lab, node, path).ok();
            let exists = !offline
                && backing
                    .as_ref()
                    .is_some_and(|b| b.symlink_metadata().is_ok());
            let same = exists
                && backing.as_ref().is_some_and(|b| {
                    nodefs::same_file(b, f.content.as_bytes(), f.mode, f.uid, f.gid)
                });
            if !same {
                let how = if exists { "changed" } else { "new" };
                out.push(format!(
                    "write-file {node} {path} ({how}: {} bytes, mode {:04o}, owner {}:{})",
                    f.content.len(),
                    f.mode,
                    f.uid,
                    f.gid
                ));
            }
        }
        for old in before.iter().filter(|p| !n.fs.files.contains_key(*p)) {
            out.push(format!("remove-file {node} {old}"));
        }
    }
    out
}
