//! nslab-netlink: a synchronous rtnetlink client for nslab, on top of
//! `netlink-sys` (the socket) and `netlink-packet-route` (the message
//! types). It knows nothing of topologies: it speaks names, `std::net`
//! addresses, ifindexes and namespace file descriptors.
//!
//! # Layout
//!
//! - [`types`]: plain descriptions of links, addresses and routes, and the
//!   [`Request`]s that change them.
//! - [`mod@encode`]: pure builders, request -> messages -> bytes (unit tested
//!   byte for byte against the uapi layouts, no root needed).
//! - [`decode`]: dump replies -> [`Link`], [`Address`], [`Route`].
//! - `kinds`: each [`DeviceKind`] on the wire, both ways (its
//!   `IFLA_LINKINFO` to make one, and what a dump says one is).
//! - [`tc`]: the root qdisc of an interface as a netem qdisc
//!   ([`Impair`]): its request bodies, its dump decoding and
//!   [`Socket::qdiscs`].
//! - [`bridge`]: bridges, their ageing time and ports' STP states
//!   ([`Socket::bridges`]).
//! - [`neigh`]: ARP/NDP entries and bridge forwarding databases
//!   ([`Socket::fdb`]).
//! - [`events`]: [`Watch`], a socket on the route multicast groups, and
//!   the [`Event`]s it reads (links, addresses, routes, neighbours).
//! - [`error`]: [`Error`] (errno, the kernel's extended-ack text, the
//!   operation) and the `NLMSG_ERROR`/`NLMSG_DONE` parser.
//! - `wire`: walking the messages of a received datagram; `mmsg`:
//!   receiving many datagrams (ACKs) per `recvmmsg`.
//! - `socket`: [`Socket`]: batching many requests per `sendmsg` with ACKs
//!   matched by sequence number, dumps with `NLM_F_DUMP_INTR` retry.
//!
//! A socket belongs to the network namespace of the thread that opened
//! it, forever: enter a namespace on a thread of your own, open the socket
//! there, go back, and use the socket from anywhere.
//!
//! No `unsafe`: socket options and `recvmmsg` go through `nix`.
#![forbid(unsafe_code)]

pub mod bridge;
pub mod decode;
pub mod encode;
pub mod error;
pub mod events;
mod kinds;
mod mmsg;
pub mod neigh;
mod socket;
pub mod tc;
pub mod types;
mod wire;

#[cfg(test)]
mod encode_tests;
#[cfg(test)]
mod tc_tests;
#[cfg(test)]
mod wire_tests;

pub use bridge::{BridgeDev, BridgePort};
pub use encode::{encode, messages, Message, Messages};
pub use error::{Error, Op};
pub use events::{Event, Watch};
pub use neigh::{NeighFamily, Neighbour};
pub use socket::Socket;
pub use types::*;
