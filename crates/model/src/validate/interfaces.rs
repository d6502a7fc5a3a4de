//! Interface rules: bridge ports (`master`), sub-interface parents,
//! per-parent limits (passthru, macvlan/ipvlan), vxlan `dev`, `physical`.

use super::{exists, Known, Origin};
use crate::loc::Loc;
use crate::lower::Ctx;
use crate::names::IfName;
use crate::problem::ProblemKind;
use crate::topology::{HostInterfaces, IfKind, IfRef, MacvlanMode, NodeKind, Topology, Vxlan};
use std::collections::{BTreeMap, BTreeSet};

pub(super) fn check_interfaces(
    cx: &mut Ctx<'_>,
    t: &Topology,
    known: &Known,
    host: &dyn HostInterfaces,
) {
    let mut physical: BTreeMap<&IfName, IfRef> = BTreeMap::new();
    // parent → (child, mode, loc), for the per-parent rules.
    let mut children: BTreeMap<IfRef, Vec<(IfRef, &IfKind, Loc)>> = BTreeMap::new();
    for (nname, node) in &t.nodes {
        for (ifname, iface) in &node.interfaces {
            let here = IfRef {
                node: nname.clone(),
                ifname: ifname.clone(),
            };
            let p = format!("nodes.{nname}.interfaces.{ifname}");
            if let Some(master) = &iface.master {
                let ml = cx.spans.get_or(&format!("{p}.master"), iface.loc);
                check_master(cx, t, known, &here, master, ml);
            }
            if let Some(parent) = iface.kind.parent() {
                let pl = cx.spans.get_or(&format!("{p}.parent"), iface.loc);
                if check_parent(cx, t, known, &here, parent, pl) {
                    children.entry(parent.clone()).or_default().push((
                        here.clone(),
                        &iface.kind,
                        pl,
                    ));
                }
            }
            match &iface.kind {
                IfKind::Vxlan(Vxlan { dev: Some(dev), .. }) => {
                    let r = IfRef {
                        node: nname.clone(),
                        ifname: dev.clone(),
                    };
                    let on_host = node.kind == NodeKind::Host && host.exists(dev.as_str());
                    if !exists(known, &r) && !on_host {
                        let dl = cx.spans.get_or(&format!("{p}.dev"), iface.loc);
                        cx.push(
                            ProblemKind::UnknownReference,
                            dl,
                            format!("`dev: {dev}`: node `{nname}` has no interface `{dev}`"),
                            "name an interface of the same node",
                        );
                    }
                }
                IfKind::Physical { from } => {
                    let fl = cx.spans.get_or(&format!("{p}.from"), iface.loc);
                    let kl = cx.spans.get_or(&format!("{p}.kind"), iface.loc);
                    check_physical(cx, host, node.kind, &here, from, fl, kl);
                    if let Some(first) = physical.get(from) {
                        cx.push(
                            ProblemKind::DuplicateName,
                            fl,
                            format!("host interface `{from}` is already moved into {first}"),
                            "a host interface can be moved into one node only",
                        );
                    } else {
                        physical.insert(from, here.clone());
                    }
                }
                _ => {}
            }
        }
    }
    check_parent_sharing(cx, t, &children);
}

/// A physical interface to move in: not `lo`, not into the host node, and
/// one the host has.
fn check_physical(
    cx: &mut Ctx<'_>,
    host: &dyn HostInterfaces,
    node_kind: NodeKind,
    here: &IfRef,
    from: &IfName,
    fl: Loc,
    kl: Loc,
) {
    if *from == IfName::LOOPBACK {
        cx.push(
            ProblemKind::InvalidName,
            fl,
            "the host's `lo` cannot be moved into a namespace (every namespace has its own)",
            "name a physical interface of the host (`ip link`)",
        );
    } else if node_kind == NodeKind::Host {
        cx.push(
            ProblemKind::InvalidValue,
            kl,
            format!("{here} is a physical interface in the host node, where it already is"),
            "physical interfaces are moved into a namespace node",
        );
    } else if !host.exists(from.as_str()) {
        cx.push(
            ProblemKind::PhysicalMissing,
            fl,
            format!("the host namespace has no interface `{from}`"),
            "check `ip link` in the host namespace, and set `from:` to its name",
        );
    }
}

fn check_master(
    cx: &mut Ctx<'_>,
    t: &Topology,
    known: &Known,
    here: &IfRef,
    master: &IfName,
    loc: Loc,
) {
    let r = IfRef {
        node: here.node.clone(),
        ifname: master.clone(),
    };
    if *master == here.ifname {
        cx.push(
            ProblemKind::MasterNotBridge,
            loc,
            format!("{here} names itself as its master"),
            "name a bridge of the same node",
        );
        return;
    }
    let own_kind = t.interface(here).map(|i| &i.kind);
    let bridge = match known.get(&here.node).and_then(|m| m.get(master)) {
        None => {
            let elsewhere = t.nodes.iter().find(|(n, node)| {
                **n != here.node
                    && node
                        .interfaces
                        .get(master)
                        .is_some_and(|i| i.kind.is_bridge())
            });
            if let Some((other, _)) = elsewhere {
                cx.push(
                    ProblemKind::MasterNotBridge,
                    loc,
                    format!("bridge `{master}` is in node `{other}`, not in `{}`", here.node),
                    "a bridge port must be in the bridge's namespace: link this node to the bridge's node with a veth whose end there has `master:`",
                );
                return;
            }
            cx.push(
                ProblemKind::UnknownReference,
                loc,
                format!("`master: {master}`: node `{}` has no interface `{master}`", here.node),
                format!(
                    "add a bridge `{master}: {{ kind: bridge }}` to node `{}`; a bridge port must be in the bridge's namespace",
                    here.node
                ),
            );
            return;
        }
        Some(Origin::Bridge(_)) => true,
        Some(Origin::File) => t.interface(&r).is_some_and(|i| i.kind.is_bridge()),
        Some(_) => false,
    };
    if !bridge {
        let kind = t.interface(&r).map(|i| i.kind.name()).unwrap_or("veth");
        cx.push(
            ProblemKind::MasterNotBridge,
            loc,
            format!("`master: {master}` is a {kind}, not a bridge"),
            format!(
                "make `{master}` a `kind: bridge`, or name a bridge of node `{}`",
                here.node
            ),
        );
    } else if own_kind.is_some_and(IfKind::is_bridge) {
        cx.push(
            ProblemKind::KindConflict,
            loc,
            format!("{here} is a bridge and cannot be a port of bridge `{master}`"),
            "connect the two bridges with a link (a veth pair) instead",
        );
    }
}

/// Returns whether the parent exists (so per-parent rules can run).
fn check_parent(
    cx: &mut Ctx<'_>,
    t: &Topology,
    known: &Known,
    here: &IfRef,
    parent: &IfRef,
    loc: Loc,
) -> bool {
    let kind = t.interface(here).map(|i| i.kind.name()).unwrap_or("");
    if parent == here {
        cx.push(
            ProblemKind::BadParent,
            loc,
            format!("{here} names itself as its parent"),
            "name another interface as the parent",
        );
        return false;
    }
    if !t.nodes.contains_key(&parent.node) {
        cx.push(
            ProblemKind::UnknownReference,
            loc,
            format!("`parent: {parent}`: there is no node `{}`", parent.node),
            "write the parent as `ifname` (same node) or `node:ifname` of an existing node",
        );
        return false;
    }
    if !exists(known, parent) {
        cx.push(
            ProblemKind::UnknownReference,
            loc,
            format!(
                "`parent: {parent}`: node `{}` has no interface `{}`",
                parent.node, parent.ifname
            ),
            format!(
                "add `{}` to node `{}`, or fix the name",
                parent.ifname, parent.node
            ),
        );
        return false;
    }
    // A cycle: following parents comes back here.
    let mut seen = BTreeSet::new();
    let mut cur = parent.clone();
    while let Some(next) = t.interface(&cur).and_then(|i| i.kind.parent()) {
        if next == here || !seen.insert(cur.clone()) {
            cx.push(
                ProblemKind::BadParent,
                loc,
                format!("the parents of {here} form a cycle"),
                "a chain of parents must end at an interface without a parent",
            );
            return false;
        }
        cur = next.clone();
    }
    if let Some(p) = t.interface(parent) {
        // macvlan and ipvlan take the parent's rx_handler, which a bridge
        // port already holds (net/core/dev.c netdev_rx_handler_register:
        // -EBUSY).
        if (kind == "macvlan" || kind == "ipvlan") && p.master.is_some() {
            cx.push(
                ProblemKind::BadParent,
                loc,
                format!("parent {parent} is a bridge port; the kernel cannot put a {kind} on it"),
                format!("put the {kind} on the bridge itself, or on an interface that is not a bridge port"),
            );
        }
    }
    true
}

fn check_parent_sharing(
    cx: &mut Ctx<'_>,
    _t: &Topology,
    children: &BTreeMap<IfRef, Vec<(IfRef, &IfKind, Loc)>>,
) {
    for (parent, kids) in children {
        let macvlans: Vec<_> = kids
            .iter()
            .filter(|(_, k, _)| matches!(k, IfKind::Macvlan { .. }))
            .collect();
        let ipvlans = kids
            .iter()
            .filter(|(_, k, _)| matches!(k, IfKind::Ipvlan { .. }));
        if let (Some(m), Some((i, _, il))) = (macvlans.first(), ipvlans.clone().next()) {
            cx.push(
                ProblemKind::BadParent,
                *il,
                format!(
                    "{parent} already has the macvlan child {}; it cannot also have the ipvlan {i}",
                    m.0
                ),
                "macvlan and ipvlan children cannot share a parent; use one kind",
            );
        }
        let passthru = macvlans.iter().any(|(_, k, _)| {
            matches!(
                k,
                IfKind::Macvlan {
                    mode: MacvlanMode::Passthru,
                    ..
                }
            )
        });
        if passthru && macvlans.len() > 1 {
            let (second, _, l) = macvlans[1];
            cx.push(
                ProblemKind::PassthruShared,
                *l,
                format!(
                    "{parent} has a passthru macvlan child, so it cannot have another ({second})"
                ),
                "a passthru macvlan takes over its parent; give other children another parent or mode",
            );
        }
    }
}
