#![deny(unsafe_code)]
//! nslab-nftables: an nftables encoder over netlink, no `nft` binary and no
//! libnftnl. It builds what nslab needs — NAT tables — and installs a
//! table's whole contents in one transaction.
//!
//! # Layout
//!
//! | module | job |
//! |---|---|
//! | [`wire`] | netlink attributes and messages as bytes, `nfgenmsg` |
//! | [`expr`] | rules → expressions (meta, payload, bitwise, cmp, fib, ct, immediate, nat, masq) |
//! | [`table`] | tables, chains, and the batches that replace or delete a table |
//! | [`socket`] | a `NETLINK_NETFILTER` socket: send a batch, one ACK per message, dumps |
//!
//! The uapi is include/uapi/linux/netfilter/nf_tables.h and nfnetlink.h;
//! expressions are laid out as `nft --debug=netlink` prints them.

pub mod expr;
pub mod socket;
pub mod table;
pub mod wire;

pub use expr::{Action, Match, Proto, Rule};
pub use socket::{Error, Socket};
pub use table::{Chain, ChainType, Hook, Table};
