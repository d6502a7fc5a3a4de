//! `nslab test LAB [SCENARIO…]`: run the scenarios of the file the lab was
//! brought up from, print ✓/✗ per step with its time, write JUnit or JSON.

use super::labs::loaded_lab;
use super::{fail, Exit};
use crate::scenario::{self, ScenarioResult, StepResult};
use std::path::Path;

fn print_step(r: &StepResult) {
    let mark = if r.pass { "✓" } else { "✗" };
    let ms = r.took.as_secs_f64() * 1000.0;
    println!("  {mark} {:>2} {:<58} {ms:>8.1}ms", r.number, r.text);
    for (c, o) in &r.checks {
        let m = if o.pass { "✓" } else { "✗" };
        let seen = if o.pass && c.within.is_none() {
            ""
        } else {
            &o.seen
        };
        println!(
            "       {m} {:<56} {:>8.1}ms  {seen}",
            c.text,
            o.took.as_secs_f64() * 1000.0
        );
    }
    if !r.pass && r.checks.is_empty() {
        println!("       {}", r.detail);
    }
}

fn print_end(r: &ScenarioResult) {
    for s in &r.skipped {
        println!("  -    {s} (not run)");
    }
    match &r.healed {
        Ok(h) if h.is_empty() => {}
        Ok(h) => println!("  healed: {}", h.join(", ")),
        Err(e) => println!("  ✗ healing at the end failed: {e}"),
    }
    let verdict = if r.passed() {
        "passed".to_string()
    } else if r.interrupted {
        "interrupted".to_string()
    } else {
        match r.steps.iter().find(|s| !s.pass) {
            Some(s) => format!("failed at step {} ({})", s.number, s.text),
            None => "failed".to_string(),
        }
    };
    println!(
        "scenario {}: {verdict} in {:.2}s",
        r.name,
        r.took.as_secs_f64()
    );
}

pub(super) fn test_cmd(
    lab: &str,
    names: &[String],
    junit: Option<&Path>,
    json: bool,
    keep_going: bool,
) -> Exit {
    let l = match loaded_lab(lab) {
        Ok(l) => l,
        Err(e) => return e,
    };
    let all = &l.topology.scenarios;
    if let Some(bad) = names.iter().find(|n| !all.iter().any(|s| s.name == **n)) {
        let known: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
        eprintln!(
            "error: lab {} has no scenario {bad}; its scenarios: {}",
            l.desired.lab,
            if known.is_empty() {
                "(none: add `scenarios:` to the file)".to_string()
            } else {
                known.join(", ")
            }
        );
        return Exit::BadInput;
    }
    if all.is_empty() {
        eprintln!(
            "error: lab {} has no `scenarios:` in its file",
            l.desired.lab
        );
        return Exit::BadInput;
    }
    // The scenarios run against the lab as it was brought up: a file
    // that differs from it is refused (healing would reshape the lab).
    if let Err(e) = crate::lab::faults::check_brought_up_from(&l.desired) {
        return super::faults::fault_error(&l.desired.lab, e);
    }
    if let Err(e) = nslab_sys::process::catch_interrupts() {
        return fail(format!("cannot catch SIGINT/SIGTERM: {e}"));
    }
    let mut results = Vec::new();
    for sc in all
        .iter()
        .filter(|s| names.is_empty() || names.contains(&s.name))
    {
        if nslab_sys::process::interrupted() {
            break;
        }
        if !json {
            println!("scenario {}", sc.name);
        }
        let mut show = |r: &StepResult| {
            if !json {
                print_step(r)
            }
        };
        let r = scenario::run(&l.topology, &l.desired, sc, keep_going, &mut show);
        if !json {
            print_end(&r);
        }
        results.push(r);
    }
    finish(&l.desired.lab, &results, junit, json)
}

fn finish(lab: &str, results: &[ScenarioResult], junit: Option<&Path>, json: bool) -> Exit {
    let failed = results.iter().filter(|r| !r.passed()).count();
    if json {
        println!("{}", scenario::json(results));
    } else {
        println!(
            "{} scenario(s) passed, {failed} failed",
            results.len() - failed
        );
    }
    if let Some(p) = junit {
        if let Err(e) = std::fs::write(p, scenario::junit(lab, results)) {
            return fail(format!("cannot write {}: {e}", p.display()));
        }
    }
    if nslab_sys::process::interrupted() {
        eprintln!("interrupted: the faults were healed");
        return Exit::Code(130);
    }
    if failed > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    }
}
