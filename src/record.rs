//! What a lab has created, kept in `/run/nslab/<lab>/state.json`.
//!
//! The record is written *before* the kernel is touched (it then lists every
//! namespace the run may create, every host route it may add, and the
//! previous value of every host sysctl it may change), and again when the
//! run is over. The record says where to look; what is found there is the
//! lab's only if it carries the lab's mark (namespaces whose `lo` carries
//! the alias `nslab:<lab>`, host links with that alias, routes with nslab's
//! protocol, the nft table with the comment `nslab:<lab>`), so a lab killed
//! half-way is still removed whole and nothing else is.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

mod fault;

pub use fault::{impair_words, Fault, Took};

pub const FILE: &str = "state.json";
/// The topology the lab was last brought up from (for `check`, `show`).
pub const TOPOLOGY: &str = "topology.yaml";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub lab: String,
    /// Where the topology came from (`(built-in demo)` for the demo).
    pub source: String,
    /// node -> namespace name (`None` for the host node).
    pub nodes: BTreeMap<String, Option<String>>,
    /// `node:ifname` -> the host interface name it had before it was moved
    /// in (restored on `down`).
    pub physical: BTreeMap<String, String>,
    /// Host interface name -> how that interface was before it was moved
    /// in (MTU, addresses, admin state), recorded before the move and
    /// restored when it is given back.
    #[serde(default)]
    pub physical_was: BTreeMap<String, PhysicalWas>,
    /// Processes started for `serve:` and `run:`, each identified by pid
    /// and start time (see `services`).
    pub processes: Vec<Process>,
    /// Routes this lab added to the host node (nslab's route protocol is
    /// shared by every lab there: a host route is this lab's only if it
    /// carries the protocol and is listed here or in the file).
    #[serde(default)]
    pub host_routes: Vec<crate::state::RouteState>,
    /// Sysctls of the host node the lab changed, with the value each had
    /// before the lab first changed it (written before the change;
    /// restored by `down`).
    #[serde(default)]
    pub host_sysctls: BTreeMap<String, String>,
    /// Set while an `up` is in progress; cleared when it finishes.
    pub incomplete: bool,
    /// Faults put in at run time, oldest first (see [`Fault`]); undone by
    /// `heal` and `up`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<Fault>,
    /// Faults being put in: recorded before the kernel is touched and
    /// moved to `faults` once applied (or dropped once what was done is
    /// undone). One left here by a command that was killed may be half
    /// in force: `heal`, `up` and `down` undo it, `show` does not list it
    /// as in force.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Fault>,
    /// The namespace nodes the lab may have put its nft table in (the
    /// host node is always looked at): a namespace node not listed has
    /// none, and is not asked. `None` (a record older than the field):
    /// every node is asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nat_nodes: Option<BTreeSet<String>>,
    /// The containers of the lab's image nodes: node -> container name
    /// (`<lab>-<node>`), written before the first is started (see
    /// `services::containers`; `down` also finds them by their label).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub containers: BTreeMap<String, String>,
    /// Set when an `up` found the lab's record lost (unreadable, or gone
    /// while the lab was up): what that time made may be under `<lab>-…`
    /// names this record does not list, so `down` also looks for those
    /// (one read of /run/netns and /etc/netns, whose cost grows with the
    /// other labs). Otherwise the record lists every namespace and hosts
    /// file of the lab's (each run records what it may make before making
    /// it), and `down` looks at those names only. Kept until `down`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub leftovers: bool,
}

/// A physical interface as it was in the host namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhysicalWas {
    pub mtu: u32,
    pub up: bool,
    /// Its addresses (not the IPv6 link-local ones the kernel makes).
    pub addresses: Vec<crate::state::Cidr>,
    /// Its alias (nslab marks it while the lab has it).
    #[serde(default)]
    pub alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub node: String,
    /// Process id, also its process-group and session id (it leads both).
    pub pid: i32,
    /// Start time of `pid` (field 22 of `/proc/PID/stat`). A pid whose
    /// start time differs is another process and is never signalled; 0
    /// (records written before it was kept) never matches.
    #[serde(default)]
    pub start: u64,
    /// The network namespace it was started in, as (device, inode).
    #[serde(default)]
    pub netns: Option<(u64, u64)>,
    pub what: String,
}

impl Record {
    pub fn new(lab: &str) -> Record {
        Record {
            lab: lab.to_string(),
            ..Default::default()
        }
    }

    /// The union of two records: what to look at when a run may have been
    /// interrupted between them.
    pub fn merge(&mut self, other: &Record) {
        for (k, v) in &other.nodes {
            self.nodes.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &other.physical {
            self.physical.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for (k, v) in &other.physical_was {
            self.physical_was
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        for r in &other.host_routes {
            if !self.host_routes.contains(r) {
                self.host_routes.push(r.clone());
            }
        }
        for (k, v) in &other.host_sysctls {
            self.host_sysctls
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        for (k, v) in &other.containers {
            self.containers
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        for p in &other.processes {
            if !self.processes.contains(p) {
                self.processes.push(p.clone());
            }
        }
        for f in &other.faults {
            if !self.faults.contains(f) {
                self.faults.push(f.clone());
            }
        }
        for f in &other.pending {
            if !self.pending.contains(f) {
                self.pending.push(f.clone());
            }
        }
        self.leftovers |= other.leftovers;
        self.nat_nodes = match (self.nat_nodes.take(), &other.nat_nodes) {
            (Some(mut a), Some(b)) => {
                a.extend(b.iter().cloned());
                Some(a)
            }
            _ => None,
        };
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Serialising plain maps and strings cannot fail.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    pub fn from_json(bytes: &[u8]) -> Result<Record, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_merges() {
        let mut a = Record::new("demo");
        a.nodes.insert("h1".into(), Some("demo-h1".into()));
        let mut b = Record::new("demo");
        b.nodes.insert("h2".into(), Some("demo-h2".into()));
        b.physical.insert("h2:wan".into(), "ens41".into());
        a.merge(&b);
        assert_eq!(a.nodes.len(), 2);
        let back = Record::from_json(&a.to_json()).expect("parse");
        assert_eq!(back, a);
    }
}
