#![deny(unsafe_code)]
//! nslab: virtual networks on one Linux machine from a declarative topology
//! file, straight over netlink.
//!
//! # Layout
//!
//! Data flows one way: file → model → desired state → plan → kernel, and
//! kernel → observed state → plan (for reconcile and teardown).
//!
//! | layer | where | job |
//! |---|---|---|
//! | model | crate `nslab-model` | parse YAML with spans, validate the whole file, typed `Topology` |
//! | state | [`state`] | one [`state::State`] for desired ([`state::desired`]) and observed |
//! | plan | [`plan`] | `plan(desired, observed)` → ordered [`plan::Op`]s with inverses |
//! | host | [`host`] | a [`host::Host`] observes and applies: over netlink, or in memory |
//! | apply | [`apply`] | runs a plan, rolls back on failure |
//! | sys | crates `nslab-netlink`, `nslab-sys`, `nslab-nft`, `nslab-probe` | every side effect, and the only `unsafe` |
//! | cli | [`cli`] | argv → request → library; printing |

pub mod apply;
pub mod check;
pub mod cli;
pub mod host;
pub mod lab;
pub mod plan;
pub mod record;
pub mod services;
pub mod state;
