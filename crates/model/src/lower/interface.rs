//! One interface: its kind (and only that kind's keys), addresses and
//! common settings.

use super::{words, Ctx};
use crate::impair::{parse_duration, Impair, Percent, Rate};
use crate::loc::Loc;
use crate::names::IfName;
use crate::problem::ProblemKind;
use crate::raw::{loc_of, Leaf, RawImpair, RawInterface};
use crate::topology::{
    Bridge, IfKind, IfRef, Interface, IpvlanFlag, IpvlanMode, MacvlanMode, Vxlan,
};
use crate::values::{Cidr, Port, Vni};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

const KINDS: &[(&str, &str)] = &[
    ("veth", ""),
    ("bridge", "stp ageing vlan-filtering"),
    ("vlan", "parent id"),
    ("macvlan", "parent mode"),
    ("ipvlan", "parent mode flag"),
    ("vxlan", "vni remote group local dev port learning"),
    ("physical", "from"),
    ("tap", "owner"),
];

pub(crate) fn lower_interface(
    cx: &mut Ctx<'_>,
    path: &str,
    here: &IfRef,
    loc: Loc,
    r: RawInterface,
    ends: &BTreeMap<IfRef, Loc>,
) -> Interface {
    let is_end = ends.contains_key(here);
    let choices: Vec<(&str, &str)> = KINDS.iter().map(|(k, _)| (*k, *k)).collect();
    let kind_name: Option<&str> = match &r.kind {
        Some(k) => {
            cx.span(format!("{path}.kind"), loc_of(k));
            cx.choice(k, "interface kind", &choices)
        }
        None if is_end => Some("veth"),
        None => {
            cx.push(
                ProblemKind::MissingKey,
                loc,
                format!("interface {here} has no `kind` and is not the end of a link"),
                "add `kind: bridge` (or vlan, macvlan, ipvlan, vxlan, physical, tap), or add a link to it",
            );
            None
        }
    };
    let kloc = r.kind.as_ref().map(loc_of).unwrap_or(loc);
    match kind_name {
        Some("veth") if !is_end => cx.push(
            ProblemKind::UnknownReference,
            kloc,
            format!("{here} is a veth, but no link has it as an end"),
            format!("add a link like `[{here}, other:eth0]`, or give it another kind"),
        ),
        Some(k) if k != "veth" && is_end => cx.push(
            ProblemKind::KindConflict,
            kloc,
            format!("{here} is the end of a link, so it is a veth, not a {k}"),
            "remove `kind:` from this interface, or link another interface",
        ),
        _ => {}
    }
    let own_keys = kind_name
        .and_then(|k| KINDS.iter().find(|(n, _)| *n == k))
        .map(|(_, keys)| *keys);
    if let Some(own) = own_keys {
        reject_foreign_keys(cx, &r, kind_name.unwrap_or(""), own);
    }
    let kind = match kind_name {
        Some(k) => lower_kind(cx, path, here, loc, k, &r),
        None => None,
    };
    // An interface whose kind did not parse still takes its place, so that
    // references to it do not add problems of their own.
    let mut iface = Interface::new(kind.unwrap_or(IfKind::Tap { owner: None }), loc);
    for (i, a) in r.addresses.unwrap_or_default().iter().enumerate() {
        cx.span(format!("{path}.addresses.{i}"), loc_of(a));
        if let Some(c) = cx.parse::<Cidr>(a, "an address like 10.0.0.1/24") {
            iface.addresses.push(c);
        }
    }
    if let Some(up) = &r.up {
        iface.up = cx.bool(up, "up").unwrap_or(true);
    }
    if let Some(m) = &r.mtu {
        cx.span(format!("{path}.mtu"), loc_of(m));
        iface.mtu = cx.number(m, "MTU");
    }
    if let Some(m) = &r.mac {
        cx.span(format!("{path}.mac"), loc_of(m));
        iface.mac = cx.parse(m, "a MAC address");
    }
    if let Some(m) = &r.master {
        cx.span(format!("{path}.master"), loc_of(m));
        iface.master = cx.parse(m, "a bridge name");
    }
    if let Some(h) = &r.hairpin {
        iface.hairpin = cx.bool(h, "hairpin").unwrap_or(false);
    }
    if let Some(imp) = &r.impair {
        iface.impair = Some(lower_impair(cx, imp));
    }
    iface
}

/// Keys of other kinds (`vni` on a bridge) are unknown keys here.
fn reject_foreign_keys(cx: &mut Ctx<'_>, r: &RawInterface, kind: &str, own: &str) {
    let specific: [(&str, &Option<Leaf>); 16] = [
        ("stp", &r.stp),
        ("ageing", &r.ageing),
        ("vlan-filtering", &r.vlan_filtering),
        ("parent", &r.parent),
        ("id", &r.id),
        ("mode", &r.mode),
        ("flag", &r.flag),
        ("vni", &r.vni),
        ("remote", &r.remote),
        ("group", &r.group),
        ("local", &r.local),
        ("dev", &r.dev),
        ("port", &r.port),
        ("learning", &r.learning),
        ("from", &r.from),
        ("owner", &r.owner),
    ];
    for (key, leaf) in specific {
        if let Some(leaf) = leaf {
            if !own.split(' ').any(|k| k == key) {
                let hint = if own.is_empty() {
                    format!("a {kind} takes only the common keys; remove `{key}`")
                } else {
                    format!("a {kind} takes: {}; remove `{key}`", own.replace(' ', ", "))
                };
                cx.push(
                    ProblemKind::UnknownKey,
                    loc_of(leaf),
                    format!("`{key}` does not apply to a {kind} interface"),
                    hint,
                );
            }
        }
    }
}

fn lower_kind(
    cx: &mut Ctx<'_>,
    path: &str,
    here: &IfRef,
    loc: Loc,
    kind: &str,
    r: &RawInterface,
) -> Option<IfKind> {
    let parent = |cx: &mut Ctx<'_>| -> Option<IfRef> {
        let Some(p) = &r.parent else {
            cx.push(
                ProblemKind::MissingKey,
                loc,
                format!("the {kind} interface {here} has no `parent`"),
                "add `parent: eth0` (same node) or `parent: node:eth0`",
            );
            return None;
        };
        cx.span(format!("{path}.parent"), loc_of(p));
        let t = cx.text(p, "an interface name")?;
        match words::parent(&t, &here.node) {
            Ok(r) => Some(r),
            Err(e) => {
                cx.value_err(loc_of(p), e);
                None
            }
        }
    };
    Some(match kind {
        "veth" => IfKind::Veth,
        "bridge" => IfKind::Bridge(Bridge {
            stp: r
                .stp
                .as_ref()
                .and_then(|l| cx.bool(l, "stp"))
                .unwrap_or(false),
            ageing_secs: r
                .ageing
                .as_ref()
                .and_then(|l| cx.u32(l, "ageing"))
                .unwrap_or(300),
            vlan_filtering: r
                .vlan_filtering
                .as_ref()
                .and_then(|l| cx.bool(l, "vlan-filtering"))
                .unwrap_or(false),
        }),
        "vlan" => {
            let parent = parent(cx);
            let id = match &r.id {
                Some(l) => cx.number(l, "VLAN id"),
                None => {
                    cx.push(
                        ProblemKind::MissingKey,
                        loc,
                        format!("the vlan interface {here} has no `id`"),
                        "add `id: 100` (1 to 4094)",
                    );
                    None
                }
            };
            IfKind::Vlan {
                parent: parent?,
                id: id?,
            }
        }
        "macvlan" => {
            let parent = parent(cx);
            let modes = [
                ("bridge", MacvlanMode::Bridge),
                ("vepa", MacvlanMode::Vepa),
                ("private", MacvlanMode::Private),
                ("passthru", MacvlanMode::Passthru),
            ];
            let mode = r
                .mode
                .as_ref()
                .map(|l| cx.choice(l, "macvlan mode", &modes));
            IfKind::Macvlan {
                parent: parent?,
                mode: mode.unwrap_or(Some(MacvlanMode::Bridge))?,
            }
        }
        "ipvlan" => {
            let parent = parent(cx);
            let modes = [
                ("l2", IpvlanMode::L2),
                ("l3", IpvlanMode::L3),
                ("l3s", IpvlanMode::L3s),
            ];
            let flags = [
                ("bridge", IpvlanFlag::Bridge),
                ("private", IpvlanFlag::Private),
                ("vepa", IpvlanFlag::Vepa),
            ];
            let mode = r.mode.as_ref().map(|l| cx.choice(l, "ipvlan mode", &modes));
            let flag = r.flag.as_ref().map(|l| cx.choice(l, "ipvlan flag", &flags));
            IfKind::Ipvlan {
                parent: parent?,
                mode: mode.unwrap_or(Some(IpvlanMode::L2))?,
                flag: flag.unwrap_or(Some(IpvlanFlag::Bridge))?,
            }
        }
        "vxlan" => lower_vxlan(cx, path, here, loc, r)?,
        "physical" => {
            let from = match &r.from {
                Some(l) => {
                    cx.span(format!("{path}.from"), loc_of(l));
                    cx.parse(l, "an interface name")?
                }
                None => here.ifname.clone(),
            };
            IfKind::Physical { from }
        }
        "tap" => IfKind::Tap {
            owner: match &r.owner {
                Some(l) => Some(cx.u32(l, "owner uid")?),
                None => None,
            },
        },
        _ => return None,
    })
}

fn lower_vxlan(
    cx: &mut Ctx<'_>,
    path: &str,
    here: &IfRef,
    loc: Loc,
    r: &RawInterface,
) -> Option<IfKind> {
    let vni = match &r.vni {
        Some(l) => cx.number::<Vni>(l, "VNI"),
        None => {
            cx.push(
                ProblemKind::MissingKey,
                loc,
                format!("the vxlan interface {here} has no `vni`"),
                "add `vni: 100` (0 to 16777215)",
            );
            None
        }
    };
    let remote = r
        .remote
        .as_ref()
        .and_then(|l| cx.ip(l, "the remote address"));
    let group = r
        .group
        .as_ref()
        .and_then(|l| cx.ip(l, "the multicast group"));
    let local = r.local.as_ref().and_then(|l| cx.ip(l, "the local address"));
    let dev = r.dev.as_ref().and_then(|l| {
        cx.span(format!("{path}.dev"), loc_of(l));
        cx.parse::<IfName>(l, "an interface name")
    });
    for (leaf, what) in [
        (&r.remote, "remote"),
        (&r.group, "group"),
        (&r.local, "local"),
    ] {
        if let Some(l) = leaf {
            cx.span(format!("{path}.{what}"), loc_of(l));
        }
    }
    match (&r.remote, &r.group) {
        (Some(_), Some(g)) => cx.push(
            ProblemKind::VxlanDestination,
            loc_of(g),
            format!("the vxlan interface {here} has both `remote` and `group`"),
            "keep `remote` for a unicast peer or `group` for multicast, not both",
        ),
        (None, None) => cx.push(
            ProblemKind::VxlanDestination,
            loc,
            format!("the vxlan interface {here} has neither `remote` nor `group`"),
            "add `remote: PEER-ADDRESS` or `group: MULTICAST-ADDRESS`",
        ),
        _ => {}
    }
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
    let port = match &r.port {
        Some(l) => cx.number::<Port>(l, "port")?,
        None => Port::try_from(4789u64).ok()?,
    };
    let learning = match &r.learning {
        Some(l) => cx.bool(l, "learning")?,
        None => true,
    };
    Some(IfKind::Vxlan(Vxlan {
        vni: vni?.get(),
        remote,
        group,
        local,
        dev,
        port: port.get(),
        learning,
    }))
}

fn lower_impair(cx: &mut Ctx<'_>, sp: &Spanned<RawImpair>) -> Impair {
    let r = &sp.value;
    let mut imp = Impair::default();
    let dur = |cx: &mut Ctx<'_>, l: &Option<Leaf>, what: &str| {
        let l = l.as_ref()?;
        let t = cx.text(l, what)?;
        parse_duration(&t)
            .map_err(|e| cx.value_err(loc_of(l), e))
            .ok()
    };
    // At most an hour: 3.6e9 microseconds fit in a u32.
    let us = |d: std::time::Duration| u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
    imp.delay_us = dur(cx, &r.delay, "a delay like 20ms").map(us);
    imp.jitter_us = dur(cx, &r.jitter, "a jitter like 5ms").map(us);
    imp.loss_ppm = r
        .loss
        .as_ref()
        .and_then(|l| cx.parse::<Percent>(l, "a loss like 1%"))
        .map(Percent::ppm);
    imp.rate_bps = r
        .rate
        .as_ref()
        .and_then(|l| cx.parse::<Rate>(l, "a rate like 10mbit"))
        .map(Rate::bits_per_sec);
    if imp.jitter_us.is_some() && imp.delay_us.is_none() {
        cx.push(
            ProblemKind::MissingKey,
            loc_of(sp),
            "`jitter` needs a `delay` to vary",
            "add `delay:`, or remove `jitter:`",
        );
    }
    imp
}
