//! Receiving many datagrams per syscall with `recvmmsg(2)`: the kernel
//! queues one datagram per ACK, so a batch of N requests would otherwise
//! cost N `recv` calls.

use std::io;
use std::os::fd::RawFd;

/// Bytes per datagram slot: capped ACKs (`NETLINK_CAP_ACK`) with their
/// extended-ack text are far smaller.
const SLOT: usize = 8 * 1024;
/// Datagrams per call.
const SLOTS: usize = 32;

/// Buffers for one `recvmmsg` call and what it received.
pub(crate) struct Datagrams {
    buf: Vec<u8>,
    lens: Vec<usize>,
    truncated: bool,
}

impl Datagrams {
    pub fn new() -> Datagrams {
        Datagrams {
            buf: vec![0; SLOT * SLOTS],
            lens: Vec::with_capacity(SLOTS),
            truncated: false,
        }
    }

    /// Blocks for at least one datagram, then takes whatever else is
    /// already queued (`MSG_WAITFORONE`), up to `SLOTS`.
    pub fn recv(&mut self, fd: RawFd) -> io::Result<()> {
        self.lens.clear();
        self.truncated = false;
        let mut iovs: Vec<libc::iovec> = self
            .buf
            .chunks_mut(SLOT)
            .map(|slot| libc::iovec {
                iov_base: slot.as_mut_ptr().cast(),
                iov_len: slot.len(),
            })
            .collect();
        // SAFETY: mmsghdr is plain old data; all-zero is a valid value
        // (no name, no control data, empty iovec) that we fill in below.
        let mut hdrs: Vec<libc::mmsghdr> = vec![unsafe { std::mem::zeroed() }; iovs.len()];
        for (hdr, iov) in hdrs.iter_mut().zip(iovs.iter_mut()) {
            hdr.msg_hdr.msg_iov = iov;
            hdr.msg_hdr.msg_iovlen = 1;
        }
        let n = loop {
            // SAFETY: `hdrs` holds `hdrs.len()` initialised headers whose
            // single iovecs point into `self.buf` slots that outlive the
            // call and do not overlap; a null timeout means none.
            let n = unsafe {
                libc::recvmmsg(
                    fd,
                    hdrs.as_mut_ptr(),
                    hdrs.len() as libc::c_uint,
                    libc::MSG_WAITFORONE,
                    std::ptr::null_mut(),
                )
            };
            if n >= 0 {
                break n as usize;
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        };
        for hdr in &hdrs[..n] {
            self.truncated |= hdr.msg_hdr.msg_flags & libc::MSG_TRUNC != 0;
            self.lens.push((hdr.msg_len as usize).min(SLOT));
        }
        Ok(())
    }

    /// Whether a datagram did not fit its slot (its tail is lost).
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The datagrams received by the last `recv`.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.buf
            .chunks(SLOT)
            .zip(&self.lens)
            .map(|(slot, &len)| &slot[..len])
    }
}
