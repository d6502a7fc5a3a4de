//! Packet capture on one interface inside a namespace (`nslab capture`):
//! an `AF_PACKET` socket bound to the interface ([`Capture`]; VLAN tags,
//! which the kernel reports beside a frame, put back in it), one-line
//! summaries ([`summary`], [`dns`]), which frames to keep ([`filter`]),
//! the header walk both share (`layers`) and the pcap file format
//! ([`pcap`]).

pub mod dns;
pub mod filter;
mod layers;
pub mod pcap;
pub mod summary;

#[cfg(test)]
#[path = "fixtures_tests.rs"]
mod fixtures;

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, SystemTime};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    recvmsg, socket, AddressFamily, ControlMessageOwned, LinkAddr, MsgFlags, SockFlag,
    SockProtocol, SockType,
};

use crate::netns::in_netns;
use crate::Error;

pub use filter::{Filter, Proto};
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
        iface::packet_auxdata(&fd)
            .map_err(Error::socket("PACKET_AUXDATA on the capture socket"))?;
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
            match self.recv() {
                Ok(Some(p)) => return Ok(Some(p)),
                Ok(None) => continue,
                Err(Errno::EAGAIN | Errno::EINTR) => {}
                Err(e) => return Err(Error::socket("recvmsg on the capture socket")(e.into())),
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

impl Capture {
    /// One frame, its VLAN tag put back; `None` for one to skip.
    fn recv(&mut self) -> Result<Option<Packet>, Errno> {
        let mut cmsg = nix::cmsg_space!(libc::tpacket_auxdata);
        let mut iov = [std::io::IoSliceMut::new(&mut self.buf)];
        let msg = recvmsg::<LinkAddr>(
            self.fd.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::empty(),
        )?;
        let outgoing = msg.address.is_some_and(|a| a.pkttype() == PACKET_OUTGOING);
        let mut tag = None;
        for c in msg.cmsgs()? {
            if let ControlMessageOwned::Unknown(u) = c {
                if u.cmsg_header.cmsg_level == libc::SOL_PACKET
                    && u.cmsg_header.cmsg_type == libc::PACKET_AUXDATA
                {
                    tag = vlan_of_auxdata(&u.data_bytes);
                }
            }
        }
        let n = msg.bytes;
        if outgoing && self.skip_outgoing {
            return Ok(None);
        }
        let mut data = self.buf[..n].to_vec();
        if let Some((tpid, tci)) = tag {
            data = with_tag(&data, tpid, tci);
        }
        Ok(Some(Packet {
            ts: SystemTime::now(),
            data,
            outgoing,
        }))
    }
}

/// The VLAN tag (TPID, TCI) a `struct tpacket_auxdata` reports, if any:
/// `tp_status` at 0, `tp_vlan_tci` at 16, `tp_vlan_tpid` at 18.
fn vlan_of_auxdata(aux: &[u8]) -> Option<(u16, u16)> {
    let u32_at = |at: usize| Some(u32::from_ne_bytes(aux.get(at..at + 4)?.try_into().ok()?));
    let u16_at = |at: usize| Some(u16::from_ne_bytes(aux.get(at..at + 2)?.try_into().ok()?));
    let status = u32_at(0)?;
    if status & libc::TP_STATUS_VLAN_VALID == 0 {
        return None;
    }
    let tpid = match u16_at(18)? {
        t if status & libc::TP_STATUS_VLAN_TPID_VALID != 0 && t != 0 => t,
        _ => 0x8100,
    };
    Some((tpid, u16_at(16)?))
}

/// `frame` with the tag inserted after its two addresses.
fn with_tag(frame: &[u8], tpid: u16, tci: u16) -> Vec<u8> {
    if frame.len() < 12 {
        return frame.to_vec();
    }
    let mut f = Vec::with_capacity(frame.len() + 4);
    f.extend_from_slice(&frame[..12]);
    f.extend_from_slice(&tpid.to_be_bytes());
    f.extend_from_slice(&tci.to_be_bytes());
    f.extend_from_slice(&frame[12..]);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aux(status: u32, tci: u16, tpid: u16) -> Vec<u8> {
        let mut a = status.to_ne_bytes().to_vec();
        a.extend_from_slice(&[0; 12]);
        a.extend_from_slice(&tci.to_ne_bytes());
        a.extend_from_slice(&tpid.to_ne_bytes());
        a
    }

    #[test]
    fn a_tag_reported_beside_the_frame_is_put_back() {
        let both = libc::TP_STATUS_VLAN_VALID | libc::TP_STATUS_VLAN_TPID_VALID;
        assert_eq!(vlan_of_auxdata(&aux(0, 10, 0x8100)), None);
        assert_eq!(vlan_of_auxdata(&aux(both, 10, 0x88a8)), Some((0x88a8, 10)));
        let old_kernel = libc::TP_STATUS_VLAN_VALID;
        assert_eq!(vlan_of_auxdata(&aux(old_kernel, 7, 0)), Some((0x8100, 7)));
        assert_eq!(vlan_of_auxdata(&aux(both, 7, 0)[..10]), None);
        let frame: Vec<u8> = (0..20).collect();
        let tagged = with_tag(&frame, 0x8100, 0x200a);
        assert_eq!(&tagged[..12], &frame[..12]);
        assert_eq!(&tagged[12..16], &[0x81, 0x00, 0x20, 0x0a]);
        assert_eq!(&tagged[16..], &frame[12..]);
        assert_eq!(
            summary::summarize(&with_tag(&[0; 14], 0x8100, 10)),
            "vlan 10, ethertype 0x0000, length 18"
        );
    }
}
