//! Where things are in the topology file.

use std::fmt;
use std::sync::Arc;

/// A 1-based line and column (in characters) in the topology file.
///
/// Kept beside every typed value that an error can name, so later layers
/// (planner, apply, check) can point back at the file too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Loc {
    /// 1-based line; 0 when unknown.
    pub line: u32,
    /// 1-based column in characters; 0 when unknown.
    pub col: u32,
}

impl Loc {
    /// A location that is not known (a value nslab made up, not the user).
    pub const UNKNOWN: Loc = Loc { line: 0, col: 0 };

    /// A location at `line:col` (both 1-based).
    pub const fn new(line: u32, col: u32) -> Loc {
        Loc { line, col }
    }

    /// Whether this points somewhere in the file.
    pub fn is_known(&self) -> bool {
        self.line > 0
    }

    /// Byte offset of this location in `text`, if it lies inside it.
    pub fn byte_offset(&self, text: &str) -> Option<usize> {
        if !self.is_known() {
            return None;
        }
        let mut line_start = 0usize;
        for _ in 1..self.line {
            line_start += text.get(line_start..)?.find('\n')? + 1;
        }
        let line = text.get(line_start..)?;
        let line = line.split('\n').next().unwrap_or("");
        let col = self.col.max(1) as usize - 1;
        let within = line
            .char_indices()
            .nth(col)
            .map(|(i, _)| i)
            .unwrap_or(line.len());
        Some(line_start + within)
    }
}

impl From<serde_saphyr::Location> for Loc {
    fn from(l: serde_saphyr::Location) -> Loc {
        Loc {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            col: u32::try_from(l.column()).unwrap_or(u32::MAX),
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// The topology file: its name as the user gave it and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path or name used in messages (`lab.yaml`).
    pub name: String,
    /// The whole text, shared (diagnostics quote from it).
    pub text: Arc<str>,
}

impl SourceFile {
    /// A source named `name` holding `text`.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceFile {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }
}
