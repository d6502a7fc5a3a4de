//! Address rules: routes and their gateways, NAT interfaces, addresses in
//! two nodes, overlapping network subnets, and checks' node names.

use super::Known;
use crate::ctx::Ctx;
use crate::loc::Loc;
use crate::names::{IfName, NodeName};
use crate::problem::ProblemKind;
use crate::topology::{HostInterfaces, NodeKind, Target, Topology};
use crate::values::Cidr;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Subnets connected to each node: interface addresses, network member
/// addresses and gateways.
fn connected(t: &Topology) -> BTreeMap<&NodeName, Vec<Cidr>> {
    let mut out: BTreeMap<&NodeName, Vec<Cidr>> = BTreeMap::new();
    for (name, node) in &t.nodes {
        let v = out.entry(name).or_default();
        for iface in node.interfaces.values() {
            v.extend(iface.addresses.iter().copied());
        }
    }
    for net in t.networks.values() {
        if let Some(v) = out.get_mut(&net.node) {
            v.extend(net.subnets.iter().map(|s| s.gateway_cidr()));
        }
        for (member, m) in &net.members {
            if let Some(v) = out.get_mut(member) {
                v.extend(m.addresses.iter().copied());
            }
        }
    }
    out
}

pub(super) fn check_routes_and_nat(
    cx: &mut Ctx<'_>,
    t: &Topology,
    known: &Known,
    host: &dyn HostInterfaces,
) {
    let conn = connected(t);
    for (nname, node) in &t.nodes {
        let has = |ifname: &IfName| {
            known.get(nname).is_some_and(|m| m.contains_key(ifname))
                || (node.kind == NodeKind::Host && host.exists(ifname.as_str()))
        };
        for (i, r) in node.routes.iter().enumerate() {
            let p = format!("nodes.{nname}.routes.{i}");
            if let Some(dev) = &r.dev {
                if !has(dev) {
                    cx.push(
                        ProblemKind::UnknownReference,
                        cx.spans.get_or(&format!("{p}.dev"), r.loc),
                        format!("`dev {dev}`: node `{nname}` has no interface `{dev}`"),
                        "name an interface of the same node",
                    );
                }
            }
            if let Some(via) = r.via {
                let link_local =
                    matches!(via, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80);
                let reachable = link_local
                    || conn
                        .get(nname)
                        .is_some_and(|v| v.iter().any(|c| c.contains(via)));
                if !reachable && node.kind != NodeKind::Host {
                    let subnets: Vec<String> = conn
                        .get(nname)
                        .map(|v| v.iter().map(|c| c.network().to_string()).collect())
                        .unwrap_or_default();
                    cx.push(
                        ProblemKind::ViaUnreachable,
                        cx.spans.get_or(&format!("{p}.via"), r.loc),
                        format!(
                            "gateway {via} is not in any subnet of node `{nname}` ({})",
                            if subnets.is_empty() { "it has no addresses".to_string() } else { subnets.join(", ") }
                        ),
                        "a gateway must be on a connected subnet: give an interface of this node an address in the gateway's subnet",
                    );
                }
            }
        }
        let nat = &node.nat;
        let named = nat
            .masquerade
            .iter()
            .enumerate()
            .flat_map(|(i, m)| {
                [
                    (&m.out, format!("masquerade.{i}.out")),
                    (&m.not_out, format!("masquerade.{i}.not-out")),
                ]
            })
            .chain(
                nat.forward
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (&f.in_, format!("forward.{i}.in"))),
            )
            .filter_map(|(n, k)| n.as_ref().map(|n| (n, k)))
            .collect::<Vec<_>>();
        for (ifname, key) in named {
            if !has(ifname) {
                cx.push(
                    ProblemKind::UnknownReference,
                    cx.spans
                        .get_or(&format!("nodes.{nname}.nat.{key}"), node.loc),
                    format!("node `{nname}` has no interface `{ifname}`"),
                    "name an interface of the same node",
                );
            }
        }
    }
}

/// `lo: { addresses }`: the lab's own addresses, so not the kernel's
/// (127.0.0.0/8, ::1, always there) and not on the machine's loopback.
pub(super) fn check_loopback(cx: &mut Ctx<'_>, t: &Topology) {
    for (nname, node) in &t.nodes {
        for (i, c) in node.lo_addresses.iter().enumerate() {
            let loc = cx
                .spans
                .get_or(&format!("nodes.{nname}.lo.addresses.{i}"), node.loc);
            if node.kind == NodeKind::Host {
                cx.push(
                    ProblemKind::InvalidValue,
                    loc,
                    format!("node `{nname}` is the host namespace; its `lo` is the machine's, not the lab's"),
                    "give loopback addresses to a node without `kind: host`",
                );
                break;
            }
            if c.addr.is_loopback() {
                cx.push(
                    ProblemKind::InvalidValue,
                    loc,
                    format!("{c} is a loopback address every namespace's `lo` already has"),
                    "give `lo` an address of the lab's own, like 10.255.0.1/32 or fd00::1/128",
                );
            }
        }
    }
}

pub(super) fn check_addresses(cx: &mut Ctx<'_>, t: &Topology) {
    let mut all: Vec<(IpAddr, &NodeName, Loc)> = Vec::new();
    for (nname, node) in &t.nodes {
        for (i, c) in node.lo_addresses.iter().enumerate() {
            let l = cx
                .spans
                .get_or(&format!("nodes.{nname}.lo.addresses.{i}"), node.loc);
            all.push((c.addr, nname, l));
        }
        for (ifname, iface) in &node.interfaces {
            for (i, c) in iface.addresses.iter().enumerate() {
                let l = cx.spans.get_or(
                    &format!("nodes.{nname}.interfaces.{ifname}.addresses.{i}"),
                    iface.loc,
                );
                all.push((c.addr, nname, l));
            }
        }
    }
    for (bridge, net) in &t.networks {
        for s in &net.subnets {
            let l = cx
                .spans
                .get(&format!("networks.{bridge}.gateway.{}", s.cidr))
                .unwrap_or(net.loc);
            all.push((s.gateway, &net.node, l));
        }
        for (member, m) in &net.members {
            let l = cx.spans.get_or(
                &format!("networks.{bridge}.members.{member}.address"),
                m.loc,
            );
            // Allocated addresses cannot collide (allocation skips taken
            // ones); written ones can.
            // A member address equal to the gateway is reported on its own.
            let gateway = |ip: IpAddr| net.subnets.iter().any(|s| s.gateway == ip);
            if let Some(ip) = m.address.filter(|ip| !gateway(*ip)) {
                all.push((ip, member, l));
            }
        }
    }
    all.sort_by_key(|(_, _, l)| *l);
    let mut first: BTreeMap<IpAddr, (&NodeName, Loc)> = BTreeMap::new();
    for (ip, node, loc) in all {
        match first.get(&ip) {
            Some((n, l)) if *n != node => cx.push(
                ProblemKind::DuplicateAddress,
                loc,
                format!("{ip} is already an address of node `{n}` (line {})", l.line),
                "an address can belong to one node only; pick another",
            ),
            Some(_) => {}
            None => {
                first.insert(ip, (node, loc));
            }
        }
    }
}

pub(super) fn check_subnet_overlap(cx: &mut Ctx<'_>, t: &Topology) {
    // node → (network, subnet)
    let mut per_node: BTreeMap<&NodeName, Vec<(&IfName, Cidr, Loc)>> = BTreeMap::new();
    for (bridge, net) in &t.networks {
        for (i, s) in net.subnets.iter().enumerate() {
            let l = cx
                .spans
                .get_or(&format!("networks.{bridge}.subnets.{i}"), net.loc);
            per_node
                .entry(&net.node)
                .or_default()
                .push((bridge, s.cidr, l));
            for member in net.members.keys() {
                per_node
                    .entry(member)
                    .or_default()
                    .push((bridge, s.cidr, l));
            }
        }
    }
    let mut reported = BTreeSet::new();
    for (node, subnets) in per_node {
        for (i, (na, ca, _)) in subnets.iter().enumerate() {
            for (nb, cb, lb) in &subnets[i + 1..] {
                if na != nb && ca.overlaps(cb) && reported.insert((*na, *nb)) {
                    cx.push(
                        ProblemKind::SubnetOverlap,
                        *lb,
                        format!("subnet {cb} of `{nb}` overlaps {ca} of `{na}` in node `{node}`"),
                        "give the networks subnets that do not overlap",
                    );
                }
            }
        }
    }
}

pub(super) fn check_expects(cx: &mut Ctx<'_>, t: &Topology) {
    check_expect_list(cx, t, &t.expect, "expect");
}

/// Checks written under `prefix` (`expect`, or a scenario step's).
pub(super) fn check_expect_list(
    cx: &mut Ctx<'_>,
    t: &Topology,
    list: &[crate::topology::Expect],
    prefix: &str,
) {
    let conn = connected(t);
    for (i, e) in list.iter().enumerate() {
        let p = format!("{prefix}.{i}");
        let node_ref = |cx: &mut Ctx<'_>, n: &NodeName, key: &str| {
            if !t.nodes.contains_key(n) {
                cx.push(
                    ProblemKind::UnknownReference,
                    cx.spans.get_or(&format!("{p}.{key}"), e.loc),
                    format!("there is no node `{n}`"),
                    "name a node of this lab",
                );
                false
            } else {
                true
            }
        };
        node_ref(cx, &e.from, "from");
        if let Some(r) = &e.reply_from {
            node_ref(cx, r, "reply-from");
        }
        if let Target::Node { node, .. } = &e.to {
            if node_ref(cx, node, "to") && conn.get(node).is_none_or(|v| v.is_empty()) {
                cx.push(
                    ProblemKind::InvalidValue,
                    cx.spans.get_or(&format!("{p}.to"), e.loc),
                    format!("node `{node}` has no address to probe"),
                    "give the node an address, or probe an address instead",
                );
            }
        }
    }
}
