//! nslab-nft: nftables over netlink (NETLINK_NETFILTER), written from the
//! kernel's uapi headers: no `nft` binary, no libnftnl.
//!
//! A node's NAT is one `inet` table (`nslab-<lab>`) of base chains, built
//! from data and replaced in one kernel transaction.
//!
//! # Layout
//!
//! - [`model`]: the rule set as data: [`Table`], [`Chain`]; the rules
//!   themselves ([`Rule`], [`Match`], [`Action`], [`Hook`]) are
//!   `nslab_types::rules`, the values nslab's state holds.
//! - [`describe`](describe()): nft-like text of a table.
//! - `validate`: what cannot be encoded, all problems at once
//!   ([`InvalidTable`]).
//! - `expr`: a rule lowered to nf_tables expressions (meta, payload,
//!   bitwise, cmp, fib, ct, immediate, nat, masq) and their attributes.
//! - `batch`: messages framed as one transaction ([`encode_replace_batch`],
//!   [`encode_delete_batch`] → [`Batch`]).
//! - `wire`: netlink headers and attributes as bytes; `uapi`: the kernel's
//!   constants.
//! - `socket`: [`Socket`] sends batches, collects ACKs and extended-ACK
//!   errors, and dumps tables, chains and rules.
//! - `read`: a table read back ([`Socket::read_table`]) and its rules
//!   decoded into the model ([`ReadTable`]), so hand edits show;
//!   [`ReadTable::from_batch`] reads what a batch would leave (a fake
//!   kernel for tests).
//!
//! No `unsafe`: socket options go through `nix`.
//!
//! ```no_run
//! use nslab_nft::*;
//! let table = Table {
//!     name: "nslab-demo".into(),
//!     comment: Some("nslab:demo".into()),
//!     chains: vec![Chain {
//!         name: "postrouting".into(),
//!         hook: Hook::Postrouting,
//!         kind: ChainType::Nat,
//!         priority: 100,
//!         rules: vec![Rule {
//!             matches: vec![
//!                 Match::SrcNet("172.17.0.0/16".parse().unwrap()),
//!                 Match::NotOifName("docker0".into()),
//!             ],
//!             action: Action::Masquerade,
//!         }],
//!     }],
//! };
//! print!("{}", describe(&table));
//! Socket::open()?.replace(&table)?;
//! # Ok::<(), nslab_nft::Error>(())
//! ```

#![forbid(unsafe_code)]

mod batch;
mod describe;
mod error;
mod expr;
pub mod model;
mod read;
mod socket;
mod uapi;
mod validate;
mod wire;

#[cfg(test)]
mod encode_tests;
#[cfg(test)]
mod expr_tests;
#[cfg(test)]
mod read_tests;

pub use batch::{encode_delete_batch, encode_replace_batch, Batch, BatchMsg, MsgKind};
pub use describe::describe;
pub use error::{Error, Rejection};
pub use model::{Action, Chain, ChainType, Cidr, Hook, Match, Proto, Rule, Table};
pub use read::{ReadChain, ReadTable};
pub use socket::{ListedTable, Socket};
pub use validate::{InvalidTable, Problem, ProblemKind};

/// `NFPROTO_INET`: the family of every table this crate writes.
pub const FAMILY_INET: u8 = uapi::NFPROTO_INET;
