//! Podman in a lab without root: nslab has entered the lab's user
//! namespace (one id mapped, the user's, as 0) and runs `podman` there as
//! *rootless* Podman that is already in its user namespace
//! (`_CONTAINERS_USERNS_CONFIGURED`, as Podman marks its own re-executed
//! self), so Podman neither tries to make a user namespace nor acts as
//! the machine's root (`gid=5` on `/dev/pts`, `/dev/shm/libpod_lock`,
//! `/var/lib/containers`).
//!
//! Everything of the lab's Podman lives in `<lab dir>/podman/`: its
//! storage (vfs: no file system needs mounting; `ignore_chown_errors`,
//! since one id is mapped), run and temporary directories, its
//! `containers.conf` and `HOME` (no cgroups: the user has none delegated; file locks;
//! no events log). `down` removes it with the lab's directory. Images are
//! read from the user's own image store, [`image_store`]
//! (`$XDG_DATA_HOME/nslab/images`), which nslab only reads.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The user's image store of labs without root:
/// `$XDG_DATA_HOME/nslab/images`, else `$HOME/.local/share/nslab/images`.
pub fn image_store() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        })?;
    Some(data.join("nslab").join("images"))
}

/// The id outside that `0` inside maps to (`/proc/self/<file>`'s one line).
fn outside(file: &str) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/self/{file}")).ok()?;
    let mut f = text.split_whitespace();
    (f.next()? == "0").then_some(())?;
    f.next()?.parse().ok()
}

/// The lab's Podman directory, when this process acts on a rootless lab.
fn dir() -> Option<PathBuf> {
    crate::userns::paths().map(|p| p.lab_dir().join("podman"))
}

/// `containers.conf` of a lab's Podman in `d`.
fn conf(d: &Path) -> String {
    format!(
        "[containers]\ncgroups = \"disabled\"\n\
         [engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"none\"\n\
         lock_type = \"file\"\ntmp_dir = \"{0}/tmp\"\nimage_copy_tmp_dir = \"{0}/tmp\"\n\
         [network]\nnetwork_config_dir = \"{0}/networks\"\n",
        d.display()
    )
}

/// A `podman` command: as it is for root; in a rootless lab, set up as
/// the module says (its directories made on the way).
pub fn command() -> Command {
    let mut cmd = Command::new(super::PROGRAM);
    let Some(d) = dir() else {
        return cmd;
    };
    for sub in ["storage", "run", "tmp", "xdg", "home", "networks"] {
        // A directory that cannot be made: Podman says so, in its words.
        let _ = std::fs::create_dir_all(d.join(sub));
    }
    let file = d.join("containers.conf");
    if !file.is_file() {
        let _ = std::fs::write(&file, conf(&d));
    }
    let uid = outside("uid_map").unwrap_or(0).to_string();
    let gid = outside("gid_map").unwrap_or(0).to_string();
    cmd.env("_CONTAINERS_USERNS_CONFIGURED", "done")
        .env("_CONTAINERS_ROOTLESS_UID", uid)
        .env("_CONTAINERS_ROOTLESS_GID", gid)
        .env("CONTAINERS_CONF", &file)
        .env("XDG_RUNTIME_DIR", d.join("xdg"))
        // Not the user's: their `~/.config/containers` is for Podman's own
        // user namespace, and `HOME` may be one nslab cannot read.
        .env("HOME", d.join("home"))
        .env("TMPDIR", d.join("tmp"))
        .arg("--root")
        .arg(d.join("storage"))
        .arg("--runroot")
        .arg(d.join("run"))
        .args(["--storage-driver", "vfs"])
        .args(["--storage-opt", "vfs.ignore_chown_errors=true"]);
    if let Some(store) = image_store().filter(|s| s.is_dir()) {
        let mut o = std::ffi::OsString::from("vfs.imagestore=");
        o.push(store);
        cmd.arg("--storage-opt").arg(o);
    }
    cmd
}

/// Before a container starts in a rootless lab: on a machine with both
/// cgroup versions mounted (a "hybrid" layout, which crun refuses), the
/// v2 hierarchy is hidden by a tmpfs, in the lab's own mount namespace
/// only (nslab has entered the holder's; the machine's is untouched).
pub fn prepare_start() -> Result<(), super::PodmanError> {
    use nix::sys::statfs::{statfs, CGROUP2_SUPER_MAGIC};
    if dir().is_none() {
        return Ok(());
    }
    let unified = Path::new("/sys/fs/cgroup/unified");
    let hybrid = statfs("/sys/fs/cgroup").is_ok_and(|s| s.filesystem_type() != CGROUP2_SUPER_MAGIC)
        && statfs(unified).is_ok_and(|s| s.filesystem_type() == CGROUP2_SUPER_MAGIC);
    if !hybrid {
        return Ok(());
    }
    nix::mount::mount(
        Some("tmpfs"),
        unified,
        Some("tmpfs"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    )
    .map_err(|e| super::PodmanError::Failed {
        op: "run".into(),
        words: format!(
            "hiding the cgroup v2 hierarchy of a hybrid layout from crun (mount tmpfs on {}): {e}",
            unified.display()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every directory the lab's Podman is told of is under its own.
    #[test]
    fn the_conf_names_only_the_labs_directory() {
        let c = conf(Path::new("/x/lab/podman"));
        for line in c.lines().filter(|l| l.contains('/')) {
            assert!(line.contains("\"/x/lab/podman/"), "{line}");
        }
        assert!(c.contains("cgroups = \"disabled\""), "{c}");
        assert!(c.contains("lock_type = \"file\""), "{c}");
    }
}
