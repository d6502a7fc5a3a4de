//! Interfaces by name, and `AF_PACKET` socket settings: the few calls that
//! neither `nix` nor `std` wraps (the `SIOCGIFFLAGS`/`SIOCSIFFLAGS` ioctls,
//! `bind` to a `sockaddr_ll`, `PACKET_ADD_MEMBERSHIP`, `PACKET_AUXDATA`), for `nslab-probe`'s
//! capture and `set_link_up`, and the `ifreq` that [`crate::tap`] fills.
//!
//! Everything works in the calling thread's network namespace (run it
//! inside [`crate::netns::run_in`] for another one). These are thin system
//! call wrappers, so they return the OS error as it is: `ENODEV` for an
//! interface that does not exist — and for a name that cannot be one
//! (empty, 16 bytes or more, NUL inside), as the kernel would say.

use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};

/// An `ifreq` with `ifr_name` set to `name` (NUL-terminated) and all else
/// zero; `ENODEV` when `name` cannot be an interface name.
pub(crate) fn ifreq_for(name: &str) -> io::Result<libc::ifreq> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= libc::IFNAMSIZ || bytes.contains(&0) {
        return Err(io::Error::from_raw_os_error(libc::ENODEV));
    }
    // SAFETY: ifreq is plain old data (a name array and a union of integers
    // and sockaddrs); all-zero bytes are a valid value of it.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    Ok(req)
}

/// A datagram socket to issue interface ioctls on.
fn ioctl_socket() -> io::Result<OwnedFd> {
    Ok(socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?)
}

/// The index of interface `name` (`if_nametoindex(3)`).
pub fn index(name: &str) -> io::Result<u32> {
    // Same answer as the ioctls for names that cannot be interface names.
    ifreq_for(name)?;
    Ok(nix::net::if_::if_nametoindex(name)?)
}

/// The `IFF_*` flags of interface `name` (`SIOCGIFFLAGS`).
pub fn flags(name: &str) -> io::Result<libc::c_short> {
    let sock = ioctl_socket()?;
    let mut req = ifreq_for(name)?;
    // SAFETY: SIOCGIFFLAGS reads ifr_name and writes ifr_flags inside the
    // ifreq we own and pass by pointer; the fd is a live socket.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: SIOCGIFFLAGS succeeded, so the flags member is the one set.
    Ok(unsafe { req.ifr_ifru.ifru_flags })
}

/// Sets or clears `IFF_UP` on interface `name` (`SIOCSIFFLAGS`, as
/// `ifconfig NAME up` does), keeping its other flags.
pub fn set_up(name: &str, up: bool) -> io::Result<()> {
    let flags = flags(name)?;
    let sock = ioctl_socket()?;
    let mut req = ifreq_for(name)?;
    let iff_up = libc::IFF_UP as libc::c_short;
    req.ifr_ifru.ifru_flags = if up { flags | iff_up } else { flags & !iff_up };
    // SAFETY: SIOCSIFFLAGS only reads ifr_name and ifr_flags from the ifreq
    // we own and pass by pointer; the fd is a live socket.
    let rc = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Binds the `AF_PACKET` socket `sock` to the interface of index `ifindex`
/// (all protocols).
pub fn bind_packet(sock: impl AsFd, ifindex: u32) -> io::Result<()> {
    let sll = libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: (libc::ETH_P_ALL as u16).to_be(),
        sll_ifindex: ifindex_c(ifindex)?,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 0,
        sll_addr: [0; 8],
    };
    // SAFETY: bind(2) reads exactly size_of::<sockaddr_ll>() bytes from the
    // live local `sll`, whose size we pass; the fd is borrowed for the call.
    let rc = unsafe {
        libc::bind(
            sock.as_fd().as_raw_fd(),
            std::ptr::addr_of!(sll).cast::<libc::sockaddr>(),
            std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Puts the interface of index `ifindex` in promiscuous mode for as long as
/// the `AF_PACKET` socket `sock` lives (`PACKET_MR_PROMISC`, as tcpdump
/// does).
pub fn packet_promisc(sock: impl AsFd, ifindex: u32) -> io::Result<()> {
    let mr = libc::packet_mreq {
        mr_ifindex: ifindex_c(ifindex)?,
        mr_type: libc::PACKET_MR_PROMISC as u16,
        mr_alen: 0,
        mr_address: [0; 8],
    };
    // SAFETY: setsockopt(2) reads exactly size_of::<packet_mreq>() bytes
    // from the live local `mr`, whose size we pass; the fd is borrowed.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_fd().as_raw_fd(),
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

/// Asks for a `PACKET_AUXDATA` control message with every frame the
/// `AF_PACKET` socket `sock` receives: the kernel keeps a frame's VLAN tag
/// out of its bytes (in `skb->vlan_tci`) and reports it only there, so a
/// capture puts it back as libpcap does.
pub fn packet_auxdata(sock: impl AsFd) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: setsockopt(2) reads exactly size_of::<c_int>() bytes from
    // the live local `on`, whose size we pass; the fd is borrowed.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_fd().as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_AUXDATA,
            std::ptr::addr_of!(on).cast::<libc::c_void>(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn ifindex_c(ifindex: u32) -> io::Result<libc::c_int> {
    libc::c_int::try_from(ifindex).map_err(|_| io::Error::from_raw_os_error(libc::ENODEV))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_cannot_be_interfaces_are_enodev() {
        for bad in ["", "sixteen-bytes-xx", "a\0b"] {
            for r in [
                index(bad).map(drop),
                flags(bad).map(drop),
                set_up(bad, true),
            ] {
                assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::ENODEV), "{bad:?}");
            }
        }
    }

    #[test]
    fn lo_has_index_1_and_is_a_loopback() {
        // Every network namespace has its `lo` first.
        assert_eq!(index("lo").unwrap(), 1);
        assert_ne!(
            flags("lo").unwrap() & libc::IFF_LOOPBACK as libc::c_short,
            0
        );
        let missing = flags("nslab-none0").unwrap_err();
        assert_eq!(missing.raw_os_error(), Some(libc::ENODEV));
    }
}
