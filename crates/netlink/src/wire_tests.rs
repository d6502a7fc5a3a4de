//! Address and route bytes, `NLMSG_ERROR`/`NLMSG_DONE` parsing with
//! extended-ack TLVs built by hand, and decoding of dump replies.

use std::net::IpAddr;

use netlink_packet_route::link::{
    InfoBridgePort, InfoData, InfoKind, InfoPortData, InfoPortKind, InfoVxlan, LinkAttribute,
    LinkInfo, LinkMessage,
};

use crate::encode::encode;
use crate::encode_tests::{attr, nlmsg, u32a, CREATE, REQ_ACK};
use crate::error::{Error, Op};
use crate::types::*;
use crate::wire::{self, Kind};

const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const RTM_NEWROUTE: u16 = 24;
const RTM_DELROUTE: u16 = 25;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_F_NODAD: u8 = 0x02;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_TABLE: u16 = 15;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_CAPPED: u16 = 0x100;
const NLM_F_ACK_TLVS: u16 = 0x200;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn octets(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// `struct ifaddrmsg`.
fn ifaddr(family: u8, prefix: u8, flags: u8, index: u32) -> Vec<u8> {
    let mut out = vec![family, prefix, flags, 0];
    out.extend(index.to_ne_bytes());
    out
}

#[test]
fn addresses_v4_and_v6() {
    let v4 = Address {
        index: 3,
        cidr: Cidr {
            addr: ip("10.1.0.1"),
            prefix: 24,
        },
    };
    let a = octets(v4.cidr.addr);
    let body = [
        ifaddr(2, 24, 0, 3),
        attr(IFA_LOCAL, &a),
        attr(IFA_ADDRESS, &a),
    ]
    .concat();
    assert_eq!(
        encode(&Request::AddAddress(v4), 4).unwrap(),
        nlmsg(RTM_NEWADDR, CREATE, 4, &body)
    );
    assert_eq!(
        encode(&Request::DelAddress(v4), 4).unwrap(),
        nlmsg(RTM_DELADDR, REQ_ACK, 4, &body)
    );

    // IPv6: AF_INET6 (10), IFA_F_NODAD so no DAD delay.
    let v6 = Address {
        index: 3,
        cidr: Cidr {
            addr: ip("fd00::1"),
            prefix: 64,
        },
    };
    let a = octets(v6.cidr.addr);
    let body = [
        ifaddr(10, 64, IFA_F_NODAD, 3),
        attr(IFA_LOCAL, &a),
        attr(IFA_ADDRESS, &a),
    ]
    .concat();
    assert_eq!(
        encode(&Request::AddAddress(v6), 4).unwrap(),
        nlmsg(RTM_NEWADDR, CREATE, 4, &body)
    );
}

/// `struct rtmsg`.
fn rtmsg(family: u8, dst_len: u8, table: u8, proto: u8, scope: u8, kind: u8) -> Vec<u8> {
    let mut out = vec![family, dst_len, 0, 0, table, proto, scope, kind];
    out.extend(0u32.to_ne_bytes());
    out
}

#[test]
fn route_with_gateway_and_metric() {
    let mut r = Route::unicast(
        Family::V4,
        Some(Cidr {
            addr: ip("10.2.0.0"),
            prefix: 24,
        }),
        Some(ip("10.1.0.254")),
        Some(3),
    );
    r.metric = Some(100);
    let attrs = [
        attr(RTA_DST, &[10, 2, 0, 0]),
        attr(RTA_GATEWAY, &[10, 1, 0, 254]),
        u32a(RTA_OIF, 3),
        u32a(RTA_PRIORITY, 100),
    ]
    .concat();
    // main table 254, RTPROT_STATIC 4, RT_SCOPE_UNIVERSE 0, RTN_UNICAST 1.
    let body = [rtmsg(2, 24, 254, 4, 0, 1), attrs.clone()].concat();
    assert_eq!(
        encode(&Request::AddRoute(r), 7).unwrap(),
        nlmsg(RTM_NEWROUTE, CREATE, 7, &body)
    );
    // Delete: RT_SCOPE_NOWHERE matches any scope.
    let body = [rtmsg(2, 24, 254, 4, 255, 1), attrs].concat();
    assert_eq!(
        encode(&Request::DelRoute(r), 7).unwrap(),
        nlmsg(RTM_DELROUTE, REQ_ACK, 7, &body)
    );
}

#[test]
fn default_v6_route_in_a_big_table() {
    let mut r = Route::unicast(Family::V6, None, Some(ip("fd00::fe")), None);
    r.table = 1000;
    // Tables above 255 go in RTA_TABLE with rtm_table RT_TABLE_UNSPEC.
    let body = [
        rtmsg(10, 0, 0, 4, 0, 1),
        attr(RTA_GATEWAY, &octets(ip("fd00::fe"))),
        u32a(RTA_TABLE, 1000),
    ]
    .concat();
    assert_eq!(
        encode(&Request::AddRoute(r), 1).unwrap(),
        nlmsg(RTM_NEWROUTE, CREATE, 1, &body)
    );
    let mut wrong = r;
    wrong.gateway = Some(ip("10.0.0.1"));
    assert_eq!(
        encode(&Request::AddRoute(wrong), 1).unwrap_err().errno(),
        libc::EINVAL
    );
}

/// An `NLMSG_ERROR` as the kernel sends it with NETLINK_CAP_ACK and
/// NETLINK_EXT_ACK: error, the request's header only, then TLVs.
fn capped_error(seq: u32, errno: i32, msg: &str, offset: u32) -> Vec<u8> {
    let mut text = msg.as_bytes().to_vec();
    text.push(0);
    let request_header = nlmsg(RTM_NEWROUTE, CREATE, seq, &[0; 12])[..16].to_vec();
    let body = [
        (-errno).to_ne_bytes().to_vec(),
        request_header,
        attr(1, &text),  // NLMSGERR_ATTR_MSG
        u32a(2, offset), // NLMSGERR_ATTR_OFFS
    ]
    .concat();
    nlmsg(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, seq, &body)
}

#[test]
fn error_with_extended_ack_is_parsed() {
    let bytes = capped_error(5, libc::EEXIST, "Link already exists", 32);
    let raw = wire::messages(&bytes).next().unwrap();
    assert_eq!(raw.seq, 5);
    let Kind::Ack(ack) = raw.kind() else {
        panic!("not an ack")
    };
    let err = ack.into_result(Op::NewLink).unwrap_err();
    assert_eq!(err.errno(), libc::EEXIST);
    assert_eq!(err.ext_ack(), Some("Link already exists"));
    assert_eq!(err.ext_ack_offset(), Some(32));
    assert_eq!(
        err.to_string(),
        "File exists (kernel: \"Link already exists\")"
    );
}

#[test]
fn uncapped_error_skips_the_echoed_request() {
    // Without NLM_F_CAPPED the whole request (here 28 bytes) is echoed
    // before the TLVs.
    let request = nlmsg(RTM_NEWROUTE, CREATE, 9, &[0xaa; 12]);
    let body = [
        (-libc::ENETUNREACH).to_ne_bytes().to_vec(),
        request,
        attr(1, b"Nexthop has invalid gateway\0"),
    ]
    .concat();
    let bytes = nlmsg(NLMSG_ERROR, NLM_F_ACK_TLVS, 9, &body);
    let Kind::Ack(ack) = wire::messages(&bytes).next().unwrap().kind() else {
        panic!()
    };
    assert_eq!(ack.errno, libc::ENETUNREACH);
    assert_eq!(ack.message.as_deref(), Some("Nexthop has invalid gateway"));
}

#[test]
fn plain_ack_and_error_without_tlvs() {
    let ok = nlmsg(
        NLMSG_ERROR,
        NLM_F_CAPPED,
        1,
        &[vec![0; 4], vec![0; 16]].concat(),
    );
    let err = nlmsg(
        NLMSG_ERROR,
        NLM_F_CAPPED,
        2,
        &[(-libc::ENODEV).to_ne_bytes().to_vec(), vec![0; 16]].concat(),
    );
    let both = [ok, err].concat();
    let acks: Vec<_> = wire::messages(&both)
        .map(|raw| match raw.kind() {
            Kind::Ack(ack) => (raw.seq, ack.into_result(Op::DelLink)),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(acks[0], (1, Ok(())));
    let e = acks[1].1.clone().unwrap_err();
    assert!(e.is_not_found());
    assert_eq!(e.to_string(), "No such device");
}

#[test]
fn done_with_error_and_message() {
    let body = [
        (-libc::EINVAL).to_ne_bytes().to_vec(),
        attr(1, b"bad filter\0"),
    ]
    .concat();
    let bytes = nlmsg(NLMSG_DONE, 0x2 | NLM_F_ACK_TLVS, 3, &body);
    let Kind::Done(status) = wire::messages(&bytes).next().unwrap().kind() else {
        panic!()
    };
    let err = status.into_result(Op::DumpRoutes).unwrap_err();
    assert_eq!(
        (err.errno(), err.ext_ack()),
        (libc::EINVAL, Some("bad filter"))
    );
    // A DONE with a 0 status ends a dump normally.
    let done = nlmsg(NLMSG_DONE, 0x2, 3, &0i32.to_ne_bytes());
    let Kind::Done(status) = wire::messages(&done).next().unwrap().kind() else {
        panic!()
    };
    assert_eq!(status.into_result(Op::DumpRoutes), Ok(()));
}

#[test]
fn local_errors_explain_themselves() {
    let e = Error::local(Op::SetLink, libc::EINVAL, "renaming a link needs its index");
    assert_eq!(
        e.to_string(),
        "Invalid argument: renaming a link needs its index"
    );
}

#[test]
fn decodes_bridge_port_hairpin_and_vxlan_group() {
    let mut msg = LinkMessage::default();
    msg.header.index = 4;
    msg.attributes = vec![
        LinkAttribute::IfName("vx0".into()),
        LinkAttribute::Controller(2),
        LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Vxlan),
            LinkInfo::Data(InfoData::Vxlan(vec![
                InfoVxlan::Id(5),
                InfoVxlan::Group("239.1.1.1".parse().unwrap()),
                InfoVxlan::Port(8472),
                InfoVxlan::Learning(true),
            ])),
            LinkInfo::PortKind(InfoPortKind::Bridge),
            LinkInfo::PortData(InfoPortData::BridgePort(vec![InfoBridgePort::HairpinMode(
                true,
            )])),
        ]),
    ];
    let link = crate::decode::link(&msg);
    assert_eq!(
        (link.index, link.name.as_str(), link.master),
        (4, "vx0", Some(2))
    );
    assert_eq!(link.kind.as_deref(), Some("vxlan"));
    assert_eq!(link.details.hairpin, Some(true));
    assert_eq!(
        link.details.info,
        Some(DeviceKind::Vxlan(Vxlan {
            vni: 5,
            remote: None,
            group: Some(ip("239.1.1.1")),
            local: None,
            dev: None,
            port: 8472,
            learning: true,
        }))
    );
}
