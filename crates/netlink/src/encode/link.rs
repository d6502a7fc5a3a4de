//! Link requests: `RTM_NEWLINK` for create (with the kind's
//! `IFLA_INFO_DATA`) and for changes of an existing link.

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_route::link::{
    BridgeStpState, InfoBridge, InfoBridgePort, InfoData, InfoIpVlan, InfoKind, InfoMacVlan,
    InfoPortData, InfoPortKind, InfoVeth, InfoVlan, InfoVxlan, IpVlanFlags, IpVlanMode,
    LinkAttribute, LinkFlags, LinkInfo, LinkMessage, MacVlanMode,
};
use netlink_packet_route::RouteNetlinkMessage;

use super::{message, Message, Messages};
use crate::error::{Error, Op};
use crate::types::{
    Bridge, IpvlanFlag, IpvlanMode, LinkKind, LinkRef, MacvlanMode, NewLink, SetLink, Vxlan,
};

pub(super) fn invalid(op: Op, detail: &str) -> Error {
    Error::local(op, libc::EINVAL, detail)
}

fn up_flags(msg: &mut LinkMessage, up: Option<bool>) {
    if let Some(up) = up {
        msg.header.change_mask = LinkFlags::Up;
        msg.header.flags = if up {
            LinkFlags::Up
        } else {
            LinkFlags::empty()
        };
    }
}

/// `RTM_NEWLINK` by name without create flags: sets the alias of a link
/// just created in this namespace.
fn alias_by_name(name: &str, alias: &str) -> Message {
    let mut msg = LinkMessage::default();
    msg.attributes = vec![
        LinkAttribute::IfName(name.to_string()),
        LinkAttribute::IfAlias(alias.to_string()),
    ];
    message(NLM_F_REQUEST | NLM_F_ACK, RouteNetlinkMessage::NewLink(msg))
}

pub(super) fn new_link(link: &NewLink) -> Result<Messages, Error> {
    const OTHER_NS_ALIAS: &str = "the alias of a link created in another namespace must be \
                                  set with SetLink on that namespace's socket";
    let mut after_success = Vec::new();
    if let Some(alias) = &link.alias {
        if link.netns_fd.is_some() {
            return Err(invalid(Op::NewLink, OTHER_NS_ALIAS));
        }
        after_success.push(alias_by_name(&link.name, alias));
    }
    let mut msg = LinkMessage::default();
    up_flags(&mut msg, link.up.then_some(true));
    let attrs = &mut msg.attributes;
    attrs.push(LinkAttribute::IfName(link.name.clone()));
    if let Some(mtu) = link.mtu {
        attrs.push(LinkAttribute::Mtu(mtu));
    }
    if let Some(mac) = link.mac {
        attrs.push(LinkAttribute::Address(mac.to_vec()));
    }
    if let Some(parent) = link.parent {
        attrs.push(LinkAttribute::Link(parent));
    }
    if let Some(master) = link.master {
        attrs.push(LinkAttribute::Controller(master));
    }
    if let Some(fd) = link.netns_fd {
        attrs.push(LinkAttribute::NetNsFd(fd));
    }
    let (kind, data) = match &link.kind {
        LinkKind::Veth {
            peer_name,
            peer_netns_fd,
            peer_mtu,
            peer_mac,
            peer_alias,
        } => {
            if let Some(alias) = peer_alias {
                if peer_netns_fd.is_some() {
                    return Err(invalid(Op::NewLink, OTHER_NS_ALIAS));
                }
                after_success.push(alias_by_name(peer_name, alias));
            }
            let mut peer = LinkMessage::default();
            peer.attributes
                .push(LinkAttribute::IfName(peer_name.clone()));
            if let Some(mtu) = peer_mtu {
                peer.attributes.push(LinkAttribute::Mtu(*mtu));
            }
            if let Some(mac) = peer_mac {
                peer.attributes.push(LinkAttribute::Address(mac.to_vec()));
            }
            if let Some(fd) = peer_netns_fd {
                peer.attributes.push(LinkAttribute::NetNsFd(*fd));
            }
            (InfoKind::Veth, InfoData::Veth(InfoVeth::Peer(peer)))
        }
        LinkKind::Bridge(Bridge {
            stp,
            ageing_secs,
            vlan_filtering,
        }) => {
            let stp = if *stp {
                BridgeStpState::KernelStp
            } else {
                BridgeStpState::Disabled
            };
            let mut data = vec![
                InfoBridge::StpState(stp),
                // IFLA_BR_AGEING_TIME is clock_t: hundredths of a second.
                InfoBridge::AgeingTime(ageing_secs.saturating_mul(100)),
            ];
            // Only when asked: without CONFIG_BRIDGE_VLAN_FILTERING the
            // kernel rejects the attribute even with value 0 (EOPNOTSUPP).
            if *vlan_filtering {
                data.push(InfoBridge::VlanFiltering(true));
            }
            (InfoKind::Bridge, InfoData::Bridge(data))
        }
        LinkKind::Vlan { id } => (InfoKind::Vlan, InfoData::Vlan(vec![InfoVlan::Id(*id)])),
        LinkKind::Macvlan { mode } => {
            let data = vec![InfoMacVlan::Mode(macvlan_mode(*mode))];
            (InfoKind::MacVlan, InfoData::MacVlan(data))
        }
        LinkKind::Ipvlan { mode, flags } => {
            let data = vec![
                InfoIpVlan::Mode(ipvlan_mode(*mode)),
                InfoIpVlan::Flags(ipvlan_flags(*flags)),
            ];
            (InfoKind::IpVlan, InfoData::IpVlan(data))
        }
        LinkKind::Vxlan(v) => (InfoKind::Vxlan, InfoData::Vxlan(vxlan(v)?)),
    };
    attrs.push(LinkAttribute::LinkInfo(vec![
        LinkInfo::Kind(kind),
        LinkInfo::Data(data),
    ]));
    Ok(Messages {
        primary: vec![message(
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
            RouteNetlinkMessage::NewLink(msg),
        )],
        after_success,
    })
}

fn vxlan(v: &Vxlan<u32>) -> Result<Vec<InfoVxlan>, Error> {
    if v.remote.is_some() && v.group.is_some() {
        return Err(invalid(
            Op::NewLink,
            "a vxlan has either a remote or a group, not both",
        ));
    }
    let peer = v.remote.or(v.group);
    if let (Some(p), Some(l)) = (peer, v.local) {
        if p.is_ipv4() != l.is_ipv4() {
            return Err(invalid(
                Op::NewLink,
                "vxlan local and remote/group differ in family",
            ));
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

fn macvlan_mode(mode: MacvlanMode) -> MacVlanMode {
    match mode {
        MacvlanMode::Private => MacVlanMode::Private,
        MacvlanMode::Vepa => MacVlanMode::Vepa,
        MacvlanMode::Bridge => MacVlanMode::Bridge,
        MacvlanMode::Passthru => MacVlanMode::Passthrough,
        MacvlanMode::Source => MacVlanMode::Source,
    }
}

fn ipvlan_mode(mode: IpvlanMode) -> IpVlanMode {
    match mode {
        IpvlanMode::L2 => IpVlanMode::L2,
        IpvlanMode::L3 => IpVlanMode::L3,
        IpvlanMode::L3s => IpVlanMode::L3S,
    }
}

fn ipvlan_flags(flag: IpvlanFlag) -> IpVlanFlags {
    match flag {
        IpvlanFlag::Bridge => IpVlanFlags::empty(),
        IpvlanFlag::Private => IpVlanFlags::Private,
        IpvlanFlag::Vepa => IpVlanFlags::Vepa,
    }
}

pub(super) fn set_link(set: &SetLink) -> Result<Messages, Error> {
    let target = |msg: &mut LinkMessage| match &set.link {
        LinkRef::Index(index) => msg.header.index = *index,
        LinkRef::Name(name) => msg.attributes.push(LinkAttribute::IfName(name.clone())),
    };
    if set.name.is_some() && matches!(set.link, LinkRef::Name(_)) {
        return Err(invalid(Op::SetLink, "renaming a link needs its index"));
    }
    let hairpin = |b: bool| {
        LinkAttribute::LinkInfo(vec![
            LinkInfo::PortKind(InfoPortKind::Bridge),
            LinkInfo::PortData(InfoPortData::BridgePort(vec![InfoBridgePort::HairpinMode(
                b,
            )])),
        ])
    };
    let mut msg = LinkMessage::default();
    target(&mut msg);
    up_flags(&mut msg, set.up);
    let attrs = &mut msg.attributes;
    if let Some(fd) = set.netns_fd {
        attrs.push(LinkAttribute::NetNsFd(fd));
    }
    if let Some(name) = &set.name {
        attrs.push(LinkAttribute::IfName(name.clone()));
    }
    if let Some(mtu) = set.mtu {
        attrs.push(LinkAttribute::Mtu(mtu));
    }
    if let Some(mac) = set.mac {
        attrs.push(LinkAttribute::Address(mac.to_vec()));
    }
    if let Some(master) = set.master {
        attrs.push(LinkAttribute::Controller(master));
    }
    if let Some(alias) = &set.alias {
        attrs.push(LinkAttribute::IfAlias(alias.clone()));
    }
    const FLAGS: u16 = NLM_F_REQUEST | NLM_F_ACK;
    let mut primary = Vec::new();
    match set.hairpin {
        // rtnl_changelink applies IFLA_INFO_SLAVE_DATA before do_setlink
        // changes the master: a new port needs its hairpin in a 2nd message.
        Some(b) if set.master.is_some() => {
            primary.push(message(FLAGS, RouteNetlinkMessage::NewLink(msg)));
            let mut second = LinkMessage::default();
            // By index even after a rename (names cannot be renamed).
            target(&mut second);
            second.attributes.push(hairpin(b));
            primary.push(message(FLAGS, RouteNetlinkMessage::NewLink(second)));
        }
        Some(b) => {
            msg.attributes.push(hairpin(b));
            primary.push(message(FLAGS, RouteNetlinkMessage::NewLink(msg)));
        }
        // A change of bridge options only: no empty message before it.
        None if set.bridge.is_some()
            && msg.attributes.is_empty()
            && set.up.is_none()
            && matches!(set.link, LinkRef::Index(_)) => {}
        None => primary.push(message(FLAGS, RouteNetlinkMessage::NewLink(msg))),
    }
    if let Some(b) = &set.bridge {
        let mut data = Vec::new();
        if let Some(stp) = b.stp {
            data.push(InfoBridge::StpState(if stp {
                BridgeStpState::KernelStp
            } else {
                BridgeStpState::Disabled
            }));
        }
        if let Some(secs) = b.ageing_secs {
            data.push(InfoBridge::AgeingTime(secs.saturating_mul(100)));
        }
        if let Some(v) = b.vlan_filtering {
            data.push(InfoBridge::VlanFiltering(v));
        }
        let mut m = LinkMessage::default();
        target(&mut m);
        m.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Bridge),
            LinkInfo::Data(InfoData::Bridge(data)),
        ]));
        primary.push(message(FLAGS, RouteNetlinkMessage::NewLink(m)));
    }
    Ok(Messages {
        primary,
        after_success: Vec::new(),
    })
}
