//! The validated topology as the state the kernel should have: links
//! resolved into veth peers, `networks:` expanded into a bridge, one veth
//! per member, addresses and default routes (what Docker's bridge driver
//! does for `docker0`).

use super::nat::{Action, Hook, Match, Nat, Rule};
use super::nat_rules::{hairpin_rule, node_nat, publish_rules};
use super::{
    Bridge, DeviceKind, Endpoint, Impair, LinkKind, LinkState, NodeState, RouteState, State,
};
use nslab_model as m;
use std::collections::BTreeMap;

fn ep(r: &m::IfRef) -> Endpoint {
    Endpoint::new(r.node.as_str(), r.ifname.as_str())
}

/// As the kernel will report it: zero is unset, and a rate is kept in
/// bytes per second (so whole multiples of 8 bits).
fn impair(i: &Impair) -> Option<Impair> {
    let i = i.as_kernel_keeps();
    (!i.is_none()).then_some(i)
}

fn kind(k: &m::IfKind, peer: Option<Endpoint>, ifname: &str) -> LinkKind {
    match k {
        m::IfKind::Veth => LinkKind::Veth {
            // Validation guarantees every veth end is on a link.
            peer: peer.unwrap_or_else(|| Endpoint::new("", ifname)),
        },
        m::IfKind::Physical { from } => LinkKind::Physical {
            from: from.to_string(),
        },
        m::IfKind::Device(d) => LinkKind::Device(d.clone().map(|r| ep(&r))),
    }
}

/// The kernel fills in a metric when none is given (0 for IPv4, 1024 for
/// IPv6); writing that value is the same as writing none.
pub fn route(r: &m::Route) -> RouteState {
    let v6 = r.family() == m::Family::V6;
    let default_metric = if v6 { 1024 } else { 0 };
    RouteState {
        to: r.to.map(|c| c.network()).filter(|c| c.prefix != 0),
        v6,
        via: r.via,
        dev: r.dev.as_ref().map(|d| d.to_string()),
        metric: r.metric.filter(|m| *m != default_metric),
        src: r.src,
        table: r.table.filter(|t| *t != 254),
    }
}

fn set_forwarding(n: &mut NodeState, on: bool) {
    let v = if on { "1" } else { "0" };
    n.sysctls.insert("net.ipv4.ip_forward".into(), v.into());
    n.sysctls
        .insert("net.ipv6.conf.all.forwarding".into(), v.into());
}

pub fn desired(t: &m::Topology) -> State {
    let mut peers: BTreeMap<Endpoint, Endpoint> = BTreeMap::new();
    for l in &t.links {
        peers.insert(ep(&l.a), ep(&l.b));
        peers.insert(ep(&l.b), ep(&l.a));
    }
    let mut s = State {
        lab: t.lab.to_string(),
        nodes: BTreeMap::new(),
    };
    for (name, node) in &t.nodes {
        let mut n = NodeState::new(t.netns_of(name));
        n.lo_up = node.lo_up;
        n.lo_addresses = node.lo_addresses.iter().copied().collect();
        for (k, v) in &node.sysctls {
            n.sysctls.insert(k.to_string(), v.clone());
        }
        let forwarding_on =
            node.wants_forwarding() || t.networks.values().any(|net| net.node == *name);
        // A namespace node always says which: taking `forwarding: true` out
        // of the file turns it off (a new namespace may also inherit the
        // host's setting).
        if forwarding_on || node.forwarding == Some(false) || n.netns.is_some() {
            set_forwarding(&mut n, node.forwarding.unwrap_or(forwarding_on));
        }
        for (ifname, i) in &node.interfaces {
            let here = Endpoint::new(name.as_str(), ifname.as_str());
            let mut l = LinkState::new(kind(&i.kind, peers.get(&here).cloned(), ifname.as_str()));
            l.addresses = i.addresses.iter().copied().collect();
            l.up = i.up;
            l.mtu = i.mtu.map(|m| m.get());
            l.mac = i.mac.map(|m| m.octets());
            l.master = i.master.as_ref().map(|m| m.to_string());
            l.hairpin = i.hairpin;
            l.impair = i.impair.as_ref().and_then(impair);
            n.links.insert(ifname.to_string(), l);
        }
        n.routes = node.routes.iter().map(route).collect();
        let rules = node_nat(&node.nat, node);
        if !rules.is_empty() {
            n.nat = Some(Nat { rules });
        }
        if n.netns.is_some() {
            n.hostname = Some(node.hostname_of(name));
        }
        n.fs = super::fs::of_node(node);
        s.nodes.insert(name.to_string(), n);
    }
    for (bridge, net) in &t.networks {
        expand_network(&mut s, &t.lab, bridge, net);
    }
    for n in s.nodes.values_mut() {
        quiet_bridge_ports(n);
    }
    for (name, node) in &t.nodes {
        for fw in &node.nat.forward {
            hairpin_ports_behind(&mut s, name.as_str(), fw.to.ip());
        }
    }
    // As the kernel lists them: one chain per hook, in hook order (the
    // order within a hook is kept, and only it matters to packets).
    for n in s.nodes.values_mut() {
        if let Some(nat) = &mut n.nat {
            nat.rules.sort_by_key(|r| r.hook);
        }
    }
    s
}

/// A bridge port without addresses of its own is a layer-2 link: no IPv6
/// link-local address, so no duplicate address detection, router
/// solicitations or MLD reports from it.
fn quiet_bridge_ports(n: &mut NodeState) {
    for l in ports_of(n, |_| true) {
        if l.addresses.is_empty() {
            l.ipv6_link_local = Some(false);
        }
    }
}

/// The links of `n` that are ports of the bridges `which` picks.
fn ports_of(
    n: &mut NodeState,
    which: impl Fn(&LinkState) -> bool,
) -> impl Iterator<Item = &mut LinkState> {
    let bridges: Vec<String> = n
        .links
        .iter()
        .filter(|(_, l)| l.kind.is_bridge() && which(l))
        .map(|(name, _)| name.clone())
        .collect();
    n.links
        .values_mut()
        .filter(move |l| l.master.as_ref().is_some_and(|m| bridges.contains(m)))
}

/// Ports of the bridges of `node` that `target` sits behind get hairpin
/// on: where br_netfilter is active, a DNATed connection from behind the
/// same bridge is turned around at the bridge, out the port it came in on.
fn hairpin_ports_behind(s: &mut State, node: &str, target: std::net::IpAddr) {
    let Some(n) = s.nodes.get_mut(node) else {
        return;
    };
    for l in ports_of(n, |b| b.addresses.iter().any(|a| a.contains(target))) {
        l.hairpin = true;
    }
}

fn expand_network(s: &mut State, lab: &m::LabName, bridge_name: &m::IfName, net: &m::Network) {
    let bridge = bridge_name.as_str();
    let holder = net.node.to_string();
    let mut br = LinkState::new(LinkKind::Device(DeviceKind::Bridge(Bridge::default())));
    br.addresses = net.subnets.iter().map(|sn| sn.gateway_cidr()).collect();
    let Some(h) = s.nodes.get_mut(&holder) else {
        return;
    };
    h.links.insert(bridge.to_string(), br);
    let (rules, any_publish) = network_rules(net, bridge);
    if !rules.is_empty() {
        h.nat.get_or_insert_with(Nat::default).rules.extend(rules);
    }
    for (member, mb) in &net.members {
        // Validation has checked that these names collide with nothing.
        let port = m::Network::port_name(lab, bridge_name, member).to_string();
        let inside = Endpoint::new(member.as_str(), mb.ifname.as_str());
        let outside = Endpoint::new(holder.as_str(), port.as_str());
        let mut p = LinkState::new(LinkKind::Veth {
            peer: inside.clone(),
        });
        p.master = Some(bridge.to_string());
        // As Docker does without its userland proxy: where br_netfilter
        // is active, a member reaching a published port of its own
        // network is DNATed at the bridge and sent back out the port it
        // came in on, which only a hairpin port allows.
        p.hairpin = any_publish;
        if let Some(h) = s.nodes.get_mut(&holder) {
            h.links.insert(port, p);
        }
        if let Some(n) = s.nodes.get_mut(member.as_str()) {
            add_member(n, net, mb, inside.ifname, outside);
        }
    }
}

/// Docker's rules for the network: MASQUERADE what leaves the subnets
/// through other interfaces, DNAT each published port, SNAT hairpins;
/// and whether any port is published.
fn network_rules(net: &m::Network, bridge: &str) -> (Vec<Rule>, bool) {
    let mut rules = Vec::new();
    if net.masquerade {
        for sn in &net.subnets {
            rules.push(Rule {
                hook: Hook::Postrouting,
                matches: vec![
                    Match::SrcNet(sn.cidr),
                    Match::NotOifName(bridge.to_string()),
                ],
                action: Action::Masquerade,
            });
        }
    }
    let mut any_publish = false;
    for mb in net.members.values() {
        for p in &mb.publish {
            // The member's address of the family the port is published on.
            let want_v6 = p.host_ip.is_some_and(|ip| ip.is_ipv6());
            let Some(addr) = mb.addresses.iter().find(|a| a.is_ipv6() == want_v6) else {
                continue;
            };
            let to = std::net::SocketAddr::new(addr.addr, p.port.get());
            publish_rules(&mut rules, p.proto, p.host_port.get(), to, p.host_ip, None);
            any_publish = true;
        }
    }
    if any_publish {
        for sn in &net.subnets {
            rules.push(hairpin_rule(sn.cidr, bridge));
        }
    }
    (rules, any_publish)
}

/// A member's end of its veth, with its addresses, and a default route
/// per subnet family through the network's gateway.
fn add_member(
    n: &mut NodeState,
    net: &m::Network,
    mb: &m::Member,
    ifname: String,
    outside: Endpoint,
) {
    let mut l = LinkState::new(LinkKind::Veth { peer: outside });
    l.addresses = mb.addresses.iter().copied().collect();
    // As Docker does: no IPv6 on a member of an IPv4-only network. Its
    // link-local address would make each member multicast neighbour and
    // router solicitations and MLD reports that the bridge floods to
    // every other member (N x N packets as the lab comes up).
    l.ipv6_link_local = Some(net.subnets.iter().any(|sn| sn.cidr.is_ipv6()));
    n.links.insert(ifname, l);
    for sn in &net.subnets {
        let v6 = sn.cidr.is_ipv6();
        // A member's default route is the network's gateway, as Docker
        // gives containers, unless the node routes its own default.
        if n.routes.iter().any(|r| r.to.is_none() && r.v6 == v6) {
            continue;
        }
        n.routes.insert(RouteState {
            to: None,
            v6,
            via: Some(sn.gateway),
            dev: None,
            metric: None,
            src: None,
            table: None,
        });
    }
}
