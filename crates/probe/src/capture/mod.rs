//! Packet capture on one interface inside a namespace (`nslab capture`):
//! an `AF_PACKET` socket bound to the interface ([`Capture`]), one-line
//! summaries ([`summary`]) and the pcap file format ([`pcap`]).

pub mod pcap;
pub mod summary;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, SystemTime};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    recvfrom, socket, AddressFamily, LinkAddr, SockFlag, SockProtocol, SockType,
};

use crate::netns::in_netns;
use crate::Error;

pub use pcap::PcapWriter;
pub use summary::summarize;

/// `sll_pkttype` of a frame this host sent (linux/if_packet.h).
const PACKET_OUTGOING: u8 = 4;
const BUF_LEN: usize = 256 * 1024;

/// One captured frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub ts: SystemTime,
    /// The Ethernet frame.
    pub data: Vec<u8>,
    /// True for frames the node sent, false for frames it received.
    pub outgoing: bool,
}

/// An open capture on one interface.
pub struct Capture {
    fd: OwnedFd,
    /// On a loopback device every frame is seen leaving and arriving;
    /// like libpcap, keep only the arrival.
    skip_outgoing: bool,
    buf: Vec<u8>,
}

impl Capture {
    /// Starts capturing on interface `ifname` of namespace `ns`.
    pub fn open(ns: BorrowedFd<'_>, ifname: &str) -> Result<Capture, Error> {
        in_netns(ns, || Capture::open_here(ifname)).map_err(Error::netns)?
    }

    /// [`Capture::open`] in the calling thread's namespace.
    pub fn open_here(ifname: &str) -> Result<Capture, Error> {
        use nslab_sys::iface;
        let index = iface::index(ifname).map_err(Error::interface(ifname))?;
        let flags = iface::flags(ifname).map_err(Error::interface(ifname))?;
        let loopback = flags & libc::IFF_LOOPBACK as libc::c_short != 0;
        let fd = socket(
            AddressFamily::Packet,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
            SockProtocol::EthAll,
        )
        .map_err(|e| Error::socket("socket(AF_PACKET)")(e.into()))?;
        iface::bind_packet(&fd, index)
            .map_err(Error::socket("bind AF_PACKET socket to the interface"))?;
        iface::packet_promisc(&fd, index)
            .map_err(Error::socket("promiscuous mode on the interface"))?;
        Ok(Capture {
            fd,
            skip_outgoing: loopback,
            buf: vec![0; BUF_LEN],
        })
    }

    /// The next frame, or `None` when `timeout` passes first (`None`
    /// timeout: wait forever).
    pub fn next_packet(&mut self, timeout: Option<Duration>) -> Result<Option<Packet>, Error> {
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        loop {
            match recvfrom::<LinkAddr>(self.fd.as_raw_fd(), &mut self.buf) {
                Ok((n, addr)) => {
                    let outgoing = addr.is_some_and(|a| a.pkttype() == PACKET_OUTGOING);
                    if outgoing && self.skip_outgoing {
                        continue;
                    }
                    return Ok(Some(Packet {
                        ts: SystemTime::now(),
                        data: self.buf[..n].to_vec(),
                        outgoing,
                    }));
                }
                Err(Errno::EAGAIN | Errno::EINTR) => {}
                Err(e) => return Err(Error::socket("recvfrom on the capture socket")(e.into())),
            }
            let wait = match deadline {
                None => PollTimeout::NONE,
                Some(d) => {
                    let left = d.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        return Ok(None);
                    }
                    PollTimeout::try_from(left.as_millis().saturating_add(1))
                        .unwrap_or(PollTimeout::MAX)
                }
            };
            let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, wait) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(Error::socket("poll on the capture socket")(e.into())),
            }
        }
    }
}
