//! Commands inside a namespace.
//!
//! - [`command_in`] and [`shell_command`] give a command what `ip netns exec`
//!   gives it (the steps are listed in `exec/ipnetns.rs`); the caller runs it and uses
//!   its exit status.
//! - [`spawn_in`] and [`kill_group`] are for long-running services
//!   (`run:`): the process joins the namespace and leads a session and
//!   process group of its own, so `down` can stop it and all its children.
//!
//! Nothing here forks by hand: each returns a [`std::process::Command`]
//! whose `pre_exec` hook does only async-signal-safe system calls on values
//! prepared before the fork.

#[allow(unsafe_code)] // the pre_exec hook
mod group;
#[allow(unsafe_code)] // the pre_exec hook
mod ipnetns;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use group::{join_node, kill_group, spawn_in};

use crate::Error;

/// A command that runs `argv` inside the named namespace as
/// `ip netns exec NAME ARGV...` would: in that network namespace, in a
/// mount namespace of its own with `/sys` showing the namespace's devices,
/// and with `/etc/netns/NAME/*` bound over `/etc/*` — and, for a node of
/// a lab, its private directories bound over their paths and its `env:`
/// added (see [`crate::nodefs`]).
///
/// The namespace is opened now (a missing one is an error here, not at
/// spawn). The program is looked up in `PATH` as usual; no shell is
/// involved.
pub fn command_in(netns_name: &str, argv: &[OsString]) -> Result<Command, Error> {
    let (program, args) = argv.split_first().ok_or(Error::EmptyCommand)?;
    let switch = ipnetns::Switch::prepare(netns_name)?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    add_env(&mut cmd, netns_name);
    switch.install(&mut cmd);
    Ok(cmd)
}

/// Adds the node's `env:` (its view, see [`crate::nodefs`]) to `cmd`.
fn add_env(cmd: &mut Command, netns: &str) {
    if let Some(view) = crate::nodefs::find_view(netns) {
        cmd.envs(view.env);
    }
}

/// A command that runs `argv` in a lab's node: inside its namespace
/// (`Some`, as [`command_in`]) or, for a node that is the host namespace
/// (`None`), right here. The one way nslab runs a command in a node (the
/// facade's `exec`, a scenario's `exec` step).
pub fn command_at(netns_name: Option<&str>, argv: &[OsString]) -> Result<Command, Error> {
    match netns_name {
        Some(ns) => command_in(ns, argv),
        None => {
            let (program, args) = argv.split_first().ok_or(Error::EmptyCommand)?;
            let mut cmd = Command::new(program);
            cmd.args(args);
            Ok(cmd)
        }
    }
}

/// An interactive shell inside the named namespace (see [`command_in`])
/// whose prompt names the lab and node: `PS1` is `[LABEL] \w\$ ` for bash
/// (shown as `[demo/h1] /root# `), `[LABEL] %~# ` for zsh, `[LABEL] # `
/// otherwise.
///
/// The shell is `$SHELL`, else `/bin/bash`, else `/bin/sh`. Because rc
/// files usually set `PS1`, bash is started with `--norc` and zsh with `-f`,
/// so the prompt stays; aliases and functions from rc files are therefore
/// not there. Other shells may override the prompt from their rc files.
pub fn shell_command(netns_name: &str, prompt_label: &str) -> Result<Command, Error> {
    let shell = pick_shell(std::env::var_os("SHELL"), |p| p.is_file());
    let kind = ShellKind::of(&shell);
    let mut argv = vec![shell.into_os_string()];
    match kind {
        ShellKind::Bash => argv.push("--norc".into()),
        ShellKind::Zsh => argv.push("-f".into()),
        ShellKind::Other => {}
    }
    let mut cmd = command_in(netns_name, &argv)?;
    cmd.env("PS1", prompt(prompt_label, kind));
    Ok(cmd)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShellKind {
    Bash,
    Zsh,
    Other,
}

impl ShellKind {
    fn of(shell: &Path) -> Self {
        match shell.file_name().and_then(|n| n.to_str()) {
            Some("bash") => ShellKind::Bash,
            Some("zsh") => ShellKind::Zsh,
            _ => ShellKind::Other,
        }
    }
}

fn pick_shell(env: Option<OsString>, exists: impl Fn(&Path) -> bool) -> PathBuf {
    env.filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .filter(|p| exists(p))
        .or_else(|| Some(PathBuf::from("/bin/bash")).filter(|p| exists(p)))
        .unwrap_or_else(|| PathBuf::from("/bin/sh"))
}

/// The prompt, with the label quoted so the shell shows it literally.
fn prompt(label: &str, kind: ShellKind) -> String {
    match kind {
        ShellKind::Bash => {
            let mut quoted = String::new();
            for c in label.chars() {
                if matches!(c, '\\' | '$' | '`') {
                    quoted.push('\\');
                }
                quoted.push(c);
            }
            format!("[{quoted}] \\w\\$ ")
        }
        ShellKind::Zsh => format!("[{}] %~# ", label.replace('%', "%%")),
        ShellKind::Other => format!("[{}] # ", label.replace(['$', '`', '\\'], "_")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_is_shell_then_bash_then_sh() {
        let all = |_: &Path| true;
        let none = |_: &Path| false;
        assert_eq!(
            pick_shell(Some("/usr/bin/zsh".into()), all),
            Path::new("/usr/bin/zsh")
        );
        assert_eq!(pick_shell(Some("".into()), all), Path::new("/bin/bash"));
        assert_eq!(pick_shell(None, all), Path::new("/bin/bash"));
        assert_eq!(
            pick_shell(Some("/usr/bin/zsh".into()), none),
            Path::new("/bin/sh")
        );
    }

    #[test]
    fn the_prompt_names_lab_and_node_literally() {
        assert_eq!(prompt("demo/h1", ShellKind::Bash), "[demo/h1] \\w\\$ ");
        assert_eq!(prompt("a$(x)/n", ShellKind::Bash), "[a\\$(x)/n] \\w\\$ ");
        assert_eq!(prompt("demo/h1", ShellKind::Zsh), "[demo/h1] %~# ");
        assert_eq!(prompt("demo/h1", ShellKind::Other), "[demo/h1] # ");
        assert_eq!(ShellKind::of(Path::new("/bin/bash")), ShellKind::Bash);
        assert_eq!(ShellKind::of(Path::new("/bin/dash")), ShellKind::Other);
    }

    #[test]
    fn an_empty_command_line_is_refused() {
        assert!(matches!(command_in("x", &[]), Err(Error::EmptyCommand)));
        assert!(matches!(command_at(None, &[]), Err(Error::EmptyCommand)));
    }
}
