//! Questions to the kernel outside a plan, for the layers above that must
//! not talk netlink themselves: does an interface exist, which namespaces
//! are a lab's, how is a host interface now; and the waits `up` and `down`
//! need (veth ends outliving their peers' namespaces).

use super::{Cause, OpError};
use crate::record::PhysicalWas;
use nslab_netlink as nl;
use nslab_sys::netns;
use nslab_types::names;
use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

/// The name the host node gets where no file names it (a scope built
/// from a record, an error of `down`'s).
pub const HOST: &str = "host";

/// Whether the namespace nslab runs in has an interface `name` (asked
/// over netlink: `/sys/class/net` would show the namespace sysfs was
/// mounted in). Any error counts as "no".
pub fn interface_exists(name: &str) -> bool {
    nl::Socket::open()
        .ok()
        .and_then(|mut s| s.link_by_name(name).ok().flatten())
        .is_some()
}

/// The alias of `lo` in the namespace `ns` (where a lab's mark is), if it
/// has one and the namespace can be entered.
pub fn lo_alias(ns: BorrowedFd) -> Option<String> {
    lo_alias_from(netns::current().ok()?.as_fd(), ns)
}

/// [`lo_alias`] by a thread whose own namespace is `home`.
fn lo_alias_from(home: BorrowedFd, ns: BorrowedFd) -> Option<String> {
    netns::visit_from(home, ns, nl::Socket::open)
        .ok()?
        .ok()?
        .link_by_name("lo")
        .ok()
        .flatten()
        .and_then(|l| l.alias)
}

/// Every namespace under /run/netns that carries a lab's mark, by lab,
/// among those not in `claimed`: for `ls`, which finds a lab whose record
/// is gone by the marks on its namespaces. The namespaces the readable
/// records list (`claimed`) are not entered: what `ls` costs beside a big
/// lab does not grow with that lab. A lab's own commands use
/// [`lab_namespaces`], which looks at none but the lab's candidates.
pub fn marked_namespaces(claimed: &BTreeSet<String>) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Ok(home) = netns::current() else {
        return found;
    };
    let names = netns::list().unwrap_or_default();
    for name in names.into_iter().filter(|n| !claimed.contains(n)) {
        let Ok(fd) = netns::open(&name) else { continue };
        let lo = lo_alias_from(home.as_fd(), fd.as_fd());
        if let Some(lab) = lo.as_deref().and_then(names::lab_of_mark) {
            found.entry(lab.to_string()).or_default().push(name);
        }
    }
    found
}

/// The namespaces of lab `lab` (sorted): among its candidates, those whose
/// `lo` carries its mark. The candidates are the names `named` (what its
/// record and file call its nodes' namespaces) and the names under
/// /run/netns that start with `<lab>-` (what `up` names a node's namespace
/// unless the file says otherwise, so a lab whose record is lost is still
/// found). No other namespace is opened, but the directory is read whole:
/// a lab whose record is readable uses [`lab_namespaces_among`], whose
/// cost does not grow with the namespaces of the other labs on the
/// machine. A namespace of the lab's under a name of the file's own
/// (`netns:`) that no record lists is not found.
pub fn lab_namespaces(lab: &str, named: &[String]) -> Vec<String> {
    let mut candidates = netns::list_with_prefix(&names::netns_prefix(lab)).unwrap_or_default();
    candidates.extend(named.iter().cloned());
    lab_namespaces_among(lab, &candidates)
}

/// The namespaces of lab `lab` among the names `named` (sorted, each
/// once): those whose `lo` carries its mark. Nothing else is read.
pub fn lab_namespaces_among(lab: &str, named: &[String]) -> Vec<String> {
    let candidates: BTreeSet<&str> = named.iter().map(String::as_str).collect();
    let Ok(home) = netns::current() else {
        return Vec::new();
    };
    let mark = names::lab_mark(lab);
    candidates
        .into_iter()
        .filter(|name| {
            netns::open(name)
                .ok()
                .and_then(|fd| lo_alias_from(home.as_fd(), fd.as_fd()))
                .is_some_and(|a| a == mark)
        })
        .map(str::to_string)
        .collect()
}

/// Sockets on the nodes that hold links `up` waits to see go (a deleted
/// namespace's veth peers, which the kernel destroys asynchronously):
/// asks those nodes about those links and nothing else.
pub struct LinkWatch {
    nodes: Vec<(nl::Socket, Vec<String>)>,
}

impl LinkWatch {
    /// Watches the links `names` of the node in namespace `ns` (`None`:
    /// the namespace nslab runs in), for each entry of `links`. A node
    /// whose namespace cannot be entered has none of them.
    pub fn new(links: Vec<(Option<String>, Vec<String>)>) -> LinkWatch {
        let home = netns::current().ok();
        let mut nodes = Vec::new();
        for (ns, names) in links {
            let sock = match (&ns, &home) {
                (None, _) => nl::Socket::open().ok(),
                (Some(ns), Some(home)) => netns::open(ns).ok().and_then(|fd| {
                    netns::visit_from(home.as_fd(), fd.as_fd(), nl::Socket::open)
                        .ok()
                        .and_then(Result::ok)
                }),
                (Some(_), None) => None,
            };
            if let Some(sock) = sock {
                nodes.push((sock, names));
            }
        }
        LinkWatch { nodes }
    }

    /// How many of the watched links are still there; those gone are not
    /// asked about again. A link that cannot be asked about counts as gone.
    pub fn left(&mut self) -> usize {
        for (sock, names) in &mut self.nodes {
            names.retain(|n| matches!(sock.link_by_name(n), Ok(Some(_))));
        }
        self.nodes.retain(|(_, names)| !names.is_empty());
        self.nodes.iter().map(|(_, names)| names.len()).sum()
    }
}

/// Physical interfaces lab `lab` has moved into the nodes of `scope`, as
/// their marks say (`node:ifname` -> host name): what the record says
/// even when the record is lost.
pub fn physical_marks(lab: &str, nodes: &[(String, Option<String>)]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(home) = netns::current() else {
        return out;
    };
    for (node, ns) in nodes {
        let Some(ns) = ns else { continue };
        let Ok(fd) = netns::open(ns) else { continue };
        let links = netns::visit_from(home.as_fd(), fd.as_fd(), nl::Socket::open)
            .ok()
            .and_then(Result::ok)
            .and_then(|mut s| s.links().ok())
            .unwrap_or_default();
        for l in links {
            if let Some(from) = l
                .alias
                .as_deref()
                .and_then(|a| names::physical_from_mark(lab, a))
            {
                out.insert(format!("{node}:{}", l.name), from.to_string());
            }
        }
    }
    out
}

/// How the host interfaces `names` are now (MTU, admin state, addresses
/// but link-local IPv6, alias); those the host does not have are left out.
pub fn host_interfaces(names: &[&str]) -> BTreeMap<String, PhysicalWas> {
    let mut out = BTreeMap::new();
    if names.is_empty() {
        return out;
    }
    let Ok(mut s) = nl::Socket::open() else {
        return out;
    };
    for name in names {
        let Ok(Some(link)) = s.link_by_name(name) else {
            continue;
        };
        let addresses = s
            .addresses()
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.index == link.index)
            .filter(|a| match a.cidr.addr {
                std::net::IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
                std::net::IpAddr::V4(_) => true,
            })
            .map(|a| a.cidr)
            .collect();
        out.insert(
            name.to_string(),
            PhysicalWas {
                mtu: link.mtu,
                up: link.admin_up,
                addresses,
                alias: link.alias.clone(),
            },
        );
    }
    out
}

/// Writes back the host sysctl `key` (`down`); a key of an interface that
/// is gone (one the lab made, deleted) is done: there is nothing left to
/// give it back to.
pub fn restore_host_sysctl(key: &str, value: &str) -> Result<(), OpError> {
    let gone = sysctl_interface(key).is_some_and(|i| {
        // /proc/sys/net is this namespace's: net/ipv4/conf/<if>.
        let family = key.split('.').take(3).collect::<Vec<_>>().join("/");
        !std::path::Path::new("/proc/sys")
            .join(family)
            .join(i)
            .exists()
    });
    if gone {
        return Ok(());
    }
    nslab_sys::sysctl::write(key, value)
        .map_err(|e| OpError::at(format!("sysctl -w {key}={value}"), HOST, e))
}

/// The interface a per-interface sysctl key is of:
/// `net.ipv4.conf.eth0.forwarding`, `net.ipv6.conf.eth0.mtu`,
/// `net.ipv4.neigh.eth0.*` name `eth0` (not `all` or `default`).
pub fn sysctl_interface(key: &str) -> Option<&str> {
    let rest = [
        "net.ipv4.conf.",
        "net.ipv6.conf.",
        "net.ipv4.neigh.",
        "net.ipv6.neigh.",
    ]
    .iter()
    .find_map(|p| key.strip_prefix(p))?;
    // The setting is the last part; an interface name may hold dots.
    let (ifname, _) = rest.rsplit_once('.')?;
    (!matches!(ifname, "all" | "default") && !ifname.is_empty()).then_some(ifname)
}

/// Host-side veth ends go away with their peers' namespaces, which the
/// kernel destroys asynchronously. Wait for them (so their names can be
/// used again at once), and delete any that outlast the wait.
pub fn wait_host_links_gone(lab: &str) -> Result<(), OpError> {
    let alias = nslab_types::names::lab_mark(lab);
    let fail = |c: Cause| OpError::at("remove host links", HOST, c);
    let mut sock = nl::Socket::open().map_err(|e| fail(e.into()))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: Vec<nl::Link> = sock
            .links()
            .map_err(|e| fail(e.into()))?
            .into_iter()
            .filter(|l| l.alias.as_deref() == Some(alias.as_str()))
            .collect();
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            let reqs: Vec<nl::Request> = left
                .iter()
                .map(|l| nl::Request::DelLink { index: l.index })
                .collect();
            for (l, r) in left.iter().zip(sock.execute(&reqs)) {
                if let Err(e) = r {
                    if !e.is_not_found() {
                        return Err(fail(Cause::from(e).while_(&l.name)));
                    }
                }
            }
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// An interface as the CNI plugin reads it back (its result and CHECK).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSeen {
    pub mac: Option<[u8; 6]>,
    pub mtu: u32,
    pub up: bool,
    pub alias: Option<String>,
    /// Its master's name (a bridge port).
    pub master: Option<String>,
    /// Its addresses (not the link-local ones).
    pub addresses: Vec<crate::state::Cidr>,
}

/// Interface `ifname` in the namespace `netns` (a path such as a CNI
/// runtime's `CNI_NETNS`, or a name under /run/netns; `None`: the one
/// nslab runs in), read over netlink; `Ok(None)` when it is not there.
pub fn link_seen(netns: Option<&str>, ifname: &str) -> Result<Option<LinkSeen>, Cause> {
    let home = netns::current()?;
    let fd = super::linux::open_netns(netns)?;
    let mut sock = netns::visit_from(home.as_fd(), fd.as_fd(), nl::Socket::open)??;
    let Some(link) = sock.link_by_name(ifname)? else {
        return Ok(None);
    };
    let master = match link.master {
        Some(m) => sock
            .links()?
            .into_iter()
            .find(|l| l.index == m)
            .map(|l| l.name),
        None => None,
    };
    let addresses = sock
        .addresses()?
        .into_iter()
        .filter(|a| a.index == link.index)
        .map(|a| a.cidr)
        .filter(|c| match c.addr {
            std::net::IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
            std::net::IpAddr::V4(_) => true,
        })
        .collect();
    Ok(Some(LinkSeen {
        mac: link.mac,
        mtu: link.mtu,
        up: link.admin_up,
        alias: link.alias,
        master,
        addresses,
    }))
}
