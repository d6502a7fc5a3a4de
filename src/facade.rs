//! [`Lab`]: a lab inside a Rust test, brought up by the entry point
//! `nslab up` uses ([`crate::launch`]), and its [`Error`].

mod child;
mod error;
mod faults;
mod probes;
#[cfg(test)]
mod tests;

use error::NotRemoved;
pub use error::{Cause, Error};

use crate::launch::{self, Loaded};
use crate::state::State;
use nslab_model::Topology;
use std::ffi::OsString;
use std::path::Path;
use std::process::Output;

/// A lab inside a Rust test: bring one up from a file, a string or a
/// [`Topology`], run commands in its nodes, break its network on purpose
/// (links, impairments, partitions, failed hosts), run checks and
/// scenarios, and take it down — when dropped, at the latest.
///
/// With root (or `CAP_NET_ADMIN` and `CAP_SYS_ADMIN`) it works in this
/// process; without root (or with `NSLAB_ROOTLESS=1`) the lab is one of
/// the user's, as `nslab up --rootless` makes it (see docs/rootless.md),
/// and each operation runs the `nslab` binary, which enters the lab (the
/// kernel lets no multi-threaded program in): the same results and errors.
/// A node with `serve:` runs nslab's built-in responder, which is the
/// `nslab` binary: set `NSLAB_BIN` to its path, or have `nslab` in `PATH`.
/// Give each test a lab name of its own; two tests running at once must
/// not share one. For a test that must not touch the machine's own
/// namespace, run it in a network namespace of its own (as nslab's tests
/// do, `unshare --net --mount`).
///
/// A lab is brought up the way `nslab up` brings it up (one entry point
/// for both): the file is validated against this machine (its interfaces,
/// counting those the lab already holds, and its `run:` programs), the
/// open-files limit is raised, and when the lab's processes cannot start,
/// a lab this call created is removed again while a lab that was up
/// before is left up. An [`Error`] reads as the CLI's message does; a probe
/// that could not be made is an error, never a `false`.
///
/// ```no_run
/// use nslab::Lab;
///
/// # fn main() -> Result<(), nslab::Error> {
/// let lab = Lab::up_str("lab: t1
/// nodes:
///   a: { interfaces: { eth0: { addresses: [10.0.0.1/24] } } }
///   b: { interfaces: { eth0: { addresses: [10.0.0.2/24] } } }
/// links: [[a:eth0, b:eth0]]
/// ")?;
/// assert!(lab.ping("a", "b")?);
/// lab.link("b:eth0", false)?;            // b's interface down
/// assert!(!lab.ping("a", "b")?);
/// lab.heal()?;                           // as the file says again
/// let out = lab.exec("a", &["ip", "-br", "addr"])?;
/// assert!(String::from_utf8_lossy(&out.stdout).contains("10.0.0.1"));
/// lab.down()?;                           // or let it drop
/// # Ok(())
/// # }
/// ```
///
/// A `Lab` value is a lab that is up; it is taken down when dropped
/// (unless [`Lab::keep`]).
pub struct Lab {
    topology: Topology,
    desired: State,
    keep: bool,
    down: bool,
    warnings: Vec<String>,
    notes: Vec<String>,
    backend: Backend,
}

/// Where the lab's work is done: the one place that decides.
enum Backend {
    /// In this process, with root.
    InProcess,
    /// Without root: by the `nslab` binary, which enters the lab.
    Child(child::Child),
}

impl Lab {
    /// Bring up the lab of the topology file at `path`.
    pub fn up_file(path: impl AsRef<Path>) -> Result<Lab, Error> {
        let l = launch::read(path.as_ref()).map_err(Error::Invalid)?;
        Lab::bring_up(l, Some(path.as_ref()))
    }

    /// Bring up the lab of the topology text `yaml` (named `(string)` in
    /// messages).
    pub fn up_str(yaml: &str) -> Result<Lab, Error> {
        Lab::bring_up(
            launch::parse("(string)", yaml).map_err(Error::Invalid)?,
            None,
        )
    }

    /// Bring up `topology` (from [`nslab_model::parse_str`]). It is
    /// validated again, from its source text, against this machine, as a
    /// file given to `nslab up` is; one changed after parsing is refused
    /// ([`Error::Edited`]).
    pub fn up(topology: Topology) -> Result<Lab, Error> {
        let l =
            launch::parse(&topology.source.name, &topology.source.text).map_err(Error::Invalid)?;
        if l.topology != topology {
            return Err(Error::Edited {
                lab: topology.lab.to_string(),
            });
        }
        Lab::bring_up(l, None)
    }

    /// The entry point `nslab up` uses; the value exists only once the lab
    /// is up with its processes, so a failure never takes down a lab that
    /// was up before. Without root, `nslab up --rootless` of `file` (or
    /// of the text, on its standard input), once the text is read here.
    fn bring_up(l: Loaded, file: Option<&Path>) -> Result<Lab, Error> {
        if !child::rootless() {
            let mut host = crate::host::linux::Linux::new(&l.desired.lab);
            return Lab::bring_up_on(&mut host, l);
        }
        let c = child::Child::new(&l.desired.lab).map_err(|e| Error::Up {
            lab: l.desired.lab.clone(),
            cause: Box::new(e),
        })?;
        let ran = c.up(file, &l.topology.source.text)?;
        let (warnings, notes) = (ran.said("warning"), ran.said("note"));
        Ok(Lab::made(l, warnings, notes, Backend::Child(c)))
    }

    /// The lab `l` made by `backend`: the file's warnings, then the run's.
    fn made(l: Loaded, warnings: Vec<String>, notes: Vec<String>, backend: Backend) -> Lab {
        let mut all = l.warnings;
        all.extend(warnings);
        Lab {
            topology: l.topology,
            desired: l.desired,
            keep: false,
            down: false,
            warnings: all,
            notes,
            backend,
        }
    }

    /// [`Lab::bring_up`] on `host` (the fake in tests).
    fn bring_up_on(host: &mut dyn crate::host::Host, l: Loaded) -> Result<Lab, Error> {
        let lab = l.desired.lab.clone();
        let started = launch::up(host, &l, &mut |_, _| {}).map_err(|e| match e {
            launch::UpError::Invalid(p) => Error::Invalid(p),
            launch::UpError::Lab(e) => Error::Up {
                lab,
                cause: Box::new(e),
            },
            e @ launch::UpError::Processes { .. } => Error::Processes {
                lab,
                removed: e.removed(),
                cause: Box::new(e),
            },
        })?;
        Ok(Lab::made(
            l,
            started.warnings,
            started.notes,
            Backend::InProcess,
        ))
    }

    /// What was allowed but is almost surely a mistake, or went wrong
    /// without stopping the lab from coming up, in words (what `nslab up`
    /// prints as `warning:` lines): a NAT rule the file asks for twice, a
    /// record of an earlier run that could not be read and was set aside.
    /// Empty when all went as the file says.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// What the user must know of how the lab came up (what `nslab up`
    /// prints as `note:` lines): a physical interface given back under
    /// another name, a fault of an earlier run that could not be undone.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The lab's name.
    pub fn name(&self) -> &str {
        &self.desired.lab
    }

    /// The topology it was brought up from.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Leave the lab up when this value is dropped (for a look with
    /// `nslab show` after a failed test).
    pub fn keep(mut self) -> Lab {
        self.keep = true;
        self
    }

    /// The namespace of `node` (`None`: the host's), or [`Error::NoNode`].
    fn netns(&self, node: &str) -> Result<Option<String>, Error> {
        match self.desired.nodes.get(node) {
            Some(n) => Ok(n.netns.clone()),
            None => Err(Error::NoNode {
                lab: self.name().to_string(),
                node: node.to_string(),
                nodes: self.desired.nodes.keys().cloned().collect(),
            }),
        }
    }

    /// Run `argv` in `node` (as `nslab exec` does) and wait for it.
    pub fn exec(&self, node: &str, argv: &[&str]) -> Result<Output, Error> {
        let ns = self.netns(node)?;
        if let Backend::Child(c) = &self.backend {
            return c.exec(node, argv);
        }
        let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
        let exec_err = |source: std::io::Error| Error::Exec {
            node: node.to_string(),
            program: argv
                .first()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
            source,
        };
        let mut cmd =
            crate::services::containers::command_at(self.name(), node, ns.as_deref(), &argv)
                .map_err(|e| exec_err(std::io::Error::other(e)))?;
        cmd.output().map_err(exec_err)
    }

    /// Remove everything the lab owns (as `nslab down`).
    pub fn down(mut self) -> Result<(), Error> {
        self.down = true;
        if let Backend::Child(c) = &self.backend {
            return c.down();
        }
        let lab = self.name().to_string();
        let r = crate::lab::down(&mut crate::host::linux::Linux::new(&lab), &lab).map_err(|e| {
            Error::Down {
                lab: lab.clone(),
                cause: Box::new(e),
            }
        })?;
        if r.errors.is_empty() {
            return Ok(());
        }
        Err(Error::Down {
            cause: Box::new(NotRemoved {
                lab: lab.clone(),
                errors: r.errors.iter().map(|e| e.to_string()).collect(),
            }),
            lab,
        })
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if self.down || self.keep {
            return;
        }
        if let Backend::Child(c) = &self.backend {
            let _ = c.down();
        } else {
            let lab = &self.desired.lab;
            let _ = crate::lab::down(&mut crate::host::linux::Linux::new(lab), lab);
        }
    }
}
