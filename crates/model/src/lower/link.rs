//! `links:`: veth pairs, short (`[h1:eth0, h2:eth0]`) and long form.

use super::{words, Ctx};
use crate::limits;
use crate::loc::Loc;
use crate::names::NodeName;
use crate::problem::ProblemKind;
use crate::raw::{loc_of, Leaf, RawLink};
use crate::topology::{IfKind, IfRef, Interface, Link, Node};
use crate::values::Mtu;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// Links whose ends parsed, before they are attached to nodes.
pub(crate) struct Drafts {
    links: Vec<Link>,
    /// Where each link's `mtu` is written (its place in `links`).
    mtu_locs: Vec<Option<Loc>>,
    /// Every link end, with where it is written.
    pub(crate) ends: BTreeMap<IfRef, Loc>,
}

pub(crate) fn lower_links(cx: &mut Ctx<'_>, raw: Vec<Spanned<RawLink>>) -> Drafts {
    let mut d = Drafts {
        links: Vec::new(),
        mtu_locs: Vec::new(),
        ends: BTreeMap::new(),
    };
    for (i, sp) in raw.into_iter().enumerate() {
        lower_link(cx, &mut d, i, sp);
    }
    d
}

fn lower_link(cx: &mut Ctx<'_>, d: &mut Drafts, i: usize, sp: Spanned<RawLink>) -> Option<()> {
    let loc = loc_of(&sp);
    let (ends, mtu): (Vec<Leaf>, Option<Leaf>) = match sp.value {
        RawLink::Short(ends) => (ends, None),
        RawLink::Long(long) => match long.endpoints {
            Some(e) => (e, long.mtu),
            None => {
                cx.push(
                    ProblemKind::MissingKey,
                    loc,
                    "the link has no `endpoints`",
                    "write `endpoints: [h1:eth0, h2:eth0]`",
                );
                return None;
            }
        },
        RawLink::Other(s) => {
            cx.push(
                ProblemKind::WrongType,
                loc,
                format!("expected a link, found {}", s.describe()),
                "write a link as [h1:eth0, h2:eth0] or {endpoints: [h1:eth0, h2:eth0], mtu: 9000}",
            );
            return None;
        }
    };
    let mtu_loc = mtu.as_ref().map(loc_of);
    let mtu: Option<Mtu> = mtu.and_then(|m| cx.number(&m, "MTU"));
    if ends.len() != 2 {
        cx.push(
            ProblemKind::InvalidValue,
            loc,
            format!("a link has two ends, this one has {}", ends.len()),
            "write a link as [h1:eth0, h2:eth0]",
        );
        return None;
    }
    let ((a, aloc), (b, bloc)) = link_ends(cx, i, &ends)?;
    if a == b {
        cx.push(
            ProblemKind::SelfLink,
            bloc,
            format!("the link connects {a} to itself"),
            "a veth pair needs two different interfaces",
        );
        return None;
    }
    let mut ok = true;
    for (r, l) in [(&a, aloc), (&b, bloc)] {
        if let Some(first) = d.ends.get(r) {
            cx.push(
                ProblemKind::EndpointReused,
                l,
                format!("{r} is already the end of the link at line {}", first.line),
                "an interface can be the end of one link only; give this end another name",
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    d.ends.insert(a.clone(), aloc);
    d.ends.insert(b.clone(), bloc);
    d.links.push(Link { a, b, mtu, loc });
    d.mtu_locs.push(mtu_loc);
    Some(())
}

/// The two ends, `node:ifname` each, with where they are written.
fn link_ends(cx: &mut Ctx<'_>, i: usize, ends: &[Leaf]) -> Option<((IfRef, Loc), (IfRef, Loc))> {
    let mut refs = Vec::new();
    for (leaf, side) in ends.iter().zip(["a", "b"]) {
        cx.span(format!("links.{i}.{side}"), loc_of(leaf));
        let r = cx
            .text(leaf, "node:ifname")
            .and_then(|t| match words::endpoint(&t) {
                Ok(r) => Some(r),
                Err(e) => {
                    cx.value_err(loc_of(leaf), e);
                    None
                }
            });
        refs.push(r.map(|r| (r, loc_of(leaf))));
    }
    Some((refs[0].clone()?, refs[1].clone()?))
}

/// Check that link ends name existing nodes, give ends that the file does
/// not configure a default veth, and put the link's MTU on both ends.
pub(crate) fn attach_links(
    cx: &mut Ctx<'_>,
    d: Drafts,
    nodes: &mut BTreeMap<NodeName, Node>,
) -> Vec<Link> {
    let mut out = Vec::new();
    for (link, mtu_loc) in d.links.into_iter().zip(d.mtu_locs) {
        let mut ok = true;
        for end in [&link.a, &link.b] {
            let loc = d.ends.get(end).copied().unwrap_or(link.loc);
            let Some(node) = nodes.get_mut(&end.node) else {
                cx.push(
                    ProblemKind::UnknownReference,
                    loc,
                    format!("link end {end}: there is no node `{}`", end.node),
                    format!("add `{}` under `nodes:`, or fix the name", end.node),
                );
                ok = false;
                continue;
            };
            let iface = node
                .interfaces
                .entry(end.ifname.clone())
                .or_insert_with(|| Interface::new(IfKind::Veth, loc));
            if iface.mtu.is_none() {
                iface.mtu = link.mtu;
                // The kernel turns IPv6 off below 1280 (limits::MTU_IPV6).
                let v6 = iface.addresses.iter().any(|a| a.is_ipv6());
                if let (Some(m), true) = (link.mtu, v6) {
                    if !limits::MTU_IPV6.holds(u64::from(m.get())) {
                        let ml = mtu_loc.unwrap_or(link.loc);
                        cx.out_of_range(ml, &limits::MTU_IPV6, u64::from(m.get()));
                    }
                }
            }
        }
        if ok {
            out.push(link);
        }
    }
    out
}
