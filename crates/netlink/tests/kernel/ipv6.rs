//! IPv6 link-local address generation, set before a link goes up.

use std::time::{Duration, Instant};

use nslab_netlink::*;

use crate::common::*;

fn veth_pair(s: &mut Socket) {
    let veth = NewLink::new(
        "a",
        LinkKind::Veth {
            peer_name: "b".into(),
            peer_netns_fd: None,
            peer_mtu: None,
            peer_mac: None,
            peer_alias: None,
        },
    );
    ok_all(s.execute(&[Request::NewLink(veth)]));
}

fn link_locals(s: &mut Socket, name: &str) -> usize {
    let index = s.link_by_name(name).unwrap().unwrap().index;
    s.addresses()
        .unwrap()
        .iter()
        .filter(|a| a.index == index && a.cidr.to_string().starts_with("fe80:"))
        .count()
}

/// `none` set before `up`, in the same `execute` (the mode goes in a
/// message before the one with `up`): the link never gets a link-local
/// address and reads back `Some(false)`; its peer, left alone, gets one
/// and reads back `Some(true)`.
#[test]
fn addr_gen_mode_none_before_up_keeps_a_link_without_link_local() {
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        veth_pair(&mut s);
        let mut a = SetLink::name("a");
        a.ipv6_link_local = Some(false);
        a.up = Some(true);
        let mut b = SetLink::name("b");
        b.up = Some(true);
        ok_all(s.execute(&[Request::SetLink(a), Request::SetLink(b)]));
        let links = s.links().unwrap();
        assert_eq!(by_name(&links, "a").details.ipv6_link_local, Some(false));
        assert_eq!(by_name(&links, "b").details.ipv6_link_local, Some(true));
        // b's link-local address comes as the link goes up; a's never.
        let start = Instant::now();
        while link_locals(&mut s, "b") == 0 {
            assert!(start.elapsed() < Duration::from_secs(5), "b has no fe80");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(link_locals(&mut s, "a"), 0);
        // And back: eui64 gives it one.
        let mut on = SetLink::name("a");
        on.ipv6_link_local = Some(true);
        ok_all(s.execute(&[Request::SetLink(on)]));
        let a = s.link_by_name("a").unwrap().unwrap();
        assert_eq!(a.details.ipv6_link_local, Some(true));
    });
}
