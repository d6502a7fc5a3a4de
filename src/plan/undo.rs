//! Undoing a deletion: the operations that bring back the links the kernel
//! deleted together, as they were observed.

use super::links::{depth, observed_link, Kept};
use super::links_in::attr_change;
use super::{at, LinkChange, NewEnd, Op};
use crate::state::{Endpoint, LinkKind, LinkState, NodeState, State};
use std::collections::BTreeSet;

/// The operations that bring back the links `eps` (deleted together) as
/// they were observed: the links, their attributes and addresses, their
/// bridge's ports, and the routes through them. `None` when one of them
/// cannot be made again (a kind nslab does not make).
///
/// `before`: the links deleted by earlier steps of the plan. A rollback
/// undoes steps last first, so when this undo runs they are not back yet:
/// a bridge made again does not take back a port deleted before it (the
/// port's own undo, later, makes it a port again), and a port made again
/// does not join a bridge deleted before it (the bridge's undo, later,
/// takes it back).
pub(super) fn recreate(
    observed: &State,
    kept: &Kept,
    eps: &[Endpoint],
    before: &BTreeSet<Endpoint>,
) -> Option<Vec<Op>> {
    let mut ordered: Vec<(usize, &Endpoint, &NodeState, &LinkState)> = Vec::new();
    for ep in eps {
        let (n, l) = observed_link(observed, ep)?;
        ordered.push((depth(observed, &l.kind), ep, n, l));
    }
    ordered.sort_by_key(|(d, ..)| *d);
    let mut ops = Vec::new();
    for (_, ep, n, l) in &ordered {
        remake(&mut ops, observed, eps, ep, n, l)?;
    }
    let mut routes = Vec::new();
    for (_, ep, n, l) in &ordered {
        restore(&mut ops, &mut routes, kept, eps, before, ep, n, l);
    }
    ops.extend(routes);
    Some(ops)
}

/// The operation that makes link `l` again; `None` when it cannot be.
fn remake(
    ops: &mut Vec<Op>,
    observed: &State,
    eps: &[Endpoint],
    ep: &Endpoint,
    n: &NodeState,
    l: &LinkState,
) -> Option<()> {
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
            if ep < peer {
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
    Some(())
}

/// What re-made link `l` had: its bridge's ports, attributes, addresses,
/// impairment; the routes through it go to `routes` (added after all).
#[allow(clippy::too_many_arguments)]
fn restore(
    ops: &mut Vec<Op>,
    routes: &mut Vec<Op>,
    kept: &Kept,
    eps: &[Endpoint],
    before: &BTreeSet<Endpoint>,
    ep: &Endpoint,
    n: &NodeState,
    l: &LinkState,
) {
    let here = at(&ep.node, n);
    // A made link has the MTU and MAC it was made with; an interface
    // moved in again has its own (given back to it when it left): set
    // them.
    let physical = matches!(l.kind, LinkKind::Physical { .. });
    let blank = LinkState {
        up: false,
        mtu: l.mtu.filter(|_| !physical),
        mac: l.mac.filter(|_| !physical),
        ipv6_link_local: l.ipv6_link_local.map(|_| true),
        ..LinkState::new(l.kind.clone())
    };
    // The ports of a re-made bridge join it again.
    if l.kind.is_bridge() {
        rejoin_ports(ops, eps, before, ep, n);
    }
    let mut was = l.clone();
    if was
        .master
        .as_ref()
        .is_some_and(|m| before.contains(&Endpoint::new(&ep.node, m)))
    {
        was.master = None;
        was.hairpin = false;
    }
    let change = attr_change(&was, &blank).0;
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

/// The ports of bridge `ep` that were not deleted with it join it again.
fn rejoin_ports(
    ops: &mut Vec<Op>,
    eps: &[Endpoint],
    before: &BTreeSet<Endpoint>,
    ep: &Endpoint,
    n: &NodeState,
) {
    let here = at(&ep.node, n);
    for (pname, pl) in &n.links {
        let pep = Endpoint::new(&ep.node, pname);
        if pl.master.as_deref() == Some(ep.ifname.as_str())
            && !eps.contains(&pep)
            && !before.contains(&pep)
        {
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
