//! `plan(desired, observed)`: the ordered operations that make the kernel
//! match the file, each with the operation that undoes it. Pure: no I/O, so
//! it is tested without root and `nslab plan` needs none.
//!
//! Order, across all nodes (later phases need earlier ones):
//! routes out, links out, namespaces out, namespaces in, `lo`, links in
//! (parents before children), link attributes (master before up), addresses
//! (deletions before additions), sysctls, routes in, NAT, impairments.

mod addresses;
mod files;
mod links;
mod links_in;
mod nodes;
mod op;
mod parts;
mod script;
mod show;
mod undo;

pub use crate::state::BridgeChange;
pub use op::{At, LinkChange, NewEnd, Op};
pub(crate) use parts::link_change_parts;
pub use script::script;

use crate::state::{Endpoint, NodeState, RouteState, State};
#[cfg(test)]
pub use links::depends_on;
use links::Kept;
use std::collections::{BTreeMap, BTreeSet};

/// One operation and the operations that undo it (used to roll back a
/// failed `up`); `None`: the step cannot be undone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    pub op: Op,
    #[serde(skip)]
    pub undo: Option<Vec<Op>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
    pub fn len(&self) -> usize {
        self.steps.len()
    }
    /// Whether carrying it out can make the kernel take more along than
    /// the plan says (deletions have side effects).
    pub fn destructive(&self) -> bool {
        self.steps.iter().any(|s| match &s.op {
            Op::DeleteLink { .. }
            | Op::DeleteNetns { .. }
            | Op::DelAddress { .. }
            | Op::MoveOut { .. } => true,
            // Down flushes routes; a small MTU drops addresses.
            Op::SetLink { change, .. } => change.up == Some(false) || change.mtu.is_some(),
            _ => false,
        })
    }
}

#[derive(Default)]
pub(super) struct Phases {
    routes_out: Vec<Step>,
    links_out: Vec<Step>,
    netns_out: Vec<Step>,
    netns_in: Vec<Step>,
    lo: Vec<Step>,
    links_in: Vec<(usize, Step)>,
    attrs: Vec<Step>,
    addrs_out: Vec<Step>,
    addrs_in: Vec<Step>,
    sysctls: Vec<Step>,
    routes_in: Vec<Step>,
    nat: Vec<Step>,
    impair: Vec<Step>,
    files: Vec<Step>,
}

pub(super) fn step(op: Op, undo: Option<Op>) -> Step {
    Step {
        op,
        undo: undo.map(|u| vec![u]),
    }
}

pub(super) fn step_n(op: Op, undo: Option<Vec<Op>>) -> Step {
    Step { op, undo }
}

pub(super) fn at(node: &str, n: &NodeState) -> At {
    At {
        node: node.to_string(),
        netns: n.netns.clone(),
    }
}

/// Everything `desired` needs that `observed` lacks, and everything the lab
/// owns in `observed` that `desired` no longer has.
pub fn plan(desired: &State, observed: &State) -> Plan {
    plan_inner(desired, observed, false)
}

/// `lazy_host_veths`: leave host-side veth ends whose peers' namespaces
/// are deleted to the kernel, which destroys them with those namespaces
/// in one batch (deleting each by hand costs an RCU grace period apiece);
/// `down` then waits for them to be gone.
fn plan_inner(desired: &State, observed: &State, lazy_host_veths: bool) -> Plan {
    let mut ph = Phases::default();
    // Links that go away as a side effect of another deletion (a veth's
    // peer, a sub-interface of a deleted parent): never deleted twice.
    let mut gone: BTreeSet<Endpoint> = BTreeSet::new();
    // Routes left after the route deletions, by node.
    let mut kept: Kept = observed
        .nodes
        .iter()
        .map(|(n, o)| (n.clone(), o.routes.clone()))
        .collect();
    nodes::routes_out(&mut ph, &mut kept, desired, observed);
    nodes::nodes_out(
        &mut ph,
        &mut gone,
        &kept,
        desired,
        observed,
        lazy_host_veths,
    );
    nodes::links_out(&mut ph, &mut gone, &kept, desired, observed);
    for (name, d) in &desired.nodes {
        let o = observed.nodes.get(name);
        nodes::node_in(&mut ph, &gone, &kept, desired, name, d, o);
    }
    ph.into_plan()
}

impl Phases {
    /// The steps, phase after phase; links in by depth (parents first).
    fn into_plan(mut self) -> Plan {
        self.links_in.sort_by_key(|(depth, _)| *depth);
        let mut steps = Vec::new();
        steps.extend(self.routes_out);
        steps.extend(self.links_out);
        steps.extend(self.netns_out);
        steps.extend(self.netns_in);
        steps.extend(self.lo);
        steps.extend(self.links_in.into_iter().map(|(_, s)| s));
        steps.extend(self.attrs);
        steps.extend(self.addrs_out);
        steps.extend(self.addrs_in);
        steps.extend(self.sysctls);
        steps.extend(self.routes_in);
        steps.extend(self.nat);
        steps.extend(self.impair);
        steps.extend(self.files);
        Plan { steps }
    }
}

/// Does observed route `o` satisfy desired route `d`? The kernel fills in
/// what the file may leave out (the device of a gateway route).
pub fn route_matches(d: &RouteState, o: &RouteState) -> bool {
    d.to == o.to
        && d.v6 == o.v6
        && d.via == o.via
        && d.metric == o.metric
        && d.src == o.src
        && d.table == o.table
        && (d.dev.is_none() || d.dev == o.dev)
}

/// Remove everything the lab owns (for `down`): the plan from the observed
/// state to nothing.
pub fn teardown(observed: &State) -> Plan {
    let empty = State {
        lab: observed.lab.clone(),
        nodes: BTreeMap::new(),
    };
    plan_inner(&empty, observed, true)
}

#[cfg(test)]
mod tests;
