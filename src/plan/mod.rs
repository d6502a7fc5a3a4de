//! `plan(desired, observed)`: the ordered operations that make the kernel
//! match the file, each with the operation that undoes it. Pure: no I/O, so
//! it is tested without root and `nslab plan` needs none.
//!
//! Order, across all nodes (later phases need earlier ones):
//! routes out, links out, namespaces out, namespaces in, `lo`, links in
//! (parents before children), link attributes (master before up), addresses
//! (deletions before additions), sysctls, routes in, NAT, impairments.

mod links;
mod op;

pub use op::{At, BridgeChange, LinkChange, NewEnd, Op};

use crate::state::{Endpoint, LinkKind, NodeState, RouteState, State};
pub use links::depends_on;
use links::{after_deletions, delete_link, plan_links_in, plan_links_out, Kept};
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

    // Routes out, first of all.
    for (name, o) in &observed.nodes {
        let here = at(name, o);
        match desired.nodes.get(name) {
            Some(d) => plan_routes_out(&mut ph, &mut kept, &here, d, o),
            None => {
                // In the host node nothing goes away by itself: routes and
                // the NAT table are removed one by one.
                if o.netns.is_some() {
                    continue;
                }
                for r in &o.routes {
                    ph.routes_out.push(step(
                        Op::DelRoute {
                            at: here.clone(),
                            route: r.clone(),
                        },
                        Some(Op::AddRoute {
                            at: here.clone(),
                            route: r.clone(),
                        }),
                    ));
                }
                kept.remove(name);
                if o.nat.is_some() {
                    let table = format!("nslab-{}", observed.lab);
                    ph.routes_out.push(step(
                        Op::SetNat {
                            at: here.clone(),
                            table: table.clone(),
                            nat: None,
                        },
                        Some(Op::SetNat {
                            at: here.clone(),
                            table,
                            nat: o.nat.clone(),
                        }),
                    ));
                }
            }
        }
    }

    // Nodes that are no longer wanted.
    for (name, o) in &observed.nodes {
        if desired.nodes.contains_key(name) {
            continue;
        }
        let here = at(name, o);
        // Delete links synchronously when their deletion matters elsewhere:
        // everything in the host node, and veths whose peer survives (the
        // kernel destroys a namespace's links asynchronously).
        for (ifname, l) in &o.links {
            let ep = Endpoint::new(name, ifname);
            // A physical interface must be moved back by hand: a dying
            // namespace would return it to the host under its lab name.
            let survives_elsewhere = match &l.kind {
                LinkKind::Veth { peer } => desired.nodes.contains_key(&peer.node),
                LinkKind::Physical { .. } => true,
                _ => false,
            };
            let dies_with_peer = lazy_host_veths
                && match &l.kind {
                    LinkKind::Veth { peer } => {
                        !desired.nodes.contains_key(&peer.node)
                            && observed
                                .nodes
                                .get(&peer.node)
                                .is_some_and(|p| p.netns.is_some())
                    }
                    _ => false,
                };
            if (o.netns.is_none() && !dies_with_peer) || survives_elsewhere {
                delete_link(&mut ph, &mut gone, observed, &kept, &ep, &here, l);
            }
        }
        if let Some(ns) = &o.netns {
            // Not undone: a deleted namespace takes everything in it.
            ph.netns_out.push(step(
                Op::DeleteNetns {
                    node: name.clone(),
                    netns: ns.clone(),
                },
                None,
            ));
        }
    }

    // Links of kept nodes that go (or are made again).
    for (name, d) in &desired.nodes {
        if let Some(o) = observed.nodes.get(name) {
            let here = at(name, d);
            plan_links_out(&mut ph, &mut gone, observed, &kept, name, &here, d, o);
        }
    }

    for (name, d) in &desired.nodes {
        let here = at(name, d);
        let o = observed.nodes.get(name);
        let new_node = o.is_none() && d.netns.is_some();
        if o.is_none() {
            if let Some(ns) = &d.netns {
                let op = Op::CreateNetns {
                    node: name.clone(),
                    netns: ns.clone(),
                };
                let undo = Op::DeleteNetns {
                    node: name.clone(),
                    netns: ns.clone(),
                };
                ph.netns_in.push(step(op, Some(undo)));
            }
        }
        let empty = NodeState::new(d.netns.clone());
        // A node about to be created starts with lo down, like any new netns.
        let o_lo = o.map(|o| o.lo_up).unwrap_or(false);
        let o = o.unwrap_or(&empty);
        if d.netns.is_some() && d.lo_up != o_lo {
            ph.lo.push(step(
                Op::SetLo {
                    at: here.clone(),
                    up: d.lo_up,
                },
                Some(Op::SetLo {
                    at: here.clone(),
                    up: o_lo,
                }),
            ));
        }
        let mut eff = after_deletions(name, o, &gone, &kept);
        plan_links_in(&mut ph, desired, name, &here, d, &mut eff);
        for (key, value) in &d.sysctls {
            let old = o.sysctls.get(key);
            if old != Some(value) {
                // In a namespace this run makes, deleting the namespace
                // undoes it.
                let undo = match old {
                    Some(v) => Some(vec![Op::SetSysctl {
                        at: here.clone(),
                        key: key.clone(),
                        value: v.clone(),
                    }]),
                    None if new_node => Some(Vec::new()),
                    None => None,
                };
                ph.sysctls.push(step_n(
                    Op::SetSysctl {
                        at: here.clone(),
                        key: key.clone(),
                        value: value.clone(),
                    },
                    undo,
                ));
            }
        }
        if d.nat != o.nat {
            let table = format!("nslab-{}", desired.lab);
            let undo = Op::SetNat {
                at: here.clone(),
                table: table.clone(),
                nat: o.nat.clone(),
            };
            ph.nat.push(step(
                Op::SetNat {
                    at: here.clone(),
                    table,
                    nat: d.nat.clone(),
                },
                Some(undo),
            ));
        }
        for r in &d.routes {
            if !eff.routes.iter().any(|or| route_matches(r, or)) {
                let undo = Op::DelRoute {
                    at: here.clone(),
                    route: r.clone(),
                };
                ph.routes_in.push(step(
                    Op::AddRoute {
                        at: here.clone(),
                        route: r.clone(),
                    },
                    Some(undo),
                ));
            }
        }
    }

    ph.links_in.sort_by_key(|(depth, _)| *depth);
    let mut steps = Vec::new();
    steps.extend(ph.routes_out);
    steps.extend(ph.links_out);
    steps.extend(ph.netns_out);
    steps.extend(ph.netns_in);
    steps.extend(ph.lo);
    steps.extend(ph.links_in.into_iter().map(|(_, s)| s));
    steps.extend(ph.attrs);
    steps.extend(ph.addrs_out);
    steps.extend(ph.addrs_in);
    steps.extend(ph.sysctls);
    steps.extend(ph.routes_in);
    steps.extend(ph.nat);
    steps.extend(ph.impair);
    Plan { steps }
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

fn plan_routes_out(ph: &mut Phases, kept: &mut Kept, here: &At, d: &NodeState, o: &NodeState) {
    for r in &o.routes {
        if !d.routes.iter().any(|dr| route_matches(dr, r)) {
            if let Some(k) = kept.get_mut(&here.node) {
                k.remove(r);
            }
            let undo = Op::AddRoute {
                at: here.clone(),
                route: r.clone(),
            };
            ph.routes_out.push(step(
                Op::DelRoute {
                    at: here.clone(),
                    route: r.clone(),
                },
                Some(undo),
            ));
        }
    }
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
