//! Read a lab back from the kernel as a [`State`]: links, addresses and
//! routes over netlink, sysctls from inside each node, and veth peers and
//! sub-interface parents resolved across namespaces (IFLA_LINK plus
//! IFLA_LINK_NETNSID, the namespace always proven with RTM_GETNSID: never
//! by ifindex alone).

use super::linux::Linux;
use super::{OpError, Scope};
use crate::plan::At;
use crate::state::nat::Nat;
use crate::state::{
    Cidr, DeviceKind, Endpoint, Impair, LinkKind, LinkState, MacvlanMode, NodeState, State,
};
use nslab_netlink as nl;
use nslab_sys::{netns, sysctl};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::os::fd::AsFd;

mod nat;
mod routes;

use nat::nat_of;
pub use nat::FOREIGN_RULE;
pub use nl::{RTPROT_KERNEL, RTPROT_NSLAB, RT_TABLE_LOCAL, RT_TABLE_MAIN};
use routes::{is_lab_route, route_state};

/// One node's raw dumps, before cross-namespace references are resolved.
struct Seen {
    at: At,
    links: Vec<nl::Link>,
    addrs: Vec<nl::Address>,
    routes: Vec<nl::Route>,
    sysctls: BTreeMap<String, String>,
    nat: Option<Nat>,
    qdiscs: Vec<nl::QdiscInfo>,
}

fn err(at: &At, what: &str, e: impl std::fmt::Display) -> OpError {
    OpError {
        op: format!("observe {what}"),
        node: at.node.clone(),
        message: e.to_string(),
    }
}

pub(super) fn observe(host: &mut Linux, scope: &Scope) -> Result<State, OpError> {
    let mut seen = Vec::new();
    for (node, ns) in &scope.nodes {
        if let Some(s) = see_node(host, scope, node, ns)? {
            seen.push(s);
        }
    }
    let mut state = State {
        lab: scope.lab.clone(),
        nodes: BTreeMap::new(),
    };
    let by_index = by_index(&seen);
    for i in 0..seen.len() {
        let node = build_node(host, &seen, &by_index, i, scope);
        state.nodes.insert(seen[i].at.node.clone(), node);
    }
    Ok(state)
}

/// One node's raw dumps, or `None` when its namespace is gone or (with
/// `skip_foreign`) not the lab's.
fn see_node(
    host: &mut Linux,
    scope: &Scope,
    node: &str,
    ns: &Option<String>,
) -> Result<Option<Seen>, OpError> {
    let at = At {
        node: node.to_string(),
        netns: ns.clone(),
    };
    if let Some(name) = ns {
        if !netns::exists(name) {
            host.close(name);
            return Ok(None);
        }
    }
    let alias = host.alias().to_string();
    let h = host.handle(&at).map_err(|e| err(&at, "namespace", e))?;
    let mut links = h.sock.links().map_err(|e| err(&at, "links", e))?;
    // A namespace is the lab's only if its `lo` carries the lab's mark
    // (it is marked before it gets its name, so an unmarked one was
    // made by someone else). Never taken over; `down` leaves it out.
    if let Some(name) = ns {
        let lo_alias = links
            .iter()
            .find(|l| l.name == "lo")
            .and_then(|l| l.alias.clone());
        if lo_alias.as_deref() != Some(alias.as_str()) {
            host.close(name);
            if scope.skip_foreign {
                return Ok(None);
            }
            return Err(foreign_netns(&at, name, lo_alias));
        }
    }
    if ns.is_none() {
        // In the host namespace only what the lab made is the lab's.
        links.retain(|l| l.alias.as_deref() == Some(alias.as_str()) || l.name == "lo");
    }
    let addrs = h.sock.addresses().map_err(|e| err(&at, "addresses", e))?;
    let routes = h.sock.routes().map_err(|e| err(&at, "routes", e))?;
    let qdiscs = h.sock.qdiscs().map_err(|e| err(&at, "qdiscs", e))?;
    let sysctls = read_sysctls(h, scope, &at)?;
    let nat = read_nat(h, scope, &at, &alias)?;
    Ok(Some(Seen {
        at,
        links,
        addrs,
        routes,
        sysctls,
        nat,
        qdiscs,
    }))
}

/// The error for a namespace of a node's name that the lab did not make.
fn foreign_netns(at: &At, name: &str, lo_alias: Option<String>) -> OpError {
    let node = &at.node;
    let whose = lo_alias
        .map(|a| format!("it belongs to {a}"))
        .unwrap_or_else(|| "nslab did not make it".into());
    err(
        at,
        "namespace",
        format!("namespace {name} already exists and {whose}; give node {node} another `netns:` name, or remove it (`ip netns del {name}`)"),
    )
}

/// The sysctls the scope asks about for this node: the forwarding
/// switches over netlink, any other inside the node from /proc/sys.
fn read_sysctls(
    h: &mut super::linux::Handle,
    scope: &Scope,
    at: &At,
) -> Result<BTreeMap<String, String>, OpError> {
    let keys = scope.sysctls.get(&at.node).cloned().unwrap_or_default();
    let mut out = BTreeMap::new();
    let mut rest = Vec::new();
    for k in keys {
        match super::linux::netconf_key(&k) {
            // Unreadable (IPv6 off in this kernel): left out, as below.
            Some(family) => {
                if let Ok(v) = h.sock.forwarding(family) {
                    out.insert(k, v.to_string());
                }
            }
            None => rest.push(k),
        }
    }
    if rest.is_empty() {
        return Ok(out);
    }
    let more = netns::visit(h.fd.as_fd(), || {
        rest.iter()
            .filter_map(|k| sysctl::read(k).ok().map(|v| (k.clone(), v)))
            .collect::<BTreeMap<_, _>>()
    })
    .map_err(|e| err(at, "sysctls", e))?;
    out.extend(more);
    Ok(out)
}

/// NAT: the lab's table read back from the kernel, rules decoded.
fn read_nat(
    h: &mut super::linux::Handle,
    scope: &Scope,
    at: &At,
    alias: &str,
) -> Result<Option<Nat>, OpError> {
    let table = format!("nslab-{}", scope.lab);
    let nft = h.nft().map_err(|e| err(at, "nftables", e))?;
    let read = nft.read_table(&table).map_err(|e| err(at, "nftables", e))?;
    Ok(match read {
        None => None,
        Some(t) if t.comment.as_deref() == Some(alias) => Some(nat_of(&t, alias)),
        Some(_) if scope.skip_foreign => None,
        Some(t) => {
            let whose = t
                .comment
                .map(|c| format!("its comment is {c:?}"))
                .unwrap_or_else(|| "it has no comment".into());
            let inside = at
                .netns
                .as_ref()
                .map(|n| format!("ip netns exec {n} "))
                .unwrap_or_default();
            return Err(err(
                at,
                "nftables",
                format!("table inet {table} exists and is not this lab's ({whose}, not \"{alias}\"); delete it (`{inside}nft delete table inet {table}`) or rename the lab"),
            ));
        }
    })
}

/// Every node's links by ifindex: (node's position in `seen`, link's
/// position in its dump). An ifindex is unique only within a namespace.
type ByIndex = HashMap<u32, Vec<(usize, usize)>>;

fn by_index(seen: &[Seen]) -> ByIndex {
    let mut out: ByIndex = HashMap::new();
    for (j, s) in seen.iter().enumerate() {
        for (k, l) in s.links.iter().enumerate() {
            out.entry(l.index).or_default().push((j, k));
        }
    }
    out
}

fn build_node(
    host: &mut Linux,
    seen: &[Seen],
    by_index: &ByIndex,
    i: usize,
    scope: &Scope,
) -> NodeState {
    let s = &seen[i];
    let mut n = NodeState::new(s.at.netns.clone());
    n.sysctls = s.sysctls.clone();
    n.nat = s.nat.clone();
    let names: HashMap<u32, &str> = s.links.iter().map(|l| (l.index, l.name.as_str())).collect();
    let name_of = |idx: u32| names.get(&idx).map(|n| n.to_string());
    let mut addrs: HashMap<u32, Vec<Cidr>> = HashMap::new();
    for a in s.addrs.iter().filter(|a| !is_link_local(&a.cidr.addr)) {
        addrs.entry(a.index).or_default().push(a.cidr);
    }
    let impairs: HashMap<u32, Impair> = s
        .qdiscs
        .iter()
        .filter_map(|q| q.impair.filter(|i| !i.is_none()).map(|i| (q.index, i)))
        .collect();
    for l in &s.links {
        if l.name == "lo" {
            n.lo_up = l.admin_up;
            continue;
        }
        let key = format!("{}:{}", s.at.node, l.name);
        // A physical interface the lab moved in says so itself, by its
        // mark (what the scope lists came from the record or the marks
        // before this run moved anything).
        let marked = l
            .alias
            .as_deref()
            .and_then(|a| super::linux::physical_from_mark(&scope.lab, a));
        let kind = if let Some(from) = marked.or(scope.physical.get(&key).map(String::as_str)) {
            LinkKind::Physical {
                from: from.to_string(),
            }
        } else {
            link_kind(host, seen, by_index, i, l)
        };
        let mut ls = LinkState::new(kind);
        ls.up = l.admin_up;
        ls.oper = Some(l.oper_state.to_lowercase());
        ls.mtu = Some(l.mtu);
        ls.mac = l.mac;
        ls.master = l.master.and_then(name_of);
        ls.hairpin = l.details.hairpin.unwrap_or(false);
        ls.ipv6_link_local = l.details.ipv6_link_local;
        ls.impair = impairs.get(&l.index).copied();
        ls.addresses = addrs
            .get(&l.index)
            .map(|v| v.iter().copied().collect())
            .unwrap_or_default();
        n.links.insert(l.name.clone(), ls);
    }
    for r in &s.routes {
        if r.table == RT_TABLE_LOCAL {
            continue;
        }
        let rs = route_state(r, name_of);
        if is_lab_route(s, scope, r, &rs) {
            n.routes.insert(rs);
        }
    }
    n
}

fn is_link_local(a: &IpAddr) -> bool {
    match a {
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
        IpAddr::V4(_) => false,
    }
}

/// Which node holds ifindex `index`, as seen from node `i` through
/// `netnsid` (None: the same namespace); with `back`, only a link whose
/// own IFLA_LINK is `back` (a veth's peer points back at it).
///
/// Strict: an ifindex is only unique inside one namespace, so a link in
/// another node is accepted only when `netnsid` (node `i`'s id for the
/// peer's namespace) is that node's namespace, asked of the kernel. A peer
/// in a namespace outside the lab's nodes (one deleted by hand that a
/// process keeps alive) resolves to nothing, never to an unrelated pair
/// with the same ifindex numbers: the link's kind is then unknown and the
/// planner replaces it.
fn resolve(
    host: &mut Linux,
    seen: &[Seen],
    by_index: &ByIndex,
    i: usize,
    index: u32,
    netnsid: Option<i32>,
    back: Option<u32>,
) -> Option<Endpoint> {
    let points_back = |l: &nl::Link| back.is_none() || l.link == back;
    let with_index = by_index.get(&index).map(Vec::as_slice).unwrap_or_default();
    let Some(nsid) = netnsid else {
        let s = &seen[i];
        return with_index
            .iter()
            .filter(|(j, _)| *j == i)
            .map(|(_, k)| &s.links[*k])
            .find(|l| points_back(l))
            .map(|l| Endpoint::new(&s.at.node, &l.name));
    };
    let candidates: Vec<(usize, String)> = with_index
        .iter()
        .filter(|(j, _)| *j != i && seen[*j].at.netns != seen[i].at.netns)
        .map(|(j, k)| (*j, &seen[*j].links[*k]))
        .filter(|(_, l)| points_back(l))
        .map(|(j, l)| (j, l.name.clone()))
        .collect();
    for (j, name) in candidates {
        let other = seen[j].at.clone();
        let fd = match host.handle(&other) {
            Ok(h) => h.fd.try_clone().ok(),
            Err(_) => None,
        };
        let Some(fd) = fd else { continue };
        let Ok(h) = host.handle(&seen[i].at) else {
            continue;
        };
        if h.sock.nsid_of(fd.as_fd()).ok().flatten() == Some(nsid) {
            return Some(Endpoint::new(&other.node, &name));
        }
    }
    None
}

fn link_kind(
    host: &mut Linux,
    seen: &[Seen],
    by_index: &ByIndex,
    i: usize,
    l: &nl::Link,
) -> LinkKind {
    let other = || LinkKind::Other {
        kind: l.kind.clone().unwrap_or_else(|| "device".to_string()),
    };
    if l.kind.as_deref() == Some("veth") {
        let peer = l
            .link
            .and_then(|p| resolve(host, seen, by_index, i, p, l.link_netnsid, Some(l.index)));
        return peer.map_or_else(other, |peer| LinkKind::Veth { peer });
    }
    // A parent or underlay is an ifindex in the namespace `link_netnsid`
    // names (this one without it).
    let named = l.details.info.clone().map(|d| {
        d.try_map(|index| resolve(host, seen, by_index, i, index, l.link_netnsid, None).ok_or(()))
    });
    match named {
        // nslab makes no source-mode MACVLAN: such a link is foreign.
        Some(Ok(DeviceKind::Macvlan(m))) if m.mode == MacvlanMode::Source => other(),
        Some(Ok(d)) => LinkKind::Device(d),
        _ => other(),
    }
}
