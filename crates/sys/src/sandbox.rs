//! Test support: run a kernel test in fresh network and mount namespaces.
//!
//! The test harness is multithreaded, so it cannot `unshare(CLONE_NEWNS)`
//! itself. Instead [`enter`] re-runs the current test binary for just one
//! test under `unshare --net --mount --propagation private`, with
//! `NSLAB_IN_SANDBOX` naming the parent's namespaces. Inside, it mounts a private tmpfs on `/run` and
//! makes `/run/netns` and `/run/nslab` there, so the test's namespaces and
//! state never reach the host — and vanish with the sandbox even if the
//! test fails half-way.
//!
//! ```text
//! #[test]
//! fn netns_create_and_delete() {
//!     if !sandbox::enter("netns_create_and_delete") {
//!         return; // the parent: the sandboxed run passed
//!     }
//!     // the body runs here, inside the sandbox
//! }
//! ```
//!
//! The name must be the test's full path as libtest prints it (for a test
//! in a module: `module::test_name`). A run that ran no test fails, so a
//! wrong name is noticed. Without root the tests fail with a clear message.

use std::path::Path;
use std::process::Command;

const INSIDE: &str = "NSLAB_IN_SANDBOX";

/// Whether the effective uid is 0.
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// Whether this process is a sandboxed test run.
pub fn is_inside() -> bool {
    std::env::var_os(INSIDE).is_some_and(|v| !v.is_empty())
}

/// `mnt:<inode>,net:<inode>` of this process.
fn own_namespaces() -> Result<String, String> {
    use std::os::unix::fs::MetadataExt;
    let ino = |ns: &str| {
        let p = format!("/proc/self/ns/{ns}");
        std::fs::metadata(&p)
            .map(|m| m.ino())
            .map_err(|e| format!("{p}: {e}"))
    };
    Ok(format!("mnt:{},net:{}", ino("mnt")?, ino("net")?))
}

/// `true` inside the sandbox (run the test body); `false` in the parent
/// after the sandboxed run of `test_name` passed. Panics, showing the
/// child's output, when it failed.
pub fn enter(test_name: &str) -> bool {
    if is_inside() {
        if let Err(e) = prepare_inside() {
            panic!("sandbox: {e}");
        }
        return true;
    }
    // A kernel test that cannot run fails: passing without running would
    // claim what was never checked.
    if !is_root() {
        panic!("kernel test {test_name} needs root (it runs in namespaces of its own)");
    }
    let (passed, output) = match run_test_in_sandbox(test_name) {
        Ok(r) => r,
        Err(e) => panic!("sandbox for {test_name}: {e}"),
    };
    // Forwarded: libtest shows it when the test fails or with --nocapture.
    println!("{output}");
    assert!(passed, "sandboxed test {test_name} failed:\n{output}");
    false
}

/// Runs `test_name` of the current test binary in a sandbox and returns
/// whether it passed (ran exactly one test, which passed) and its output.
pub fn run_test_in_sandbox(test_name: &str) -> std::io::Result<(bool, String)> {
    let exe = std::env::current_exe()?;
    let out = Command::new("unshare")
        .args(["--net", "--mount", "--propagation", "private", "--"])
        .arg(exe)
        .args([
            test_name,
            "--exact",
            "--nocapture",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env(INSIDE, own_namespaces().map_err(std::io::Error::other)?)
        .output()
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot run unshare: {e}")))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let passed = out.status.success() && text.contains("1 passed");
    Ok((passed, text))
}

/// Inside: a private tmpfs on /run with empty netns and nslab directories.
fn prepare_inside() -> Result<(), String> {
    use nix::mount::{mount, MsFlags};
    // Never hide the host's /run: mount only when this process really is
    // in other namespaces than the parent that started it (the variable
    // holds the parent's; it could be set by mistake).
    let parent = std::env::var(INSIDE).unwrap_or_default();
    if parent.is_empty() || parent == own_namespaces()? {
        return Err(format!(
            "{INSIDE}={parent:?} does not name other namespaces than ours; refusing to mount"
        ));
    }
    let run = Path::new("/run");
    mount(
        Some("nslab-sandbox"),
        run,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0755"),
    )
    .map_err(|e| format!("mount tmpfs on /run: {e}"))?;
    for d in ["/run/netns", "/run/nslab"] {
        std::fs::create_dir(d).map_err(|e| format!("mkdir {d}: {e}"))?;
    }
    Ok(())
}

/// The names under `/run/netns` (for "nothing left" assertions).
pub fn netns_left() -> Vec<String> {
    std::fs::read_dir("/run/netns")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
