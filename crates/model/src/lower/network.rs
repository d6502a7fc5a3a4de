//! `networks:`: Docker-style bridge networks, and the allocation of member
//! addresses.
//!
//! Allocation is deterministic: per network (by bridge name) and subnet,
//! members in name order get the lowest free host address after the
//! gateway (wrapping to the start of the subnet), never the gateway, never
//! an address written anywhere in the file, never one given twice.

use super::network_flags::{network_flags, refuse_publish_on_internal};
use super::{words, Ctx};
use crate::loc::Loc;
use crate::names::{IfName, NodeName};
use crate::problem::ProblemKind;
use crate::raw::{loc_of, Entries, Leaf, OneOrMany, RawMember, RawNetwork};
use crate::topology::{Member, Network, Publish, Subnet, Topology};
use crate::values::Cidr;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

pub(crate) fn lower_networks(
    cx: &mut Ctx<'_>,
    raw: Entries<Option<RawNetwork>>,
) -> BTreeMap<IfName, Network> {
    let mut out = BTreeMap::new();
    for (key, rn) in raw.0 {
        if let Some((bridge, net)) = lower_network(cx, &key, rn) {
            out.insert(bridge, net);
        }
    }
    out
}

fn lower_network(
    cx: &mut Ctx<'_>,
    key: &Leaf,
    rn: Option<RawNetwork>,
) -> Option<(IfName, Network)> {
    let bridge = cx.parse::<IfName>(key, "a bridge interface name")?;
    let loc = loc_of(key);
    let p = format!("networks.{bridge}");
    cx.span(p.clone(), loc);
    let rn = rn.unwrap_or_default();
    let node = network_node(cx, &rn, &p, &bridge, loc);
    let cidrs = network_subnets(cx, &rn, &p, &bridge, loc);
    let gateways = network_gateways(cx, &rn, &p, &cidrs);
    let subnets: Vec<Subnet> = cidrs
        .iter()
        .zip(gateways)
        .filter_map(|((c, _), g)| {
            Some(Subnet {
                cidr: *c,
                gateway: g.or_else(|| c.first_host())?,
            })
        })
        .collect();
    let flags = network_flags(cx, &rn, &bridge);
    let mut members = BTreeMap::new();
    for (mk, rm) in rn.members.unwrap_or_default().0 {
        if let Some((name, m)) = lower_member(cx, &mk, rm, &p, &subnets) {
            members.insert(name, m);
        }
    }
    if flags.internal {
        refuse_publish_on_internal(cx, &bridge, &members);
    }
    let node = node?;
    Some((
        bridge,
        Network {
            node,
            subnets,
            masquerade: flags.masquerade,
            isolate: flags.isolate,
            internal: flags.internal,
            members,
            loc,
        },
    ))
}

/// `node:`, the node that holds the bridge.
fn network_node(
    cx: &mut Ctx<'_>,
    rn: &RawNetwork,
    p: &str,
    bridge: &IfName,
    loc: Loc,
) -> Option<NodeName> {
    match &rn.node {
        Some(l) => {
            cx.span(format!("{p}.node"), loc_of(l));
            cx.parse(l, "a node name")
        }
        None => {
            cx.push(
                ProblemKind::MissingKey,
                loc,
                format!("network `{bridge}` has no `node`"),
                "add `node: NAME`, the node that holds the bridge",
            );
            None
        }
    }
}

/// `subnet:` or `subnets:`, each with room for a gateway and members.
fn network_subnets(
    cx: &mut Ctx<'_>,
    rn: &RawNetwork,
    p: &str,
    bridge: &IfName,
    loc: Loc,
) -> Vec<(Cidr, Loc)> {
    let mut cidrs: Vec<(Cidr, Loc)> = Vec::new();
    let mut subnet_leaves: Vec<Leaf> = Vec::new();
    match (&rn.subnet, &rn.subnets) {
        (Some(s), None) => subnet_leaves.push(s.clone()),
        (None, Some(list)) => subnet_leaves.extend(list.iter().cloned()),
        (Some(_), Some(list)) => {
            let l = list.first().map(loc_of).unwrap_or(loc);
            cx.push(
                ProblemKind::InvalidValue,
                l,
                format!("network `{bridge}` has both `subnet` and `subnets`"),
                "keep one: `subnet: X` or `subnets: [X, Y]`",
            );
        }
        (None, None) => cx.push(
            ProblemKind::MissingKey,
            loc,
            format!("network `{bridge}` has no `subnet`"),
            "add `subnet: 172.17.0.0/16` (or `subnets: [...]`)",
        ),
    }
    for (i, l) in subnet_leaves.iter().enumerate() {
        cx.span(format!("{p}.subnets.{i}"), loc_of(l));
        let c = cx.text(l, "a subnet like 172.17.0.0/16").and_then(|t| {
            words::subnet(&t)
                .map_err(|e| cx.value_err(loc_of(l), e))
                .ok()
        });
        if let Some(c) = c {
            if c.first_host().is_none() || c.size() < 4 && !c.is_ipv6() && c.prefix < 31 {
                cx.push(
                    ProblemKind::OutOfRange,
                    loc_of(l),
                    format!("subnet {c} has no room for a gateway and members"),
                    "use a shorter prefix, like /24",
                );
                continue;
            }
            cidrs.push((c.network(), loc_of(l)));
        }
    }
    cidrs
}

/// `gateway:`, each in the subnet that contains it (by subnet; `None`: the
/// subnet's first host address).
fn network_gateways(
    cx: &mut Ctx<'_>,
    rn: &RawNetwork,
    p: &str,
    cidrs: &[(Cidr, Loc)],
) -> Vec<Option<IpAddr>> {
    let mut gateways: Vec<Option<IpAddr>> = vec![None; cidrs.len()];
    let gw_leaves: Vec<Leaf> = match &rn.gateway {
        Some(sp) => match &sp.value {
            OneOrMany::One(s) => vec![serde_saphyr::Spanned::new(
                s.clone(),
                sp.referenced,
                sp.defined,
            )],
            OneOrMany::Many(v) => v.clone(),
        },
        None => Vec::new(),
    };
    for (i, l) in gw_leaves.iter().enumerate() {
        let gl = loc_of(l);
        cx.span(format!("{p}.gateway.{i}"), gl);
        let Some(ip) = cx.ip(l, "a gateway address") else {
            continue;
        };
        match cidrs.iter().position(|(c, _)| c.contains(ip)) {
            Some(k) if gateways[k].is_some() => cx.push(
                ProblemKind::DuplicateName,
                gl,
                format!("subnet {} already has a gateway", cidrs[k].0),
                "give one gateway per subnet",
            ),
            Some(k) if !cidrs[k].0.is_host_address(ip) => cx.push(
                ProblemKind::InvalidValue,
                gl,
                format!("gateway {ip} is not a host address of {}", cidrs[k].0),
                "do not use the subnet's network or broadcast address",
            ),
            Some(k) => {
                gateways[k] = Some(ip);
                cx.span(format!("{p}.gateway.{}", cidrs[k].0), gl);
            }
            None => cx.push(
                ProblemKind::AddressOutsideSubnet,
                gl,
                format!("gateway {ip} is outside the network's subnets"),
                "use an address inside the subnet, like its first host address",
            ),
        }
    }
    gateways
}

fn lower_member(
    cx: &mut Ctx<'_>,
    mk: &Leaf,
    rm: Option<RawMember>,
    p: &str,
    subnets: &[Subnet],
) -> Option<(NodeName, Member)> {
    let name = cx.parse::<NodeName>(mk, "a node name")?;
    let mloc = loc_of(mk);
    let mp = format!("{p}.members.{name}");
    cx.span(mp.clone(), mloc);
    let rm = rm.unwrap_or_default();
    let address = rm.address.as_ref().and_then(|l| {
        cx.span(format!("{mp}.address"), loc_of(l));
        cx.ip(l, "an address")
    });
    if let (Some(ip), Some(l)) = (address, &rm.address) {
        check_member_address(cx, subnets, ip, loc_of(l), &name);
    }
    let ifname = match &rm.ifname {
        Some(l) => {
            cx.span(format!("{mp}.ifname"), loc_of(l));
            cx.parse(l, "an interface name")
        }
        None => "eth0".parse().ok(),
    };
    let publish = member_publish(cx, rm.publish.unwrap_or_default(), &mp);
    let ifname = ifname?;
    Some((
        name,
        Member {
            address,
            addresses: Vec::new(),
            ifname,
            publish,
            loc: mloc,
        },
    ))
}

/// A member's `publish:` list, `8080:80` and the like.
fn member_publish(cx: &mut Ctx<'_>, leaves: Vec<Leaf>, mp: &str) -> Vec<Publish> {
    let mut publish = Vec::new();
    for l in leaves {
        if let Some(t) = cx.text(&l, "a published port like 8080:80") {
            match words::publish(&t) {
                Ok(p) => {
                    cx.span(format!("{mp}.publish.{}", publish.len()), loc_of(&l));
                    publish.push(p);
                }
                Err(e) => cx.value_err(loc_of(&l), e),
            }
        }
    }
    publish
}

fn check_member_address(
    cx: &mut Ctx<'_>,
    subnets: &[Subnet],
    ip: IpAddr,
    loc: Loc,
    name: &NodeName,
) {
    let list: Vec<String> = subnets.iter().map(|s| s.cidr.to_string()).collect();
    match subnets.iter().find(|s| s.cidr.contains(ip)) {
        None => cx.push(
            ProblemKind::AddressOutsideSubnet,
            loc,
            format!(
                "member `{name}`'s address {ip} is outside the network's subnets ({})",
                list.join(", ")
            ),
            "use an address inside the subnet, or leave `address` out to have one allocated",
        ),
        Some(s) if s.gateway == ip => cx.push(
            ProblemKind::AddressIsGateway,
            loc,
            format!("member `{name}`'s address {ip} is the network's gateway"),
            "the gateway sits on the bridge; pick another address, or leave `address` out",
        ),
        Some(s) if !s.cidr.is_host_address(ip) => cx.push(
            ProblemKind::InvalidValue,
            loc,
            format!("{ip} is not a host address of {}", s.cidr),
            "do not use the subnet's network or broadcast address",
        ),
        Some(_) => {}
    }
}

/// Give every member one address per subnet of its network.
pub(crate) fn allocate(cx: &mut Ctx<'_>, topo: &mut Topology) {
    let mut taken: BTreeSet<IpAddr> = BTreeSet::new();
    for node in topo.nodes.values() {
        for iface in node.interfaces.values() {
            taken.extend(iface.addresses.iter().map(|c| c.addr));
        }
    }
    for net in topo.networks.values() {
        taken.extend(net.subnets.iter().map(|s| s.gateway));
        taken.extend(net.members.values().filter_map(|m| m.address));
    }
    for (bridge, net) in topo.networks.iter_mut() {
        for s in &net.subnets {
            for (name, m) in net.members.iter_mut() {
                if let Some(ip) = m.address.filter(|ip| s.cidr.contains(*ip)) {
                    m.addresses.push(s.cidr.with_addr(ip));
                    continue;
                }
                match next_free(s, &taken) {
                    Some(ip) => {
                        taken.insert(ip);
                        m.addresses.push(s.cidr.with_addr(ip));
                    }
                    None => cx.push(
                        ProblemKind::SubnetExhausted,
                        m.loc,
                        format!(
                            "no free address left in {} of `{bridge}` for `{name}`",
                            s.cidr
                        ),
                        "use a larger subnet",
                    ),
                }
            }
        }
    }
}

/// The lowest free host address after the gateway, wrapping around.
fn next_free(s: &Subnet, taken: &BTreeSet<IpAddr>) -> Option<IpAddr> {
    let size = s.cidr.size();
    let gw = s.cidr.index_of(s.gateway).unwrap_or(0);
    // Every step past the first skips a taken or non-host address, so the
    // search ends after at most |taken| + 3 steps when room is left.
    let limit = (taken.len() as u128 + 3).min(size);
    (1..=limit)
        .map(|k| (gw + k) % size)
        .filter_map(|n| s.cidr.nth(n))
        .find(|ip| s.cidr.is_host_address(*ip) && !taken.contains(ip))
}
