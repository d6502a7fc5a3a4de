//! The `nslab` command: argv → [`args::Command`] → library calls →
//! printing. Exit status: 0 success, 1 a check or command failed, 2 bad
//! input (nothing changed), 3 `plan --exit-code` found changes.

pub mod args;
mod capture;
mod checks;
mod commands;
mod exec;
pub mod faults;
pub mod graph;
mod inspect;
mod lifecycle;
pub mod load;
pub mod show;
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

/// Print an error the way every command does, and return `Failed`.
pub(crate) fn fail(msg: impl std::fmt::Display) -> Exit {
    eprintln!("error: {msg}");
    Exit::Failed
}

pub fn main() -> ExitCode {
    let args = args::Args::parse();
    commands::run(args.command).into()
}
