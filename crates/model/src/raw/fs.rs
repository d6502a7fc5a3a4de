//! A node's `dirs:` and `files:` as written.

use super::{Leaf, Scalar};
use crate::shape::raw_map;

/// One entry of `dirs:`: a path, or `{path, mode, owner}`.
#[derive(Debug, Clone, PartialEq)]
pub enum RawDir {
    /// `/var/run/frr`.
    Words(String),
    /// `{ path: /var/run/frr, mode: "0755", owner: frr }`.
    Map(Box<RawDirMap>),
    /// Anything else (reported as a wrong type).
    Other(Scalar),
}

raw_map! {
    /// The map form of a `dirs:` entry.
    #[allow(missing_docs)]
    pub struct RawDirMap in "Directories" {
        path: Option<Leaf>,
        mode: Option<Leaf>,
        owner: Option<Leaf>,
    }
}

/// One value of `files:`: inline text, or `{content | from, mode, owner}`.
#[derive(Debug, Clone, PartialEq)]
pub enum RawFile {
    /// The file's text.
    Words(String),
    /// `{ from: frr/daemons, mode: "0640", owner: frr }`.
    Map(Box<RawFileMap>),
    /// Anything else (reported as a wrong type).
    Other(Scalar),
}

raw_map! {
    /// The map form of a `files:` value.
    #[allow(missing_docs)]
    pub struct RawFileMap in "Files" {
        content: Option<Leaf>,
        from: Option<Leaf>,
        mode: Option<Leaf>,
        owner: Option<Leaf>,
    }
}
