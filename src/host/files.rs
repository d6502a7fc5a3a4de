//! The nodes' files (`files:`) on this machine: the plan's `write-file`
//! and `remove-file`, and what the lab wrote, observed.

use crate::state::fs::FileState;
use std::collections::BTreeMap;

pub(super) fn write(
    lab: &str,
    node: &str,
    path: &str,
    f: &FileState,
) -> Result<(), nslab_sys::Error> {
    nslab_sys::nodefs::write_node_file(
        lab,
        node,
        path,
        f.content.as_bytes(),
        (f.mode, f.uid, f.gid),
    )
}

pub(super) fn remove(lab: &str, node: &str, path: &str) -> Result<(), nslab_sys::Error> {
    nslab_sys::nodefs::remove_node_file(lab, node, path)
}

/// The files the lab wrote for a namespace node, as they are now.
pub(super) fn observe(lab: &str, node: &str, netns: Option<&str>) -> BTreeMap<String, FileState> {
    let Some(ns) = netns else {
        return BTreeMap::new();
    };
    nslab_sys::nodefs::observe_files(lab, node, ns)
        .into_iter()
        .map(|(p, s)| {
            let f = FileState {
                content: s.content,
                mode: s.mode,
                uid: s.uid,
                gid: s.gid,
                owner: None,
                from: None,
            };
            (p, f)
        })
        .collect()
}
