//! `up`, `down`, `plan`, `validate` and the built-in `demo`.

use super::checks::{check_results, run_checks};
use super::inspect::show_lab;
use super::labs::{lab_error, lab_name, nix_is_root, print_plan};
use super::load::{self, Loaded};
use super::{fail, Exit};
use crate::lab;
use crate::launch::UpError;
use crate::plan::{self, Plan};
use crate::state::State;
use nslab_sys::statedir::StateDir;
use std::path::Path;
use std::time::Instant;

pub(super) fn up_loaded(l: &Loaded, json: bool) -> Result<Plan, Exit> {
    let started = Instant::now();
    let mut bar = super::term::Progress::new("up", json);
    let mut host = crate::host::linux::Linux::new(&l.desired.lab);
    let report = crate::launch::up(&mut host, l, &mut |d, t| bar.update(d, t));
    bar.finish();
    let report = match report {
        Ok(r) => r,
        Err(UpError::Lab(e)) => return Err(lab_error(e)),
        Err(UpError::Invalid(p)) => return Err(load::print_problems(&p)),
        Err(e) => return Err(fail(e)),
    };
    if !json {
        summary(&l.desired, &report.plan, started);
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for n in &report.notes {
        eprintln!("note: {n}");
    }
    Ok(report.plan)
}

/// One line per node (unless the lab is large), what changed when it is
/// little (a reconcile), and the totals.
pub(super) fn summary(desired: &State, p: &Plan, started: Instant) {
    const PER_NODE_UP_TO: usize = 40;
    const CHANGES_UP_TO: usize = 30;
    if desired.nodes.len() <= PER_NODE_UP_TO {
        // Columns as wide as their widest cell; no trailing spaces.
        let rows: Vec<(String, String, String, String)> = desired
            .nodes
            .iter()
            .map(|(name, n)| {
                let changed = p.steps.iter().filter(|s| s.op.node() == name).count();
                let addrs: Vec<String> = n
                    .links
                    .values()
                    .flat_map(|l| l.addresses.iter().map(|a| a.to_string()))
                    .collect();
                let what = if changed == 0 {
                    "unchanged".to_string()
                } else {
                    format!("{changed} change(s)")
                };
                let ifs = format!("{} interface(s)", n.links.len());
                (name.clone(), ifs, what, addrs.join(" "))
            })
            .collect();
        let w = |f: fn(&(String, String, String, String)) -> usize| {
            rows.iter().map(f).max().unwrap_or(0)
        };
        let (w0, w1, w2) = (w(|r| r.0.len()), w(|r| r.1.len()), w(|r| r.2.len()));
        for (name, ifs, what, addrs) in &rows {
            let line = format!("  {name:<w0$}  {ifs:<w1$}  {what:<w2$}  {addrs}");
            println!("{}", line.trim_end());
        }
    }
    let creating = p
        .steps
        .iter()
        .any(|s| matches!(s.op, crate::plan::Op::CreateNetns { .. }));
    if !p.is_empty() && !creating && p.len() <= CHANGES_UP_TO {
        println!("  changed:");
        for s in &p.steps {
            println!("    {}", s.op);
        }
    }
    println!(
        "lab {} is up: {} node(s), {} operation(s) in {:.2}s",
        desired.lab,
        desired.nodes.len(),
        p.len(),
        started.elapsed().as_secs_f64()
    );
}

/// `up`; `loaded`: the file, when it was read already (without root).
pub(super) fn up(file: Option<&Path>, loaded: Option<Loaded>, check: bool, json: bool) -> Exit {
    let loaded = match loaded.map_or_else(|| load::file_or_demo(file), Ok) {
        Ok(l) => l,
        Err(e) => return e,
    };
    if file.is_none() {
        if let Err(e) = demo_may_take(&loaded.desired.lab) {
            return e;
        }
    }
    let plan = match up_loaded(&loaded, json) {
        Ok(p) => p,
        Err(e) => return e,
    };
    if !json {
        return if check {
            run_checks(&loaded, None, false)
        } else {
            Exit::Ok
        };
    }
    // One JSON value: the operations, and the checks with --check.
    let mut report = super::json::plan_report(&loaded.desired.lab, &plan);
    let mut exit = Exit::Ok;
    if check {
        match check_results(&loaded) {
            Ok(results) => {
                if results.iter().any(|(_, o)| !o.pass) {
                    exit = Exit::Failed;
                }
                report["checks"] = super::json::checks(&results);
            }
            Err(e) => return e,
        }
    }
    println!("{report}");
    exit
}

/// The built-in demo (`nslab demo`, `nslab up` with no file) only ever
/// touches a lab it made: one whose record says it came from the demo. A
/// lab of that name brought up from a file, or whose record is unreadable
/// or lost while namespaces carry its mark, is refused (status 2) and left
/// as it is.
pub(super) fn demo_may_take(lab: &str) -> Result<(), Exit> {
    let refuse = |whose: String| {
        eprintln!(
            "error: a lab named {lab} is up and {whose}; the built-in demo does not touch a lab it did not make. \
             Take it down first (`nslab down {lab}`), then run the demo again; nothing was changed"
        );
        Exit::BadInput
    };
    let looked = match StateDir::find(lab) {
        Ok(Some(dir)) => lab::look(&dir).map_err(fail)?,
        Ok(None) => lab::Recorded::Missing,
        Err(e) => return Err(refuse(format!("its state directory is unusable ({e})"))),
    };
    match looked {
        lab::Recorded::Found(r) if r.source == load::DEMO_SOURCE => Ok(()),
        lab::Recorded::Found(r) => Err(refuse(format!("was brought up from {}", r.source))),
        lab::Recorded::Unreadable(why) => Err(refuse(format!("its record cannot be read ({why})"))),
        lab::Recorded::Missing => {
            let found = lab::owned_namespaces(&mut crate::host::linux::Linux::new(lab), lab);
            if found.is_empty() {
                Ok(())
            } else {
                Err(refuse(format!(
                    "has no record, but namespaces carry its mark ({})",
                    found.join(", ")
                )))
            }
        }
    }
}

pub(super) fn down_lab(lab: &str, json: bool) -> Exit {
    let name = match lab_name(lab) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let started = Instant::now();
    let mut bar = super::term::Progress::new("down", json);
    let done = lab::down_with(
        &mut crate::host::linux::Linux::new(&name),
        &name,
        &mut |d, t| bar.update(d, t),
    );
    bar.finish();
    match done {
        Ok(r) => {
            if json {
                let mut v = super::json::plan_report(&name, &r.plan);
                v["was_up"] = true.into();
                println!("{v}");
            }
            for w in &r.warnings {
                eprintln!("warning: {w}");
            }
            for n in &r.notes {
                eprintln!("note: {n}");
            }
            for e in &r.errors {
                eprintln!("error: {e}");
            }
            if !r.errors.is_empty() {
                return fail(format!(
                    "lab {name} was not removed completely; run `nslab down {name}` again"
                ));
            }
            if !json {
                println!(
                    "lab {name} is down: {} operation(s) in {:.2}s",
                    r.plan.len(),
                    started.elapsed().as_secs_f64()
                );
            }
            Exit::Ok
        }
        Err(lab::LabError::NotFound(_)) => {
            if json {
                let mut v = super::json::plan_report(&name, &Plan::default());
                v["was_up"] = false.into();
                println!("{v}");
            } else {
                println!("lab {name} is not up: nothing to do");
            }
            Exit::Ok
        }
        Err(e) => lab_error(e),
    }
}

/// What `plan LAB` plans: a file as it is now; a lab that is up, by
/// name, as the file it was brought up from (its text is kept with it, as
/// for `check`); a name that is no lab but a file, that file.
fn plan_input(lab: &str) -> Result<Loaded, Exit> {
    let path = Path::new(lab);
    let names_a_file = lab == "-"
        || lab.contains('/')
        || [".yaml", ".yml", ".json"].iter().any(|e| lab.ends_with(e));
    let is_up = matches!(StateDir::find(lab), Ok(Some(_)));
    if names_a_file || (!is_up && path.is_file()) {
        return load::from_file(path);
    }
    super::labs::loaded_lab(lab)
}

/// The plan of `loaded`: against the kernel (its warnings shown), or
/// `offline` against an empty machine.
fn plan_now(loaded: &Loaded, offline: bool) -> Result<Plan, Exit> {
    if offline {
        return Ok(plan::plan(
            &loaded.desired,
            &State {
                lab: loaded.desired.lab.clone(),
                ..Default::default()
            },
        ));
    }
    match lab::plan_up(
        &mut crate::host::linux::Linux::new(&loaded.desired.lab),
        &loaded.desired,
    ) {
        Ok((p, warnings)) => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            Ok(p)
        }
        Err(e) => Err(lab_error(e)),
    }
}

/// What `plan` (and `plan --script`) plans: the file or lab named, else
/// the demo, its kernel-module warnings printed.
pub(super) fn plan_loaded(lab: Option<&str>) -> Result<Loaded, Exit> {
    let loaded = match lab {
        Some(lab) => plan_input(lab),
        None => load::demo(),
    }?;
    for w in crate::host::kmods::warnings(&loaded.topology, &loaded.desired) {
        eprintln!("{}: warning: {w}", loaded.source);
    }
    Ok(loaded)
}

pub(super) fn plan_cmd(lab: Option<&str>, exit_code: bool, offline: bool, json: bool) -> Exit {
    let loaded = match plan_loaded(lab) {
        Ok(l) => l,
        Err(e) => return e,
    };
    // Without root the kernel cannot be read: planning against an empty
    // machine would report a lab that is up as missing.
    if !offline && !nix_is_root() {
        eprintln!(
            "error: plan reads the kernel's state and needs root: run it as root (sudo nslab plan ...), or add --offline to plan against an empty machine"
        );
        return Exit::BadInput;
    }
    let p = match plan_now(&loaded, offline) {
        Ok(p) => p,
        Err(e) => return e,
    };
    // Faults in force are drift: `up` undoes them (the interfaces and
    // impairments are in the plan already; partitions and frozen
    // processes are not kernel objects the plan diffs).
    // A record that cannot be read blocks no plan (the network is
    // planned by the marks), but its faults cannot be told: said, never
    // taken for "none".
    let (faults, unknown) = if offline {
        (Vec::new(), None)
    } else {
        match lab::faults::active(&loaded.desired.lab) {
            Ok(f) => (f, None),
            Err(e) => (Vec::new(), Some(e)),
        }
    };
    if let Some(e) = &unknown {
        eprintln!("warning: {e}");
    }
    if faults.is_empty() {
        print_plan(&loaded.desired.lab, &p, json);
    } else {
        super::faults::print_plan_with(&loaded.desired.lab, &p, &faults, json);
    }
    if !json && p.is_empty() && faults.is_empty() {
        let what = match lab {
            Some(l) if l == loaded.desired.lab => "the file it was brought up from",
            Some(_) => "the file",
            None => "the built-in demo",
        };
        if unknown.is_some() {
            eprintln!(
                "lab {} matches {what} as far as the kernel shows; the faults in force \
                 cannot be told (`nslab up` undoes any)",
                loaded.desired.lab
            );
        } else {
            eprintln!("lab {} matches {what}: nothing to do", loaded.desired.lab);
        }
    }
    if exit_code && !(p.is_empty() && faults.is_empty()) {
        return Exit::Changes;
    }
    Exit::Ok
}

pub(super) fn validate(file: &Path, json: bool) -> Exit {
    if json {
        return load::validate_json(file);
    }
    match load::from_file(file) {
        Ok(l) => load::validated(&l, file, "ok"),
        Err(e) => e,
    }
}

/// `nslab demo`: up the built-in lab, check it, show it, take it down.
pub(super) fn demo() -> Exit {
    let l = match load::demo() {
        Ok(l) => l,
        Err(e) => return e,
    };
    if let Err(e) = demo_may_take(&l.desired.lab) {
        return e;
    }
    println!("== nslab up (the built-in demo: Docker's bridge network, by hand)");
    if let Err(e) = up_loaded(&l, false) {
        return e;
    }
    println!("\n== nslab check {}", l.desired.lab);
    let checked = run_checks(&l, None, false);
    println!("\n== nslab show {}", l.desired.lab);
    let _ = show_lab(&l.desired.lab, None, false);
    println!("\n== nslab down {}", l.desired.lab);
    let down = down_lab(&l.desired.lab, false);
    match (checked, down) {
        (Exit::Ok, Exit::Ok) => Exit::Ok,
        (Exit::Ok, other) => other,
        (failed, _) => failed,
    }
}
