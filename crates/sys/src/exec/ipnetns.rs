//! What `ip netns exec NAME` does in the child before `exec`, after
//! iproute2's `netns_switch` and `bind_etc` (lib/namespace.c):
//!
//! 1. `setns(fd, CLONE_NEWNET)`;
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

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::{netns, Error};

/// One bind mount of step 5, and its warning.
struct EtcBind {
    source: CString,
    target: CString,
    warning: Vec<u8>,
}

/// Everything step 1–5 need, prepared in the parent.
pub(super) struct Switch {
    ns: OwnedFd,
    name: CString,
    root: CString,
    sys: CString,
    sysfs: CString,
    none: CString,
    etc: Vec<EtcBind>,
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
        Switch::prepare_with(name, Path::new("/etc/netns"), Path::new("/etc"))
    }

    /// [`Switch::prepare`] with other places for `/etc/netns` and `/etc`.
    fn prepare_with(name: &str, etc_netns: &Path, etc: &Path) -> Result<Switch, Error> {
        let ns = netns::open(name)?;
        let msg = |what: &str| format!("nslab: namespace {name}: {what} failed\n").into_bytes();
        Ok(Switch {
            ns,
            name: cstring(name, name)?,
            root: cstring("/", "/")?,
            sys: cstring("/sys", "/sys")?,
            sysfs: cstring("sysfs", "sysfs")?,
            none: cstring("none", "none")?,
            etc: etc_binds(&etc_netns.join(name), etc),
            fail_setns: msg("setns"),
            fail_unshare: msg("unshare(CLONE_NEWNS)"),
            fail_slave: msg("mount --make-rslave /"),
            fail_sys: msg("mount of /sys"),
        })
    }

    /// Installs the hook on `cmd`; the hook owns the prepared values.
    pub(super) fn install(self, cmd: &mut Command) {
        // SAFETY: the closure runs in the child between fork and exec. It
        // only calls setns, unshare, mount, umount2, statvfs and write on
        // values prepared before the fork, all async-signal-safe, and
        // builds `io::Error`s from raw OS codes, which does not allocate.
        unsafe {
            cmd.pre_exec(move || self.enter());
        }
    }

    fn enter(&self) -> io::Result<()> {
        // SAFETY (all blocks below): plain system calls on an fd we own and
        // on NUL-terminated strings that live as long as `self`.
        if unsafe { libc::setns(self.ns.as_raw_fd(), libc::CLONE_NEWNET) } < 0 {
            return fail(&self.fail_setns);
        }
        if unsafe { libc::unshare(libc::CLONE_NEWNS) } < 0 {
            return fail(&self.fail_unshare);
        }
        let slave = libc::MS_SLAVE | libc::MS_REC;
        // SAFETY: see above; a NULL data pointer is allowed.
        if unsafe {
            libc::mount(
                c"".as_ptr(),
                self.root.as_ptr(),
                self.none.as_ptr(),
                slave,
                std::ptr::null(),
            )
        } < 0
        {
            return fail(&self.fail_slave);
        }
        let mut flags: libc::c_ulong = 0;
        // SAFETY: see above.
        if unsafe { libc::umount2(self.sys.as_ptr(), libc::MNT_DETACH) } < 0 {
            // Perhaps no sysfs was mounted. If one is and it is read-only,
            // a read-write one cannot shadow it.
            // SAFETY: `st` is a plain C struct that statvfs fills in.
            let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
            // SAFETY: see above; `st` lives across the call.
            if unsafe { libc::statvfs(self.sys.as_ptr(), &mut st) } == 0
                && st.f_flag & libc::ST_RDONLY != 0
            {
                flags = libc::MS_RDONLY;
            }
        }
        // SAFETY: see above.
        if unsafe {
            libc::mount(
                self.name.as_ptr(),
                self.sys.as_ptr(),
                self.sysfs.as_ptr(),
                flags,
                std::ptr::null(),
            )
        } < 0
        {
            return fail(&self.fail_sys);
        }
        for b in &self.etc {
            let bind = libc::MS_BIND;
            // SAFETY: see above.
            if unsafe {
                libc::mount(
                    b.source.as_ptr(),
                    b.target.as_ptr(),
                    self.none.as_ptr(),
                    bind,
                    std::ptr::null(),
                )
            } < 0
            {
                say(&b.warning);
            }
        }
        Ok(())
    }
}

/// Reports the failed step on stderr and returns the OS error.
fn fail(message: &[u8]) -> io::Result<()> {
    let e = io::Error::last_os_error();
    say(message);
    Err(e)
}

fn say(message: &[u8]) {
    // SAFETY: write(2) on fd 2 from a buffer that lives across the call; a
    // short or failed write of a diagnostic is acceptable.
    let _ = unsafe { libc::write(2, message.as_ptr().cast(), message.len()) };
}

/// Step 5's list: `/etc/netns/NAME/ENTRY` (`dir/ENTRY`) -> `/etc/ENTRY`
/// for each entry. No directory, no binds (as in iproute2).
fn etc_binds(dir: &Path, etc: &Path) -> Vec<EtcBind> {
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
