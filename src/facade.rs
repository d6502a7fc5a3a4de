//! [`Lab`]: a lab inside a Rust test, brought up by the entry point
//! `nslab up` uses ([`crate::launch`]), and its [`Error`].

mod error;
mod faults;
#[cfg(test)]
mod tests;

use error::NotRemoved;
pub use error::{Cause, Error};

use crate::check::{self, Check, Outcome};
use crate::launch::{self, Loaded};
use crate::scenario::{self, ScenarioResult};
use crate::state::State;
use nslab_model::Topology;
use std::ffi::OsString;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// A lab inside a Rust test: bring one up from a file, a string or a
/// [`Topology`], run commands in its nodes, break its network on purpose
/// (links, impairments, partitions, failed hosts), run checks and
/// scenarios, and take it down — when dropped, at the latest.
///
/// Needs root (or `CAP_NET_ADMIN` and `CAP_SYS_ADMIN`), as `nslab up` does.
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
}

impl Lab {
    /// Bring up the lab of the topology file at `path`.
    pub fn up_file(path: impl AsRef<Path>) -> Result<Lab, Error> {
        Lab::bring_up(launch::read(path.as_ref()).map_err(Error::Invalid)?)
    }

    /// Bring up the lab of the topology text `yaml` (named `(string)` in
    /// messages).
    pub fn up_str(yaml: &str) -> Result<Lab, Error> {
        Lab::bring_up(launch::parse("(string)", yaml).map_err(Error::Invalid)?)
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
        Lab::bring_up(l)
    }

    /// The entry point `nslab up` uses; the value exists only once the lab
    /// is up with its processes, so a failure never takes down a lab that
    /// was up before.
    fn bring_up(l: Loaded) -> Result<Lab, Error> {
        let mut host = crate::host::linux::Linux::new(&l.desired.lab);
        Lab::bring_up_on(&mut host, l)
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
        let mut warnings = l.warnings;
        warnings.extend(started.warnings);
        Ok(Lab {
            topology: l.topology,
            desired: l.desired,
            keep: false,
            down: false,
            warnings,
            notes: started.notes,
        })
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

    /// Whether `from` gets an ICMP echo reply from `to`'s first address:
    /// `Ok(false)` only when the echo request went out and nothing came
    /// back; [`Error::CouldNotAsk`] when it could not be sent at all.
    pub fn ping(&self, from: &str, to: &str) -> Result<bool, Error> {
        let ip = check::first_address(&self.desired, to).ok_or_else(|| Error::NoAddress {
            node: to.to_string(),
        })?;
        let c = Check {
            text: format!("{from} -> {to}"),
            from: from.to_string(),
            from_netns: self.netns(from)?,
            to_netns: self.netns(to)?,
            to: ip,
            port: None,
            proto: check::Proto::Icmp,
            reply_from: None,
            seen_as: None,
            should_answer: true,
            within: None,
        };
        let o = check::probe(&c);
        asked(&c, &o)?;
        Ok(o.pass)
    }

    /// The file's `expect:` checks, each with what it saw; an error when
    /// one of them could not be made (it would prove nothing).
    pub fn checks(&self) -> Result<Vec<(Check, Outcome)>, Error> {
        let results = check::run(&self.topology, &self.desired).map_err(|e| match e {
            check::CheckError::NoAddress { node, .. } => Error::NoAddress { node },
            check::CheckError::NoNode { lab, node, nodes } => Error::NoNode { lab, node, nodes },
        })?;
        for (c, o) in &results {
            asked(c, o)?;
        }
        Ok(results)
    }

    /// One check written as the file writes one: a line (`a -> c`,
    /// `a -x 10.0.0.3`) or a flow map (`{ from: a, to: "c:7000", proto: tcp,
    /// reply-from: c }`), retried for up to `within` as `within:` does:
    /// what it saw. Read by the model against the lab's nodes and their
    /// addresses (a check naming no node of the lab is [`Error::Invalid`],
    /// its place on line 2 of a text holding the check), then resolved
    /// against the lab itself; an error when the probe could not be made.
    pub fn check(&self, expr: &str, within: Option<Duration>) -> Result<(Check, Outcome), Error> {
        let within = within.map(|w| format!("\"{}ms\"", w.as_millis().max(1)));
        let map = expr.trim();
        let entry = match (
            map.strip_prefix('{').and_then(|m| m.strip_suffix('}')),
            within,
        ) {
            (Some(fields), Some(w)) => format!("{{{fields}, within: {w}}}"),
            (Some(_), None) => map.to_string(),
            (None, w) => {
                let mut e = serde_json::json!({ "check": expr }).to_string();
                if let Some(w) = w {
                    e.pop();
                    e.push_str(&format!(", \"within\": {w}}}"));
                }
                e
            }
        };
        // The lab's nodes, each with its addresses (the model refuses a
        // probe of a node without one): enough for the model to read the
        // check, which is then resolved against the lab itself.
        let nodes: serde_json::Map<String, serde_json::Value> = self
            .topology
            .nodes
            .keys()
            .map(|n| {
                let addrs: std::collections::BTreeSet<String> = self
                    .desired
                    .nodes
                    .get(n.as_str())
                    .map(|s| {
                        s.links
                            .values()
                            .flat_map(|l| l.addresses.iter().map(ToString::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let node = if addrs.is_empty() {
                    serde_json::json!({})
                } else {
                    serde_json::json!({ "interfaces": { "p0": { "kind": "bridge", "addresses": addrs } } })
                };
                (n.to_string(), node)
            })
            .collect();
        let text = format!(
            "{{\"lab\": {}, \"nodes\": {},\n\"expect\": [{entry}]}}",
            serde_json::Value::from(self.name()),
            serde_json::Value::Object(nodes)
        );
        let t = nslab_model::parse_str(
            &format!("check `{expr}`"),
            &text,
            &nslab_model::AnyHostInterfaces,
        )
        .map_err(Error::Invalid)?;
        let checks =
            check::resolve_list(&self.topology, &self.desired, &t.expect).map_err(|e| match e {
                check::CheckError::NoAddress { node, .. } => Error::NoAddress { node },
                check::CheckError::NoNode { lab, node, nodes } => {
                    Error::NoNode { lab, node, nodes }
                }
            })?;
        let mut results: Vec<(Check, Outcome)> = checks
            .iter()
            .cloned()
            .zip(check::run_all(&checks))
            .collect();
        let Some((c, o)) = results.pop() else {
            return Err(Error::NoCheck {
                given: expr.to_string(),
            });
        };
        asked(&c, &o)?;
        Ok((c, o))
    }

    /// Run the file's scenario `name` (healed when it ends).
    pub fn test(&self, name: &str) -> Result<ScenarioResult, Error> {
        let sc = self
            .topology
            .scenarios
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error::NoScenario {
                lab: self.name().to_string(),
                scenario: name.to_string(),
                scenarios: self
                    .topology
                    .scenarios
                    .iter()
                    .map(|s| s.name.to_string())
                    .collect(),
            })?;
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

/// A probe that could not be made is an error: it proves nothing.
fn asked(c: &Check, o: &Outcome) -> Result<(), Error> {
    if o.asked {
        return Ok(());
    }
    Err(Error::CouldNotAsk {
        check: c.text.clone(),
        why: o.seen.clone(),
    })
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !self.down && !self.keep {
            let lab = &self.desired.lab;
            let _ = crate::lab::down(&mut crate::host::linux::Linux::new(lab), lab);
        }
    }
}
