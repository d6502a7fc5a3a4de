//! `scenarios:` as written: a map of names to lists of steps, each step a
//! word (`heal`) or a map of one key (`link: r1:eth1 down`).

use super::{Entries, Leaf, OneOrMany, RawExpect, Scalar};
use crate::key_table::raw_map;
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
    /// A map none of whose keys is a step's (the shape pass reports each).
    UnknownKeys,
    /// Anything else (reported as a wrong type).
    Other(Scalar),
}

raw_map! {
    /// The keys a step may have (exactly one of them).
    #[allow(missing_docs)]
    pub struct RawStepMap in "Scenarios" {
        expect: Option<Vec<Spanned<RawExpect>>>,
        link: Option<Leaf>,
        impair: Option<Spanned<RawImpairStep>>,
        partition: Option<Spanned<RawPartition>>,
        stop: Option<Leaf>,
        start: Option<Leaf>,
        wait: Option<Leaf>,
        exec: Option<Spanned<RawExec>>,
    }
}

raw_map! {
    /// `impair: { interface: a:eth0, delay: 50ms, ... }`.
    #[allow(missing_docs)]
    pub struct RawImpairStep in "Scenarios" {
        interface: Option<Leaf>,
        delay: Option<Leaf>,
        jitter: Option<Leaf>,
        loss: Option<Leaf>,
        rate: Option<Leaf>,
        clear: Option<Leaf>,
    }
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

raw_map! {
    /// The map form of a partition.
    #[allow(missing_docs)]
    pub struct RawPartitionMap in "Scenarios" {
        groups: Option<Vec<Spanned<OneOrMany>>>,
        one_way: Option<Leaf>,
    }
}

raw_map! {
    /// `exec: { node: a, cmd: [sh, -c, "..."], exit: 0, timeout: 30s }`.
    #[allow(missing_docs)]
    pub struct RawExec in "Scenarios" {
        node: Option<Leaf>,
        cmd: Option<Spanned<OneOrMany>>,
        exit: Option<Leaf>,
        timeout: Option<Leaf>,
    }
}
