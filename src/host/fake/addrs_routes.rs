//! Addresses and routes in the fake kernel, with the kernel's side effects.

use super::{contains, same_subnet, FakeHost};
use crate::host::{Cause, OpError};
use crate::plan::{route_matches, At, Op};
use crate::state::{Cidr, Endpoint, LinkState, RouteState};
use std::collections::BTreeSet;
use std::net::IpAddr;

impl FakeHost {
    pub(super) fn add_address(
        &mut self,
        op: &Op,
        at: &At,
        ifname: &str,
        cidr: &Cidr,
    ) -> Result<(), OpError> {
        if ifname == "lo" {
            let n = self.node(op, &at.node)?;
            return match n.lo_addresses.insert(*cidr) {
                true => Ok(()),
                false => Err(OpError::new(op, Cause::errno_of(libc::EEXIST))),
            };
        }
        let l = self.link(op, &Endpoint::new(&at.node, ifname))?;
        if !l.addresses.insert(*cidr) {
            return Err(OpError::new(op, Cause::errno_of(libc::EEXIST)));
        }
        self.clock += 1;
        self.added
            .insert((at.node.clone(), ifname.to_string(), *cidr), self.clock);
        Ok(())
    }

    pub(super) fn del_route(
        &mut self,
        op: &Op,
        at: &At,
        route: &RouteState,
    ) -> Result<(), OpError> {
        let n = self.node(op, &at.node)?;
        let found = n.routes.iter().find(|r| route_matches(route, r)).cloned();
        match found {
            Some(r) => {
                n.routes.remove(&r);
            }
            None => return Err(OpError::new(op, Cause::errno_of(libc::ESRCH))),
        }
        Ok(())
    }

    /// Remove the routes through `ifname` (of one family, or both).
    pub(super) fn flush_routes(&mut self, node: &str, ifname: &str, v6: Option<bool>) {
        if let Some(n) = self.state.nodes.get_mut(node) {
            n.routes
                .retain(|r| r.dev.as_deref() != Some(ifname) || v6.is_some_and(|v6| r.v6 != v6));
        }
    }

    pub(super) fn del_address(
        &mut self,
        op: &Op,
        node: &str,
        ifname: &str,
        cidr: &Cidr,
    ) -> Result<(), OpError> {
        if ifname == "lo" {
            let n = self.node(op, node)?;
            return match n.lo_addresses.remove(cidr) {
                true => Ok(()),
                false => Err(OpError::new(op, Cause::errno_of(libc::EADDRNOTAVAIL))),
            };
        }
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
            return Err(OpError::new(op, Cause::errno_of(libc::EADDRNOTAVAIL)));
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

    pub(super) fn add_route(
        &mut self,
        op: &Op,
        node: &str,
        route: &RouteState,
    ) -> Result<(), OpError> {
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
                    .ok_or_else(|| OpError::new(op, Cause::errno_of(libc::ENODEV)))?;
                if !via_link(l) {
                    return Err(OpError::new(op, Cause::errno_of(libc::ENETUNREACH)));
                }
                d.clone()
            }
            None => n
                .links
                .iter()
                .find(|(_, l)| r.via.is_some() && via_link(l))
                .map(|(name, _)| name.clone())
                .ok_or_else(|| OpError::new(op, Cause::errno_of(libc::ENETUNREACH)))?,
        };
        if !n.links.get(&dev).is_some_and(|l| l.up) {
            return Err(OpError::new(
                op,
                Cause::errno_about(libc::ENETDOWN, "nexthop device is not up"),
            ));
        }
        if let Some(src) = &r.src {
            let local = n
                .links
                .values()
                .any(|l| l.addresses.iter().any(|c| c.addr == *src));
            if !local {
                return Err(OpError::new(
                    op,
                    Cause::errno_about(libc::EINVAL, "invalid prefsrc address"),
                ));
            }
        }
        r.dev = Some(dev);
        let clash = n
            .routes
            .iter()
            .any(|o| o.to == r.to && o.v6 == r.v6 && o.metric == r.metric && o.table == r.table);
        if clash {
            return Err(OpError::new(op, Cause::errno_of(libc::EEXIST)));
        }
        n.routes.insert(r);
        Ok(())
    }
}
