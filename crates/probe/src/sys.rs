//! The few calls that `nix` and `std` do not wrap; the only module with
//! `unsafe` code.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};

use crate::Error;

/// An `ifreq` with `name` filled in, or `NoSuchInterface` if the name
/// cannot be an interface name (empty, too long, NUL inside).
fn ifreq_for(name: &str) -> Result<libc::ifreq, Error> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(Error::NoSuchInterface {
            name: name.to_string(),
        });
    }
    // SAFETY: ifreq is plain old data (a name array and a union of
    // integers and sockaddrs); all-zero bytes are a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    Ok(req)
}

fn ioctl_socket() -> Result<OwnedFd, Error> {
    socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(|e| Error::socket("socket(AF_INET, SOCK_DGRAM) for ioctl")(e.into()))
}

fn no_such(name: &str) -> impl FnOnce(io::Error) -> Error + '_ {
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

/// The `IFF_*` flags of `name` in the calling thread's namespace.
pub(crate) fn if_flags(name: &str) -> Result<libc::c_short, Error> {
    let sock = ioctl_socket()?;
    let mut req = ifreq_for(name)?;
    // SAFETY: SIOCGIFFLAGS reads ifr_name and writes ifr_flags inside the
    // ifreq we own; the fd is a live socket.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) };
    if rc < 0 {
        return Err(no_such(name)(io::Error::last_os_error()));
    }
    // SAFETY: SIOCGIFFLAGS succeeded, so the flags member is the one set.
    Ok(unsafe { req.ifr_ifru.ifru_flags })
}

/// Sets or clears `IFF_UP` on `name` in the calling thread's namespace.
pub(crate) fn set_iff_up(name: &str, up: bool) -> Result<(), Error> {
    let flags = if_flags(name)?;
    let sock = ioctl_socket()?;
    let mut req = ifreq_for(name)?;
    let iff_up = libc::IFF_UP as libc::c_short;
    req.ifr_ifru.ifru_flags = if up { flags | iff_up } else { flags & !iff_up };
    // SAFETY: SIOCSIFFLAGS reads ifr_name and ifr_flags from our ifreq.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) };
    if rc < 0 {
        return Err(no_such(name)(io::Error::last_os_error()));
    }
    Ok(())
}

/// The index of interface `name` in the calling thread's namespace.
pub(crate) fn ifindex(name: &str) -> Result<i32, Error> {
    let sock = ioctl_socket()?;
    let mut req = ifreq_for(name)?;
    // SAFETY: SIOCGIFINDEX reads ifr_name and writes ifr_ifindex inside
    // the ifreq we own.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFINDEX, &mut req) };
    if rc < 0 {
        return Err(no_such(name)(io::Error::last_os_error()));
    }
    // SAFETY: SIOCGIFINDEX succeeded, so the ifindex member is the one set.
    Ok(unsafe { req.ifr_ifru.ifru_ifindex })
}

/// Binds an `AF_PACKET` socket to one interface (all protocols).
pub(crate) fn bind_packet(sock: &OwnedFd, ifindex: i32) -> io::Result<()> {
    // SAFETY: sockaddr_ll is plain old data; all-zero is valid.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = (libc::ETH_P_ALL as u16).to_be();
    sll.sll_ifindex = ifindex;
    // SAFETY: we pass a pointer to a live sockaddr_ll and its exact size.
    let rc = unsafe {
        libc::bind(
            sock.as_raw_fd(),
            std::ptr::addr_of!(sll).cast::<libc::sockaddr>(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Puts the interface in promiscuous mode for as long as the socket lives
/// (`PACKET_MR_PROMISC`, as tcpdump does): on a bridge this shows frames
/// bridged between its ports, not only those for the bridge itself.
pub(crate) fn packet_promisc(sock: &OwnedFd, ifindex: i32) -> io::Result<()> {
    // SAFETY: packet_mreq is plain old data; all-zero is valid.
    let mut mr: libc::packet_mreq = unsafe { std::mem::zeroed() };
    mr.mr_ifindex = ifindex;
    mr.mr_type = libc::PACKET_MR_PROMISC as u16;
    // SAFETY: we pass a pointer to a live packet_mreq and its exact size.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_ADD_MEMBERSHIP,
            std::ptr::addr_of!(mr).cast::<libc::c_void>(),
            std::mem::size_of::<libc::packet_mreq>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
