//! Carry out a plan on a [`Host`]; if an operation fails, undo what this run
//! did (in reverse, with each step's inverse) and report the operation that
//! failed, where, in the kernel's words.

use crate::host::{Host, OpError};
use crate::plan::Plan;
use std::fmt;

/// A failed apply: what failed, and how the rollback went.
#[derive(Debug)]
pub struct ApplyError {
    pub failed: OpError,
    /// Operations that had succeeded and were undone.
    pub undone: usize,
    /// Undo operations that failed in turn (the lab may need `nslab down`).
    pub undo_errors: Vec<OpError>,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.failed)?;
        write!(
            f,
            "; undid the {} operation(s) this run had done",
            self.undone
        )?;
        for e in &self.undo_errors {
            write!(f, "\n  undo also failed: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApplyError {}

/// Operations are handed to the host in chunks so it can batch them and
/// the caller can show progress between chunks.
const CHUNK: usize = 256;

/// Apply every step; returns how many were applied.
pub fn apply(
    host: &mut dyn Host,
    plan: &Plan,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<usize, ApplyError> {
    let total = plan.steps.len();
    let mut done = 0;
    while done < total {
        let end = (done + CHUNK).min(total);
        let ops: Vec<_> = plan.steps[done..end].iter().map(|s| &s.op).collect();
        let (ok, err) = host.apply_all(&ops);
        done += ok;
        progress(done, total);
        if let Some(failed) = err {
            return Err(rollback(host, plan, done, failed));
        }
    }
    Ok(done)
}

fn rollback(host: &mut dyn Host, plan: &Plan, done: usize, failed: OpError) -> ApplyError {
    let mut undo_errors = Vec::new();
    let mut undone = 0;
    for s in plan.steps[..done].iter().rev() {
        if let Some(undo) = &s.undo {
            match host.apply(undo) {
                Ok(()) => undone += 1,
                Err(e) => undo_errors.push(e),
            }
        }
    }
    ApplyError {
        failed,
        undone,
        undo_errors,
    }
}
