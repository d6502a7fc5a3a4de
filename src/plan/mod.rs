//! `plan(desired, observed)`: the ordered operations that make the kernel
//! match the file, each with the operation that undoes it. Pure: no I/O, so
//! it is tested without root and `nslab plan` needs none.
//!
//! Order, across all nodes (later phases need earlier ones):
//! routes out, links out, namespaces out, namespaces in, `lo`, links in
//! (parents before children), link attributes (master before up), addresses,
//! sysctls, routes in, impairments.

mod links;
mod op;

pub use op::{At, LinkChange, NewEnd, Op};

use crate::state::{Endpoint, LinkKind, NodeState, RouteState, State};
use links::{delete_link, plan_links};
use std::collections::{BTreeMap, BTreeSet};

/// One operation and, when it can be undone, its inverse (used to roll back
/// a failed `up`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    pub op: Op,
    #[serde(skip)]
    pub undo: Option<Op>,
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
    addrs: Vec<Step>,
    sysctls: Vec<Step>,
    routes_in: Vec<Step>,
    nat: Vec<Step>,
    impair: Vec<Step>,
}

pub(super) fn step(op: Op, undo: Option<Op>) -> Step {
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

    // Nodes that are no longer wanted.
    for (name, o) in &observed.nodes {
        if desired.nodes.contains_key(name) {
            continue;
        }
        let here = at(name, o);
        // In the host node nothing goes away by itself: routes and the NAT
        // table are removed one by one.
        if o.netns.is_none() {
            for r in &o.routes {
                let op = Op::DelRoute {
                    at: here.clone(),
                    route: r.clone(),
                };
                ph.routes_out.push(step(op, None));
            }
            if o.nat.is_some() {
                let table = format!("nslab-{}", observed.lab);
                ph.routes_out.push(step(
                    Op::SetNat {
                        at: here.clone(),
                        table,
                        nat: None,
                    },
                    None,
                ));
            }
        }
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
                delete_link(&mut ph, &mut gone, observed, &ep, &here, l);
            }
        }
        if let Some(ns) = &o.netns {
            ph.netns_out.push(step(
                Op::DeleteNetns {
                    node: name.clone(),
                    netns: ns.clone(),
                },
                None,
            ));
        }
    }

    for (name, d) in &desired.nodes {
        let here = at(name, d);
        let o = observed.nodes.get(name);
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
        plan_routes_out(&mut ph, &here, d, o);
        plan_links(&mut ph, &mut gone, desired, observed, name, &here, d, o);
        for (key, value) in &d.sysctls {
            let old = o.sysctls.get(key);
            if old != Some(value) {
                let undo = old.map(|v| Op::SetSysctl {
                    at: here.clone(),
                    key: key.clone(),
                    value: v.clone(),
                });
                ph.sysctls.push(step(
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
            if !o.routes.iter().any(|or| route_matches(r, or)) {
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
    steps.extend(ph.addrs);
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

fn plan_routes_out(ph: &mut Phases, here: &At, d: &NodeState, o: &NodeState) {
    for r in &o.routes {
        if !d.routes.iter().any(|dr| route_matches(dr, r)) {
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
