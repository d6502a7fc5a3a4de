//! Cross-checks on the lowered topology (spec: topology.md, "Validation").
//!
//! Lowering has already checked each value on its own; this module checks
//! how they fit together: names used twice, references to things that do
//! not exist, bridge ports, sub-interface parents, addresses and subnets,
//! route gateways, and `physical` interfaces against the host.

use crate::loc::Loc;
mod addresses;
mod conflicts;
mod images;
mod interfaces;
mod scenarios;

use crate::ctx::Ctx;
use crate::names::{IfName, NodeName};
use crate::problem::ProblemKind;
use crate::topology::{Host, IfRef, Network, NodeKind, ProgramLookup, Topology};
use std::collections::BTreeMap;

/// Where an interface of a node comes from.
#[derive(Debug, Clone)]
pub(super) enum Origin {
    /// Written under the node's `interfaces` (or a default link end).
    File,
    /// The bridge of a network.
    Bridge(IfName),
    /// A member's interface in a network.
    Member(IfName),
    /// The bridge-side end of a member's veth.
    Port(IfName, NodeName),
}

/// Every interface of every node, the file's and the networks'.
pub(super) type Known = BTreeMap<NodeName, BTreeMap<IfName, Origin>>;

pub(crate) fn validate(cx: &mut Ctx<'_>, t: &Topology, host: Host<'_>) {
    let known = known_interfaces(cx, t);
    check_netns_names(cx, t);
    interfaces::check_interfaces(cx, t, &known, host.interfaces);
    addresses::check_routes_and_nat(cx, t, &known, host.interfaces);
    addresses::check_loopback(cx, t);
    addresses::check_addresses(cx, t);
    addresses::check_subnet_overlap(cx, t);
    addresses::check_expects(cx, t);
    scenarios::check_scenarios(cx, t, &known);
    conflicts::check_ports(cx, t);
    conflicts::check_routes(cx, t);
    conflicts::check_bridge_ports(cx, t);
    check_programs(cx, t, host);
    images::check_images(cx, t, host);
    check_host_services(cx, t);
}

/// `serve:`/`run:` processes live in the node's namespace; the host node
/// has none of its own.
fn check_host_services(cx: &mut Ctx<'_>, t: &Topology) {
    for (name, node) in &t.nodes {
        if node.kind != NodeKind::Host {
            continue;
        }
        let entries = [("serve", node.serve.len()), ("run", node.run.len())];
        for (key, n) in entries {
            if n == 0 {
                continue;
            }
            let loc = cx.spans.get_or(&format!("nodes.{name}.{key}.0"), node.loc);
            cx.push(
                ProblemKind::InvalidValue,
                loc,
                format!("node `{name}` is the host namespace; nslab starts `{key}:` processes only in a namespace of its own"),
                format!("move `{key}:` to a node without `kind: host`"),
            );
        }
    }
}

/// `run:` programs: argv\[0\] with a `/` must be an executable file;
/// without, a name found on `PATH` (as `execvp` does when nslab starts it).
fn check_programs(cx: &mut Ctx<'_>, t: &Topology, host: Host<'_>) {
    for (name, node) in &t.nodes {
        for (i, argv) in node.run.iter().enumerate() {
            let Some(prog) = argv.first() else { continue };
            let loc = cx.spans.get_or(&format!("nodes.{name}.run.{i}"), node.loc);
            let (why, hint) = match host.programs.lookup(prog) {
                ProgramLookup::Found => continue,
                ProgramLookup::Missing if prog.contains('/') => (
                    "does not exist",
                    "write the path of an installed program (`command -v NAME` prints it)",
                ),
                ProgramLookup::Missing => (
                    "is not found on PATH",
                    "install it, or write its full path (`command -v NAME` prints it)",
                ),
                ProgramLookup::NotExecutable => (
                    "is not an executable file",
                    "name an executable file (check its `x` permission), or run it through its interpreter (`sh script`)",
                ),
            };
            cx.push(
                ProblemKind::ProgramMissing,
                loc,
                format!(
                    "node `{name}`: `run:` program `{}` {why}",
                    prog.escape_debug()
                ),
                hint,
            );
        }
    }
}

fn known_interfaces(cx: &mut Ctx<'_>, t: &Topology) -> Known {
    let mut known: Known = BTreeMap::new();
    for (name, node) in &t.nodes {
        let m = known.entry(name.clone()).or_default();
        for (ifname, iface) in &node.interfaces {
            if *ifname == IfName::LOOPBACK {
                let at = cx
                    .spans
                    .get_or(&format!("nodes.{name}.interfaces.{ifname}"), iface.loc);
                loopback(cx, at);
            }
            m.insert(ifname.clone(), Origin::File);
        }
    }
    for (bridge, net) in &t.networks {
        network_interfaces(cx, t, &mut known, bridge, net);
    }
    known
}

/// The interfaces network `bridge` makes: its bridge, and per member a
/// port on the bridge's node and an interface in the member.
fn network_interfaces(
    cx: &mut Ctx<'_>,
    t: &Topology,
    known: &mut Known,
    bridge: &IfName,
    net: &Network,
) {
    let nloc = cx.spans.get_or(&format!("networks.{bridge}.node"), net.loc);
    if !t.nodes.contains_key(&net.node) {
        cx.push(
            ProblemKind::UnknownReference,
            nloc,
            format!("network `{bridge}`: there is no node `{}`", net.node),
            format!("add `{}` under `nodes:`, or fix the name", net.node),
        );
        return;
    }
    add_known(
        cx,
        known,
        &net.node,
        bridge.clone(),
        Origin::Bridge(bridge.clone()),
        net.loc,
    );
    for (member, m) in &net.members {
        if *member == net.node {
            cx.push(
                ProblemKind::InvalidValue,
                m.loc,
                format!("`{member}` holds the bridge of `{bridge}` and cannot also be its member"),
                "remove it from `members`",
            );
            continue;
        }
        let port = Network::port_name(&t.lab, bridge, member);
        add_known(
            cx,
            known,
            &net.node,
            port,
            Origin::Port(bridge.clone(), member.clone()),
            m.loc,
        );
        let iloc = cx
            .spans
            .get_or(&format!("networks.{bridge}.members.{member}.ifname"), m.loc);
        add_known(
            cx,
            known,
            member,
            m.ifname.clone(),
            Origin::Member(bridge.clone()),
            iloc,
        );
    }
}

/// Record an interface a network makes, unless the node has one of that
/// name already.
fn add_known(
    cx: &mut Ctx<'_>,
    known: &mut Known,
    node: &NodeName,
    ifname: IfName,
    origin: Origin,
    loc: Loc,
) {
    if ifname == IfName::LOOPBACK {
        loopback(cx, loc);
        return;
    }
    let Some(m) = known.get_mut(node) else { return };
    if let Some(prev) = m.get(&ifname) {
        let what = match prev {
            Origin::File => "an interface of the node".to_string(),
            Origin::Bridge(n) => format!("the bridge of network `{n}`"),
            Origin::Member(n) => format!("the interface of network `{n}`"),
            Origin::Port(n, mem) => format!("the port of `{mem}` on network `{n}`"),
        };
        cx.push(
            ProblemKind::DuplicateName,
            loc,
            format!("node `{node}` already has an interface `{ifname}` ({what})"),
            "interface names must be unique within a node; rename one (`ifname:` for a network member)",
        );
        return;
    }
    m.insert(ifname, origin);
}

/// `lo` where the file would make an interface.
pub(super) fn loopback(cx: &mut Ctx<'_>, loc: Loc) {
    cx.push(
        ProblemKind::InvalidName,
        loc,
        "`lo` is the namespace's own loopback interface; nslab cannot make another",
        "set the loopback with the node's `lo:` (`up`, `down`, or `{ up: true, addresses: [10.255.0.1/32] }`), and give this interface another name",
    );
}

fn check_netns_names(cx: &mut Ctx<'_>, t: &Topology) {
    let mut seen: BTreeMap<String, NodeName> = BTreeMap::new();
    let mut host: Option<&NodeName> = None;
    for (name, node) in &t.nodes {
        let loc = cx.spans.get_or(&format!("nodes.{name}.netns"), node.loc);
        if node.kind == NodeKind::Host {
            if let Some(first) = host {
                let kl = cx.spans.get_or(&format!("nodes.{name}.kind"), node.loc);
                cx.push(
                    ProblemKind::DuplicateName,
                    kl,
                    format!("nodes `{first}` and `{name}` are both the host namespace"),
                    "a lab has at most one `kind: host` node",
                );
            }
            host = Some(name);
            continue;
        }
        let ns = node.netns_name(&t.lab, name);
        if let Some(first) = seen.get(&ns) {
            cx.push(
                ProblemKind::DuplicateName,
                loc,
                format!("nodes `{first}` and `{name}` would both be namespace `{ns}`"),
                "give one of them another `netns:` name",
            );
        } else {
            seen.insert(ns, name.clone());
        }
    }
}

pub(super) fn exists(known: &Known, r: &IfRef) -> bool {
    known
        .get(&r.node)
        .is_some_and(|m| m.contains_key(&r.ifname))
}
