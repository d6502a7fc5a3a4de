//! The plan's steps node by node: routes out, nodes out, links out, then
//! each wanted node in (its namespace, `lo`, links, sysctls, NAT, routes).

use super::links::{after_deletions, delete_link, plan_links_out, Kept};
use super::links_in::plan_links_in;
use super::{at, route_matches, step, step_n, At, Op, Phases};
use crate::state::{Cidr, Endpoint, LinkKind, LinkState, NodeState, State};
use std::collections::BTreeSet;

/// Routes out, first of all: those a kept node no longer wants, and all of
/// a host node that is no longer wanted.
pub(super) fn routes_out(ph: &mut Phases, kept: &mut Kept, desired: &State, observed: &State) {
    for (name, o) in &observed.nodes {
        let here = at(name, o);
        match desired.nodes.get(name) {
            Some(d) => plan_routes_out(ph, kept, &here, d, o),
            // In the host node nothing goes away by itself: routes and the
            // NAT table are removed one by one.
            None if o.netns.is_none() => clear_host_node(ph, kept, observed, name, &here, o),
            None => {}
        }
    }
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

/// The routes and NAT table of a host node that is no longer wanted.
fn clear_host_node(
    ph: &mut Phases,
    kept: &mut Kept,
    observed: &State,
    name: &str,
    here: &At,
    o: &NodeState,
) {
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
        let table = nslab_types::names::nat_table(&observed.lab);
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

/// Nodes that are no longer wanted: the links that must go by hand, then
/// the namespace.
pub(super) fn nodes_out(
    ph: &mut Phases,
    gone: &mut BTreeSet<Endpoint>,
    kept: &Kept,
    desired: &State,
    observed: &State,
    lazy_host_veths: bool,
) {
    for (name, o) in &observed.nodes {
        if desired.nodes.contains_key(name) {
            continue;
        }
        let here = at(name, o);
        for (ifname, l) in &o.links {
            if deleted_by_hand(desired, observed, o, l, lazy_host_veths) {
                let ep = Endpoint::new(name, ifname);
                delete_link(ph, gone, observed, kept, &ep, &here, l);
            }
        }
        if let Some(ns) = &o.netns {
            // Not undone: a deleted namespace takes everything in it.
            ph.netns_out.push(step(
                Op::DeleteNetns {
                    node: name.to_string(),
                    netns: ns.clone(),
                },
                None,
            ));
        }
    }
}

/// Whether link `l` of the unwanted node `o` is deleted synchronously
/// because its deletion matters elsewhere: everything in the host node,
/// and veths whose peer survives (the kernel destroys a namespace's links
/// asynchronously).
fn deleted_by_hand(
    desired: &State,
    observed: &State,
    o: &NodeState,
    l: &LinkState,
    lazy_host_veths: bool,
) -> bool {
    // A physical interface must be moved back by hand: a dying namespace
    // would return it to the host under its lab name.
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
    (o.netns.is_none() && !dies_with_peer) || survives_elsewhere
}

/// Links of kept nodes that go (or are made again).
pub(super) fn links_out(
    ph: &mut Phases,
    gone: &mut BTreeSet<Endpoint>,
    kept: &Kept,
    desired: &State,
    observed: &State,
) {
    for (name, d) in &desired.nodes {
        if let Some(o) = observed.nodes.get(name) {
            let here = at(name, d);
            plan_links_out(ph, gone, observed, kept, name, &here, d, o);
        }
    }
}

/// Everything wanted node `d` lacks, against what is left of `o` (`None`:
/// the node is new) once the deletions are done.
pub(super) fn node_in(
    ph: &mut Phases,
    gone: &BTreeSet<Endpoint>,
    kept: &Kept,
    desired: &State,
    name: &str,
    d: &NodeState,
    o: Option<&NodeState>,
) {
    let here = at(name, d);
    let new_node = o.is_none() && d.netns.is_some();
    if o.is_none() {
        create_netns(ph, name, d);
    }
    let empty = NodeState::new(d.netns.clone());
    // A node about to be created starts with lo down, like any new netns.
    let o_lo = o.map(|o| o.lo_up).unwrap_or(false);
    let o = o.unwrap_or(&empty);
    set_lo(ph, &here, d, o_lo);
    let mut eff = after_deletions(name, o, gone, kept);
    lo_addresses(ph, &here, d, &mut eff);
    plan_links_in(ph, desired, name, &here, d, &mut eff);
    sysctls_in(ph, &here, d, o, new_node);
    nat_in(ph, &here, desired, d, o);
    super::files::files_in(ph, &here, d, o);
    routes_in(ph, &here, d, &eff);
}

fn create_netns(ph: &mut Phases, name: &str, d: &NodeState) {
    if let Some(ns) = &d.netns {
        let op = Op::CreateNetns {
            node: name.to_string(),
            netns: ns.clone(),
        };
        let undo = Op::DeleteNetns {
            node: name.to_string(),
            netns: ns.clone(),
        };
        ph.netns_in.push(step(op, Some(undo)));
    }
}

fn set_lo(ph: &mut Phases, here: &At, d: &NodeState, o_lo: bool) {
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
}

const LO: &str = "lo";

/// The lab's addresses on `lo`, added and removed as a link's are.
fn lo_addresses(ph: &mut Phases, here: &At, d: &NodeState, eff: &mut NodeState) {
    if d.netns.is_none() || d.lo_addresses == eff.lo_addresses {
        return;
    }
    let with = |a: &BTreeSet<Cidr>| {
        let mut l = LinkState::new(LinkKind::Other {
            kind: "loopback".into(),
        });
        l.addresses = a.clone();
        l
    };
    let (dl, ol) = (with(&d.lo_addresses), with(&eff.lo_addresses));
    let node_addrs = super::links_in::node_addrs(d);
    super::addresses::addresses_out(ph, here, LO, &dl, &ol, &mut eff.routes, &node_addrs);
    super::addresses::addresses_in(ph, here, LO, &dl, &ol);
}

fn sysctls_in(ph: &mut Phases, here: &At, d: &NodeState, o: &NodeState, new_node: bool) {
    for (key, value) in &d.sysctls {
        let old = o.sysctls.get(key);
        if old != Some(value) {
            // In a namespace this run makes, deleting the namespace undoes
            // it.
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
}

fn nat_in(ph: &mut Phases, here: &At, desired: &State, d: &NodeState, o: &NodeState) {
    if d.nat != o.nat {
        let table = nslab_types::names::nat_table(&desired.lab);
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
}

/// The routes `d` wants that are not left in `eff` (see
/// [`after_deletions`]).
fn routes_in(ph: &mut Phases, here: &At, d: &NodeState, eff: &NodeState) {
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
