//! A node's `env:`, private directories and files, as desired: what `up`
//! writes under `/run/nslab/<lab>/fs/<node>/` and what every process of
//! the node sees (see `nslab_sys::nodefs`). Owners are numeric ids and
//! `from:` files are read by the launch step (against this machine).

use nslab_model as m;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A node's environment, directories and files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeFs {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dirs: Vec<DirState>,
    /// By absolute path (as the node sees it).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileState>,
}

impl NodeFs {
    pub fn is_empty(&self) -> bool {
        *self == NodeFs::default()
    }
}

/// One private directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirState {
    pub path: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// `owner:` as written, for `show`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// One file: its bytes (text), permission bits and owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub content: String,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// `owner:` as written, for `show`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `from:` as written, for `show`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// The node's part, as written (ids 0, `from:` content empty: the launch
/// step fills them in).
pub fn of_node(node: &m::Node) -> NodeFs {
    NodeFs {
        env: node.env.clone(),
        dirs: node
            .dirs
            .iter()
            .map(|d| DirState {
                path: d.path.clone(),
                mode: d.mode.unwrap_or(0o755),
                uid: 0,
                gid: 0,
                owner: d.owner.as_ref().map(ToString::to_string),
            })
            .collect(),
        files: node
            .files
            .iter()
            .map(|(p, f)| {
                let (content, from) = match &f.content {
                    m::FileContent::Inline(t) => (t.clone(), None),
                    m::FileContent::From(r) => (String::new(), Some(r.clone())),
                };
                let state = FileState {
                    content,
                    mode: f.mode.unwrap_or(0o644),
                    uid: 0,
                    gid: 0,
                    owner: f.owner.as_ref().map(ToString::to_string),
                    from,
                };
                (p.clone(), state)
            })
            .collect(),
    }
}
