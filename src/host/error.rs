//! What went wrong in the host, kept as data: the kernel's errno travels
//! up inside [`Cause`] (never flattened to text half-way), so callers
//! decide on `errno()`, not on words; `Display` gives the kernel's words.

use crate::plan::Op;
use nslab_netlink as nl;
use std::fmt;
use std::sync::Arc;

/// Why an operation failed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Cause {
    /// The kernel refused a netlink request (its errno, its extended-ack
    /// words).
    Netlink(Box<nl::Error>),
    /// nf_tables refused a batch, or could not be asked.
    Nft(Arc<nslab_nft::Error>),
    /// A system call (namespace files, `setns`, a sysctl, a tap) failed.
    Sys(Arc<nslab_sys::Error>),
    /// An errno, with what it concerns (the in-memory host's answers, and
    /// system calls made here directly).
    Errno { errno: i32, about: Option<String> },
    /// nslab will not do it as asked; no system call failed.
    Refused(String),
    /// `cause`, met while doing `what` ("restoring eth1").
    While { what: String, cause: Box<Cause> },
    /// `cause`, and what the user can do about it (load a module).
    Hint { cause: Box<Cause>, hint: String },
}

impl Cause {
    /// The errno behind it (positive, `libc::EEXIST`...), if one is.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Cause::Netlink(e) => Some(e.errno()),
            Cause::Nft(e) => e.errno(),
            Cause::Sys(e) => sys_errno(e),
            Cause::Errno { errno, .. } => Some(*errno),
            Cause::Refused(_) => None,
            Cause::While { cause, .. } | Cause::Hint { cause, .. } => cause.errno(),
        }
    }

    pub fn errno_of(errno: i32) -> Cause {
        Cause::Errno { errno, about: None }
    }

    pub fn errno_about(errno: i32, about: impl Into<String>) -> Cause {
        Cause::Errno {
            errno,
            about: Some(about.into()),
        }
    }

    pub fn while_(self, what: impl Into<String>) -> Cause {
        Cause::While {
            what: what.into(),
            cause: Box::new(self),
        }
    }

    pub fn hint(self, hint: impl Into<String>) -> Cause {
        Cause::Hint {
            cause: Box::new(self),
            hint: hint.into(),
        }
    }
}

/// The errno of a system-call error of `nslab_sys`.
fn sys_errno(e: &nslab_sys::Error) -> Option<i32> {
    use nslab_sys::Error as E;
    match e {
        E::NetnsExists { .. } => Some(libc::EEXIST),
        E::NetnsNotFound { .. } => Some(libc::ENOENT),
        E::Path { source, .. }
        | E::Os { source, .. }
        | E::Sysctl { source, .. }
        | E::Tap { source, .. } => source.raw_os_error(),
        _ => None,
    }
}

/// The OS's words for an errno, without std's " (os error N)".
pub(crate) fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Netlink(e) => e.fmt(f),
            Cause::Nft(e) => e.fmt(f),
            Cause::Sys(e) => e.fmt(f),
            Cause::Errno { errno, about: None } => f.write_str(&strerror(*errno)),
            Cause::Errno {
                errno,
                about: Some(a),
            } => write!(f, "{} ({a})", strerror(*errno)),
            Cause::Refused(m) => f.write_str(m),
            Cause::While { what, cause } => write!(f, "{what}: {cause}"),
            Cause::Hint { cause, hint } => write!(f, "{cause}; {hint}"),
        }
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Cause::Netlink(e) => Some(e.as_ref()),
            Cause::Nft(e) => Some(e.as_ref()),
            Cause::Sys(e) => Some(e.as_ref()),
            Cause::While { cause, .. } | Cause::Hint { cause, .. } => Some(cause.as_ref()),
            Cause::Errno { .. } | Cause::Refused(_) => None,
        }
    }
}

impl From<nl::Error> for Cause {
    fn from(e: nl::Error) -> Cause {
        Cause::Netlink(Box::new(e))
    }
}

impl From<nslab_nft::Error> for Cause {
    fn from(e: nslab_nft::Error) -> Cause {
        Cause::Nft(Arc::new(e))
    }
}

impl From<nslab_sys::Error> for Cause {
    fn from(e: nslab_sys::Error) -> Cause {
        Cause::Sys(Arc::new(e))
    }
}

impl From<nslab_sys::etc_netns::HostsError> for Cause {
    fn from(e: nslab_sys::etc_netns::HostsError) -> Cause {
        match e {
            nslab_sys::etc_netns::HostsError::Sys(e) => e.into(),
            foreign => Cause::Refused(foreign.to_string()),
        }
    }
}

impl From<nix::errno::Errno> for Cause {
    fn from(e: nix::errno::Errno) -> Cause {
        Cause::errno_of(e as i32)
    }
}

/// An operation the kernel refused, in its own words.
#[derive(Debug, Clone)]
pub struct OpError {
    /// What was being done, as an `ip`-like line.
    pub op: String,
    pub node: String,
    /// Why, with the kernel's errno.
    pub cause: Cause,
    /// The parts of the operation (its requests, as `ip`-like lines) that
    /// took effect although it failed as a whole: until they are undone,
    /// the kernel is not as before the operation. Empty: nothing did.
    pub took_effect: Vec<String>,
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` failed in node {}: {}",
            self.op, self.node, self.cause
        )?;
        if !self.took_effect.is_empty() {
            let parts: Vec<String> = self.took_effect.iter().map(|p| format!("`{p}`")).collect();
            write!(f, " (of it, {} took effect)", parts.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for OpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

impl OpError {
    /// `op` failed, and nothing of it took effect.
    pub fn new(op: &Op, cause: impl Into<Cause>) -> OpError {
        OpError::at(op.to_string(), op.node(), cause)
    }

    /// What failed is no planned operation: `op` says what it was.
    pub fn at(op: impl Into<String>, node: impl Into<String>, cause: impl Into<Cause>) -> OpError {
        OpError {
            op: op.into(),
            node: node.into(),
            cause: cause.into(),
            took_effect: Vec::new(),
        }
    }

    /// The kernel's errno, if one is behind the failure.
    pub fn errno(&self) -> Option<i32> {
        self.cause.errno()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's errno reaches the top, and the words read as they did
    /// when they were a string.
    #[test]
    fn the_errno_travels_with_the_words() {
        let nl = nl::Error::kernel(nl::Op::NewLink, libc::EEXIST, Some("exists".into()));
        let e = OpError::at("ip link add x type bridge", "n1", nl.clone());
        assert_eq!(e.errno(), Some(libc::EEXIST));
        assert_eq!(e.cause.errno(), Some(libc::EEXIST));
        assert_eq!(
            e.to_string(),
            "`ip link add x type bridge` failed in node n1: File exists (kernel: \"exists\")"
        );
        let inner = std::error::Error::source(&e)
            .and_then(std::error::Error::source)
            .and_then(|s| s.downcast_ref::<nl::Error>());
        assert_eq!(inner, Some(&nl));
        let wrapped = Cause::from(nl).while_("restoring eth1").hint("do this");
        assert_eq!(wrapped.errno(), Some(libc::EEXIST));
        assert_eq!(
            wrapped.to_string(),
            "restoring eth1: File exists (kernel: \"exists\"); do this"
        );
        let sys = Cause::from(nslab_sys::Error::NetnsNotFound { name: "x".into() });
        assert_eq!(sys.errno(), Some(libc::ENOENT));
        assert_eq!(Cause::Refused("no".into()).errno(), None);
    }
}
