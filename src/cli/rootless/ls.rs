//! `ls` without root: a process can enter one user namespace only, so each
//! of the user's labs is listed by a child (`nslab ls --json` with
//! [`LAB_VAR`] set) that entered that lab alone.

use super::base;
use crate::cli::Exit;
use serde_json::Value;

/// Set for the child that lists one lab.
const LAB_VAR: &str = "NSLAB_ROOTLESS_LS_LAB";

/// The lab this `ls` lists alone, when it is such a child.
pub(in crate::cli) fn child_lab() -> Option<String> {
    std::env::var(LAB_VAR).ok().filter(|l| !l.is_empty())
}

/// Whether this `ls` lists the user's labs (not root's), each by a child.
pub(in crate::cli) fn lists_for_user() -> bool {
    super::wanted(false) && child_lab().is_none()
}

/// Each of the user's labs, by name: the rows its child printed, or what
/// the child said instead.
pub(in crate::cli) type Listed = Vec<(String, Result<Vec<Value>, String>)>;

/// The user's labs under `$XDG_RUNTIME_DIR/nslab`, each listed by a child.
pub(in crate::cli) fn ls() -> Result<Listed, Exit> {
    let base = base()?;
    let mut labs: Vec<String> = match std::fs::read_dir(&base) {
        Ok(d) => d
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| !n.starts_with('.'))
            .collect(),
        Err(_) => Vec::new(),
    };
    labs.sort();
    let exe = crate::services::nslab_exe()
        .map_err(|e| crate::cli::fail(format!("cannot find the nslab binary: {e}")))?;
    let mut out = Vec::new();
    for lab in labs {
        let ran = std::process::Command::new(&exe)
            .args(["ls", "--json"])
            .env(LAB_VAR, &lab)
            .env("NSLAB_ROOTLESS", "1")
            .output();
        let rows = match ran {
            Ok(o) if o.status.success() => serde_json::from_slice::<Vec<Value>>(&o.stdout)
                .map_err(|e| format!("its listing: {e}")),
            Ok(o) => Err(String::from_utf8_lossy(&o.stderr)
                .trim()
                .trim_start_matches("error: ")
                .to_string()),
            Err(e) => Err(format!("cannot run nslab ls: {e}")),
        };
        out.push((lab, rows));
    }
    Ok(out)
}
