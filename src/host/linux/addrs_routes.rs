//! Addresses and routes.

use super::{Handle, Linux};
use crate::host::Cause;
use crate::plan::At;
use crate::state::{Cidr, RouteState};
use nslab_netlink as nl;

impl Linux {
    pub(super) fn set_address(
        &mut self,
        at: &At,
        ifname: &str,
        cidr: &Cidr,
        add: bool,
    ) -> Result<(), Cause> {
        let h = self.handle(at)?;
        let a = address(h.index(ifname)?, cidr);
        let req = if add {
            nl::Request::AddAddress(a)
        } else {
            nl::Request::DelAddress(a)
        };
        h.exec(req)
    }

    pub(super) fn add_route(&mut self, at: &At, route: &RouteState) -> Result<(), Cause> {
        let h = self.handle(at)?;
        let r = to_route(h, route)?;
        h.exec(nl::Request::AddRoute(r))
    }

    pub(super) fn del_route(&mut self, at: &At, route: &RouteState) -> Result<(), Cause> {
        let h = self.handle(at)?;
        let r = to_route(h, route)?;
        // The delete names nslab's protocol: the kernel removes no
        // route someone else made. A route the lab wanted but found
        // made by someone else is not there to remove.
        match h.sock.execute(&[nl::Request::DelRoute(r)]).pop() {
            Some(Err(e)) if !e.is_not_found() => Err(e.into()),
            _ => Ok(()),
        }
    }
}

pub(super) fn address(index: u32, cidr: &Cidr) -> nl::Address {
    nl::Address { index, cidr: *cidr }
}

fn to_route(h: &mut Handle, r: &RouteState) -> Result<nl::Route, Cause> {
    let oif = match &r.dev {
        Some(d) => Some(h.index(d)?),
        None => None,
    };
    Ok(nl::Route {
        table: r.table.unwrap_or(nl::RT_TABLE_MAIN),
        dst: r.to,
        family: if r.v6 { nl::Family::V6 } else { nl::Family::V4 },
        gateway: r.via,
        oif,
        metric: r.metric,
        prefsrc: r.src,
        protocol: nl::RTPROT_NSLAB,
        scope: if r.via.is_some() { 0 } else { 253 },
        kind: 1,
    })
}
