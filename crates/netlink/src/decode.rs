//! Dump replies (`netlink-packet-route` messages) -> plain types.

use std::net::IpAddr;

use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoBridgePort, InfoData, InfoPortData,
    LinkAttribute, LinkFlags, LinkInfo, LinkMessage, LinkProtoInfoBridge,
};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use netlink_packet_route::AddressFamily;

use crate::kinds;
use crate::types::{Address, Cidr, Family, Link, LinkDetails, Route};

/// `IFLA_BRPORT_MODE` inside `IFLA_PROTINFO` (AF_BRIDGE dumps).
const IFLA_BRPORT_MODE: u16 = 4;

/// The link a `RTM_NEWLINK` reply describes.
pub fn link(msg: &LinkMessage) -> Link {
    let mut link = Link {
        index: msg.header.index,
        name: String::new(),
        kind: None,
        mtu: 0,
        mac: None,
        alias: None,
        master: None,
        admin_up: msg.header.flags.contains(LinkFlags::Up),
        oper_state: "UNKNOWN".to_string(),
        link: None,
        link_netnsid: None,
        details: LinkDetails::default(),
    };
    let mut data = None;
    for attr in &msg.attributes {
        match attr {
            LinkAttribute::IfName(name) => link.name = name.clone(),
            LinkAttribute::Mtu(mtu) => link.mtu = *mtu,
            LinkAttribute::Address(mac) => link.mac = <[u8; 6]>::try_from(mac.as_slice()).ok(),
            LinkAttribute::IfAlias(alias) => link.alias = Some(alias.clone()),
            LinkAttribute::Controller(master) => link.master = Some(*master),
            LinkAttribute::OperState(state) => link.oper_state = state.to_string(),
            LinkAttribute::Link(index) => link.link = Some(*index),
            LinkAttribute::LinkNetNsId(id) => link.link_netnsid = Some(*id),
            LinkAttribute::LinkInfo(infos) => data = link_info(infos, &mut link),
            LinkAttribute::AfSpecUnspec(afs) => {
                link.details.ipv6_link_local = ipv6_link_local(afs);
            }
            LinkAttribute::ProtoInfoBridge(infos) => {
                for info in infos {
                    if let LinkProtoInfoBridge::Other(nla) = info {
                        use netlink_packet_core::Nla;
                        let mut value = [0u8; 1];
                        if nla.kind() == IFLA_BRPORT_MODE && nla.value_len() == 1 {
                            nla.emit_value(&mut value);
                            link.details.hairpin = Some(value[0] != 0);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    link.details.info = kinds::device(link.kind.as_deref(), data, link.link);
    link
}

/// Whether IPv6 gives the link a link-local address: its address
/// generation mode is not `none`; `None` without IPv6 on the link.
fn ipv6_link_local(afs: &[AfSpecUnspec]) -> Option<bool> {
    afs.iter().find_map(|af| match af {
        AfSpecUnspec::Inet6(attrs) => Some(
            attrs
                .iter()
                .find_map(|a| match a {
                    AfSpecInet6::AddrGenMode(m) => Some(*m != In6AddrGenMode::None),
                    _ => None,
                })
                .unwrap_or(true),
        ),
        _ => None,
    })
}

/// Reads `IFLA_LINKINFO` into `link`; returns its `IFLA_INFO_DATA`.
fn link_info<'a>(infos: &'a [LinkInfo], link: &mut Link) -> Option<&'a InfoData> {
    let mut data = None;
    for info in infos {
        match info {
            LinkInfo::Kind(kind) => link.kind = Some(kind.to_string()),
            LinkInfo::Data(d) => data = Some(d),
            LinkInfo::PortData(InfoPortData::BridgePort(port)) => {
                for attr in port {
                    if let InfoBridgePort::HairpinMode(on) = attr {
                        link.details.hairpin = Some(*on);
                    }
                }
            }
            _ => {}
        }
    }
    data
}

/// The address a `RTM_NEWADDR` reply describes; `None` without one.
pub fn address(msg: &AddressMessage) -> Option<Address> {
    // IFA_LOCAL is the local address when present (IPv4 always, IPv6
    // with a peer); IFA_ADDRESS is then the peer.
    let mut local = None;
    let mut address = None;
    for attr in &msg.attributes {
        match attr {
            AddressAttribute::Local(a) => local = Some(*a),
            AddressAttribute::Address(a) => address = Some(*a),
            _ => {}
        }
    }
    Some(Address {
        index: msg.header.index,
        cidr: Cidr {
            addr: local.or(address)?,
            prefix: msg.header.prefix_len,
        },
    })
}

fn route_addr(addr: &RouteAddress) -> Option<IpAddr> {
    match addr {
        RouteAddress::Inet(a) => Some(IpAddr::V4(*a)),
        RouteAddress::Inet6(a) => Some(IpAddr::V6(*a)),
        _ => None,
    }
}

/// The route a `RTM_NEWROUTE` reply describes; `None` if not IPv4/IPv6.
pub fn route(msg: &RouteMessage) -> Option<Route> {
    let h = &msg.header;
    let family = match h.address_family {
        AddressFamily::Inet => Family::V4,
        AddressFamily::Inet6 => Family::V6,
        _ => return None,
    };
    let mut r = Route {
        table: u32::from(h.table),
        dst: None,
        family,
        gateway: None,
        oif: None,
        metric: None,
        prefsrc: None,
        protocol: h.protocol.into(),
        scope: h.scope.into(),
        kind: h.kind.into(),
    };
    for attr in &msg.attributes {
        match attr {
            RouteAttribute::Table(t) => r.table = *t,
            RouteAttribute::Destination(a) => {
                r.dst = route_addr(a).map(|addr| Cidr {
                    addr,
                    prefix: h.destination_prefix_length,
                })
            }
            RouteAttribute::Gateway(a) => r.gateway = route_addr(a),
            RouteAttribute::PrefSource(a) => r.prefsrc = route_addr(a),
            RouteAttribute::Oif(i) => r.oif = Some(*i),
            RouteAttribute::Priority(m) => r.metric = Some(*m),
            _ => {}
        }
    }
    if h.destination_prefix_length == 0 {
        r.dst = None;
    }
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{DeviceKind, Tap};
    use netlink_packet_core::DefaultNla;
    use netlink_packet_route::link::InfoTun;

    /// `IFLA_TUN_OWNER` inside `IFLA_INFO_DATA` of kind "tun".
    const IFLA_TUN_OWNER: u16 = 1;

    fn tun_link(data: Vec<InfoTun>) -> Link {
        let mut msg = LinkMessage::default();
        msg.header.index = 7;
        msg.attributes.push(LinkAttribute::IfName("t0".into()));
        msg.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(netlink_packet_route::link::InfoKind::Tun),
            LinkInfo::Data(InfoData::Tun(data)),
        ]));
        link(&msg)
    }

    #[test]
    fn a_taps_owner_is_read_back() {
        let owned = tun_link(vec![
            InfoTun::Other(DefaultNla::new(
                IFLA_TUN_OWNER,
                1000u32.to_ne_bytes().to_vec(),
            )),
            // IFLA_TUN_TYPE and others are ignored.
            InfoTun::Other(DefaultNla::new(3, vec![2])),
        ]);
        assert_eq!(owned.kind.as_deref(), Some("tun"));
        assert_eq!(
            owned.details.info,
            Some(DeviceKind::Tap(Tap { owner: Some(1000) }))
        );
        let unowned = tun_link(vec![InfoTun::Other(DefaultNla::new(3, vec![2]))]);
        assert_eq!(
            unowned.details.info,
            Some(DeviceKind::Tap(Tap { owner: None }))
        );
    }
}
