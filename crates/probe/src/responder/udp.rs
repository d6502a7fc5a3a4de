//! Answering UDP datagrams with the line, sent from the address the
//! datagram was sent to (so a client's connected socket accepts it even on
//! a node with several addresses).

use std::io::{self, IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;
use std::thread;

use nix::errno::Errno;
use nix::sys::socket::{
    recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags, SockaddrStorage,
};

use super::{wait_readable, BACKOFF};
use crate::reply::{first_line, format_line, parse_reply};

/// The local address a datagram arrived on, as the kernel reported it.
enum Arrival {
    V6(libc::in6_pktinfo),
    V4(libc::in_pktinfo),
    Unknown,
}

pub(super) fn serve(sock: UdpSocket, label: Arc<str>, stop: Arc<OwnedFd>) -> io::Result<()> {
    sock.set_nonblocking(true)?;
    let mut buf = vec![0u8; 65536];
    let mut cmsg = nix::cmsg_space!(libc::in6_pktinfo, libc::in_pktinfo);
    loop {
        if !wait_readable(sock.as_fd(), &stop)? {
            return Ok(());
        }
        let (len, peer, arrival) = {
            let mut iov = [IoSliceMut::new(&mut buf)];
            let msg = match recvmsg::<SockaddrStorage>(
                sock.as_raw_fd(),
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::empty(),
            ) {
                Ok(msg) => msg,
                Err(Errno::EAGAIN | Errno::EINTR) => continue,
                // ICMP errors for earlier answers; not ours to handle.
                Err(Errno::ECONNREFUSED | Errno::EHOSTUNREACH | Errno::ENETUNREACH) => continue,
                Err(Errno::ENOBUFS | Errno::ENOMEM) => {
                    thread::sleep(BACKOFF);
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let mut arrival = Arrival::Unknown;
            if let Ok(cmsgs) = msg.cmsgs() {
                for c in cmsgs {
                    match c {
                        ControlMessageOwned::Ipv6PacketInfo(info) => arrival = Arrival::V6(info),
                        ControlMessageOwned::Ipv4PacketInfo(info) => arrival = Arrival::V4(info),
                        _ => {}
                    }
                }
            }
            (msg.bytes, msg.address.and_then(to_socket_addr), arrival)
        };
        let Some(peer) = peer else { continue };
        // Never answer another responder's line: two responders whose
        // answers reached each other would otherwise talk forever.
        if parse_reply(&first_line(&buf[..len])).is_some() {
            continue;
        }
        let line = format_line(&label, peer.ip());
        // Answers that cannot be sent (peer unreachable) are dropped, as
        // any UDP server would.
        let _ = reply(&sock, peer, line.as_bytes(), &arrival);
    }
}

fn to_socket_addr(s: SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = s.as_sockaddr_in() {
        return Some(SocketAddr::V4((*v4).into()));
    }
    s.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into()))
}

fn reply(sock: &UdpSocket, peer: SocketAddr, data: &[u8], arrival: &Arrival) -> io::Result<()> {
    let iov = [IoSlice::new(data)];
    let dst = SockaddrStorage::from(peer);
    let flags = MsgFlags::MSG_DONTWAIT;
    let fd = sock.as_raw_fd();
    // Source = where the datagram arrived; ifindex 0 lets routing pick the
    // way out. Falls back to a plain send when the kernel refuses it (for
    // example a broadcast destination as source).
    let sent = match arrival {
        Arrival::V6(info) => {
            let src = libc::in6_pktinfo {
                ipi6_addr: info.ipi6_addr,
                ipi6_ifindex: 0,
            };
            sendmsg(
                fd,
                &iov,
                &[ControlMessage::Ipv6PacketInfo(&src)],
                flags,
                Some(&dst),
            )
        }
        Arrival::V4(info) => {
            let src = libc::in_pktinfo {
                ipi_ifindex: 0,
                ipi_spec_dst: info.ipi_spec_dst,
                ipi_addr: info.ipi_addr,
            };
            sendmsg(
                fd,
                &iov,
                &[ControlMessage::Ipv4PacketInfo(&src)],
                flags,
                Some(&dst),
            )
        }
        _ => Err(Errno::EINVAL),
    };
    if sent.is_ok() {
        return Ok(());
    }
    sock.send_to(data, peer).map(drop)
}
