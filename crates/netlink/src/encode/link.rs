//! Link requests: `RTM_NEWLINK` for create (with the kind's
//! `IFLA_LINKINFO`) and for changes of an existing link.

use netlink_packet_core::{NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST};
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoBridgePort, InfoData, InfoKind, InfoPortData,
    InfoPortKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;
use std::os::fd::RawFd;

use super::{message, Message, Messages};
use crate::error::{Error, Op};
use crate::kinds::{bridge_change, link_info};
use crate::types::{LinkKind, LinkRef, NewLink, SetLink};

const FLAGS: u16 = NLM_F_REQUEST | NLM_F_ACK;
const OTHER_NS_ALIAS: &str = "the alias of a link created in another namespace must be \
                              set with SetLink on that namespace's socket";

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
    message(FLAGS, RouteNetlinkMessage::NewLink(msg))
}

/// The alias message sent once a create succeeded (refused for a link
/// made in another namespace).
fn alias_after(
    name: &str,
    alias: Option<&String>,
    netns_fd: Option<RawFd>,
) -> Result<Option<Message>, Error> {
    match alias {
        Some(_) if netns_fd.is_some() => Err(invalid(Op::NewLink, OTHER_NS_ALIAS)),
        Some(a) => Ok(Some(alias_by_name(name, a))),
        None => Ok(None),
    }
}

/// The attributes every link (and a veth's peer) may have.
fn common_attrs(
    name: &str,
    mtu: Option<u32>,
    mac: Option<[u8; 6]>,
    netns_fd: Option<RawFd>,
) -> Vec<LinkAttribute> {
    let mut attrs = vec![LinkAttribute::IfName(name.to_string())];
    attrs.extend(mtu.map(LinkAttribute::Mtu));
    attrs.extend(mac.map(|m| LinkAttribute::Address(m.to_vec())));
    attrs.extend(netns_fd.map(LinkAttribute::NetNsFd));
    attrs
}

pub(super) fn new_link(link: &NewLink) -> Result<Messages, Error> {
    let mut after_success = Vec::new();
    after_success.extend(alias_after(&link.name, link.alias.as_ref(), link.netns_fd)?);
    let mut msg = LinkMessage::default();
    up_flags(&mut msg, link.up.then_some(true));
    msg.attributes = common_attrs(&link.name, link.mtu, link.mac, None);
    let attrs = &mut msg.attributes;
    if let LinkKind::Device(kind) = &link.kind {
        attrs.extend(kind.parent().copied().map(LinkAttribute::Link));
    }
    attrs.extend(link.master.map(LinkAttribute::Controller));
    attrs.extend(link.netns_fd.map(LinkAttribute::NetNsFd));
    let info = match &link.kind {
        LinkKind::Veth {
            peer_name,
            peer_netns_fd,
            peer_mtu,
            peer_mac,
            peer_alias,
        } => {
            after_success.extend(alias_after(peer_name, peer_alias.as_ref(), *peer_netns_fd)?);
            let mut peer = LinkMessage::default();
            peer.attributes = common_attrs(peer_name, *peer_mtu, *peer_mac, *peer_netns_fd);
            vec![
                LinkInfo::Kind(InfoKind::Veth),
                LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
            ]
        }
        LinkKind::Device(kind) => link_info(kind)?,
    };
    attrs.push(LinkAttribute::LinkInfo(info));
    Ok(Messages {
        primary: vec![message(
            FLAGS | NLM_F_CREATE | NLM_F_EXCL,
            RouteNetlinkMessage::NewLink(msg),
        )],
        after_success,
    })
}

/// A message that names the link `set` changes.
fn targeting(set: &SetLink) -> LinkMessage {
    let mut msg = LinkMessage::default();
    match &set.link {
        LinkRef::Index(index) => msg.header.index = *index,
        LinkRef::Name(name) => msg.attributes.push(LinkAttribute::IfName(name.clone())),
    }
    msg
}

/// `IFLA_AF_SPEC` / `AF_INET6` / `IFLA_INET6_ADDR_GEN_MODE`: `eui64`
/// (a link-local address from the MAC, the kernel's default) or `none`.
fn addr_gen_mode(link_local: bool) -> LinkAttribute {
    let mode = if link_local {
        In6AddrGenMode::Eui64
    } else {
        In6AddrGenMode::None
    };
    LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(vec![AfSpecInet6::AddrGenMode(
        mode,
    )])])
}

fn hairpin(on: bool) -> LinkAttribute {
    LinkAttribute::LinkInfo(vec![
        LinkInfo::PortKind(InfoPortKind::Bridge),
        LinkInfo::PortData(InfoPortData::BridgePort(vec![InfoBridgePort::HairpinMode(
            on,
        )])),
    ])
}

/// The plain attribute changes of `set` (up, namespace, name, MTU, MAC,
/// master, alias).
fn plain_changes(set: &SetLink) -> LinkMessage {
    let mut msg = targeting(set);
    up_flags(&mut msg, set.up);
    let attrs = &mut msg.attributes;
    attrs.extend(set.netns_fd.map(LinkAttribute::NetNsFd));
    attrs.extend(set.name.clone().map(LinkAttribute::IfName));
    attrs.extend(set.mtu.map(LinkAttribute::Mtu));
    attrs.extend(set.mac.map(|m| LinkAttribute::Address(m.to_vec())));
    attrs.extend(set.master.map(LinkAttribute::Controller));
    attrs.extend(set.alias.clone().map(LinkAttribute::IfAlias));
    msg
}

pub(super) fn set_link(set: &SetLink) -> Result<Messages, Error> {
    if set.name.is_some() && matches!(set.link, LinkRef::Name(_)) {
        return Err(invalid(Op::SetLink, "renaming a link needs its index"));
    }
    let new_link = |m: LinkMessage| message(FLAGS, RouteNetlinkMessage::NewLink(m));
    let mut msg = plain_changes(set);
    let mut primary = Vec::new();
    if let Some(on) = set.ipv6_link_local {
        // Before `up` (in the message below), which the kernel applies
        // before IFLA_AF_SPEC within one message.
        let mut m = targeting(set);
        m.attributes.push(addr_gen_mode(on));
        primary.push(new_link(m));
    }
    match set.hairpin {
        // rtnl_changelink applies IFLA_INFO_SLAVE_DATA before do_setlink
        // changes the master: a new port needs its hairpin in a 2nd message.
        Some(b) if set.master.is_some() => {
            primary.push(new_link(msg));
            // By index even after a rename (names cannot be renamed).
            let mut second = targeting(set);
            second.attributes.push(hairpin(b));
            primary.push(new_link(second));
        }
        Some(b) => {
            msg.attributes.push(hairpin(b));
            primary.push(new_link(msg));
        }
        // A change of bridge options or address generation only: no
        // empty message beside it.
        None if (set.bridge.is_some() || set.ipv6_link_local.is_some())
            && msg.attributes.is_empty()
            && set.up.is_none()
            && matches!(set.link, LinkRef::Index(_)) => {}
        None => primary.push(new_link(msg)),
    }
    if let Some(b) = &set.bridge {
        let mut m = targeting(set);
        m.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Bridge),
            LinkInfo::Data(InfoData::Bridge(bridge_change(b))),
        ]));
        primary.push(new_link(m));
    }
    Ok(Messages {
        primary,
        after_success: Vec::new(),
    })
}
