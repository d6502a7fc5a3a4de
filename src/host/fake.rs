//! An in-memory kernel: applies [`Op`]s to a [`State`] with the kernel's
//! rules that matter to the planner (a name exists once per namespace; a
//! veth pair lives and dies together; deleting a parent deletes its
//! children; deleting a namespace deletes its links and their veth peers).

use super::{Host, OpError, Scope};
use crate::plan::Op;
use crate::state::{Endpoint, LinkKind, LinkState, NodeState, State};
use std::collections::BTreeSet;

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
        let Some(l) = self
            .state
            .nodes
            .get_mut(&ep.node)
            .and_then(|n| n.links.remove(&ep.ifname))
        else {
            return;
        };
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
                    .filter(|(_, c)| c.kind.parent() == Some(ep))
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
                if let Some(up) = change.up {
                    l.up = up;
                }
            }
            Op::AddAddress { at, ifname, cidr } => {
                let l = self.link(op, &Endpoint::new(&at.node, ifname))?;
                if !l.addresses.insert(*cidr) {
                    return Err(OpError::new(op, "File exists"));
                }
            }
            Op::DelAddress { at, ifname, cidr } => {
                let l = self.link(op, &Endpoint::new(&at.node, ifname))?;
                if !l.addresses.remove(cidr) {
                    return Err(OpError::new(op, "Cannot assign requested address"));
                }
            }
            Op::AddRoute { at, route } => {
                if !self.node(op, &at.node)?.routes.insert(route.clone()) {
                    return Err(OpError::new(op, "File exists"));
                }
            }
            Op::DelRoute { at, route } => {
                if !self.node(op, &at.node)?.routes.remove(route) {
                    return Err(OpError::new(op, "No such process"));
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
