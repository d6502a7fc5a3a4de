//! One function per command, each the same shape: resolve the request,
//! call the library, print.

use super::args::Command;
use super::load::{self, Loaded};
use super::{fail, show, Exit};
use crate::host::linux::Linux;
use crate::host::Host;
use crate::lab::{self, LabError};
use crate::plan::{self, Plan};
use crate::record::{self, Record};
use crate::state::State;
use nslab_sys::statedir::StateDir;
use nslab_sys::{exec, netns};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

pub fn run(cmd: Command) -> Exit {
    match cmd {
        Command::Up { file, check, json } => up(file.as_deref(), check, json),
        Command::Down { lab, json } => down_lab(&lab, json),
        Command::Plan {
            file,
            exit_code,
            offline,
            json,
        } => plan_cmd(file.as_deref(), exit_code, offline, json),
        Command::Validate { file, json } => validate(&file, json),
        Command::Ls { json } => ls(json),
        Command::Show { lab, node, json } => show_lab(&lab, node.as_deref(), json),
        Command::Exec { lab, node, cmd } => exec_cmd(&lab, &node, &cmd),
        Command::Shell { lab, node } => shell(&lab, &node),
        Command::Check { lab, junit, json } => crate::check::cli(&lab, junit.as_deref(), json),
        Command::Ping {
            lab,
            from,
            to,
            json,
        } => crate::check::ping_cli(&lab, from.as_deref(), to.as_deref(), json),
        Command::Capture {
            lab,
            target,
            write,
            count,
            seconds,
        } => super::capture::run(&lab, &target, write.as_deref(), count, seconds),
        Command::Graph { lab, format } => graph(&lab, format),
        Command::Demo => crate::check::demo(),
        Command::Serve { label, services } => crate::services::serve_cli(&label, &services),
    }
}

fn print_plan(p: &Plan, json: bool) {
    if json {
        let ops: Vec<_> = p
            .steps
            .iter()
            .map(|s| serde_json::json!({"op": s.op, "line": s.op.to_string()}))
            .collect();
        println!("{}", serde_json::Value::Array(ops));
    } else {
        for s in &p.steps {
            println!("{}", s.op);
        }
    }
}

fn lab_error(e: LabError) -> Exit {
    if nix_is_root() {
        fail(e)
    } else {
        fail(format!(
            "{e}\n  hint: changing the kernel needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN)"
        ))
    }
}

pub(crate) fn up_loaded(l: &Loaded, json: bool) -> Result<Plan, Exit> {
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal() && !json;
    let mut progress = |done: usize, total: usize| {
        if tty && total > 50 {
            eprint!("\r  applying {done}/{total}");
        }
    };
    // A lab this run creates is removed again if its processes fail.
    let fresh = lab::owned_namespaces(&l.desired.lab).is_empty();
    let report = lab::up(&l.desired, &l.source, &l.text, &mut progress).map_err(lab_error)?;
    if tty && report.plan.len() > 50 {
        eprintln!();
    }
    if let Err(e) = crate::services::start(&l.topology, &l.desired) {
        return Err(fail(crate::services::undo_up(&l.desired.lab, fresh, e)));
    }
    if json {
        print_plan(&report.plan, true);
    } else {
        summary(&l.desired, &report.plan, started);
    }
    for n in &report.notes {
        eprintln!("note: {n}");
    }
    Ok(report.plan)
}

/// One line per node (unless the lab is large), what changed when it is
/// little (a reconcile), and the totals.
fn summary(desired: &State, p: &Plan, started: Instant) {
    const PER_NODE_UP_TO: usize = 40;
    const CHANGES_UP_TO: usize = 30;
    if desired.nodes.len() <= PER_NODE_UP_TO {
        for (name, n) in &desired.nodes {
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
            println!(
                "  {:<15} {} interface(s) {:<32} {what}",
                name,
                n.links.len(),
                addrs.join(" ")
            );
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

fn up(file: Option<&Path>, check: bool, json: bool) -> Exit {
    let loaded = match load::file_or_demo(file) {
        Ok(l) => l,
        Err(e) => return e,
    };
    if file.is_none() {
        if let Err(e) = demo_may_take(&loaded.desired.lab) {
            return e;
        }
    }
    if let Err(e) = up_loaded(&loaded, json) {
        return e;
    }
    if check {
        return crate::check::run_checks(&loaded, None, json);
    }
    Exit::Ok
}

/// The built-in demo (`nslab demo`, `nslab up` with no file) only ever
/// touches a lab it made: one whose record says it came from the demo. A
/// lab of that name brought up from a file, or whose record is unreadable
/// or lost while namespaces carry its mark, is refused (status 2) and left
/// as it is.
pub(crate) fn demo_may_take(lab: &str) -> Result<(), Exit> {
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
            let found = lab::owned_namespaces(lab);
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

/// A lab's name, from a name or the path of its topology file.
pub(crate) fn lab_name(lab: &str) -> Result<String, Exit> {
    let p = Path::new(lab);
    let looks_like_file =
        lab.contains('/') || [".yaml", ".yml", ".json"].iter().any(|e| lab.ends_with(e));
    if looks_like_file && p.exists() {
        return load::from_file(p).map(|l| l.desired.lab.clone());
    }
    Ok(lab.to_string())
}

pub(crate) fn down_lab(lab: &str, json: bool) -> Exit {
    let name = match lab_name(lab) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let started = Instant::now();
    match lab::down(&name) {
        Ok(r) => {
            if json {
                print_plan(&r.plan, true);
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
        Err(e) => lab_error(e),
    }
}

fn plan_cmd(file: Option<&Path>, exit_code: bool, offline: bool, json: bool) -> Exit {
    let loaded = match load::file_or_demo(file) {
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
    let p = if !offline {
        match lab::plan_up(&loaded.desired) {
            Ok(p) => p,
            Err(e) => return lab_error(e),
        }
    } else {
        plan::plan(
            &loaded.desired,
            &State {
                lab: loaded.desired.lab.clone(),
                ..Default::default()
            },
        )
    };
    print_plan(&p, json);
    if !json && p.is_empty() {
        eprintln!("lab {} matches the file: nothing to do", loaded.desired.lab);
    }
    if exit_code && !p.is_empty() {
        return Exit::Changes;
    }
    Exit::Ok
}

fn nix_is_root() -> bool {
    nslab_sys::sandbox::is_root()
}

fn validate(file: &Path, json: bool) -> Exit {
    if json {
        return load::validate_json(file);
    }
    match load::from_file(file) {
        Ok(l) => {
            let n = l.desired.nodes.len();
            println!(
                "{}: ok (lab {}, {n} node(s))",
                file.display(),
                l.desired.lab
            );
            Exit::Ok
        }
        Err(e) => e,
    }
}

/// A lab name that no lab is up under: bad input (status 2).
pub(crate) fn not_up(lab: &str) -> Exit {
    eprintln!("error: lab {lab} is not up (`nslab ls` lists the labs that are; `nslab up FILE` brings one up)");
    Exit::BadInput
}

/// The state directory of a lab that is up, or "not up" (status 2). Only
/// `up` makes a lab's directory: looking never does.
pub(crate) fn state_dir_of(lab: &str) -> Result<StateDir, Exit> {
    match StateDir::find(lab) {
        Ok(Some(d)) => Ok(d),
        Ok(None) => Err(not_up(lab)),
        Err(e @ nslab_sys::Error::InvalidName { .. }) => {
            eprintln!("error: {e}");
            Err(Exit::BadInput)
        }
        Err(e) => Err(fail(e)),
    }
}

/// The record of a lab that is up, or an error naming it.
pub(crate) fn record_of(lab: &str) -> Result<Record, Exit> {
    let dir = state_dir_of(lab)?;
    match lab::look(&dir) {
        Ok(lab::Recorded::Found(r)) => Ok(r),
        Ok(lab::Recorded::Missing) => Err(not_up(lab)),
        Ok(lab::Recorded::Unreadable(why)) => Err(fail(format!(
            "the record of lab {lab} cannot be read ({why}); `nslab down {lab}` removes the lab by the marks it left in the kernel"
        ))),
        Err(e) => Err(fail(e)),
    }
}

fn ls(json: bool) -> Exit {
    let labs = StateDir::list_labs().unwrap_or_default();
    let marked = lab::marked_namespaces();
    let mut rows = Vec::new();
    for lab in &labs {
        let looked = StateDir::find(lab)
            .map_err(|e| e.to_string())
            .and_then(|d| {
                d.map(|d| lab::look(&d).map_err(|e| e.to_string()))
                    .transpose()
            });
        let rec = match looked {
            Ok(Some(lab::Recorded::Found(r))) => r,
            // No record: listed below if its namespaces carry its mark.
            Ok(None | Some(lab::Recorded::Missing)) => continue,
            Ok(Some(lab::Recorded::Unreadable(why))) | Err(why) => {
                let n = marked.get(lab).map_or(0, Vec::len);
                rows.push((
                    lab.clone(),
                    n,
                    n,
                    format!("record unreadable ({why}); `nslab down {lab}` removes the lab by its marks"),
                    String::new(),
                ));
                continue;
            }
        };
        let total = rec.nodes.len();
        let present = rec
            .nodes
            .values()
            .filter(|ns| ns.as_deref().is_none_or(netns::exists))
            .count();
        let health = if rec.incomplete {
            "incomplete (an up was interrupted: run up again or down)"
        } else if present == total {
            "ok"
        } else {
            "degraded (namespaces missing)"
        };
        rows.push((lab.clone(), total, present, health.to_string(), rec.source));
    }
    // Labs whose namespaces carry their mark but whose record is gone.
    for (lab, namespaces) in marked {
        if !rows.iter().any(|r| r.0 == lab) {
            let n = namespaces.len();
            rows.push((
                lab,
                n,
                n,
                "no record (remove it with `nslab down`)".to_string(),
                String::new(),
            ));
        }
    }
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|(lab, total, present, health, source)| {
                serde_json::json!({"lab": lab, "nodes": total, "present": present, "health": health, "source": source})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else if rows.is_empty() {
        println!("no labs are up");
    } else {
        println!("{:<13} {:>5}  {:<10} source", "lab", "nodes", "health");
        for (lab, total, _, health, source) in rows {
            println!("{lab:<13} {total:>5}  {health:<10} {source}");
        }
    }
    Exit::Ok
}

pub(crate) fn show_lab(lab: &str, node: Option<&str>, json: bool) -> Exit {
    let name = match lab_name(lab) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let rec = match record_of(&name) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if let Some(n) = node {
        if !rec.nodes.contains_key(n) {
            return fail(format!(
                "lab {name} has no node {n}; its nodes: {}",
                rec.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let scope = lab::scope_of_record(&name, &rec);
    let mut host = Linux::new(&name);
    let state = match host.observe(&scope) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if json {
        let nodes: serde_json::Map<_, _> = state
            .nodes
            .iter()
            .filter(|(n, _)| node.is_none_or(|x| x == *n))
            .map(|(n, s)| (n.clone(), serde_json::to_value(s).unwrap_or_default()))
            .collect();
        println!("{}", serde_json::json!({"lab": name, "nodes": nodes}));
    } else {
        print!("{}", show::render(&state, node));
        crate::services::show(&rec, node);
    }
    Exit::Ok
}

/// The namespace of `node` in lab `lab`.
pub(crate) fn node_netns(lab: &str, node: &str) -> Result<String, Exit> {
    let name = lab_name(lab)?;
    let rec = record_of(&name)?;
    match rec.nodes.get(node) {
        Some(Some(ns)) => Ok(ns.clone()),
        Some(None) => Err(fail(format!(
            "node {node} is the host namespace; run the command directly"
        ))),
        None => Err(fail(format!(
            "lab {name} has no node {node}; its nodes: {}",
            rec.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn status_exit(status: std::process::ExitStatus) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => Exit::Code(u8::try_from(c).unwrap_or(1)),
        (None, Some(sig)) => Exit::Code(u8::try_from(128 + sig).unwrap_or(1)),
        _ => Exit::Failed,
    }
}

fn exec_cmd(lab: &str, node: &str, argv: &[OsString]) -> Exit {
    let ns = match node_netns(lab, node) {
        Ok(ns) => ns,
        Err(e) => return e,
    };
    let mut cmd = match exec::command_in(&ns, argv) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    match cmd.status() {
        Ok(s) => status_exit(s),
        Err(e) => fail(format!(
            "cannot run {:?} in {lab}/{node}: {e}",
            argv.first().unwrap_or(&OsString::new())
        )),
    }
}

fn shell(lab: &str, node: &str) -> Exit {
    let ns = match node_netns(lab, node) {
        Ok(ns) => ns,
        Err(e) => return e,
    };
    let label = match lab_name(lab) {
        Ok(l) => format!("{l}/{node}"),
        Err(e) => return e,
    };
    let mut cmd = match exec::shell_command(&ns, &label) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    match cmd.status() {
        Ok(s) => status_exit(s),
        Err(e) => fail(format!("cannot start a shell in {label}: {e}")),
    }
}

/// `graph`: from a file (no root, no kernel) or a lab that is up.
fn graph(lab: &str, format: super::graph::Format) -> Exit {
    let p = Path::new(lab);
    let loaded = if p.is_file() {
        load::from_file(p)
    } else {
        let name = match lab_name(lab) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let dir = match StateDir::find(&name) {
            Ok(Some(d)) => d,
            Ok(None) => return not_up(&name),
            Err(e) => return fail(e),
        };
        match dir.read(record::TOPOLOGY) {
            Ok(Some(b)) => load::parse(&name, &String::from_utf8_lossy(&b)),
            Ok(None) => return not_up(&name),
            Err(e) => return fail(e),
        }
    };
    match loaded {
        Ok(l) => {
            print!("{}", super::graph::render(&l.desired, format));
            Exit::Ok
        }
        Err(e) => e,
    }
}
