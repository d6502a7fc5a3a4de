//! A request for a fault, checked against the lab's file and turned into
//! the faults in force after it and what to do to the kernel.

use super::{check_groups, set_impair, set_up, Action, FaultError};
use crate::record::{Fault, Record};
use crate::state::{Impair, LinkKind, State};

/// A change to the faults in force: a fault put in as it is recorded,
/// or what has no record of its own (an interface up again, an
/// impairment cleared, a node started, both ends of a link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Put this fault in force. A `Stopped`'s `downed` is worked out
    /// here (the interfaces that are up), not taken from the request; an
    /// `Impair` of `None` is no impairment, whatever the file says.
    Put(Fault),
    /// The interface's admin state; `both`: the far end of its veth too.
    Link {
        node: String,
        ifname: String,
        up: bool,
        both: bool,
    },
    /// The interface's run-time impairment removed: back to what the file
    /// says.
    ClearImpair { node: String, ifname: String },
    /// A stopped node back as it was.
    Start { node: String },
}

impl Request {
    /// The interface's egress impairment, exactly this (`None`: back to
    /// what the file says).
    pub fn impair(node: String, ifname: String, impair: Option<Impair>) -> Request {
        match impair {
            Some(i) => Request::Put(Fault::Impair {
                node,
                ifname,
                impair: Some(i).filter(|i| !i.is_none()),
            }),
            None => Request::ClearImpair { node, ifname },
        }
    }

    /// `stop NODE`: its interfaces that are up go down, its processes
    /// freeze.
    pub fn stop(node: String) -> Request {
        Request::Put(Fault::Stopped {
            node,
            downed: Vec::new(),
            took: None,
        })
    }
}

/// The nodes `req` acts on (with `--both`, the far end's too, when the
/// file has it): each must be a node of the lab's record.
pub(super) fn nodes<'a>(desired: &'a State, req: &'a Request) -> Vec<&'a str> {
    match req {
        Request::Link {
            node, ifname, both, ..
        } => {
            let mut out = vec![node.as_str()];
            let peer = desired
                .nodes
                .get(node)
                .and_then(|n| n.links.get(ifname))
                .and_then(|l| match &l.kind {
                    LinkKind::Veth { peer } if *both => Some(peer.node.as_str()),
                    _ => None,
                });
            out.extend(peer);
            out
        }
        Request::ClearImpair { node, .. } | Request::Start { node } => vec![node.as_str()],
        Request::Put(f) => f.nodes(),
    }
}

fn no_node(desired: &State, node: &str) -> FaultError {
    let nodes: Vec<&str> = desired.nodes.keys().map(String::as_str).collect();
    FaultError::BadInput(format!(
        "lab {} has no node {node}; its nodes: {}",
        desired.lab,
        nodes.join(", ")
    ))
}

/// The node of the file, or why not.
fn node_of<'a>(desired: &'a State, node: &str) -> Result<&'a crate::state::NodeState, FaultError> {
    desired
        .nodes
        .get(node)
        .ok_or_else(|| no_node(desired, node))
}

/// The interface `node:ifname` of the file, or why not.
fn interface<'a>(
    desired: &'a State,
    node: &str,
    ifname: &str,
) -> Result<&'a crate::state::LinkState, FaultError> {
    let n = node_of(desired, node)?;
    n.links.get(ifname).ok_or_else(|| {
        let names: Vec<&str> = n.links.keys().map(String::as_str).collect();
        FaultError::BadInput(format!(
            "node {node} has no interface {ifname}; its interfaces: {}",
            names.join(", ")
        ))
    })
}

/// `node:ifname` and, with `both`, the far end of its veth.
fn ends(
    desired: &State,
    node: &str,
    ifname: &str,
    both: bool,
) -> Result<Vec<(String, String)>, FaultError> {
    let l = interface(desired, node, ifname)?;
    let mut out = vec![(node.to_string(), ifname.to_string())];
    if both {
        match &l.kind {
            LinkKind::Veth { peer } => out.push((peer.node.clone(), peer.ifname.clone())),
            other => {
                return Err(FaultError::BadInput(format!(
                    "{node}:{ifname} is a {} interface, not one end of a link; drop --both",
                    other.name()
                )))
            }
        }
    }
    Ok(out)
}

/// The faults after `req`, and what to do to the kernel; bad input
/// changes nothing.
pub(super) fn prepare(
    desired: &State,
    rec: &Record,
    req: &Request,
) -> Result<(Vec<Fault>, Vec<Action>), FaultError> {
    let mut c = Change {
        desired,
        rec,
        faults: rec.faults.clone(),
        actions: Vec::new(),
    };
    match req {
        Request::Link {
            node,
            ifname,
            up,
            both,
        } => c.link((node, ifname), *up, *both)?,
        Request::Put(Fault::LinkDown { node, ifname }) => c.link((node, ifname), false, false)?,
        Request::Put(Fault::Impair {
            node,
            ifname,
            impair,
        }) => c.impair((node, ifname), Some(impair.unwrap_or_default()))?,
        Request::ClearImpair { node, ifname } => c.impair((node, ifname), None)?,
        Request::Put(f @ Fault::Partition { groups, .. }) => {
            check_groups(desired, groups)?;
            let nodes = f.nodes().into_iter().map(str::to_string).collect();
            c.faults.push(f.clone());
            c.actions.push(Action::Partition(nodes));
        }
        Request::Put(Fault::Stopped { node, .. }) => c.stop(node)?,
        Request::Start { node } => c.start(node)?,
    }
    Ok((c.faults, c.actions))
}

/// The faults as they become, and what to do to the kernel for it.
struct Change<'a> {
    desired: &'a State,
    rec: &'a Record,
    faults: Vec<Fault>,
    actions: Vec<Action>,
}

impl Change<'_> {
    fn stopped(&self, node: &str) -> Option<usize> {
        self.faults
            .iter()
            .position(|f| matches!(f, Fault::Stopped { node: s, .. } if s == node))
    }

    /// `start NODE`: the interfaces `stop` downed up again, the processes
    /// thawed.
    fn start(&mut self, node: &str) -> Result<(), FaultError> {
        let n = node_of(self.desired, node)?;
        let Some(pos) = self.stopped(node) else {
            return Err(FaultError::BadInput(format!(
                "node {node} is not stopped (`nslab show {}` lists the faults in force)",
                self.desired.lab
            )));
        };
        let mut thaw = None;
        if let Fault::Stopped { downed, took, .. } = self.faults.remove(pos) {
            thaw = took;
            // What `stop` took, and no more: an interface downed by
            // `nslab link` since stays down.
            let linked_down = |i: &str| {
                self.faults.iter().any(
                    |f| matches!(f, Fault::LinkDown { node: x, ifname: y } if x == node && y == i),
                )
            };
            for i in downed.iter().filter(|i| n.links.contains_key(*i)) {
                if !linked_down(i) {
                    self.actions.push(set_up(self.rec, node, i, true));
                }
            }
        }
        self.actions.push(Action::Repair([node.to_string()].into()));
        self.actions.push(Action::Thaw(node.to_string(), thaw));
        Ok(())
    }

    /// `stop NODE`: every interface that is up (as the file says, and not
    /// downed by `nslab link`) goes down, then the processes freeze.
    fn stop(&mut self, node: &str) -> Result<(), FaultError> {
        let n = node_of(self.desired, node)?;
        if self.stopped(node).is_some() {
            return Err(FaultError::BadInput(format!(
                "node {node} is already stopped (`nslab start {} {node}` starts it)",
                self.desired.lab
            )));
        }
        let downed: Vec<String> = n
            .links
            .iter()
            .filter(|(i, l)| {
                l.up && !self.faults.iter().any(
                    |f| matches!(f, Fault::LinkDown { node: x, ifname: y } if x == node && y == *i),
                )
            })
            .map(|(i, _)| i.clone())
            .collect();
        for i in &downed {
            self.actions.push(set_up(self.rec, node, i, false));
        }
        self.actions.push(Action::Freeze(node.to_string()));
        // What it freezes is known once the host is asked (`apply`).
        self.faults.push(Fault::Stopped {
            node: node.to_string(),
            downed,
            took: None,
        });
        Ok(())
    }

    /// `link NODE:IF up|down [--both]`.
    fn link(
        &mut self,
        (node, ifname): (&str, &str),
        up: bool,
        both: bool,
    ) -> Result<(), FaultError> {
        let ends = ends(self.desired, node, ifname, both)?;
        for (n, i) in &ends {
            let f = Fault::LinkDown {
                node: n.clone(),
                ifname: i.clone(),
            };
            self.faults.retain(|x| *x != f);
            if !up {
                self.faults.push(f);
            }
            // Up by hand while its node is stopped: `stop` holds it no
            // more, and `start` has nothing to give back.
            for x in &mut self.faults {
                if let Fault::Stopped {
                    node: s, downed, ..
                } = x
                {
                    if s == n && up {
                        downed.retain(|d| d != i);
                    }
                }
            }
            self.actions.push(set_up(self.rec, n, i, up));
        }
        if up {
            let nodes = ends.into_iter().map(|(n, _)| n).collect();
            self.actions.push(Action::Repair(nodes));
        }
        Ok(())
    }

    /// `impair NODE:IF ...`: the run-time impairment replaces any earlier
    /// one; `None` goes back to the file's.
    fn impair(
        &mut self,
        (node, ifname): (&str, &str),
        impair: Option<Impair>,
    ) -> Result<(), FaultError> {
        let l = interface(self.desired, node, ifname)?;
        self.faults.retain(
            |x| !matches!(x, Fault::Impair { node: n, ifname: i, .. } if n == node && i == ifname),
        );
        if let Some(i) = impair {
            self.faults.push(Fault::Impair {
                node: node.to_string(),
                ifname: ifname.to_string(),
                impair: Some(i).filter(|i| !i.is_none()),
            });
        }
        self.actions
            .push(set_impair(self.rec, node, ifname, impair.or(l.impair)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{LinkChange, Op};
    use crate::state::{LinkState, NodeState};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const IFS: [&str; 2] = ["eth0", "eth1"];

    fn lab() -> (State, Record) {
        let mut s = State {
            lab: "t".into(),
            ..State::default()
        };
        let mut b = NodeState::new(Some("t-b".into()));
        for i in IFS {
            b.links.insert(
                i.into(),
                LinkState::new(LinkKind::Other { kind: "x".into() }),
            );
        }
        s.nodes.insert("b".into(), b);
        let mut rec = Record::new("t");
        rec.nodes.insert("b".into(), Some("t-b".into()));
        (s, rec)
    }

    fn req(op: u8, i: usize) -> Request {
        let ifname = IFS[i % IFS.len()].to_string();
        match op % 4 {
            0 => Request::stop("b".into()),
            1 => Request::Start { node: "b".into() },
            n => Request::Link {
                node: "b".into(),
                ifname,
                up: n == 3,
                both: false,
            },
        }
    }

    proptest! {
        /// Any sequence of `stop b`, `start b`, `link b:IF up|down`: each
        /// interface is up in the kernel exactly when the faults in force
        /// (what `show` lists) leave it up — `start` gives back what
        /// `stop` took, and no more.
        #[test]
        fn the_kernel_is_as_the_faults_in_force_say(
            ops in proptest::collection::vec((0u8..4, 0usize..2), 0..14)
        ) {
            let (desired, mut rec) = lab();
            let mut kernel: BTreeMap<String, bool> =
                IFS.iter().map(|i| (i.to_string(), true)).collect();
            for (op, i) in ops {
                let Ok((after, actions)) = prepare(&desired, &rec, &req(op, i)) else {
                    continue; // refused: nothing changes
                };
                for a in actions {
                    if let Action::Op(op) = a {
                        if let Op::SetLink { ifname, change: LinkChange { up: Some(up), .. }, .. } = *op {
                            kernel.insert(ifname, up);
                        }
                    }
                }
                rec.faults = after;
                for i in IFS {
                    let linked_down = rec.faults.iter().any(
                        |f| matches!(f, Fault::LinkDown { ifname, .. } if ifname == i),
                    );
                    let held_by_stop = rec.faults.iter().any(
                        |f| matches!(f, Fault::Stopped { downed, .. } if downed.iter().any(|d| d == i)),
                    );
                    let want_up = !linked_down && !held_by_stop;
                    prop_assert_eq!(
                        kernel[i], want_up,
                        "{}: faults in force {:?}", i, rec.faults
                    );
                }
            }
        }
    }
}
