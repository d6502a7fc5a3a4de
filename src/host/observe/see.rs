//! Reading every node's links, addresses, routes, qdiscs, sysctls and
//! nft table: the namespaces are opened in order on this thread, then read
//! on a few threads at once (the kernel serves these dumps without its
//! global lock), each thread with its own share of the sockets.

use super::nat::nat_of;
use super::{err, Seen};
use crate::host::linux::{Handle, Linux};
use crate::host::{Cause, OpError, Scope};
use crate::plan::At;
use crate::state::nat::Nat;
use nslab_sys::{netns, sysctl};
use std::collections::BTreeMap;

/// Why a node was not read: its namespace is not the lab's (`close`; an
/// `error` unless the scope skips such ones), or a read failed (`error`,
/// the handle kept).
struct NotRead {
    error: Option<OpError>,
    close: bool,
}

/// A failed read: the handle stays open.
fn kept(e: OpError) -> NotRead {
    NotRead {
        error: Some(e),
        close: false,
    }
}

/// What one node's read came to, with its handle.
type Outcome = (Result<Seen, NotRead>, Handle, At);

/// Every node of the scope that is there, read: the first error in the
/// scope's order, as if read one by one.
pub(super) fn see_all(host: &mut Linux, scope: &Scope) -> Result<Vec<Seen>, OpError> {
    let alias = host.alias().to_string();
    let mut jobs: Vec<(At, Handle)> = Vec::new();
    for (node, ns) in &scope.nodes {
        let at = At {
            node: node.to_string(),
            netns: ns.clone(),
        };
        if let Some(name) = ns {
            if !netns::exists(name) {
                host.close(name);
                continue;
            }
        }
        host.handle(&at).map_err(|e| err(&at, "namespace", e))?;
        if let Some(h) = host.take_handle(&at) {
            jobs.push((at, h));
        }
    }
    let outcomes = read_all(jobs, scope, &alias);
    let mut seen = Vec::new();
    let mut first_error = None;
    for (result, handle, at) in outcomes {
        if !matches!(&result, Err(n) if n.close) {
            host.put_handle(at, handle);
        }
        match result {
            Ok(s) => seen.push(s),
            Err(NotRead { error: None, .. }) => {}
            Err(NotRead { error: Some(e), .. }) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(seen),
    }
}

/// Reads the nodes on up to as many threads as there are CPUs (at most
/// four), each with a contiguous share; results in the jobs' order.
fn read_all(jobs: Vec<(At, Handle)>, scope: &Scope, alias: &str) -> Vec<Outcome> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let read = |(at, mut h): (At, Handle)| -> Outcome {
        let r = see_node(&mut h, scope, at.clone(), alias);
        (r, h, at)
    };
    if threads == 1 || jobs.len() < 16 {
        return jobs.into_iter().map(read).collect();
    }
    let per = jobs.len().div_ceil(threads);
    let mut shares: Vec<Vec<(At, Handle)>> = Vec::new();
    let mut jobs = jobs.into_iter().peekable();
    while jobs.peek().is_some() {
        shares.push(jobs.by_ref().take(per).collect());
    }
    std::thread::scope(|s| {
        let running: Vec<_> = shares
            .into_iter()
            .map(|share| s.spawn(move || share.into_iter().map(read).collect::<Vec<_>>()))
            .collect();
        running
            .into_iter()
            .flat_map(|t| match t.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// One node's raw dumps through its handle `h`, or why it was not read.
fn see_node(h: &mut Handle, scope: &Scope, at: At, alias: &str) -> Result<Seen, NotRead> {
    let ns = &at.netns;
    let mut links = h.sock.links().map_err(|e| kept(err(&at, "links", e)))?;
    // A namespace is the lab's only if its `lo` carries the lab's mark
    // (it is marked before it gets its name, so an unmarked one was
    // made by someone else). Never taken over; `down` leaves it out.
    if let Some(name) = ns {
        let lo_alias = links
            .iter()
            .find(|l| l.name == "lo")
            .and_then(|l| l.alias.clone());
        if lo_alias.as_deref() != Some(alias) {
            let error = (!scope.skip_foreign).then(|| foreign_netns(&at, name, lo_alias));
            return Err(NotRead { error, close: true });
        }
    }
    if ns.is_none() {
        // In the host namespace only what the lab made is the lab's.
        links.retain(|l| l.alias.as_deref() == Some(alias) || l.name == "lo");
    }
    let addrs = h
        .sock
        .addresses()
        .map_err(|e| kept(err(&at, "addresses", e)))?;
    let routes = h.sock.routes().map_err(|e| kept(err(&at, "routes", e)))?;
    let qdiscs = h.sock.qdiscs().map_err(|e| kept(err(&at, "qdiscs", e)))?;
    let sysctls = read_sysctls(h, scope, &at).map_err(kept)?;
    let nat = read_nat(h, scope, &at, alias).map_err(kept)?;
    Ok(Seen {
        at,
        links,
        addrs,
        routes,
        sysctls,
        nat,
        qdiscs,
    })
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
        Cause::Refused(format!("namespace {name} already exists and {whose}; give node {node} another `netns:` name, or remove it (`ip netns del {name}`)")),
    )
}

/// The sysctls the scope asks about for this node: the forwarding
/// switches over netlink, any other inside the node from /proc/sys.
fn read_sysctls(
    h: &mut Handle,
    scope: &Scope,
    at: &At,
) -> Result<BTreeMap<String, String>, OpError> {
    let keys = scope.sysctls.get(&at.node).cloned().unwrap_or_default();
    let mut out = BTreeMap::new();
    let mut rest = Vec::new();
    for k in keys {
        match crate::host::linux::netconf_key(&k) {
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
    let more = h
        .visit(|| {
            rest.iter()
                .filter_map(|k| sysctl::read(k).ok().map(|v| (k.clone(), v)))
                .collect::<BTreeMap<_, _>>()
        })
        .map_err(|e| err(at, "sysctls", e))?;
    out.extend(more);
    Ok(out)
}

/// NAT: the lab's table read back from the kernel, rules decoded.
fn read_nat(h: &mut Handle, scope: &Scope, at: &At, alias: &str) -> Result<Option<Nat>, OpError> {
    let listed = |nodes: &std::collections::BTreeSet<String>| nodes.contains(&at.node);
    if at.netns.is_some() && scope.nat_nodes.as_ref().is_some_and(|n| !listed(n)) {
        return Ok(None);
    }
    let table = nslab_types::names::nat_table(&scope.lab);
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
                Cause::Refused(format!("table inet {table} exists and is not this lab's ({whose}, not \"{alias}\"); delete it (`{inside}nft delete table inet {table}`) or rename the lab")),
            ));
        }
    })
}
