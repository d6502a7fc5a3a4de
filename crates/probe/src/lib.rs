//! nslab's own traffic tools: the built-in responder behind `serve:`, and
//! the probes behind `nslab check` and `nslab ping`. No external programs
//! (`ping`, `curl`, `nc`) are used.
//!
//! # Namespaces
//!
//! Every entry point takes the node's network namespace as a file
//! descriptor and opens its sockets on a scoped thread that joined that
//! namespace first ([`in_netns`]); a socket keeps the namespace it was
//! created in, so the rest of the work can happen on any thread. The
//! `*_here` variants use the calling thread's namespace instead.
//!
//! # Layout
//!
//! - [`netns`]: [`in_netns`] and [`unshare_netns`] (scratch namespaces for
//!   tests), both `nslab_sys::netns`'s own, re-exported; [`set_link_up`].
//! - [`service`]: [`Proto`] and [`Service`] (`tcp/80`).
//! - [`reply`]: the responder line `<lab>/<node> <client-address>`,
//!   [`parse_reply`], and [`Reply`], what a probe got back.
//! - [`http`]: the little HTTP/1.1 the responder and `http_probe` speak.
//! - [`responder`]: [`serve`], [`serve_forever`], [`Responder`].
//! - [`probe`]: [`tcp_probe`], [`udp_probe`], [`http_probe`].
//! - [`icmp`]: [`icmp_echo`] over raw sockets; `icmp::wire` holds the
//!   byte-level build/parse and the checksum.
//! - [`capture`]: `AF_PACKET` capture, one-line packet summaries and the
//!   pcap file format.
//! - [`error`]: [`Error`] (setup) and [`ProbeError`] (probe outcomes).
//!
//! No `unsafe` here: sockets go through `nix`; the interface ioctls and
//! `AF_PACKET` binds it does not wrap are `nslab_sys::iface`'s.
#![forbid(unsafe_code)]

pub mod capture;
pub mod error;
pub mod http;
pub mod icmp;
pub mod netns;
pub mod probe;
pub mod reply;
pub mod responder;
pub mod service;
mod tcpread;

pub use error::{Error, ProbeError};
pub use icmp::ping::{icmp_echo, icmp_echo_here, PingFailure, PingStats};
pub use netns::{in_netns, set_link_up, unshare_netns};
pub use probe::{
    http_probe, http_probe_here, tcp_probe, tcp_probe_here, udp_probe, udp_probe_here,
};
pub use reply::{format_line, parse_reply, Reply};
pub use responder::{serve, serve_forever, Responder};
pub use service::{Proto, Service, ServiceParseError};
