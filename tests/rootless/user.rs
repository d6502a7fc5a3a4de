//! Running nslab as the tests' unprivileged user, and what it leaves.

use crate::common::{examples, nslab_bin, text};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The user the tests run nslab as (not root; its own processes only).
pub const UID: u32 = 65534;

/// A fresh `XDG_RUNTIME_DIR` for [`UID`]: `/run/user/<uid>`, mode 0700.
pub fn xdg() -> PathBuf {
    let d = PathBuf::from(format!("/run/user/{UID}"));
    std::fs::create_dir_all(&d).expect("mkdir XDG_RUNTIME_DIR");
    std::os::unix::fs::chown(&d, Some(UID), Some(UID)).expect("chown XDG_RUNTIME_DIR");
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    d
}

/// nslab as [`UID`], with `XDG_RUNTIME_DIR` as given (unset for `None`).
pub fn user(args: &[&str], xdg: Option<&Path>) -> Command {
    let bin = nslab_bin();
    let mode = std::fs::metadata(&bin).expect("the nslab binary").mode();
    assert!(
        mode & 0o005 == 0o005,
        "{} is not readable and executable by others (mode {mode:o})",
        bin.display()
    );
    let mut c = Command::new(bin);
    c.args(args)
        .uid(UID)
        .gid(UID)
        .env_remove("NSLAB_ROOTLESS")
        .env_remove("XDG_RUNTIME_DIR")
        .current_dir("/");
    if let Some(x) = xdg {
        c.env("XDG_RUNTIME_DIR", x);
    }
    c
}

pub fn run(args: &[&str], xdg: Option<&Path>) -> Output {
    user(args, xdg).output().expect("run nslab as the user")
}

pub fn run_ok(args: &[&str], xdg: &Path, code: i32) -> String {
    let o = run(args, Some(xdg));
    let t = text(&o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "nslab {}:\n{t}",
        args.join(" ")
    );
    t
}

/// Live (not exited) processes of [`UID`]: `pid command`.
pub fn processes_of_user() -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        let field = |k: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(k))
                .map(|v| v.split_whitespace().next().unwrap_or("").to_string())
        };
        if field("Uid:").as_deref() == Some(&UID.to_string())
            && field("State:").as_deref() != Some("Z")
        {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            out.push(format!(
                "{} {}",
                e.file_name().to_string_lossy(),
                String::from_utf8_lossy(&cmd).replace('\0', " ")
            ));
        }
    }
    out
}

/// Everything under `dir`, recursively.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(d) = std::fs::read_dir(dir) {
        for e in d.flatten() {
            out.push(e.path().display().to_string());
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(entries(&e.path()));
            }
        }
    }
    out
}

/// Nothing of the user's left: no file in its XDG_RUNTIME_DIR, no process.
pub fn assert_nothing_left(xdg: &Path) {
    // A process killed by `down` may take a moment to be reaped.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !processes_of_user().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(processes_of_user(), Vec::<String>::new(), "processes left");
    assert_eq!(
        entries(xdg),
        Vec::<String>::new(),
        "files left in XDG_RUNTIME_DIR"
    );
}

pub fn example(name: &str) -> String {
    examples().join(name).display().to_string()
}
