//! `show`'s part about what a node's processes see besides its network:
//! its host name (read in its UTS namespace), its `env:`, its private
//! directories and the files `up` wrote there (mode, owner, size), as
//! they are now (the node's view and the files under
//! `/run/nslab/<lab>/fs/<node>/`).

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::os::unix::fs::MetadataExt;

/// One directory or file as it is now; `None` fields: missing.
#[derive(Debug, Serialize)]
pub(super) struct Entry {
    pub path: String,
    /// Where its bytes are kept on the machine.
    pub backing: String,
    /// Permission bits, octal (`"0644"`).
    pub mode: Option<String>,
    /// `uid:gid`.
    pub owner: Option<String>,
    /// Bytes (files only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// A node's host name, environment, directories and files.
#[derive(Debug, Serialize, Default)]
pub(super) struct NodeHost {
    pub hostname: Option<String>,
    pub env: BTreeMap<String, String>,
    pub dirs: Vec<Entry>,
    pub files: Vec<Entry>,
}

fn entry(lab: &str, node: &str, path: &str, file: bool) -> Entry {
    let backing = nslab_sys::nodefs::node_dir(lab, node, path).unwrap_or_default();
    let m = backing.symlink_metadata().ok();
    Entry {
        path: path.to_string(),
        backing: backing.display().to_string(),
        mode: m.as_ref().map(|m| format!("{:04o}", m.mode() & 0o7777)),
        owner: m.as_ref().map(|m| format!("{}:{}", m.uid(), m.gid())),
        size: m.filter(|_| file).map(|m| m.len()),
    }
}

/// What the node `node` (namespace `netns`) of `lab` has now.
pub(super) fn of(lab: &str, node: &str, netns: Option<&str>) -> NodeHost {
    let Some(ns) = netns else {
        return NodeHost::default();
    };
    let view = nslab_sys::nodefs::find_view_of(lab, ns).unwrap_or_default();
    NodeHost {
        hostname: nslab_sys::uts::hostname(ns),
        env: view.env.into_iter().collect(),
        dirs: view
            .dirs
            .iter()
            .map(|(_, p)| entry(lab, node, &p.to_string_lossy(), false))
            .collect(),
        files: view
            .files
            .iter()
            .map(|p| entry(lab, node, p, true))
            .collect(),
    }
}

/// The lines `show` prints for `h` (none for a node with nothing).
pub(super) fn render(h: &NodeHost) -> String {
    let mut out = String::new();
    if let Some(name) = &h.hostname {
        let _ = writeln!(out, "  hostname {name}");
    }
    for (k, v) in &h.env {
        let _ = writeln!(out, "  env {k}={}", v.escape_debug());
    }
    let line = |out: &mut String, what: &str, e: &Entry| {
        let mode = e.mode.as_deref().unwrap_or("missing");
        let owner = e.owner.as_deref().unwrap_or("-");
        let size = e.size.map(|s| format!(" {s} bytes")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {what} {} ({mode} {owner}{size}) at {}",
            e.path, e.backing
        );
    };
    for d in &h.dirs {
        line(&mut out, "dir", d);
    }
    for f in &h.files {
        line(&mut out, "file", f);
    }
    out
}
