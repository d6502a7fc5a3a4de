//! Podman for the tests of image nodes, private to the test's sandbox:
//! its `containers.conf`, storage (vfs), run and temporary directories
//! all under the sandbox's own tmpfs `/run` (its blob cache too: `/var/lib`
//! is overlaid there; `CONTAINERS_CONF` and
//! `CONTAINERS_STORAGE_CONF` point there, and every `podman` the test's
//! `nslab` starts inherits them), never the machine's
//! `/var/lib/containers`, `/run/containers` or `/etc/containers`; no
//! registry: the test image is built here from Debian's
//! `busybox-static` (`podman import` of a root file system holding
//! `/bin/busybox` and a link per applet).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The image the tests and `examples/container-replicas.yaml` use.
pub const IMAGE: &str = "localhost/nslab-test-busybox:1";

/// Where it all lives (the sandbox's tmpfs).
const DIR: &str = "/run/podman-test";

/// The cgroup directories Podman makes on the machine's (shared) cgroup
/// v1 hierarchies, removed again by [`remove_made_cgroups`] when the tests
/// made them (when empty: another user's stay). A container's own
/// (`libpod_parent/libpod-<id>`) may outlive it when its `podman run` was
/// killed half-way: the drop removes those of this test's containers.
const CGROUPS: &[&str] = &["libpod_parent/conmon", "libpod_parent"];

/// Podman set up for this sandbox; dropping it removes every container
/// left (the cgroup directories go after the sandbox: [`MadeCgroups`]).
pub struct Podman {
    // Dropped after `Drop::drop` removed the containers.
    _made_cgroups: MadeCgroups,
}

/// Where a test that found [`CGROUPS`] missing says so, for every test
/// process on the machine: tests run at once, and one that starts after
/// another made the directories must still remove them if it ends last.
const MADE_MARK: &str = "/tmp/.nslab-tests-made-libpod-cgroups";

/// Says, for every test process on the machine, that a test found
/// [`CGROUPS`] missing: Podman will make them on the machine's shared v1
/// hierarchies, and [`remove_made_cgroups`] removes them after the test.
/// Every test that runs Podman holds one.
pub struct MadeCgroups;

impl MadeCgroups {
    pub fn now() -> MadeCgroups {
        if cgroup_dirs().iter().any(|p| !p.exists()) {
            std::fs::write(MADE_MARK, b"").expect("write the cgroup mark");
        }
        MadeCgroups
    }
}

/// Run by [`super::sandbox`] in the test's parent, once the sandbox is gone
/// (with its PID namespace, every conmon of it): the [`CGROUPS`] the tests
/// made are removed once empty. While another test's containers are in
/// them they are busy and stay: the last test to end removes them.
/// Directories that were there before any test (another user's) are never
/// touched.
pub fn remove_made_cgroups() {
    if !Path::new(MADE_MARK).exists() {
        return;
    }
    for _ in 0..10 {
        let busy = cgroup_dirs()
            .iter()
            .filter(|p| p.exists() && std::fs::remove_dir(p).is_err())
            .count();
        if busy == 0 {
            let _ = std::fs::remove_file(MADE_MARK);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn run(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let t = super::text(&o);
    assert!(o.status.success(), "{cmd:?}: {t}");
    t
}

fn cgroup_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for h in std::fs::read_dir("/sys/fs/cgroup")
        .into_iter()
        .flatten()
        .flatten()
    {
        for c in CGROUPS {
            out.push(h.path().join(c));
        }
    }
    out
}

/// Sets up Podman in this sandbox (call after [`super::sandbox`] returned
/// `true`) and imports [`IMAGE`].
pub fn podman() -> Podman {
    assert!(
        nslab_sys::sandbox::is_inside(),
        "podman() runs inside a test sandbox only"
    );
    let made_cgroups = MadeCgroups::now();
    let d = Path::new(DIR);
    for sub in ["storage", "runroot", "tmp", "networks"] {
        std::fs::create_dir_all(d.join(sub)).expect("mkdir");
    }
    // Podman keeps a blob cache in /var/lib/containers/cache whatever its
    // storage says: /var/lib gets an overlay whose upper layer is on this
    // sandbox's /run, so nothing reaches the machine's /var/lib.
    for sub in ["varlib-upper", "varlib-work"] {
        std::fs::create_dir_all(d.join(sub)).expect("mkdir");
    }
    let opts = format!("lowerdir=/var/lib,upperdir={DIR}/varlib-upper,workdir={DIR}/varlib-work");
    run(Command::new("mount").args([
        "-t",
        "overlay",
        "nslab-test-varlib",
        "-o",
        &opts,
        "/var/lib",
    ]));
    // crun refuses a hybrid cgroup layout: hide the v2 hierarchy (in this
    // sandbox's mount namespace only).
    run(Command::new("mount").args(["-t", "tmpfs", "tmpfs", "/sys/fs/cgroup/unified"]));
    // Podman's locks (`/dev/shm/libpod_lock`) stay in this sandbox too.
    run(Command::new("mount").args(["-t", "tmpfs", "tmpfs", "/dev/shm"]));
    std::fs::write(
        d.join("containers.conf"),
        format!(
            "[containers]\n\
             default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n\
             [network]\n\
             network_config_dir = \"{DIR}/networks\"\n\
             [engine]\n\
             cgroup_manager = \"cgroupfs\"\n\
             events_logger = \"file\"\n\
             events_logfile_path = \"{DIR}/events.log\"\n\
             tmp_dir = \"{DIR}/tmp\"\n\
             image_copy_tmp_dir = \"{DIR}/tmp\"\n"
        ),
    )
    .expect("write containers.conf");
    std::fs::write(
        d.join("storage.conf"),
        format!("[storage]\ndriver = \"vfs\"\ngraphroot = \"{DIR}/storage\"\nrunroot = \"{DIR}/runroot\"\n"),
    )
    .expect("write storage.conf");
    // One test per sandbox process: nothing else reads the environment.
    std::env::set_var("CONTAINERS_CONF", d.join("containers.conf"));
    std::env::set_var("CONTAINERS_STORAGE_CONF", d.join("storage.conf"));
    std::env::set_var("TMPDIR", d.join("tmp"));
    let tar = d.join("rootfs.tar");
    rootfs_tar(&tar);
    run(Command::new("podman")
        .args(["import", "-q", "--change", "CMD [\"/bin/sh\"]"])
        .arg(&tar)
        .arg(IMAGE));
    std::fs::remove_file(&tar).expect("rm rootfs.tar");
    Podman {
        _made_cgroups: made_cgroups,
    }
}

/// The names of every container (of any lab) in this sandbox's Podman.
pub fn containers() -> Vec<String> {
    run(Command::new("podman").args(["ps", "-a", "--format", "{{.Names}}"]))
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

/// What Podman says the container's state is (`running`, `paused`...).
pub fn state(name: &str) -> String {
    run(Command::new("podman").args(["inspect", "-f", "{{.State.Status}}", name]))
        .trim()
        .to_string()
}

/// Whether this sandbox's Podman is set up (the lab's containers are
/// then among what [`super::assert_nothing_left`] checks).
pub fn configured() -> bool {
    std::env::var_os("CONTAINERS_CONF").is_some_and(|c| Path::new(&c).starts_with(DIR))
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = Command::new("podman")
            .args(["rm", "-af", "-t", "0"])
            .output();
    }
}

/// The test image's root file system as a tarball at `tar` (readable by
/// everyone): `/bin/busybox` (Debian's busybox-static) and a link per
/// applet, as [`podman`] imports it.
pub fn rootfs_tar(tar: &Path) {
    let root = tar.with_extension("d");
    std::fs::create_dir_all(root.join("bin")).expect("mkdir rootfs");
    std::fs::copy("/bin/busybox", root.join("bin/busybox"))
        .expect("copy /bin/busybox (busybox-static)");
    let applets = run(Command::new("/bin/busybox").arg("--list"));
    for a in applets
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "busybox")
    {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(a)).expect("link an applet");
    }
    for dir in ["etc", "tmp", "www", "proc", "sys", "dev"] {
        std::fs::create_dir_all(root.join(dir)).expect("mkdir");
    }
    run(Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(tar)
        .arg("."));
    std::fs::remove_dir_all(&root).expect("rm rootfs");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(tar, std::fs::Permissions::from_mode(0o644)).expect("chmod");
}
