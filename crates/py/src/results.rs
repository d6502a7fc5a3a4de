//! What `Lab` calls return: `Completed`, `CheckResult`, `StepResult`,
//! `ScenarioResult`.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// What `Lab.exec` ran, like `subprocess.CompletedProcess`.
#[pyclass(module = "nslab", frozen, get_all)]
pub(crate) struct Completed {
    /// The command as given.
    pub(crate) args: Vec<String>,
    /// Its exit status; minus the signal's number when a signal ended it.
    pub(crate) returncode: i32,
    pub(crate) stdout: Py<PyBytes>,
    pub(crate) stderr: Py<PyBytes>,
}

#[pymethods]
impl Completed {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Completed(args={:?}, returncode={}, stdout={}, stderr={})",
            self.args,
            self.returncode,
            self.stdout
                .bind(py)
                .repr()
                .map(|r| r.to_string())
                .unwrap_or_default(),
            self.stderr
                .bind(py)
                .repr()
                .map(|r| r.to_string())
                .unwrap_or_default(),
        )
    }
}

/// One check and what it saw; truthy when it passed.
#[pyclass(module = "nslab", frozen, get_all)]
#[derive(Clone)]
pub(crate) struct CheckResult {
    /// The check as words (`a -> 10.0.0.3`).
    text: String,
    passed: bool,
    /// What was seen ("answered by demo/b as 10.0.0.1", "timeout after 1.5s").
    seen: String,
    /// Seconds it took.
    took: f64,
}

impl CheckResult {
    pub(crate) fn new(c: &nslab::Check, o: &nslab::Outcome) -> CheckResult {
        CheckResult {
            text: c.text.clone(),
            passed: o.pass,
            seen: o.seen.clone(),
            took: o.took.as_secs_f64(),
        }
    }

    fn line(&self) -> String {
        let mark = if self.passed { "✓" } else { "✗" };
        format!(
            "{mark} {:<60} {:>7.1}ms  {}",
            self.text,
            self.took * 1000.0,
            self.seen
        )
    }
}

#[pymethods]
impl CheckResult {
    fn __bool__(&self) -> bool {
        self.passed
    }

    fn __repr__(&self) -> String {
        format!(
            "CheckResult({:?}, passed={}, seen={:?})",
            self.text,
            if self.passed { "True" } else { "False" },
            self.seen
        )
    }

    fn __str__(&self) -> String {
        self.line()
    }
}

/// What one scenario step did.
#[pyclass(module = "nslab", frozen, get_all)]
#[derive(Clone)]
pub(crate) struct StepResult {
    number: usize,
    text: String,
    passed: bool,
    took: f64,
    /// Why it failed (empty when it passed).
    detail: String,
    checks: Vec<CheckResult>,
}

#[pymethods]
impl StepResult {
    fn __repr__(&self) -> String {
        format!(
            "StepResult({}, {:?}, passed={})",
            self.number,
            self.text,
            if self.passed { "True" } else { "False" }
        )
    }
}

/// What a scenario did: `passed`, its steps, and `report()` in words.
#[pyclass(module = "nslab", frozen, get_all)]
pub(crate) struct ScenarioResult {
    name: String,
    passed: bool,
    steps: Vec<StepResult>,
    /// Steps not run (after a failure).
    skipped: Vec<String>,
    /// The faults healed at the end, in words.
    healed: Vec<String>,
    /// Why healing failed, if it did.
    heal_error: Option<String>,
    took: f64,
    interrupted: bool,
}

impl ScenarioResult {
    pub(crate) fn new(r: &nslab::ScenarioResult) -> ScenarioResult {
        ScenarioResult {
            name: r.name.clone(),
            passed: r.passed(),
            steps: r
                .steps
                .iter()
                .map(|s| StepResult {
                    number: s.number,
                    text: s.text.clone(),
                    passed: s.pass,
                    took: s.took.as_secs_f64(),
                    detail: s.detail.clone(),
                    checks: s
                        .checks
                        .iter()
                        .map(|(c, o)| CheckResult::new(c, o))
                        .collect(),
                })
                .collect(),
            skipped: r.skipped.clone(),
            healed: r.healed.as_ref().cloned().unwrap_or_default(),
            heal_error: r.healed.as_ref().err().map(|e| e.to_string()),
            took: r.took.as_secs_f64(),
            interrupted: r.interrupted,
        }
    }
}

#[pymethods]
impl ScenarioResult {
    fn __bool__(&self) -> bool {
        self.passed
    }

    fn __repr__(&self) -> String {
        format!(
            "ScenarioResult({:?}, passed={})",
            self.name,
            if self.passed { "True" } else { "False" }
        )
    }

    /// The scenario in words, step by step, as `nslab test` reports it.
    fn report(&self) -> String {
        let mut out = format!("scenario {}\n", self.name);
        for s in &self.steps {
            let mark = if s.passed { "✓" } else { "✗" };
            out.push_str(&format!(
                "  {mark} {}. {:<56} {:>7.1}ms\n",
                s.number,
                s.text,
                s.took * 1000.0
            ));
            for c in &s.checks {
                out.push_str(&format!("      {}\n", c.line()));
            }
            if !s.detail.is_empty() {
                out.push_str(&format!("      {}\n", s.detail));
            }
        }
        for s in &self.skipped {
            out.push_str(&format!("  - {s} (not run)\n"));
        }
        match &self.heal_error {
            Some(e) => out.push_str(&format!("  healing failed: {e}\n")),
            None if !self.healed.is_empty() => {
                out.push_str(&format!("  healed: {}\n", self.healed.join("; ")))
            }
            None => {}
        }
        if self.interrupted {
            out.push_str("  interrupted\n");
        }
        out.push_str(&format!(
            "{} in {:.1}s\n",
            if self.passed { "passed" } else { "FAILED" },
            self.took
        ));
        out
    }
}
