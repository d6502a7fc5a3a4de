//! The boundary between the plan and the machine: a [`Host`] observes the
//! kernel as a [`State`] and applies [`Op`]s. [`linux::Linux`] does it over
//! netlink; `fake::FakeHost` (built for tests only) does it in memory, so
//! the planner's promises (`up` then `plan` is empty; a failed `up` undoes
//! itself) are tested without root. [`query`] answers the few questions
//! the layers above ask the kernel outside a plan, [`bridges`] how a lab's
//! bridges forward, [`events`] what changes as it happens: `host` is the
//! only module that talks netlink or nftables. Besides the network, a host
//! has [`processes`]: the lab's processes and containers.

pub mod bridges;
mod error;
pub mod events;
#[cfg(test)]
pub mod fake;
mod files;
pub mod kmods;
pub mod linux;
mod live;
pub mod nat;
mod observe;
pub mod processes;
mod procs_linux;
pub mod query;

pub(crate) use crate::plan::link_change_parts;
pub use error::{Cause, OpError};

use crate::plan::{At, Op};
use crate::record::PhysicalWas;
use crate::state::State;
use linux::Drops;
pub use processes::{Containers, Processes};
use std::collections::BTreeMap;
use std::time::Duration;

/// Which nodes to look at, and what in them is the lab's.
///
/// Ownership is read from the kernel, never from a record alone: a
/// namespace is the lab's when its `lo` carries the alias `nslab:<lab>`,
/// a link when it carries that alias (in the host node), a route when it
/// carries nslab's protocol ([`nslab_netlink::RTPROT_NSLAB`]; in the host
/// node also only when the lab claims it, see `host_routes`), the nft
/// table `nslab-<lab>` when its user data holds the mark `nslab:<lab>`.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub lab: String,
    /// node name -> namespace name (`None` for the host node).
    pub nodes: Vec<(String, Option<String>)>,
    /// node -> sysctl keys whose values matter.
    pub sysctls: BTreeMap<String, Vec<String>>,
    /// `node:ifname` -> host name, for interfaces moved in by `physical`.
    pub physical: BTreeMap<String, String>,
    /// The host node's routes this lab claims (the file's and those its
    /// record says it added). Labs share nslab's route protocol in the host
    /// namespace, so a route there is this lab's only if it carries the
    /// protocol *and* is claimed here.
    pub host_routes: Vec<crate::state::RouteState>,
    /// node -> the routes the file wants there. One made by someone else
    /// (`proto static`, ...) serves: it counts as present, so `up` does
    /// not add it twice, and is never deleted.
    pub wanted_routes: BTreeMap<String, Vec<crate::state::RouteState>>,
    /// For `down`: a namespace or nft table of a planned name that is not
    /// the lab's is left out of the observation (so nothing touches it)
    /// instead of refused.
    pub skip_foreign: bool,
    /// The namespace nodes whose nft table to read (the host node's is
    /// always read); `None`: every node's.
    pub nat_nodes: Option<std::collections::BTreeSet<String>>,
}

pub trait Host {
    /// The lab's objects as they are now. Nodes whose namespace does not
    /// exist are absent.
    fn observe(&mut self, scope: &Scope) -> Result<State, OpError>;
    /// Carry out one operation. One operation may take several kernel
    /// requests; when one fails, the error's `took_effect` lists those
    /// that took effect anyway, which the operation's inverse undoes (see
    /// `apply::rollback`).
    fn apply(&mut self, op: &Op) -> Result<(), OpError>;
    /// Carry out several; the default applies them one by one and stops at
    /// the first failure, returning how many succeeded.
    fn apply_all(&mut self, ops: &[&Op]) -> (usize, Option<OpError>) {
        for (i, op) in ops.iter().enumerate() {
            if let Err(e) = self.apply(op) {
                return (i, Some(e));
            }
        }
        (ops.len(), None)
    }

    // What the lab layer asks of the machine besides a plan's operations
    // (on the real kernel: [`query`]).

    /// The namespaces of `lab` among its candidates: the names `named`
    /// and those starting with `<lab>-` (see [`query::lab_namespaces`]).
    fn lab_namespaces(&mut self, lab: &str, named: &[String]) -> Vec<String>;
    /// The namespaces of `lab` among the names `named` only (what its
    /// readable record lists): no other name is looked at, so the cost
    /// does not grow with the other namespaces on the machine (see
    /// [`query::lab_namespaces_among`]).
    fn lab_namespaces_among(&mut self, lab: &str, named: &[String]) -> Vec<String> {
        let mut found = self.lab_namespaces(lab, named);
        found.retain(|ns| named.contains(ns));
        found
    }
    /// Physical interfaces `lab` moved into `nodes`, by their marks
    /// (`node:ifname` -> host name).
    fn physical_marks(
        &mut self,
        lab: &str,
        nodes: &[(String, Option<String>)],
    ) -> BTreeMap<String, String>;
    /// How the host interfaces `names` are now (those the host has).
    fn host_interfaces(&mut self, names: &[&str]) -> BTreeMap<String, PhysicalWas>;
    /// Waits up to `within` for the links `links` (by node namespace) to
    /// go (veth ends of a namespace deleted by hand).
    fn wait_links_gone(&mut self, links: Vec<(Option<String>, Vec<String>)>, within: Duration);
    /// Waits for the host-side links marked as `lab`'s to go with their
    /// peers' namespaces, and deletes those that outlast the wait.
    fn wait_host_links_gone(&mut self, lab: &str) -> Result<(), OpError>;
    /// Removes the file of namespace `ns` when nothing is mounted on it
    /// (what an `up` killed half-way leaves).
    fn clear_leftover_netns(&mut self, ns: &str);
    /// How the physical interfaces were before they were moved in: a
    /// `MoveOut` gives each back so.
    fn give_back_as(&mut self, was: BTreeMap<String, PhysicalWas>);
    /// Notes on interfaces given back (one came back under another name).
    fn take_notes(&mut self) -> Vec<String>;
    /// The node's partition table of the lab's, if any.
    fn partition_of(&mut self, at: &At) -> Result<Option<Drops>, OpError>;
    /// Replaces the node's partition table (deletes it: `None` or empty).
    fn set_partition(&mut self, at: &At, drops: Option<&Drops>) -> Result<(), OpError>;
    /// Deletes the node's ARP and NDP entries still being resolved or that
    /// failed to be: what a fault that cut traffic leaves holding packets
    /// back once it is undone.
    fn forget_unresolved(&mut self, at: &At) -> Result<(), OpError>;
    /// Writes back a host sysctl `down` restores (`key` as `sysctl -w`
    /// takes it). A per-interface key of an interface that is gone is
    /// done: there is nothing left to give it back to.
    fn restore_host_sysctl(&mut self, key: &str, value: &str) -> Result<(), OpError>;
    /// Lets go of every namespace held open (so a deleted one can go
    /// away): what one call of the lab layer opened is not kept for the
    /// next.
    fn release(&mut self);

    /// The machine's processes (`serve:`/`run:`, see [`processes`]).
    fn processes(&mut self) -> &mut dyn Processes;
    /// The machine's containers (`image:` nodes).
    fn containers(&mut self) -> &mut dyn Containers;
}
