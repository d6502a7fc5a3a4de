//! Links: veth pairs, sub-interfaces, taps, their changes and removal.

use super::Linux;
use crate::plan::{At, LinkChange, NewEnd};
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
    ) -> Result<(), String> {
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

    pub(super) fn add_link(
        &mut self,
        end: &NewEnd,
        kind: &LinkKind,
        parent_at: Option<&At>,
        alias: Option<String>,
    ) -> Result<(), String> {
        let Some(device) = kind.device() else {
            return Err(format!("cannot create a link of kind {}", kind.name()));
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
        h.exec(vec![nl::Request::NewLink(nl::NewLink {
            name: end.ifname.clone(),
            kind: nl::LinkKind::Device(nk),
            mtu: end.mtu,
            mac: end.mac,
            alias: if moved { None } else { alias.clone() },
            up: false,
            master: None,
            netns_fd: target_fd,
        })])?;
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
    ) -> Result<(), String> {
        let h = self.handle(&end.at)?;
        let name = end.ifname.clone();
        netns::run_in(h.fd.as_fd(), || tap::create_tap(&name, owner))
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let index = h.index(&end.ifname)?;
        h.exec(vec![nl::Request::SetLink(nl::SetLink {
            alias,
            mtu: end.mtu,
            mac: end.mac,
            ..nl::SetLink::index(index)
        })])
    }

    pub(super) fn delete_link(&mut self, at: &At, ifname: &str) -> Result<(), String> {
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
        let r = match h
            .sock
            .execute(&[down, nl::Request::DelLink { index }])
            .pop()
        {
            Some(Err(e)) if !e.is_not_found() => Err(e.to_string()),
            _ => Ok(()),
        };
        // The kernel takes the veth peer (in another node, perhaps)
        // and sub-interfaces along: no cached index is trusted.
        self.forget_all();
        r
    }

    pub(super) fn set_impair(
        &mut self,
        at: &At,
        ifname: &str,
        impair: Option<&Impair>,
    ) -> Result<(), String> {
        let h = self.handle(at)?;
        let index = h.index(ifname)?;
        match impair {
            Some(i) => h
                .exec(vec![nl::Request::ReplaceQdisc(nl::Qdisc {
                    index,
                    impair: *i,
                })])
                .map_err(with_netem_hint),
            // Back to the kernel's default root qdisc; none to
            // remove is no error.
            None => match h.sock.execute(&[nl::Request::DelQdisc { index }]).pop() {
                Some(Err(e)) if !e.is_not_found() => Err(e.to_string()),
                _ => Ok(()),
            },
        }
    }

    pub(super) fn set_alias(
        &mut self,
        at: &At,
        ifname: &str,
        alias: Option<String>,
    ) -> Result<(), String> {
        let h = self.handle(at)?;
        let index = h.index(ifname)?;
        h.exec(vec![nl::Request::SetLink(nl::SetLink {
            alias,
            ..nl::SetLink::index(index)
        })])
    }

    pub(super) fn set_link(
        &mut self,
        at: &At,
        ifname: &str,
        change: &LinkChange,
    ) -> Result<(), String> {
        let h = self.handle(at)?;
        let index = h.index(ifname)?;
        let master = match &change.master {
            Some(Some(m)) => Some(h.index(m)?),
            Some(None) => Some(0),
            None => None,
        };
        let mut reqs = Vec::new();
        if let Some(ll) = change.ipv6_link_local {
            // First: before `up`, below.
            reqs.push(nl::Request::SetLink(nl::SetLink {
                ipv6_link_local: Some(ll),
                ..nl::SetLink::index(index)
            }));
        }
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
                bridge: Some(*b),
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
        for (i, r) in h.sock.execute(&reqs).into_iter().enumerate() {
            match r {
                // A kernel without IPv6 has no link-local address to
                // turn off.
                Err(e)
                    if i == 0
                        && change.ipv6_link_local == Some(false)
                        && e.errno() == libc::EAFNOSUPPORT => {}
                r => r.map_err(|e| e.to_string())?,
            }
        }
        Ok(())
    }
}

/// The kernel says "Unknown device type" when the driver of a link kind is
/// not there: name the module that provides it.
pub(super) fn with_module_hint(e: String, kind: &LinkKind) -> String {
    let module = match kind.device() {
        Some(DeviceKind::Vlan(_)) => "8021q",
        Some(DeviceKind::Tap(_)) | None => return e,
        Some(d) => d.name(),
    };
    if e.contains("Unknown device type") {
        format!("{e}; this kernel has no {} driver: load the module `{module}` (modprobe {module}) or use a kernel that has it", kind.name())
    } else {
        e
    }
}

/// The kernel says "Specified qdisc kind is unknown" when netem is not
/// there: name its module.
pub(super) fn with_netem_hint(e: String) -> String {
    if e.contains("qdisc kind is unknown") {
        format!("{e}; this kernel has no netem (needed by `impair:`): load the module `sch_netem` (modprobe sch_netem) or use a kernel that has it")
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Endpoint, Vlan};

    #[test]
    fn a_missing_netem_names_its_module() {
        let e = with_netem_hint(
            "No such file or directory (kernel: \"Specified qdisc kind is unknown\")".into(),
        );
        assert!(e.contains("modprobe sch_netem"), "{e}");
        assert_eq!(with_netem_hint("File exists".into()), "File exists");
    }

    #[test]
    fn a_missing_driver_names_its_module() {
        let vlan = LinkKind::Device(DeviceKind::Vlan(Vlan {
            parent: Endpoint::new("a", "eth0"),
            id: 100,
        }));
        let e = with_module_hint(
            "Operation not supported (kernel: \"Unknown device type\")".into(),
            &vlan,
        );
        assert!(e.contains("modprobe 8021q"), "{e}");
        let other = with_module_hint("File exists".into(), &vlan);
        assert_eq!(other, "File exists");
    }
}
