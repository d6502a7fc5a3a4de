//! The real host: operations become netlink requests on one route socket
//! per namespace, opened from a thread inside that namespace (a socket
//! belongs to the namespace it was created in, forever).

use super::observe;
use super::{Host, OpError, Scope};
use crate::plan::{At, LinkChange, Op};
use crate::state::{Cidr, LinkKind, RouteState, State};
use nslab_netlink as nl;
use nslab_sys::{netns, sysctl, tap};
use std::collections::HashMap;
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
}

impl Linux {
    pub fn new(lab: &str) -> Linux {
        Linux {
            lab: lab.to_string(),
            alias: format!("nslab:{lab}"),
            handles: HashMap::new(),
        }
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
            Op::CreateNetns { node, netns: name } => {
                let fd = netns::create(name).map_err(|e| e.to_string())?;
                drop(fd);
                let at = At {
                    node: node.clone(),
                    netns: Some(name.clone()),
                };
                // Mark the namespace as the lab's: `down` finds it by this
                // even without the state file.
                let h = self.handle(&at)?;
                let lo = h.index("lo")?;
                h.exec(vec![nl::Request::SetLink(nl::SetLink {
                    alias: alias.clone(),
                    ..nl::SetLink::index(lo)
                })])
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
                })])
            }
            Op::MoveOut { at, ifname, to } => {
                let host = At {
                    node: "host".into(),
                    netns: None,
                };
                let host_fd = self.raw_fd(&host)?;
                let h = self.handle(at)?;
                let index = h.index(ifname)?;
                h.forget(ifname);
                h.exec(vec![nl::Request::SetLink(nl::SetLink {
                    netns_fd: Some(host_fd),
                    name: Some(to.clone()),
                    up: Some(false),
                    ..nl::SetLink::index(index)
                })])
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
            Op::AddRoute { at, route } | Op::DelRoute { at, route } => {
                let h = self.handle(at)?;
                let r = to_route(h, route)?;
                let req = if matches!(op, Op::AddRoute { .. }) {
                    nl::Request::AddRoute(r)
                } else {
                    nl::Request::DelRoute(r)
                };
                h.exec(vec![req])
            }
            Op::SetNat { at, table, nat } => self.set_nat(at, table, nat.as_ref()),
            Op::SetImpair { at, ifname, impair } => {
                let h = self.handle(at)?;
                let index = h.index(ifname)?;
                match impair {
                    Some(i) => h.exec(vec![nl::Request::ReplaceQdisc(nl::Qdisc {
                        index,
                        impair: nl::Impair {
                            delay_us: i.delay_us,
                            jitter_us: i.jitter_us,
                            loss_ppm: i.loss_ppm,
                            rate_bps: i.rate_bps,
                        },
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
            LinkKind::Vxlan { dev: Some(d), .. } => Some(self.handle(&end.at)?.index(d)?),
            _ => None,
        };
        let where_at = parent_at.unwrap_or(&end.at).clone();
        let h = self.handle(&where_at)?;
        let parent = match kind.parent() {
            Some(p) => Some(h.index(&p.ifname)?),
            None => None,
        };
        let nk = match kind {
            LinkKind::Bridge {
                stp,
                ageing_secs,
                vlan_filtering,
            } => nl::LinkKind::Bridge {
                stp: *stp,
                ageing_secs: *ageing_secs,
                vlan_filtering: *vlan_filtering,
            },
            LinkKind::Vlan { id, .. } => nl::LinkKind::Vlan { id: *id },
            LinkKind::Macvlan { mode, .. } => nl::LinkKind::Macvlan {
                mode: observe::nl_macvlan(*mode),
            },
            LinkKind::Ipvlan { mode, flag, .. } => nl::LinkKind::Ipvlan {
                mode: observe::nl_ipvlan_mode(*mode),
                flags: observe::nl_ipvlan_flag(*flag),
            },
            LinkKind::Vxlan {
                vni,
                remote,
                group,
                local,
                port,
                learning,
                ..
            } => nl::LinkKind::Vxlan {
                vni: *vni,
                remote: *remote,
                group: *group,
                local: *local,
                dev,
                port: *port,
                learning: *learning,
            },
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
        let sock = self.handle(at)?.nft()?;
        match nat {
            Some(n) => sock.replace(&super::nat::table(table, n)),
            None => sock.delete(table),
        }
        .map_err(|e| e.to_string())
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
        protocol: observe::RTPROT_STATIC,
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
