#![deny(unsafe_code)]
//! nslab-model: the topology file, parsed and validated.
//!
//! # Layout
//!
//! Untrusted text becomes a typed [`Topology`] in five steps, each its own
//! module, in the manner of smoltcp's `Packet` → `Repr`:
//!
//! | step | module | what |
//! |---|---|---|
//! | bound | [`limits`] | at most 4 MiB read; nesting, nodes and alias expansion limited; the kernel's range of every numeric key ([`limits::NUMERIC`]) — all limits in that module |
//! | shape | `shape` | the YAML as a spanned tree against a table of keys: every unknown key, wrong shape and key written twice, in one run |
//! | read | [`raw`] | serde structs that mirror the file, every leaf `Spanned` (line and column) |
//! | lower | `lower` | every leaf parsed into a newtype ([`names`], [`values`], [`impair`]), strings (`default via …`, `h1 -> h2`, `8080:80`) split in `words`; links and networks resolved; member addresses allocated |
//! | check | `validate` | cross-references, duplicates, address and subnet rules, ports and routes the kernel would refuse twice, `physical` against [`HostInterfaces`], `run:` against [`HostPrograms`] |
//!
//! Problems are collected, not returned at the first: [`Problems`] holds all
//! of them (kind, message, file, line, column, hint) and renders as a miette
//! diagnostic. Nothing here touches the kernel; the only outside knowledge,
//! which interfaces and programs the host has, comes in through
//! [`HostInterfaces`] and [`HostPrograms`] ([`Host`]).

pub mod impair;
pub mod limits;
mod loc;
pub mod names;
mod problem;
pub mod raw;
pub mod rootless;
mod topology;
pub mod values;

pub use impair::{Impair, Percent, Rate};
pub use loc::{Loc, SourceFile};
pub use names::{IfName, LabName, NodeName, SysctlKey};
pub use problem::{Problem, ProblemDiagnostic, ProblemKind, Problems, ValueError};
pub use topology::*;
pub use values::{Cidr, MacAddr, Mtu, Port, Proto, VlanId, Vni};
mod ctx;
mod key_table;
mod lower;
mod parse;
mod shape;
mod suggest;
mod validate;

pub use limits::MAX_FILE_BYTES;
pub use parse::{parse_file, parse_raw, parse_str, parse_str_on, read_file};
pub use shape::documented_keys;
