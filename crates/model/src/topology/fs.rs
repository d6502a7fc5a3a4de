//! A node's environment, private directories and files (`env:`, `dirs:`,
//! `files:`).

use crate::loc::Loc;

/// `owner:` — a user, and a group (`user:group`; without one, the user's
/// own group). Names or numeric ids, as written; the root crate looks
/// them up on the machine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Owner {
    /// The user.
    pub user: String,
    /// The group, when written.
    pub group: Option<String>,
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.group {
            Some(g) => write!(f, "{}:{g}", self.user),
            None => f.write_str(&self.user),
        }
    }
}

/// One of a node's private directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDir {
    /// Absolute and normal (no `.`, `..` or empty component).
    pub path: String,
    /// Permission bits (default `0755`).
    pub mode: Option<u32>,
    /// Owner (default root).
    pub owner: Option<Owner>,
    /// Where the entry is in the file.
    pub loc: Loc,
}

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    /// Inline text (the value, or `content:`).
    Inline(String),
    /// `from:`: a path relative to the topology file's directory, as
    /// written (the root crate reads it).
    From(String),
}

/// One file of a node's `files:`, inside one of its `dirs:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFile {
    /// Its bytes.
    pub content: FileContent,
    /// Permission bits (default `0644`).
    pub mode: Option<u32>,
    /// Owner (default root).
    pub owner: Option<Owner>,
    /// Where the entry (its path) is in the file.
    pub loc: Loc,
    /// Where `from:` is, when written (for an error reading it).
    pub from_loc: Loc,
    /// Where `owner:` is, when written.
    pub owner_loc: Loc,
}
