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
    processes_where(|uid| uid == UID)
}

/// Live (not exited) processes whose uid `mine` takes: `pid command`.
pub fn processes_where(mine: impl Fn(u32) -> bool) -> Vec<String> {
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
        let uid: Option<u32> = field("Uid:").and_then(|u| u.parse().ok());
        if uid.is_some_and(&mine) && field("State:").as_deref() != Some("Z") {
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

/// Starts `nslab ARGS` as the user, kills it (SIGKILL) once `reached`
/// holds (within 30 s, else the test fails, saying `when`), and returns
/// how it ended.
#[allow(dead_code)] // not every test binary that includes this file uses it
pub fn kill_when(
    args: &[&str],
    xdg: &Path,
    when: &str,
    reached: &dyn Fn() -> bool,
) -> std::process::ExitStatus {
    let mut up = user(args, Some(xdg))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn nslab");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reached() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_micros(200));
    }
    let was_reached = reached();
    let _ = up.kill();
    let status = up.wait().expect("wait for nslab");
    assert!(was_reached, "{when}: not reached within 30 s");
    status
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
    assert_none_left(xdg, &processes_of_user, "after down");
}

/// Nothing left: no file in `xdg`, and (once those killed by `down` are
/// reaped, within 5 s) none of the `processes`; `when` names the moment.
pub fn assert_none_left(xdg: &Path, processes: &dyn Fn() -> Vec<String>, when: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !processes().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(processes(), Vec::<String>::new(), "{when}: processes left");
    assert_eq!(
        entries(xdg),
        Vec::<String>::new(),
        "{when}: files left in XDG_RUNTIME_DIR"
    );
}

pub fn example(name: &str) -> String {
    examples().join(name).display().to_string()
}
