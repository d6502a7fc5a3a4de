//! The dispatch from a parsed command to the function that runs it, and
//! nothing else (what the commands share is in [`super::labs`]). Each
//! command is the same shape: resolve the request, call the library,
//! print.

use super::args::{Command, FaultCommand};
use super::{capture, checks, events, exec, fail, faults, inspect, lifecycle, Exit};

pub fn run(cmd: Command) -> Exit {
    // Labs without root: chosen, started or entered before anything else
    // (and before any thread).
    let mut ctx = match super::rootless::prepare(&cmd) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let loaded = ctx.loaded.take();
    let exit = dispatch(cmd, loaded);
    super::rootless::finish(ctx, exit)
}

fn dispatch(cmd: Command, loaded: Option<super::load::Loaded>) -> Exit {
    match cmd {
        Command::Up {
            file, check, json, ..
        } => lifecycle::up(file.as_deref(), loaded, check, json),
        Command::Hold { name } => super::rootless::hold(&name),
        Command::Down { lab, json } => lifecycle::down_lab(&lab, json),
        Command::Plan {
            lab, script: true, ..
        } => super::script::script_cmd(lab.as_deref()),
        Command::Plan {
            lab,
            exit_code,
            offline,
            json,
            script: false,
        } => lifecycle::plan_cmd(lab.as_deref(), exit_code, offline, json),
        Command::Validate {
            file,
            json,
            rootless: false,
        } => lifecycle::validate(&file, json),
        Command::Validate {
            file,
            json,
            rootless: true,
        } => super::load::validate_rootless(&file, json),
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
