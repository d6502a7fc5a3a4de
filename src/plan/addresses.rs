//! Addresses of a link: deletions first (with the routes and secondaries
//! the kernel takes along in their undo), then additions.

use super::{step, step_n, At, Op, Phases};
use crate::state::{Cidr, LinkState, RouteState};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Deletions first: deleting an IPv4 address of a subnet the link keeps
/// an address in would take the new one along if it were added first (a
/// secondary goes with its primary). Routes the deletions flush leave
/// `routes`.
pub(super) fn addresses_out(
    ph: &mut Phases,
    here: &At,
    ifname: &str,
    dl: &LinkState,
    ol: &LinkState,
    routes: &mut BTreeSet<RouteState>,
    node_addrs: &BTreeSet<IpAddr>,
) {
    let removed: Vec<_> = ol.addresses.difference(&dl.addresses).copied().collect();
    let last_v4 = if dl
        .addresses
        .intersection(&ol.addresses)
        .any(|c| c.addr.is_ipv4())
    {
        None
    } else {
        removed.iter().rposition(|c| c.addr.is_ipv4())
    };
    for (i, cidr) in removed.iter().enumerate() {
        let mut undo = vec![Op::AddAddress {
            at: here.clone(),
            ifname: ifname.to_string(),
            cidr: *cidr,
        }];
        undo.extend(secondaries_back(here, ifname, cidr, dl, ol, routes));
        let flushes = Some(i) == last_v4;
        for r in lost_routes(routes, ifname, cidr, flushes, node_addrs) {
            routes.remove(&r);
            undo.push(Op::AddRoute {
                at: here.clone(),
                route: r,
            });
        }
        ph.addrs_out.push(step_n(
            Op::DelAddress {
                at: here.clone(),
                ifname: ifname.to_string(),
                cidr: *cidr,
            },
            Some(undo),
        ));
    }
}

/// A primary takes its subnet's secondaries along (and with them, perhaps
/// the link's last IPv4 address and its routes): undo puts back whatever
/// of that is missing (an undo that finds its object already there is
/// done).
fn secondaries_back(
    here: &At,
    ifname: &str,
    cidr: &Cidr,
    dl: &LinkState,
    ol: &LinkState,
    routes: &BTreeSet<RouteState>,
) -> Vec<Op> {
    let mut undo = Vec::new();
    let kept: Vec<_> = dl
        .addresses
        .intersection(&ol.addresses)
        .filter(|c| c.addr.is_ipv4() && c.prefix == cidr.prefix && cidr.addr.is_ipv4())
        .filter(|c| cidr.contains(c.addr))
        .copied()
        .collect();
    if !kept.is_empty() {
        for c in kept {
            undo.push(Op::AddAddress {
                at: here.clone(),
                ifname: ifname.to_string(),
                cidr: c,
            });
        }
        for r in routes.iter() {
            if !r.v6 && r.dev.as_deref() == Some(ifname) {
                undo.push(Op::AddRoute {
                    at: here.clone(),
                    route: r.clone(),
                });
            }
        }
    }
    undo
}

/// The routes deleting `cidr` takes along: the link's IPv4 routes when it
/// is the link's last IPv4 address (`flushes`), and routes using it as
/// their source when no other link of the node has it.
fn lost_routes(
    routes: &BTreeSet<RouteState>,
    ifname: &str,
    cidr: &Cidr,
    flushes: bool,
    node_addrs: &BTreeSet<IpAddr>,
) -> Vec<RouteState> {
    routes
        .iter()
        .filter(|r| {
            let flushed = flushes && !r.v6 && r.dev.as_deref() == Some(ifname);
            let src_gone =
                cidr.addr.is_ipv4() && r.src == Some(cidr.addr) && !node_addrs.contains(&cidr.addr);
            flushed || src_gone
        })
        .cloned()
        .collect()
}

pub(super) fn addresses_in(
    ph: &mut Phases,
    here: &At,
    ifname: &str,
    dl: &LinkState,
    ol: &LinkState,
) {
    for cidr in dl.addresses.difference(&ol.addresses) {
        let undo = Op::DelAddress {
            at: here.clone(),
            ifname: ifname.to_string(),
            cidr: *cidr,
        };
        ph.addrs_in.push(step(
            Op::AddAddress {
                at: here.clone(),
                ifname: ifname.to_string(),
                cidr: *cidr,
            },
            Some(undo),
        ));
    }
}
