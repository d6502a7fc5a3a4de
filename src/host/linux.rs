//! The real host: operations become netlink requests on one route socket
//! per namespace, opened from a thread inside that namespace (a socket
//! belongs to the namespace it was created in, forever).

use super::observe;
use super::{Host, OpError, Scope};
use crate::plan::{At, LinkChange, Op};
use crate::record::PhysicalWas;
use crate::state::{Cidr, LinkKind, RouteState, State, Vxlan};
use nslab_netlink as nl;
use nslab_sys::{netns, sysctl, tap};
use std::collections::{BTreeMap, HashMap};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// An open namespace: its fd, its route socket, and a name → index cache.
pub(super) struct Handle {
    pub fd: OwnedFd,
    pub sock: nl::Socket,
    /// The namespace's netfilter socket, opened when first needed.
    nft: Option<nslab_nft::Socket>,
    index: HashMap<String, u32>,
}

impl Handle {
    fn open(netns: Option<&str>) -> Result<Handle, String> {
        let fd = match netns {
            Some(name) => netns::open(name).map_err(|e| e.to_string())?,
            None => netns::current().map_err(|e| e.to_string())?,
        };
        // Both sockets from one visit to the namespace (a thread each
        // time): route now, netfilter for observing and NAT.
        let (sock, nft) = netns::run_in(fd.as_fd(), || {
            (nl::Socket::open(), nslab_nft::Socket::open())
        })
        .map_err(|e| e.to_string())?;
        Ok(Handle {
            fd,
            sock: sock.map_err(|e| e.to_string())?,
            nft: nft.ok(),
            index: HashMap::new(),
        })
    }

    pub(super) fn nft(&mut self) -> Result<&mut nslab_nft::Socket, String> {
        if self.nft.is_none() {
            let s = netns::run_in(self.fd.as_fd(), nslab_nft::Socket::open)
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            self.nft = Some(s);
        }
        self.nft
            .as_mut()
            .ok_or_else(|| "netfilter socket".to_string())
    }

    /// The ifindex of `name` in this namespace.
    fn index(&mut self, name: &str) -> Result<u32, String> {
        if let Some(i) = self.index.get(name) {
            return Ok(*i);
        }
        match self.sock.link_by_name(name).map_err(|e| e.to_string())? {
            Some(l) => {
                self.index.insert(name.to_string(), l.index);
                Ok(l.index)
            }
            None => Err(format!("No such device ({name})")),
        }
    }

    fn forget(&mut self, name: &str) {
        self.index.remove(name);
    }

    /// Send requests, stop at the first error.
    fn exec(&mut self, reqs: Vec<nl::Request>) -> Result<(), String> {
        for r in self.sock.execute(&reqs) {
            r.map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

pub struct Linux {
    lab: String,
    alias: String,
    handles: HashMap<Option<String>, Handle>,
    /// How physical interfaces were before they were moved in (by host
    /// name), restored when they are moved out.
    physical_was: BTreeMap<String, PhysicalWas>,
    /// What the user must know about what was given back.
    notes: Vec<String>,
}

impl Linux {
    pub fn new(lab: &str) -> Linux {
        Linux {
            lab: lab.to_string(),
            alias: format!("nslab:{lab}"),
            handles: HashMap::new(),
            physical_was: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// How the physical interfaces were before they were moved in: a
    /// `MoveOut` gives each back so.
    pub fn give_back_as(&mut self, was: BTreeMap<String, PhysicalWas>) {
        self.physical_was = was;
    }

    /// Notes on interfaces given back (one came back under another name).
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    pub fn alias(&self) -> &str {
        &self.alias
    }

    pub fn lab(&self) -> &str {
        &self.lab
    }

    pub(super) fn handle(&mut self, at: &At) -> Result<&mut Handle, String> {
        if !self.handles.contains_key(&at.netns) {
            let h = Handle::open(at.netns.as_deref())?;
            self.handles.insert(at.netns.clone(), h);
        }
        self.handles
            .get_mut(&at.netns)
            .ok_or_else(|| format!("namespace of node {} is not open", at.node))
    }

    /// Drop the handle of a namespace (closes its socket and fd, so the
    /// namespace can go away).
    pub(super) fn close(&mut self, netns: &str) {
        self.handles.remove(&Some(netns.to_string()));
    }

    fn raw_fd(&mut self, at: &At) -> Result<i32, String> {
        Ok(self.handle(at)?.fd.as_raw_fd())
    }

    fn run(&mut self, op: &Op) -> Result<(), String> {
        let alias = Some(self.alias.clone());
        match op {
            Op::CreateNetns { netns: name, .. } => {
                // Mark the namespace as the lab's before it has a name:
                // ownership is this mark (`down` finds it even without the
                // state file), and no one can open it unmarked.
                let fd = netns::create_with(name, || mark_lo(alias.as_deref()))
                    .map_err(|e| e.to_string())?;
                drop(fd);
                Ok(())
            }
            Op::DeleteNetns { netns: name, .. } => {
                self.close(name);
                // Its veths' peers in other nodes go too.
                for h in self.handles.values_mut() {
                    h.index.clear();
                }
                netns::delete(name).map_err(|e| e.to_string())
            }
            Op::SetLo { at, up } => {
                let h = self.handle(at)?;
                let lo = h.index("lo")?;
                h.exec(vec![nl::Request::SetLink(nl::SetLink {
                    up: Some(*up),
                    ..nl::SetLink::index(lo)
                })])
            }
            Op::SetSysctl { at, key, value } => {
                let h = self.handle(at)?;
                netns::run_in(h.fd.as_fd(), || sysctl::write(key, value))
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())
            }
            Op::AddVeth { a, b } => {
                let same = a.at.netns == b.at.netns;
                let peer_fd = if same {
                    None
                } else {
                    Some(self.raw_fd(&b.at)?)
                };
                let h = self.handle(&a.at)?;
                h.exec(vec![nl::Request::NewLink(nl::NewLink {
                    name: a.ifname.clone(),
                    kind: nl::LinkKind::Veth {
                        peer_name: b.ifname.clone(),
                        peer_netns_fd: peer_fd,
                        peer_mtu: b.mtu,
                        peer_mac: b.mac,
                        peer_alias: if same { alias.clone() } else { None },
                    },
                    mtu: a.mtu,
                    mac: a.mac,
                    alias: alias.clone(),
                    up: false,
                    parent: None,
                    master: None,
                    netns_fd: None,
                })])?;
                // The kernel ignores an alias in a create request; a peer in
                // another namespace gets it from that namespace's socket.
                if !same {
                    self.set_alias(&b.at, &b.ifname, alias)?;
                }
                Ok(())
            }
            Op::AddLink {
                end,
                kind,
                parent_at,
            } => self
                .add_link(end, kind, parent_at.as_ref(), alias)
                .map_err(|e| with_module_hint(e, kind)),
            Op::DeleteLink { at, ifname } => {
                // A veth whose peer's namespace was deleted by hand goes
                // away by itself a moment later: gone is what was asked.
                let h = self.handle(at)?;
                let index = match h.index(ifname) {
                    Ok(i) => i,
                    Err(_) if matches!(h.sock.link_by_name(ifname), Ok(None)) => return Ok(()),
                    Err(e) => return Err(e),
                };
                let r = match h.sock.execute(&[nl::Request::DelLink { index }]).pop() {
                    Some(Err(e)) if !e.is_not_found() => Err(e.to_string()),
                    _ => Ok(()),
                };
                // The kernel takes the veth peer (in another node, perhaps)
                // and sub-interfaces along: no cached index is trusted.
                for h in self.handles.values_mut() {
                    h.index.clear();
                }
                r
            }
            Op::MoveIn { at, ifname, from } => {
                let to = self.raw_fd(at)?;
                let host = At {
                    node: "host".into(),
                    netns: None,
                };
                let h = self.handle(&host)?;
                let index = h.index(from)?;
                h.forget(from);
                h.exec(vec![nl::Request::SetLink(nl::SetLink {
                    netns_fd: Some(to),
                    name: Some(ifname.clone()),
                    up: Some(false),
                    ..nl::SetLink::index(index)
                })])?;
                // Marked with its host name: without the record, `down`
                // still knows what it is and where it goes back to.
                let mark = physical_mark(&self.lab, from);
                self.set_alias(at, ifname, Some(mark))
            }
            Op::MoveOut { at, ifname, to } => {
                let host = At {
                    node: "host".into(),
                    netns: None,
                };
                let host_fd = self.raw_fd(&host)?;
                // Its name, or a free one made from it when that was taken
                // while the interface was away.
                let name = free_name(&mut self.handle(&host)?.sock, to)?;
                let h = self.handle(at)?;
                let index = h.index(ifname)?;
                h.forget(ifname);
                h.exec(vec![nl::Request::SetLink(nl::SetLink {
                    netns_fd: Some(host_fd),
                    name: Some(name.clone()),
                    up: Some(false),
                    ..nl::SetLink::index(index)
                })])?;
                if name != *to {
                    self.notes.push(format!(
                        "{ifname} of node {} was given back to the host as {name}, not {to}: \
                         {to} is taken there now (`ip link set {name} name {to}` once it is free)",
                        at.node
                    ));
                }
                self.restore_physical(to, &name)
            }
            Op::SetLink { at, ifname, change } => self.set_link(at, ifname, change),
            Op::AddAddress { at, ifname, cidr } | Op::DelAddress { at, ifname, cidr } => {
                let h = self.handle(at)?;
                let a = address(h.index(ifname)?, cidr);
                let req = if matches!(op, Op::AddAddress { .. }) {
                    nl::Request::AddAddress(a)
                } else {
                    nl::Request::DelAddress(a)
                };
                h.exec(vec![req])
            }
            Op::AddRoute { at, route } => {
                let h = self.handle(at)?;
                let r = to_route(h, route)?;
                h.exec(vec![nl::Request::AddRoute(r)])
            }
            Op::DelRoute { at, route } => {
                let h = self.handle(at)?;
                let r = to_route(h, route)?;
                // The delete names nslab's protocol: the kernel removes no
                // route someone else made. A route the lab wanted but found
                // made by someone else is not there to remove.
                match h.sock.execute(&[nl::Request::DelRoute(r)]).pop() {
                    Some(Err(e)) if !e.is_not_found() => Err(e.to_string()),
                    _ => Ok(()),
                }
            }
            Op::SetNat { at, table, nat } => self.set_nat(at, table, nat.as_ref()),
            Op::SetImpair { at, ifname, impair } => {
                let h = self.handle(at)?;
                let index = h.index(ifname)?;
                match impair {
                    Some(i) => h.exec(vec![nl::Request::ReplaceQdisc(nl::Qdisc {
                        index,
                        impair: *i,
                    })]),
                    // Back to the kernel's default root qdisc; none to
                    // remove is no error.
                    None => match h.sock.execute(&[nl::Request::DelQdisc { index }]).pop() {
                        Some(Err(e)) if !e.is_not_found() => Err(e.to_string()),
                        _ => Ok(()),
                    },
                }
            }
        }
    }

    fn add_link(
        &mut self,
        end: &crate::plan::NewEnd,
        kind: &LinkKind,
        parent_at: Option<&At>,
        alias: Option<String>,
    ) -> Result<(), String> {
        if let LinkKind::Tap { owner } = kind {
            let h = self.handle(&end.at)?;
            let name = end.ifname.clone();
            netns::run_in(h.fd.as_fd(), || tap::create_tap(&name, *owner))
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            let index = h.index(&end.ifname)?;
            return h.exec(vec![nl::Request::SetLink(nl::SetLink {
                alias,
                mtu: end.mtu,
                mac: end.mac,
                ..nl::SetLink::index(index)
            })]);
        }
        // A sub-interface is created where its parent is and placed in its
        // own node with IFLA_NET_NS_FD, as `ip link add link eth0 netns X`.
        let target_fd = match parent_at {
            Some(p) if p.netns != end.at.netns => Some(self.raw_fd(&end.at)?),
            _ => None,
        };
        let dev = match kind {
            LinkKind::Vxlan(Vxlan { dev: Some(d), .. }) => Some(self.handle(&end.at)?.index(d)?),
            _ => None,
        };
        let where_at = parent_at.unwrap_or(&end.at).clone();
        let h = self.handle(&where_at)?;
        let parent = match kind.parent() {
            Some(p) => Some(h.index(&p.ifname)?),
            None => None,
        };
        let nk = match kind {
            LinkKind::Bridge(b) => nl::LinkKind::Bridge(*b),
            LinkKind::Vlan { id, .. } => nl::LinkKind::Vlan { id: *id },
            LinkKind::Macvlan { mode, .. } => nl::LinkKind::Macvlan { mode: *mode },
            LinkKind::Ipvlan { mode, flag, .. } => nl::LinkKind::Ipvlan {
                mode: *mode,
                flags: *flag,
            },
            LinkKind::Vxlan(v) => nl::LinkKind::Vxlan(v.clone().with_dev(dev)),
            other => return Err(format!("cannot create a link of kind {}", other.name())),
        };
        let moved = target_fd.is_some();
        h.exec(vec![nl::Request::NewLink(nl::NewLink {
            name: end.ifname.clone(),
            kind: nk,
            mtu: end.mtu,
            mac: end.mac,
            alias: if moved { None } else { alias.clone() },
            up: false,
            parent,
            master: None,
            netns_fd: target_fd,
        })])?;
        if moved {
            self.set_alias(&end.at, &end.ifname, alias)?;
        }
        Ok(())
    }

    fn set_nat(
        &mut self,
        at: &At,
        table: &str,
        nat: Option<&crate::state::nat::Nat>,
    ) -> Result<(), String> {
        if nat.is_some_and(|n| {
            n.rules.iter().any(|r| {
                r.matches.contains(&crate::state::nat::Match::IifName(
                    observe::FOREIGN_RULE.into(),
                ))
            })
        }) {
            // Undoing a repair: what was there was not nslab's to write.
            return Err(format!(
                "table inet {table} held rules not written by nslab; they cannot be put back"
            ));
        }
        let mark = self.alias.clone();
        let sock = self.handle(at)?.nft()?;
        match nat {
            Some(n) => sock.replace(&super::nat::table(table, &mark, n)),
            None => sock.delete(table),
        }
        .map_err(|e| e.to_string())
    }

    /// Give an interface moved back to the host (now called `name`) the
    /// MTU, addresses and admin state it had before it was moved in.
    fn restore_physical(&mut self, orig: &str, name: &str) -> Result<(), String> {
        let host = At {
            node: "host".into(),
            netns: None,
        };
        let was = self.physical_was.get(orig).cloned();
        let h = self.handle(&host)?;
        h.forget(name);
        let index = h.index(name)?;
        // Our mark goes (the alias it had comes back).
        let alias = was
            .as_ref()
            .and_then(|w| w.alias.clone())
            .unwrap_or_default();
        h.exec(vec![nl::Request::SetLink(nl::SetLink {
            alias: Some(alias),
            ..nl::SetLink::index(index)
        })])?;
        let Some(was) = was else {
            return Ok(());
        };
        let mut reqs = vec![nl::Request::SetLink(nl::SetLink {
            mtu: Some(was.mtu),
            ..nl::SetLink::index(index)
        })];
        reqs.extend(
            was.addresses
                .iter()
                .map(|c| nl::Request::AddAddress(address(index, c))),
        );
        reqs.push(nl::Request::SetLink(nl::SetLink {
            up: Some(was.up),
            ..nl::SetLink::index(index)
        }));
        for r in h.sock.execute(&reqs) {
            match r {
                Err(e) if !e.is_exists() => return Err(format!("restoring {name}: {e}")),
                _ => {}
            }
        }
        Ok(())
    }

    fn set_alias(&mut self, at: &At, ifname: &str, alias: Option<String>) -> Result<(), String> {
        let h = self.handle(at)?;
        let index = h.index(ifname)?;
        h.exec(vec![nl::Request::SetLink(nl::SetLink {
            alias,
            ..nl::SetLink::index(index)
        })])
    }

    fn set_link(&mut self, at: &At, ifname: &str, change: &LinkChange) -> Result<(), String> {
        let h = self.handle(at)?;
        let index = h.index(ifname)?;
        let master = match &change.master {
            Some(Some(m)) => Some(h.index(m)?),
            Some(None) => Some(0),
            None => None,
        };
        let mut reqs = Vec::new();
        if master.is_some() || change.mtu.is_some() || change.mac.is_some() {
            reqs.push(nl::Request::SetLink(nl::SetLink {
                master,
                mtu: change.mtu,
                mac: change.mac,
                ..nl::SetLink::index(index)
            }));
        }
        if let Some(b) = &change.bridge {
            reqs.push(nl::Request::SetLink(nl::SetLink {
                bridge: Some(nl::BridgeChange {
                    stp: b.stp,
                    ageing_secs: b.ageing_secs,
                    vlan_filtering: b.vlan_filtering,
                }),
                ..nl::SetLink::index(index)
            }));
        }
        // The bridge port exists only once the link is enslaved.
        if let Some(h) = change.hairpin {
            reqs.push(nl::Request::SetLink(nl::SetLink {
                hairpin: Some(h),
                ..nl::SetLink::index(index)
            }));
        }
        if let Some(up) = change.up {
            reqs.push(nl::Request::SetLink(nl::SetLink {
                up: Some(up),
                ..nl::SetLink::index(index)
            }));
        }
        h.exec(reqs)
    }
}

/// Sets `lo`'s alias in the calling thread's namespace.
fn mark_lo(alias: Option<&str>) -> Result<(), String> {
    let mut sock = nl::Socket::open().map_err(|e| e.to_string())?;
    let lo = sock
        .link_by_name("lo")
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the new namespace has no lo".to_string())?;
    for r in sock.execute(&[nl::Request::SetLink(nl::SetLink {
        alias: alias.map(str::to_string),
        ..nl::SetLink::index(lo.index)
    })]) {
        r.map_err(|e| format!("mark lo: {e}"))?;
    }
    Ok(())
}

/// The kernel says "Unknown device type" when the driver of a link kind is
/// not there: name the module that provides it.
fn with_module_hint(e: String, kind: &LinkKind) -> String {
    let module = match kind {
        LinkKind::Vlan { .. } => "8021q",
        LinkKind::Macvlan { .. } => "macvlan",
        LinkKind::Ipvlan { .. } => "ipvlan",
        LinkKind::Vxlan { .. } => "vxlan",
        LinkKind::Bridge { .. } => "bridge",
        _ => return e,
    };
    if e.contains("Unknown device type") {
        format!("{e}; this kernel has no {} driver: load the module `{module}` (modprobe {module}) or use a kernel that has it", kind.name())
    } else {
        e
    }
}

/// The alias of a physical interface while lab `lab` has it: names the
/// lab and the interface's host name.
pub fn physical_mark(lab: &str, from: &str) -> String {
    format!("nslab:{lab} physical {from}")
}

/// The host name of a physical interface from its alias, if lab `lab`
/// marked it.
pub fn physical_from_mark<'a>(lab: &str, alias: &'a str) -> Option<&'a str> {
    alias
        .strip_prefix("nslab:")
        .and_then(|a| a.strip_prefix(lab))
        .and_then(|a| a.strip_prefix(" physical "))
        .filter(|f| !f.is_empty())
}

/// `want`, or when the host has an interface of that name, `want-1`,
/// `want-2`... (shortened to fit the kernel's 15 bytes).
fn free_name(sock: &mut nl::Socket, want: &str) -> Result<String, String> {
    let taken = |s: &mut nl::Socket, n: &str| {
        s.link_by_name(n)
            .map(|l| l.is_some())
            .map_err(|e| e.to_string())
    };
    if !taken(sock, want)? {
        return Ok(want.to_string());
    }
    for k in 1..1000 {
        let suffix = format!("-{k}");
        let mut stem = want.to_string();
        while stem.len() + suffix.len() > 15 {
            stem.pop();
        }
        let name = format!("{stem}{suffix}");
        if !taken(sock, &name)? {
            return Ok(name);
        }
    }
    Err(format!(
        "{want} is taken in the host and no free name was found for it"
    ))
}

fn address(index: u32, cidr: &Cidr) -> nl::Address {
    nl::Address {
        index,
        addr: cidr.addr,
        prefix_len: cidr.prefix,
    }
}

fn to_route(h: &mut Handle, r: &RouteState) -> Result<nl::Route, String> {
    let oif = match &r.dev {
        Some(d) => Some(h.index(d)?),
        None => None,
    };
    Ok(nl::Route {
        table: r.table.unwrap_or(observe::RT_TABLE_MAIN),
        dst: r.to.map(|c| (c.addr, c.prefix)),
        family: if r.v6 { nl::Family::V6 } else { nl::Family::V4 },
        gateway: r.via,
        oif,
        metric: r.metric,
        prefsrc: r.src,
        protocol: observe::RTPROT_NSLAB,
        scope: if r.via.is_some() { 0 } else { 253 },
        kind: 1,
    })
}

impl Host for Linux {
    fn observe(&mut self, scope: &Scope) -> Result<State, OpError> {
        observe::observe(self, scope)
    }

    fn apply(&mut self, op: &Op) -> Result<(), OpError> {
        self.run(op).map_err(|m| OpError::new(op, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Endpoint;

    #[test]
    fn a_missing_driver_names_its_module() {
        let vlan = LinkKind::Vlan {
            parent: Endpoint::new("a", "eth0"),
            id: 100,
        };
        let e = with_module_hint(
            "Operation not supported (kernel: \"Unknown device type\")".into(),
            &vlan,
        );
        assert!(e.contains("modprobe 8021q"), "{e}");
        let other = with_module_hint("File exists".into(), &vlan);
        assert_eq!(other, "File exists");
    }
}
