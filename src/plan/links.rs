//! Links out of a plan: which to delete, what goes with them, and the node
//! as it is after (creating and changing links is in `links_in`, undoing a
//! deletion in `undo`, addresses in `addresses`).
//!
//! The kernel takes things along when it deletes: a deleted link takes its
//! veth peer, its sub-interfaces, the routes through it and its bridge's
//! ports' membership; deleting the last IPv4 address of a link flushes the
//! IPv4 routes through it, and deleting an address drops the routes that
//! use it as their source. The planner plans against the state *after*
//! those side effects (so what the file still wants is made again in the
//! same run) and puts what they destroyed into the deleting step's undo.

use super::links_in::same_kind;
use super::undo::recreate;
use super::{step_n, At, Op, Phases};
use crate::state::{DeviceKind, Endpoint, LinkKind, LinkState, NodeState, RouteState, State};
use std::collections::{BTreeMap, BTreeSet};

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
    let undo = recreate(observed, kept, &newly, &before);
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
            if depends_on(child, ep) {
                mark_gone(gone, observed, &Endpoint::new(node, ifname), child);
            }
        }
    }
}

/// Does `child` (in `node`) die with `ep`: a sub-interface of it, or a
/// VXLAN device bound to it (the kernel deletes those with their lower
/// device)?
pub fn depends_on(child: &LinkState, ep: &Endpoint) -> bool {
    child.kind.lower() == Some(ep)
}

pub(super) fn observed_link<'a>(
    observed: &'a State,
    ep: &Endpoint,
) -> Option<(&'a NodeState, &'a LinkState)> {
    let n = observed.nodes.get(&ep.node)?;
    Some((n, n.links.get(&ep.ifname)?))
}

/// How deep an interface sits in its parent chain (parents are created
/// first).
pub(super) fn depth(desired: &State, kind: &LinkKind) -> usize {
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
    match kind.device() {
        // Masters first: their ports join them as they are made.
        Some(d) if d.is_master() => 0,
        Some(DeviceKind::Vxlan(_)) => 10 + d,
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
