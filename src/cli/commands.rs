//! The dispatch from a parsed command to the function that runs it, and
//! what those functions share: naming a lab, finding its state, printing a
//! plan, explaining an error. Each command is the same shape: resolve the
//! request, call the library, print.

use super::args::{Command, FaultCommand};
use super::load;
use super::{capture, checks, events, exec, fail, faults, inspect, lifecycle, Exit};
use crate::lab::{self, LabError};
use crate::plan::Plan;
use crate::record::Record;
use nslab_sys::statedir::StateDir;
use std::path::Path;

pub fn run(cmd: Command) -> Exit {
    match cmd {
        Command::Up { file, check, json } => lifecycle::up(file.as_deref(), check, json),
        Command::Down { lab, json } => lifecycle::down_lab(&lab, json),
        Command::Plan {
            lab,
            exit_code,
            offline,
            json,
        } => lifecycle::plan_cmd(lab.as_deref(), exit_code, offline, json),
        Command::Validate { file, json } => lifecycle::validate(&file, json),
        Command::Ls { json } => super::ls::ls(json),
        Command::Show { lab, node, json } => inspect::show_lab(&lab, node.as_deref(), json),
        Command::Exec { lab, node, cmd } => exec::exec_cmd(&lab, &node, &cmd),
        Command::Shell { lab, node } => exec::shell(&lab, &node),
        Command::Check { lab, junit, json } => checks::check_cmd(&lab, junit.as_deref(), json),
        Command::Ping {
            lab,
            from,
            to,
            json,
        } => checks::ping_cmd(&lab, from.as_deref(), to.as_deref(), json),
        Command::Capture {
            lab,
            target,
            write,
            count,
            seconds,
            filter,
            host,
            json,
        } => {
            let keep = nslab_probe::capture::Filter {
                protos: filter,
                hosts: host,
            };
            capture::run(&lab, &target, write.as_deref(), count, seconds, &keep, json)
        }
        Command::Events {
            lab,
            node,
            json,
            count,
            timeout,
        } => events::run(&lab, node.as_deref(), json, count, timeout),
        Command::Graph { lab, format } => inspect::graph(&lab, format),
        Command::Fault(cmd) => run_fault(cmd),
        Command::Demo => lifecycle::demo(),
        Command::Completions { shell } => {
            let mut cmd = <super::args::Args as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "nslab", &mut std::io::stdout());
            Exit::Ok
        }
        Command::Man { dir } => super::man::man(dir.as_deref()),
        Command::Serve { label, services } => {
            match crate::services::serve(&label, &services, || println!("ready")) {
                Ok(never) => match never {},
                Err(e) => fail(e),
            }
        }
    }
}

/// The fault commands and `test`.
fn run_fault(cmd: FaultCommand) -> Exit {
    match cmd {
        FaultCommand::Link {
            lab,
            target,
            state,
            both,
        } => faults::link(&lab, &target, state, both),
        FaultCommand::Impair { lab, target, flags } => faults::impair(&lab, &target, &flags),
        FaultCommand::Partition {
            lab,
            groups,
            one_way,
        } => faults::partition(&lab, &groups, one_way),
        FaultCommand::Stop { lab, node } => faults::stop(&lab, &node),
        FaultCommand::Start { lab, node } => faults::start(&lab, &node),
        FaultCommand::Heal { lab, json } => faults::heal(&lab, json),
        FaultCommand::Test {
            lab,
            scenarios,
            junit,
            json,
            keep_going,
        } => super::test::test_cmd(&lab, &scenarios, junit.as_deref(), json, keep_going),
    }
}

/// A plan as the equivalent commands, or as `{"lab", "operations"}`.
pub(super) fn print_plan(lab: &str, p: &Plan, json: bool) {
    if json {
        println!("{}", super::json::plan_report(lab, p));
    } else {
        for s in &p.steps {
            println!("{}", s.op);
        }
    }
}

pub(super) fn lab_error(e: LabError) -> Exit {
    if nix_is_root() {
        fail(e)
    } else {
        fail(format!(
            "{e}\n  hint: changing the kernel needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN)"
        ))
    }
}

pub(super) fn nix_is_root() -> bool {
    nslab_sys::sandbox::is_root()
}

/// LAB names a topology file (a path, or a name ending in .yaml, .yml or
/// .json) that exists, rather than a lab.
pub(super) fn looks_like_file(lab: &str) -> bool {
    (lab.contains('/') || [".yaml", ".yml", ".json"].iter().any(|e| lab.ends_with(e)))
        && Path::new(lab).exists()
}

/// A lab's name, from a name or the path of its topology file.
pub(super) fn lab_name(lab: &str) -> Result<String, Exit> {
    let p = Path::new(lab);
    if looks_like_file(lab) {
        return load::from_file(p).map(|l| l.desired.lab.clone());
    }
    Ok(lab.to_string())
}

/// A lab name that no lab is up under: bad input (status 2).
pub(super) fn not_up(lab: &str) -> Exit {
    eprintln!("error: lab {lab} is not up (`nslab ls` lists the labs that are; `nslab up FILE` brings one up)");
    Exit::BadInput
}

/// The state directory of a lab that is up, or "not up" (status 2). Only
/// `up` makes a lab's directory: looking never does.
pub(super) fn state_dir_of(lab: &str) -> Result<StateDir, Exit> {
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
pub(super) fn record_of(lab: &str) -> Result<Record, Exit> {
    let dir = state_dir_of(lab)?;
    match lab::look(&dir) {
        Ok(lab::Recorded::Found(r)) => Ok(*r),
        Ok(lab::Recorded::Missing) => Err(not_up(lab)),
        Ok(lab::Recorded::Unreadable(why)) => Err(fail(format!(
            "the record of lab {lab} cannot be read ({why}); `nslab down {lab}` removes the lab by the marks it left in the kernel"
        ))),
        Err(e) => Err(fail(e)),
    }
}

/// The name and record of a lab that is up (by name or file), and the
/// node asked for, if any, checked against it (bad input if it has none).
pub(super) fn lab_and_node(lab: &str, node: Option<&str>) -> Result<(String, Record), Exit> {
    let name = lab_name(lab)?;
    let rec = record_of(&name)?;
    if let Some(n) = node.filter(|n| !rec.nodes.contains_key(*n)) {
        return Err(super::bad_input(format!(
            "lab {name} has no node {n}; its nodes: {}",
            rec.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    Ok((name, rec))
}
