//! A request for a fault, checked against the lab's file and turned into
//! the faults in force after it and what to do to the kernel.

use super::{at, check_groups, set_up, Action, FaultError};
use crate::plan::Op;
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
        })
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

/// The interface `node:ifname` of the file, or why not.
fn interface<'a>(
    desired: &'a State,
    node: &str,
    ifname: &str,
) -> Result<&'a crate::state::LinkState, FaultError> {
    let n = desired
        .nodes
        .get(node)
        .ok_or_else(|| no_node(desired, node))?;
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
    let mut faults = rec.faults.clone();
    let mut actions = Vec::new();
    match req {
        Request::Link {
            node,
            ifname,
            up,
            both,
        } => link(
            desired,
            rec,
            (node, ifname),
            *up,
            *both,
            &mut faults,
            &mut actions,
        )?,
        Request::Put(Fault::LinkDown { node, ifname }) => link(
            desired,
            rec,
            (node, ifname),
            false,
            false,
            &mut faults,
            &mut actions,
        )?,
        Request::Put(Fault::Impair {
            node,
            ifname,
            impair,
        }) => {
            let exactly = Some(impair.unwrap_or_default());
            let a = set_impair(desired, rec, (node, ifname), exactly, &mut faults)?;
            actions.push(a);
        }
        Request::ClearImpair { node, ifname } => {
            let a = set_impair(desired, rec, (node, ifname), None, &mut faults)?;
            actions.push(a);
        }
        Request::Put(f @ Fault::Partition { groups, .. }) => {
            check_groups(desired, groups).map_err(FaultError::BadInput)?;
            let nodes = f.nodes().into_iter().map(str::to_string).collect();
            faults.push(f.clone());
            actions.push(Action::Partition(nodes));
        }
        Request::Put(Fault::Stopped { node, .. }) => {
            stop(desired, rec, node, &mut faults, &mut actions)?
        }
        Request::Start { node } => start(desired, rec, node, &mut faults, &mut actions)?,
    }
    Ok((faults, actions))
}

/// `start NODE`: the interfaces `stop` downed up again, the processes
/// thawed.
fn start(
    desired: &State,
    rec: &Record,
    node: &str,
    faults: &mut Vec<Fault>,
    actions: &mut Vec<Action>,
) -> Result<(), FaultError> {
    let n = desired
        .nodes
        .get(node)
        .ok_or_else(|| no_node(desired, node))?;
    let Some(pos) = faults
        .iter()
        .position(|f| matches!(f, Fault::Stopped { node: s, .. } if s == node))
    else {
        return Err(FaultError::BadInput(format!(
            "node {node} is not stopped (`nslab show {}` lists the faults in force)",
            desired.lab
        )));
    };
    if let Fault::Stopped { downed, .. } = faults.remove(pos) {
        for i in downed.iter().filter(|i| n.links.contains_key(*i)) {
            actions.push(set_up(rec, node, i, true));
        }
    }
    actions.push(Action::Repair([node.to_string()].into()));
    actions.push(Action::Thaw(node.to_string()));
    Ok(())
}

/// `stop NODE`: every interface that is up (as the file says, and not
/// downed by `nslab link`) goes down, then the processes freeze.
fn stop(
    desired: &State,
    rec: &Record,
    node: &str,
    faults: &mut Vec<Fault>,
    actions: &mut Vec<Action>,
) -> Result<(), FaultError> {
    let n = desired
        .nodes
        .get(node)
        .ok_or_else(|| no_node(desired, node))?;
    if faults
        .iter()
        .any(|f| matches!(f, Fault::Stopped { node: s, .. } if s == node))
    {
        return Err(FaultError::BadInput(format!(
            "node {node} is already stopped (`nslab start {} {node}` starts it)",
            desired.lab
        )));
    }
    let downed: Vec<String> = n
        .links
        .iter()
        .filter(|(i, l)| {
            l.up && !faults.iter().any(
                |f| matches!(f, Fault::LinkDown { node: x, ifname: y } if x == node && y == *i),
            )
        })
        .map(|(i, _)| i.clone())
        .collect();
    for i in &downed {
        actions.push(set_up(rec, node, i, false));
    }
    actions.push(Action::Freeze(node.to_string()));
    faults.push(Fault::Stopped {
        node: node.to_string(),
        downed,
    });
    Ok(())
}

/// `link NODE:IF up|down [--both]`.
fn link(
    desired: &State,
    rec: &Record,
    (node, ifname): (&str, &str),
    up: bool,
    both: bool,
    faults: &mut Vec<Fault>,
    actions: &mut Vec<Action>,
) -> Result<(), FaultError> {
    let ends = ends(desired, node, ifname, both)?;
    for (n, i) in &ends {
        let f = Fault::LinkDown {
            node: n.clone(),
            ifname: i.clone(),
        };
        faults.retain(|x| *x != f);
        if !up {
            faults.push(f);
        }
        actions.push(set_up(rec, n, i, up));
    }
    if up {
        actions.push(Action::Repair(ends.into_iter().map(|(n, _)| n).collect()));
    }
    Ok(())
}

/// `impair NODE:IF ...`: the run-time impairment replaces any earlier one;
/// `None` goes back to the file's.
fn set_impair(
    desired: &State,
    rec: &Record,
    (node, ifname): (&str, &str),
    impair: Option<Impair>,
    faults: &mut Vec<Fault>,
) -> Result<Action, FaultError> {
    let l = interface(desired, node, ifname)?;
    faults.retain(
        |x| !matches!(x, Fault::Impair { node: n, ifname: i, .. } if n == node && i == ifname),
    );
    if let Some(i) = impair {
        faults.push(Fault::Impair {
            node: node.to_string(),
            ifname: ifname.to_string(),
            impair: Some(i).filter(|i| !i.is_none()),
        });
    }
    Ok(Action::Op(Box::new(Op::SetImpair {
        at: at(rec, node),
        ifname: ifname.to_string(),
        impair: impair.or(l.impair).filter(|i| !i.is_none()),
    })))
}
