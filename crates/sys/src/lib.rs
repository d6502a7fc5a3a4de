//! nslab-sys: the operating-system layer of nslab — everything that touches
//! the kernel except netlink (crate `nslab-netlink`) and nftables (crate
//! `nslab-nft`).
//!
//! # Layout
//!
//! | module | job |
//! |---|---|
//! | [`netns`] | named network namespaces under `/run/netns`, made and removed exactly as `ip netns add`/`del` do; code run inside one ([`netns::run_in`] on a thread of its own, [`netns::visit_from`] on the caller's) |
//! | [`sysctl`] | read and write `net.*` sysctls of the calling thread's namespace |
//! | [`tap`] | persistent TAP devices (`/dev/net/tun`) |
//! | [`kmod`] | which kernel modules the kernel has (loaded, built in, installed, missing), from `/proc/modules`, `modules.builtin`, `modules.dep` and the kernel's configuration |
//! | [`iface`] | interface flags by name and `AF_PACKET` binds: the ioctls and socket options `nix` does not wrap |
//! | [`exec`] | commands inside a namespace: what `ip netns exec` gives ([`exec::command_in`], [`exec::shell_command`]) and long-running services in a process group of their own ([`exec::spawn_in`], [`exec::kill_group`]) |
//! | [`process`] | process-wide settings of the binary (default SIGPIPE) |
//! | [`procs`] | processes in `/proc`: pid + start time, namespace, nslab's mark; signals through a pidfd |
//! | [`podman`] | containers of image nodes: `podman run`/`rm`/`pause`/`exec` by their labels, as a program with arguments (no shell) |
//! | [`nodefs`] | a node's private directories and files under `/run/nslab/<lab>/fs/<node>/`, and its view (dirs bound, `env:`) for every process started in it |
//! | [`statedir`] | a lab's state directory `/run/nslab/<lab>/`: lock, atomic writes, logs |
//! | [`userns`] | labs without root: the holder's user and mount namespaces, entering them, the paths under `$XDG_RUNTIME_DIR/nslab` |
//! | `sandbox` | test support (hidden): run a kernel test in fresh network and mount namespaces — the one test sandbox |
//! | `testing` | test support for the crates below nslab, behind the `testing` feature: a scratch namespace per test |
//!
//! # Threads and namespaces
//!
//! `setns(2)` and `unshare(CLONE_NEWNET)` change only the calling thread, and
//! `/proc/sys/net` and `/dev/net/tun` bind to the namespace of the thread that
//! opens them. Work inside a namespace runs in one of two ways:
//!
//! - on a short-lived thread of our own ([`netns::run_in`], [`netns::create`],
//!   [`netns::scratch`]): the caller's thread stays where it is;
//! - on the caller's own thread, moved into the namespace for one closure and
//!   back to the namespace it came from before returning, or unwinding
//!   ([`netns::visit_from`], [`netns::create_from`]): no thread per
//!   namespace, for the thousands of short visits of one run. The closure
//!   must not start threads that expect the caller's namespace; if the way
//!   back fails, the process aborts rather than go on in the wrong network.
//!
//! Child processes enter their namespace in a `pre_exec` hook between `fork`
//! and `exec`. Sockets opened inside a namespace stay in it and may be used
//! from any thread afterwards.
//!
//! Environment overrides, meant for tests only: `NSLAB_NETNS_DIR` (instead
//! of `/run/netns`), `NSLAB_RUN_DIR` (instead of `/run/nslab`),
//! `NSLAB_MODULES_ROOT` (where [`kmod`] finds `proc/` and `lib/modules/`,
//! instead of `/`) and, in debug builds only, `NSLAB_TEST_LOCK_DELAY_MS`
//! (slows every lab lock, for tests of races: see [`statedir`]).
//!
//! # `unsafe`
//!
//! The system calls that `nix` and `std` do not wrap are here, and only in
//! the modules marked `#[allow(unsafe_code)]` below (`iface`, `tap`,
//! `procs`, `process`, the `pre_exec` hooks of `exec`, and the fork of
//! `userns`'s `clear`), one
//! `// SAFETY:` line per block (`clippy::undocumented_unsafe_blocks`
//! denies a block without one); every other module denies `unsafe`.
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod error;
pub mod etc_netns;
pub mod exec;
#[allow(unsafe_code)]
pub mod iface;
pub mod kmod;
pub mod netns;
pub mod nodefs;
pub mod podman;
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
pub mod userns;
pub mod uts;

pub use error::Error;
