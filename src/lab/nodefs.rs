//! Nodes' private directories and files (`dirs:`, `files:`) and their
//! `env:`: the directories made under `/run/nslab/<lab>/fs/<node>/` after
//! the kernel is as the file says (the files are the plan's `write-file`
//! and `remove-file`, written before), and each node's view recorded for
//! every process started in it (`nslab_sys::nodefs`), with the list of
//! files the lab wrote (what is observed next time). Processes already
//! running are not restarted when a file changes.

use super::LabError;
use crate::host::OpError;
use crate::state::State;
use nslab_sys::nodefs;
use std::path::Path;

fn op_error(op: String, node: &str, e: nslab_sys::Error) -> LabError {
    LabError::Observe(OpError::at(op, node, e))
}

/// Every namespace node's directories, mount points and view.
pub(super) fn apply(desired: &State) -> Result<(), LabError> {
    let lab = &desired.lab;
    let mut keep = Vec::new();
    for (node, n) in &desired.nodes {
        let Some(ns) = &n.netns else { continue };
        let fs = &n.fs;
        let err = |what: &str, path: &str, e| op_error(format!("{what} {path}"), node, e);
        let root = nodefs::fs_root(lab)
            .map(|r| r.join(node))
            .map_err(|e| err("private directories of", node, e))?;
        for d in &fs.dirs {
            let backing = nodefs::node_dir(lab, node, &d.path)
                .map_err(|e| err("private directory", &d.path, e))?;
            nodefs::make_dir(&root, &backing, d.mode, d.uid, d.gid)
                .map_err(|e| err("private directory", &d.path, e))?;
            nodefs::ensure_mount_point(lab, Path::new(&d.path))
                .map_err(|e| err("mount point", &d.path, e))?;
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
