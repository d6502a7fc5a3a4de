//! Carry out a plan on a [`Host`]; if an operation fails, undo what this run
//! did (in reverse, with each step's inverse) and report the operation that
//! failed, where, in the kernel's words — and exactly which operations
//! could not be undone.
//!
//! A step is undone whole: one step may take several kernel requests (a
//! link made, then marked; a link's MTU, then its state), and netlink has
//! no transaction across them, so a step can fail after part of it took
//! effect. The host says which parts did (`OpError::took_effect`); such a
//! step is undone first, with its own inverse.

use crate::host::{Host, OpError, Scope};
use crate::plan::{plan, Op, Plan, Step};
use crate::state::State;
use std::fmt;

/// A failed apply: what failed, and how the rollback went.
#[derive(Debug)]
pub struct ApplyError {
    /// The step that failed; its `took_effect` lists what of it took
    /// effect all the same.
    pub failed: Box<OpError>,
    /// Whether what of the failed step took effect was undone (`None`:
    /// nothing of it took effect).
    pub partly_undone: Option<bool>,
    /// Operations this run had done.
    pub done: usize,
    /// Of those, the ones undone.
    pub undone: usize,
    /// Operations done that have no inverse (`ip`-like lines): the kernel
    /// is not as before the run.
    pub not_undone: Vec<String>,
    /// Undo operations that failed in turn (the lab may need `nslab down`).
    pub undo_errors: Vec<OpError>,
}

impl ApplyError {
    /// Whether the rollback brought the kernel back to where the run found
    /// it.
    pub fn restored(&self) -> bool {
        self.not_undone.is_empty()
            && self.undo_errors.is_empty()
            && self.partly_undone != Some(false)
    }
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.failed)?;
        let that = match self.partly_undone {
            Some(true) => "that and ",
            _ => "",
        };
        if self.restored() {
            return write!(
                f,
                "; undid {that}the {} operation(s) this run had done",
                self.done
            );
        }
        write!(
            f,
            "; undid {that}{} of the {} operation(s) this run had done; the lab is \
             left part-changed (`nslab up` again, or `nslab down`)",
            self.undone, self.done
        )?;
        if self.partly_undone == Some(false) {
            for part in &self.failed.took_effect {
                write!(f, "\n  not undone (of the step that failed): `{part}`")?;
            }
        }
        for op in &self.not_undone {
            write!(f, "\n  not undone (no inverse): `{op}`")?;
        }
        for e in &self.undo_errors {
            write!(f, "\n  undo failed: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApplyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.failed.as_ref())
    }
}

/// Operations are handed to the host in chunks so it can batch them and
/// the caller can show progress between chunks.
const CHUNK: usize = 256;

/// Rounds of plan-and-apply one reconcile may take (see [`reconcile`]).
pub const MAX_ROUNDS: usize = 3;

/// Apply every step; returns how many were applied.
#[cfg(test)]
pub fn apply(
    host: &mut dyn Host,
    plan: &Plan,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<usize, ApplyError> {
    let mut done = Vec::new();
    match run(host, plan, &mut done, progress) {
        Ok(()) => Ok(done.len()),
        Err(failed) => Err(rollback(host, &done, failed)),
    }
}

/// Plan against `observed` and apply; when the plan deleted something (the
/// kernel may take more along than the planner foresaw), look again and
/// apply what is still missing, up to [`MAX_ROUNDS`] rounds. A failure in
/// any round undoes every round. Returns every step applied.
pub fn reconcile(
    host: &mut dyn Host,
    desired: &State,
    observed: &State,
    scope: &Scope,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Plan, ApplyError> {
    let mut done = Vec::new();
    let mut p = plan(desired, observed);
    for round in 1..=MAX_ROUNDS {
        if let Err(failed) = run(host, &p, &mut done, progress) {
            return Err(rollback(host, &done, failed));
        }
        if round == MAX_ROUNDS || !p.destructive() {
            break;
        }
        let now = match host.observe(scope) {
            Ok(s) => s,
            Err(error) => {
                let failed = Box::new(Failed { error, step: None });
                return Err(rollback(host, &done, failed));
            }
        };
        p = plan(desired, &now);
        if p.is_empty() {
            break;
        }
    }
    Ok(Plan { steps: done })
}

/// A step that failed: the error, and the step (whose inverse undoes
/// what of it took effect).
struct Failed {
    error: OpError,
    step: Option<Step>,
}

fn run(
    host: &mut dyn Host,
    plan: &Plan,
    done: &mut Vec<Step>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(), Box<Failed>> {
    let total = plan.steps.len();
    let mut at = 0;
    while at < total {
        let end = (at + CHUNK).min(total);
        let ops: Vec<_> = plan.steps[at..end].iter().map(|s| &s.op).collect();
        let (ok, err) = host.apply_all(&ops);
        done.extend(plan.steps[at..at + ok].iter().cloned());
        at += ok;
        progress(at, total);
        if let Some(error) = err {
            let step = plan.steps.get(at).cloned();
            return Err(Box::new(Failed { error, step }));
        }
    }
    Ok(())
}

/// Every node an operation touches.
fn nodes_of(op: &Op) -> Vec<&str> {
    match op {
        Op::AddVeth { a, b } => vec![&a.at.node, &b.at.node],
        Op::AddLink { end, parent_at, .. } => {
            let mut v = vec![end.at.node.as_str()];
            if let Some(p) = parent_at {
                v.push(&p.node);
            }
            v
        }
        other => vec![other.node()],
    }
}

/// Undo the step that failed in part, then every step done, last first.
fn rollback(host: &mut dyn Host, done: &[Step], failed: Box<Failed>) -> ApplyError {
    let mut undo_errors = Vec::new();
    let mut not_undone = Vec::new();
    let mut undone = 0;
    let partly_undone = match (&failed.step, failed.error.took_effect.is_empty()) {
        (_, true) => None,
        (Some(step), false) => Some(undo_part(host, step, &mut undo_errors)),
        (None, false) => Some(false),
    };
    // Nodes whose namespace was deleted for good: nothing in them can be
    // put back.
    let mut lost: Vec<&str> = Vec::new();
    for s in done.iter().rev() {
        let Some(undo_ops) = &s.undo else {
            if let Op::DeleteNetns { node, .. } = &s.op {
                lost.push(node);
            }
            not_undone.push(s.op.to_string());
            continue;
        };
        if undo_ops
            .iter()
            .any(|u| nodes_of(u).iter().any(|n| lost.contains(n)))
        {
            not_undone.push(s.op.to_string());
            continue;
        }
        if undo_all(host, undo_ops, false, &mut undo_errors) {
            undone += 1;
        }
    }
    not_undone.reverse();
    ApplyError {
        failed: Box::new(failed.error),
        partly_undone,
        done: done.len(),
        undone,
        not_undone,
        undo_errors,
    }
}

/// Undo what of a failed `step` took effect, with the step's inverse:
/// it sets back every attribute the step changes and removes what it made
/// — right whichever of its requests took effect, since the kernel leaves
/// alone an attribute set to the value it has. Of a deletion that failed
/// after its link went down, the inverse makes the link again: the link
/// is still there, and making it is "already there", then its state,
/// addresses and routes are put back. Whether all of it was undone.
fn undo_part(host: &mut dyn Host, step: &Step, undo_errors: &mut Vec<OpError>) -> bool {
    match &step.undo {
        Some(ops) => undo_all(host, ops, true, undo_errors),
        None => false,
    }
}

/// Applies one step's inverse; whether every operation of it went
/// through.
fn undo_all(host: &mut dyn Host, ops: &[Op], partial: bool, errors: &mut Vec<OpError>) -> bool {
    let mut ok = true;
    for undo in ops {
        match host.apply(undo) {
            Ok(()) => {}
            Err(e) if already_there(&e, undo, partial) => {}
            Err(e) => {
                errors.push(e);
                ok = false;
            }
        }
    }
    ok
}

/// Putting back what is there already: an address or route the kernel
/// did not take along after all; a link a failed deletion left (only when
/// undoing that deletion's step: otherwise a link of that name is someone
/// else's).
fn already_there(e: &OpError, undo: &Op, partial: bool) -> bool {
    e.errno() == Some(libc::EEXIST)
        && e.took_effect.is_empty()
        && match undo {
            Op::AddAddress { .. } | Op::AddRoute { .. } => true,
            Op::AddLink { .. } | Op::AddVeth { .. } => partial,
            _ => false,
        }
}

#[cfg(test)]
mod tests;
