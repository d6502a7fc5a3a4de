//! Reconcile equals a fresh build — a property test against the kernel.
//!
//! Random valid topology files (nodes, veth links, bridges with ports and
//! options, IPv4/IPv6 addresses inside their link's subnet, routes via
//! reachable gateways, MTUs, a Docker-style network with members and
//! published ports, `serve:` and `run:`) and random edits of them. For each
//! pair (A, B), in one sandbox `nslab up A; nslab up B`, in another
//! `nslab up B`: the kernel state of every namespace of the two sandboxes
//! (links with kind, master, MTU, admin state and bridge options; addresses;
//! routes; the nft ruleset; listening sockets; processes; forwarding) must
//! be equal, and `nslab plan B --exit-code` must exit 0 after the one `up`.
//! Drift: after `up A`, something is deleted or changed by hand (a link, an
//! address, a route, an nft rule, a namespace, a link's state or MTU);
//! one `up A` must make the kernel equal to a fresh `up A`.
//!
//! Each case runs two sandboxes of its own (fresh network, mount and PID
//! namespaces with a private /run) inside the test's sandbox. A failing
//! case shrinks to a small pair of files, printed in full.
//!
//! `NSLAB_PROPTEST_CASES=500 cargo test --test reconcile` runs a soak
//! (default: 100 pairs and 60 drifts, about a minute on 2 cores).

mod common;
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

const NODES: usize = 4;
const LAB: &str = "rc";

// ---------------------------------------------------------------- model

#[derive(Debug, Clone)]
struct Bridge {
    stp: bool,
    ageing: u32,
    address: bool,
}

#[derive(Debug, Clone)]
struct End {
    /// A port of the node's bridge (no addresses then), if it has one.
    master: bool,
    hairpin: bool,
    /// Host part of the IPv4 address in the link's subnet.
    host: u8,
    v6: bool,
    mtu: Option<u32>,
}

#[derive(Debug, Clone)]
struct Link {
    a: usize,
    b: usize,
    ea: End,
    eb: End,
}

#[derive(Debug, Clone)]
struct Route {
    /// Through the peer of this node on link `link`.
    link: usize,
    /// `None`: the default route; else 192.168.<dest>.0/24.
    dest: Option<u8>,
    metric: Option<u32>,
}

#[derive(Debug, Clone)]
struct Node {
    present: bool,
    bridge: Option<Bridge>,
    forwarding: bool,
    serve: bool,
    run: bool,
    routes: Vec<Route>,
}

#[derive(Debug, Clone)]
struct Member {
    node: usize,
    publish: bool,
}

#[derive(Debug, Clone)]
struct Model {
    nodes: Vec<Node>,
    links: Vec<Link>,
    /// A network `dk0` held by node 0.
    network: Option<Vec<Member>>,
}

fn bridge() -> impl Strategy<Value = Bridge> {
    // This kernel has no CONFIG_BRIDGE_VLAN_FILTERING: never asked for.
    (
        any::<bool>(),
        prop_oneof![Just(300u32), Just(30), Just(600)],
        any::<bool>(),
    )
        .prop_map(|(stp, ageing, address)| Bridge {
            stp,
            ageing,
            address,
        })
}

fn end(lo: u8) -> impl Strategy<Value = End> {
    (
        prop::bool::weighted(0.3),
        any::<bool>(),
        lo..lo + 5,
        prop::bool::weighted(0.3),
        prop_oneof![3 => Just(None), 1 => Just(Some(1400u32)), 1 => Just(Some(9000))],
    )
        .prop_map(|(master, hairpin, host, v6, mtu)| End {
            master,
            hairpin,
            host,
            v6,
            mtu,
        })
}

fn link() -> impl Strategy<Value = Link> {
    (0..NODES, 0..NODES, end(1), end(11)).prop_map(|(a, b, ea, eb)| Link { a, b, ea, eb })
}

fn route() -> impl Strategy<Value = Route> {
    (
        0..6usize,
        prop_oneof![1 => Just(None), 3 => (0u8..4).prop_map(Some)],
        prop_oneof![Just(None), Just(Some(10u32)), Just(Some(20))],
    )
        .prop_map(|(link, dest, metric)| Route { link, dest, metric })
}

fn node() -> impl Strategy<Value = Node> {
    (
        prop::bool::weighted(0.9),
        prop::option::weighted(0.4, bridge()),
        any::<bool>(),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.2),
        prop::collection::vec(route(), 0..3),
    )
        .prop_map(|(present, bridge, forwarding, serve, run, routes)| Node {
            present,
            bridge,
            forwarding,
            serve,
            run,
            routes,
        })
}

fn members() -> impl Strategy<Value = Vec<Member>> {
    prop::collection::vec(
        (1..NODES, any::<bool>()).prop_map(|(node, publish)| Member { node, publish }),
        1..3,
    )
}

fn model() -> impl Strategy<Value = Model> {
    (
        prop::collection::vec(node(), NODES),
        prop::collection::vec(link(), 1..6),
        prop::option::weighted(0.35, members()),
    )
        .prop_map(|(nodes, links, network)| Model {
            nodes,
            links,
            network,
        })
}

/// One change to a model; indices are taken modulo what exists.
#[derive(Debug, Clone)]
enum Edit {
    /// Another address inside the same subnet.
    Host(usize, bool, u8),
    V6(usize, bool),
    Mtu(usize, bool, Option<u32>),
    Master(usize, bool),
    Hairpin(usize, bool),
    BridgeOpts(usize, Bridge),
    ToggleBridge(usize, Bridge),
    RemoveLink(usize),
    AddLink(Link),
    ToggleNode(usize),
    Routes(usize, Vec<Route>),
    Forwarding(usize),
    Serve(usize),
    Run(usize),
    Network(Option<Vec<Member>>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), any::<bool>(), 1u8..20).prop_map(|(l, e, h)| Edit::Host(l, e, h)),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(l, e)| Edit::V6(l, e)),
        1 => (any::<usize>(), any::<bool>(), prop_oneof![Just(None), Just(Some(1400u32)), Just(Some(9000))])
            .prop_map(|(l, e, m)| Edit::Mtu(l, e, m)),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(l, e)| Edit::Master(l, e)),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(l, e)| Edit::Hairpin(l, e)),
        2 => (0..NODES, bridge()).prop_map(|(n, b)| Edit::BridgeOpts(n, b)),
        1 => (0..NODES, bridge()).prop_map(|(n, b)| Edit::ToggleBridge(n, b)),
        1 => any::<usize>().prop_map(Edit::RemoveLink),
        1 => link().prop_map(Edit::AddLink),
        1 => (0..NODES).prop_map(Edit::ToggleNode),
        2 => (0..NODES, prop::collection::vec(route(), 0..3)).prop_map(|(n, r)| Edit::Routes(n, r)),
        1 => (0..NODES).prop_map(Edit::Forwarding),
        1 => (0..NODES).prop_map(Edit::Serve),
        1 => (0..NODES).prop_map(Edit::Run),
        1 => prop::option::of(members()).prop_map(Edit::Network),
    ]
}

impl Model {
    fn end_mut(&mut self, l: usize, b: bool) -> Option<&mut End> {
        if self.links.is_empty() {
            return None;
        }
        let n = self.links.len();
        let link = &mut self.links[l % n];
        Some(if b { &mut link.eb } else { &mut link.ea })
    }

    fn apply(&mut self, e: &Edit) {
        match e {
            Edit::Host(l, b, h) => {
                if let Some(end) = self.end_mut(*l, *b) {
                    // Keep a-ends in 1..10 and b-ends in 11..20: distinct.
                    end.host = if *b { 11 + h % 9 } else { 1 + h % 9 };
                }
            }
            Edit::V6(l, b) => {
                if let Some(end) = self.end_mut(*l, *b) {
                    end.v6 = !end.v6;
                }
            }
            Edit::Mtu(l, b, m) => {
                if let Some(end) = self.end_mut(*l, *b) {
                    end.mtu = *m;
                }
            }
            Edit::Master(l, b) => {
                if let Some(end) = self.end_mut(*l, *b) {
                    end.master = !end.master;
                }
            }
            Edit::Hairpin(l, b) => {
                if let Some(end) = self.end_mut(*l, *b) {
                    end.hairpin = !end.hairpin;
                }
            }
            Edit::BridgeOpts(n, br) => {
                if let Some(b) = &mut self.nodes[*n].bridge {
                    b.stp = br.stp;
                    b.ageing = br.ageing;
                }
            }
            Edit::ToggleBridge(n, br) => {
                let node = &mut self.nodes[*n];
                node.bridge = match node.bridge {
                    Some(_) => None,
                    None => Some(br.clone()),
                };
            }
            Edit::RemoveLink(l) => {
                if !self.links.is_empty() {
                    let n = self.links.len();
                    self.links.remove(l % n);
                }
            }
            Edit::AddLink(l) => self.links.push(l.clone()),
            Edit::ToggleNode(n) => self.nodes[*n].present = !self.nodes[*n].present,
            Edit::Routes(n, r) => self.nodes[*n].routes = r.clone(),
            Edit::Forwarding(n) => self.nodes[*n].forwarding = !self.nodes[*n].forwarding,
            Edit::Serve(n) => self.nodes[*n].serve = !self.nodes[*n].serve,
            Edit::Run(n) => self.nodes[*n].run = !self.nodes[*n].run,
            Edit::Network(m) => self.network = m.clone(),
        }
    }

    fn present(&self, n: usize) -> bool {
        self.nodes[n].present
    }

    /// Links that exist in the file: both nodes present, two nodes.
    fn live_links(&self) -> Vec<(usize, &Link)> {
        self.links
            .iter()
            .enumerate()
            .filter(|(_, l)| l.a != l.b && self.present(l.a) && self.present(l.b))
            .collect()
    }

    fn is_port(&self, node: usize, e: &End) -> bool {
        e.master && self.nodes[node].bridge.is_some()
    }

    fn members(&self) -> Vec<&Member> {
        let Some(ms) = &self.network else {
            return Vec::new();
        };
        if !self.present(0) {
            return Vec::new();
        }
        let mut seen = BTreeSet::new();
        ms.iter()
            .filter(|m| self.present(m.node) && seen.insert(m.node))
            .collect()
    }

    /// The topology file.
    fn yaml(&self) -> String {
        let members = self.members();
        let mut y = format!("lab: {LAB}\nnodes:\n");
        for (n, node) in self.nodes.iter().enumerate() {
            if !node.present {
                continue;
            }
            let _ = writeln!(y, "  n{n}:");
            let mut body = String::new();
            if node.forwarding {
                body.push_str("    forwarding: true\n");
            }
            let mut ifaces = String::new();
            if let Some(b) = &node.bridge {
                let _ = write!(
                    ifaces,
                    "      br0: {{ kind: bridge, stp: {}, ageing: {}",
                    b.stp, b.ageing
                );
                if b.address {
                    let _ = write!(ifaces, ", addresses: [10.{}.0.1/24]", 100 + n);
                }
                ifaces.push_str(" }\n");
            }
            for (i, l) in self.live_links() {
                for (who, e, other) in [(l.a, &l.ea, l.b), (l.b, &l.eb, l.a)] {
                    let _ = other;
                    if who != n {
                        continue;
                    }
                    let mut attrs = Vec::new();
                    if self.is_port(n, e) {
                        attrs.push("master: br0".to_string());
                        if e.hairpin {
                            attrs.push("hairpin: true".to_string());
                        }
                    } else {
                        let mut a = vec![format!("10.{}.0.{}/24", i + 1, e.host)];
                        if e.v6 {
                            a.push(format!("fd00:{}::{}/64", i + 1, e.host));
                        }
                        attrs.push(format!("addresses: [{}]", a.join(", ")));
                    }
                    if let Some(m) = e.mtu {
                        attrs.push(format!("mtu: {m}"));
                    }
                    let _ = writeln!(ifaces, "      v{i}: {{ {} }}", attrs.join(", "));
                }
            }
            if !ifaces.is_empty() {
                body.push_str("    interfaces:\n");
                body.push_str(&ifaces);
            }
            let routes = self.routes_of(n, members.iter().any(|m| m.node == n));
            if !routes.is_empty() {
                body.push_str("    routes:\n");
                for r in routes {
                    let _ = writeln!(body, "      - {r}");
                }
            }
            if node.serve {
                body.push_str("    serve: [tcp/80, udp/53]\n");
            }
            if node.run {
                body.push_str("    run: [\"sleep 3600\"]\n");
            }
            if body.is_empty() {
                body.push_str("    lo: up\n");
            }
            y.push_str(&body);
        }
        let live = self.live_links();
        if !live.is_empty() {
            y.push_str("links:\n");
            for (i, l) in live {
                let _ = writeln!(y, "  - [n{}:v{i}, n{}:v{i}]", l.a, l.b);
            }
        }
        if !members.is_empty() {
            y.push_str(
                "networks:\n  dk0:\n    node: n0\n    subnet: 172.20.0.0/24\n    members:\n",
            );
            for m in members {
                let _ = write!(y, "      n{}: {{ address: 172.20.0.{}", m.node, 10 + m.node);
                if m.publish {
                    let _ = write!(y, ", publish: [\"{}:80\"]", 8000 + m.node);
                }
                y.push_str(" }\n");
            }
        }
        y
    }

    /// The node's routes that make sense in this file: through a link end
    /// with an address whose peer has one; one per destination; no default
    /// route on a network member (it gets one via the gateway).
    fn routes_of(&self, n: usize, member: bool) -> Vec<String> {
        let mut out = Vec::new();
        let mut dests = BTreeSet::new();
        for r in &self.nodes[n].routes {
            if r.dest.is_none() && member {
                continue;
            }
            let Some((i, l)) = self.links.get(r.link).map(|l| (r.link, l)) else {
                continue;
            };
            if l.a == l.b || !self.present(l.a) || !self.present(l.b) {
                continue;
            }
            let (me, peer, peer_node) = if l.a == n {
                (&l.ea, &l.eb, l.b)
            } else if l.b == n {
                (&l.eb, &l.ea, l.a)
            } else {
                continue;
            };
            if self.is_port(n, me) || self.is_port(peer_node, peer) {
                continue;
            }
            if !dests.insert(r.dest) {
                continue;
            }
            let to = match r.dest {
                None => "default".to_string(),
                Some(d) => format!("192.168.{d}.0/24"),
            };
            let mut s = format!("{to} via 10.{}.0.{}", i + 1, peer.host);
            if let Some(m) = r.metric {
                let _ = write!(s, " metric {m}");
            }
            out.push(s);
        }
        out
    }
}

// ---------------------------------------------------------------- drift

/// Something done by hand after `up`: the `k`-th object of a kind.
#[derive(Debug, Clone)]
enum Drift {
    DeleteLink(usize),
    DeleteAddress(usize),
    DeleteRoute(usize),
    DeleteNftRule(usize),
    DeleteNamespace(usize),
    LinkDown(usize),
    Mtu(usize),
}

fn drift() -> impl Strategy<Value = Drift> {
    prop_oneof![
        any::<usize>().prop_map(Drift::DeleteLink),
        any::<usize>().prop_map(Drift::DeleteAddress),
        any::<usize>().prop_map(Drift::DeleteRoute),
        any::<usize>().prop_map(Drift::DeleteNftRule),
        any::<usize>().prop_map(Drift::DeleteNamespace),
        any::<usize>().prop_map(Drift::LinkDown),
        any::<usize>().prop_map(Drift::Mtu),
    ]
}

impl Drift {
    /// Shell that does it (sets $DRIFT to what it did, for the report).
    fn script(&self) -> String {
        // pick FILE K: line K mod n of FILE (nothing when empty).
        let pick =
            r#"pick() { n=$(wc -l < "$1"); [ "$n" -gt 0 ] && sed -n "$(( $2 % n + 1 ))p" "$1"; }"#;
        let body = match self {
            Drift::DeleteLink(k) | Drift::LinkDown(k) | Drift::Mtu(k) => {
                let act = match self {
                    Drift::DeleteLink(_) => "ip -n $1 link del $2",
                    Drift::LinkDown(_) => "ip -n $1 link set $2 down",
                    _ => "ip -n $1 link set $2 mtu 1300",
                };
                format!(
                    r#"for ns in $(ls /run/netns | sort); do ip -n $ns -o link show | awk -F': ' '{{print $2}}' | cut -d@ -f1 | grep -vx lo | sed "s/^/$ns /"; done > /tmp/d
                    set -- $(pick /tmp/d {k}); [ -n "$1" ] && {act} && echo "drift: {act} ($*)" >&2"#
                )
            }
            Drift::DeleteAddress(k) => format!(
                r#"for ns in $(ls /run/netns | sort); do ip -n $ns -o addr show scope global | awk -v ns=$ns '{{print ns, $2, $4}}'; done > /tmp/d
                set -- $(pick /tmp/d {k}); [ -n "$1" ] && ip -n $1 addr del $3 dev $2 && echo "drift: addr del $*" >&2"#
            ),
            Drift::DeleteRoute(k) => format!(
                r#"for ns in $(ls /run/netns | sort); do ip -n $ns -o route show proto static | sed "s/^/$ns /"; ip -n $ns -o -6 route show proto static | sed "s/^/$ns -6 /"; done > /tmp/d
                line=$(pick /tmp/d {k}); [ -n "$line" ] && set -- $line && ns=$1 && shift && ip -n $ns route del "$@" && echo "drift: route del $line" >&2"#
            ),
            Drift::DeleteNftRule(k) => format!(
                r#"for ns in $(ls /run/netns | sort); do ip netns exec $ns nft -a list ruleset | awk -v ns=$ns '/^table/ {{t=$2" "$3}} /^\tchain/ {{c=$2}} /# handle/ && !/^\t*(chain|table|type)/ {{print ns, t, c, $NF}}'; done > /tmp/d
                set -- $(pick /tmp/d {k}); [ -n "$1" ] && ip netns exec $1 nft delete rule $2 $3 $4 handle $5 && echo "drift: nft delete rule $*" >&2"#
            ),
            // Any namespace, with or without a `serve:`/`run:` process
            // keeping it alive, and `up` right away: the kernel destroys
            // a deleted namespace's links a moment later.
            Drift::DeleteNamespace(k) => format!(
                r#"ls /run/netns | sort > /tmp/d; ns=$(pick /tmp/d {k}); [ -n "$ns" ] && p=$(ip netns pids $ns) && ip netns del $ns && echo "drift: netns del $ns${{p:+ (kept alive by a process)}}" >&2"#
            ),
        };
        format!("{pick}\n{body}\n")
    }
}

// ---------------------------------------------------------------- kernel

fn files(test: &str) -> PathBuf {
    // Not under /run: each case's sandboxes mount a tmpfs of their own
    // there. Named by test and time: every sandboxed test has pid 2.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let d = std::env::temp_dir().join(format!("nslab-{test}-{nanos}"));
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.to_str().expect("utf-8").to_string()
}

/// Print the lab's kernel state, section by section (parsed by [`canon`]).
const DUMP: &str = r#"
# An IPv6 address gets its local route once DAD is done, about a second
# after its link has carrier: timing, not state. Wait (bounded) until no
# address on a link with carrier is still tentative.
tentative() {
  for ns in $(ls /run/netns 2>/dev/null); do
    ip -n $ns -6 -o addr show tentative | awk '{print $2}' | while read -r d; do
      ip -n $ns -o link show dev "$d" | grep -q LOWER_UP && echo "$ns $d"
    done
  done
}
for i in $(seq 60); do [ -z "$(tentative)" ] && break; sleep 0.05; done
for ns in $(ls /run/netns 2>/dev/null | sort); do
  echo "@@ns $ns"
  echo "@@link"; ip -n $ns -d -j link show
  echo "@@addr"; ip -n $ns -j addr show
  echo "@@route"; ip -n $ns -j -4 route show table all
  echo "@@route"; ip -n $ns -j -6 route show table all
  echo "@@nft"; ip netns exec $ns nft list ruleset
  echo "@@ss"; ip netns exec $ns ss -Hlntu | awk '{print $1, $5}' | sort
  echo "@@sysctl"; ip netns exec $ns sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding
  echo "@@procs"; for p in $(ip netns pids $ns); do tr '\0' ' ' < /proc/$p/cmdline; echo; done | sort
done
echo "@@ns (sandbox)"
echo "@@link"; ip -d -j link show
echo "@@route"; ip -j -4 route show table all
echo "@@nft"; nft list ruleset
echo "@@marked"; for p in /proc/[0-9]*; do tr '\0' '\n' < $p/environ 2>/dev/null | grep -qx NSLAB_LAB=rc && { tr '\0' ' ' < $p/cmdline; echo; }; done | sort
echo "@@end"
"#;

/// Run `script` in a fresh sandbox of its own; stdout and stderr.
fn in_sandbox(script: &str) -> (String, String) {
    let full = format!("set +e\nmount -t tmpfs nslab-case /run || exit 99\n{script}");
    let o = Command::new("unshare")
        .args([
            "--net",
            "--mount",
            "--propagation",
            "private",
            "--pid",
            "--fork",
            "--mount-proc",
            "--",
            "sh",
            "-c",
            &full,
        ])
        .output()
        .expect("unshare");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(x)) => x.clone(),
        Some(x) => x.to_string(),
    }
}

fn json(text: &str) -> Vec<Value> {
    serde_json::from_str::<Vec<Value>>(text.trim()).unwrap_or_default()
}

/// The dump in canonical form: one sorted line per object, without what
/// the kernel picks at random (indexes, MACs, link-local addresses).
fn canon(dump: &str) -> String {
    let mut out = String::new();
    let mut section = String::new();
    let mut body = String::new();
    let flush = |section: &str, body: &str, out: &mut String| {
        let mut lines: Vec<String> = match section {
            "link" => json(body)
                .iter()
                .map(|l| {
                    let info = l.get("linkinfo").cloned().unwrap_or(Value::Null);
                    let data = info.get("info_data").cloned().unwrap_or(Value::Null);
                    let slave = info.get("info_slave_data").cloned().unwrap_or(Value::Null);
                    let up = l
                        .get("flags")
                        .and_then(Value::as_array)
                        .is_some_and(|f| f.iter().any(|x| x == "UP"));
                    let mut line = format!(
                        "link {} kind={} mtu={} up={} master={} alias={}",
                        s(l, "ifname"),
                        s(&info, "info_kind"),
                        s(l, "mtu"),
                        up,
                        s(l, "master"),
                        s(l, "ifalias"),
                    );
                    if s(&info, "info_kind") == "bridge" {
                        let _ = write!(
                            line,
                            " stp={} ageing={} vlan_filtering={}",
                            s(&data, "stp_state"),
                            s(&data, "ageing_time"),
                            s(&data, "vlan_filtering")
                        );
                    }
                    if !s(l, "master").is_empty() {
                        let _ = write!(line, " hairpin={}", s(&slave, "hairpin"));
                    }
                    line
                })
                .collect(),
            "addr" => json(body)
                .iter()
                .flat_map(|l| {
                    let name = s(l, "ifname");
                    l.get("addr_info")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|a| s(a, "scope") != "link")
                        .map(move |a| {
                            format!("addr {name} {}/{}", s(&a, "local"), s(&a, "prefixlen"))
                        })
                })
                .collect(),
            "route" => json(body)
                .iter()
                // The kernel adds IPv6 link-local and multicast routes when
                // a link gets carrier, up to a second later (linkwatch), and
                // subnet-router anycast ones once DAD is done: timing, not
                // state.
                .filter(|r| {
                    let dst = s(r, "dst");
                    !dst.starts_with("fe80:")
                        && !dst.starts_with("ff00:")
                        && s(r, "type") != "multicast"
                        && s(r, "type") != "anycast"
                })
                .map(|r| {
                    format!(
                        "route {} {} via={} dev={} proto={} metric={} src={} table={} scope={}",
                        s(r, "type"),
                        s(r, "dst"),
                        s(r, "gateway"),
                        s(r, "dev"),
                        s(r, "protocol"),
                        s(r, "metric"),
                        s(r, "prefsrc"),
                        s(r, "table"),
                        s(r, "scope"),
                    )
                })
                .collect(),
            "nft" => {
                // Keep the text (its order is the rules' order).
                let t: Vec<String> = body
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| format!("nft {l}"))
                    .collect();
                out.push_str(&t.join("\n"));
                out.push('\n');
                return;
            }
            "" => Vec::new(),
            other => body
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("{other} {}", l.trim()))
                .collect(),
        };
        lines.sort();
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    };
    for line in dump.lines() {
        if let Some(rest) = line.strip_prefix("@@") {
            flush(&section, &body, &mut out);
            body.clear();
            if let Some(ns) = rest.strip_prefix("ns ") {
                let _ = writeln!(out, "== {ns}");
                section.clear();
            } else {
                section = rest.to_string();
            }
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// The lines one canonical dump has more often than the other.
fn diff(a: &str, b: &str) -> String {
    let mut count: std::collections::BTreeMap<&str, i64> = Default::default();
    for l in a.lines() {
        *count.entry(l).or_default() += 1;
    }
    for l in b.lines() {
        *count.entry(l).or_default() -= 1;
    }
    let mut d = String::new();
    for (l, n) in count {
        if n > 0 {
            let _ = writeln!(d, "- {l} (x{n})");
        } else if n < 0 {
            let _ = writeln!(d, "+ {l} (x{})", -n);
        }
    }
    if d.is_empty() {
        d.push_str("(same lines, different order)\n");
    }
    d
}

fn cases(default: u32) -> u32 {
    std::env::var("NSLAB_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    })
}

/// Validate, or fail the case: the generator only makes valid files.
fn validate(path: &str, text: &str) -> Result<(), TestCaseError> {
    let o = nslab(&["validate", path]);
    if o.status.success() {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "generated file does not validate:\n{}\n---\n{text}",
            common::text(&o)
        )))
    }
}

fn run_case(
    before: &str,
    after: &str,
    label: &str,
    a_text: &str,
    b_text: &str,
) -> Result<(), TestCaseError> {
    let bin = nslab_bin();
    let bin = bin.to_str().expect("utf-8");
    let (out1, err1) = in_sandbox(&format!(
        "{before}\n{bin} plan {after} --exit-code >/dev/null 2>&1; echo \"@@plan $?\" >&2\n{DUMP}\n{bin} down {LAB} >/dev/null 2>&1 || echo 'down failed' >&2"
    ));
    let (out2, err2) = in_sandbox(&format!(
        "{bin} up {after} >/dev/null 2>&1 || echo \"fresh up failed\" >&2\n{bin} plan {after} --exit-code >/dev/null 2>&1; echo \"@@plan $?\" >&2\n{DUMP}\n{bin} down {LAB} >/dev/null 2>&1"
    ));
    if err1.contains("drift: netns del") {
        NETNS_DELETED.fetch_add(1, Relaxed);
    }
    if err1.contains("(kept alive by a process)") {
        KEPT_ALIVE.fetch_add(1, Relaxed);
    }
    let show = || format!("--- A ---\n{a_text}--- B ---\n{b_text}--- {label} run ---\n{err1}");
    if err2.contains("fresh up failed") {
        return Err(TestCaseError::fail(format!(
            "a fresh `up` failed:\n{}\n{err2}",
            show()
        )));
    }
    for (what, err) in [(label, &err1), ("fresh up", &err2)] {
        if !err.contains("@@plan 0") {
            return Err(TestCaseError::fail(format!(
                "`nslab plan --exit-code` is not 0 after {what}:\n{}\n{err}",
                show()
            )));
        }
    }
    if err1.contains("failed") {
        return Err(TestCaseError::fail(format!("{label} failed:\n{}", show())));
    }
    let (c1, c2) = (canon(&out1), canon(&out2));
    if c1 != c2 {
        return Err(TestCaseError::fail(format!(
            "kernel after {label} differs from a fresh `up` (- {label}, + fresh):\n{}{}",
            diff(&c1, &c2),
            show()
        )));
    }
    Ok(())
}

static RAN: AtomicUsize = AtomicUsize::new(0);
/// Drift cases that deleted a namespace; of those, kept alive by a process.
static NETNS_DELETED: AtomicUsize = AtomicUsize::new(0);
static KEPT_ALIVE: AtomicUsize = AtomicUsize::new(0);

fn ran() -> usize {
    RAN.fetch_add(1, Relaxed) + 1
}

fn report<T: std::fmt::Debug>(r: Result<(), TestError<T>>) {
    match r {
        Ok(()) => {}
        Err(TestError::Fail(why, value)) => panic!("{why}\nminimal case: {value:#?}"),
        Err(e) => panic!("{e}"),
    }
}

/// `up A; up B` equals `up B`, and `plan B` is then empty.
#[test]
fn reconcile_equals_fresh_build() {
    if !sandbox("reconcile_equals_fresh_build") {
        return;
    }
    let dir = files("reconcile");
    let n = cases(100);
    let mut runner = runner(n);
    let strategy = (model(), prop::collection::vec(edit(), 1..4));
    let r = runner.run(&strategy, |(a, edits)| {
        let mut b = a.clone();
        for e in &edits {
            b.apply(e);
        }
        ran();
        let (ya, yb) = (a.yaml(), b.yaml());
        let pa = write(&dir, "a.yaml", &ya);
        let pb = write(&dir, "b.yaml", &yb);
        validate(&pa, &ya)?;
        validate(&pb, &yb)?;
        let bin = nslab_bin();
        let bin = bin.to_str().expect("utf-8");
        let before = format!(
            "{bin} up {pa} >/dev/null 2>&1 || echo 'up A failed' >&2\n{bin} up {pb} >/dev/null 2>/tmp/upb || {{ echo 'up B failed:' >&2; cat /tmp/upb >&2; }}"
        );
        run_case(&before, &pb, "up A; up B", &ya, &yb)
    });
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "reconcile: {} pair(s) compared (cases asked: {n}, shrinking included)",
        RAN.load(Relaxed)
    );
    report(r);
}

/// Drift by hand after `up A`; one `up A` equals a fresh `up A`.
#[test]
fn one_up_repairs_drift() {
    if !sandbox("one_up_repairs_drift") {
        return;
    }
    let dir = files("drift");
    let n = cases(60);
    let mut runner = runner(n);
    let r = runner.run(&(model(), drift()), |(a, d)| {
        ran();
        let ya = a.yaml();
        let pa = write(&dir, "a.yaml", &ya);
        validate(&pa, &ya)?;
        let bin = nslab_bin();
        let bin = bin.to_str().expect("utf-8");
        let before = format!(
            "{bin} up {pa} >/dev/null 2>&1 || echo 'up A failed' >&2\n{}\n{bin} up {pa} >/dev/null 2>/tmp/up2 || {{ echo 'repairing up failed:' >&2; cat /tmp/up2 >&2; }}",
            d.script()
        );
        run_case(&before, &pa, &format!("{d:?} then up A"), &ya, &ya)
    });
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "drift: {} case(s) compared (cases asked: {n}, shrinking included); {} deleted a namespace, {} of them one kept alive by a process",
        RAN.load(Relaxed),
        NETNS_DELETED.load(Relaxed),
        KEPT_ALIVE.load(Relaxed)
    );
    report(r);
}

// ------------------------------------------------------------- rollback

fn dump_here() -> String {
    let o = Command::new("sh")
        .args(["-c", DUMP])
        .output()
        .expect("dump");
    canon(&String::from_utf8_lossy(&o.stdout))
}

/// The second file fails half-way (a route via a link that is down, after
/// the deletions): what was deleted is made again — a veth pair with its
/// addresses, a bridge port, a route through it, a changed address — and
/// the kernel is exactly as before; the message says all was undone.
#[test]
fn a_failed_up_undoes_its_deletions_exactly() {
    if !sandbox("a_failed_up_undoes_its_deletions_exactly") {
        return;
    }
    let dir = Path::new("/run/rc-files");
    std::fs::create_dir_all(dir).expect("mkdir");
    let a = "lab: rc\nnodes:\n  n0:\n    interfaces:\n      br0: { kind: bridge }\n      v1: { master: br0 }\n      v0: { addresses: [10.1.0.1/24, fd00:1::1/64] }\n    routes: [192.168.1.0/24 via 10.1.0.2]\n  n1:\n    interfaces:\n      v0: { addresses: [10.1.0.2/24] }\n      v1: { addresses: [10.2.0.2/24] }\n      v2: { addresses: [10.3.0.1/24] }\n    routes: [default via 10.2.0.1]\n  n2:\n    interfaces:\n      v2: { addresses: [10.3.0.2/24] }\nlinks:\n  - [n0:v0, n1:v0]\n  - [n0:v1, n1:v1]\n  - [n1:v2, n2:v2]\n";
    // B: the n0-n1 pair goes, n1's v1 address changes inside its subnet,
    // and a route via n2's v2, now down, fails.
    let b = "lab: rc\nnodes:\n  n0:\n    interfaces:\n      br0: { kind: bridge }\n      v1: { master: br0 }\n  n1:\n    interfaces:\n      v1: { addresses: [10.2.0.9/24] }\n      v2: { addresses: [10.3.0.1/24] }\n    routes: [default via 10.2.0.1]\n  n2:\n    interfaces:\n      v2: { addresses: [10.3.0.2/24], up: false }\n    routes: [10.9.0.0/16 via 10.3.0.1]\nlinks:\n  - [n0:v1, n1:v1]\n  - [n1:v2, n2:v2]\n";
    let pa = write(dir, "a.yaml", a);
    let pb = write(dir, "b.yaml", b);
    nslab_ok(&["up", &pa], 0);
    let before = dump_here();
    let o = nslab(&["up", &pb]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("route add 10.9.0.0/16"),
        "names what failed: {t}"
    );
    assert!(t.contains("undid the"), "says all was undone: {t}");
    assert!(!t.contains("not undone"), "{t}");
    let after = dump_here();
    assert!(
        before == after,
        "not as before (- before, + after):\n{}",
        diff(&before, &after)
    );
    nslab_ok(&["plan", &pa, "--exit-code"], 0);
    nslab_ok(&["down", "rc"], 0);
    assert_nothing_left("rc");
}

/// A deleted namespace cannot be made again as it was: the message names
/// it as not undone, never says everything was undone, and the record
/// still lists what the run may have made, so `down` removes it all.
#[test]
fn a_failed_up_names_what_it_could_not_undo() {
    if !sandbox("a_failed_up_names_what_it_could_not_undo") {
        return;
    }
    let dir = Path::new("/run/rc-files");
    std::fs::create_dir_all(dir).expect("mkdir");
    let a = "lab: rc\nnodes:\n  n0:\n    interfaces:\n      v0: { addresses: [10.1.0.1/24] }\n  n1:\n    interfaces:\n      v0: { addresses: [10.1.0.2/24] }\n  n2: {}\nlinks:\n  - [n0:v0, n1:v0]\n";
    let b = "lab: rc\nnodes:\n  n0:\n    interfaces:\n      v0: { addresses: [10.1.0.1/24], up: false }\n    routes: [10.9.0.0/16 via 10.1.0.2]\n  n1:\n    interfaces:\n      v0: { addresses: [10.1.0.2/24] }\n  n3: {}\nlinks:\n  - [n0:v0, n1:v0]\n";
    let pa = write(dir, "a.yaml", a);
    let pb = write(dir, "b.yaml", b);
    nslab_ok(&["up", &pa], 0);
    let o = nslab(&["up", &pb]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("not undone (no inverse): `ip netns del rc-n2`"),
        "names the deletion it could not undo: {t}"
    );
    assert!(!t.contains("undid the"), "must not claim a full undo: {t}");
    // n3, made by this run, was removed again; n2 is gone for good.
    assert!(!Path::new("/run/netns/rc-n3").exists(), "{t}");
    assert!(!Path::new("/run/netns/rc-n2").exists());
    // Another `up` of A converges; `down` leaves nothing.
    nslab_ok(&["up", &pa], 0);
    nslab_ok(&["plan", &pa, "--exit-code"], 0);
    nslab_ok(&["down", "rc"], 0);
    assert_nothing_left("rc");
}

/// Dropping the first of two addresses of a subnet (the primary) can take
/// the second along (without `promote_secondaries`); changing an address
/// inside its subnet must not lose the new one; a route through the link
/// comes back. One `up` each, then nothing left to do.
#[test]
fn address_changes_inside_a_subnet_converge_in_one_up() {
    if !sandbox("address_changes_inside_a_subnet_converge_in_one_up") {
        return;
    }
    let dir = Path::new("/run/rc-files");
    std::fs::create_dir_all(dir).expect("mkdir");
    let file = |addrs: &str, extra_route: bool| {
        format!(
            "lab: rc\nnodes:\n  n0:\n    interfaces:\n      v0: {{ addresses: [{addrs}] }}\n    routes:\n      - default via 10.0.0.254\n{}  n1:\n    interfaces:\n      v0: {{ addresses: [10.0.0.254/24, 10.0.0.253/24] }}\nlinks:\n  - [n0:v0, n1:v0]\n",
            if extra_route { "      - 192.168.5.0/24 via 10.0.0.253\n" } else { "" }
        )
    };
    for sysctl in ["0", "1"] {
        for (from, to, route) in [
            ("10.0.0.1/24", "10.0.0.5/24", true),
            ("10.0.0.1/24, 10.0.0.7/24", "10.0.0.7/24", false),
            ("10.0.0.1/24, 10.0.0.7/24", "10.0.0.9/24, 10.0.0.7/24", true),
            ("10.0.0.1/24, fd00::1/64", "10.0.0.2/24, fd00::2/64", false),
        ] {
            let pa = write(dir, "a.yaml", &file(from, false));
            let pb = write(dir, "b.yaml", &file(to, route));
            nslab_ok(&["up", &pa], 0);
            // The kernel's choice, both ways: secondaries promoted or not.
            sh(&format!(
                "ip netns exec rc-n0 sysctl -qw net.ipv4.conf.all.promote_secondaries={sysctl} net.ipv4.conf.v0.promote_secondaries={sysctl}"
            ));
            let o = nslab(&["up", &pb]);
            assert!(o.status.success(), "{from} -> {to}: {}", text(&o));
            let plan = nslab(&["plan", &pb, "--exit-code"]);
            assert_eq!(
                plan.status.code(),
                Some(0),
                "{from} -> {to} (promote {sysctl}) not converged:\n{}\n{}",
                text(&plan),
                sh("ip -n rc-n0 addr show v0; ip -n rc-n0 route")
            );
            nslab_ok(&["down", "rc"], 0);
        }
    }
    assert_nothing_left("rc");
}

/// Pairs the property test found, kept as fixed cases.
#[test]
fn pairs_found_by_the_property_test() {
    if !sandbox("pairs_found_by_the_property_test") {
        return;
    }
    let dir = files("found");
    let pairs = [
        // `forwarding: true` taken out stayed on.
        (
            "lab: rc\nnodes:\n  n2:\n    forwarding: true\n",
            "lab: rc\nnodes:\n  n2:\n    lo: up\n",
        ),
        // An `mtu:` taken out stayed.
        (
            "lab: rc\nnodes:\n  n1:\n    interfaces:\n      v2: { addresses: [10.3.0.1/24], mtu: 1400 }\n  n3:\n    interfaces:\n      v2: { addresses: [10.3.0.11/24] }\nlinks:\n  - [n1:v2, n3:v2]\n",
            "lab: rc\nnodes:\n  n1:\n    interfaces:\n      v2: { addresses: [10.3.0.1/24] }\n  n3:\n    interfaces:\n      v2: { addresses: [10.3.0.11/24] }\nlinks:\n  - [n1:v2, n3:v2]\n",
        ),
        // A pair deleted from one end: the other end's cached ifindex was
        // used for the new link of the same name ("No such device").
        (
            "lab: rc\nnodes:\n  n0:\n    interfaces:\n      v2: { addresses: [10.3.0.11/24] }\n  n1:\n    interfaces:\n      v1: { addresses: [10.2.0.11/24] }\n  n3:\n    interfaces:\n      v1: { addresses: [10.2.0.1/24] }\n      v2: { addresses: [10.3.0.1/24] }\n    routes:\n      - default via 10.2.0.11\nlinks:\n  - [n3:v1, n1:v1]\n  - [n3:v2, n0:v2]\n",
            "lab: rc\nnodes:\n  n0:\n    interfaces:\n      v1: { addresses: [10.2.0.11/24] }\n  n1:\n    interfaces:\n      v0: { addresses: [10.1.0.11/24] }\n  n3:\n    interfaces:\n      v0: { addresses: [10.1.0.1/24] }\n      v1: { addresses: [10.2.0.1/24] }\nlinks:\n  - [n3:v0, n1:v0]\n  - [n3:v1, n0:v1]\n",
        ),
        // Bridge options in place, a port re-made, an address changed in
        // its subnet with the route through it.
        (
            "lab: rc\nnodes:\n  n0:\n    interfaces:\n      br0: { kind: bridge, stp: false, ageing: 300 }\n      v0: { master: br0 }\n  n1:\n    interfaces:\n      v0: { addresses: [10.1.0.11/24] }\n    routes: [default via 10.1.0.12]\n  n2:\n    interfaces:\n      v0: { addresses: [10.1.0.12/24] }\nlinks:\n  - [n0:v0, n1:v0]\n  - [n2:v0, n0:v1]\n",
            "lab: rc\nnodes:\n  n0:\n    interfaces:\n      br0: { kind: bridge, stp: true, ageing: 30 }\n      v0: { master: br0 }\n      v1: { master: br0 }\n  n1:\n    interfaces:\n      v0: { addresses: [10.1.0.15/24] }\n    routes: [default via 10.1.0.12]\n  n2:\n    interfaces:\n      v0: { addresses: [10.1.0.12/24] }\nlinks:\n  - [n0:v0, n1:v0]\n  - [n2:v0, n0:v1]\n",
        ),
    ];
    let bin = nslab_bin();
    let bin = bin.to_str().expect("utf-8");
    for (a, b) in pairs {
        let pa = write(&dir, "a.yaml", a);
        let pb = write(&dir, "b.yaml", b);
        let before = format!(
            "{bin} up {pa} >/dev/null 2>&1 || echo 'up A failed' >&2\n{bin} up {pb} >/dev/null 2>/tmp/upb || {{ echo 'up B failed:' >&2; cat /tmp/upb >&2; }}"
        );
        if let Err(e) = run_case(&before, &pb, "up A; up B", a, b) {
            panic!("{e}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
