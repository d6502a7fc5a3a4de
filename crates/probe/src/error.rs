//! Error types: [`Error`] for setting things up (namespaces, sockets,
//! listeners), [`ProbeError`] for the outcome of one TCP/UDP/HTTP probe.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::service::Proto;

/// Failure to set up a responder, a ping socket or a capture.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `setns(CLONE_NEWNET)` (or the thread that does it) failed.
    #[error("cannot enter the network namespace")]
    Netns(#[source] io::Error),
    /// A socket call failed; `op` names the call and its object.
    #[error("{op}")]
    Socket {
        op: &'static str,
        #[source]
        source: io::Error,
    },
    /// A service listener could not be bound.
    #[error("cannot listen on {proto}/{port}")]
    Bind {
        proto: Proto,
        port: u16,
        #[source]
        source: io::Error,
    },
    /// A worker thread could not be started.
    #[error("cannot start a {what} thread")]
    Thread {
        what: &'static str,
        #[source]
        source: io::Error,
    },
    /// A responder thread ended although nothing asked it to.
    #[error("the {proto} responder on {addr} stopped: {reason}")]
    ResponderStopped {
        proto: Proto,
        addr: SocketAddr,
        reason: String,
    },
    /// No interface of that name in the namespace.
    #[error("no interface {name:?} in this namespace")]
    NoSuchInterface { name: String },
}

impl Error {
    /// An error of an interface call on `name`: `ENODEV` is
    /// [`Error::NoSuchInterface`], anything else a socket error.
    pub(crate) fn interface(name: &str) -> impl FnOnce(io::Error) -> Self + '_ {
        move |e| {
            if e.raw_os_error() == Some(libc::ENODEV) {
                Error::NoSuchInterface {
                    name: name.to_string(),
                }
            } else {
                Error::Socket {
                    op: "interface ioctl",
                    source: e,
                }
            }
        }
    }

    /// A failure to run on a thread inside the namespace
    /// (`nslab_sys::netns::run_in`).
    pub(crate) fn netns(e: nslab_sys::Error) -> Self {
        Error::Netns(e.into())
    }

    pub(crate) fn socket(op: &'static str) -> impl FnOnce(io::Error) -> Self {
        move |source| Error::Socket { op, source }
    }
}

/// Why a TCP, UDP or HTTP probe got no usable answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// Nothing came back in time (packets dropped, or a silent peer).
    #[error("timed out after {}", fmt_duration(*after))]
    Timeout { after: Duration },
    /// The peer's kernel answered with a TCP RST or an ICMP port
    /// unreachable: the address is reachable but nothing listens there.
    #[error("connection refused")]
    Refused,
    /// The kernel or a router reported the destination unreachable
    /// (`Network is unreachable`, `No route to host`, ...).
    #[error("{0}")]
    Unreachable(String),
    /// Something answered, but not in the expected form.
    #[error("bad reply: {0}")]
    BadReply(String),
    /// Entering the namespace or another local step failed.
    #[error(transparent)]
    Setup(#[from] Error),
    /// Any other socket error, with the call that returned it.
    #[error("{op}: {source}")]
    Os {
        op: &'static str,
        #[source]
        source: io::Error,
    },
}

/// `1.234ms`, `2.0s`: how durations appear in messages.
pub fn fmt_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.3}ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// The kernel's text for an errno, without Rust's "(os error N)" suffix.
pub(crate) fn os_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => e.to_string(),
    }
}

/// Sorts a socket error from a probe into the [`ProbeError`] kinds.
pub(crate) fn classify_io(op: &'static str, e: io::Error, timeout: Duration) -> ProbeError {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => return ProbeError::Refused,
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            return ProbeError::Timeout { after: timeout }
        }
        _ => {}
    }
    match e.raw_os_error() {
        Some(code) if is_network_refusal(code) => ProbeError::Unreachable(os_text(&e)),
        _ => ProbeError::Os { op, source: e },
    }
}

/// Errors with which the local kernel refuses to send because of the
/// network as configured — no route, no neighbour, a firewall rule that
/// drops or rejects locally — as opposed to a probe that could not be made
/// at all. A negative check counts the first kind as "no answer".
pub fn is_network_refusal(errno: i32) -> bool {
    use nix::errno::Errno;
    matches!(
        Errno::from_raw(errno),
        Errno::ENETUNREACH
            | Errno::EHOSTUNREACH
            | Errno::EHOSTDOWN
            | Errno::ENONET
            | Errno::EADDRNOTAVAIL
            | Errno::EACCES
            | Errno::EPERM
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_errors_are_sorted_by_kind() {
        let t = Duration::from_secs(1);
        let refused = io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert!(matches!(classify_io("x", refused, t), ProbeError::Refused));
        let again = io::Error::from_raw_os_error(libc::EAGAIN);
        assert!(matches!(
            classify_io("x", again, t),
            ProbeError::Timeout { after } if after == t
        ));
        let unreach = io::Error::from_raw_os_error(libc::ENETUNREACH);
        match classify_io("x", unreach, t) {
            ProbeError::Unreachable(text) => assert_eq!(text, "Network is unreachable"),
            other => panic!("{other:?}"),
        }
        let nohost = io::Error::from_raw_os_error(libc::EHOSTUNREACH);
        match classify_io("x", nohost, t) {
            ProbeError::Unreachable(text) => assert_eq!(text, "No route to host"),
            other => panic!("{other:?}"),
        }
        let reset = io::Error::from_raw_os_error(libc::ECONNRESET);
        assert!(matches!(
            classify_io("read", reset, t),
            ProbeError::Os { op: "read", .. }
        ));
    }

    #[test]
    fn durations_print_in_ms_below_a_second() {
        assert_eq!(fmt_duration(Duration::from_micros(1500)), "1.500ms");
        assert_eq!(fmt_duration(Duration::from_millis(2500)), "2.5s");
    }
}
