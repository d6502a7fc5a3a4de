//! Running code inside another network namespace.
//!
//! `setns(2)` switches only the calling thread, and a socket stays in the
//! namespace it was created in. So every entry point of this crate that
//! takes a namespace fd opens its sockets on a short-lived scoped thread
//! that first joined the namespace ([`in_netns`]); the sockets it returns
//! keep working from any thread afterwards.

use std::os::fd::BorrowedFd;

/// Runs `f` on a new thread that has joined the network namespace `ns`,
/// and returns its result; the caller's thread is not moved, a panic in `f`
/// is passed on. The one such helper of nslab: `nslab_sys::netns::run_in`.
pub use nslab_sys::netns::run_in as in_netns;

/// A new, empty network namespace (only a down `lo`) that lives as long as
/// the returned fd, for tests and scratch work: `nslab_sys::netns::scratch`.
pub use nslab_sys::netns::scratch as unshare_netns;

/// Sets or clears `IFF_UP` on the interface `name` in namespace `ns`
/// (the `SIOCSIFFLAGS` ioctl, as `ifconfig NAME up` does). Enough to bring
/// `lo` up in a fresh namespace without netlink.
pub fn set_link_up(ns: BorrowedFd<'_>, name: &str, up: bool) -> Result<(), crate::Error> {
    in_netns(ns, || nslab_sys::iface::set_up(name, up))
        .map_err(crate::Error::netns)?
        .map_err(crate::Error::interface(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::os::fd::AsFd;

    fn netns_inode(path: &str) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).unwrap().ino()
    }

    #[test]
    fn in_netns_runs_in_the_namespace_and_leaves_the_caller_alone() {
        let before = netns_inode("/proc/thread-self/ns/net");
        let ns = unshare_netns().unwrap();
        let inside = in_netns(ns.as_fd(), || netns_inode("/proc/thread-self/ns/net")).unwrap();
        let ns_ino = {
            use std::os::unix::fs::MetadataExt;
            File::from(ns.try_clone().unwrap())
                .metadata()
                .unwrap()
                .ino()
        };
        assert_eq!(inside, ns_ino);
        assert_ne!(inside, before);
        assert_eq!(netns_inode("/proc/thread-self/ns/net"), before);
    }

    #[test]
    fn set_link_up_on_missing_interface_names_it() {
        let ns = unshare_netns().unwrap();
        match set_link_up(ns.as_fd(), "nope0", true) {
            Err(crate::Error::NoSuchInterface { name }) => assert_eq!(name, "nope0"),
            other => panic!("{other:?}"),
        }
    }
}
