//! Tests of [`super`]: kernel messages in, the events a person reads out,
//! one transition per row.

use super::super::{LabEvent, NodeWatch};
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage, State};
use nslab_netlink as nl;
use std::collections::BTreeMap;

fn node(mark: Option<&str>) -> NodeWatch {
    NodeWatch {
        node: "n".into(),
        netns: None,
        watch: nl::Watch::open().expect("route socket"),
        links: BTreeMap::new(),
        neighbours: BTreeMap::new(),
        mark: mark.map(String::from),
    }
}

/// A link as a `RTM_NEWLINK` describes it.
fn link(name: &str, up: bool, oper: State, mtu: u32, alias: Option<&str>) -> nl::Link {
    let mut m = LinkMessage::default();
    m.header.index = 7;
    if up {
        m.header.flags = LinkFlags::Up;
    }
    m.attributes.push(LinkAttribute::IfName(name.into()));
    m.attributes.push(LinkAttribute::OperState(oper));
    m.attributes.push(LinkAttribute::Mtu(mtu));
    m.attributes
        .extend(alias.map(|a| LinkAttribute::IfAlias(a.into())));
    nl::decode::link(&m)
}

fn words(evs: &[LabEvent]) -> Vec<String> {
    evs.iter()
        .map(|e| {
            let ifname = e.interface.clone().unwrap_or_default();
            format!("{} {} {ifname} {}", e.kind, e.action, e.detail)
                .trim()
                .to_string()
        })
        .collect()
}

#[test]
fn each_link_transition_is_named() {
    let mut n = node(None);
    let mut step = |new: bool, l: nl::Link| words(&n.translate(nl::Event::Link { new, link: l }));
    let rows: Vec<(bool, nl::Link, Vec<&str>)> = vec![
        (
            true,
            link("eth0", false, State::Down, 1500, None),
            vec!["link added eth0"],
        ),
        (
            true,
            link("eth0", true, State::Down, 1500, None),
            vec!["link up eth0"],
        ),
        (
            true,
            link("eth0", true, State::Up, 1500, None),
            vec!["link carrier-on eth0 operstate up"],
        ),
        (true, link("eth0", true, State::Up, 1500, None), vec![]),
        (
            true,
            link("eth0", true, State::LowerLayerDown, 1500, None),
            vec!["link carrier-off eth0 operstate lowerlayerdown"],
        ),
        (
            true,
            link("eth0", false, State::Down, 1500, None),
            vec!["link down eth0"],
        ),
        (
            true,
            link("wan", false, State::Down, 1400, None),
            vec!["link renamed wan from eth0", "link changed wan mtu 1400"],
        ),
        (
            false,
            link("wan", false, State::Down, 1400, None),
            vec!["link removed wan"],
        ),
    ];
    for (new, l, want) in rows {
        assert_eq!(step(new, l), want);
    }
}

/// In the host node, only links that carry the lab's mark count: one that
/// gets it (nslab sets the alias right after creating it) is "added".
#[test]
fn the_host_node_reports_only_the_labs_links() {
    let mut n = node(Some("nslab:demo"));
    let mut step = |new: bool, l: nl::Link| words(&n.translate(nl::Event::Link { new, link: l }));
    assert!(step(true, link("eth0", true, State::Up, 1500, None)).is_empty());
    assert!(step(true, link("eth0", false, State::Down, 1500, None)).is_empty());
    let marked = Some("nslab:demo");
    assert_eq!(
        step(true, link("eth0", false, State::Down, 1500, marked)),
        ["link added eth0"]
    );
    assert_eq!(
        step(true, link("eth0", true, State::Down, 1500, marked)),
        ["link up eth0"]
    );
    assert_eq!(
        step(false, link("eth0", true, State::Down, 1500, marked)),
        ["link removed eth0"]
    );
}

fn neigh(family: nl::NeighFamily, addr: &str, state: &str, self_entry: bool) -> nl::Neighbour {
    nl::Neighbour {
        family,
        index: 7,
        addr: addr.parse().ok(),
        mac: Some([2, 0, 0, 0, 0, 1]),
        state: state.into(),
        self_entry,
        master: Some(3),
        vlan: None,
        updated_secs: None,
    }
}

#[test]
fn neighbours_are_added_changed_and_removed_once_each() {
    use nl::NeighFamily::{Bridge, V4, V6};
    let mut n = node(None);
    let mut step = |new: bool, nb: nl::Neighbour| {
        words(&n.translate(nl::Event::Neighbour { new, neighbour: nb }))
    };
    let arp = "neighbour added if7 10.0.0.2 lladdr 02:00:00:00:00:01 reachable";
    assert_eq!(step(true, neigh(V4, "10.0.0.2", "reachable", false)), [arp]);
    assert!(step(true, neigh(V4, "10.0.0.2", "reachable", false)).is_empty());
    assert_eq!(
        step(true, neigh(V4, "10.0.0.2", "stale", false)),
        ["neighbour changed if7 10.0.0.2 lladdr 02:00:00:00:00:01 stale"]
    );
    assert_eq!(
        step(false, neigh(V4, "10.0.0.2", "stale", false)),
        ["neighbour removed if7 10.0.0.2 lladdr 02:00:00:00:00:01 stale"]
    );
    // Multicast neighbours and a port's own (NTF_SELF) FDB entries are noise.
    assert!(step(true, neigh(V6, "ff02::16", "noarp", false)).is_empty());
    assert!(step(true, neigh(Bridge, "", "permanent", true)).is_empty());
    assert_eq!(
        step(true, neigh(Bridge, "", "reachable", false)),
        ["fdb added if7 02:00:00:00:00:01 on bridge if3 reachable"]
    );
}

#[test]
fn local_table_routes_are_left_out() {
    let mut n = node(None);
    let route = |table: u32| nl::Route {
        table,
        dst: Some("10.0.0.0/24".parse().expect("cidr")),
        family: nl::Family::V4,
        gateway: None,
        oif: Some(7),
        metric: None,
        prefsrc: None,
        protocol: 2,
        scope: 253,
        kind: 1,
    };
    let main = n.translate(nl::Event::Route {
        new: true,
        route: route(nl::RT_TABLE_MAIN),
    });
    assert_eq!(words(&main), ["route added if7 10.0.0.0/24"]);
    let local = n.translate(nl::Event::Route {
        new: true,
        route: route(nl::RT_TABLE_LOCAL),
    });
    assert!(local.is_empty());
}
