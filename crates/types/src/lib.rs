#![deny(unsafe_code)]
//! nslab-types: the values every layer shares, declared once. The model
//! builds them from the file, the state carries them, the netlink and
//! nftables encoders write them to the kernel and their decoders read them
//! back. Plain data with no dependency but serde; each layer adds only what
//! is its own (spans and file errors in the model, wire forms below).

mod cidr;
mod error;
mod impair;
mod kinds;
mod modes;
pub mod names;
mod proto;
pub mod rules;

pub use cidr::Cidr;
pub use error::{ParseError, ParseErrorKind};
pub use impair::Impair;
pub use kinds::*;
pub use modes::{IpvlanFlag, IpvlanMode, MacvlanMode};
pub use proto::{ProbeProto, Proto};
