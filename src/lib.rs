#![deny(unsafe_code)]
// The layer table below links the crate's own modules: a map for those who
// work on nslab (`cargo doc --document-private-items`); the public API is
// `Lab` and its values.
#![allow(rustdoc::private_intra_doc_links)]
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
//! | launch | [`launch`] | the one way a lab is brought up (CLI and facade): validated against this machine, up, processes started, undone on failure |
//! | facade | [`facade`] | [`Lab`]: a lab inside a Rust `#[test]`: up, exec, faults, checks, down on drop |
//! | cni | [`cni`] | `nslab` as a CNI plugin: environment and stdin → a CNI network kept as a lab (bridge, veths, IPAM, NAT through `host`) → the spec's JSON |
//! | cli | [`cli`] | argv → request → library; printing and exit codes |
//!
//! Each row uses only the rows above it, never its own row or one below:
//! `tests/layers.rs` reads this table and the sources and keeps it so.
//!
//! # The public API
//!
//! [`Lab`] and the values it takes and gives ([`Error`] and its [`Cause`], [`Check`],
//! [`Outcome`], [`Fault`] and what a `stop` took ([`Took`]), [`Impair`],
//! [`ScenarioResult`]), and the model
//! ([`model`]: parse a file into a [`model::Topology`]). Everything else is
//! the crate's own; the `nslab` binary is a client of the same entry point
//! ([`launch`]) the facade uses.

pub(crate) mod apply;
pub(crate) mod check;
pub(crate) mod cli;
pub(crate) mod cni;
pub(crate) mod facade;
pub(crate) mod host;
pub(crate) mod lab;
pub(crate) mod launch;
pub(crate) mod plan;
pub(crate) mod record;
pub(crate) mod scenario;
pub(crate) mod services;
pub(crate) mod state;

pub use check::{Check, Outcome, Proto};
pub use facade::{Cause, Error, Lab};
pub use nslab_model as model;
pub use record::{Fault, Took};
pub use scenario::{ScenarioResult, StepResult};
pub use state::Impair;

/// The `nslab` command line (argv, printing, exit status); what
/// `src/main.rs` runs.
#[doc(hidden)]
pub fn run_cli() -> std::process::ExitCode {
    cli::main()
}

/// The `nslab` command line run on `args` (the first is the program's
/// name): what the Python package's `nslab` script runs, so that the wheel
/// carries the CLI and the `serve:` responder without a separate binary.
#[doc(hidden)]
pub fn run_cli_from(args: Vec<std::ffi::OsString>) -> std::process::ExitCode {
    cli::main_from(args)
}

/// The command line's definition (for the tests that hold the README and
/// the man pages to it).
#[doc(hidden)]
pub fn cli_command() -> clap::Command {
    <cli::args::Args as clap::CommandFactory>::command()
}
