//! What a lab has created, kept in `/run/nslab/<lab>/state.json`.
//!
//! The record is written *before* the kernel is touched (it then lists every
//! namespace the run may create), and again when the run is over. `down`
//! uses it together with what it finds by ownership (namespaces whose `lo`
//! carries the alias `nslab:<lab>`, host links with that alias), so a lab
//! killed half-way is still removed whole.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Processes started for `serve:` and `run:`, each identified by pid
    /// and start time (see `services`).
    pub processes: Vec<Process>,
    /// node -> the NAT rules last installed in its table (the kernel's
    /// copy is checked for presence and rule count).
    #[serde(default)]
    pub nat: BTreeMap<String, crate::state::nat::Nat>,
    /// Set while an `up` is in progress; cleared when it finishes.
    pub incomplete: bool,
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
        for p in &other.processes {
            if !self.processes.contains(p) {
                self.processes.push(p.clone());
            }
        }
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
