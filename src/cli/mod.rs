//! The `nslab` command: argv → [`args::Command`] → library calls →
//! printing. Exit status: 0 success, 1 a check or command failed, 2 bad
//! input (nothing changed), 3 `plan --exit-code` found changes.

pub mod args;
mod capture;
mod checks;
mod commands;
mod events;
mod exec;
pub mod faults;
pub mod graph;
mod inspect;
pub mod json;
mod labs;
mod lifecycle;
pub mod load;
mod ls;
mod man;
mod rootless;
mod script;
pub mod show;
mod show_bridge;
mod show_fs;
pub mod term;
mod test;

use clap::Parser;
use std::process::ExitCode;

/// How a command ended, for the exit status.
#[derive(Debug)]
pub enum Exit {
    Ok,
    /// A check or command failed (status 1); the message was printed.
    Failed,
    /// Bad input, nothing changed (status 2); the message was printed.
    BadInput,
    /// `plan --exit-code`: `up` would change something.
    Changes,
    /// The exit status of a command run by `exec`/`shell`.
    Code(u8),
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(match e {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::BadInput => 2,
            Exit::Changes => 3,
            Exit::Code(c) => c,
        })
    }
}

/// `error:`, red on a terminal.
fn error_word() -> String {
    term::paint(term::colour_stderr(), "31", "error:")
}

/// Print an error about what the user typed (an unknown node, a malformed
/// argument), and return `BadInput` (status 2).
pub(crate) fn bad_input(msg: impl std::fmt::Display) -> Exit {
    eprintln!("{} {msg}", error_word());
    Exit::BadInput
}

/// What a user who is not root is told when entering a namespace or
/// reading the kernel failed.
pub(crate) const ROOT_HINT: &str =
    "hint: this needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN): run it with sudo";

/// `fail`, with [`ROOT_HINT`] when nslab does not run as root.
pub(crate) fn fail_unless_root(msg: impl std::fmt::Display) -> Exit {
    if nslab_sys::sandbox::is_root() {
        fail(msg)
    } else {
        fail(format!("{msg}\n  {ROOT_HINT}"))
    }
}

/// Print an error the way every command does, and return `Failed`.
pub(crate) fn fail(msg: impl std::fmt::Display) -> Exit {
    eprintln!("{} {msg}", error_word());
    Exit::Failed
}

pub fn main() -> ExitCode {
    // A container runtime runs `$CNI_PATH/nslab` with `CNI_COMMAND` set
    // (or `nslab-cni`, or `nslab cni`): the CNI plugin, not the CLI.
    if crate::cni::is_plugin(&std::env::args_os().collect::<Vec<_>>()) {
        return crate::cni::main();
    }
    let args = args::Args::parse();
    commands::run(args.command).into()
}

/// [`main`] on `args` instead of the process's own (the Python package's
/// `nslab` script, whose process is the Python interpreter).
pub fn main_from(args: Vec<std::ffi::OsString>) -> ExitCode {
    let args = args::Args::parse_from(args);
    commands::run(args.command).into()
}
