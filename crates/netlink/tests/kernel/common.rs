//! Namespaces for tests, and small helpers.

use std::fs::File;
use std::net::IpAddr;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use nslab_netlink::*;

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Runs `f` on a new thread inside a fresh network namespace.
pub fn in_new_netns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    // Without root these tests cannot run; failing says so, where a silent
    // pass would claim they did.
    assert!(
        is_root(),
        "kernel tests need root: run them as root (they stay in namespaces of their own)"
    );
    let thread = std::thread::spawn(move || {
        // SAFETY: unshare only changes this thread's namespace membership.
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "unshare: {}", std::io::Error::last_os_error());
        f()
    });
    Some(thread.join().unwrap())
}

/// A second namespace, kept alive by the returned fd: another thread
/// unshares and hands back `/proc/thread-self/ns/net`.
pub fn other_netns() -> OwnedFd {
    std::thread::spawn(|| {
        // SAFETY: as above; the thread ends right after.
        let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
        assert_eq!(rc, 0);
        OwnedFd::from(File::open("/proc/thread-self/ns/net").unwrap())
    })
    .join()
    .unwrap()
}

/// A socket opened inside the namespace `ns` (from a short-lived thread).
pub fn socket_in(ns: BorrowedFd) -> Socket {
    let fd = ns.try_clone_to_owned().unwrap();
    std::thread::spawn(move || {
        // SAFETY: setns changes only this short-lived thread.
        let rc = unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0);
        Socket::open().unwrap()
    })
    .join()
    .unwrap()
}

pub fn own_netns() -> OwnedFd {
    OwnedFd::from(File::open("/proc/thread-self/ns/net").unwrap())
}

pub fn ok_all(results: Vec<Result<(), Error>>) {
    for (i, r) in results.into_iter().enumerate() {
        if let Err(e) = r {
            panic!("request {i} failed: {e} ({:?})", e.op());
        }
    }
}

pub fn by_name(links: &[Link], name: &str) -> Link {
    links
        .iter()
        .find(|l| l.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("no link {name}"))
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

pub const MAC0: [u8; 6] = [0x02, 0, 0, 0, 0, 0x10];
