//! A lab inside a Rust test: bring one up from a file, a string or a
//! [`Topology`], run commands in its nodes, break its network on purpose
//! (links, impairments, partitions, failed hosts), run checks and
//! scenarios, and take it down — when dropped, at the latest.
//!
//! Needs root (or `CAP_NET_ADMIN` and `CAP_SYS_ADMIN`), as `nslab up` does.
//! A node with `serve:` runs nslab's built-in responder, which is the
//! `nslab` binary: set `NSLAB_BIN` to its path, or have `nslab` in `PATH`.
//! Give each test a lab name of its own; two tests running at once must
//! not share one. For a test that must not touch the machine's own
//! namespace, run it in a network namespace of its own (as nslab's tests
//! do, `unshare --net --mount`).
//!
//! ```no_run
//! use nslab::Lab;
//!
//! # fn main() -> Result<(), nslab::facade::Error> {
//! let lab = Lab::up_str("lab: t1
//! nodes:
//!   a: { interfaces: { eth0: { addresses: [10.0.0.1/24] } } }
//!   b: { interfaces: { eth0: { addresses: [10.0.0.2/24] } } }
//! links: [[a:eth0, b:eth0]]
//! ")?;
//! assert!(lab.ping("a", "b")?);
//! lab.link("b:eth0", false)?;            // b's interface down
//! assert!(!lab.ping("a", "b")?);
//! lab.heal()?;                           // as the file says again
//! let out = lab.exec("a", &["ip", "-br", "addr"])?;
//! assert!(String::from_utf8_lossy(&out.stdout).contains("10.0.0.1"));
//! lab.down()?;                           // or let it drop
//! # Ok(())
//! # }
//! ```

use crate::check::{self, Check};
use crate::lab::faults::{self, Request};
use crate::record::Fault;
use crate::scenario::{self, ScenarioResult};
use crate::state::{desired::desired, Impair, State};
use nslab_model::{HostInterfaces, Topology};
use std::ffi::OsString;
use std::fmt;
use std::path::Path;
use std::process::Output;

/// Why a lab operation failed, in words (the file's problems with
/// `file:line:col`, or what the kernel refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn err(e: impl fmt::Display) -> Error {
    Error(e.to_string())
}

/// The interfaces of the namespace nslab runs in, asked over netlink.
struct Kernel;

impl HostInterfaces for Kernel {
    fn exists(&self, name: &str) -> bool {
        crate::host::query::interface_exists(name)
    }
}

/// A lab that is up; taken down when dropped (unless [`Lab::keep`]).
pub struct Lab {
    topology: Topology,
    desired: State,
    keep: bool,
    down: bool,
}

impl Lab {
    /// Bring up the lab of the topology file at `path`.
    pub fn up_file(path: impl AsRef<Path>) -> Result<Lab, Error> {
        let t =
            nslab_model::parse_file(path.as_ref(), &Kernel).map_err(|p| Error(p.render_plain()))?;
        Lab::up(t)
    }

    /// Bring up the lab of the topology text `yaml`.
    pub fn up_str(yaml: &str) -> Result<Lab, Error> {
        let t = nslab_model::parse_str("(string)", yaml, &Kernel)
            .map_err(|p| Error(p.render_plain()))?;
        Lab::up(t)
    }

    /// Bring up `topology` (from [`nslab_model::parse_str`] or built in
    /// code and validated).
    pub fn up(topology: Topology) -> Result<Lab, Error> {
        let desired = desired(&topology);
        let text = topology.source.text.to_string();
        let source = topology.source.name.clone();
        crate::lab::up(&desired, &source, &text, &mut |_, _| {}).map_err(err)?;
        let lab = Lab {
            topology,
            desired,
            keep: false,
            down: false,
        };
        crate::services::start(&lab.topology, &lab.desired).map_err(err)?;
        Ok(lab)
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

    /// Run `argv` in `node` (as `nslab exec` does) and wait for it.
    pub fn exec(&self, node: &str, argv: &[&str]) -> Result<Output, Error> {
        let ns = self
            .desired
            .nodes
            .get(node)
            .ok_or_else(|| Error(format!("lab {} has no node {node}", self.name())))?
            .netns
            .clone();
        let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
        let mut cmd = match ns {
            Some(ns) => nslab_sys::exec::command_in(&ns, &argv).map_err(err)?,
            None => {
                let (p, rest) = argv
                    .split_first()
                    .ok_or_else(|| Error("empty command".into()))?;
                let mut c = std::process::Command::new(p);
                c.args(rest);
                c
            }
        };
        cmd.output().map_err(err)
    }

    fn fault(&self, req: Request) -> Result<Vec<Fault>, Error> {
        faults::apply(&self.desired, &req).map_err(err)
    }

    fn endpoint(at: &str) -> Result<(String, String), Error> {
        at.split_once(':')
            .map(|(n, i)| (n.to_string(), i.to_string()))
            .ok_or_else(|| Error(format!("`{at}` is not NODE:INTERFACE")))
    }

    /// Set the admin state of `NODE:IF` (`false`: down).
    pub fn link(&self, at: &str, up: bool) -> Result<(), Error> {
        let (node, ifname) = Lab::endpoint(at)?;
        self.fault(Request::Link {
            node,
            ifname,
            up,
            both: false,
        })
        .map(|_| ())
    }

    /// Set the admin state of both ends of the veth `NODE:IF`.
    pub fn link_both(&self, at: &str, up: bool) -> Result<(), Error> {
        let (node, ifname) = Lab::endpoint(at)?;
        self.fault(Request::Link {
            node,
            ifname,
            up,
            both: true,
        })
        .map(|_| ())
    }

    /// Impair `NODE:IF`'s egress (netem); `None`: back to the file's.
    pub fn impair(&self, at: &str, impair: Option<Impair>) -> Result<(), Error> {
        let (node, ifname) = Lab::endpoint(at)?;
        self.fault(Request::impair(node, ifname, impair))
            .map(|_| ())
    }

    /// Drop every packet between nodes of different groups.
    pub fn partition(&self, groups: &[&[&str]]) -> Result<(), Error> {
        self.partition_with(groups, false)
    }

    /// Drop packets from the first group to the others only.
    pub fn partition_one_way(&self, groups: &[&[&str]]) -> Result<(), Error> {
        self.partition_with(groups, true)
    }

    fn partition_with(&self, groups: &[&[&str]], one_way: bool) -> Result<(), Error> {
        let groups = groups
            .iter()
            .map(|g| g.iter().map(|n| n.to_string()).collect())
            .collect();
        self.fault(Request::Put(Fault::Partition { groups, one_way }))
            .map(|_| ())
    }

    /// A failed host: `node`'s interfaces down, its processes frozen.
    pub fn stop(&self, node: &str) -> Result<(), Error> {
        self.fault(Request::stop(node.into())).map(|_| ())
    }

    /// `node` back as it was before [`Lab::stop`].
    pub fn start(&self, node: &str) -> Result<(), Error> {
        self.fault(Request::Start { node: node.into() }).map(|_| ())
    }

    /// Every fault removed; the lab as its file says.
    pub fn heal(&self) -> Result<(), Error> {
        faults::heal(&self.topology, &self.desired)
            .map(|_| ())
            .map_err(err)
    }

    /// The faults in force (an error when the lab's record cannot be
    /// read: never "none" for "cannot tell").
    pub fn faults(&self) -> Result<Vec<Fault>, Error> {
        faults::active(self.name()).map_err(err)
    }

    /// Whether `from` gets an ICMP echo reply from `to`'s first address.
    pub fn ping(&self, from: &str, to: &str) -> Result<bool, Error> {
        let ip = check::first_address(&self.desired, to)
            .ok_or_else(|| Error(format!("node {to} has no address")))?;
        let netns = |n: &str| -> Result<Option<String>, Error> {
            self.desired
                .nodes
                .get(n)
                .map(|s| s.netns.clone())
                .ok_or_else(|| Error(format!("lab {} has no node {n}", self.name())))
        };
        let c = Check {
            text: format!("{from} -> {to}"),
            from: from.to_string(),
            from_netns: netns(from)?,
            to_netns: netns(to)?,
            to: ip,
            port: None,
            proto: check::Proto::Icmp,
            reply_from: None,
            seen_as: None,
            should_answer: true,
            within: None,
        };
        Ok(check::probe(&c).pass)
    }

    /// The file's `expect:` checks, each with what it saw.
    pub fn checks(&self) -> Result<Vec<(Check, check::Outcome)>, Error> {
        check::run(&self.topology, &self.desired).map_err(err)
    }

    /// Run the file's scenario `name` (healed when it ends).
    pub fn test(&self, name: &str) -> Result<ScenarioResult, Error> {
        let sc = self
            .topology
            .scenarios
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error(format!("lab {} has no scenario {name}", self.name())))?;
        Ok(scenario::run(
            &self.topology,
            &self.desired,
            sc,
            false,
            &mut |_| {},
        ))
    }

    /// Remove everything the lab owns (as `nslab down`).
    pub fn down(mut self) -> Result<(), Error> {
        self.down = true;
        let r = crate::lab::down(self.name()).map_err(err)?;
        match r.errors.first() {
            Some(e) => Err(err(e)),
            None => Ok(()),
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !self.down && !self.keep {
            let _ = crate::lab::down(&self.desired.lab);
        }
    }
}
