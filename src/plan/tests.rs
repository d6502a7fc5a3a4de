//! Planner tests against the in-memory host: the promises `up` makes.

use super::*;
use crate::apply::apply;
use crate::host::fake::FakeHost;
use crate::host::{Host, Scope};
use crate::state::{Bridge, Cidr, DeviceKind, LinkKind, LinkState, Macvlan, MacvlanMode, Vxlan};

fn cidr(s: &str) -> Cidr {
    let (a, p) = s.split_once('/').expect("cidr");
    Cidr {
        addr: a.parse().expect("addr"),
        prefix: p.parse().expect("prefix"),
    }
}

fn node(lab: &str, name: &str) -> NodeState {
    NodeState::new(Some(format!("{lab}-{name}")))
}

fn veth(node: &str, ifname: &str) -> LinkState {
    LinkState::new(LinkKind::Veth {
        peer: Endpoint::new(node, ifname),
    })
}

/// h1 -- sw(br0) -- h2, addresses, a default route, a macvlan in h3 on
/// h1's eth1.
fn lab() -> State {
    let mut s = State {
        lab: "t".into(),
        nodes: BTreeMap::new(),
    };
    let mut sw = node("t", "sw");
    sw.links.insert(
        "br0".into(),
        LinkState::new(LinkKind::Device(DeviceKind::Bridge(Bridge {
            stp: false,
            ageing_secs: 300,
            vlan_filtering: false,
        }))),
    );
    for (port, host) in [("p1", "h1"), ("p2", "h2")] {
        let mut l = veth(host, "eth0");
        l.master = Some("br0".into());
        sw.links.insert(port.into(), l);
    }
    sw.links.get_mut("p1").expect("p1").hairpin = true;
    sw.sysctls.insert("net.ipv4.ip_forward".into(), "1".into());
    s.nodes.insert("sw".into(), sw);
    for (i, (h, port)) in [("h1", "p1"), ("h2", "p2")].into_iter().enumerate() {
        let mut n = node("t", h);
        let mut l = veth("sw", port);
        l.addresses.insert(cidr(&format!("10.0.0.{}/24", i + 1)));
        l.mtu = Some(1400);
        n.links.insert("eth0".into(), l);
        n.routes.insert(RouteState {
            to: None,
            v6: false,
            via: Some("10.0.0.254".parse().expect("ip")),
            dev: None,
            metric: None,
            src: None,
            table: None,
        });
        s.nodes.insert(h.into(), n);
    }
    s.nodes
        .get_mut("h1")
        .expect("h1")
        .links
        .insert("eth1".into(), veth("h3", "up"));
    let mut h3 = node("t", "h3");
    h3.links.insert("up".into(), veth("h1", "eth1"));
    h3.links.insert(
        "mv0".into(),
        LinkState::new(LinkKind::Device(DeviceKind::Macvlan(Macvlan {
            parent: Endpoint::new("h1", "eth1"),
            mode: MacvlanMode::Bridge,
        }))),
    );
    s.nodes.insert("h3".into(), h3);
    s
}

fn up(host: &mut FakeHost, desired: &State) -> Plan {
    let observed = host.observe(&Scope::default()).expect("observe");
    let p = plan(desired, &observed);
    apply(host, &p, &mut |_, _| {}).expect("apply");
    p
}

fn lines(p: &Plan) -> Vec<String> {
    p.steps.iter().map(|s| s.op.to_string()).collect()
}

#[test]
fn up_then_plan_is_empty() {
    let mut host = FakeHost::new("t");
    let d = lab();
    let first = up(&mut host, &d);
    assert!(first.len() > 10, "{:#?}", lines(&first));
    let again = plan(&d, &host.observe(&Scope::default()).expect("observe"));
    assert!(
        again.is_empty(),
        "second plan not empty: {:#?}",
        lines(&again)
    );
}

#[test]
fn each_veth_pair_is_created_once() {
    let p = plan(&lab(), &State::default());
    let veths = lines(&p)
        .into_iter()
        .filter(|l| l.contains("type veth"))
        .count();
    assert_eq!(veths, 3);
}

#[test]
fn parents_before_children_and_netns_first() {
    let p = plan(&lab(), &State::default());
    let l = lines(&p);
    let pos = |needle: &str| {
        l.iter()
            .position(|x| x.contains(needle))
            .unwrap_or_else(|| panic!("{needle} in {l:#?}"))
    };
    assert!(pos("ip netns add t-h3") < pos("link add eth1"));
    assert!(pos("link add eth1") < pos("type macvlan"));
    assert!(pos("type bridge") < pos("master br0"));
    assert!(pos("master br0") < pos("route add default"));
    assert!(pos("addr add 10.0.0.1/24") < pos("route add default"));
    // The macvlan is made next to its parent (in h1) and placed in h3.
    assert!(
        l.iter()
            .any(|x| x
                == "ip -n t-h1 link add link eth1 name mv0 netns t-h3 type macvlan mode bridge"),
        "{l:#?}"
    );
}

#[test]
fn a_changed_attribute_changes_only_that() {
    let mut host = FakeHost::new("t");
    let mut d = lab();
    up(&mut host, &d);
    let eth0 = d
        .nodes
        .get_mut("h2")
        .and_then(|n| n.links.get_mut("eth0"))
        .expect("eth0");
    eth0.mtu = Some(1300);
    eth0.addresses = [cidr("10.0.0.9/24")].into();
    let p = up(&mut host, &d);
    // The old address goes first (the new one would be its secondary and
    // go with it); the default route, flushed with the link's last IPv4
    // address, is made again.
    assert_eq!(
        lines(&p),
        vec![
            "ip -n t-h2 link set eth0 mtu 1300",
            "ip -n t-h2 addr del 10.0.0.2/24 dev eth0",
            "ip -n t-h2 addr add 10.0.0.9/24 dev eth0",
            "ip -n t-h2 route add default via 10.0.0.254",
        ]
    );
    assert!(plan(&d, &host.state).is_empty());
}

#[test]
fn a_removed_node_takes_its_links_and_children_along() {
    let mut host = FakeHost::new("t");
    let mut d = lab();
    up(&mut host, &d);
    d.nodes.remove("h3");
    d.nodes.get_mut("h1").expect("h1").links.remove("eth1");
    let p = up(&mut host, &d);
    let l = lines(&p);
    assert!(l.contains(&"ip netns del t-h3".to_string()), "{l:#?}");
    // The veth is deleted once, from whichever end comes first.
    assert_eq!(
        l.iter().filter(|x| x.contains("link del")).count(),
        1,
        "{l:#?}"
    );
    assert!(plan(&d, &host.state).is_empty());
}

#[test]
fn changing_a_kind_parameter_recreates_the_link() {
    let mut host = FakeHost::new("t");
    let mut d = lab();
    up(&mut host, &d);
    let mv = d
        .nodes
        .get_mut("h3")
        .and_then(|n| n.links.get_mut("mv0"))
        .expect("mv0");
    mv.kind = LinkKind::Device(DeviceKind::Macvlan(Macvlan {
        parent: Endpoint::new("h1", "eth1"),
        mode: MacvlanMode::Private,
    }));
    let l = lines(&up(&mut host, &d));
    assert_eq!(l[0], "ip -n t-h3 link del mv0");
    assert!(l[1].ends_with("type macvlan mode private"), "{l:#?}");
    assert!(plan(&d, &host.state).is_empty());
}

#[test]
fn a_failure_half_way_undoes_everything_this_run_did() {
    let d = lab();
    let total = plan(&d, &State::default()).len();
    for fail_at in [0, 1, total / 2, total - 1] {
        let mut host = FakeHost::new("t");
        host.fail_at = Some(fail_at);
        let p = plan(&d, &host.state);
        let err = apply(&mut host, &p, &mut |_, _| {}).expect_err("must fail");
        assert_eq!(err.failed.op, p.steps[fail_at].op.to_string());
        assert!(err.undo_errors.is_empty(), "{:#?}", err.undo_errors);
        // Nothing this run made is beyond undoing (a sysctl set in a new
        // namespace goes with it): the message says all was undone.
        assert!(err.restored(), "{err}");
        assert!(
            host.state.nodes.is_empty(),
            "left behind after failing at {fail_at}: {:#?}",
            host.state
        );
    }
}

#[test]
fn a_failed_change_restores_the_previous_lab() {
    let mut host = FakeHost::new("t");
    let d = lab();
    up(&mut host, &d);
    let before = host.state.clone();
    let mut d2 = d.clone();
    d2.nodes
        .get_mut("h1")
        .expect("h1")
        .links
        .get_mut("eth0")
        .expect("eth0")
        .mtu = Some(9000);
    d2.nodes
        .get_mut("sw")
        .expect("sw")
        .sysctls
        .insert("net.ipv4.ip_forward".into(), "0".into());
    let p = plan(&d2, &host.state);
    host.fail_at = Some(host.applied + p.len() - 1);
    apply(&mut host, &p, &mut |_, _| {}).expect_err("must fail");
    assert_eq!(host.state, before);
}

#[test]
fn teardown_removes_everything() {
    let mut host = FakeHost::new("t");
    up(&mut host, &lab());
    let p = teardown(&host.state);
    apply(&mut host, &p, &mut |_, _| {}).expect("teardown");
    assert!(host.state.nodes.is_empty());
    assert!(
        lines(&p).iter().all(|l| l.starts_with("ip netns del")),
        "{:#?}",
        lines(&p)
    );
}

#[test]
fn host_node_objects_are_deleted_by_reconcile_and_with_their_peers_by_teardown() {
    let mut host = FakeHost::new("t");
    let mut d = lab();
    let mut h = NodeState::new(None);
    h.links.insert("vh1".into(), veth("h2", "eth9"));
    h.links.insert(
        "hbr".into(),
        LinkState::new(LinkKind::Device(DeviceKind::Bridge(Bridge {
            stp: false,
            ageing_secs: 300,
            vlan_filtering: false,
        }))),
    );
    d.nodes
        .get_mut("h2")
        .expect("h2")
        .links
        .insert("eth9".into(), veth("host", "vh1"));
    h.nat = Some(crate::state::nat::Nat {
        rules: vec![crate::state::nat::Rule::new(
            crate::state::nat::Hook::Postrouting,
            vec![],
            crate::state::nat::Action::Masquerade,
        )],
        foreign: false,
    });
    d.nodes.insert("host".into(), h);
    // The host node always exists.
    host.state.nodes.insert("host".into(), NodeState::new(None));
    up(&mut host, &d);
    // Reconcile: removing h2 deletes the pair explicitly (from either
    // end), before the namespace goes.
    let mut without_h2 = d.clone();
    without_h2.nodes.remove("h2");
    without_h2
        .nodes
        .get_mut("host")
        .expect("host")
        .links
        .remove("vh1");
    let l = lines(&plan(&without_h2, &host.state));
    let del = l
        .iter()
        .position(|x| x == "ip link del vh1" || x == "ip -n t-h2 link del eth9")
        .expect("the pair is deleted explicitly");
    let ns = l
        .iter()
        .position(|x| x.starts_with("ip netns del"))
        .expect("netns");
    assert!(del < ns, "{l:#?}");
    // Teardown: the veth goes with h2's namespace; the bridge, which no
    // namespace takes along, is deleted explicitly.
    let p = teardown(&host.state);
    let l = lines(&p);
    assert!(!l.contains(&"ip link del vh1".to_string()), "{l:#?}");
    assert!(l.contains(&"ip link del hbr".to_string()), "{l:#?}");
    // The host's NAT table does not go away by itself either.
    assert!(
        l.iter().any(|x| x == "nft delete table inet nslab-t"),
        "{l:#?}"
    );
    apply(&mut host, &p, &mut |_, _| {}).expect("teardown");
    assert!(host
        .state
        .nodes
        .get("host")
        .is_some_and(|h| h.links.is_empty()));
}

#[test]
fn physical_interfaces_move_in_and_back() {
    let mut host = FakeHost::new("t");
    host.host_ifaces.insert("ens41".into());
    let mut d = State {
        lab: "t".into(),
        nodes: BTreeMap::new(),
    };
    let mut n = node("t", "n1");
    n.links.insert(
        "wan".into(),
        LinkState::new(LinkKind::Physical {
            from: "ens41".into(),
        }),
    );
    d.nodes.insert("n1".into(), n);
    let l = lines(&up(&mut host, &d));
    assert!(
        l.contains(&"ip link set ens41 netns t-n1 name wan".to_string()),
        "{l:#?}"
    );
    assert!(!host.host_ifaces.contains("ens41"));
    let p = teardown(&host.state);
    assert_eq!(lines(&p)[0], "ip -n t-n1 link set wan netns 1 name ens41");
    apply(&mut host, &p, &mut |_, _| {}).expect("down");
    assert!(host.host_ifaces.contains("ens41"));
}

fn route(to: Option<&str>, via: &str) -> RouteState {
    let via: std::net::IpAddr = via.parse().expect("via");
    RouteState {
        to: to.map(cidr),
        v6: via.is_ipv6(),
        via: Some(via),
        dev: None,
        metric: None,
        src: None,
        table: None,
    }
}

fn link_mut<'a>(s: &'a mut State, node: &str, ifname: &str) -> &'a mut LinkState {
    s.nodes
        .get_mut(node)
        .and_then(|n| n.links.get_mut(ifname))
        .expect("link")
}

/// Edits of [`lab`] (name, edit), each a change the kernel answers with
/// side effects: addresses changed inside their subnet, links made again
/// with what hung on them, bridge options.
#[allow(clippy::type_complexity)]
fn edits() -> Vec<(&'static str, Box<dyn Fn(&mut State)>)> {
    vec![
        (
            "loopback addresses added, IPv4 and IPv6",
            Box::new(|s: &mut State| {
                let h2 = s.nodes.get_mut("h2").expect("h2");
                h2.lo_addresses = [cidr("10.255.0.2/32"), cidr("fd00:ff::2/128")].into();
            }),
        ),
        (
            "loopback address changed",
            Box::new(|s: &mut State| {
                let h1 = s.nodes.get_mut("h1").expect("h1");
                h1.lo_addresses = [cidr("10.255.0.9/32")].into();
            }),
        ),
        (
            "loopback addresses removed",
            Box::new(|s: &mut State| {
                s.nodes.get_mut("h1").expect("h1").lo_addresses.clear();
            }),
        ),
        (
            "address changed inside its subnet",
            Box::new(|s: &mut State| {
                link_mut(s, "h1", "eth0").addresses = [cidr("10.0.0.5/24")].into();
            }),
        ),
        (
            "address changed and a route added in the same run",
            Box::new(|s: &mut State| {
                link_mut(s, "h1", "eth0").addresses = [cidr("10.0.0.5/24")].into();
                let h1 = s.nodes.get_mut("h1").expect("h1");
                h1.routes
                    .insert(route(Some("192.168.7.0/24"), "10.0.0.253"));
            }),
        ),
        (
            "address moved to another subnet with the gateway",
            Box::new(|s: &mut State| {
                link_mut(s, "h1", "eth0").addresses = [cidr("10.9.0.1/24")].into();
                let h1 = s.nodes.get_mut("h1").expect("h1");
                h1.routes = [route(None, "10.9.0.254")].into();
            }),
        ),
        (
            "v6 address changed with a v6 route",
            Box::new(|s: &mut State| {
                link_mut(s, "h2", "eth0").addresses =
                    [cidr("10.0.0.2/24"), cidr("fd00::9/64")].into();
                let h2 = s.nodes.get_mut("h2").expect("h2");
                h2.routes.insert(route(None, "fd00::1"));
            }),
        ),
        (
            "route with the old address as source",
            Box::new(|s: &mut State| {
                let eth0 = link_mut(s, "h2", "eth0");
                eth0.addresses.insert(cidr("10.1.0.2/24"));
                let h2 = s.nodes.get_mut("h2").expect("h2");
                let mut r = route(Some("192.168.9.0/24"), "10.0.0.254");
                r.src = Some("10.1.0.2".parse().expect("ip"));
                h2.routes.insert(r);
            }),
        ),
        (
            "bridge options change in place",
            Box::new(|s: &mut State| {
                link_mut(s, "sw", "br0").kind = LinkKind::Device(DeviceKind::Bridge(Bridge {
                    stp: true,
                    ageing_secs: 20,
                    vlan_filtering: true,
                }));
            }),
        ),
        (
            "macvlan mode change with an address and a route through it",
            Box::new(|s: &mut State| {
                let mv = link_mut(s, "h3", "mv0");
                mv.kind = LinkKind::Device(DeviceKind::Macvlan(Macvlan {
                    parent: Endpoint::new("h1", "eth1"),
                    mode: MacvlanMode::Private,
                }));
            }),
        ),
        (
            "bridge port made again (veth peer changed)",
            Box::new(|s: &mut State| {
                // h2's uplink now ends in sw:p9 instead of sw:p2.
                let sw = s.nodes.get_mut("sw").expect("sw");
                let mut p = sw.links.remove("p2").expect("p2");
                p.kind = LinkKind::Veth {
                    peer: Endpoint::new("h2", "eth0"),
                };
                sw.links.insert("p9".into(), p);
                link_mut(s, "h2", "eth0").kind = LinkKind::Veth {
                    peer: Endpoint::new("sw", "p9"),
                };
            }),
        ),
        (
            "parent of a macvlan and lower device of a vxlan made again",
            Box::new(|s: &mut State| {
                // h1:eth1 <-> h3:up becomes h1:eth1 <-> h3:up2.
                link_mut(s, "h1", "eth1").kind = LinkKind::Veth {
                    peer: Endpoint::new("h3", "up2"),
                };
                let h3 = s.nodes.get_mut("h3").expect("h3");
                h3.links.remove("up");
                h3.links.insert("up2".into(), veth("h1", "eth1"));
            }),
        ),
        (
            "MTU taken out of the file",
            Box::new(|s: &mut State| {
                link_mut(s, "h1", "eth0").mtu = None;
            }),
        ),
        (
            "node removed",
            Box::new(|s: &mut State| {
                s.nodes.remove("h3");
                let h1 = s.nodes.get_mut("h1").expect("h1");
                h1.links.remove("eth1");
                h1.links.remove("vx0");
            }),
        ),
    ]
}

/// [`lab`] with things hanging on what the edits change: an address and
/// a route on the macvlan, a v6 address on h2.
fn rich_lab() -> State {
    let mut s = lab();
    s.nodes.get_mut("h1").expect("h1").lo_addresses =
        [cidr("10.255.0.1/32"), cidr("fd00:ff::1/128")].into();
    let mv = link_mut(&mut s, "h3", "mv0");
    mv.addresses.insert(cidr("10.3.0.1/24"));
    s.nodes
        .get_mut("h3")
        .expect("h3")
        .routes
        .insert(route(Some("10.30.0.0/16"), "10.3.0.254"));
    link_mut(&mut s, "h2", "eth0")
        .addresses
        .insert(cidr("fd00::2/64"));
    // A VXLAN bound to h1's eth1: it dies with it.
    let mut vx = LinkState::new(LinkKind::Device(DeviceKind::Vxlan(Vxlan {
        vni: 42,
        remote: Some("10.5.0.2".parse().expect("ip")),
        group: None,
        local: None,
        dev: Some(Endpoint::new("h1", "eth1")),
        port: 4789,
        learning: true,
    })));
    vx.addresses.insert(cidr("10.6.0.1/24"));
    s.nodes
        .get_mut("h1")
        .expect("h1")
        .links
        .insert("vx0".into(), vx);
    s
}

fn fresh(d: &State) -> State {
    let mut host = FakeHost::new("t");
    up(&mut host, d);
    host.state
}

#[test]
fn one_plan_makes_an_edited_lab_equal_to_a_fresh_one() {
    for (name, edit) in edits() {
        let a = rich_lab();
        let mut b = a.clone();
        edit(&mut b);
        let mut host = FakeHost::new("t");
        up(&mut host, &a);
        let p = plan(&b, &host.state);
        if let Err(e) = apply(&mut host, &p, &mut |_, _| {}) {
            panic!("{name}: {e}\nplan: {:#?}", lines(&p));
        }
        assert_eq!(
            host.state,
            fresh(&b),
            "{name}: differs from a fresh build after\n{:#?}",
            lines(&p)
        );
        assert_eq!(
            addresses(&host.state),
            addresses(&b),
            "{name}: not the addresses asked for after\n{:#?}",
            lines(&p)
        );
        let again = plan(&b, &host.state);
        assert!(again.is_empty(), "{name}: {:#?}", lines(&again));
    }
}

/// Every address of every node, its links' and its loopback's.
fn addresses(s: &State) -> BTreeSet<(String, String, Cidr)> {
    let mut out = BTreeSet::new();
    for (name, n) in &s.nodes {
        for c in &n.lo_addresses {
            out.insert((name.clone(), "lo".to_string(), *c));
        }
        for (ifname, l) in &n.links {
            for c in &l.addresses {
                out.insert((name.clone(), ifname.clone(), *c));
            }
        }
    }
    out
}

#[test]
fn bridge_options_change_in_place() {
    let a = rich_lab();
    let mut b = a.clone();
    link_mut(&mut b, "sw", "br0").kind = LinkKind::Device(DeviceKind::Bridge(Bridge {
        stp: true,
        ageing_secs: 300,
        vlan_filtering: false,
    }));
    let mut host = FakeHost::new("t");
    up(&mut host, &a);
    assert_eq!(
        lines(&plan(&b, &host.state)),
        vec!["ip -n t-sw link set br0 type bridge stp_state 1"]
    );
}

#[test]
fn a_failure_after_deletions_restores_the_lab_exactly() {
    // Every edit, failing at every step: deletions are undone too (a
    // deleted link is made again with its addresses, ports and routes), so
    // the kernel is as before — or the error names what was not undone.
    for (name, edit) in edits() {
        let a = rich_lab();
        let mut b = a.clone();
        edit(&mut b);
        let total = plan(&b, &fresh(&a)).len();
        for fail_at in 0..total {
            let mut host = FakeHost::new("t");
            up(&mut host, &a);
            let before = host.state.clone();
            let p = plan(&b, &host.state);
            host.fail_at = Some(host.applied + fail_at);
            let err = apply(&mut host, &p, &mut |_, _| {}).expect_err("must fail");
            assert!(
                err.undo_errors.is_empty(),
                "{name} failing at {fail_at}: {err}\n{:#?}",
                lines(&p)
            );
            if err.restored() {
                assert_eq!(
                    host.state,
                    before,
                    "{name} failing at {fail_at}: said restored: {err}\n{:#?}",
                    lines(&p)
                );
            } else {
                // Only a deleted namespace has no inverse (with what was
                // in it), and the message names it.
                assert!(
                    err.not_undone
                        .iter()
                        .all(|o| o.starts_with("ip netns del") || o.contains("t-h3")),
                    "{name}: {:?}",
                    err.not_undone
                );
                let msg = err.to_string();
                assert!(
                    msg.contains("not undone (no inverse): `ip netns del t-h3`"),
                    "{msg}"
                );
                assert!(!msg.contains("undid the"), "{msg}");
            }
        }
    }
}

#[test]
fn a_secondary_lost_with_its_primary_is_made_again_in_the_same_up() {
    // Two addresses in one subnet; the file drops the first (the primary):
    // the kernel takes the second along. `reconcile` looks again after a
    // destructive plan and puts it back, in the same run.
    let mut a = rich_lab();
    link_mut(&mut a, "h1", "eth0")
        .addresses
        .insert(cidr("10.0.0.7/24"));
    let mut b = a.clone();
    link_mut(&mut b, "h1", "eth0").addresses = [cidr("10.0.0.7/24")].into();
    let mut host = FakeHost::new("t");
    up(&mut host, &a);
    let before = host.state.clone();
    let observed = host.state.clone();
    let done = crate::apply::reconcile(&mut host, &b, &observed, &Scope::default(), &mut |_, _| {})
        .expect("reconcile");
    assert_eq!(host.state, fresh(&b), "{:#?}", lines(&done));
    assert!(plan(&b, &host.state).is_empty());
    // A failure in the second round undoes both rounds.
    let mut host = FakeHost::new("t");
    up(&mut host, &a);
    let first = plan(&b, &host.state).len();
    host.fail_at = Some(host.applied + first + 1);
    let err = crate::apply::reconcile(&mut host, &b, &observed, &Scope::default(), &mut |_, _| {})
        .expect_err("fails in round 2");
    assert!(err.restored(), "{err}");
    assert_eq!(host.state, before);
}

#[test]
fn a_stale_veth_taken_for_another_pairs_peer_does_not_take_that_pair_along() {
    // h3's namespace was deleted by hand; for a moment h1's eth1 (its
    // peer was in h3) is still there and, by ifindex, looks like sw:p2's
    // peer. Only eth1 goes; the h2 <-> sw pair is left alone.
    let d = lab();
    let mut host = FakeHost::new("t");
    up(&mut host, &d);
    let mut observed = host.state.clone();
    observed.nodes.remove("h3");
    link_mut(&mut observed, "h1", "eth1").kind = LinkKind::Veth {
        peer: Endpoint::new("sw", "p2"),
    };
    let l = lines(&plan(&d, &observed));
    assert!(
        l.contains(&"ip -n t-h1 link del eth1".to_string()),
        "{l:#?}"
    );
    assert!(
        !l.iter().any(|x| x.contains("p2") || x.contains("t-h2")),
        "{l:#?}"
    );
}

#[test]
fn a_bridge_mtu_changed_by_hand_is_put_back_but_never_set_at_creation() {
    let d = lab();
    let created = lines(&plan(&d, &State::default()));
    let br = created
        .iter()
        .find(|l| l.contains("type bridge"))
        .expect("bridge");
    assert!(!br.contains("mtu"), "the kernel adjusts it: {br}");
    let mut host = FakeHost::new("t");
    up(&mut host, &d);
    link_mut(&mut host.state, "sw", "br0").mtu = Some(1300);
    assert_eq!(
        lines(&plan(&d, &host.state)),
        vec!["ip -n t-sw link set br0 mtu 1500"]
    );
}

/// A VRF with members and a route in its table, and dummies, from
/// examples/vrf.yaml: the VRF is made before its members join it, and a
/// second plan is empty.
#[test]
fn a_vrf_is_made_before_its_members_and_a_second_plan_is_empty() {
    let text = include_str!("../../examples/vrf.yaml");
    let t = nslab_model::parse_str("vrf.yaml", text, &nslab_model::NoHostInterfaces)
        .unwrap_or_else(|p| panic!("{}", p.render_plain()));
    let d = crate::state::desired::desired(&t);
    let mut host = FakeHost::new("vrf");
    let first = lines(&up(&mut host, &d));
    let made = first.iter().position(|l| l.contains("type vrf table 10"));
    let joined = first.iter().position(|l| l.contains("eth0 master red"));
    assert!(made.is_some() && made < joined, "{first:#?}");
    assert!(
        first.iter().any(|l| l.ends_with("name id0 type dummy")),
        "{first:#?}"
    );
    let again = plan(&d, &host.observe(&Scope::default()).expect("observe"));
    assert!(again.is_empty(), "{:#?}", lines(&again));
}

/// IPv6 link-local addresses: off on bridge ports without addresses and
/// on members of IPv4-only networks, on for members of dual-stack ones;
/// the kernel's default (unmanaged) everywhere else. A member whose
/// network gains an IPv6 subnet gets its link-local address back.
#[test]
fn ports_and_ipv4_only_members_get_no_ipv6_link_local() {
    let file = |subnets: &str| {
        format!(
            "lab: q\nnodes:\n  gw: {{}}\n  a: {{}}\n  b: {{}}\n  sw:\n    interfaces:\n      br1: {{ kind: bridge }}\n      p1: {{ master: br1 }}\n      p2: {{ master: br1, addresses: [10.9.0.1/24] }}\n  x: {{}}\n  y: {{}}\nlinks:\n  - [sw:p1, x:eth0]\n  - [sw:p2, y:eth0]\nnetworks:\n  br0:\n    node: gw\n    subnets: [{subnets}]\n    members:\n      a: {{}}\n      b: {{}}\n"
        )
    };
    let desired = |text: &str| {
        let t = nslab_model::parse_str("q.yaml", text, &nslab_model::NoHostInterfaces)
            .unwrap_or_else(|p| panic!("{}", p.render_plain()));
        crate::state::desired::desired(&t)
    };
    let ll = |s: &State, node: &str, ifname: &str| s.nodes[node].links[ifname].ipv6_link_local;
    let v4 = desired(&file("172.20.0.0/16"));
    assert_eq!(ll(&v4, "a", "eth0"), Some(false));
    assert_eq!(ll(&v4, "sw", "p1"), Some(false));
    assert_eq!(
        ll(&v4, "sw", "p2"),
        None,
        "a port with an address of its own"
    );
    assert_eq!(ll(&v4, "sw", "br1"), None);
    assert_eq!(ll(&v4, "x", "eth0"), None);
    let port = v4.nodes["gw"]
        .links
        .iter()
        .find(|(_, l)| l.master.as_deref() == Some("br0"))
        .map(|(_, l)| l.ipv6_link_local);
    assert_eq!(port, Some(Some(false)));

    let mut host = FakeHost::new("q");
    let first = lines(&up(&mut host, &v4));
    assert!(
        first.contains(&"ip -n q-a link set eth0 addrgenmode none up".to_string()),
        "{first:#?}"
    );
    let dual = desired(&file("172.20.0.0/16, \"fd20::/64\""));
    assert_eq!(ll(&dual, "a", "eth0"), Some(true));
    let edit = lines(&plan(
        &dual,
        &host.observe(&Scope::default()).expect("observe"),
    ));
    assert!(
        edit.iter()
            .any(|l| l.starts_with("ip -n q-a link set eth0 addrgenmode eui64")),
        "{edit:#?}"
    );
}
