//! Links in the fake kernel: veth pairs, sub-interfaces, physical ones
//! moved in and out, and their changes.

use super::FakeHost;
use crate::host::{Cause, OpError};
use crate::plan::{At, LinkChange, NewEnd, Op};
use crate::state::{DeviceKind, Endpoint, LinkKind};

impl FakeHost {
    pub(super) fn add_veth(&mut self, op: &Op, a: &NewEnd, b: &NewEnd) -> Result<(), OpError> {
        let ea = Endpoint::new(&a.at.node, &a.ifname);
        let eb = Endpoint::new(&b.at.node, &b.ifname);
        self.node(op, &eb.node)?;
        if self
            .state
            .nodes
            .get(&eb.node)
            .is_some_and(|n| n.links.contains_key(&eb.ifname))
        {
            return Err(OpError::new(op, Cause::errno_of(libc::EEXIST)));
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
        Ok(())
    }

    pub(super) fn add_link(
        &mut self,
        op: &Op,
        end: &NewEnd,
        kind: &LinkKind,
    ) -> Result<(), OpError> {
        if let Some(p) = kind.lower() {
            self.link(op, p)?;
        }
        let ep = Endpoint::new(&end.at.node, &end.ifname);
        self.add(op, &ep, Self::blank(kind.clone(), end.mtu, end.mac))?;
        Ok(())
    }

    pub(super) fn move_in(
        &mut self,
        op: &Op,
        at: &At,
        ifname: &str,
        from: &str,
    ) -> Result<(), OpError> {
        if !self.host_ifaces.remove(from) {
            return Err(OpError::new(op, Cause::errno_of(libc::ENODEV)));
        }
        let ep = Endpoint::new(&at.node, ifname);
        self.add(
            op,
            &ep,
            Self::blank(
                LinkKind::Physical {
                    from: from.to_string(),
                },
                None,
                None,
            ),
        )?;
        Ok(())
    }

    pub(super) fn move_out(
        &mut self,
        op: &Op,
        at: &At,
        ifname: &str,
        to: &str,
    ) -> Result<(), OpError> {
        let ep = Endpoint::new(&at.node, ifname);
        self.link(op, &ep)?;
        self.state
            .nodes
            .get_mut(&at.node)
            .map(|n| n.links.remove(ifname));
        self.host_ifaces.insert(to.to_string());
        Ok(())
    }

    pub(super) fn set_link(
        &mut self,
        op: &Op,
        at: &At,
        ifname: &str,
        change: &LinkChange,
    ) -> Result<(), OpError> {
        let ep = Endpoint::new(&at.node, ifname);
        if let Some(Some(m)) = &change.master {
            let is_master = self
                .state
                .nodes
                .get(&at.node)
                .and_then(|n| n.links.get(m))
                .and_then(|l| l.kind.device())
                .is_some_and(DeviceKind::is_master);
            if !is_master {
                return Err(OpError::new(op, Cause::errno_about(libc::ENODEV, "master")));
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
        if let Some(ll) = change.ipv6_link_local {
            l.ipv6_link_local = Some(ll);
        }
        if let Some(h) = change.hairpin {
            if l.master.is_none() {
                return Err(OpError::new(
                    op,
                    Cause::errno_about(libc::EOPNOTSUPP, "not a bridge port"),
                ));
            }
            l.hairpin = h;
        }
        if let Some(b) = &change.bridge {
            let LinkKind::Device(DeviceKind::Bridge(br)) = &mut l.kind else {
                return Err(OpError::new(
                    op,
                    Cause::errno_about(libc::EOPNOTSUPP, "not a bridge"),
                ));
            };
            *br = br.changed(b);
        }
        let was_up = l.up;
        if let Some(up) = change.up {
            l.up = up;
        }
        if was_up && change.up == Some(false) {
            self.flush_routes(&at.node, ifname, None);
        }
        Ok(())
    }
}
