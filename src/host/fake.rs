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

mod addrs_routes;
mod links;
mod machine;
pub mod procs;

use super::link_change_parts;
use super::linux::Drops;
use super::{Cause, OpError};
use crate::plan::{At, LinkChange, Op};
use crate::state::{Cidr, Endpoint, LinkKind, LinkState, NodeState, State};
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
    /// Fail the kernel requests with these indexes (counting every
    /// request of every apply, an operation split into requests as the
    /// Linux host sends them: see [`FakeHost::requests_of`]).
    pub fail_requests: BTreeSet<usize>,
    /// Kernel requests sent so far.
    pub requests: usize,
    /// Every operation carried out, in order, as `ip`-like lines.
    pub log: Vec<String>,
    /// Each node's partition table (a fault), by node.
    pub partitions: BTreeMap<String, Drops>,
    /// Notes the last `down` gave (see [`super::Host::take_notes`]).
    pub notes: Vec<String>,
    /// Fail the wait for the host's links this many times (a `down` that
    /// cannot finish).
    pub fail_host_links: usize,
    /// The processes and containers (see [`procs`]).
    pub procs: procs::Table,
    /// The nodes whose unresolved neighbours were deleted, in order.
    pub forgot: Vec<String>,
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
            .ok_or_else(|| OpError::new(op, Cause::errno_about(libc::ENOENT, "namespace missing")))
    }

    fn link(&mut self, op: &Op, ep: &Endpoint) -> Result<&mut LinkState, OpError> {
        self.node(op, &ep.node)?
            .links
            .get_mut(&ep.ifname)
            .ok_or_else(|| OpError::new(op, Cause::errno_of(libc::ENODEV)))
    }

    fn add(&mut self, op: &Op, ep: &Endpoint, l: LinkState) -> Result<(), OpError> {
        let n = self.node(op, &ep.node)?;
        if n.links.contains_key(&ep.ifname) {
            return Err(OpError::new(op, Cause::errno_of(libc::EEXIST)));
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
                    .filter(move |(_, c)| crate::plan::depends_on(c, ep))
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
            // As a kernel with IPv6 makes every link.
            ipv6_link_local: Some(true),
            ..LinkState::new(kind)
        }
    }

    fn apply_op(&mut self, op: &Op) -> Result<(), OpError> {
        match op {
            Op::CreateNetns { node, netns } => self.create_netns(op, node, netns)?,
            Op::DeleteNetns { node, .. } => self.delete_netns(op, node)?,
            Op::SetLo { at, up } => self.node(op, &at.node)?.lo_up = *up,
            Op::SetSysctl { at, key, value } => {
                self.node(op, &at.node)?
                    .sysctls
                    .insert(key.clone(), value.clone());
            }
            Op::AddVeth { a, b } => self.add_veth(op, a, b)?,
            Op::AddLink { end, kind, .. } => self.add_link(op, end, kind)?,
            Op::DeleteLink { at, ifname } => {
                let ep = Endpoint::new(&at.node, ifname);
                self.link(op, &ep)?;
                self.remove(&ep);
            }
            Op::MoveIn { at, ifname, from } => self.move_in(op, at, ifname, from)?,
            Op::MoveOut { at, ifname, to } => self.move_out(op, at, ifname, to)?,
            Op::SetLink { at, ifname, change } => self.set_link(op, at, ifname, change)?,
            Op::AddAddress { at, ifname, cidr } => self.add_address(op, at, ifname, cidr)?,
            Op::DelAddress { at, ifname, cidr } => self.del_address(op, &at.node, ifname, cidr)?,
            Op::AddRoute { at, route } => self.add_route(op, &at.node, route)?,
            Op::DelRoute { at, route } => self.del_route(op, at, route)?,
            Op::WriteFile { at, path, file } => {
                self.node(op, &at.node)?
                    .fs
                    .files
                    .insert(path.clone(), file.clone());
            }
            Op::RemoveFile { at, path } => {
                self.node(op, &at.node)?.fs.files.remove(path);
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

    fn create_netns(&mut self, op: &Op, node: &str, netns: &str) -> Result<(), OpError> {
        if self.state.nodes.contains_key(node) {
            return Err(OpError::new(op, Cause::errno_of(libc::EEXIST)));
        }
        let mut n = NodeState::new(Some(netns.to_string()));
        n.lo_up = false;
        let mark = nslab_types::names::lab_mark(&self.state.lab);
        self.procs.named(netns, mark);
        self.state.nodes.insert(node.to_string(), n);
        Ok(())
    }

    fn delete_netns(&mut self, op: &Op, node: &str) -> Result<(), OpError> {
        let n = self
            .state
            .nodes
            .get(node)
            .cloned()
            .ok_or_else(|| OpError::new(op, Cause::errno_of(libc::ENOENT)))?;
        for ifname in n.links.keys() {
            self.remove(&Endpoint::new(node, ifname));
        }
        if let Some(ns) = &n.netns {
            self.procs.unnamed(ns);
        }
        self.state.nodes.remove(node);
        self.partitions.remove(node);
        Ok(())
    }
}

/// The error of a request failed on purpose.
fn injected(op: &Op) -> OpError {
    OpError::new(op, Cause::errno_about(libc::EINVAL, "injected"))
}

impl FakeHost {
    /// Sends the next request: `false` if it is the one to fail.
    fn send(&mut self) -> bool {
        let i = self.requests;
        self.requests += 1;
        !self.fail_requests.remove(&i)
    }

    /// The kernel requests `op` is sent as by the Linux host, for
    /// [`FakeHost::fail_requests`].
    pub fn requests_of(op: &Op) -> usize {
        match op {
            Op::SetLink { change, .. } => link_change_parts(change).len(),
            Op::AddVeth { .. }
            | Op::AddLink { .. }
            | Op::MoveIn { .. }
            | Op::MoveOut { .. }
            | Op::DeleteLink { .. } => 2,
            _ => 1,
        }
    }

    /// `op`, request by request, as the Linux host sends it (see
    /// `linux::links`): what took effect of a failed operation is in its
    /// error's `took_effect`.
    /// A link change as one batch of its parts: the kernel carries out
    /// every request of it; one that fails does not stop the others.
    fn set_link_parts(
        &mut self,
        op: &Op,
        at: &At,
        ifname: &str,
        change: &LinkChange,
    ) -> Result<(), OpError> {
        let mut failed: Option<OpError> = None;
        let mut took = Vec::new();
        for part in link_change_parts(change) {
            let r = if self.send() {
                self.set_link(op, at, ifname, &part)
            } else {
                Err(injected(op))
            };
            match r {
                Ok(()) => took.push(
                    Op::SetLink {
                        at: at.clone(),
                        ifname: ifname.to_string(),
                        change: part,
                    }
                    .to_string(),
                ),
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        match failed {
            None => Ok(()),
            Some(mut e) => {
                e.took_effect = took;
                Err(e)
            }
        }
    }

    fn apply_requests(&mut self, op: &Op) -> Result<(), OpError> {
        match op {
            Op::SetLink { at, ifname, change } => self.set_link_parts(op, at, ifname, change),
            // Made (or moved), then marked with the lab's alias (a tap:
            // also given its MTU and MAC; an interface given back: also
            // its old MTU, addresses and state): a failed second request
            // leaves the first done.
            Op::AddVeth { .. } | Op::AddLink { .. } | Op::MoveIn { .. } | Op::MoveOut { .. } => {
                if !self.send() {
                    return Err(injected(op));
                }
                self.apply_op(op)?;
                if !self.send() {
                    let mut e = injected(op);
                    e.took_effect = vec![op.to_string()];
                    return Err(e);
                }
                Ok(())
            }
            // Down, then delete, in one batch; only the delete's answer
            // counts.
            Op::DeleteLink { at, ifname } => {
                self.link(op, &Endpoint::new(&at.node, ifname))?;
                let down = LinkChange {
                    up: Some(false),
                    ..LinkChange::default()
                };
                let went_down = self.send() && self.set_link(op, at, ifname, &down).is_ok();
                if !self.send() {
                    let mut e = injected(op);
                    if went_down {
                        e.took_effect = vec![Op::SetLink {
                            at: at.clone(),
                            ifname: ifname.clone(),
                            change: down,
                        }
                        .to_string()];
                    }
                    return Err(e);
                }
                self.apply_op(op)
            }
            _ => {
                if !self.send() {
                    return Err(injected(op));
                }
                self.apply_op(op)
            }
        }
    }
}
