//! `scenarios:`: named lists of steps run by `nslab test` — checks,
//! faults put in and healed, waits and commands.

use super::{Expect, IfRef};
use crate::impair::Impair;
use crate::loc::Loc;
use crate::names::NodeName;
use std::time::Duration;

/// One scenario: its steps in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// Its name (the key under `scenarios:`).
    pub name: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Where the name is written.
    pub loc: Loc,
}

/// One step and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What the step does.
    pub kind: StepKind,
    /// Where it is written.
    pub loc: Loc,
    /// Its place in the scenario's list as written (0-based; a step with
    /// a bad value is left out of `steps`, so this may differ from its
    /// place there). Field paths of [`super::Spans`] use it:
    /// `scenarios.NAME.INDEX.stop`.
    pub index: usize,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// `expect: [a -> c, ...]`: checks, each may say `within`.
    Expect(Vec<Expect>),
    /// `link: r1:eth1 down` (`up`; `both` for both ends).
    Link {
        /// The interface.
        at: IfRef,
        /// Up or down.
        up: bool,
        /// Both ends of the veth.
        both: bool,
    },
    /// `impair: { interface: a:eth0, delay: 50ms }` (`clear: true`:
    /// `None`, back to the file's).
    Impair {
        /// The interface.
        at: IfRef,
        /// The impairment, or `None` to clear it.
        impair: Option<Impair>,
    },
    /// `partition: [[a, b], [c]]` (map form with `one-way: true`).
    Partition {
        /// Two or more groups of nodes.
        groups: Vec<Vec<NodeName>>,
        /// Only from the first group to the others.
        one_way: bool,
    },
    /// `stop: NODE`.
    Stop(NodeName),
    /// `start: NODE`.
    Start(NodeName),
    /// `heal`.
    Heal,
    /// `wait: 1s`.
    Wait(Duration),
    /// `exec: { node: a, cmd: [...], exit: 0 }`.
    Exec {
        /// Where it runs.
        node: NodeName,
        /// The command (a string is run by `sh -c`).
        cmd: Vec<String>,
        /// The exit status it must end with.
        exit: u8,
        /// How long it may run (default 60s).
        timeout: Duration,
    },
}

impl StepKind {
    /// The step's key, as written (`expect`, `link`, ...).
    pub fn word(&self) -> &'static str {
        match self {
            StepKind::Expect(_) => "expect",
            StepKind::Link { .. } => "link",
            StepKind::Impair { .. } => "impair",
            StepKind::Partition { .. } => "partition",
            StepKind::Stop(_) => "stop",
            StepKind::Start(_) => "start",
            StepKind::Heal => "heal",
            StepKind::Wait(_) => "wait",
            StepKind::Exec { .. } => "exec",
        }
    }
}
