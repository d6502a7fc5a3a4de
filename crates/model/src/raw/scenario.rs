//! `scenarios:` as written: a map of names to lists of steps, each step a
//! word (`heal`) or a map of one key (`link: r1:eth1 down`).

use super::{Entries, Leaf, OneOrMany, RawExpect, Scalar};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// `scenarios:` — name → steps.
pub type RawScenarios = Entries<Option<Vec<Spanned<RawStep>>>>;

/// One step.
#[derive(Debug, Clone, PartialEq)]
pub enum RawStep {
    /// A word: `heal`.
    Words(String),
    /// A map of one key.
    Map(Box<RawStepMap>),
    /// Anything else (reported as a wrong type).
    Other(Scalar),
}

/// The keys a step may have (exactly one of them).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawStepMap {
    pub expect: Option<Vec<Spanned<RawExpect>>>,
    pub link: Option<Leaf>,
    pub impair: Option<Spanned<RawImpairStep>>,
    pub partition: Option<Spanned<RawPartition>>,
    pub stop: Option<Leaf>,
    pub start: Option<Leaf>,
    pub wait: Option<Leaf>,
    pub exec: Option<Spanned<RawExec>>,
}

/// `impair: { interface: a:eth0, delay: 50ms, ... }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawImpairStep {
    pub interface: Option<Leaf>,
    pub delay: Option<Leaf>,
    pub jitter: Option<Leaf>,
    pub loss: Option<Leaf>,
    pub rate: Option<Leaf>,
    pub clear: Option<Leaf>,
}

/// `partition: [[a, b], [c]]` or `{ groups: [[a, b], [c]], one-way: true }`.
#[derive(Debug, Clone, PartialEq)]
pub enum RawPartition {
    /// The groups, each a node or a list of nodes.
    Groups(Vec<Spanned<OneOrMany>>),
    /// The map form.
    Map(Box<RawPartitionMap>),
    /// Anything else (reported as a wrong type).
    Other(Scalar),
}

/// The map form of a partition.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawPartitionMap {
    pub groups: Option<Vec<Spanned<OneOrMany>>>,
    pub one_way: Option<Leaf>,
}

/// `exec: { node: a, cmd: [sh, -c, "..."], exit: 0, timeout: 30s }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[allow(missing_docs)]
pub struct RawExec {
    pub node: Option<Leaf>,
    pub cmd: Option<Spanned<OneOrMany>>,
    pub exit: Option<Leaf>,
    pub timeout: Option<Leaf>,
}
