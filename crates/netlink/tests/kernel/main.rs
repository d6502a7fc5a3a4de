//! Kernel tests: each runs on a thread of its own that has unshared its
//! network namespace (only that thread moves), so the host's namespace is
//! never touched. They need root and are skipped (with a message) without.

mod batch;
mod common;
mod links;
mod netns;
