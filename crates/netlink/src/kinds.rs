//! Device kinds on the wire: the `IFLA_LINKINFO` that makes each kind of
//! [`DeviceKind`], and the [`DeviceKind`] a dump reply describes. A new
//! kind is added here (and in `nslab_types`), nowhere else in this crate.

use std::net::IpAddr;

use netlink_packet_core::Nla;
use netlink_packet_route::link::{
    BridgeStpState, InfoBridge, InfoData, InfoIpVlan, InfoKind, InfoMacVlan, InfoTun, InfoVlan,
    InfoVrf, InfoVxlan, IpVlanFlags, IpVlanMode, LinkInfo, MacVlanMode,
};
use nslab_types::{Dummy, Vrf};

use crate::error::{Error, Op};
use crate::types::{
    Bridge, BridgeChange, DeviceKind, Ipvlan, IpvlanFlag, IpvlanMode, Macvlan, MacvlanMode, Tap,
    Vlan, Vxlan,
};

/// `IFLA_TUN_OWNER` inside `IFLA_INFO_DATA` of kind "tun" (uapi/linux/if_link.h).
const IFLA_TUN_OWNER: u16 = 1;

fn invalid(detail: &str) -> Error {
    Error::local(Op::NewLink, libc::EINVAL, detail)
}

/// `IFLA_INFO_KIND` and `IFLA_INFO_DATA` that create `kind` (its parent
/// goes in `IFLA_LINK`, outside of these).
pub(crate) fn link_info(kind: &DeviceKind<u32>) -> Result<Vec<LinkInfo>, Error> {
    let (info_kind, data) = match kind {
        DeviceKind::Bridge(b) => (InfoKind::Bridge, Some(InfoData::Bridge(new_bridge(b)))),
        DeviceKind::Vlan(v) => (
            InfoKind::Vlan,
            Some(InfoData::Vlan(vec![InfoVlan::Id(v.id)])),
        ),
        DeviceKind::Macvlan(m) => {
            let data = vec![InfoMacVlan::Mode(wire(&MACVLAN_MODES, &m.mode)?)];
            (InfoKind::MacVlan, Some(InfoData::MacVlan(data)))
        }
        DeviceKind::Ipvlan(i) => {
            let data = vec![
                InfoIpVlan::Mode(wire(&IPVLAN_MODES, &i.mode)?),
                InfoIpVlan::Flags(ipvlan_flags(i.flag)),
            ];
            (InfoKind::IpVlan, Some(InfoData::IpVlan(data)))
        }
        DeviceKind::Vxlan(v) => (InfoKind::Vxlan, Some(InfoData::Vxlan(vxlan(v)?))),
        DeviceKind::Dummy(_) => (InfoKind::Dummy, None),
        DeviceKind::Vrf(v) => (
            InfoKind::Vrf,
            Some(InfoData::Vrf(vec![InfoVrf::TableId(v.table)])),
        ),
        DeviceKind::Tap(_) => {
            return Err(invalid(
                "a tap is made with TUNSETIFF (nslab_sys::tap), not RTM_NEWLINK",
            ))
        }
    };
    let mut out = vec![LinkInfo::Kind(info_kind)];
    out.extend(data.map(LinkInfo::Data));
    Ok(out)
}

/// The device a dump reply describes: its `IFLA_INFO_KIND`, its
/// `IFLA_INFO_DATA` and its `IFLA_LINK` (the parent); `None` for kinds
/// nslab does not make, or that lack what their kind needs.
pub(crate) fn device(
    kind: Option<&str>,
    data: Option<&InfoData>,
    link: Option<u32>,
) -> Option<DeviceKind<u32>> {
    Some(match (kind?, data) {
        // The tun driver gives no IFLA_INFO_DATA before Linux 4.15.
        ("tun", data) => DeviceKind::Tap(tun(data)),
        ("dummy", _) => DeviceKind::Dummy(Dummy {}),
        (_, Some(InfoData::Vrf(attrs))) => DeviceKind::Vrf(Vrf {
            table: attrs.iter().find_map(|a| match a {
                InfoVrf::TableId(t) => Some(*t),
                _ => None,
            })?,
        }),
        (_, Some(InfoData::Bridge(attrs))) => DeviceKind::Bridge(bridge(attrs)),
        (_, Some(InfoData::Vlan(attrs))) => DeviceKind::Vlan(Vlan {
            parent: link?,
            id: attrs.iter().find_map(|a| match a {
                InfoVlan::Id(id) => Some(*id),
                _ => None,
            })?,
        }),
        (_, Some(InfoData::MacVlan(attrs))) => DeviceKind::Macvlan(Macvlan {
            parent: link?,
            mode: attrs.iter().find_map(|a| match a {
                InfoMacVlan::Mode(mode) => ours(&MACVLAN_MODES, mode),
                _ => None,
            })?,
        }),
        (_, Some(InfoData::IpVlan(attrs))) => DeviceKind::Ipvlan(ipvlan(attrs, link?)?),
        (_, Some(InfoData::Vxlan(attrs))) => DeviceKind::Vxlan(decode_vxlan(attrs)),
        _ => return None,
    })
}

/// A new bridge's options: all of them, but VLAN filtering only when
/// asked (without CONFIG_BRIDGE_VLAN_FILTERING the kernel rejects the
/// attribute even with value 0, EOPNOTSUPP).
fn new_bridge(b: &Bridge) -> Vec<InfoBridge> {
    bridge_change(&BridgeChange {
        stp: Some(b.stp),
        ageing_secs: Some(b.ageing_secs),
        vlan_filtering: b.vlan_filtering.then_some(true),
    })
}

/// The `IFLA_INFO_DATA` of a bridge for the options `c` sets.
pub(crate) fn bridge_change(c: &BridgeChange) -> Vec<InfoBridge> {
    let mut data = Vec::new();
    if let Some(stp) = c.stp {
        data.push(InfoBridge::StpState(if stp {
            BridgeStpState::KernelStp
        } else {
            BridgeStpState::Disabled
        }));
    }
    if let Some(secs) = c.ageing_secs {
        // IFLA_BR_AGEING_TIME is clock_t: hundredths of a second.
        data.push(InfoBridge::AgeingTime(secs.saturating_mul(100)));
    }
    if let Some(v) = c.vlan_filtering {
        data.push(InfoBridge::VlanFiltering(v));
    }
    data
}

fn bridge(attrs: &[InfoBridge]) -> Bridge {
    let mut b = Bridge {
        ageing_secs: 0,
        ..Bridge::default()
    };
    for attr in attrs {
        match attr {
            InfoBridge::StpState(s) => b.stp = *s != BridgeStpState::Disabled,
            InfoBridge::AgeingTime(cs) => b.ageing_secs = cs / 100,
            InfoBridge::VlanFiltering(v) => b.vlan_filtering = *v,
            _ => {}
        }
    }
    b
}

fn tun(data: Option<&InfoData>) -> Tap {
    let mut owner = None;
    let attrs = match data {
        Some(InfoData::Tun(attrs)) => attrs.as_slice(),
        _ => &[],
    };
    for attr in attrs {
        let InfoTun::Other(nla) = attr else { continue };
        if nla.kind() == IFLA_TUN_OWNER && nla.value_len() == 4 {
            let mut v = [0u8; 4];
            nla.emit_value(&mut v);
            owner = Some(u32::from_ne_bytes(v));
        }
    }
    Tap { owner }
}

/// The modes as nslab names them and as the wire does: one table each,
/// read both ways by [`wire`] and [`ours`].
const MACVLAN_MODES: [(MacvlanMode, MacVlanMode); 5] = [
    (MacvlanMode::Private, MacVlanMode::Private),
    (MacvlanMode::Vepa, MacVlanMode::Vepa),
    (MacvlanMode::Bridge, MacVlanMode::Bridge),
    (MacvlanMode::Passthru, MacVlanMode::Passthrough),
    (MacvlanMode::Source, MacVlanMode::Source),
];

const IPVLAN_MODES: [(IpvlanMode, IpVlanMode); 3] = [
    (IpvlanMode::L2, IpVlanMode::L2),
    (IpvlanMode::L3, IpVlanMode::L3),
    (IpvlanMode::L3s, IpVlanMode::L3S),
];

/// The wire's name for `ours`.
fn wire<A: PartialEq, W: Copy>(table: &[(A, W)], ours: &A) -> Result<W, Error> {
    let found = table.iter().find(|(a, _)| a == ours).map(|(_, w)| *w);
    found.ok_or_else(|| invalid("a mode the wire has no name for"))
}

/// Our name for `wire`, if we have one.
fn ours<A: Copy, W: PartialEq>(table: &[(A, W)], wire: &W) -> Option<A> {
    table.iter().find(|(_, w)| w == wire).map(|(a, _)| *a)
}

fn ipvlan_flags(flag: IpvlanFlag) -> IpVlanFlags {
    match flag {
        IpvlanFlag::Bridge => IpVlanFlags::empty(),
        IpvlanFlag::Private => IpVlanFlags::Private,
        IpvlanFlag::Vepa => IpVlanFlags::Vepa,
    }
}

fn ipvlan(attrs: &[InfoIpVlan], parent: u32) -> Option<Ipvlan<u32>> {
    let mut mode = None;
    let mut flag = IpvlanFlag::Bridge;
    for attr in attrs {
        match attr {
            InfoIpVlan::Mode(w) => {
                mode = ours(&IPVLAN_MODES, w);
            }
            InfoIpVlan::Flags(f) if f.contains(IpVlanFlags::Private) => flag = IpvlanFlag::Private,
            InfoIpVlan::Flags(f) if f.contains(IpVlanFlags::Vepa) => flag = IpvlanFlag::Vepa,
            _ => {}
        }
    }
    Some(Ipvlan {
        parent,
        mode: mode?,
        flag,
    })
}

fn vxlan(v: &Vxlan<u32>) -> Result<Vec<InfoVxlan>, Error> {
    if v.remote.is_some() && v.group.is_some() {
        return Err(invalid("a vxlan has either a remote or a group, not both"));
    }
    let peer = v.remote.or(v.group);
    if let (Some(p), Some(l)) = (peer, v.local) {
        if p.is_ipv4() != l.is_ipv4() {
            return Err(invalid("vxlan local and remote/group differ in family"));
        }
    }
    let mut data = vec![InfoVxlan::Id(v.vni)];
    match peer {
        Some(IpAddr::V4(a)) => data.push(InfoVxlan::Group(a)),
        Some(IpAddr::V6(a)) => data.push(InfoVxlan::Group6(a)),
        None => {}
    }
    match v.local {
        Some(IpAddr::V4(a)) => data.push(InfoVxlan::Local(a)),
        Some(IpAddr::V6(a)) => data.push(InfoVxlan::Local6(a)),
        None => {}
    }
    if let Some(dev) = v.dev {
        data.push(InfoVxlan::Link(dev));
    }
    if v.port != 0 {
        data.push(InfoVxlan::Port(v.port));
    }
    data.push(InfoVxlan::Learning(v.learning));
    Ok(data)
}

fn decode_vxlan(attrs: &[InfoVxlan]) -> Vxlan<u32> {
    let mut v = Vxlan {
        vni: 0,
        remote: None,
        group: None,
        local: None,
        dev: None,
        port: 0,
        learning: false,
    };
    for attr in attrs {
        match attr {
            InfoVxlan::Id(id) => v.vni = *id,
            InfoVxlan::Group(a) => v.remote = Some(IpAddr::V4(*a)),
            InfoVxlan::Group6(a) => v.remote = Some(IpAddr::V6(*a)),
            InfoVxlan::Local(a) => v.local = Some(IpAddr::V4(*a)),
            InfoVxlan::Local6(a) => v.local = Some(IpAddr::V6(*a)),
            InfoVxlan::Link(index) => v.dev = Some(*index),
            InfoVxlan::Port(p) => v.port = *p,
            InfoVxlan::Learning(l) => v.learning = *l,
            _ => {}
        }
    }
    // The kernel keeps remote and group in one field (vxlan_fill_info).
    if v.remote.is_some_and(|p| p.is_multicast()) {
        v.group = v.remote.take();
    }
    v
}
