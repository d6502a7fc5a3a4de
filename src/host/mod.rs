//! The boundary between the plan and the machine: a [`Host`] observes the
//! kernel as a [`State`] and applies [`Op`]s. [`linux::Linux`] does it over
//! netlink; [`fake::FakeHost`] does it in memory, so the planner's
//! promises (`up` then `plan` is empty; a failed `up` undoes itself) are
//! tested without root.

pub mod fake;
pub mod linux;
pub mod nat;
mod observe;

use crate::plan::Op;
use crate::state::State;
use std::collections::BTreeMap;
use std::fmt;

/// Which nodes to look at, and where they live.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub lab: String,
    /// node name -> namespace name (`None` for the host node).
    pub nodes: Vec<(String, Option<String>)>,
    /// node -> sysctl keys whose values matter.
    pub sysctls: BTreeMap<String, Vec<String>>,
    /// `node:ifname` -> host name, for interfaces moved in by `physical`.
    pub physical: BTreeMap<String, String>,
    /// Namespace names an earlier run of this lab recorded (a namespace
    /// without the lab's mark is still the lab's if listed here).
    pub owned: std::collections::BTreeSet<String>,
    /// node -> NAT rules recorded as installed.
    pub nat: BTreeMap<String, crate::state::nat::Nat>,
}

/// An operation the kernel refused, in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    /// What was being done, as an `ip`-like line.
    pub op: String,
    pub node: String,
    /// The kernel's words ("File exists", plus its extended-ack message).
    pub message: String,
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` failed in node {}: {}",
            self.op, self.node, self.message
        )
    }
}

impl std::error::Error for OpError {}

impl OpError {
    pub fn new(op: &Op, message: impl Into<String>) -> OpError {
        OpError {
            op: op.to_string(),
            node: op.node().to_string(),
            message: message.into(),
        }
    }
}

pub trait Host {
    /// The lab's objects as they are now. Nodes whose namespace does not
    /// exist are absent.
    fn observe(&mut self, scope: &Scope) -> Result<State, OpError>;
    /// Carry out one operation.
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
