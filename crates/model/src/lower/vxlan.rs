//! A VXLAN interface's keys: its VNI, exactly one of a unicast `remote`
//! and a multicast `group`, its `local` address of the same family, the
//! underlay `dev` of the same node, `port` and `learning`.

use super::kinds::{port, vni, Here};
use super::Ctx;
use crate::problem::ProblemKind;
use crate::raw::{loc_of, RawInterface};
use crate::topology::{IfRef, Vxlan};
use std::net::IpAddr;

pub(super) fn lower_vxlan(
    cx: &mut Ctx<'_>,
    here: &Here<'_>,
    r: &RawInterface,
) -> Option<Vxlan<IfRef>> {
    let vni = vni(cx, here, r);
    let remote = r
        .remote
        .as_ref()
        .and_then(|l| cx.ip(l, "the remote address"));
    let group = r
        .group
        .as_ref()
        .and_then(|l| cx.ip(l, "the multicast group"));
    let local = r.local.as_ref().and_then(|l| cx.ip(l, "the local address"));
    let dev = r
        .dev
        .as_ref()
        .and_then(|l| here.own_interface(cx, "dev", l));
    for (leaf, what) in [
        (&r.remote, "remote"),
        (&r.group, "group"),
        (&r.local, "local"),
    ] {
        if let Some(l) = leaf {
            cx.span(format!("{}.{what}", here.path), loc_of(l));
        }
    }
    check_destination(cx, here, r);
    check_addresses(cx, r, remote, group, local);
    let port = port(cx, &r.port, 4789)?;
    let learning = match &r.learning {
        Some(l) => cx.bool(l, "learning")?,
        None => true,
    };
    Some(Vxlan {
        vni: vni?,
        remote,
        group,
        local,
        dev,
        port,
        learning,
    })
}

/// Exactly one of `remote` and `group`.
fn check_destination(cx: &mut Ctx<'_>, here: &Here<'_>, r: &RawInterface) {
    let iface = here.iface;
    match (&r.remote, &r.group) {
        (Some(_), Some(g)) => cx.push(
            ProblemKind::VxlanDestination,
            loc_of(g),
            format!("the vxlan interface {iface} has both `remote` and `group`"),
            "keep `remote` for a unicast peer or `group` for multicast, not both",
        ),
        (None, None) => cx.push(
            ProblemKind::VxlanDestination,
            here.loc,
            format!("the vxlan interface {iface} has neither `remote` nor `group`"),
            "add `remote: PEER-ADDRESS` or `group: MULTICAST-ADDRESS`",
        ),
        _ => {}
    }
}

/// A multicast group, a unicast remote, and a local address of the
/// peer's family.
fn check_addresses(
    cx: &mut Ctx<'_>,
    r: &RawInterface,
    remote: Option<IpAddr>,
    group: Option<IpAddr>,
    local: Option<IpAddr>,
) {
    if let (Some(g), Some(l)) = (group, &r.group) {
        if !g.is_multicast() {
            cx.push(
                ProblemKind::InvalidValue,
                loc_of(l),
                format!("group {g} is not a multicast address"),
                "use a multicast group like 239.1.1.1, or `remote:` for a unicast peer",
            );
        }
    }
    if let (Some(rm), Some(l)) = (remote, &r.remote) {
        if rm.is_multicast() || rm.is_unspecified() {
            cx.push(
                ProblemKind::InvalidValue,
                loc_of(l),
                format!("remote {rm} is not a unicast address"),
                "use `group:` for a multicast group",
            );
        }
    }
    let peer = remote.or(group);
    if let (Some(p), Some(lo), Some(l)) = (peer, local, &r.local) {
        if p.is_ipv6() != lo.is_ipv6() {
            cx.push(
                ProblemKind::FamilyMismatch,
                loc_of(l),
                format!("local {lo} and peer {p} are of different IP families"),
                "use addresses of one family for a vxlan's local and remote/group",
            );
        }
    }
}
