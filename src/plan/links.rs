//! Links in a plan: which to delete (and what goes with them), which to
//! create (parents first, a veth pair once), and what to change in place.
//!
//! The kernel takes things along when it deletes: a deleted link takes its
//! veth peer, its sub-interfaces, the routes through it and its bridge's
//! ports' membership; deleting the last IPv4 address of a link flushes the
//! IPv4 routes through it, and deleting an address drops the routes that
//! use it as their source. The planner plans against the state *after*
//! those side effects (so what the file still wants is made again in the
//! same run) and puts what they destroyed into the deleting step's undo.

use super::{at, step, step_n, At, BridgeChange, LinkChange, NewEnd, Op, Phases};
use crate::state::{Bridge, Endpoint, LinkKind, LinkState, NodeState, RouteState, State, Vxlan};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Routes of each node still there after the plan's route deletions.
pub(super) type Kept = BTreeMap<String, BTreeSet<RouteState>>;

pub(super) fn delete_link(
    ph: &mut Phases,
    gone: &mut BTreeSet<Endpoint>,
    observed: &State,
    kept: &Kept,
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
    let before = gone.clone();
    mark_gone(gone, observed, ep, l);
    let newly: Vec<Endpoint> = gone.difference(&before).cloned().collect();
    let undo = recreate(observed, kept, &newly);
    ph.links_out.push(step_n(op, undo));
}

/// Record `ep` and everything whose existence depends on it.
fn mark_gone(gone: &mut BTreeSet<Endpoint>, observed: &State, ep: &Endpoint, l: &LinkState) {
    if !gone.insert(ep.clone()) {
        return;
    }
    if matches!(l.kind, LinkKind::Physical { .. }) {
        return;
    }
    // The peer takes its own sub-interfaces along. A peer that does not
    // name this link back is not its peer (an end whose namespace is
    // being destroyed can be taken for an unrelated one).
    if let LinkKind::Veth { peer } = &l.kind {
        match observed_link(observed, peer) {
            Some((_, pl)) => {
                if matches!(&pl.kind, LinkKind::Veth { peer: back } if back == ep) {
                    mark_gone(gone, observed, peer, pl);
                }
            }
            None => {
                gone.insert(peer.clone());
            }
        }
    }
    for (node, n) in &observed.nodes {
        for (ifname, child) in &n.links {
            if depends_on(node, child, ep) {
                mark_gone(gone, observed, &Endpoint::new(node, ifname), child);
            }
        }
    }
}

/// Does `child` (in `node`) die with `ep`: a sub-interface of it, or a
/// VXLAN device bound to it (the kernel deletes those with their lower
/// device)?
pub fn depends_on(node: &str, child: &LinkState, ep: &Endpoint) -> bool {
    child.kind.parent() == Some(ep)
        || matches!(&child.kind, LinkKind::Vxlan(Vxlan { dev: Some(d), .. })
            if node == ep.node && *d == ep.ifname)
}

fn observed_link<'a>(observed: &'a State, ep: &Endpoint) -> Option<(&'a NodeState, &'a LinkState)> {
    let n = observed.nodes.get(&ep.node)?;
    Some((n, n.links.get(&ep.ifname)?))
}

/// The operations that bring back the links `eps` (deleted together) as
/// they were observed: the links, their attributes and addresses, their
/// bridge's ports, and the routes through them. `None` when one of them
/// cannot be made again (a kind nslab does not make).
fn recreate(observed: &State, kept: &Kept, eps: &[Endpoint]) -> Option<Vec<Op>> {
    let mut ordered: Vec<(usize, &Endpoint, &NodeState, &LinkState)> = Vec::new();
    for ep in eps {
        let (n, l) = observed_link(observed, ep)?;
        ordered.push((depth(observed, &l.kind), ep, n, l));
    }
    ordered.sort_by_key(|(d, ..)| *d);
    let mut ops = Vec::new();
    for (_, ep, n, l) in &ordered {
        let here = at(&ep.node, n);
        let end = NewEnd {
            at: here.clone(),
            ifname: ep.ifname.clone(),
            mtu: l.mtu,
            mac: l.mac,
        };
        match &l.kind {
            LinkKind::Veth { peer } => {
                // A pair is made again whole, or not at all.
                if !eps.contains(peer) {
                    return None;
                }
                if *ep < peer {
                    let (pn, pl) = observed_link(observed, peer)?;
                    let b = NewEnd {
                        at: at(&peer.node, pn),
                        ifname: peer.ifname.clone(),
                        mtu: pl.mtu,
                        mac: pl.mac,
                    };
                    ops.push(Op::AddVeth { a: end, b });
                }
            }
            LinkKind::Physical { from } => ops.push(Op::MoveIn {
                at: here,
                ifname: ep.ifname.clone(),
                from: from.clone(),
            }),
            LinkKind::Other { .. } => return None,
            kind => {
                let parent_at = kind
                    .parent()
                    .filter(|p| p.node != ep.node)
                    .and_then(|p| observed.nodes.get(&p.node).map(|pn| at(&p.node, pn)));
                ops.push(Op::AddLink {
                    end,
                    kind: kind.clone(),
                    parent_at,
                });
            }
        }
    }
    let mut routes = Vec::new();
    for (_, ep, n, l) in &ordered {
        let here = at(&ep.node, n);
        let blank = LinkState {
            up: false,
            mtu: l.mtu,
            mac: l.mac,
            ..LinkState::new(l.kind.clone())
        };
        // The ports of a re-made bridge join it again.
        if matches!(l.kind, LinkKind::Bridge { .. }) {
            for (pname, pl) in &n.links {
                let pep = Endpoint::new(&ep.node, pname);
                if pl.master.as_deref() == Some(ep.ifname.as_str()) && !eps.contains(&pep) {
                    ops.push(Op::SetLink {
                        at: here.clone(),
                        ifname: pname.clone(),
                        change: LinkChange {
                            master: Some(Some(ep.ifname.clone())),
                            hairpin: pl.hairpin.then_some(true),
                            ..LinkChange::default()
                        },
                    });
                }
            }
        }
        let change = attr_change(l, &blank).0;
        if !change.is_empty() {
            ops.push(Op::SetLink {
                at: here.clone(),
                ifname: ep.ifname.clone(),
                change,
            });
        }
        for cidr in &l.addresses {
            ops.push(Op::AddAddress {
                at: here.clone(),
                ifname: ep.ifname.clone(),
                cidr: *cidr,
            });
        }
        if l.impair.is_some() {
            ops.push(Op::SetImpair {
                at: here.clone(),
                ifname: ep.ifname.clone(),
                impair: l.impair,
            });
        }
        for r in kept.get(&ep.node).into_iter().flatten() {
            if r.dev.as_deref() == Some(ep.ifname.as_str()) {
                routes.push(Op::AddRoute {
                    at: here.clone(),
                    route: r.clone(),
                });
            }
        }
    }
    ops.extend(routes);
    Some(ops)
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

/// Delete the links the node has but the file no longer wants (or wants
/// as something that cannot be changed into in place).
#[allow(clippy::too_many_arguments)]
pub(super) fn plan_links_out(
    ph: &mut Phases,
    gone: &mut BTreeSet<Endpoint>,
    observed: &State,
    kept: &Kept,
    name: &str,
    here: &At,
    d: &NodeState,
    o: &NodeState,
) {
    for (ifname, ol) in &o.links {
        let ep = Endpoint::new(name, ifname);
        let keep = d
            .links
            .get(ifname)
            .is_some_and(|dl| same_kind(&dl.kind, &ol.kind));
        if !keep {
            delete_link(ph, gone, observed, kept, &ep, here, ol);
        }
    }
}

/// The node as it will be once the plan's deletions and their side effects
/// are done: deleted links absent, their bridges' ports detached, routes
/// through them gone.
pub(super) fn after_deletions(
    name: &str,
    o: &NodeState,
    gone: &BTreeSet<Endpoint>,
    kept: &Kept,
) -> NodeState {
    let mut eff = o.clone();
    let is_gone = |ifname: &str| gone.contains(&Endpoint::new(name, ifname));
    eff.links.retain(|ifname, _| !is_gone(ifname));
    for l in eff.links.values_mut() {
        if l.master.as_deref().is_some_and(is_gone) {
            l.master = None;
            l.hairpin = false;
        }
    }
    eff.routes = kept
        .get(name)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| !r.dev.as_deref().is_some_and(is_gone))
        .collect();
    eff
}

/// Create and update the node's links against `eff` (see
/// [`after_deletions`]); routes lost to address deletions leave
/// `eff.routes`.
pub(super) fn plan_links_in(
    ph: &mut Phases,
    desired: &State,
    name: &str,
    here: &At,
    d: &NodeState,
    eff: &mut NodeState,
) {
    let node_addrs: BTreeSet<IpAddr> = d
        .links
        .values()
        .flat_map(|l| l.addresses.iter().map(|c| c.addr))
        .collect();
    for (ifname, dl) in &d.links {
        let ep = Endpoint::new(name, ifname);
        let auto;
        let dl = match bridge_auto_mtu(d, eff, ifname, dl) {
            Some(mtu) => {
                auto = LinkState {
                    mtu: Some(mtu),
                    ..dl.clone()
                };
                &auto
            }
            None => dl,
        };
        let existing = eff
            .links
            .get(ifname)
            .filter(|ol| same_kind(&dl.kind, &ol.kind))
            .cloned();
        match existing {
            None => create_link(ph, desired, &ep, here, dl, &mut eff.routes, &node_addrs),
            Some(ol) => update_link(ph, here, ifname, dl, &ol, &mut eff.routes, &node_addrs),
        }
    }
}

/// The MTU an existing bridge the file gives none has in a fresh build:
/// the smallest of its ports' (1500 without ports), as the kernel adjusts
/// it — set explicitly, so a bridge MTU changed by hand is put back. Only
/// when its ports are there already with their MTUs (otherwise the kernel
/// adjusts it as they change), and never at creation (an MTU set by hand
/// stops the kernel's adjusting).
fn bridge_auto_mtu(d: &NodeState, eff: &NodeState, ifname: &str, dl: &LinkState) -> Option<u32> {
    if dl.mtu.is_some() || !matches!(dl.kind, LinkKind::Bridge { .. }) {
        return None;
    }
    eff.links.get(ifname)?;
    let mut min = None::<u32>;
    for (pname, pl) in d
        .links
        .iter()
        .filter(|(_, l)| l.master.as_deref() == Some(ifname))
    {
        let want = wanted_mtu(pl)?;
        let now = eff.links.get(pname)?;
        if now.mtu != Some(want) || now.master.as_deref() != Some(ifname) {
            return None;
        }
        min = Some(min.map_or(want, |m| m.min(want)));
    }
    Some(min.unwrap_or(1500))
}

/// Same kind, as far as the kernel is concerned: bridge options change in
/// place.
fn same_kind(d: &LinkKind, o: &LinkKind) -> bool {
    match (d, o) {
        (LinkKind::Bridge { .. }, LinkKind::Bridge { .. }) => true,
        _ => d == o,
    }
}

/// The bridge options of `d` that differ from `o`'s, and their old values.
fn bridge_change(d: &LinkKind, o: &LinkKind) -> Option<(BridgeChange, BridgeChange)> {
    let (
        LinkKind::Bridge(Bridge {
            stp: ds,
            ageing_secs: da,
            vlan_filtering: dv,
        }),
        LinkKind::Bridge(Bridge {
            stp: os,
            ageing_secs: oa,
            vlan_filtering: ov,
        }),
    ) = (d, o)
    else {
        return None;
    };
    let s = (ds != os).then_some((*ds, *os));
    let a = (da != oa).then_some((*da, *oa));
    let v = (dv != ov).then_some((*dv, *ov));
    let to = BridgeChange {
        stp: s.map(|x| x.0),
        ageing_secs: a.map(|x| x.0),
        vlan_filtering: v.map(|x| x.0),
    };
    let back = BridgeChange {
        stp: s.map(|x| x.1),
        ageing_secs: a.map(|x| x.1),
        vlan_filtering: v.map(|x| x.1),
    };
    (to != BridgeChange::default()).then_some((to, back))
}

fn create_link(
    ph: &mut Phases,
    desired: &State,
    ep: &Endpoint,
    here: &At,
    dl: &LinkState,
    routes: &mut BTreeSet<RouteState>,
    node_addrs: &BTreeSet<IpAddr>,
) {
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
    // A created link has the file's MTU and MAC from its creation; a
    // physical interface keeps its own unless the file sets them, so they
    // are set after the move.
    let physical = matches!(dl.kind, LinkKind::Physical { .. });
    let blank = LinkState {
        up: false,
        mtu: if physical { None } else { wanted_mtu(dl) },
        mac: if physical { None } else { dl.mac },
        ..LinkState::new(dl.kind.clone())
    };
    update_link(ph, here, &ep.ifname, dl, &blank, routes, node_addrs);
}

/// The MTU a link gets when the file sets none, where the kernel's choice
/// does not depend on other links: an MTU taken out of the file goes back
/// to it, as in a fresh build.
fn wanted_mtu(dl: &LinkState) -> Option<u32> {
    dl.mtu.or(match dl.kind {
        LinkKind::Veth { .. } | LinkKind::Tap { .. } => Some(1500),
        _ => None,
    })
}

/// The attribute change from `ol` to `dl`, and back.
fn attr_change(dl: &LinkState, ol: &LinkState) -> (LinkChange, LinkChange) {
    let mut change = LinkChange::default();
    let mut back = LinkChange::default();
    if dl.master != ol.master {
        change.master = Some(dl.master.clone());
        back.master = Some(ol.master.clone());
    }
    if let Some(mtu) = wanted_mtu(dl).filter(|m| Some(*m) != ol.mtu) {
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
    if let Some((to, from)) = bridge_change(&dl.kind, &ol.kind) {
        change.bridge = Some(to);
        back.bridge = Some(from);
    }
    if dl.up != ol.up {
        change.up = Some(dl.up);
        back.up = Some(ol.up);
    }
    (change, back)
}

pub(super) fn update_link(
    ph: &mut Phases,
    here: &At,
    ifname: &str,
    dl: &LinkState,
    ol: &LinkState,
    routes: &mut BTreeSet<RouteState>,
    node_addrs: &BTreeSet<IpAddr>,
) {
    let (change, back) = attr_change(dl, ol);
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
    // Deletions first: deleting an IPv4 address of a subnet the link keeps
    // an address in would take the new one along if it were added first
    // (a secondary goes with its primary).
    let removed: Vec<_> = ol.addresses.difference(&dl.addresses).copied().collect();
    let last_v4 = if dl
        .addresses
        .intersection(&ol.addresses)
        .any(|c| c.addr.is_ipv4())
    {
        None
    } else {
        removed.iter().rposition(|c| c.addr.is_ipv4())
    };
    for (i, cidr) in removed.iter().enumerate() {
        let mut undo = vec![Op::AddAddress {
            at: here.clone(),
            ifname: ifname.to_string(),
            cidr: *cidr,
        }];
        // A primary takes its subnet's secondaries along (and with them,
        // perhaps the link's last IPv4 address and its routes): undo puts
        // back whatever of that is missing (an undo that finds its object
        // already there is done).
        let kept: Vec<_> = dl
            .addresses
            .intersection(&ol.addresses)
            .filter(|c| c.addr.is_ipv4() && c.prefix == cidr.prefix && cidr.addr.is_ipv4())
            .filter(|c| cidr.contains(c.addr))
            .copied()
            .collect();
        if !kept.is_empty() {
            for c in kept {
                undo.push(Op::AddAddress {
                    at: here.clone(),
                    ifname: ifname.to_string(),
                    cidr: c,
                });
            }
            for r in routes.iter() {
                if !r.v6 && r.dev.as_deref() == Some(ifname) {
                    undo.push(Op::AddRoute {
                        at: here.clone(),
                        route: r.clone(),
                    });
                }
            }
        }
        let lost: Vec<RouteState> = routes
            .iter()
            .filter(|r| {
                let flushed = Some(i) == last_v4 && !r.v6 && r.dev.as_deref() == Some(ifname);
                let src_gone = cidr.addr.is_ipv4()
                    && r.src == Some(cidr.addr)
                    && !node_addrs.contains(&cidr.addr);
                flushed || src_gone
            })
            .cloned()
            .collect();
        for r in lost {
            routes.remove(&r);
            undo.push(Op::AddRoute {
                at: here.clone(),
                route: r,
            });
        }
        ph.addrs_out.push(step_n(
            Op::DelAddress {
                at: here.clone(),
                ifname: ifname.to_string(),
                cidr: *cidr,
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
        ph.addrs_in.push(step(
            Op::AddAddress {
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
