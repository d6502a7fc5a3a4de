//! Links across namespaces and namespace ids.

use std::os::fd::{AsFd, AsRawFd};

use nslab_netlink::*;

use crate::common::*;

#[test]
fn veth_peer_created_in_another_namespace() {
    in_new_netns(|| {
        let other = other_netns();
        let mut here = Socket::open().unwrap();
        let mut there = socket_in(other.as_fd());
        let mut veth = NewLink::new(
            "a0",
            LinkKind::Veth {
                peer_name: "b0".into(),
                peer_netns_fd: Some(other.as_raw_fd()),
                peer_mtu: Some(9000),
                peer_mac: Some(MAC0),
                peer_alias: None,
            },
        );
        veth.up = true;
        ok_all(here.execute(&[Request::NewLink(veth)]));
        let mut peer_up = SetLink::name("b0");
        peer_up.up = Some(true);
        ok_all(there.execute(&[Request::SetLink(peer_up)]));
        assert_eq!(here.link_by_name("b0").unwrap(), None, "peer is not here");
        let a0 = here.link_by_name("a0").unwrap().unwrap();
        let b0 = there.link_by_name("b0").unwrap().unwrap();
        assert_eq!((b0.mtu, b0.mac, b0.admin_up), (9000, Some(MAC0), true));
        assert_eq!(a0.link, Some(b0.index));
        assert_eq!(b0.link, Some(a0.index));
        // IFLA_LINK_NETNSID names the peer's namespace as each side knows it.
        assert!(a0.link_netnsid.is_some());
        assert_eq!(here.nsid_of(other.as_fd()).unwrap(), a0.link_netnsid);
        assert_eq!(there.nsid_of(own_netns().as_fd()).unwrap(), b0.link_netnsid);
        let third = other_netns();
        assert_eq!(
            here.nsid_of(third.as_fd()).unwrap(),
            None,
            "never linked: no id"
        );

        // The peer's alias is set through its own namespace's socket, by name.
        let mut tag = SetLink::name("b0");
        tag.alias = Some("nslab:lab".into());
        ok_all(there.execute(&[Request::SetLink(tag)]));
        assert_eq!(
            there.link_by_name("b0").unwrap().unwrap().alias.as_deref(),
            Some("nslab:lab")
        );

        // Move a link over and rename it on the way.
        ok_all(here.execute(&[Request::NewLink(NewLink::new("m0", LinkKind::veth("m1")))]));
        let m1 = here.link_by_name("m1").unwrap().unwrap();
        let mut mv = SetLink::index(m1.index);
        mv.netns_fd = Some(other.as_raw_fd());
        mv.up = Some(true);
        ok_all(here.execute(&[Request::SetLink(mv)]));
        assert_eq!(here.link_by_name("m1").unwrap(), None);
        assert!(there.link_by_name("m1").unwrap().unwrap().admin_up);
    });
}
