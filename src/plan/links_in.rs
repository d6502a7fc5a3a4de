//! Links in: create what the node lacks (parents first, a veth pair
//! once) and change in place what it has, against the node as it is after
//! the plan's deletions.

use super::addresses::{addresses_in, addresses_out};
use super::links::depth;
use super::{at, step, At, BridgeChange, LinkChange, NewEnd, Op, Phases};
use crate::state::{DeviceKind, Endpoint, LinkKind, LinkState, NodeState, RouteState, State};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Create and update the node's links against `eff` (see
/// [`after_deletions`]); routes lost to address deletions leave
/// `eff.routes`.
/// Every address the node keeps, its links' and its loopback's (a route
/// whose source is one of them survives the deletion of another).
pub(super) fn node_addrs(d: &NodeState) -> BTreeSet<IpAddr> {
    d.links
        .values()
        .flat_map(|l| l.addresses.iter())
        .chain(&d.lo_addresses)
        .map(|c| c.addr)
        .collect()
}

pub(super) fn plan_links_in(
    ph: &mut Phases,
    desired: &State,
    name: &str,
    here: &At,
    d: &NodeState,
    eff: &mut NodeState,
) {
    let node_addrs = node_addrs(d);
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
    if dl.mtu.is_some() || !dl.kind.is_bridge() {
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
pub(super) fn same_kind(d: &LinkKind, o: &LinkKind) -> bool {
    match (d, o) {
        (d, o) if d.is_bridge() && o.is_bridge() => true,
        _ => d == o,
    }
}

/// The bridge options of `d` that differ from `o`'s, and their old values.
fn bridge_change(d: &LinkKind, o: &LinkKind) -> Option<(BridgeChange, BridgeChange)> {
    let (LinkKind::Device(DeviceKind::Bridge(d)), LinkKind::Device(DeviceKind::Bridge(o))) = (d, o)
    else {
        return None;
    };
    Some((d.change_from(o)?, o.change_from(d)?))
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
    update_link(ph, here, &ep.ifname, dl, &made(dl), routes, node_addrs);
}

/// A link as it is right after it is made (or moved in), before its
/// attributes are set.
fn made(dl: &LinkState) -> LinkState {
    // A created link has the file's MTU and MAC from its creation; a
    // physical interface keeps its own unless the file sets them, so they
    // are set after the move.
    let physical = matches!(dl.kind, LinkKind::Physical { .. });
    LinkState {
        up: false,
        mtu: if physical { None } else { wanted_mtu(dl) },
        mac: if physical { None } else { dl.mac },
        // A new link starts with the kernel's default: a link-local
        // address (where the file wants none, it is turned off before up).
        ipv6_link_local: dl.ipv6_link_local.map(|_| true),
        ..LinkState::new(dl.kind.clone())
    }
}

/// The MTU a link gets when the file sets none, where the kernel's choice
/// does not depend on other links: an MTU taken out of the file goes back
/// to it, as in a fresh build.
fn wanted_mtu(dl: &LinkState) -> Option<u32> {
    dl.mtu.or(match &dl.kind {
        LinkKind::Veth { .. } => Some(1500),
        LinkKind::Device(d) => d.default_mtu(),
        _ => None,
    })
}

/// The attribute change from `ol` to `dl`, and back.
pub(super) fn attr_change(dl: &LinkState, ol: &LinkState) -> (LinkChange, LinkChange) {
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
    // A port that leaves its bridge loses its hairpin: going back, it
    // joins with the hairpin it had.
    if change.master.is_some() && ol.master.is_some() && ol.hairpin {
        back.hairpin = Some(true);
    }
    if let Some((to, from)) = bridge_change(&dl.kind, &ol.kind) {
        change.bridge = Some(to);
        back.bridge = Some(from);
    }
    // Only where both sides say: desired `None` is the kernel's default,
    // observed `None` a link without IPv6.
    if let (Some(d), Some(o)) = (dl.ipv6_link_local, ol.ipv6_link_local) {
        if d != o {
            change.ipv6_link_local = Some(d);
            back.ipv6_link_local = Some(o);
        }
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
    set_attrs(ph, here, ifname, dl, ol);
    addresses_out(ph, here, ifname, dl, ol, routes, node_addrs);
    addresses_in(ph, here, ifname, dl, ol);
    set_impair(ph, here, ifname, dl, ol);
}

fn set_attrs(ph: &mut Phases, here: &At, ifname: &str, dl: &LinkState, ol: &LinkState) {
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
}

fn set_impair(ph: &mut Phases, here: &At, ifname: &str, dl: &LinkState, ol: &LinkState) {
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
