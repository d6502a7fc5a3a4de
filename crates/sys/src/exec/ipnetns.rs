//! What `ip netns exec NAME` does in the child before `exec`, after
//! iproute2's `netns_switch` and `bind_etc` (lib/namespace.c):
//!
//! 1. `setns(fd, CLONE_NEWNET)` (and `setns(uts, CLONE_NEWUTS)` into the
//!    node's UTS namespace, when the lab keeps one: see [`crate::uts`]);
//! 2. `unshare(CLONE_NEWNS)`: a mount namespace of its own;
//! 3. `mount("", "/", MS_SLAVE | MS_REC)`: no mount propagates back;
//! 4. `umount2("/sys", MNT_DETACH)`, then mount a sysfs named after the
//!    namespace on `/sys` so `/sys/class/net` shows its devices (read-only
//!    if `/sys` could not be unmounted and is read-only);
//! 5. bind-mount each `/etc/netns/NAME/ENTRY` over `/etc/ENTRY`; a failure
//!    there is a warning, as in iproute2.
//!
//! Everything the hook needs — C strings, the list of `/etc` entries, the
//! error messages — is built before the fork; the hook itself only makes
//! system calls (it runs between `fork` and `exec` of a multithreaded
//! process, where allocating could deadlock).

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::statvfs::{statvfs, FsFlags};

use crate::{netns, Error};

/// One bind mount of step 5, and its warning.
pub(super) struct EtcBind {
    pub(super) source: CString,
    pub(super) target: CString,
    pub(super) warning: Vec<u8>,
}

/// Everything step 1–5 need, prepared in the parent.
pub(super) struct Switch {
    ns: OwnedFd,
    /// The node's UTS namespace (its hostname), when the lab keeps one.
    uts: Option<OwnedFd>,
    name: CString,
    root: CString,
    sys: CString,
    sysfs: CString,
    none: CString,
    etc: Vec<EtcBind>,
    /// The node's private directories (`dirs:`): a failed bind stops the
    /// command, which would otherwise write into the machine's directory.
    dirs: Vec<EtcBind>,
    fail_setns: Vec<u8>,
    fail_unshare: Vec<u8>,
    fail_slave: Vec<u8>,
    fail_sys: Vec<u8>,
}

fn cstring(s: impl Into<Vec<u8>>, what: &str) -> Result<CString, Error> {
    CString::new(s).map_err(|_| Error::InvalidName {
        what: "path",
        name: what.to_string(),
        reason: "it contains a NUL byte",
    })
}

impl Switch {
    pub(super) fn prepare(name: &str) -> Result<Switch, Error> {
        Switch::prepare_with(name, &crate::etc_netns::dir(), Path::new("/etc"))
    }

    /// [`Switch::prepare`] with other places for `/etc/netns` and `/etc`.
    fn prepare_with(name: &str, etc_netns: &Path, etc: &Path) -> Result<Switch, Error> {
        let ns = netns::open(name)?;
        let msg = |what: &str| format!("nslab: namespace {name}: {what} failed\n").into_bytes();
        Ok(Switch {
            ns,
            uts: crate::uts::find(name),
            name: cstring(name, name)?,
            root: cstring("/", "/")?,
            sys: cstring("/sys", "/sys")?,
            sysfs: cstring("sysfs", "sysfs")?,
            none: cstring("none", "none")?,
            etc: etc_binds(&etc_netns.join(name), etc),
            dirs: dir_binds(name),
            fail_setns: msg("setns"),
            fail_unshare: msg("unshare(CLONE_NEWNS)"),
            fail_slave: msg("mount --make-rslave /"),
            fail_sys: msg("mount of /sys"),
        })
    }

    /// Installs the hook on `cmd`; the hook owns the prepared values.
    pub(super) fn install(self, cmd: &mut Command) {
        // SAFETY: the closure runs in the child between fork and exec. It
        // only makes system calls (setns, unshare, mount, umount2, statvfs,
        // write; through nix, which passes C strings as they are and errors
        // as codes) on values prepared before the fork — async-signal-safe,
        // nothing allocated.
        unsafe {
            cmd.pre_exec(move || self.enter());
        }
    }

    fn enter(&self) -> io::Result<()> {
        setns(&self.ns, CloneFlags::CLONE_NEWNET).or_else(|e| fail(&self.fail_setns, e))?;
        if let Some(uts) = &self.uts {
            setns(uts, CloneFlags::CLONE_NEWUTS).or_else(|e| fail(&self.fail_setns, e))?;
        }
        unshare(CloneFlags::CLONE_NEWNS).or_else(|e| fail(&self.fail_unshare, e))?;
        mount(
            Some(c""),
            self.root.as_c_str(),
            Some(self.none.as_c_str()),
            MsFlags::MS_SLAVE | MsFlags::MS_REC,
            None::<&CStr>,
        )
        .or_else(|e| fail(&self.fail_slave, e))?;
        let mut flags = MsFlags::empty();
        if umount2(self.sys.as_c_str(), MntFlags::MNT_DETACH).is_err() {
            // Perhaps no sysfs was mounted. If one is and it is read-only,
            // a read-write one cannot shadow it.
            if statvfs(self.sys.as_c_str()).is_ok_and(|st| st.flags().contains(FsFlags::ST_RDONLY))
            {
                flags = MsFlags::MS_RDONLY;
            }
        }
        mount(
            Some(self.name.as_c_str()),
            self.sys.as_c_str(),
            Some(self.sysfs.as_c_str()),
            flags,
            None::<&CStr>,
        )
        .or_else(|e| fail(&self.fail_sys, e))?;
        for b in &self.etc {
            let bound = mount(
                Some(b.source.as_c_str()),
                b.target.as_c_str(),
                Some(self.none.as_c_str()),
                MsFlags::MS_BIND,
                None::<&CStr>,
            );
            if bound.is_err() {
                say(&b.warning);
            }
        }
        bind_dirs(&self.dirs)
    }
}

/// Binds each of the node's private directories over its path (in the
/// child's own mount namespace); the first that fails stops the child.
pub(super) fn bind_dirs(dirs: &[EtcBind]) -> io::Result<()> {
    for b in dirs {
        mount(
            Some(b.source.as_c_str()),
            b.target.as_c_str(),
            None::<&CStr>,
            MsFlags::MS_BIND,
            None::<&CStr>,
        )
        .or_else(|e| fail(&b.warning, e))?;
    }
    Ok(())
}

/// The binds of the node's private directories, from its view (see
/// [`crate::nodefs`]); none when the lab keeps no view for `netns`.
pub(super) fn dir_binds(netns: &str) -> Vec<EtcBind> {
    let Some(view) = crate::nodefs::find_view(netns) else {
        return Vec::new();
    };
    view.dirs
        .iter()
        .filter_map(|(source, target)| {
            Some(EtcBind {
                source: CString::new(source.as_os_str().as_bytes()).ok()?,
                target: CString::new(target.as_os_str().as_bytes()).ok()?,
                warning: format!(
                    "nslab: namespace {netns}: bind of its private {} failed\n",
                    target.display()
                )
                .into_bytes(),
            })
        })
        .collect()
}

/// Reports the failed step on stderr and returns the OS error.
fn fail(message: &[u8], errno: Errno) -> io::Result<()> {
    say(message);
    Err(errno.into())
}

pub(super) fn say(message: &[u8]) {
    // A short or failed write of a diagnostic is acceptable.
    let _ = nix::unistd::write(io::stderr(), message);
}

/// Step 5's list: `/etc/netns/NAME/ENTRY` (`dir/ENTRY`) -> `/etc/ENTRY`
/// for each entry. No directory, no binds (as in iproute2).
pub(super) fn etc_binds(dir: &Path, etc: &Path) -> Vec<EtcBind> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut binds = Vec::new();
    for entry in entries.flatten() {
        let file = entry.file_name();
        let source = dir.join(&file);
        let target = etc.join(&file);
        let (Ok(s), Ok(t)) = (
            CString::new(source.as_os_str().as_bytes()),
            CString::new(target.as_os_str().as_bytes()),
        ) else {
            continue;
        };
        let warning = format!(
            "nslab: bind {} -> {} failed\n",
            source.display(),
            target.display()
        );
        binds.push(EtcBind {
            source: s,
            target: t,
            warning: warning.into_bytes(),
        });
    }
    binds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn etc_netns_entries_are_bound_over_etc_in_the_child_only() {
        if !sandbox::enter(
            "exec::ipnetns::tests::etc_netns_entries_are_bound_over_etc_in_the_child_only",
        ) {
            return;
        }
        // A private /etc stand-in and /etc/netns stand-in on the sandbox's tmpfs.
        let etc = Path::new("/run/nslab/etc");
        let etc_netns = Path::new("/run/nslab/etc-netns");
        std::fs::create_dir_all(etc).unwrap();
        std::fs::create_dir_all(etc_netns.join("t1")).unwrap();
        std::fs::write(etc.join("hosts"), "outside\n").unwrap();
        std::fs::write(etc_netns.join("t1/hosts"), "inside\n").unwrap();
        let fd = netns::create("t1").unwrap();
        drop(fd);
        let switch = Switch::prepare_with("t1", etc_netns, etc).unwrap();
        assert_eq!(switch.etc.len(), 1);
        let mut cmd = Command::new("cat");
        cmd.arg(etc.join("hosts"));
        switch.install(&mut cmd);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{:?} {}",
            out.status.signal(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "inside\n");
        assert_eq!(
            std::fs::read_to_string(etc.join("hosts")).unwrap(),
            "outside\n"
        );
        netns::delete("t1").unwrap();
        assert!(sandbox::netns_left().is_empty());
    }

    #[test]
    fn no_etc_netns_directory_means_no_binds() {
        assert!(etc_binds(Path::new("/nonexistent/netns/x"), Path::new("/etc")).is_empty());
    }
}
