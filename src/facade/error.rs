//! The facade's error: what went wrong as data, and the CLI's words for it.

use crate::launch;
use nslab_model::Problems;
use std::error::Error as StdError;
use std::fmt;

/// A cause inside an [`Error`]: the library's own error, kept whole (its
/// [`source`](StdError::source) chain leads to the errno).
pub type Cause = Box<dyn StdError + Send + Sync + 'static>;

/// Why a lab operation failed. [`Display`](fmt::Display) (and
/// [`Debug`](fmt::Debug), so that `?` in a `#[test]` prints it readably)
/// is the message `nslab` prints for the same failure; the details are
/// kept as data: the file's problems with their positions, the kernel's
/// errno ([`Error::errno`]), the names involved.
#[non_exhaustive]
pub enum Error {
    /// The topology has problems (each with its file, line, column, kind
    /// and a hint); nothing was changed.
    Invalid(Problems),
    /// The lab could not be brought up: the kernel refused an operation or
    /// the lab's state could not be used (what was undone is said).
    Up { lab: String, cause: Cause },
    /// The network was made but a `serve:`/`run:` process could not start.
    /// `removed`: this call had created the lab and removed it again;
    /// otherwise the lab was up before and is left up.
    Processes {
        lab: String,
        removed: bool,
        cause: Cause,
    },
    /// A fault could not be put in or healed.
    Fault { lab: String, cause: Cause },
    /// `down` did not remove everything.
    Down { lab: String, cause: Cause },
    /// The lab has no node of that name.
    NoNode {
        lab: String,
        node: String,
        nodes: Vec<String>,
    },
    /// The lab's file has no scenario of that name.
    NoScenario {
        lab: String,
        scenario: String,
        scenarios: Vec<String>,
    },
    /// A probe needs an address of the node and it has none.
    NoAddress { node: String },
    /// `given` is not `NODE:INTERFACE`.
    NotEndpoint { given: String },
    /// [`Lab::check`](crate::Lab::check) was given text that is no check.
    NoCheck { given: String },
    /// A probe (`ping`, a check) could not be made — a namespace is gone, a
    /// socket could not be opened — so it proves nothing about the network.
    CouldNotAsk { check: String, why: String },
    /// A command could not be started in a node (`source`: not found,
    /// not executable, ...).
    Exec {
        node: String,
        program: String,
        source: std::io::Error,
    },
    /// [`Lab::up`](crate::Lab::up) was given a topology that is not what its source text
    /// says (changed after parsing): the lab's record keeps the text, so
    /// `nslab check`/`show`/`plan` would read another lab.
    Edited { lab: String },
}

impl Error {
    /// The errno of the system call behind this error, if its cause
    /// carries one (the first OS error code, or errno of a kernel
    /// refusal, in the [`source`](StdError::source) chain).
    pub fn errno(&self) -> Option<i32> {
        let mut cur: Option<&(dyn StdError + 'static)> = Some(self);
        while let Some(e) = cur {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if let Some(n) = io.raw_os_error() {
                    return Some(n);
                }
            }
            // The kernel's refusal of an operation keeps its errno.
            if let Some(n) = e
                .downcast_ref::<crate::host::Cause>()
                .and_then(|c| c.errno())
            {
                return Some(n);
            }
            cur = e.source();
        }
        None
    }

    /// The file's problems, when the topology was refused.
    pub fn problems(&self) -> Option<&Problems> {
        match self {
            Error::Invalid(p) => Some(p),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(p) => f.write_str(&launch::problems_text(p)),
            Error::Up { cause, .. }
            | Error::Processes { cause, .. }
            | Error::Fault { cause, .. }
            | Error::Down { cause, .. } => write!(f, "{cause}"),
            Error::NoNode { lab, node, nodes } => {
                write!(
                    f,
                    "lab {lab} has no node {node}; its nodes: {}",
                    nodes.join(", ")
                )
            }
            Error::NoScenario {
                lab,
                scenario,
                scenarios,
            } => write!(
                f,
                "lab {lab} has no scenario {scenario}; its scenarios: {}",
                scenarios.join(", ")
            ),
            Error::NoAddress { node } => write!(f, "node {node} has no address to probe"),
            Error::NotEndpoint { given } => write!(f, "`{given}` is not NODE:INTERFACE"),
            Error::NoCheck { given } => {
                write!(
                    f,
                    "`{given}` is no check; write one like `a -> b` or `a -x b:80 tcp`"
                )
            }
            Error::CouldNotAsk { check, why } => write!(f, "{check}: could not probe: {why}"),
            Error::Exec {
                node,
                program,
                source,
            } => write!(f, "cannot run `{program}` in node {node}: {source}"),
            Error::Edited { lab } => write!(
                f,
                "the topology of lab {lab} is not what its source text says (changed after \
                 parsing); change the text and parse it again"
            ),
        }
    }
}

/// The message, as [`Display`](fmt::Display) gives it: a failed
/// `#[test]` returning `Result<_, nslab::Error>` prints this.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Invalid(p) => Some(p),
            Error::Up { cause, .. }
            | Error::Processes { cause, .. }
            | Error::Fault { cause, .. }
            | Error::Down { cause, .. } => Some(cause.as_ref()),
            Error::Exec { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `down` left something: each error, and what to do.
#[derive(Debug)]
pub(super) struct NotRemoved {
    pub(super) lab: String,
    pub(super) errors: Vec<String>,
}

impl fmt::Display for NotRemoved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            write!(f, "{e}; ")?;
        }
        write!(
            f,
            "lab {} was not removed completely; run `nslab down {}` again",
            self.lab, self.lab
        )
    }
}

impl StdError for NotRemoved {}
