#![deny(unsafe_code)]
//! nslab: virtual networks on one Linux machine from a declarative topology
//! file, straight over netlink.
//!
//! # Layout
//!
//! Data flows one way: file → model → desired state → plan → kernel, and
//! kernel → observed state → plan (for reconcile and teardown). The layers,
//! from the bottom up:
//!
//! | layer | where | job |
//! |---|---|---|
//! | types | crate `nslab-types` | the shared values (`Cidr`...), declared once; every layer above uses them |
//! | sys | crates `nslab-netlink`, `nslab-sys`, `nslab-nft`, `nslab-probe` | every side effect, and the only `unsafe` |
//! | model | crate `nslab-model` | parse YAML with spans, validate the whole file, typed `Topology` |
//! | state | [`state`] | one [`state::State`] for desired ([`state::desired`]) and observed |
//! | plan, record | [`plan`], [`record`] | `plan(desired, observed)` → ordered [`plan::Op`]s with inverses; what a lab made |
//! | host | [`host`] | a [`host::Host`] observes and applies; the only module that talks netlink or nftables |
//! | apply, services | [`apply`], [`services`] | runs a plan, rolls back on failure; `serve:`/`run:` processes |
//! | lab, check | [`lab`], [`check`] | `up`/`down` of a lab, faults put in and healed; `expect:` checks, returned as data |
//! | scenario | [`scenario`] | `nslab test`: the file's scenarios, step by step, healed at the end |
//! | facade | [`facade`] | [`Lab`]: a lab inside a Rust `#[test]`: up, exec, faults, checks, down on drop |
//! | cli | [`cli`] | argv → request → library; printing and exit codes |
//!
//! Each row uses only the rows above it, never its own row or one below:
//! `tests/layers.rs` reads this table and the sources and keeps it so.

pub mod apply;
pub mod check;
pub mod cli;
pub mod facade;
pub mod host;
pub mod lab;
pub mod plan;
pub mod record;
pub mod scenario;
pub mod services;
pub mod state;

pub use facade::Lab;
