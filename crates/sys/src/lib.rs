//! nslab-sys: the operating-system layer of nslab — everything that touches
//! the kernel except netlink (crate `nslab-netlink`) and nftables (crate
//! `nslab-nft`).
//!
//! # Layout
//!
//! | module | job |
//! |---|---|
//! | [`netns`] | named network namespaces under `/run/netns`, made and removed exactly as `ip netns add`/`del` do; [`netns::run_in`] runs code on a thread inside a namespace |
//! | [`sysctl`] | read and write `net.*` sysctls of the calling thread's namespace |
//! | [`tap`] | persistent TAP devices (`/dev/net/tun`) |
//! | [`iface`] | interface flags by name and `AF_PACKET` binds: the ioctls and socket options `nix` does not wrap |
//! | [`exec`] | commands inside a namespace: what `ip netns exec` gives ([`exec::command_in`], [`exec::shell_command`]) and long-running services in a process group of their own ([`exec::spawn_in`], [`exec::kill_group`]) |
//! | [`process`] | process-wide settings of the binary (default SIGPIPE) |
//! | [`procs`] | processes in `/proc`: pid + start time, namespace, nslab's mark; signals through a pidfd |
//! | [`statedir`] | a lab's state directory `/run/nslab/<lab>/`: lock, atomic writes, logs |
//! | `sandbox` | test support (hidden): run a kernel test in fresh network and mount namespaces — the one test sandbox |
//! | `testing` | test support for the crates below nslab, behind the `testing` feature: a scratch namespace per test |
//!
//! # Threads and namespaces
//!
//! `setns(2)` and `unshare(CLONE_NEWNET)` change only the calling thread, and
//! `/proc/sys/net` and `/dev/net/tun` bind to the namespace of the thread that
//! opens them. So nothing here ever moves the caller's thread: work inside a
//! namespace runs on a short-lived thread of our own ([`netns::run_in`]),
//! and child processes enter their namespace in a `pre_exec` hook between
//! `fork` and `exec`. Sockets opened inside [`netns::run_in`] stay in that
//! namespace and may be used from any thread afterwards.
//!
//! Environment overrides, meant for tests only: `NSLAB_NETNS_DIR` (instead
//! of `/run/netns`) and `NSLAB_RUN_DIR` (instead of `/run/nslab`).
//!
//! # `unsafe`
//!
//! The system calls that `nix` and `std` do not wrap are here, and only in
//! the modules marked `#[allow(unsafe_code)]` below (`iface`, `tap`,
//! `procs`, `process`, and the `pre_exec` hooks of `exec`), one
//! `// SAFETY:` line per block (`clippy::undocumented_unsafe_blocks`
//! denies a block without one); every other module denies `unsafe`.
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod error;
pub mod etc_netns;
pub mod exec;
#[allow(unsafe_code)]
pub mod iface;
pub mod netns;
#[allow(unsafe_code)]
pub mod process;
#[allow(unsafe_code)]
pub mod procs;
#[doc(hidden)]
pub mod sandbox;
pub mod statedir;
pub mod sysctl;
#[allow(unsafe_code)]
pub mod tap;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod uts;

pub use error::Error;
