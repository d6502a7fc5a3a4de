//! What the kernel refuses the second time: a host port published twice on
//! one node (Docker: "port is already allocated"), a `serve:` port listed
//! twice, two routes to the same destination in the same table with the
//! same metric (`ip route add`: "File exists"), and a bridge port past the
//! kernel's limit ("Exchange full").

use crate::ctx::Ctx;
use crate::loc::Loc;
use crate::names::{IfName, NodeName};
use crate::problem::ProblemKind;
use crate::topology::{Family, Topology};
use crate::values::{Cidr, Proto};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Which packets a port rule takes, beyond protocol and port.
#[derive(Debug, Clone, PartialEq)]
enum Only {
    /// Every packet to the port.
    Any,
    /// Packets to this address of the node (`host-ip:` of a publish).
    To(IpAddr),
    /// Packets coming in on this interface (`in:` of a forward).
    In(IfName),
}

impl Only {
    /// Whether some packet is taken by both rules.
    fn overlaps(&self, other: &Only) -> bool {
        match (self, other) {
            (Only::To(a), Only::To(b)) => a == b,
            (Only::In(a), Only::In(b)) => a == b,
            _ => true,
        }
    }
}

struct PortRule {
    proto: Proto,
    port: u16,
    only: Only,
    loc: Loc,
    what: String,
}

pub(super) fn check_ports(cx: &mut Ctx<'_>, t: &Topology) {
    let mut by_node: BTreeMap<&NodeName, Vec<PortRule>> = BTreeMap::new();
    for (name, node) in &t.nodes {
        let rules = by_node.entry(name).or_default();
        for f in &node.nat.forward {
            rules.push(PortRule {
                proto: f.proto,
                port: f.port.get(),
                only: f.in_.clone().map_or(Only::Any, Only::In),
                loc: f.loc,
                what: format!("the `nat: forward` at {}", f.loc),
            });
        }
    }
    for (bridge, net) in &t.networks {
        let Some(rules) = by_node.get_mut(&net.node) else {
            continue;
        };
        for (member, m) in &net.members {
            for (i, p) in m.publish.iter().enumerate() {
                let path = format!("networks.{bridge}.members.{member}.publish.{i}");
                let loc = cx.spans.get_or(&path, m.loc);
                rules.push(PortRule {
                    proto: p.proto,
                    port: p.host_port.get(),
                    only: p.host_ip.map_or(Only::Any, Only::To),
                    loc,
                    what: format!("`{member}` of network `{bridge}` at {loc}"),
                });
            }
        }
    }
    for (node, rules) in by_node.iter_mut() {
        // In file order: the second one written is the one reported.
        rules.sort_by_key(|r| r.loc);
        for (i, r) in rules.iter().enumerate() {
            let first = rules[..i]
                .iter()
                .find(|e| e.proto == r.proto && e.port == r.port && e.only.overlaps(&r.only));
            if let Some(first) = first {
                cx.push(
                    ProblemKind::PortConflict,
                    r.loc,
                    format!(
                        "host port {}/{} of node `{node}` is already published by {}",
                        r.proto, r.port, first.what
                    ),
                    "a host port (per protocol) is published once per node: choose another host port, or bind each to its own address (`host-ip:port:port`)",
                );
            }
        }
    }
    for (name, node) in &t.nodes {
        for (i, s) in node.serve.iter().enumerate() {
            if let Some(j) = node.serve[..i].iter().position(|e| e == s) {
                let here = cx
                    .spans
                    .get_or(&format!("nodes.{name}.serve.{i}"), node.loc);
                let first = cx
                    .spans
                    .get_or(&format!("nodes.{name}.serve.{j}"), node.loc);
                cx.push(
                    ProblemKind::PortConflict,
                    here,
                    format!(
                        "node `{name}` already serves {}/{} (at {first})",
                        s.proto, s.port
                    ),
                    "list each port once under `serve:`",
                );
            }
        }
    }
}

/// What makes a route unique in the kernel: family, destination, table,
/// metric (the defaults spelled out: main table, metric 0 for IPv4 and 1024
/// for IPv6).
type RouteKey = (Family, Cidr, u32, u32);

pub(super) fn check_routes(cx: &mut Ctx<'_>, t: &Topology) {
    for (name, node) in &t.nodes {
        let mut seen: BTreeMap<RouteKey, Loc> = BTreeMap::new();
        for r in &node.routes {
            let family = r.family();
            let default_metric = if family == Family::V6 { 1024 } else { 0 };
            let key = (
                family,
                r.destination(),
                r.table.unwrap_or(254),
                r.metric.unwrap_or(default_metric),
            );
            if let Some(first) = seen.get(&key) {
                let dest = match r.to {
                    None => "the default route".to_string(),
                    Some(_) => format!("a route to {}", key.1),
                };
                cx.push(
                    ProblemKind::DuplicateRoute,
                    r.loc,
                    format!(
                        "node `{name}` already has {dest} in table {} with metric {} (at {first}); the kernel refuses a second one",
                        key.2, key.3
                    ),
                    "remove one of the two, or give one another `metric` (the kernel uses the lowest) or `table`",
                );
            } else {
                seen.insert(key, r.loc);
            }
        }
    }
}

/// A Linux bridge numbers its ports in 10 bits, port 0 unused
/// (`BR_MAX_PORTS`): the 1024th port is refused with EXFULL ("Exchange
/// full"), after every earlier one was made.
pub const MAX_BRIDGE_PORTS: usize = 1023;

/// Each bridge's ports (a network's members and the interfaces that name
/// it as `master:`) fit the kernel's limit.
pub(super) fn check_bridge_ports(cx: &mut Ctx<'_>, t: &Topology) {
    let mut ports: BTreeMap<(&NodeName, &IfName), (usize, Option<Loc>)> = BTreeMap::new();
    for (bridge, net) in &t.networks {
        let e = ports.entry((&net.node, bridge)).or_default();
        e.0 += net.members.len();
        e.1 = Some(net.loc);
    }
    for (node, n) in &t.nodes {
        for i in n.interfaces.values() {
            if let Some(master) = &i.master {
                let e = ports.entry((node, master)).or_default();
                e.0 += 1;
                e.1.get_or_insert(i.loc);
            }
        }
    }
    for ((node, bridge), (count, loc)) in ports {
        if let (true, Some(loc)) = (count > MAX_BRIDGE_PORTS, loc) {
            cx.push(
                ProblemKind::OutOfRange,
                loc,
                format!(
                    "bridge `{bridge}` of node `{node}` would have {count} ports; a Linux bridge holds at most {MAX_BRIDGE_PORTS}"
                ),
                "split the members over several networks (each its own bridge and subnet)",
            );
        }
    }
}
