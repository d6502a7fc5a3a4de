//! Why a string is not one of the values.

use std::fmt;

/// Why a string or number is not a value of this crate. The model turns
/// it into a problem at the file's line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    /// What is wrong, naming the value.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// The two ways a value can be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not of the value's form at all.
    Invalid,
    /// Of the form, but a number in it is out of range.
    OutOfRange,
}

impl ParseError {
    pub(crate) fn invalid(message: String, hint: &str) -> ParseError {
        ParseError {
            kind: ParseErrorKind::Invalid,
            message,
            hint: hint.to_string(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}
