//! Small helpers; the namespaces come from `nslab_sys::testing`.

use std::net::IpAddr;
use std::os::fd::BorrowedFd;

use nslab_netlink::*;
pub use nslab_sys::testing::{in_new_netns, new_netns as other_netns, own_netns};

/// A socket opened inside the namespace `ns` (from a short-lived thread).
pub fn socket_in(ns: BorrowedFd) -> Socket {
    nslab_sys::netns::run_in(ns, || Socket::open().unwrap()).unwrap()
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
