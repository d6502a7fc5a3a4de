//! A failed step is undone whole: random plans against the in-memory host,
//! failing each kernel request of each step in turn (the host splits a
//! step into requests as the Linux host sends them), must leave the kernel
//! as it was — or the error must name exactly what was not undone.
//!
//! The plans go from one random lab to another: veth pairs with MTUs,
//! states, IPv6 link-local modes, addresses, bridge ports with hairpin;
//! bridges, macvlans, a tap with an impairment, a physical interface moved
//! in and out, routes through gateways, sysctls, a node that goes away.
//! `NSLAB_PROPTEST_CASES=3000` runs more pairs (default 200).

use super::apply;
use crate::host::fake::FakeHost;
use crate::plan::{plan, Plan};
use crate::state::{
    Bridge, Cidr, DeviceKind, Endpoint, Impair, LinkKind, LinkState, Macvlan, MacvlanMode,
    NodeState, RouteState, State, Tap,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

const NODES: usize = 3;

#[derive(Debug, Clone)]
struct End {
    up: bool,
    mtu: Option<u32>,
    /// A port of its node's bridge (if it has one; no address then).
    port: bool,
    hairpin: bool,
    /// Host part of its address in the link's subnet (`None`: none).
    host: Option<u8>,
    link_local: Option<bool>,
}

#[derive(Debug, Clone)]
struct Link {
    a: usize,
    b: usize,
    ea: End,
    eb: End,
    /// A macvlan on `a`'s end, in `a`'s node: (up, MTU).
    macvlan: Option<(bool, Option<u32>)>,
}

#[derive(Debug, Clone)]
struct Node {
    /// A bridge `br0`: (STP, up).
    bridge: Option<(bool, bool)>,
    forwarding: bool,
    /// A route to 192.168.<k>.0/24 through the peer on link k.
    route: Option<usize>,
}

#[derive(Debug, Clone)]
struct Model {
    nodes: Vec<Node>,
    links: Vec<Link>,
    /// Whether the last node exists (a namespace deleted has no inverse).
    last: bool,
    /// The host's `ens9` moved into the first node as `wan`: (up, MTU).
    physical: Option<(bool, Option<u32>)>,
    /// A tap `tap0` in the second node: (up, MTU, delay in ms).
    tap: Option<(bool, Option<u32>, Option<u32>)>,
}

fn mtu() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![Just(None), Just(Some(1400)), Just(Some(9000))]
}

fn end(lo: u8) -> impl Strategy<Value = End> {
    (
        any::<bool>(),
        mtu(),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(None), (lo..lo + 2).prop_map(Some)],
        prop_oneof![Just(None), any::<bool>().prop_map(Some)],
    )
        .prop_map(|(up, mtu, port, hairpin, host, link_local)| End {
            up,
            mtu,
            port,
            hairpin,
            host,
            link_local,
        })
}

fn link() -> impl Strategy<Value = Link> {
    (
        0..NODES,
        1..NODES,
        end(1),
        end(3),
        proptest::option::of((any::<bool>(), mtu())),
    )
        .prop_map(|(a, d, ea, eb, macvlan)| Link {
            a,
            b: (a + d) % NODES,
            ea,
            eb,
            macvlan,
        })
}

fn node() -> impl Strategy<Value = Node> {
    (
        proptest::option::of((any::<bool>(), any::<bool>())),
        any::<bool>(),
        proptest::option::of(0..4usize),
    )
        .prop_map(|(bridge, forwarding, route)| Node {
            bridge,
            forwarding,
            route,
        })
}

fn model() -> impl Strategy<Value = Model> {
    (
        proptest::collection::vec(node(), NODES),
        proptest::collection::vec(link(), 0..4),
        prop::bool::weighted(0.8),
        proptest::option::of((any::<bool>(), mtu())),
        proptest::option::of((any::<bool>(), mtu(), proptest::option::of(1..3u32))),
    )
        .prop_map(|(nodes, links, last, physical, tap)| Model {
            nodes,
            links,
            last,
            physical,
            tap,
        })
}

fn addr(link: usize, host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, link as u8, 0, host))
}

impl Model {
    fn present(&self, n: usize) -> bool {
        n + 1 < NODES || self.last
    }

    fn is_port(&self, n: usize, e: &End) -> bool {
        e.port && self.nodes[n].bridge.is_some()
    }

    fn state(&self) -> State {
        let mut s = State {
            lab: "t".into(),
            nodes: BTreeMap::new(),
        };
        for (i, n) in self.nodes.iter().enumerate() {
            if !self.present(i) {
                continue;
            }
            let mut ns = NodeState::new(Some(format!("t-n{i}")));
            ns.sysctls.insert(
                "net.ipv4.ip_forward".into(),
                if n.forwarding { "1" } else { "0" }.into(),
            );
            if let Some((stp, up)) = n.bridge {
                let mut br = LinkState::new(LinkKind::Device(DeviceKind::Bridge(Bridge {
                    stp,
                    ageing_secs: 300,
                    vlan_filtering: false,
                })));
                br.up = up;
                ns.links.insert("br0".into(), br);
            }
            s.nodes.insert(format!("n{i}"), ns);
        }
        for (k, l) in self.links.iter().enumerate() {
            if !self.present(l.a) || !self.present(l.b) {
                continue;
            }
            let name = format!("e{k}");
            for (n, e, peer) in [(l.a, &l.ea, l.b), (l.b, &l.eb, l.a)] {
                let mut ls = LinkState::new(LinkKind::Veth {
                    peer: Endpoint::new(format!("n{peer}"), &name),
                });
                ls.up = e.up;
                ls.mtu = e.mtu;
                ls.ipv6_link_local = e.link_local;
                if self.is_port(n, e) {
                    ls.master = Some("br0".into());
                    ls.hairpin = e.hairpin;
                } else if let Some(h) = e.host {
                    ls.addresses.insert(Cidr {
                        addr: addr(k, h),
                        prefix: 24,
                    });
                }
                if let Some(ns) = s.nodes.get_mut(&format!("n{n}")) {
                    ns.links.insert(name.clone(), ls);
                }
            }
            if let Some((up, mtu)) = l.macvlan {
                let mut mv = LinkState::new(LinkKind::Device(DeviceKind::Macvlan(Macvlan {
                    parent: Endpoint::new(format!("n{}", l.a), &name),
                    mode: MacvlanMode::Bridge,
                })));
                mv.up = up;
                mv.mtu = mtu;
                if let Some(ns) = s.nodes.get_mut(&format!("n{}", l.a)) {
                    ns.links.insert(format!("m{k}"), mv);
                }
            }
        }
        if let (Some((up, mtu)), Some(n0)) = (self.physical, s.nodes.get_mut("n0")) {
            let mut wan = LinkState::new(LinkKind::Physical {
                from: "ens9".into(),
            });
            wan.up = up;
            wan.mtu = mtu;
            n0.links.insert("wan".into(), wan);
        }
        if let (Some((up, mtu, delay)), Some(n1)) = (self.tap, s.nodes.get_mut("n1")) {
            let mut tap = LinkState::new(LinkKind::Device(DeviceKind::Tap(Tap { owner: None })));
            tap.up = up;
            tap.mtu = mtu;
            tap.impair = delay.map(|ms| Impair {
                delay_us: Some(ms * 1000),
                ..Impair::default()
            });
            n1.links.insert("tap0".into(), tap);
        }
        // Routes through a peer this node reaches on an up link with an
        // address in the peer's subnet.
        for (i, n) in self.nodes.iter().enumerate() {
            let Some(k) = n.route else { continue };
            let Some(l) = self.links.get(k) else { continue };
            if !self.present(l.a) || !self.present(l.b) {
                continue;
            }
            let (mine, peer, peer_node) = match i {
                _ if i == l.a => (&l.ea, &l.eb, l.b),
                _ if i == l.b => (&l.eb, &l.ea, l.a),
                _ => continue,
            };
            let usable = |n: usize, e: &End| !self.is_port(n, e) && e.host.is_some();
            if !(mine.up && usable(i, mine) && usable(peer_node, peer)) {
                continue;
            }
            let Some(gw) = peer.host.map(|h| addr(k, h)) else {
                continue;
            };
            if let Some(ns) = s.nodes.get_mut(&format!("n{i}")) {
                ns.routes.insert(RouteState {
                    to: Some(Cidr {
                        addr: IpAddr::V4(Ipv4Addr::new(192, 168, k as u8, 0)),
                        prefix: 24,
                    }),
                    v6: false,
                    via: Some(gw),
                    dev: None,
                    metric: None,
                    src: None,
                    table: None,
                });
            }
        }
        s
    }
}

/// A fake kernel with `a` brought up.
fn host_with(a: &State) -> Result<FakeHost, TestCaseError> {
    let mut host = FakeHost::new("t");
    host.host_ifaces.insert("ens9".into());
    let p = plan(a, &host.state);
    apply(&mut host, &p, &mut |_, _| {})
        .map_err(|e| TestCaseError::fail(format!("bringing up A: {e}")))?;
    Ok(host)
}

fn requests(p: &Plan) -> usize {
    p.steps.iter().map(|s| FakeHost::requests_of(&s.op)).sum()
}

fn lines(p: &Plan) -> Vec<String> {
    p.steps.iter().map(|s| s.op.to_string()).collect()
}

/// Brings A up, then applies the plan to B failing request `k` of it.
fn fail_one(a: &State, b: &State, clean: &State, k: usize) -> Result<(), TestCaseError> {
    let mut host = host_with(a)?;
    let before = host.state.clone();
    let p = plan(b, &before);
    host.fail_requests.insert(host.requests + k);
    match apply(&mut host, &p, &mut |_, _| {}) {
        // A request whose failure is not one (a link's "down" before its
        // deletion): the plan went through.
        Ok(_) => {
            prop_assert_eq!(
                &host.state,
                clean,
                "request {} failed silently\nplan: {:#?}",
                k,
                lines(&p)
            );
        }
        Err(err) => {
            let msg = err.to_string();
            if err.restored() {
                prop_assert_eq!(
                    &host.state,
                    &before,
                    "failing request {} said all was undone: {}\nplan: {:#?}",
                    k,
                    msg,
                    lines(&p)
                );
            } else {
                // What could not be undone is named, each of it.
                prop_assert!(!msg.contains("undid the"), "{}", msg);
                for op in &err.not_undone {
                    prop_assert!(msg.contains(op.as_str()), "{} not in {}", op, msg);
                }
                for e in &err.undo_errors {
                    prop_assert!(msg.contains(&e.to_string()), "{} not in {}", e, msg);
                }
                if err.partly_undone == Some(false) {
                    for part in &err.failed.took_effect {
                        let line = format!("not undone (of the step that failed): `{part}`");
                        prop_assert!(msg.contains(&line), "{} not in {}", line, msg);
                    }
                }
                // Only a deleted namespace has no inverse here, with what
                // was in it (and what went through a link into it).
                let lost: Vec<&str> = err
                    .not_undone
                    .iter()
                    .filter_map(|o| o.strip_prefix("ip netns del "))
                    .collect();
                prop_assert!(
                    !lost.is_empty()
                        && err
                            .not_undone
                            .iter()
                            .all(|o| lost.iter().any(|ns| o.contains(ns))),
                    "failing request {}: {}\nplan: {:#?}",
                    k,
                    msg,
                    lines(&p)
                );
            }
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("NSLAB_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

#[test]
fn failing_any_request_of_any_step_leaves_the_kernel_as_it_was() {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let tried = std::cell::Cell::new(0usize);
    let r = runner.run(&(model(), model()), |(ma, mb)| {
        let (a, b) = (ma.state(), mb.state());
        // The plan goes through when nothing fails.
        let mut clean = host_with(&a)?;
        let p = plan(&b, &clean.state);
        apply(&mut clean, &p, &mut |_, _| {})
            .map_err(|e| TestCaseError::fail(format!("plan to B without a failure: {e}")))?;
        for k in 0..requests(&p) {
            tried.set(tried.get() + 1);
            fail_one(&a, &b, &clean.state, k)?;
        }
        Ok(())
    });
    if let Err(e) = r {
        panic!("{e}");
    }
    // The cases are not all empty plans.
    assert!(tried.get() > cases() as usize, "{} requests", tried.get());
}

/// Two nodes and a macvlan on the first one's veth end.
fn macvlan(up: bool, mtu: Option<u32>) -> State {
    let m = Model {
        nodes: vec![
            Node {
                bridge: None,
                forwarding: false,
                route: None,
            };
            NODES
        ],
        links: vec![Link {
            a: 0,
            b: 1,
            ea: End {
                up: true,
                mtu: None,
                port: false,
                hairpin: false,
                host: None,
                link_local: None,
            },
            eb: End {
                up: true,
                mtu: None,
                port: false,
                hairpin: false,
                host: None,
                link_local: None,
            },
            macvlan: Some((up, mtu)),
        }],
        last: true,
        physical: None,
        tap: None,
    };
    m.state()
}

/// The case in memory: a macvlan that is down is asked for MTU
/// 9000 and up in one step; the MTU request fails, the `up` of the same
/// send goes through. The run puts it down again, and says so.
#[test]
fn a_step_that_took_effect_in_part_is_undone_and_said_so() {
    let (a, b) = (macvlan(false, None), macvlan(true, Some(9000)));
    let mut host = host_with(&a).expect("up");
    let before = host.state.clone();
    let p = plan(&b, &before);
    assert_eq!(lines(&p), vec!["ip -n t-n0 link set m0 mtu 9000 up"]);
    // The MTU (the first of the step's two requests) is refused.
    host.fail_requests.insert(host.requests);
    let err = apply(&mut host, &p, &mut |_, _| {}).expect_err("fails");
    assert_eq!(host.state, before);
    assert_eq!(err.partly_undone, Some(true));
    assert_eq!(err.failed.errno(), Some(libc::EINVAL));
    assert_eq!(
        err.to_string(),
        "`ip -n t-n0 link set m0 mtu 9000 up` failed in node n0: Invalid argument (injected) \
         (of it, `ip -n t-n0 link set m0 up` took effect); undid that and the 0 operation(s) \
         this run had done"
    );

    // The undo fails too: the message says what stays done.
    let mut host = host_with(&a).expect("up");
    let first = host.requests;
    // The step's MTU, then the undo's first request (its MTU back).
    host.fail_requests.extend([first, first + 2]);
    let err = apply(&mut host, &p, &mut |_, _| {}).expect_err("fails");
    assert!(!err.restored());
    assert_eq!(err.partly_undone, Some(false));
    let msg = err.to_string();
    assert!(
        msg.contains("not undone (of the step that failed): `ip -n t-n0 link set m0 up`"),
        "{msg}"
    );
    assert!(
        msg.contains("undo failed: `ip -n t-n0 link set m0 mtu 1500 down`"),
        "{msg}"
    );
    assert!(!msg.contains("undid that"), "{msg}");
}
