//! What `services` asks of the machine besides the network: the
//! `serve:`/`run:` processes ([`Processes`]) and the image nodes'
//! containers ([`Containers`]). The host gives the kernel's facts (is this
//! pid still the process started then, what does it carry, where does it
//! live); `services` decides what is the lab's. On Linux: `/proc`, pidfds
//! and Podman (see `procs_linux`); in tests: a table in the fake.

pub use nslab_sys::podman::{Container, PodmanError, Spec};
pub use nslab_sys::procs::{NsId, Proc};
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// A process to start in a node.
#[derive(Debug, Clone, Copy)]
pub struct Launch<'a> {
    pub lab: &'a str,
    pub node: &'a str,
    /// The node's namespace (by name): the process lives in it, with the
    /// node's host name, hosts file, `env:` and `dirs:`.
    pub netns: &'a str,
    pub argv: &'a [OsString],
    /// Where its standard output and error go.
    pub log: &'a Path,
    /// Wait until it prints a line starting with `ready` (the built-in
    /// responder, once its sockets are bound).
    pub wait_ready: bool,
}

/// Why a process did not start.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The node's namespace or the log could not be used.
    #[error("{0}")]
    Sys(#[from] nslab_sys::Error),
    /// The program could not be started.
    #[error("{0}")]
    Spawn(std::io::Error),
    #[error("{0}")]
    Pid(#[from] std::num::TryFromIntError),
    /// It started but never said `ready` (it was stopped again).
    #[error("it did not say it was ready")]
    NotReady,
}

/// Processes as the kernel sees them. A process is named by its pid and
/// its start time together (a pid may be reused once its process exits):
/// every call that acts on one takes both and does nothing to a pid that
/// is now another process.
pub trait Processes {
    /// Every live process but nslab's own.
    fn scan(&mut self) -> Vec<Proc>;
    /// Process `pid`, if it is alive and started at `start`.
    fn process(&mut self, pid: i32, start: u64) -> Option<Proc>;
    /// The identity of the namespace named `netns`, and the alias of its
    /// `lo` (the lab's mark) when `mark` is asked for.
    fn netns(&mut self, netns: &str, mark: bool) -> Option<(NsId, Option<String>)>;
    /// The namespace process `pid` lives in and the alias of its `lo`.
    fn netns_of(&mut self, pid: i32) -> Option<(NsId, Option<String>)>;
    /// The identities of every named namespace.
    fn named_namespaces(&mut self) -> Vec<NsId>;
    /// The namespace nslab itself runs in (never a lab's).
    fn own_namespace(&mut self) -> Option<NsId>;
    /// Starts a process in a node, marked with its lab and node (the
    /// mark its children inherit); its pid and start time.
    fn spawn(&mut self, l: &Launch<'_>) -> Result<(i32, u64), SpawnError>;
    /// Sends `sig` to each of `targets` that is still the process it
    /// names; how many received it.
    fn signal(&mut self, targets: &[(i32, u64)], sig: i32) -> usize;
    /// Stops `targets` (`SIGTERM`, up to `grace`, then `SIGKILL`); how
    /// many of them were alive to be stopped.
    fn stop(&mut self, targets: &[(i32, u64)], grace: Duration) -> usize;
}

/// The image nodes' containers (Podman's, on Linux).
pub trait Containers {
    /// Whether `image` is in the local store (nothing is pulled).
    fn image_exists(&mut self, image: &str) -> Result<bool, PodmanError>;
    /// The names of the containers labelled as `lab`'s.
    fn lab_containers(&mut self, lab: &str) -> Result<Vec<String>, PodmanError>;
    /// The container named `name`, if there is one.
    fn inspect(&mut self, name: &str) -> Result<Option<Container>, PodmanError>;
    /// Starts a container as `spec` says.
    fn run(&mut self, spec: &Spec) -> Result<(), PodmanError>;
    /// Removes the containers (no grace).
    fn remove(&mut self, names: &[String]) -> Result<(), PodmanError>;
    /// Pauses (`true`) or unpauses the container.
    fn set_paused(&mut self, name: &str, paused: bool) -> Result<(), PodmanError>;
    /// Waits up to `wait` for the container starts of `lab` still going
    /// (a killed `up`'s); stops those left then; how many.
    fn wait_starting(&mut self, lab: &str, wait: Duration) -> usize;
}
