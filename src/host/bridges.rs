//! The bridges of a lab's nodes as `show` presents them: ageing time, STP,
//! each port's STP state, and the forwarding database — which MAC was
//! learned on which port, and how long ago it was last seen (what
//! `bridge fdb` and `bridge link` show).

use super::{Cause, OpError};
use nslab_netlink as nl;
use nslab_sys::netns;
use serde::Serialize;
use std::collections::BTreeMap;
use std::os::fd::AsFd;

/// One bridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BridgeView {
    pub name: String,
    /// Seconds a learned MAC is kept without being seen.
    pub ageing_secs: u32,
    pub stp: bool,
    pub ports: Vec<PortView>,
    /// Learned entries first (youngest first), then the permanent ones.
    pub fdb: Vec<FdbEntry>,
}

/// A port and its STP state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortView {
    pub name: String,
    /// `forwarding`, `blocking`, `listening`, `learning` or `disabled`.
    pub state: String,
}

/// One forwarding-database entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FdbEntry {
    pub mac: String,
    /// The port it is reached through (the bridge itself for its own MAC).
    pub port: String,
    pub vlan: Option<u16>,
    /// Learned from traffic (ages out); false for a port's own address
    /// (`permanent`) or one added by hand (`static`).
    pub learned: bool,
    /// `bridge fdb`'s word: `permanent`, `static`, or the learned entry's
    /// state (`reachable`, `stale`).
    pub state: String,
    /// Seconds since the MAC was last seen as a source (learned entries).
    pub age_secs: Option<u32>,
}

/// The bridges of each node (`nodes`: node -> namespace, `None` for the
/// host node, where only the lab's own bridges count: those carrying its
/// mark `nslab:<lab>`). Nodes without a bridge are left out.
pub fn bridges(
    lab: &str,
    nodes: &[(String, Option<String>)],
) -> Result<BTreeMap<String, Vec<BridgeView>>, OpError> {
    let mark = nslab_types::names::lab_mark(lab);
    let mut out = BTreeMap::new();
    for (node, ns) in nodes {
        // A node whose namespace is gone has no bridge (`show` says it is
        // missing).
        if ns.as_deref().is_some_and(|ns| !netns::exists(ns)) {
            continue;
        }
        let fail = |c: Cause| OpError::at("bridge fdb show", node, c);
        let read = || -> Result<_, nl::Error> {
            let mut s = nl::Socket::open()?;
            let (bridges, names) = s.bridges()?;
            Ok((bridges, names, s.fdb()?))
        };
        let (mut found, names, fdb) = match ns {
            Some(ns) => {
                let fd = netns::open(ns).map_err(|e| fail(e.into()))?;
                netns::run_in(fd.as_fd(), read).map_err(|e| fail(e.into()))?
            }
            None => read(),
        }
        .map_err(|e| fail(e.into()))?;
        if ns.is_none() {
            found.retain(|b| b.alias.as_deref() == Some(mark.as_str()));
        }
        let views: Vec<BridgeView> = found.iter().map(|b| view(b, &names, &fdb)).collect();
        if !views.is_empty() {
            out.insert(node.clone(), views);
        }
    }
    Ok(out)
}

fn view(b: &nl::BridgeDev, names: &[(u32, String)], fdb: &[nl::Neighbour]) -> BridgeView {
    let name_of = |i: u32| {
        names
            .iter()
            .find(|(x, _)| *x == i)
            .map_or_else(|| format!("if{i}"), |(_, n)| n.clone())
    };
    let mut entries: Vec<FdbEntry> = fdb
        .iter()
        .filter(|n| !n.self_entry && n.master == Some(b.index))
        .filter_map(|n| {
            let mac = n.mac?;
            Some(FdbEntry {
                mac: mac
                    .iter()
                    .map(|x| format!("{x:02x}"))
                    .collect::<Vec<_>>()
                    .join(":"),
                port: name_of(n.index),
                vlan: n.vlan,
                learned: n.is_learned(),
                state: match n.state.as_str() {
                    "noarp" => "static".into(),
                    s => s.into(),
                },
                age_secs: n.updated_secs.filter(|_| n.is_learned()),
            })
        })
        .collect();
    entries.sort_by(|a, b| {
        (!a.learned, a.age_secs, &a.port, &a.mac).cmp(&(!b.learned, b.age_secs, &b.port, &b.mac))
    });
    let mut ports: Vec<PortView> = b
        .ports
        .iter()
        .map(|p| PortView {
            name: p.name.clone(),
            state: p.state.clone(),
        })
        .collect();
    ports.sort_by(|a, b| a.name.cmp(&b.name));
    BridgeView {
        name: b.name.clone(),
        ageing_secs: b.ageing_secs,
        stp: b.stp,
        ports,
        fdb: entries,
    }
}
