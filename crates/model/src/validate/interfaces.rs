//! Interface rules: bridge ports (`master`), sub-interface parents,
//! per-parent limits (passthru, macvlan/ipvlan), vxlan `dev`, `physical`.

use super::{exists, Known, Origin};
use crate::ctx::Ctx;
use crate::loc::Loc;
use crate::names::IfName;
use crate::problem::ProblemKind;
use crate::topology::{
    DeviceKind, HostInterfaces, IfKind, IfRef, Macvlan, MacvlanMode, NodeKind, Topology, Vxlan,
};
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
                    let ml = cx.spans.get_or(&format!("{p}.mtu"), iface.loc);
                    check_child_mtu(cx, t, &here, parent, ml);
                    children.entry(parent.clone()).or_default().push((
                        here.clone(),
                        &iface.kind,
                        pl,
                    ));
                }
            }
            match &iface.kind {
                IfKind::Device(DeviceKind::Vxlan(vx @ Vxlan { dev: Some(r), .. })) => {
                    let ml = cx.spans.get_or(&format!("{p}.mtu"), iface.loc);
                    check_vxlan_mtu(cx, t, &here, vx, r, ml);
                    let dev = &r.ifname;
                    let on_host = node.kind == NodeKind::Host && host.exists(dev.as_str());
                    if !exists(known, r) && !on_host {
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
    let masters = DeviceKind::<IfRef>::MASTERS.join(" or ");
    let master_kind = match known.get(&here.node).and_then(|m| m.get(master)) {
        None => return master_missing(cx, t, here, master, loc),
        Some(Origin::Bridge(_)) => Some("bridge"),
        Some(Origin::File) => t
            .interface(&r)
            .filter(|i| i.kind.is_master())
            .map(|i| i.kind.name()),
        Some(_) => None,
    };
    let own_kind = t.interface(here).map(|i| &i.kind);
    match master_kind {
        None => {
            let kind = t.interface(&r).map(|i| i.kind.name()).unwrap_or("veth");
            cx.push(
                ProblemKind::MasterNotBridge,
                loc,
                format!("`master: {master}` is a {kind}, not a {masters}"),
                format!(
                    "make `{master}` a `kind: {}`, or name a {masters} of node `{}`",
                    DeviceKind::<IfRef>::MASTERS.join("` or `kind: "),
                    here.node
                ),
            );
        }
        Some(mk) => {
            if let Some(own) = own_kind.filter(|k| k.is_master()) {
                cx.push(
                    ProblemKind::KindConflict,
                    loc,
                    format!(
                        "{here} is a {} and cannot be a port of {mk} `{master}`",
                        own.name()
                    ),
                    "connect the two with a link (a veth pair) instead",
                );
            }
        }
    }
}

/// `master:` names no interface of the node: perhaps one of another node.
fn master_missing(cx: &mut Ctx<'_>, t: &Topology, here: &IfRef, master: &IfName, loc: Loc) {
    let elsewhere = t.nodes.iter().find_map(|(n, node)| {
        let i = node.interfaces.get(master).filter(|i| i.kind.is_master())?;
        (*n != here.node).then_some((n, i.kind.name()))
    });
    if let Some((other, kind)) = elsewhere {
        cx.push(
            ProblemKind::MasterNotBridge,
            loc,
            format!("{kind} `{master}` is in node `{other}`, not in `{}`", here.node),
            format!("a {kind} port must be in the {kind}'s namespace: link this node to the {kind}'s node with a veth whose end there has `master:`"),
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

/// A vlan, macvlan or ipvlan carries its parent's frames: its MTU is at
/// most the parent's (`macvlan_change_mtu`, `vlan_dev_change_mtu`,
/// `ipvlan_change_mtu`: -EINVAL/-ERANGE above it). The parent's MTU is
/// the file's, or a veth's default 1500; other parents' are not known
/// here.
fn check_child_mtu(cx: &mut Ctx<'_>, t: &Topology, here: &IfRef, parent: &IfRef, loc: Loc) {
    let (Some(child), Some(p)) = (t.interface(here), t.interface(parent)) else {
        return;
    };
    let Some(mtu) = child.mtu.map(|m| m.get()) else {
        return;
    };
    let parent_mtu = match (p.mtu, &p.kind) {
        (Some(m), _) => m.get(),
        (None, IfKind::Veth) => 1500,
        _ => return,
    };
    if mtu > parent_mtu {
        cx.push(
            ProblemKind::OutOfRange,
            loc,
            format!(
                "`mtu` {mtu} is out of range {}..={parent_mtu} for a child of {parent} (its parent's MTU)",
                crate::limits::MTU.min
            ),
            format!(
                "a {} carries its parent's frames: the kernel refuses an MTU above the parent's; lower it, or raise {parent}'s `mtu`",
                child.kind.name()
            ),
        );
    }
}

/// A VXLAN over `dev` fits its frames and their 50-byte (IPv4) or
/// 70-byte (IPv6) encapsulation in the device's MTU: the kernel clamps a
/// new VXLAN's MTU to that silently (`vxlan_config_apply`) and refuses
/// it on a change, so a larger `mtu` would show drift forever.
fn check_vxlan_mtu(
    cx: &mut Ctx<'_>,
    t: &Topology,
    here: &IfRef,
    vx: &Vxlan<IfRef>,
    dev: &IfRef,
    loc: Loc,
) {
    let (Some(mtu), Some(d)) = (t.interface(here).and_then(|i| i.mtu), t.interface(dev)) else {
        return;
    };
    let dev_mtu = match (d.mtu, &d.kind) {
        (Some(m), _) => m.get(),
        (None, IfKind::Veth) => 1500,
        _ => return,
    };
    let v6 = vx.remote.or(vx.group).is_some_and(|ip| ip.is_ipv6());
    let headroom = if v6 { 70 } else { 50 };
    let max = dev_mtu
        .saturating_sub(headroom)
        .max(crate::limits::MTU.min as u32);
    if mtu.get() > max {
        cx.push(
            ProblemKind::OutOfRange,
            loc,
            format!(
                "`mtu` {} is out of range {}..={max} for a vxlan over {dev} (its MTU {dev_mtu} less {headroom} bytes of {} encapsulation)",
                mtu.get(),
                crate::limits::MTU.min,
                if v6 { "IPv6" } else { "IPv4" }
            ),
            format!("the kernel would cut it to {max} silently: lower `mtu`, or raise {dev}'s"),
        );
    }
}

fn check_parent_sharing(
    cx: &mut Ctx<'_>,
    _t: &Topology,
    children: &BTreeMap<IfRef, Vec<(IfRef, &IfKind, Loc)>>,
) {
    for (parent, kids) in children {
        let macvlans: Vec<_> = kids
            .iter()
            .filter(|(_, k, _)| matches!(k, IfKind::Device(DeviceKind::Macvlan(_))))
            .collect();
        let ipvlans = kids
            .iter()
            .filter(|(_, k, _)| matches!(k, IfKind::Device(DeviceKind::Ipvlan(_))));
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
                IfKind::Device(DeviceKind::Macvlan(Macvlan {
                    mode: MacvlanMode::Passthru,
                    ..
                }))
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
