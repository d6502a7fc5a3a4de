//! Helpers for kernel tests of the crates below nslab (`nslab-netlink`,
//! `nslab-nft`): a scratch network namespace per test, on a thread of its
//! own, so the host's namespace is never touched. Behind the `testing`
//! feature; those crates take `nslab-sys` as a dev-dependency with it.
//!
//! Tests that need mounts (a private `/run`) use [`crate::sandbox`].

use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use crate::netns;

/// Whether the effective uid is 0.
pub fn is_root() -> bool {
    crate::sandbox::is_root()
}

/// Runs `f` on a new thread inside a fresh network namespace (only a down
/// `lo`) and returns what it returned; the namespace goes away with the
/// last socket opened in it. Fails the test without root: a silent pass
/// would claim what never ran.
pub fn in_new_netns<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    assert!(
        is_root(),
        "kernel tests need root: run them as root (they stay in namespaces of their own)"
    );
    let ns = new_netns();
    netns::run_in(ns.as_fd(), f).expect("enter the scratch namespace")
}

/// A fresh network namespace, kept alive by the returned fd
/// ([`netns::scratch`]).
pub fn new_netns() -> OwnedFd {
    netns::scratch().expect("unshare a scratch network namespace")
}

/// The calling thread's network namespace.
pub fn own_netns() -> OwnedFd {
    netns::current().expect("open /proc/thread-self/ns/net")
}

/// The path of the calling thread's network namespace that other processes
/// can open (`/proc/<pid>/task/<tid>/ns/net`), e.g. for `nsenter --net=`.
pub fn thread_netns_path() -> PathBuf {
    PathBuf::from(format!(
        "/proc/{}/task/{}/ns/net",
        std::process::id(),
        nix::unistd::gettid()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn ino(p: impl AsRef<std::path::Path>) -> u64 {
        std::fs::metadata(p).map(|m| m.ino()).unwrap()
    }

    #[test]
    fn in_new_netns_runs_elsewhere_and_thread_netns_path_names_it() {
        let here = ino("/proc/thread-self/ns/net");
        let (inside, by_path) =
            in_new_netns(|| (ino("/proc/thread-self/ns/net"), ino(thread_netns_path())));
        assert_ne!(inside, here);
        assert_eq!(inside, by_path);
        assert_eq!(ino("/proc/thread-self/ns/net"), here);
    }
}
