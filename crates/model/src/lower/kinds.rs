//! Each interface kind's own keys and their lowering into the kind's
//! parameters ([`DeviceKind`] for the kinds nslab makes). A new kind is
//! added here and in `raw/interface.rs` only, as far as the model goes:
//! its keys as fields of [`RawInterface`] (the file form, whose fields are
//! also the shape pass's table), by name in [`KINDS`] and [`kind_keys`],
//! its lowering in [`lower_kind`].

use super::{words, Ctx};
use crate::limits;
use crate::loc::Loc;
use crate::names::IfName;
use crate::problem::ProblemKind;
use crate::raw::{loc_of, Leaf, RawInterface};
use crate::topology::{
    Bridge, DeviceKind, IfKind, IfRef, Ipvlan, IpvlanFlag, IpvlanMode, Macvlan, MacvlanMode, Tap,
    Vlan,
};
use crate::values::{Port, VlanId, Vni};
use nslab_types::{Dummy, Vrf};

/// Each kind the file can name, with the keys of its own.
pub(super) const KINDS: &[(&str, &str)] = &[
    ("veth", ""),
    ("bridge", "stp ageing vlan-filtering"),
    ("vlan", "parent id"),
    ("macvlan", "parent mode"),
    ("ipvlan", "parent mode flag"),
    ("vxlan", "vni remote group local dev port learning"),
    ("physical", "from"),
    ("tap", "owner"),
    ("dummy", ""),
    ("vrf", "table"),
];

/// The kind-specific keys an interface has, by name.
pub(super) fn kind_keys(r: &RawInterface) -> [(&'static str, &Option<Leaf>); 17] {
    [
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
        ("table", &r.table),
    ]
}

/// Where an interface is, for the problems of its kind's keys.
pub(super) struct Here<'a> {
    pub(super) path: &'a str,
    pub(super) iface: &'a IfRef,
    pub(super) loc: Loc,
}

impl Here<'_> {
    /// A missing key of `kind`, with a hint to add it.
    fn missing(&self, cx: &mut Ctx<'_>, kind: &str, key: &str, hint: &str) {
        cx.push(
            ProblemKind::MissingKey,
            self.loc,
            format!("the {kind} interface {} has no `{key}`", self.iface),
            hint,
        );
    }

    /// A required key's leaf, or a problem saying it is missing.
    fn required<'l>(
        &self,
        cx: &mut Ctx<'_>,
        leaf: &'l Option<Leaf>,
        kind: &str,
        key: &str,
        hint: &str,
    ) -> Option<&'l Leaf> {
        if leaf.is_none() {
            self.missing(cx, kind, key, hint);
        }
        leaf.as_ref()
    }

    /// `parent:` (same node, or `node:ifname`).
    fn parent(&self, cx: &mut Ctx<'_>, kind: &str, r: &RawInterface) -> Option<IfRef> {
        let hint = "add `parent: eth0` (same node) or `parent: node:eth0`";
        let p = self.required(cx, &r.parent, kind, "parent", hint)?;
        cx.span(format!("{}.parent", self.path), loc_of(p));
        let t = cx.text(p, "an interface name")?;
        match words::parent(&t, &self.iface.node) {
            Ok(r) => Some(r),
            Err(e) => {
                cx.value_err(loc_of(p), e);
                None
            }
        }
    }

    /// An interface of this node named by `leaf` (`dev:`).
    pub(super) fn own_interface(&self, cx: &mut Ctx<'_>, key: &str, leaf: &Leaf) -> Option<IfRef> {
        cx.span(format!("{}.{key}", self.path), loc_of(leaf));
        Some(IfRef {
            node: self.iface.node.clone(),
            ifname: cx.parse::<IfName>(leaf, "an interface name")?,
        })
    }
}

/// The kind's parameters; `None` after a problem.
pub(super) fn lower_kind(
    cx: &mut Ctx<'_>,
    here: &Here<'_>,
    kind: &str,
    r: &RawInterface,
) -> Option<IfKind> {
    let device = match kind {
        "veth" => return Some(IfKind::Veth),
        "physical" => return lower_physical(cx, here, r),
        "bridge" => DeviceKind::Bridge(lower_bridge(cx, r)),
        "vlan" => {
            let parent = here.parent(cx, kind, r);
            let id = here.required(cx, &r.id, kind, "id", "add `id: 100` (1 to 4094)");
            let id = id.and_then(|l| cx.number::<VlanId>(l, "VLAN id"));
            DeviceKind::Vlan(Vlan {
                parent: parent?,
                id: id?.get(),
            })
        }
        "macvlan" => DeviceKind::Macvlan(lower_macvlan(cx, here, r)?),
        "ipvlan" => DeviceKind::Ipvlan(lower_ipvlan(cx, here, r)?),
        "vxlan" => DeviceKind::Vxlan(super::vxlan::lower_vxlan(cx, here, r)?),
        "tap" => DeviceKind::Tap(Tap {
            owner: match &r.owner {
                // In range: fits a u32.
                Some(l) => {
                    cx.span(format!("{}.owner", here.path), loc_of(l));
                    Some(cx.ranged(l, &limits::TAP_OWNER)? as u32)
                }
                None => None,
            },
        }),
        "dummy" => DeviceKind::Dummy(Dummy {}),
        "vrf" => DeviceKind::Vrf(lower_vrf(cx, here, r)?),
        _ => return None,
    };
    Some(IfKind::Device(device))
}

fn lower_physical(cx: &mut Ctx<'_>, here: &Here<'_>, r: &RawInterface) -> Option<IfKind> {
    let from = match &r.from {
        Some(l) => {
            cx.span(format!("{}.from", here.path), loc_of(l));
            cx.parse(l, "an interface name")?
        }
        None => here.iface.ifname.clone(),
    };
    Some(IfKind::Physical { from })
}

fn lower_bridge(cx: &mut Ctx<'_>, r: &RawInterface) -> Bridge {
    let d = Bridge::default();
    let flag = |cx: &mut Ctx<'_>, l: &Option<Leaf>, what: &str, default: bool| {
        l.as_ref().and_then(|l| cx.bool(l, what)).unwrap_or(default)
    };
    Bridge {
        stp: flag(cx, &r.stp, "stp", d.stp),
        // In range: fits a u32 (and its centiseconds too).
        ageing_secs: r
            .ageing
            .as_ref()
            .and_then(|l| cx.ranged(l, &limits::AGEING))
            .map_or(d.ageing_secs, |v| v as u32),
        vlan_filtering: flag(cx, &r.vlan_filtering, "vlan-filtering", d.vlan_filtering),
    }
}

fn lower_macvlan(cx: &mut Ctx<'_>, here: &Here<'_>, r: &RawInterface) -> Option<Macvlan<IfRef>> {
    let parent = here.parent(cx, "macvlan", r);
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
    Some(Macvlan {
        parent: parent?,
        mode: mode.unwrap_or(Some(MacvlanMode::Bridge))?,
    })
}

fn lower_ipvlan(cx: &mut Ctx<'_>, here: &Here<'_>, r: &RawInterface) -> Option<Ipvlan<IfRef>> {
    let parent = here.parent(cx, "ipvlan", r);
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
    Some(Ipvlan {
        parent: parent?,
        mode: mode.unwrap_or(Some(IpvlanMode::L2))?,
        flag: flag.unwrap_or(Some(IpvlanFlag::Bridge))?,
    })
}

/// A VRF's table: one of its own, not the kernel's unspecified 0 (which
/// it refuses) nor the host's default, main and local tables (253-255).
fn lower_vrf(cx: &mut Ctx<'_>, here: &Here<'_>, r: &RawInterface) -> Option<Vrf> {
    let hint = "add `table: 10` (a routing table of its own: 1 to 252, or above 255)";
    let l = here.required(cx, &r.table, "vrf", "table", hint)?;
    cx.span(format!("{}.table", here.path), loc_of(l));
    // In range: fits a u32.
    let table = cx.ranged(l, &limits::VRF_TABLE)? as u32;
    if table == 0 || (253..=255).contains(&table) {
        cx.push(
            ProblemKind::InvalidValue,
            loc_of(l),
            format!("table {table} cannot be a VRF's table: 0 is no table, 253-255 are the host's default, main and local tables"),
            "use a table of its own: 1 to 252, or above 255",
        );
        return None;
    }
    Some(Vrf { table })
}

/// A port, or the default.
pub(super) fn port(cx: &mut Ctx<'_>, leaf: &Option<Leaf>, default: u16) -> Option<u16> {
    match leaf {
        Some(l) => Some(cx.number::<Port>(l, "port")?.get()),
        None => Some(default),
    }
}

/// A VNI, or a problem saying it is missing.
pub(super) fn vni(cx: &mut Ctx<'_>, here: &Here<'_>, r: &RawInterface) -> Option<u32> {
    let l = here.required(cx, &r.vni, "vxlan", "vni", "add `vni: 100` (0 to 16777215)")?;
    Some(cx.number::<Vni>(l, "VNI")?.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind's key is checked on every other kind only if `kind_keys`
    /// reads it: the keys `KINDS` names and those it reads are the same,
    /// and each is a key of the file's interfaces.
    #[test]
    fn every_kind_key_is_read_and_a_key_of_the_file() {
        let r = RawInterface::default();
        let mut read: Vec<&str> = kind_keys(&r).iter().map(|(k, _)| *k).collect();
        let mut named: Vec<&str> = KINDS
            .iter()
            .flat_map(|(_, k)| k.split_whitespace())
            .collect();
        read.sort_unstable();
        named.sort_unstable();
        named.dedup();
        assert_eq!(read, named);
        for k in read {
            assert!(RawInterface::MAP.keys.iter().any(|(f, _)| *f == k), "{k}");
        }
    }
}
