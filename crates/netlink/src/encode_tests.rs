//! Encoded bytes of link requests, compared with layouts written out by
//! hand from uapi/linux/netlink.h, rtnetlink.h and if_link.h.

use crate::encode::{encode, messages};
use crate::types::*;

// nlmsghdr types and flags (rtnetlink.h, netlink.h).
pub(crate) const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
pub(crate) const REQ_ACK: u16 = 0x1 | 0x4; // NLM_F_REQUEST | NLM_F_ACK
pub(crate) const CREATE: u16 = REQ_ACK | 0x400 | 0x200; // | NLM_F_CREATE | NLM_F_EXCL
                                                        // if_link.h
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_IFALIAS: u16 = 20;
const IFLA_NET_NS_FD: u16 = 28;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const IFLA_INFO_SLAVE_KIND: u16 = 4;
const IFLA_INFO_SLAVE_DATA: u16 = 5;
const VETH_INFO_PEER: u16 = 1;
const IFLA_BR_AGEING_TIME: u16 = 4;
const IFLA_BR_STP_STATE: u16 = 5;
const IFLA_BR_VLAN_FILTERING: u16 = 7;
const IFLA_BRPORT_MODE: u16 = 4;
const IFLA_MACVLAN_MODE: u16 = 1;
const IFLA_VXLAN_ID: u16 = 1;
const IFLA_VXLAN_GROUP: u16 = 2;
const IFLA_VXLAN_LINK: u16 = 3;
const IFLA_VXLAN_LOCAL: u16 = 4;
const IFLA_VXLAN_LEARNING: u16 = 7;
const IFLA_VXLAN_PORT: u16 = 15;
const IFLA_VXLAN_GROUP6: u16 = 16;
const IFF_UP: u32 = 1;

/// `struct nlmsghdr` + body; pid 0.
pub(crate) fn nlmsg(ty: u16, flags: u16, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(((16 + body.len()) as u32).to_ne_bytes());
    out.extend(ty.to_ne_bytes());
    out.extend(flags.to_ne_bytes());
    out.extend(seq.to_ne_bytes());
    out.extend(0u32.to_ne_bytes());
    out.extend(body);
    out
}

/// `struct rtattr`: length (without padding), type, value, pad to 4.
pub(crate) fn attr(ty: u16, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(((4 + value.len()) as u16).to_ne_bytes());
    out.extend(ty.to_ne_bytes());
    out.extend(value);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

pub(crate) fn u32a(ty: u16, v: u32) -> Vec<u8> {
    attr(ty, &v.to_ne_bytes())
}

fn cstr(ty: u16, s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    attr(ty, &v)
}

/// `struct ifinfomsg`: family AF_UNSPEC, type 0.
fn ifinfo(index: u32, flags: u32, change: u32) -> Vec<u8> {
    let mut out = vec![0u8, 0, 0, 0];
    out.extend(index.to_ne_bytes());
    out.extend(flags.to_ne_bytes());
    out.extend(change.to_ne_bytes());
    out
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn veth_with_peer_in_a_netns() {
    let mut link = NewLink::new(
        "v0",
        LinkKind::Veth {
            peer_name: "v1".into(),
            peer_netns_fd: Some(7),
            peer_mtu: Some(1300),
            peer_mac: None,
            peer_alias: None,
        },
    );
    link.mtu = Some(1400);
    link.up = true;
    let peer = cat(&[
        ifinfo(0, 0, 0),
        cstr(IFLA_IFNAME, "v1"),
        u32a(IFLA_MTU, 1300),
        u32a(IFLA_NET_NS_FD, 7),
    ]);
    let info = cat(&[
        cstr(IFLA_INFO_KIND, "veth"),
        attr(IFLA_INFO_DATA, &attr(VETH_INFO_PEER, &peer)),
    ]);
    let body = cat(&[
        ifinfo(0, IFF_UP, IFF_UP),
        cstr(IFLA_IFNAME, "v0"),
        u32a(IFLA_MTU, 1400),
        attr(IFLA_LINKINFO, &info),
    ]);
    let bytes = encode(&Request::NewLink(link), 42).unwrap();
    assert_eq!(bytes, nlmsg(RTM_NEWLINK, CREATE, 42, &body));
    // IFLA_INFO_KIND "veth": length 9 (4 + "veth\0"), padded to 12.
    let kind = [9, 0, 1, 0, b'v', b'e', b't', b'h', 0, 0, 0, 0];
    assert!(bytes.windows(12).any(|w| w == kind));
    // nlmsghdr: total length first, then type 16, flags 0x605.
    assert_eq!(&bytes[4..8], &[16, 0, 0x05, 0x06]);
}

#[test]
fn bridge_ageing_is_sent_in_centiseconds() {
    let kind = DeviceKind::Bridge(Bridge {
        stp: true,
        ageing_secs: 300,
        vlan_filtering: true,
    });
    let mut link = NewLink::new("br0", kind);
    link.mac = Some([2, 0, 0, 0, 0, 1]);
    let data = cat(&[
        u32a(IFLA_BR_STP_STATE, 1),
        u32a(IFLA_BR_AGEING_TIME, 30_000),
        attr(IFLA_BR_VLAN_FILTERING, &[1]),
    ]);
    let info = cat(&[cstr(IFLA_INFO_KIND, "bridge"), attr(IFLA_INFO_DATA, &data)]);
    let body = cat(&[
        ifinfo(0, 0, 0),
        cstr(IFLA_IFNAME, "br0"),
        attr(IFLA_ADDRESS, &[2, 0, 0, 0, 0, 1]),
        attr(IFLA_LINKINFO, &info),
    ]);
    assert_eq!(
        encode(&Request::NewLink(link), 1).unwrap(),
        nlmsg(RTM_NEWLINK, CREATE, 1, &body)
    );
}

#[test]
fn bridge_without_vlan_filtering_omits_the_attribute() {
    // Kernels without CONFIG_BRIDGE_VLAN_FILTERING reject it even as 0.
    let kind = DeviceKind::Bridge(Bridge {
        stp: false,
        ageing_secs: 0,
        vlan_filtering: false,
    });
    let bytes = encode(&Request::NewLink(NewLink::new("br0", kind)), 1).unwrap();
    let data = cat(&[u32a(IFLA_BR_STP_STATE, 0), u32a(IFLA_BR_AGEING_TIME, 0)]);
    let want = attr(IFLA_INFO_DATA, &data);
    assert!(bytes.ends_with(&want));
}

#[test]
fn macvlan_modes_use_the_uapi_bits() {
    for (mode, bits) in [
        (MacvlanMode::Private, 1),
        (MacvlanMode::Vepa, 2),
        (MacvlanMode::Bridge, 4),
        (MacvlanMode::Passthru, 8),
    ] {
        let kind = DeviceKind::Macvlan(Macvlan { parent: 5, mode });
        let mut link = NewLink::new("mv0", kind);
        link.master = Some(6);
        let info = cat(&[
            cstr(IFLA_INFO_KIND, "macvlan"),
            attr(IFLA_INFO_DATA, &u32a(IFLA_MACVLAN_MODE, bits)),
        ]);
        let body = cat(&[
            ifinfo(0, 0, 0),
            cstr(IFLA_IFNAME, "mv0"),
            u32a(IFLA_LINK, 5),
            u32a(IFLA_MASTER, 6),
            attr(IFLA_LINKINFO, &info),
        ]);
        let bytes = encode(&Request::NewLink(link), 3).unwrap();
        assert_eq!(bytes, nlmsg(RTM_NEWLINK, CREATE, 3, &body), "{mode:?}");
    }
}

#[test]
fn vxlan_remote_local_dev_port_learning() {
    let kind = DeviceKind::Vxlan(Vxlan {
        vni: 42,
        remote: Some("10.0.0.2".parse().unwrap()),
        group: None,
        local: Some("10.0.0.1".parse().unwrap()),
        dev: Some(3),
        port: 4789,
        learning: false,
    });
    let data = cat(&[
        u32a(IFLA_VXLAN_ID, 42),
        attr(IFLA_VXLAN_GROUP, &[10, 0, 0, 2]),
        attr(IFLA_VXLAN_LOCAL, &[10, 0, 0, 1]),
        u32a(IFLA_VXLAN_LINK, 3),
        attr(IFLA_VXLAN_PORT, &4789u16.to_be_bytes()), // __be16
        attr(IFLA_VXLAN_LEARNING, &[0]),
    ]);
    let info = cat(&[cstr(IFLA_INFO_KIND, "vxlan"), attr(IFLA_INFO_DATA, &data)]);
    let body = cat(&[
        ifinfo(0, 0, 0),
        cstr(IFLA_IFNAME, "vx0"),
        attr(IFLA_LINKINFO, &info),
    ]);
    let bytes = encode(&Request::NewLink(NewLink::new("vx0", kind)), 9).unwrap();
    assert_eq!(bytes, nlmsg(RTM_NEWLINK, CREATE, 9, &body));
}

#[test]
fn vxlan_v6_group_and_conflicts() {
    let group: std::net::IpAddr = "ff05::100".parse().unwrap();
    let kind = |remote, local| {
        DeviceKind::Vxlan(Vxlan {
            vni: 7,
            remote,
            group: Some(group),
            local,
            dev: None,
            port: 0,
            learning: true,
        })
    };
    let bytes = encode(&Request::NewLink(NewLink::new("vx", kind(None, None))), 1).unwrap();
    let std::net::IpAddr::V6(g) = group else {
        unreachable!()
    };
    assert!(bytes
        .windows(20)
        .any(|w| w == attr(IFLA_VXLAN_GROUP6, &g.octets())));
    let both = kind(Some("fd00::1".parse().unwrap()), None);
    let err = encode(&Request::NewLink(NewLink::new("vx", both)), 1).unwrap_err();
    assert_eq!(err.errno(), libc::EINVAL);
    let mixed = kind(None, Some("10.0.0.1".parse().unwrap()));
    assert_eq!(
        encode(&Request::NewLink(NewLink::new("vx", mixed)), 1)
            .unwrap_err()
            .errno(),
        libc::EINVAL
    );
}

#[test]
fn set_link_master_then_hairpin_in_two_messages() {
    let mut set = SetLink::index(9);
    set.master = Some(4);
    set.hairpin = Some(true);
    let port = cat(&[
        cstr(IFLA_INFO_SLAVE_KIND, "bridge"),
        attr(IFLA_INFO_SLAVE_DATA, &attr(IFLA_BRPORT_MODE, &[1])),
    ]);
    let first = nlmsg(
        RTM_NEWLINK,
        REQ_ACK,
        5,
        &cat(&[ifinfo(9, 0, 0), u32a(IFLA_MASTER, 4)]),
    );
    let second = nlmsg(
        RTM_NEWLINK,
        REQ_ACK,
        6,
        &cat(&[ifinfo(9, 0, 0), attr(IFLA_LINKINFO, &port)]),
    );
    assert_eq!(
        encode(&Request::SetLink(set.clone()), 5).unwrap(),
        cat(&[first, second])
    );
    assert_eq!(messages(&Request::SetLink(set)).unwrap().primary.len(), 2);

    // Without a master change, one message; nomaster is IFLA_MASTER 0.
    let mut set = SetLink::index(9);
    set.hairpin = Some(false);
    set.up = Some(false);
    let port = cat(&[
        cstr(IFLA_INFO_SLAVE_KIND, "bridge"),
        attr(IFLA_INFO_SLAVE_DATA, &attr(IFLA_BRPORT_MODE, &[0])),
    ]);
    let body = cat(&[ifinfo(9, 0, IFF_UP), attr(IFLA_LINKINFO, &port)]);
    assert_eq!(
        encode(&Request::SetLink(set), 5).unwrap(),
        nlmsg(RTM_NEWLINK, REQ_ACK, 5, &body)
    );
    let mut set = SetLink::index(9);
    set.master = Some(0);
    let body = cat(&[ifinfo(9, 0, 0), u32a(IFLA_MASTER, 0)]);
    assert_eq!(
        encode(&Request::SetLink(set), 5).unwrap(),
        nlmsg(RTM_NEWLINK, REQ_ACK, 5, &body)
    );
}

#[test]
fn set_link_by_name_with_move_alias_mtu() {
    let mut set = SetLink::name("b0");
    set.netns_fd = Some(11);
    set.mtu = Some(9000);
    set.alias = Some("nslab:lab".into());
    set.up = Some(true);
    let body = cat(&[
        ifinfo(0, IFF_UP, IFF_UP),
        cstr(IFLA_IFNAME, "b0"),
        u32a(IFLA_NET_NS_FD, 11),
        u32a(IFLA_MTU, 9000),
        cstr(IFLA_IFALIAS, "nslab:lab"),
    ]);
    assert_eq!(
        encode(&Request::SetLink(set), 2).unwrap(),
        nlmsg(RTM_NEWLINK, REQ_ACK, 2, &body)
    );
    let mut rename = SetLink::name("b0");
    rename.name = Some("b1".into());
    assert_eq!(
        encode(&Request::SetLink(rename), 2).unwrap_err().errno(),
        libc::EINVAL
    );
}

#[test]
fn new_link_alias_is_set_after_the_create() {
    let mut link = NewLink::new("v0", LinkKind::veth("v1"));
    link.alias = Some("nslab:x".into());
    let msgs = messages(&Request::NewLink(link.clone())).unwrap();
    assert_eq!(msgs.primary.len(), 1);
    assert_eq!(msgs.after_success.len(), 1);
    let bytes = encode(&Request::NewLink(link.clone()), 1).unwrap();
    let set = cat(&[
        ifinfo(0, 0, 0),
        cstr(IFLA_IFNAME, "v0"),
        cstr(IFLA_IFALIAS, "nslab:x"),
    ]);
    assert!(bytes.ends_with(&nlmsg(RTM_NEWLINK, REQ_ACK, 2, &set)));
    // Not reachable from this socket once created elsewhere.
    link.netns_fd = Some(3);
    assert_eq!(
        encode(&Request::NewLink(link), 1).unwrap_err().errno(),
        libc::EINVAL
    );
    let peer_elsewhere = LinkKind::Veth {
        peer_name: "v1".into(),
        peer_netns_fd: Some(3),
        peer_mtu: None,
        peer_mac: None,
        peer_alias: Some("nslab:x".into()),
    };
    let err = encode(&Request::NewLink(NewLink::new("v0", peer_elsewhere)), 1).unwrap_err();
    assert_eq!((err.errno(), err.op()), (libc::EINVAL, crate::Op::NewLink));
}

#[test]
fn del_link_is_an_ifinfomsg_with_the_index() {
    let bytes = encode(&Request::DelLink { index: 77 }, 8).unwrap();
    assert_eq!(bytes, nlmsg(RTM_DELLINK, REQ_ACK, 8, &ifinfo(77, 0, 0)));
}

#[test]
fn bridge_options_change_in_place_with_only_the_changed_fields() {
    // `ip link set br0 type bridge stp_state 1`: kind bridge, only stp.
    let mut set = SetLink::index(7);
    set.bridge = Some(BridgeChange {
        stp: Some(true),
        ..BridgeChange::default()
    });
    let info = cat(&[
        cstr(IFLA_INFO_KIND, "bridge"),
        attr(IFLA_INFO_DATA, &u32a(IFLA_BR_STP_STATE, 1)),
    ]);
    let body = cat(&[ifinfo(7, 0, 0), attr(IFLA_LINKINFO, &info)]);
    assert_eq!(
        encode(&Request::SetLink(set), 5).unwrap(),
        nlmsg(RTM_NEWLINK, REQ_ACK, 5, &body)
    );
    // Turning vlan filtering off sends 0; ageing in centiseconds; with an
    // MTU change too, the options follow in a message of their own.
    let mut set = SetLink::index(7);
    set.mtu = Some(1400);
    set.bridge = Some(BridgeChange {
        stp: None,
        ageing_secs: Some(20),
        vlan_filtering: Some(false),
    });
    let data = cat(&[
        u32a(IFLA_BR_AGEING_TIME, 2000),
        attr(IFLA_BR_VLAN_FILTERING, &[0]),
    ]);
    let info = cat(&[cstr(IFLA_INFO_KIND, "bridge"), attr(IFLA_INFO_DATA, &data)]);
    let first = nlmsg(
        RTM_NEWLINK,
        REQ_ACK,
        5,
        &cat(&[ifinfo(7, 0, 0), u32a(IFLA_MTU, 1400)]),
    );
    let second = nlmsg(
        RTM_NEWLINK,
        REQ_ACK,
        6,
        &cat(&[ifinfo(7, 0, 0), attr(IFLA_LINKINFO, &info)]),
    );
    assert_eq!(
        encode(&Request::SetLink(set), 5).unwrap(),
        cat(&[first, second])
    );
}

#[test]
fn dummy_and_vrf_bytes() {
    const IFLA_VRF_TABLE: u16 = 1;
    let vrf = NewLink::new("red", DeviceKind::Vrf(nslab_types::Vrf { table: 10 }));
    let info = cat(&[
        cstr(IFLA_INFO_KIND, "vrf"),
        attr(IFLA_INFO_DATA, &u32a(IFLA_VRF_TABLE, 10)),
    ]);
    let body = cat(&[
        ifinfo(0, 0, 0),
        cstr(IFLA_IFNAME, "red"),
        attr(IFLA_LINKINFO, &info),
    ]);
    let bytes = encode(&Request::NewLink(vrf), 3).unwrap();
    assert_eq!(bytes, nlmsg(RTM_NEWLINK, CREATE, 3, &body));
    // A dummy has no IFLA_INFO_DATA at all.
    let dummy = NewLink::new("d0", DeviceKind::Dummy(nslab_types::Dummy {}));
    let info = cstr(IFLA_INFO_KIND, "dummy");
    let body = cat(&[
        ifinfo(0, 0, 0),
        cstr(IFLA_IFNAME, "d0"),
        attr(IFLA_LINKINFO, &info),
    ]);
    let bytes = encode(&Request::NewLink(dummy), 4).unwrap();
    assert_eq!(bytes, nlmsg(RTM_NEWLINK, CREATE, 4, &body));
}
