//! Read a lab back from the kernel as a [`State`]: links, addresses and
//! routes over netlink, sysctls from inside each node, and veth peers and
//! sub-interface parents resolved across namespaces (IFLA_LINK plus
//! IFLA_LINK_NETNSID, the namespace always proven with RTM_GETNSID: never
//! by ifindex alone).

use super::linux::Linux;
use super::{Cause, OpError, Scope};
use crate::plan::At;
use crate::state::nat::Nat;
use crate::state::{
    Cidr, DeviceKind, Endpoint, Impair, LinkKind, LinkState, MacvlanMode, NodeState, State,
};
use nslab_netlink as nl;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::os::fd::AsFd;

mod nat;
mod routes;
mod see;

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

fn err(at: &At, what: &str, e: impl Into<Cause>) -> OpError {
    OpError::at(format!("observe {what}"), &at.node, e)
}

pub(super) fn observe(host: &mut Linux, scope: &Scope) -> Result<State, OpError> {
    let seen = see::see_all(host, scope)?;
    let mut state = State {
        lab: scope.lab.clone(),
        nodes: BTreeMap::new(),
    };
    let by_index = by_index(&seen);
    for i in 0..seen.len() {
        let mut node = build_node(host, &seen, &by_index, i, scope);
        let at = &seen[i].at;
        node.fs.files = super::files::observe(&scope.lab, &at.node, at.netns.as_deref());
        state.nodes.insert(seen[i].at.node.clone(), node);
    }
    Ok(state)
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
            // The machine's own loopback is not the lab's to read.
            if s.at.netns.is_some() {
                n.lo_addresses = addrs
                    .get(&l.index)
                    .map(|v| {
                        v.iter()
                            .filter(|c| !c.addr.is_loopback())
                            .copied()
                            .collect()
                    })
                    .unwrap_or_default();
            }
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
