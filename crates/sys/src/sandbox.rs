//! Test support: run a kernel test in fresh network and mount namespaces —
//! the one test sandbox of nslab (`tests/common` uses it too).
//!
//! The test harness is multithreaded, so it cannot `unshare(CLONE_NEWNS)`
//! itself. Instead [`Sandbox::enter`] re-runs the current test binary for
//! just one test under `unshare --net --mount --propagation private` (and
//! `--pid --fork --mount-proc` with [`Sandbox::with_pid_namespace`]), with
//! `NSLAB_IN_SANDBOX` naming the parent's namespaces. Inside, it mounts a
//! private tmpfs on `/run` (and makes `/run/netns` and `/run/nslab` there,
//! unless [`Sandbox::with_empty_run`]), and an overlay on `/etc` with an
//! empty `/etc/netns` whose writes land on that tmpfs, so the test's
//! namespaces, state and `/etc/netns` files never reach the host — and
//! vanish with the sandbox even if the test fails half-way.
//!
//! It mounts only after it checked ([`check_private`]) that it is in a
//! mount namespace and a network namespace other than its parent's, and
//! that the mount `/run` lands on does not propagate its mounts to other
//! namespaces; otherwise it refuses and the test fails.
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

/// How a test is sandboxed. [`Sandbox::new`]: fresh network and mount
/// namespaces, a private tmpfs on `/run` with empty `/run/netns` and
/// `/run/nslab`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sandbox {
    pid: bool,
    run_dirs: bool,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    /// Fresh network and mount namespaces, private tmpfs on `/run` with
    /// `/run/netns` and `/run/nslab` made.
    pub const fn new() -> Self {
        Sandbox {
            pid: false,
            run_dirs: true,
        }
    }

    /// A PID namespace too, with its own `/proc`: the test sees only its
    /// own processes, and everything it started dies with it.
    pub const fn with_pid_namespace(self) -> Self {
        Sandbox { pid: true, ..self }
    }

    /// Leave the tmpfs on `/run` empty (the code under test makes what it
    /// needs there).
    pub const fn with_empty_run(self) -> Self {
        Sandbox {
            run_dirs: false,
            ..self
        }
    }

    /// `true` inside the sandbox (run the test body); `false` in the parent
    /// after the sandboxed run of `test_name` passed. Panics, showing the
    /// child's output, when it failed, and inside when the sandbox cannot
    /// be proved private (nothing is mounted then).
    pub fn enter(&self, test_name: &str) -> bool {
        if is_inside() {
            if let Err(e) = self.prepare_inside() {
                panic!("sandbox: {e}");
            }
            return true;
        }
        // A kernel test that cannot run fails: passing without running would
        // claim what was never checked.
        if !is_root() {
            panic!("kernel test {test_name} needs root (it runs in namespaces of its own): sudo cargo test");
        }
        let (passed, output) = match self.run_test(test_name) {
            Ok(r) => r,
            Err(e) => panic!("sandbox for {test_name}: {e}"),
        };
        // Forwarded: libtest shows it when the test fails or with --nocapture.
        println!("{output}");
        assert!(passed, "sandboxed test {test_name} failed:\n{output}");
        false
    }

    /// Runs `test_name` of the current test binary in this sandbox and
    /// returns whether it passed (ran exactly one test, which passed) and
    /// its output.
    pub fn run_test(&self, test_name: &str) -> std::io::Result<(bool, String)> {
        let exe = std::env::current_exe()?;
        let mut unshare = Command::new("unshare");
        unshare.args(["--net", "--mount", "--propagation", "private"]);
        if self.pid {
            unshare.args(["--pid", "--fork", "--mount-proc"]);
        }
        let out = unshare
            .arg("--")
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

    /// Inside: a private tmpfs on /run (with empty netns and nslab
    /// directories unless `with_empty_run`) and a private `/etc/netns`
    /// ([`private_etc_netns`]), once [`check_private`] passed.
    fn prepare_inside(&self) -> Result<(), String> {
        use nix::mount::{mount, MsFlags};
        // Never hide the host's /run: mount only when this process really
        // is in other namespaces than the parent that started it (the
        // variable holds the parent's; it could be set by mistake) and the
        // mount cannot propagate back.
        let parent = std::env::var(INSIDE).unwrap_or_default();
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
            .map_err(|e| format!("/proc/self/mountinfo: {e}"))?;
        check_private(&parent, &own_namespaces()?, &mountinfo)
            .map_err(|e| format!("{e}; refusing to mount over /run"))?;
        let run = Path::new("/run");
        mount(
            Some("nslab-sandbox"),
            run,
            Some("tmpfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
            Some("mode=0755"),
        )
        .map_err(|e| format!("mount tmpfs on /run: {e}"))?;
        private_etc_netns()?;
        if self.run_dirs {
            for d in ["/run/netns", "/run/nslab"] {
                std::fs::create_dir(d).map_err(|e| format!("mkdir {d}: {e}"))?;
            }
        }
        Ok(())
    }
}

/// A private, empty `/etc/netns` (where nslab writes a node's `hosts` and
/// `ip netns exec` reads it): `/etc` gets a writable overlay whose upper
/// layer is on the sandbox's `/run` tmpfs, so nothing written under `/etc`
/// reaches the machine or another test, and the machine needs no
/// `/etc/netns` of its own.
fn private_etc_netns() -> Result<(), String> {
    use nix::mount::{mount, MsFlags};
    let base = Path::new("/run/.sandbox-etc");
    let (upper, work) = (base.join("upper"), base.join("work"));
    for d in [&upper, &work] {
        std::fs::create_dir_all(d).map_err(|e| format!("mkdir {}: {e}", d.display()))?;
    }
    let opts = format!(
        "lowerdir=/etc,upperdir={},workdir={}",
        upper.display(),
        work.display()
    );
    mount(
        Some("nslab-sandbox-etc"),
        "/etc",
        Some("overlay"),
        MsFlags::empty(),
        Some(opts.as_str()),
    )
    .map_err(|e| format!("mount an overlay on /etc: {e}"))?;
    let netns = Path::new("/etc/netns");
    // The machine's entries (if any) are not the test's.
    if netns.exists() {
        mount(
            Some("nslab-sandbox-etc-netns"),
            netns,
            Some("tmpfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
            Some("mode=0755"),
        )
        .map_err(|e| format!("mount tmpfs on /etc/netns: {e}"))?;
    } else {
        std::fs::create_dir(netns).map_err(|e| format!("mkdir /etc/netns: {e}"))?;
    }
    Ok(())
}

/// `true` inside the sandbox (run the test body); `false` in the parent
/// after the sandboxed run of `test_name` passed: [`Sandbox::new`]`.enter`.
pub fn enter(test_name: &str) -> bool {
    Sandbox::new().enter(test_name)
}

/// Runs `test_name` of the current test binary in a [`Sandbox::new`]
/// sandbox and returns whether it passed and its output.
pub fn run_test_in_sandbox(test_name: &str) -> std::io::Result<(bool, String)> {
    Sandbox::new().run_test(test_name)
}

/// Whether mounting over `/run` is private to this process: `own`
/// (`mnt:<inode>,net:<inode>`, as this process's namespaces) differs from
/// `parent` (the same of the process that started the sandbox) in BOTH the
/// mount and the network namespace, and the mount `/run` would land on in
/// `mountinfo` (the text of `/proc/self/mountinfo`) is not shared, so a
/// mount there does not propagate to the parent's namespace.
pub fn check_private(parent: &str, own: &str, mountinfo: &str) -> Result<(), String> {
    let field = |text: &str, key: &str| -> Option<u64> {
        text.split(',')
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix(':')?.parse().ok())
    };
    for ns in ["mnt", "net"] {
        let (Some(theirs), Some(ours)) = (field(parent, ns), field(own, ns)) else {
            return Err(format!(
                "{INSIDE}={parent:?} does not name the parent's {ns} namespace"
            ));
        };
        if theirs == ours {
            return Err(format!(
                "still in the parent's {ns} namespace ({ns}:{ours})"
            ));
        }
    }
    // The mount a tmpfs on /run lands on: /run when it is a mount point,
    // else the root; the last one listed is the one on top.
    let mut under = None;
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let Some(point) = fields.get(4) else { continue };
        let longer = match under {
            Some((p, _)) => point.len() >= str::len(p),
            None => true,
        };
        if (*point == "/run" || *point == "/") && longer {
            under = Some((*point, fields));
        }
    }
    let Some((point, fields)) = under else {
        return Err("no mount for / in /proc/self/mountinfo".to_string());
    };
    let optional = fields
        .iter()
        .skip(6)
        .take_while(|f| **f != "-")
        .collect::<Vec<_>>();
    if let Some(peer) = optional.iter().find(|f| f.starts_with("shared:")) {
        return Err(format!(
            "the mount on {point} is shared ({peer}): a mount on /run would reach other namespaces"
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    const PRIVATE: &str = "\
21 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
22 21 0:21 / /proc rw,relatime - proc proc rw
";
    const SHARED_ROOT: &str = "\
21 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
22 21 0:21 / /proc rw,relatime shared:12 - proc proc rw
";
    const SHARED_RUN: &str = "\
21 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
25 21 0:25 / /run rw,nosuid,nodev shared:5 master:2 - tmpfs tmpfs rw,mode=755
";
    const PRIVATE_RUN_ON_SHARED_ROOT: &str = "\
21 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
25 21 0:25 / /run rw,nosuid,nodev master:5 - tmpfs tmpfs rw,mode=755
";

    /// Mounting over /run is allowed only in other mount AND network
    /// namespaces than the parent's, on a mount that does not propagate.
    #[test]
    fn mounts_over_run_only_where_it_cannot_reach_the_host() {
        let parent = "mnt:100,net:200";
        let table: &[(&str, &str, &str, bool)] = &[
            (
                "mnt:101,net:201",
                PRIVATE,
                "fresh namespaces, private",
                true,
            ),
            ("mnt:100,net:200", PRIVATE, "the parent's namespaces", false),
            ("mnt:100,net:201", PRIVATE, "only the network is new", false),
            ("mnt:101,net:200", PRIVATE, "only the mounts are new", false),
            ("mnt:101,net:201", SHARED_ROOT, "/ still shared", false),
            ("mnt:101,net:201", SHARED_RUN, "/run still shared", false),
            (
                "mnt:101,net:201",
                PRIVATE_RUN_ON_SHARED_ROOT,
                "/run its own, a slave",
                true,
            ),
            ("mnt:101,net:201", "", "no mount table", false),
        ];
        for (own, mountinfo, what, allowed) in table {
            let r = check_private(parent, own, mountinfo);
            assert_eq!(r.is_ok(), *allowed, "{what}: {r:?}");
        }
        for bad_parent in ["", "1", "mnt:100", "net:200", "mnt:x,net:y"] {
            let r = check_private(bad_parent, "mnt:101,net:201", PRIVATE);
            assert!(r.is_err(), "parent {bad_parent:?}: {r:?}");
        }
    }

    #[test]
    fn this_process_is_not_private_from_itself() {
        let own = own_namespaces().unwrap();
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        assert!(check_private(&own, &own, &mountinfo).is_err());
    }
}
