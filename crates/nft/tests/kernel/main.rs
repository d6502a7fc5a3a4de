//! Kernel tests: each runs on a thread of its own that has unshared its
//! network namespace (only that thread moves), so the host's rule set is
//! never touched. The kernel accepting a batch is the proof of the
//! encoding. They need root and fail without it.

#![deny(unsafe_code)]

mod apply;
mod common;
mod errors;
mod nft_cli;
