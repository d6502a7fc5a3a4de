//! Links in a plan: which to delete (and what goes with them), which to
//! create (parents first, a veth pair once), and what to change in place.

use super::{at, step, At, LinkChange, NewEnd, Op, Phases};
use crate::state::{Endpoint, LinkKind, LinkState, NodeState, State};
use std::collections::BTreeSet;

pub(super) fn delete_link(
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
pub(super) fn plan_links(
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
    // A created link has the file's MTU and MAC from its creation; a
    // physical interface keeps its own unless the file sets them, so they
    // are set after the move.
    let physical = matches!(dl.kind, LinkKind::Physical { .. });
    let blank = LinkState {
        up: false,
        mtu: if physical { None } else { dl.mtu },
        mac: if physical { None } else { dl.mac },
        ..LinkState::new(dl.kind.clone())
    };
    update_link(ph, here, &ep.ifname, dl, &blank);
}

pub(super) fn update_link(
    ph: &mut Phases,
    here: &At,
    ifname: &str,
    dl: &LinkState,
    ol: &LinkState,
) {
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
