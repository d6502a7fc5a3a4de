//! Receiving many datagrams per syscall with `recvmmsg(2)`: the kernel
//! queues one datagram per ACK, so a batch of N requests would otherwise
//! cost N `recv` calls.

use std::io::{self, IoSliceMut};
use std::os::fd::RawFd;

use nix::errno::Errno;
use nix::sys::socket::{recvmmsg, MsgFlags, MultiHeaders};

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
    /// Room for up to `SLOTS` datagrams per call.
    #[cfg(test)]
    pub fn new() -> Datagrams {
        Datagrams::for_up_to(SLOTS)
    }

    /// Room for `expected` datagrams per call (at least one, at most
    /// `SLOTS`): a request or two, the common case, zeroes 8 KiB, not
    /// 256 KiB.
    pub fn for_up_to(expected: usize) -> Datagrams {
        let slots = expected.clamp(1, SLOTS);
        Datagrams {
            buf: vec![0; SLOT * slots],
            lens: Vec::with_capacity(slots),
            truncated: false,
        }
    }

    fn slots(&self) -> usize {
        self.buf.len() / SLOT
    }

    /// Blocks for at least one datagram, then takes whatever else is
    /// already queued (`MSG_WAITFORONE`), up to the slots it has.
    pub fn recv(&mut self, fd: RawFd) -> io::Result<()> {
        self.lens.clear();
        self.truncated = false;
        loop {
            // One header and one iovec per slot; no addresses, no control
            // data.
            let mut headers = MultiHeaders::<()>::preallocate(self.slots(), None);
            let mut iovs: Vec<[IoSliceMut<'_>; 1]> = self
                .buf
                .chunks_mut(SLOT)
                .map(|slot| [IoSliceMut::new(slot)])
                .collect();
            match recvmmsg(
                fd,
                &mut headers,
                iovs.iter_mut(),
                MsgFlags::MSG_WAITFORONE,
                None,
            ) {
                Ok(received) => {
                    for msg in received {
                        self.truncated |= msg.flags.contains(MsgFlags::MSG_TRUNC);
                        self.lens.push(msg.bytes.min(SLOT));
                    }
                    return Ok(());
                }
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::socket::{send, socketpair, AddressFamily, MsgFlags, SockFlag, SockType};
    use std::os::fd::AsRawFd;

    /// Every queued datagram in one call, each in its own slot, and a
    /// datagram longer than a slot is cut and reported.
    #[test]
    fn recv_takes_all_queued_datagrams_and_reports_truncation() {
        let (a, b) = socketpair(
            AddressFamily::Unix,
            SockType::Datagram,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .unwrap();
        let big = vec![7u8; SLOT + 100];
        for d in [&b"one"[..], &b""[..], &b"three"[..]] {
            send(a.as_raw_fd(), d, MsgFlags::empty()).unwrap();
        }
        let mut dg = Datagrams::new();
        dg.recv(b.as_raw_fd()).unwrap();
        let got: Vec<&[u8]> = dg.iter().collect();
        assert_eq!(got, vec![&b"one"[..], &b""[..], &b"three"[..]]);
        assert!(!dg.truncated());

        send(a.as_raw_fd(), &big, MsgFlags::empty()).unwrap();
        send(a.as_raw_fd(), b"after", MsgFlags::empty()).unwrap();
        dg.recv(b.as_raw_fd()).unwrap();
        let got: Vec<&[u8]> = dg.iter().collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], &big[..SLOT]);
        assert_eq!(got[1], b"after");
        assert!(dg.truncated());

        // Fewer slots than datagrams: one call per slot-full.
        let mut two = Datagrams::for_up_to(2);
        for d in [&b"a"[..], b"b", b"c"] {
            send(a.as_raw_fd(), d, MsgFlags::empty()).unwrap();
        }
        two.recv(b.as_raw_fd()).unwrap();
        assert_eq!(two.iter().collect::<Vec<_>>(), vec![&b"a"[..], b"b"]);
        two.recv(b.as_raw_fd()).unwrap();
        assert_eq!(two.iter().collect::<Vec<_>>(), vec![&b"c"[..]]);

        // More than SLOTS queued: the first SLOTS now, the rest next time.
        for i in 0..SLOTS + 3 {
            send(a.as_raw_fd(), &[i as u8], MsgFlags::empty()).unwrap();
        }
        dg.recv(b.as_raw_fd()).unwrap();
        assert_eq!(dg.iter().count(), SLOTS);
        assert!(!dg.truncated());
        dg.recv(b.as_raw_fd()).unwrap();
        let rest: Vec<u8> = dg.iter().map(|d| d[0]).collect();
        assert_eq!(rest, vec![SLOTS as u8, SLOTS as u8 + 1, SLOTS as u8 + 2]);
    }
}
