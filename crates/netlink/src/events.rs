//! Route events as the kernel announces them: a [`Watch`] is a route
//! socket that joined the multicast groups of links, IPv4/IPv6 addresses
//! and routes, and neighbours (`RTNLGRP_*`, uapi/linux/rtnetlink.h), so
//! every change in its namespace arrives as a message — no polling. Like
//! [`crate::Socket`], it belongs to the namespace of the thread that
//! opened it.

use std::os::fd::{AsFd, BorrowedFd};

use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::protocols::NETLINK_ROUTE;

use crate::decode;
use crate::error::{Error, Op};
use crate::neigh::{neighbour, Neighbour};
use crate::types::{Address, Link, Route};
use crate::wire::{self, Kind};

/// The groups a [`Watch`] joins: links, neighbours, IPv4 addresses and
/// routes, IPv6 addresses and routes.
const GROUPS: [libc::c_uint; 6] = [
    libc::RTNLGRP_LINK,
    libc::RTNLGRP_NEIGH,
    libc::RTNLGRP_IPV4_IFADDR,
    libc::RTNLGRP_IPV4_ROUTE,
    libc::RTNLGRP_IPV6_IFADDR,
    libc::RTNLGRP_IPV6_ROUTE,
];
/// Bytes per read: one multicast message is at most a page or two.
const BUF: usize = 64 * 1024;
/// `SO_RCVBUF(FORCE)`: room for bursts (a lab coming up) before the
/// kernel drops events (ENOBUFS).
const RCVBUF: usize = 4 << 20;

/// One change the kernel announced. `new` is false for a removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `RTM_NEWLINK` (created, or any of its state changed) / `RTM_DELLINK`.
    Link {
        new: bool,
        link: Link,
    },
    Address {
        new: bool,
        address: Address,
    },
    Route {
        new: bool,
        route: Route,
    },
    /// ARP/NDP entries and bridge FDB entries (a MAC learned on a port).
    Neighbour {
        new: bool,
        neighbour: Neighbour,
    },
    /// The kernel dropped events: the socket's buffer overflowed.
    Lost,
}

/// A route socket subscribed to [`GROUPS`].
pub struct Watch {
    sock: netlink_sys::Socket,
    buf: Vec<u8>,
}

impl Watch {
    /// Joins the groups in the calling thread's namespace.
    pub fn open() -> Result<Watch, Error> {
        let io = |e: std::io::Error| Error::io(Op::Watch, &e);
        let mut sock = netlink_sys::Socket::new(NETLINK_ROUTE).map_err(io)?;
        sock.bind_auto().map_err(io)?;
        for g in GROUPS {
            sock.add_membership(g).map_err(io)?;
        }
        sock.set_non_blocking(true).map_err(io)?;
        let force = nix::sys::socket::sockopt::RcvBufForce;
        if nix::sys::socket::setsockopt(&sock, force, &RCVBUF).is_err() {
            let _ = sock.set_rx_buf_sz(RCVBUF);
        }
        Ok(Watch {
            sock,
            buf: Vec::with_capacity(BUF),
        })
    }

    /// The events of one queued datagram; empty when none is queued
    /// (the socket does not block: wait for it to be readable first).
    pub fn read(&mut self) -> Result<Vec<Event>, Error> {
        self.buf.clear();
        match self.sock.recv(&mut self.buf, libc::MSG_TRUNC) {
            Ok(n) if n > self.buf.capacity() => Ok(vec![Event::Lost]),
            Ok(_) => Ok(events(&self.buf)),
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => Ok(vec![Event::Lost]),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::EINTR)) => Ok(vec![]),
            Err(e) => Err(Error::io(Op::Watch, &e)),
        }
    }
}

impl AsFd for Watch {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

/// The events in one datagram; messages that do not decode are skipped.
pub fn events(datagram: &[u8]) -> Vec<Event> {
    let mut out = Vec::new();
    for raw in wire::messages(datagram) {
        let Kind::Data(raw) = raw.kind() else {
            continue;
        };
        let Ok(msg) = raw.decode() else { continue };
        let ev = match msg {
            RouteNetlinkMessage::NewLink(l) => Some(link(true, &l)),
            RouteNetlinkMessage::DelLink(l) => Some(link(false, &l)),
            RouteNetlinkMessage::NewAddress(a) => address(true, &a),
            RouteNetlinkMessage::DelAddress(a) => address(false, &a),
            RouteNetlinkMessage::NewRoute(r) => route(true, &r),
            RouteNetlinkMessage::DelRoute(r) => route(false, &r),
            RouteNetlinkMessage::NewNeighbour(n) => neigh(true, &n),
            RouteNetlinkMessage::DelNeighbour(n) => neigh(false, &n),
            _ => None,
        };
        out.extend(ev);
    }
    out
}

fn link(new: bool, l: &netlink_packet_route::link::LinkMessage) -> Event {
    Event::Link {
        new,
        link: decode::link(l),
    }
}

fn address(new: bool, a: &netlink_packet_route::address::AddressMessage) -> Option<Event> {
    decode::address(a).map(|address| Event::Address { new, address })
}

fn route(new: bool, r: &netlink_packet_route::route::RouteMessage) -> Option<Event> {
    decode::route(r).map(|route| Event::Route { new, route })
}

fn neigh(new: bool, n: &netlink_packet_route::neighbour::NeighbourMessage) -> Option<Event> {
    neighbour(n).map(|neighbour| Event::Neighbour { new, neighbour })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{message, serialize};
    use netlink_packet_route::address::{AddressAttribute, AddressMessage};
    use netlink_packet_route::link::{LinkAttribute, LinkMessage};

    /// Two messages in one datagram, as the kernel may batch them, and a
    /// message of no interest in between: each wanted one is an event.
    #[test]
    fn a_datagram_gives_its_events_in_order() {
        let mut l = LinkMessage::default();
        l.header.index = 4;
        l.attributes.push(LinkAttribute::IfName("eth0".into()));
        let mut a = AddressMessage::default();
        a.header.family = netlink_packet_route::AddressFamily::Inet;
        a.header.index = 4;
        a.header.prefix_len = 24;
        a.attributes
            .push(AddressAttribute::Local("10.0.0.1".parse().unwrap()));
        let mut buf = Vec::new();
        let msgs = [
            RouteNetlinkMessage::DelLink(l),
            RouteNetlinkMessage::GetLink(LinkMessage::default()),
            RouteNetlinkMessage::NewAddress(a),
        ];
        for (i, m) in msgs.into_iter().enumerate() {
            serialize(&mut message(0, m), i as u32, &mut buf);
        }
        let evs = events(&buf);
        assert_eq!(evs.len(), 2, "{evs:?}");
        assert!(
            matches!(&evs[0], Event::Link { new: false, link } if link.name == "eth0" && link.index == 4)
        );
        assert!(matches!(&evs[1], Event::Address { new: true, address }
            if address.cidr.to_string() == "10.0.0.1/24"));
        // A cut datagram gives what fits, and no panic.
        for cut in 0..buf.len() {
            let _ = events(&buf[..cut]);
        }
    }
}
