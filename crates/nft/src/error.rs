//! Errors of this crate, carrying what failed as data.

use std::fmt;
use std::io;

use crate::batch::MsgKind;
use crate::validate::InvalidTable;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The table could not be encoded; nothing was sent.
    #[error(transparent)]
    Invalid(#[from] InvalidTable),
    #[error("opening a NETLINK_NETFILTER socket: {0}")]
    Open(#[source] io::Error),
    /// A send or receive on the socket failed.
    #[error("nf_tables socket, {op}: {source}")]
    Io {
        op: &'static str,
        #[source]
        source: io::Error,
    },
    /// The kernel refused a message of a batch; the whole batch was undone.
    #[error("{0}")]
    Rejected(Box<Rejection>),
    /// The kernel answered neither an error nor an ACK for a message.
    #[error(
        "nf_tables did not acknowledge {what} (seq {seq}); the batch may not have been applied"
    )]
    NoAck { seq: u32, what: String },
    /// A dump request (list tables, chains, rules) failed.
    #[error("nf_tables {request} dump failed: {}", io::Error::from_raw_os_error(*.errno))]
    Dump { request: &'static str, errno: i32 },
    #[error("malformed reply from nf_tables: {0}")]
    Malformed(&'static str),
}

/// Why and where the kernel refused a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Sequence number of the refused message.
    pub seq: u32,
    pub kind: MsgKind,
    /// Which table, chain or rule (see [`crate::BatchMsg::what`]).
    pub what: String,
    /// Positive errno (`EOPNOTSUPP`, `EINVAL`, ...).
    pub errno: i32,
    /// The kernel's extended-ACK text (`NLMSGERR_ATTR_MSG`), if it gave one.
    pub message: Option<String>,
    /// Offset of the offending attribute in the message
    /// (`NLMSGERR_ATTR_OFFS`), if the kernel pointed at one.
    pub bad_attr_offset: Option<u32>,
    /// Later messages refused too, often as a consequence (a rule of a
    /// refused chain): (seq, kind, errno).
    pub later: Vec<(u32, MsgKind, i32)>,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "nf_tables refused {} ({}, seq {}): {}",
            self.what,
            self.kind,
            self.seq,
            io::Error::from_raw_os_error(self.errno)
        )?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if let Some(o) = self.bad_attr_offset {
            write!(f, " (attribute at byte {o})")?;
        }
        if !self.later.is_empty() {
            write!(f, "; {} later message(s) refused too", self.later.len())?;
        }
        Ok(())
    }
}

impl Error {
    /// The errno the kernel answered, for a rejected batch or a failed dump.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Rejected(r) => Some(r.errno),
            Error::Dump { errno, .. } => Some(*errno),
            Error::Io { source, .. } | Error::Open(source) => source.raw_os_error(),
            _ => None,
        }
    }

    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Error::Rejected(r) => Some(r),
            _ => None,
        }
    }
}
