//! The error type of every function of this crate.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// What went wrong, with the name, path or key it concerns. `Display`
/// includes the operating system's words, so `to_string()` is a complete
/// message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A namespace, lab, file or interface name that cannot be used.
    #[error("invalid {what} name {name:?}: {reason}")]
    InvalidName {
        what: &'static str,
        name: String,
        reason: &'static str,
    },
    /// `create` found a namespace of that name (as `ip netns add` would).
    #[error("namespace {name} already exists")]
    NetnsExists { name: String },
    /// No namespace of that name under the namespace directory.
    #[error("namespace {name} does not exist")]
    NetnsNotFound { name: String },
    /// The file exists but no namespace is mounted on it.
    #[error("{} is not a network namespace (a leftover file? `ip netns del` removes it)", path.display())]
    NotNetns { path: PathBuf },
    /// A system call on a path failed.
    #[error("{op} {}: {source}", path.display())]
    Path {
        op: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// A system call that concerns no path failed.
    #[error("{op}: {source}")]
    Os { op: &'static str, source: io::Error },
    /// A sysctl key nslab does not accept (only `net.*`).
    #[error("sysctl {key}: {reason}")]
    SysctlKey { key: String, reason: &'static str },
    /// Reading or writing a sysctl failed.
    #[error("sysctl {key}: {source}")]
    Sysctl { key: String, source: io::Error },
    /// Creating a TAP device failed at `op`.
    #[error("tap {name}: {op}: {source}")]
    Tap {
        name: String,
        op: &'static str,
        source: io::Error,
    },
    /// A command line without a program.
    #[error("empty command line")]
    EmptyCommand,
    /// Another process held the lab's lock for longer than we waited.
    #[error("lab {lab} is locked by another nslab{} (waited {}s); try again when it is done", holder.map(|p| format!(" (pid {p})")).unwrap_or_default(), waited.as_secs())]
    Locked {
        lab: String,
        holder: Option<u32>,
        waited: Duration,
    },
}

impl Error {
    pub(crate) fn path(
        op: &'static str,
        path: impl Into<PathBuf>,
        source: impl Into<io::Error>,
    ) -> Self {
        Error::Path {
            op,
            path: path.into(),
            source: source.into(),
        }
    }

    pub(crate) fn os(op: &'static str, source: impl Into<io::Error>) -> Self {
        Error::Os {
            op,
            source: source.into(),
        }
    }
}

/// For callers whose own errors carry an `io::Error`: a failed system call
/// gives its OS error (the errno stays readable, the operation is lost), any
/// other error becomes an `io::Error` of kind `Other` with this message.
impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        match e {
            Error::Os { source, .. } | Error::Path { source, .. } => source,
            other => io::Error::other(other),
        }
    }
}

/// Names that become one path component: not empty, no `/` or NUL, not
/// `.` or `..` (the rules of iproute2's `is_valid_netns_name`), at most
/// `NAME_MAX` bytes.
pub(crate) fn check_component(what: &'static str, name: &str) -> Result<(), Error> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name == "." || name == ".." {
        "`.` and `..` are not names"
    } else if name.contains('/') {
        "it contains `/`"
    } else if name.contains('\0') {
        "it contains a NUL byte"
    } else if name.len() > 255 {
        "it is longer than 255 bytes"
    } else {
        return Ok(());
    };
    Err(Error::InvalidName {
        what,
        name: name.to_string(),
        reason,
    })
}

#[cfg(test)]
mod io_tests {
    use super::*;

    /// Callers that keep an `io::Error` (nslab-probe) still see the errno
    /// of a failed system call, and the whole message of anything else.
    #[test]
    fn into_io_keeps_the_errno_or_the_message() {
        let os = Error::os(
            "setns(CLONE_NEWNET)",
            io::Error::from_raw_os_error(libc::EPERM),
        );
        assert_eq!(io::Error::from(os).raw_os_error(), Some(libc::EPERM));
        let path = Error::path(
            "cannot open",
            "/x",
            io::Error::from_raw_os_error(libc::ENOENT),
        );
        assert_eq!(io::Error::from(path).raw_os_error(), Some(libc::ENOENT));
        let other = io::Error::from(Error::NetnsNotFound { name: "n1".into() });
        assert_eq!(other.kind(), io::ErrorKind::Other);
        assert_eq!(other.to_string(), "namespace n1 does not exist");
    }
}
