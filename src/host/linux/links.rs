//! Links: veth pairs, sub-interfaces, taps, their changes and removal.

use super::{Effect, Linux};
use crate::host::{link_change_parts, Cause};
use crate::plan::{At, LinkChange, NewEnd, Op};
use crate::state::{DeviceKind, Impair, LinkKind};
use nslab_netlink as nl;
use nslab_sys::{netns, tap};
use std::os::fd::AsFd;

impl Linux {
    pub(super) fn add_veth(
        &mut self,
        a: &NewEnd,
        b: &NewEnd,
        alias: Option<String>,
    ) -> Result<(), Cause> {
        let same = a.at.netns == b.at.netns;
        let peer_fd = if same {
            None
        } else {
            Some(self.raw_fd(&b.at)?)
        };
        let h = self.handle(&a.at)?;
        let made = h.sock.execute(&[nl::Request::NewLink(nl::NewLink {
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
            master: None,
            netns_fd: None,
        })]);
        self.made(made)?;
        // The kernel ignores an alias in a create request; a peer in
        // another namespace gets it from that namespace's socket.
        if !same {
            self.set_alias(&b.at, &b.ifname, alias)?;
        }
        Ok(())
    }

    /// The answer to a create request: a failure after the link was made
    /// (its alias, sent once the create worked) leaves it made.
    fn made(&mut self, answer: Vec<Result<(), nl::Error>>) -> Result<(), Cause> {
        match answer.into_iter().next() {
            Some(Err(e)) if e.op() == nl::Op::NewLink => Err(e.into()),
            Some(Err(e)) => {
                self.took_effect.push(Effect::Made);
                Err(e.into())
            }
            _ => {
                self.took_effect.push(Effect::Made);
                Ok(())
            }
        }
    }

    pub(super) fn add_link(
        &mut self,
        end: &NewEnd,
        kind: &LinkKind,
        parent_at: Option<&At>,
        alias: Option<String>,
    ) -> Result<(), Cause> {
        let Some(device) = kind.device() else {
            return Err(Cause::Refused(format!(
                "cannot create a link of kind {}",
                kind.name()
            )));
        };
        if let DeviceKind::Tap(t) = device {
            return self.add_tap(end, t.owner, alias);
        }
        // A sub-interface is created where its parent is and placed in its
        // own node with IFLA_NET_NS_FD, as `ip link add link eth0 netns X`.
        let target_fd = match parent_at {
            Some(p) if p.netns != end.at.netns => Some(self.raw_fd(&end.at)?),
            _ => None,
        };
        // Its parent or underlay is looked up where it is created.
        let where_at = parent_at.unwrap_or(&end.at).clone();
        let h = self.handle(&where_at)?;
        let nk = device.clone().try_map(|r| h.index(&r.ifname))?;
        let moved = target_fd.is_some();
        let made = h.sock.execute(&[nl::Request::NewLink(nl::NewLink {
            name: end.ifname.clone(),
            kind: nl::LinkKind::Device(nk),
            mtu: end.mtu,
            mac: end.mac,
            alias: if moved { None } else { alias.clone() },
            up: false,
            master: None,
            netns_fd: target_fd,
        })]);
        self.made(made)?;
        if moved {
            self.set_alias(&end.at, &end.ifname, alias)?;
        }
        Ok(())
    }

    fn add_tap(
        &mut self,
        end: &NewEnd,
        owner: Option<u32>,
        alias: Option<String>,
    ) -> Result<(), Cause> {
        let h = self.handle(&end.at)?;
        let name = end.ifname.clone();
        netns::run_in(h.fd.as_fd(), || tap::create_tap(&name, owner))??;
        self.took_effect.push(Effect::Made);
        let h = self.handle(&end.at)?;
        let index = h.index(&end.ifname)?;
        h.exec(nl::Request::SetLink(nl::SetLink {
            alias,
            mtu: end.mtu,
            mac: end.mac,
            ..nl::SetLink::index(index)
        }))
    }

    pub(super) fn delete_link(&mut self, at: &At, ifname: &str) -> Result<(), Cause> {
        // A veth whose peer's namespace was deleted by hand goes
        // away by itself a moment later: gone is what was asked.
        let h = self.handle(at)?;
        let index = match h.index(ifname) {
            Ok(i) => i,
            Err(_) if matches!(h.sock.link_by_name(ifname), Ok(None)) => return Ok(()),
            Err(e) => return Err(e),
        };
        // Down first, in the same send: a bridge that is down lets its
        // ports go without re-running port-state selection (and its
        // multicast timers) over every remaining port for each one, which
        // is quadratic in the ports. Deleting would take it down anyway.
        let down = nl::Request::SetLink(nl::SetLink {
            up: Some(false),
            ..nl::SetLink::index(index)
        });
        let answers = h.sock.execute(&[down, nl::Request::DelLink { index }]);
        // The kernel takes the veth peer (in another node, perhaps)
        // and sub-interfaces along: no cached index is trusted.
        self.forget_all();
        match answers.as_slice() {
            [_, Err(e)] if !e.is_not_found() => {
                // Still there, but down (and with that, without its
                // routes and IPv6 addresses): the step's inverse brings
                // it back as it was.
                if matches!(answers.first(), Some(Ok(()))) {
                    let down = Op::SetLink {
                        at: at.clone(),
                        ifname: ifname.to_string(),
                        change: LinkChange {
                            up: Some(false),
                            ..LinkChange::default()
                        },
                    };
                    self.took_effect.push(Effect::Request(down.to_string()));
                }
                Err(e.clone().into())
            }
            _ => Ok(()),
        }
    }

    pub(super) fn set_impair(
        &mut self,
        at: &At,
        ifname: &str,
        impair: Option<&Impair>,
    ) -> Result<(), Cause> {
        let h = self.handle(at)?;
        let index = h.index(ifname)?;
        match impair {
            Some(i) => h
                .exec(nl::Request::ReplaceQdisc(nl::Qdisc { index, impair: *i }))
                .map_err(with_netem_hint),
            // Back to the kernel's default root qdisc; none to
            // remove is no error.
            None => match h.sock.execute(&[nl::Request::DelQdisc { index }]).pop() {
                Some(Err(e)) if !e.is_not_found() => Err(e.into()),
                _ => Ok(()),
            },
        }
    }

    pub(super) fn set_alias(
        &mut self,
        at: &At,
        ifname: &str,
        alias: Option<String>,
    ) -> Result<(), Cause> {
        let h = self.handle(at)?;
        let index = h.index(ifname)?;
        h.exec(nl::Request::SetLink(nl::SetLink {
            alias,
            ..nl::SetLink::index(index)
        }))
    }

    /// One request per part of the change ([`link_change_parts`]), all in
    /// one send. The kernel carries out each request of a send whatever
    /// became of the ones before (netlink has no transactions for links),
    /// so a step may take effect in part; the parts that did are listed
    /// with the error, and the step's inverse (every attribute it changes,
    /// set back to its observed value) undoes them whichever they are: an
    /// attribute set to the value it has is left alone by the kernel.
    /// One send, not one per request and a stop at the first failure: a
    /// lab's `up` sets thousands of links, and a failure is the exception.
    pub(super) fn set_link(
        &mut self,
        at: &At,
        ifname: &str,
        change: &LinkChange,
    ) -> Result<(), Cause> {
        let h = self.handle(at)?;
        let index = h.index(ifname)?;
        let master = match &change.master {
            Some(Some(m)) => Some(h.index(m)?),
            Some(None) => Some(0),
            None => None,
        };
        let parts = link_change_parts(change);
        let reqs: Vec<nl::Request> = parts
            .iter()
            .map(|p| {
                nl::Request::SetLink(nl::SetLink {
                    ipv6_link_local: p.ipv6_link_local,
                    master: p.master.as_ref().and(master),
                    mtu: p.mtu,
                    mac: p.mac,
                    bridge: p.bridge,
                    hairpin: p.hairpin,
                    up: p.up,
                    ..nl::SetLink::index(index)
                })
            })
            .collect();
        let mut failed = None;
        let mut took = Vec::new();
        for (part, r) in parts.into_iter().zip(h.sock.execute(&reqs)) {
            match r {
                Ok(()) => took.push(part),
                // A kernel without IPv6 has no link-local address to
                // turn off.
                Err(e)
                    if part.ipv6_link_local == Some(false) && e.errno() == libc::EAFNOSUPPORT => {}
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        let Some(e) = failed else {
            return Ok(());
        };
        // Written out only now: a lab's `up` sets thousands of links.
        for part in took {
            let line = Op::SetLink {
                at: at.clone(),
                ifname: ifname.to_string(),
                change: part,
            }
            .to_string();
            self.took_effect.push(Effect::Request(line));
        }
        Err(e.into())
    }
}

/// The kernel answers EOPNOTSUPP ("Unknown device type") to a create
/// request of a kind whose driver is not there (`rtnl_newlink`, once
/// `request_module` found none): name the module that provides it.
pub(super) fn with_module_hint(e: Cause, kind: &LinkKind) -> Cause {
    let module = match kind.device() {
        Some(DeviceKind::Vlan(_)) => "8021q",
        Some(DeviceKind::Tap(_)) | None => return e,
        Some(d) => d.name(),
    };
    match &e {
        Cause::Netlink(n) if n.op() == nl::Op::NewLink && n.errno() == libc::EOPNOTSUPP => {
            let kind = kind.name();
            e.hint(format!("this kernel has no {kind} driver: load the module `{module}` (modprobe {module}) or use a kernel that has it"))
        }
        _ => e,
    }
}

/// The kernel answers ENOENT ("Specified qdisc kind is unknown") to a
/// qdisc of a kind it has no module for (`qdisc_create`): name netem's.
pub(super) fn with_netem_hint(e: Cause) -> Cause {
    match &e {
        Cause::Netlink(n) if n.op() == nl::Op::ReplaceQdisc && n.errno() == libc::ENOENT => {
            e.hint("this kernel has no netem (needed by `impair:`): load the module `sch_netem` (modprobe sch_netem) or use a kernel that has it")
        }
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Endpoint, Vlan};

    fn refused(op: nl::Op, errno: i32, words: &str) -> Cause {
        nl::Error::kernel(op, errno, Some(words.into())).into()
    }

    #[test]
    fn a_missing_netem_names_its_module() {
        let e = with_netem_hint(refused(
            nl::Op::ReplaceQdisc,
            libc::ENOENT,
            "Specified qdisc kind is unknown",
        ));
        assert!(e.to_string().contains("modprobe sch_netem"), "{e}");
        assert_eq!(e.errno(), Some(libc::ENOENT));
        let other = with_netem_hint(refused(nl::Op::ReplaceQdisc, libc::EEXIST, "x"));
        assert!(!other.to_string().contains("modprobe"), "{other}");
    }

    #[test]
    fn a_missing_driver_names_its_module() {
        let vlan = LinkKind::Device(DeviceKind::Vlan(Vlan {
            parent: Endpoint::new("a", "eth0"),
            id: 100,
        }));
        let e = with_module_hint(
            refused(nl::Op::NewLink, libc::EOPNOTSUPP, "Unknown device type"),
            &vlan,
        );
        assert!(e.to_string().contains("modprobe 8021q"), "{e}");
        assert_eq!(e.errno(), Some(libc::EOPNOTSUPP));
        let other = with_module_hint(refused(nl::Op::NewLink, libc::EEXIST, "x"), &vlan);
        assert_eq!(other.to_string(), "File exists (kernel: \"x\")");
    }
}
