//! Persistent TAP devices, made through `/dev/net/tun` as `ip tuntap add
//! mode tap` does.
//!
//! The device lands in the namespace of the thread that opens
//! `/dev/net/tun`, so call [`create_tap`] inside the target namespace
//! (`netns::run_in`). Removing a TAP device is an ordinary netlink
//! `RTM_DELLINK`.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;

use crate::Error;

/// Creates the persistent TAP device `name` (`IFF_TAP | IFF_NO_PI`) in the
/// calling thread's network namespace, owned by user `owner` when given
/// (so that user may attach to it without privileges). When a TAP device of
/// that name exists already, it is attached to and left persistent.
pub fn create_tap(name: &str, owner: Option<u32>) -> Result<(), Error> {
    check_ifname(name)?;
    let err = |op, source| Error::Tap {
        name: name.to_string(),
        op,
        source,
    };
    let tun = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open("/dev/net/tun")
        .map_err(|e| err("cannot open /dev/net/tun", e))?;
    let fd = tun.as_raw_fd();

    let mut req = crate::iface::ifreq_for(name).map_err(|e| err("interface name", e))?;
    req.ifr_ifru.ifru_flags = (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short;

    // SAFETY: `fd` is the open tun file; TUNSETIFF reads and writes an
    // `ifreq`, and `req` is one that lives across the call. The name is
    // NUL-terminated: at most 15 bytes were copied into 16 zeroed ones.
    if unsafe { libc::ioctl(fd, libc::TUNSETIFF, &mut req as *mut libc::ifreq) } < 0 {
        return Err(err("TUNSETIFF", io::Error::last_os_error()));
    }
    if let Some(uid) = owner {
        // SAFETY: TUNSETOWNER takes the uid as the integer argument itself.
        if unsafe { libc::ioctl(fd, libc::TUNSETOWNER, libc::c_ulong::from(uid)) } < 0 {
            return Err(err("TUNSETOWNER", io::Error::last_os_error()));
        }
    }
    // SAFETY: TUNSETPERSIST takes 0 or 1 as the integer argument itself.
    if unsafe { libc::ioctl(fd, libc::TUNSETPERSIST, 1 as libc::c_ulong) } < 0 {
        return Err(err("TUNSETPERSIST", io::Error::last_os_error()));
    }
    // Closing `tun` leaves the device in place: it is persistent.
    Ok(())
}

/// The kernel's `dev_valid_name`: 1 to 15 bytes, not `.` or `..`, no `/`,
/// `:` or white space.
fn check_ifname(name: &str) -> Result<(), Error> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > 15 {
        "it is longer than 15 bytes"
    } else if name == "." || name == ".." {
        "`.` and `..` are not names"
    } else if name
        .chars()
        .any(|c| c == '/' || c == ':' || c == '\0' || c.is_whitespace())
    {
        "it contains `/`, `:`, NUL or white space"
    } else {
        return Ok(());
    };
    Err(Error::InvalidName {
        what: "interface",
        name: name.to_string(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_follow_the_kernel_rules() {
        for bad in ["", ".", "..", "a/b", "a:b", "a b", "sixteen-bytes-xx"] {
            assert!(
                matches!(check_ifname(bad), Err(Error::InvalidName { .. })),
                "{bad:?}"
            );
        }
        assert!(check_ifname("tap0").is_ok());
        assert!(check_ifname("fifteen-bytes-x").is_ok());
    }
}
