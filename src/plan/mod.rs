//! `plan(desired, observed)`: the ordered operations that make the kernel
//! match the file, each with the operation that undoes it. Pure: no I/O, so
//! it is tested without root and `nslab plan` needs none.
//!
//! Order, across all nodes (later phases need earlier ones):
//! routes out, links out, namespaces out, namespaces in, `lo`, links in
//! (parents before children), link attributes (master before up), addresses,
//! sysctls, routes in, impairments.

mod op;

pub use op::{At, LinkChange, NewEnd, Op};

use crate::state::{Endpoint, LinkKind, LinkState, NodeState, RouteState, State};
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
struct Phases {
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

fn step(op: Op, undo: Option<Op>) -> Step {
    Step { op, undo }
}

fn at(node: &str, n: &NodeState) -> At {
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

fn delete_link(
    ph: &mut Phases,
    gone: &mut BTreeSet<Endpoint>,
    observed: &State,
    ep: &Endpoint,
    here: &At,
    l: &LinkState,
) {
    if gone.contains(ep) {
        return;
    }
    let op = match &l.kind {
        LinkKind::Physical { from } => Op::MoveOut {
            at: here.clone(),
            ifname: ep.ifname.clone(),
            to: from.clone(),
        },
        _ => Op::DeleteLink {
            at: here.clone(),
            ifname: ep.ifname.clone(),
        },
    };
    ph.links_out.push(step(op, None));
    mark_gone(gone, observed, ep, l);
}

/// Record `ep` and everything whose existence depends on it.
fn mark_gone(gone: &mut BTreeSet<Endpoint>, observed: &State, ep: &Endpoint, l: &LinkState) {
    if !gone.insert(ep.clone()) {
        return;
    }
    if matches!(l.kind, LinkKind::Physical { .. }) {
        return;
    }
    if let LinkKind::Veth { peer } = &l.kind {
        gone.insert(peer.clone());
    }
    for (node, n) in &observed.nodes {
        for (ifname, child) in &n.links {
            if child.kind.parent() == Some(ep) {
                mark_gone(gone, observed, &Endpoint::new(node, ifname), child);
            }
        }
    }
}

/// How deep an interface sits in its parent chain (parents are created
/// first).
fn depth(desired: &State, kind: &LinkKind) -> usize {
    let mut d = 0;
    let mut cur = kind.parent().cloned();
    while let Some(p) = cur {
        d += 1;
        if d > 16 {
            break;
        }
        cur = desired
            .nodes
            .get(&p.node)
            .and_then(|n| n.links.get(&p.ifname))
            .and_then(|l| l.kind.parent().cloned());
    }
    match kind {
        LinkKind::Bridge { .. } => 0,
        LinkKind::Vxlan { .. } => 10 + d,
        _ => 1 + d,
    }
}

#[allow(clippy::too_many_arguments)]
fn plan_links(
    ph: &mut Phases,
    gone: &mut BTreeSet<Endpoint>,
    desired: &State,
    observed: &State,
    name: &str,
    here: &At,
    d: &NodeState,
    o: &NodeState,
) {
    // Links the node has but the file no longer wants (or wants as
    // something else).
    for (ifname, ol) in &o.links {
        let ep = Endpoint::new(name, ifname);
        let keep = d
            .links
            .get(ifname)
            .is_some_and(|dl| same_kind(&dl.kind, &ol.kind));
        if !keep {
            delete_link(ph, gone, observed, &ep, here, ol);
        }
    }
    for (ifname, dl) in &d.links {
        let ep = Endpoint::new(name, ifname);
        let existing = o
            .links
            .get(ifname)
            .filter(|ol| same_kind(&dl.kind, &ol.kind) && !gone.contains(&ep));
        match existing {
            None => create_link(ph, desired, &ep, here, dl),
            Some(ol) => update_link(ph, here, ifname, dl, ol),
        }
    }
}

fn same_kind(d: &LinkKind, o: &LinkKind) -> bool {
    match (d, o) {
        // The kernel's link dump does not report a tap's owner: an unknown
        // owner is taken to match.
        (LinkKind::Tap { .. }, LinkKind::Tap { owner: None }) => true,
        _ => d == o,
    }
}

fn create_link(ph: &mut Phases, desired: &State, ep: &Endpoint, here: &At, dl: &LinkState) {
    let end = NewEnd {
        at: here.clone(),
        ifname: ep.ifname.clone(),
        mtu: dl.mtu,
        mac: dl.mac,
    };
    let undo = Some(Op::DeleteLink {
        at: here.clone(),
        ifname: ep.ifname.clone(),
    });
    let depth = depth(desired, &dl.kind);
    match &dl.kind {
        LinkKind::Veth { peer } => {
            // The pair is made once, from its lower end; the other end's
            // attributes are still planned from its own entry.
            if ep < peer {
                if let Some((pn, pl)) = desired
                    .nodes
                    .get(&peer.node)
                    .and_then(|n| n.links.get(&peer.ifname).map(|l| (n, l)))
                {
                    let b = NewEnd {
                        at: at(&peer.node, pn),
                        ifname: peer.ifname.clone(),
                        mtu: pl.mtu,
                        mac: pl.mac,
                    };
                    ph.links_in
                        .push((depth, step(Op::AddVeth { a: end, b }, undo)));
                }
            }
        }
        LinkKind::Physical { from } => {
            let op = Op::MoveIn {
                at: here.clone(),
                ifname: ep.ifname.clone(),
                from: from.clone(),
            };
            let undo = Op::MoveOut {
                at: here.clone(),
                ifname: ep.ifname.clone(),
                to: from.clone(),
            };
            ph.links_in.push((depth, step(op, Some(undo))));
        }
        kind => {
            let parent_at = kind
                .parent()
                .filter(|p| p.node != ep.node)
                .and_then(|p| desired.nodes.get(&p.node).map(|n| at(&p.node, n)));
            let op = Op::AddLink {
                end,
                kind: kind.clone(),
                parent_at,
            };
            ph.links_in.push((depth, step(op, undo)));
        }
    }
    // A physical interface keeps its MTU and MAC unless the file sets them.
    let blank = LinkState {
        up: false,
        mtu: dl.mtu,
        mac: dl.mac,
        ..LinkState::new(dl.kind.clone())
    };
    update_link(ph, here, &ep.ifname, dl, &blank);
}

fn update_link(ph: &mut Phases, here: &At, ifname: &str, dl: &LinkState, ol: &LinkState) {
    let mut change = LinkChange::default();
    let mut back = LinkChange::default();
    if dl.master != ol.master {
        change.master = Some(dl.master.clone());
        back.master = Some(ol.master.clone());
    }
    if let Some(mtu) = dl.mtu.filter(|m| Some(*m) != ol.mtu) {
        change.mtu = Some(mtu);
        back.mtu = ol.mtu;
    }
    if let Some(mac) = dl.mac.filter(|m| Some(*m) != ol.mac) {
        change.mac = Some(mac);
        back.mac = ol.mac;
    }
    // Hairpin lives on the bridge port: set it again whenever the port is
    // (re)attached.
    if dl.master.is_some() && (dl.hairpin != ol.hairpin || (change.master.is_some() && dl.hairpin))
    {
        change.hairpin = Some(dl.hairpin);
        if ol.master.is_some() {
            back.hairpin = Some(ol.hairpin);
        }
    }
    if dl.up != ol.up {
        change.up = Some(dl.up);
        back.up = Some(ol.up);
    }
    if !change.is_empty() {
        let undo = Op::SetLink {
            at: here.clone(),
            ifname: ifname.to_string(),
            change: back,
        };
        ph.attrs.push(step(
            Op::SetLink {
                at: here.clone(),
                ifname: ifname.to_string(),
                change,
            },
            Some(undo),
        ));
    }
    for cidr in dl.addresses.difference(&ol.addresses) {
        let undo = Op::DelAddress {
            at: here.clone(),
            ifname: ifname.to_string(),
            cidr: *cidr,
        };
        ph.addrs.push(step(
            Op::AddAddress {
                at: here.clone(),
                ifname: ifname.to_string(),
                cidr: *cidr,
            },
            Some(undo),
        ));
    }
    for cidr in ol.addresses.difference(&dl.addresses) {
        let undo = Op::AddAddress {
            at: here.clone(),
            ifname: ifname.to_string(),
            cidr: *cidr,
        };
        ph.addrs.push(step(
            Op::DelAddress {
                at: here.clone(),
                ifname: ifname.to_string(),
                cidr: *cidr,
            },
            Some(undo),
        ));
    }
    if dl.impair != ol.impair {
        let undo = Op::SetImpair {
            at: here.clone(),
            ifname: ifname.to_string(),
            impair: ol.impair,
        };
        ph.impair.push(step(
            Op::SetImpair {
                at: here.clone(),
                ifname: ifname.to_string(),
                impair: dl.impair,
            },
            Some(undo),
        ));
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
