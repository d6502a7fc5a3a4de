//! The boundary between the plan and the machine: a [`Host`] observes the
//! kernel as a [`State`] and applies [`Op`]s. [`linux::Linux`] does it over
//! netlink; `fake::FakeHost` (built for tests only) does it in memory, so
//! the planner's promises (`up` then `plan` is empty; a failed `up` undoes
//! itself) are tested without root. [`query`] answers the few questions
//! the layers above ask the kernel outside a plan, [`bridges`] how a lab's
//! bridges forward, [`events`] what changes as it happens: `host` is the
//! only module that talks netlink or nftables.

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
mod parts;
pub mod query;

pub use error::{Cause, OpError};
pub(crate) use parts::link_change_parts;

use crate::plan::Op;
use crate::state::State;
use std::collections::BTreeMap;

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
}
