//! ICMP echo ("ping") without a `ping` binary: [`wire`] builds and reads
//! the messages, [`ping`] sends them from a raw socket inside a namespace.
//!
//! Raw sockets rather than unprivileged `SOCK_DGRAM` ping sockets: a new
//! namespace starts with `net.ipv4.ping_group_range = 1 0` (nobody), and
//! nslab runs as root anyway. A raw socket sees every ICMP message in the
//! namespace, so replies are matched by identifier, sequence number and a
//! per-run token in the payload.

pub mod ping;
mod stats;
pub mod wire;
