//! Socket options: buffer sizes and the receive timeout.

use nix::sys::socket::{setsockopt, sockopt};
use nix::sys::time::{TimeVal, TimeValLike};
use std::io;

/// Socket buffer sizes: as root the `*FORCE` option passes `rmem_max` /
/// `wmem_max`; otherwise the plain one, which the kernel caps. Best effort:
/// a too-small buffer shows up as an error of the send or of the ACKs.
pub(super) fn set_buf(sock: &netlink_sys::Socket, dir: Buf, size: usize) {
    // The kernel takes an int.
    let size = size.min(libc::c_int::MAX as usize);
    let _ = match dir {
        Buf::Rcv => setsockopt(sock, sockopt::RcvBufForce, &size)
            .or_else(|_| setsockopt(sock, sockopt::RcvBuf, &size)),
        Buf::Snd => setsockopt(sock, sockopt::SndBufForce, &size)
            .or_else(|_| setsockopt(sock, sockopt::SndBuf, &size)),
    };
}

/// Which buffer [`set_buf`] sizes.
#[derive(Clone, Copy)]
pub(super) enum Buf {
    Rcv,
    Snd,
}

/// A receive timeout so a dump never hangs forever.
pub(super) fn set_rcvtimeo(sock: &netlink_sys::Socket, secs: libc::time_t) -> io::Result<()> {
    Ok(setsockopt(
        sock,
        sockopt::ReceiveTimeout,
        &TimeVal::seconds(secs),
    )?)
}
