//! `exec` and `shell`: a command inside a node, its exit status ours.

use super::labs::{lab_name, record_of};
use super::{bad_input, Exit};
use nslab_sys::exec;
use std::ffi::OsString;

/// The namespace of `node` in lab `lab`.
pub(super) fn node_netns(lab: &str, node: &str) -> Result<String, Exit> {
    let name = lab_name(lab)?;
    let rec = record_of(&name)?;
    match rec.nodes.get(node) {
        Some(Some(ns)) => Ok(ns.clone()),
        Some(None) => Err(bad_input(format!(
            "node {node} is the host namespace; run the command directly"
        ))),
        None => Err(bad_input(format!(
            "lab {name} has no node {node}; its nodes: {}",
            rec.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
        ))),
    }
}

pub(super) fn status_exit(status: std::process::ExitStatus) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => Exit::Code(u8::try_from(c).unwrap_or(1)),
        (None, Some(sig)) => Exit::Code(u8::try_from(128 + sig).unwrap_or(1)),
        _ => Exit::Failed,
    }
}

pub(super) fn exec_cmd(lab: &str, node: &str, argv: &[OsString]) -> Exit {
    let ns = match node_netns(lab, node) {
        Ok(ns) => ns,
        Err(e) => return e,
    };
    // An image node's command runs inside its container.
    let mut cmd = match crate::services::containers::command_at(lab, node, Some(&ns), argv) {
        Ok(c) => c,
        Err(e) => return super::fail_unless_root(e),
    };
    match cmd.status() {
        Ok(s) => status_exit(s),
        Err(e) => {
            let program = argv
                .first()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            match not_started(&e) {
                Some((code, why)) => {
                    eprintln!("nslab: {lab}/{node}: {program}: {why}");
                    Exit::Code(code)
                }
                None => {
                    super::fail_unless_root(format!("cannot run {program:?} in {lab}/{node}: {e}"))
                }
            }
        }
    }
}

/// The status a shell (and `docker exec`) gives a command that could not
/// be started: 127 when there is no such program, 126 when it is there but
/// cannot be executed (no `x` permission, a directory, not a format the
/// kernel runs). `None` for other failures (entering the node refused:
/// `EPERM` from `setns`, which is no verdict on the program).
fn not_started(e: &std::io::Error) -> Option<(u8, &'static str)> {
    match e.raw_os_error()? {
        libc::ENOENT => Some((127, "command not found")),
        libc::EACCES | libc::ENOEXEC | libc::EISDIR => Some((
            126,
            "cannot execute (permission denied or not an executable)",
        )),
        _ => None,
    }
}

pub(super) fn shell(lab: &str, node: &str) -> Exit {
    let ns = match node_netns(lab, node) {
        Ok(ns) => ns,
        Err(e) => return e,
    };
    let label = match lab_name(lab) {
        Ok(l) => format!("{l}/{node}"),
        Err(e) => return e,
    };
    let container = crate::services::containers::container_of(lab, node);
    let shell = container.map(|c| {
        use std::io::IsTerminal;
        let tty = std::io::stdin().is_terminal();
        Ok(nslab_sys::podman::exec_command(
            &c,
            &["/bin/sh".into()],
            tty,
        ))
    });
    let mut cmd = match shell.unwrap_or_else(|| exec::shell_command(&ns, &label)) {
        Ok(c) => c,
        Err(e) => return super::fail_unless_root(e),
    };
    match cmd.status() {
        Ok(s) => status_exit(s),
        Err(e) => super::fail_unless_root(format!("cannot start a shell in {label}: {e}")),
    }
}
