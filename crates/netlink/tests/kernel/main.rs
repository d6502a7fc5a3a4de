//! Kernel tests: each runs on a thread of its own that has unshared its
//! network namespace (only that thread moves), so the host's namespace is
//! never touched. They need root and fail without it.

#![deny(unsafe_code)]

mod batch;
mod common;
mod ipv6;
mod links;
mod netns;
mod tc;
