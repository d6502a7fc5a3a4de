//! An in-memory kernel: applies [`Op`]s to a [`State`] with the kernel's
//! rules that matter to the planner (a name exists once per namespace; a
//! veth pair lives and dies together; deleting a parent deletes its
//! children; deleting a namespace deletes its links and their veth peers)
//! and its side effects: a deleted link takes the routes through it and
//! detaches its bridge's ports; deleting the primary IPv4 address of a
//! subnet deletes the subnet's secondaries (without `promote_secondaries`);
//! deleting the last IPv4 address of a link flushes the IPv4 routes through
//! it; deleting an address drops the routes that use it as source; taking a
//! link down flushes its routes. A route needs an up device and, for a
//! gateway, a subnet of that device that holds it.

use super::{Host, OpError, Scope};
use crate::plan::{route_matches, Op};
use crate::state::{
    Bridge, Cidr, Endpoint, LinkKind, LinkState, NodeState, RouteState, State, Vxlan,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

#[derive(Debug, Default)]
pub struct FakeHost {
    pub state: State,
    /// Interfaces of the host namespace that `physical` can take.
    pub host_ifaces: BTreeSet<String>,
    /// Fail the operation with this index (counting every apply), once.
    pub fail_at: Option<usize>,
    pub applied: usize,
    /// Every operation carried out, in order, as `ip`-like lines.
    pub log: Vec<String>,
    /// When each address was added (the first of a subnet is its primary).
    added: BTreeMap<(String, String, Cidr), u64>,
    clock: u64,
}

/// Does `c`'s subnet hold `ip`?
fn contains(c: &Cidr, ip: &IpAddr) -> bool {
    c.contains(*ip)
}

fn same_subnet(a: &Cidr, b: &Cidr) -> bool {
    a.prefix == b.prefix && contains(a, &b.addr)
}

impl FakeHost {
    pub fn new(lab: &str) -> FakeHost {
        FakeHost {
            state: State {
                lab: lab.to_string(),
                nodes: Default::default(),
            },
            ..Default::default()
        }
    }

    fn node(&mut self, op: &Op, name: &str) -> Result<&mut NodeState, OpError> {
        self.state
            .nodes
            .get_mut(name)
            .ok_or_else(|| OpError::new(op, "No such file or directory (namespace missing)"))
    }

    fn link(&mut self, op: &Op, ep: &Endpoint) -> Result<&mut LinkState, OpError> {
        self.node(op, &ep.node)?
            .links
            .get_mut(&ep.ifname)
            .ok_or_else(|| OpError::new(op, "No such device"))
    }

    fn add(&mut self, op: &Op, ep: &Endpoint, l: LinkState) -> Result<(), OpError> {
        let n = self.node(op, &ep.node)?;
        if n.links.contains_key(&ep.ifname) {
            return Err(OpError::new(op, "File exists"));
        }
        n.links.insert(ep.ifname.clone(), l);
        Ok(())
    }

    fn remove(&mut self, ep: &Endpoint) {
        let Some(n) = self.state.nodes.get_mut(&ep.node) else {
            return;
        };
        let Some(l) = n.links.remove(&ep.ifname) else {
            return;
        };
        n.routes
            .retain(|r| r.dev.as_deref() != Some(ep.ifname.as_str()));
        for port in n.links.values_mut() {
            if port.master.as_deref() == Some(ep.ifname.as_str()) {
                port.master = None;
                port.hairpin = false;
            }
        }
        self.added
            .retain(|(node, ifname, _), _| !(*node == ep.node && *ifname == ep.ifname));
        if let LinkKind::Veth { peer } = &l.kind {
            self.remove(peer);
        }
        let children: Vec<Endpoint> = self
            .state
            .nodes
            .iter()
            .flat_map(|(node, n)| {
                n.links
                    .iter()
                    .filter(move |(_, c)| crate::plan::depends_on(node, c, ep))
                    .map(move |(ifname, _)| Endpoint::new(node, ifname))
            })
            .collect();
        for c in children {
            self.remove(&c);
        }
        if let LinkKind::Physical { from } = l.kind {
            self.host_ifaces.insert(from);
        }
    }

    fn blank(kind: LinkKind, mtu: Option<u32>, mac: Option<[u8; 6]>) -> LinkState {
        LinkState {
            up: false,
            mtu: Some(mtu.unwrap_or(1500)),
            mac: Some(mac.unwrap_or([2, 0, 0, 0, 0, 1])),
            ..LinkState::new(kind)
        }
    }

    fn apply_op(&mut self, op: &Op) -> Result<(), OpError> {
        match op {
            Op::CreateNetns { node, netns } => {
                if self.state.nodes.contains_key(node) {
                    return Err(OpError::new(op, "File exists"));
                }
                let mut n = NodeState::new(Some(netns.clone()));
                n.lo_up = false;
                self.state.nodes.insert(node.clone(), n);
            }
            Op::DeleteNetns { node, .. } => {
                let n = self
                    .state
                    .nodes
                    .get(node)
                    .cloned()
                    .ok_or_else(|| OpError::new(op, "No such file or directory"))?;
                for ifname in n.links.keys() {
                    self.remove(&Endpoint::new(node, ifname));
                }
                self.state.nodes.remove(node);
            }
            Op::SetLo { at, up } => self.node(op, &at.node)?.lo_up = *up,
            Op::SetSysctl { at, key, value } => {
                self.node(op, &at.node)?
                    .sysctls
                    .insert(key.clone(), value.clone());
            }
            Op::AddVeth { a, b } => {
                let ea = Endpoint::new(&a.at.node, &a.ifname);
                let eb = Endpoint::new(&b.at.node, &b.ifname);
                self.node(op, &eb.node)?;
                if self
                    .state
                    .nodes
                    .get(&eb.node)
                    .is_some_and(|n| n.links.contains_key(&eb.ifname))
                {
                    return Err(OpError::new(op, "File exists"));
                }
                self.add(
                    op,
                    &ea,
                    Self::blank(LinkKind::Veth { peer: eb.clone() }, a.mtu, a.mac),
                )?;
                self.add(
                    op,
                    &eb,
                    Self::blank(LinkKind::Veth { peer: ea }, b.mtu, b.mac),
                )?;
            }
            Op::AddLink { end, kind, .. } => {
                if let Some(p) = kind.parent() {
                    self.link(op, p)?;
                }
                if let LinkKind::Vxlan(Vxlan { dev: Some(d), .. }) = kind {
                    self.link(op, &Endpoint::new(&end.at.node, d))?;
                }
                let ep = Endpoint::new(&end.at.node, &end.ifname);
                self.add(op, &ep, Self::blank(kind.clone(), end.mtu, end.mac))?;
            }
            Op::DeleteLink { at, ifname } => {
                let ep = Endpoint::new(&at.node, ifname);
                self.link(op, &ep)?;
                self.remove(&ep);
            }
            Op::MoveIn { at, ifname, from } => {
                if !self.host_ifaces.remove(from) {
                    return Err(OpError::new(op, "No such device"));
                }
                let ep = Endpoint::new(&at.node, ifname);
                self.add(
                    op,
                    &ep,
                    Self::blank(LinkKind::Physical { from: from.clone() }, None, None),
                )?;
            }
            Op::MoveOut { at, ifname, to } => {
                let ep = Endpoint::new(&at.node, ifname);
                self.link(op, &ep)?;
                self.state
                    .nodes
                    .get_mut(&at.node)
                    .map(|n| n.links.remove(ifname));
                self.host_ifaces.insert(to.clone());
            }
            Op::SetLink { at, ifname, change } => {
                let ep = Endpoint::new(&at.node, ifname);
                if let Some(Some(m)) = &change.master {
                    let is_bridge = self
                        .state
                        .nodes
                        .get(&at.node)
                        .and_then(|n| n.links.get(m))
                        .is_some_and(|l| matches!(l.kind, LinkKind::Bridge { .. }));
                    if !is_bridge {
                        return Err(OpError::new(op, "No such device (master)"));
                    }
                }
                let l = self.link(op, &ep)?;
                if let Some(m) = &change.master {
                    l.master = m.clone();
                    if m.is_none() {
                        l.hairpin = false;
                    }
                }
                if let Some(mtu) = change.mtu {
                    l.mtu = Some(mtu);
                }
                if let Some(mac) = change.mac {
                    l.mac = Some(mac);
                }
                if let Some(h) = change.hairpin {
                    if l.master.is_none() {
                        return Err(OpError::new(
                            op,
                            "Operation not supported (not a bridge port)",
                        ));
                    }
                    l.hairpin = h;
                }
                if let Some(b) = &change.bridge {
                    let LinkKind::Bridge(Bridge {
                        stp,
                        ageing_secs,
                        vlan_filtering,
                    }) = &mut l.kind
                    else {
                        return Err(OpError::new(op, "Operation not supported (not a bridge)"));
                    };
                    *stp = b.stp.unwrap_or(*stp);
                    *ageing_secs = b.ageing_secs.unwrap_or(*ageing_secs);
                    *vlan_filtering = b.vlan_filtering.unwrap_or(*vlan_filtering);
                }
                let was_up = l.up;
                if let Some(up) = change.up {
                    l.up = up;
                }
                if was_up && change.up == Some(false) {
                    self.flush_routes(&at.node, ifname, None);
                }
            }
            Op::AddAddress { at, ifname, cidr } => {
                let l = self.link(op, &Endpoint::new(&at.node, ifname))?;
                if !l.addresses.insert(*cidr) {
                    return Err(OpError::new(op, "File exists"));
                }
                self.clock += 1;
                self.added
                    .insert((at.node.clone(), ifname.clone(), *cidr), self.clock);
            }
            Op::DelAddress { at, ifname, cidr } => self.del_address(op, &at.node, ifname, cidr)?,
            Op::AddRoute { at, route } => self.add_route(op, &at.node, route)?,
            Op::DelRoute { at, route } => {
                let n = self.node(op, &at.node)?;
                let found = n.routes.iter().find(|r| route_matches(route, r)).cloned();
                match found {
                    Some(r) => {
                        n.routes.remove(&r);
                    }
                    None => return Err(OpError::new(op, "No such process")),
                }
            }
            Op::SetNat { at, nat, .. } => {
                self.node(op, &at.node)?.nat = nat.clone();
            }
            Op::SetImpair { at, ifname, impair } => {
                self.link(op, &Endpoint::new(&at.node, ifname))?.impair = *impair;
            }
        }
        Ok(())
    }
}

impl FakeHost {
    /// Remove the routes through `ifname` (of one family, or both).
    fn flush_routes(&mut self, node: &str, ifname: &str, v6: Option<bool>) {
        if let Some(n) = self.state.nodes.get_mut(node) {
            n.routes
                .retain(|r| r.dev.as_deref() != Some(ifname) || v6.is_some_and(|v6| r.v6 != v6));
        }
    }

    fn del_address(
        &mut self,
        op: &Op,
        node: &str,
        ifname: &str,
        cidr: &Cidr,
    ) -> Result<(), OpError> {
        let promote = self
            .state
            .nodes
            .get(node)
            .and_then(|n| n.sysctls.get("net.ipv4.conf.all.promote_secondaries"))
            .is_some_and(|v| v == "1");
        let addrs = self
            .link(op, &Endpoint::new(node, ifname))?
            .addresses
            .clone();
        if !addrs.contains(cidr) {
            return Err(OpError::new(op, "Cannot assign requested address"));
        }
        let when = |c: &Cidr| {
            self.added
                .get(&(node.to_string(), ifname.to_string(), *c))
                .copied()
                .unwrap_or(0)
        };
        let mut lost = vec![*cidr];
        if cidr.addr.is_ipv4() && !promote {
            let mine = when(cidr);
            let primary = addrs
                .iter()
                .filter(|c| same_subnet(c, cidr))
                .all(|c| when(c) >= mine);
            if primary {
                lost.extend(addrs.iter().filter(|c| same_subnet(c, cidr)).copied());
            }
        }
        let l = self.link(op, &Endpoint::new(node, ifname))?;
        for c in &lost {
            l.addresses.remove(c);
        }
        let no_v4_left = !l.addresses.iter().any(|c| c.addr.is_ipv4());
        for c in &lost {
            self.added
                .remove(&(node.to_string(), ifname.to_string(), *c));
        }
        let n = self.node(op, node)?;
        let still_here: BTreeSet<IpAddr> = n
            .links
            .values()
            .flat_map(|l| l.addresses.iter().map(|c| c.addr))
            .collect();
        n.routes.retain(|r| {
            !r.src
                .is_some_and(|s| lost.iter().any(|c| c.addr == s) && !still_here.contains(&s))
        });
        if cidr.addr.is_ipv4() && no_v4_left {
            self.flush_routes(node, ifname, Some(false));
        }
        Ok(())
    }

    fn add_route(&mut self, op: &Op, node: &str, route: &RouteState) -> Result<(), OpError> {
        let n = self.node(op, node)?;
        let mut r = route.clone();
        let via_link = |l: &LinkState| match &r.via {
            Some(gw) => l.addresses.iter().any(|c| contains(c, gw)),
            None => true,
        };
        let dev = match &r.dev {
            Some(d) => {
                let l = n
                    .links
                    .get(d)
                    .ok_or_else(|| OpError::new(op, "No such device"))?;
                if !via_link(l) {
                    return Err(OpError::new(op, "Network is unreachable"));
                }
                d.clone()
            }
            None => n
                .links
                .iter()
                .find(|(_, l)| r.via.is_some() && via_link(l))
                .map(|(name, _)| name.clone())
                .ok_or_else(|| OpError::new(op, "Network is unreachable"))?,
        };
        if !n.links.get(&dev).is_some_and(|l| l.up) {
            return Err(OpError::new(
                op,
                "Network is down (nexthop device is not up)",
            ));
        }
        if let Some(src) = &r.src {
            let local = n
                .links
                .values()
                .any(|l| l.addresses.iter().any(|c| c.addr == *src));
            if !local {
                return Err(OpError::new(op, "Invalid prefsrc address"));
            }
        }
        r.dev = Some(dev);
        let clash = n
            .routes
            .iter()
            .any(|o| o.to == r.to && o.v6 == r.v6 && o.metric == r.metric && o.table == r.table);
        if clash {
            return Err(OpError::new(op, "File exists"));
        }
        n.routes.insert(r);
        Ok(())
    }
}

impl Host for FakeHost {
    fn observe(&mut self, scope: &Scope) -> Result<State, OpError> {
        let mut s = self.state.clone();
        s.lab = scope.lab.clone();
        Ok(s)
    }

    fn apply(&mut self, op: &Op) -> Result<(), OpError> {
        let index = self.applied;
        self.applied += 1;
        if self.fail_at == Some(index) {
            self.fail_at = None;
            return Err(OpError::new(op, "Invalid argument (injected)"));
        }
        self.apply_op(op)?;
        self.log.push(op.to_string());
        Ok(())
    }
}
