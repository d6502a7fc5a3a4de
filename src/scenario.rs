//! `nslab test`: the file's `scenarios:` run against a lab that is up.
//! Steps run in order, each passing or failing with its time; the first
//! failure ends the scenario (unless `keep_going`); the faults it put in
//! are healed when it ends, fails or is interrupted (SIGINT, SIGTERM).
//! Results are returned as data; printing is the cli's job.

mod report;
mod steps;

pub use report::{json, junit};

use crate::check::{Check, Outcome};
use crate::state::State;
use nslab_model::{Scenario, StepKind, Topology};
use std::time::{Duration, Instant};

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// 1-based place in the scenario.
    pub number: usize,
    /// The step as words (`link r1:eth1 down`).
    pub text: String,
    pub pass: bool,
    pub took: Duration,
    /// Why it failed (empty when it passed).
    pub detail: String,
    /// An `expect` step's checks, each with what it saw.
    pub checks: Vec<(Check, Outcome)>,
}

/// What one scenario did.
#[derive(Debug)]
pub struct ScenarioResult {
    pub name: String,
    pub steps: Vec<StepResult>,
    /// Steps not run (after a failure, or after an interruption).
    pub skipped: Vec<String>,
    /// The faults healed at the end, as words; or why healing failed.
    pub healed: Result<Vec<String>, crate::lab::faults::FaultError>,
    pub took: Duration,
    /// SIGINT or SIGTERM ended it early.
    pub interrupted: bool,
}

impl ScenarioResult {
    pub fn passed(&self) -> bool {
        !self.interrupted
            && self.healed.is_ok()
            && self.skipped.is_empty()
            && self.steps.iter().all(|s| s.pass)
    }
}

/// The step as words: its key and what it names.
pub fn describe(kind: &StepKind) -> String {
    match kind {
        StepKind::Expect(list) => {
            let v: Vec<String> = list.iter().map(steps::expect_words).collect();
            format!("expect {}", v.join(", "))
        }
        StepKind::Link { at, up, both } => format!(
            "link {at} {}{}",
            if *up { "up" } else { "down" },
            if *both { " (both ends)" } else { "" }
        ),
        StepKind::Impair { at, impair } => match impair {
            Some(i) => format!("impair {at}{}", crate::record::impair_words(i)),
            None => format!("impair {at} clear"),
        },
        StepKind::Partition { groups, one_way } => {
            let g: Vec<String> = groups
                .iter()
                .map(|g| {
                    g.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect();
            let way = if *one_way { " (one way)" } else { "" };
            format!("partition {}{way}", g.join(" | "))
        }
        StepKind::Stop(n) => format!("stop {n}"),
        StepKind::Start(n) => format!("start {n}"),
        StepKind::Heal => "heal".to_string(),
        StepKind::Wait(d) => format!("wait {:.1}s", d.as_secs_f64()),
        StepKind::Exec {
            node, cmd, exit, ..
        } => {
            format!("exec in {node}: {} (exit {exit})", cmd.join(" "))
        }
    }
}

/// Whether SIGINT or SIGTERM arrived (see
/// [`nslab_sys::process::catch_interrupts`]).
fn interrupted() -> bool {
    nslab_sys::process::interrupted()
}

/// Run one scenario against the lab (`t` and `desired`: the lab as
/// brought up). `on_step` sees each step as it ends. The faults in force
/// when it ends are healed, whatever happened.
pub fn run(
    t: &Topology,
    desired: &State,
    sc: &Scenario,
    keep_going: bool,
    on_step: &mut dyn FnMut(&StepResult),
) -> ScenarioResult {
    let started = Instant::now();
    let mut done = Vec::new();
    let mut skipped = Vec::new();
    let mut failed = false;
    for (i, step) in sc.steps.iter().enumerate() {
        if interrupted() || (failed && !keep_going) {
            skipped.push(describe(&step.kind));
            continue;
        }
        let r = steps::run_step(t, desired, &step.kind, i + 1);
        failed |= !r.pass;
        on_step(&r);
        done.push(r);
    }
    let healed = heal_after(t, desired);
    ScenarioResult {
        name: sc.name.clone(),
        steps: done,
        skipped,
        healed,
        took: started.elapsed(),
        interrupted: interrupted(),
    }
}

/// Heal what a scenario left in force (nothing to do when it left none).
fn heal_after(
    t: &Topology,
    desired: &State,
) -> Result<Vec<String>, crate::lab::faults::FaultError> {
    // A record that cannot be read is a failure to heal, not "none".
    if crate::lab::faults::active(&desired.lab)?.is_empty() {
        return Ok(Vec::new());
    }
    let mut host = crate::host::linux::Linux::new(&desired.lab);
    crate::lab::faults::heal(&mut host, t, desired)
        .map(|h| h.iter().map(ToString::to_string).collect())
}
