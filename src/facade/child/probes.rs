//! What `nslab exec`, `ping --json`, `check --json` and `test --json` say,
//! read back into the facade's types: the command's own output and
//! status; whether the echo came back; each check's [`Outcome`] beside
//! the [`Check`] the facade resolved itself (the CLI's JSON has its text,
//! not its addresses); a [`ScenarioResult`].

use super::{Child, Said};
use crate::check::{Check, Outcome};
use crate::facade::Error;
use crate::scenario::{ScenarioResult, StepResult};
use serde_json::Value;
use std::process::Output;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A probe that could not be made: what `nslab` said instead.
fn not_asked(check: &str, why: Said) -> Error {
    Error::CouldNotAsk {
        check: check.to_string(),
        why: why.0,
    }
}

/// `{"check", "pass", "seen", "ms"}` as the CLI prints a check.
fn outcome(v: &Value) -> Outcome {
    let seen = v["seen"].as_str().unwrap_or_default().to_string();
    Outcome {
        pass: v["pass"].as_bool().unwrap_or(false),
        asked: !seen.starts_with("could not probe"),
        took: ms(&v["ms"]),
        seen,
    }
}

fn ms(v: &Value) -> Duration {
    Duration::from_secs_f64(v.as_f64().unwrap_or(0.0).max(0.0) / 1000.0)
}

/// `checks` beside what the CLI printed for them, in order; an error when
/// it printed another number of them.
fn beside(checks: Vec<Check>, printed: &Value, what: &str) -> Result<Vec<(Check, Outcome)>, Said> {
    let rows = printed.as_array().cloned().unwrap_or_default();
    if rows.len() != checks.len() {
        return Err(Said(format!(
            "`nslab {what}` ran {} check(s), not the {} expected",
            rows.len(),
            checks.len()
        )));
    }
    Ok(checks.into_iter().zip(rows.iter().map(outcome)).collect())
}

impl Child {
    /// `nslab exec LAB NODE -- ARGV`: its output is the command's; a
    /// command that could not be started is [`Error::Exec`], as with root.
    pub(in crate::facade) fn exec(&self, node: &str, argv: &[&str]) -> Result<Output, Error> {
        let program = argv.first().copied().unwrap_or_default();
        let exec_err = |source: std::io::Error| Error::Exec {
            node: node.to_string(),
            program: program.to_string(),
            source,
        };
        let mut args = vec!["exec", self.lab(), node, "--"];
        args.extend_from_slice(argv);
        let ran = self
            .run(&args, None)
            .map_err(|e| exec_err(std::io::Error::other(e)))?;
        let not_started = format!("nslab: {}/{node}: {program}: ", self.lab());
        let errno = match ran.out.status.code() {
            Some(127) => libc::ENOENT,
            Some(126) => libc::EACCES,
            _ => return Ok(ran.out),
        };
        if ran
            .lines
            .last()
            .is_some_and(|l| l.starts_with(&not_started))
        {
            return Err(exec_err(std::io::Error::from_raw_os_error(errno)));
        }
        Ok(ran.out)
    }

    /// `nslab ping LAB FROM TO --json`: whether the echo came back;
    /// [`Error::CouldNotAsk`] when it could not be sent.
    pub(in crate::facade) fn ping(&self, from: &str, to: &str) -> Result<bool, Error> {
        let text = format!("{from} -> {to}");
        let what = format!("ping {} {from} {to} --json", self.lab());
        let v = self
            .run(&["ping", self.lab(), from, to, "--json"], None)
            .and_then(|r| r.json(&what))
            .map_err(|e| not_asked(&text, e))?;
        let row = &v[0];
        if let Some(e) = row["error"].as_str() {
            return Err(not_asked(&text, Said(e.to_string())));
        }
        match row["received"].as_u64() {
            Some(n) => Ok(n > 0),
            None => Err(not_asked(
                &text,
                Said(format!("`nslab {what}` printed {v}")),
            )),
        }
    }

    /// `nslab check LAB --json`: the file's checks (resolved by the
    /// facade), each with what it saw.
    pub(in crate::facade) fn checks(
        &self,
        checks: Vec<Check>,
    ) -> Result<Vec<(Check, Outcome)>, Error> {
        let what = format!("check {} --json", self.lab());
        let all = checks.iter().map(|c| c.text.as_str()).collect::<Vec<_>>();
        self.run(&["check", self.lab(), "--json"], None)
            .and_then(|r| r.json(&what))
            .and_then(|v| beside(checks.clone(), &v, &what))
            .map_err(|e| not_asked(&all.join(", "), e))
    }

    /// One check `entry` (as `expect:` writes one): `nslab check` of the
    /// lab's text with `entry` as its only check, from a file of this
    /// process's own, removed afterwards.
    pub(in crate::facade) fn check_one(
        &self,
        source: &str,
        entry: &str,
        check: Check,
    ) -> Result<(Check, Outcome), Error> {
        let text = check.text.clone();
        let file = one_check_file(source, entry).map_err(|e| not_asked(&text, e))?;
        let path = file.0.to_string_lossy().into_owned();
        let what = format!("check {path} --json");
        let mut r = self
            .run(&["check", &path, "--json"], None)
            .and_then(|r| r.json(&what))
            .and_then(|v| beside(vec![check], &v, &what))
            .map_err(|e| not_asked(&text, e))?;
        r.pop()
            .ok_or_else(|| not_asked(&text, Said("no check".into())))
    }

    /// `nslab test LAB NAME --json`, each `expect` step's checks beside
    /// those the facade resolved for it (`resolved`, by step number).
    pub(in crate::facade) fn test(
        &self,
        name: &str,
        resolved: &dyn Fn(usize) -> Vec<Check>,
    ) -> Result<ScenarioResult, Error> {
        let what = format!("test {} {name} --json", self.lab());
        let fault_err = |cause: Said| Error::Fault {
            lab: self.lab().to_string(),
            cause: Box::new(cause),
        };
        let v = self
            .run(&["test", self.lab(), name, "--json"], None)
            .and_then(|r| r.json(&what))
            .map_err(fault_err)?;
        let r = &v[0];
        let mut steps = Vec::new();
        for s in r["steps"].as_array().into_iter().flatten() {
            let number = s["step"].as_u64().unwrap_or(0) as usize;
            let checks = s["checks"].as_array().cloned().unwrap_or_default();
            let mine = resolved(number);
            steps.push(StepResult {
                number,
                text: s["what"].as_str().unwrap_or_default().to_string(),
                pass: s["pass"].as_bool().unwrap_or(false),
                took: ms(&s["ms"]),
                detail: s["detail"].as_str().unwrap_or_default().to_string(),
                checks: mine.into_iter().zip(checks.iter().map(outcome)).collect(),
            });
        }
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        let healed = match r["heal"]["ok"].as_bool() {
            Some(true) => Ok(strings(&r["heal"]["healed"])),
            _ => Err(crate::lab::faults::FaultError::BadInput(
                r["heal"]["error"].as_str().unwrap_or_default().to_string(),
            )),
        };
        Ok(ScenarioResult {
            name: r["scenario"].as_str().unwrap_or(name).to_string(),
            steps,
            skipped: strings(&r["skipped"]),
            healed,
            took: ms(&r["ms"]),
            interrupted: r["interrupted"].as_bool().unwrap_or(false),
        })
    }
}

/// A file of this process's, removed when dropped.
struct Owned(std::path::PathBuf);

impl Drop for Owned {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The lab's `source` text with `entry` as its only `expect:`, in a new
/// file (JSON, which the topology reader reads as YAML) in the temporary
/// directory.
fn one_check_file(source: &str, entry: &str) -> Result<Owned, Said> {
    static N: AtomicU64 = AtomicU64::new(0);
    let bad = |e: &dyn std::fmt::Display| Said(format!("cannot write the check's file: {e}"));
    let mut doc: Value = serde_saphyr::from_str(source).map_err(|e| bad(&e))?;
    let list: Value = serde_saphyr::from_str(&format!("[{entry}]")).map_err(|e| bad(&e))?;
    let Some(map) = doc.as_object_mut() else {
        return Err(bad(&"the lab's text is not a map"));
    };
    map.insert("expect".into(), list);
    let path = std::env::temp_dir().join(format!(
        "nslab-check-{}-{}.yaml",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| bad(&e))?;
    let owned = Owned(path);
    std::io::Write::write_all(&mut f, doc.to_string().as_bytes()).map_err(|e| bad(&e))?;
    Ok(owned)
}
