//! Named network namespaces, compatible with `ip netns`.
//!
//! A named namespace is an nsfs bind mount on a file under [`netns_dir`],
//! made the way iproute2's `ip/ipnetns.c` (`netns_add`) makes it, so
//! `ip netns list`, `ip netns exec` and `ip netns del` work on nslab's
//! namespaces and the other way round:
//!
//! 1. `mkdir /run/netns` (0755);
//! 2. make it a shared mount, so that a namespace file mounted later is seen
//!    in the mount namespaces copied from this one, and unmounting it in one
//!    unmounts it in all of them and the kernel can free the namespace;
//!    when it is not a mount point yet (`EINVAL`), bind-mount it
//!    onto itself first. Unlike iproute2 (`MS_SHARED | MS_REC`, which walks
//!    every namespace file already mounted there: a cost per namespace that
//!    grows with every other namespace on the machine), only the directory
//!    is made shared, once per process: each namespace file mounted under a
//!    shared directory is shared from the start;
//! 3. create the file `O_RDONLY|O_CREAT|O_EXCL`, mode 0 — `EEXIST` means the
//!    name is taken;
//! 4. on a thread of its own, `unshare(CLONE_NEWNET)`, run the caller's
//!    `init` there ([`create_with`]: nslab marks the namespace's `lo` with
//!    the lab's alias), and bind-mount that thread's
//!    `/proc/self/task/<tid>/ns/net` onto the file;
//! 5. if that fails, remove the file again.
//!
//! So a name under the directory is at every moment either a file with
//! nothing mounted on it (a leftover of a killed run) or a namespace that
//! went through `init`: there is no moment when it is a namespace without
//! the caller's mark.
//!
//! Code runs inside a namespace in one of two ways: [`run_in`] runs a
//! closure on a fresh scoped thread that joined the namespace (the caller's
//! thread stays where it is); [`visit_from`] and [`create_from`] move the
//! *calling* thread into the namespace for the closure and back to its own
//! before returning (or unwinding), without a thread per namespace.
//! [`entries`] counts how many times either entered a namespace.

use std::fs::{DirBuilder, File};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::thread;

use nix::errno::Errno;
use nix::fcntl::{open as nix_open, OFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{setns, unshare, CloneFlags};
use nix::sys::stat::Mode;
use nix::sys::statfs::{fstatfs, NSFS_MAGIC};

use crate::error::{check_component, Error};

mod list;
pub use list::{exists, list, list_with_prefix, open_path};

/// Where named namespaces live: `/run/netns`, as for `ip netns`; for tests,
/// `NSLAB_NETNS_DIR` (`ip netns` does not look there); rootless, `<lab dir>/netns`.
pub fn netns_dir() -> PathBuf {
    if let Some(p) = crate::userns::paths() {
        return p.lab_dir().join("netns");
    }
    std::env::var_os("NSLAB_NETNS_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/run/netns"))
}

fn path_of(name: &str) -> Result<PathBuf, Error> {
    check_component("namespace", name)?;
    Ok(netns_dir().join(name))
}

/// Serialises step 2 within this process (two threads that both found the
/// directory not yet a mount point would otherwise bind-mount it twice),
/// and remembers the directory it was done for (its path, device and
/// inode: one removed and made again is made shared again).
static SHARED_DIR: Mutex<Option<(PathBuf, u64, u64)>> = Mutex::new(None);

/// The device and inode of `dir`, if it is a directory.
fn dir_id(dir: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir)
        .ok()
        .filter(|m| m.is_dir())
        .map(|m| (m.dev(), m.ino()))
}

/// Steps 1 and 2 of `ip netns add`: the directory exists and is a shared
/// mount point (made so once per process and directory).
fn ensure_shared_dir(dir: &Path) -> Result<(), Error> {
    let mut done = SHARED_DIR.lock().unwrap_or_else(|p| p.into_inner());
    if let (Some((path, dev, ino)), Some(now)) = (done.as_ref(), dir_id(dir)) {
        if path == dir && (*dev, *ino) == now {
            return Ok(());
        }
    }
    match DirBuilder::new().recursive(true).mode(0o755).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(Error::path("cannot create", dir, e)),
    }
    let mut made_mount_point = false;
    loop {
        match mount(
            None::<&str>,
            dir,
            Some("none"),
            MsFlags::MS_SHARED,
            None::<&str>,
        ) {
            Ok(()) => {
                *done = dir_id(dir).map(|(dev, ino)| (dir.to_path_buf(), dev, ino));
                return Ok(());
            }
            // Not a mount point yet: make it one and try again (once).
            Err(Errno::EINVAL) if !made_mount_point => {
                mount(
                    Some(dir),
                    dir,
                    Some("none"),
                    MsFlags::MS_BIND | MsFlags::MS_REC,
                    None::<&str>,
                )
                .map_err(|e| Error::path("cannot bind-mount onto itself", dir, e))?;
                made_mount_point = true;
            }
            Err(e) => return Err(Error::path("mount --make-shared", dir, e)),
        }
    }
}

/// Creates the named network namespace `name` as `ip netns add NAME` does
/// and returns an fd of it. It holds only a `lo` that is down.
///
/// Fails with [`Error::NetnsExists`] when the name is taken. Safe to call
/// from any thread of a multithreaded process: the namespace is made on a
/// short-lived thread of its own.
pub fn create(name: &str) -> Result<OwnedFd, Error> {
    create_with(name, || Ok(())).map(|(fd, ())| fd)
}

/// [`create`], running `init` inside the new namespace before it gets its
/// name (before the bind mount): what `init` does is there by the time
/// anyone can open the namespace by name, and what it returns (a socket
/// opened inside, say) comes back with the fd. An `Err` from `init` fails
/// the creation and leaves nothing behind.
pub fn create_with<T, F>(name: &str, init: F) -> Result<(OwnedFd, T), Error>
where
    T: Send,
    F: FnOnce() -> Result<T, String> + Send,
{
    let path = reserve(name)?;
    let made = on_new_thread("nslab-netns-add", || -> Result<(OwnedFd, T), Error> {
        unshare(CloneFlags::CLONE_NEWNET).map_err(|e| Error::os("unshare(CLONE_NEWNET)", e))?;
        name_it(&path, init)
    })
    .and_then(|r| r);
    if made.is_err() {
        // Leave no file behind. The namespace itself went away with the
        // thread.
        let _ = std::fs::remove_file(&path);
    }
    made
}

/// [`create_with`] on the calling thread, which moves into the new
/// namespace for `init` and back to `home` (its own namespace, from
/// [`current`]) before returning: no thread per namespace, for a lab that
/// makes thousands.
pub fn create_from<T>(
    home: BorrowedFd<'_>,
    name: &str,
    init: impl FnOnce() -> Result<T, String>,
) -> Result<(OwnedFd, T), Error> {
    let path = reserve(name)?;
    let made = unshare(CloneFlags::CLONE_NEWNET)
        .map_err(|e| Error::os("unshare(CLONE_NEWNET)", e))
        .and_then(|()| {
            let _home = Home(home);
            name_it(&path, init)
        });
    if made.is_err() {
        // Leave no file behind; the namespace goes with its last fd.
        let _ = std::fs::remove_file(&path);
    }
    made
}

/// Creates the empty file a namespace of `name` is bind-mounted on;
/// [`Error::NetnsExists`] when the name is taken.
fn reserve(name: &str) -> Result<PathBuf, Error> {
    let path = path_of(name)?;
    ensure_shared_dir(&netns_dir())?;
    match nix_open(
        &path,
        OFlag::O_RDONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_CLOEXEC,
        Mode::empty(),
    ) {
        Ok(fd) => drop(fd),
        Err(Errno::EEXIST) => {
            return Err(Error::NetnsExists {
                name: name.to_string(),
            })
        }
        Err(e) => return Err(Error::path("cannot create namespace file", &path, e)),
    }
    Ok(path)
}

/// In the calling thread's new namespace: runs `init`, then gives the
/// namespace its name (the bind mount on `path`).
fn name_it<T>(
    path: &Path,
    init: impl FnOnce() -> Result<T, String>,
) -> Result<(OwnedFd, T), Error> {
    let own = format!("/proc/self/task/{}/ns/net", nix::unistd::gettid());
    let fd = File::open(&own).map_err(|e| Error::path("cannot open", own.as_str(), e))?;
    let made = init().map_err(|m| Error::os("prepare the new namespace", io::Error::other(m)))?;
    mount(
        Some(own.as_str()),
        path,
        Some("none"),
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| Error::path("cannot bind-mount the namespace on", path, e))?;
    Ok((fd.into(), made))
}

/// Opens the named namespace. [`Error::NetnsNotFound`] when there is no such
/// file, [`Error::NotNetns`] when it is a file with no namespace on it.
pub fn open(name: &str) -> Result<OwnedFd, Error> {
    let path = path_of(name)?;
    let fd = match nix_open(&path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => {
            return Err(Error::NetnsNotFound {
                name: name.to_string(),
            })
        }
        Err(e) => return Err(Error::path("cannot open", &path, e)),
    };
    check_nsfs(fd.as_fd(), &path)?;
    Ok(fd)
}

fn check_nsfs(fd: BorrowedFd<'_>, path: &Path) -> Result<(), Error> {
    let fs = fstatfs(fd).map_err(|e| Error::path("cannot statfs", path, e))?;
    if fs.filesystem_type() == NSFS_MAGIC {
        Ok(())
    } else {
        Err(Error::NotNetns {
            path: path.to_path_buf(),
        })
    }
}

/// Removes the named namespace as `ip netns del NAME` does: detach the
/// mount (here and, through the shared mount, in every mount namespace),
/// then unlink the file. The kernel frees the namespace once no process,
/// fd or mount holds it any more — which may be later (see the design
/// notes: do not reuse host-side names right away).
pub fn delete(name: &str) -> Result<(), Error> {
    let path = path_of(name)?;
    // Fails with EINVAL when nothing is mounted there; the unlink decides.
    let _ = umount2(&path, MntFlags::MNT_DETACH);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::NetnsNotFound {
            name: name.to_string(),
        }),
        Err(e) => Err(Error::path("cannot remove namespace file", &path, e)),
    }
}

/// The calling thread's network namespace.
pub fn current() -> Result<OwnedFd, Error> {
    let path = "/proc/thread-self/ns/net";
    File::open(path)
        .map(OwnedFd::from)
        .map_err(|e| Error::path("cannot open", path, e))
}

/// Creates a new, empty network namespace (only a `lo` that is down) that
/// lives as long as the returned fd, without a name and without mounting
/// anything: a thread of its own unshares its network namespace, opens a
/// handle to it and ends. For tests and scratch work; labs use named
/// namespaces ([`create`]).
pub fn scratch() -> Result<OwnedFd, Error> {
    on_new_thread("nslab-unshare", || -> Result<OwnedFd, Error> {
        unshare(CloneFlags::CLONE_NEWNET).map_err(|e| Error::os("unshare(CLONE_NEWNET)", e))?;
        current()
    })
    .and_then(|r| r)
}

/// How many times [`run_in`] and [`visit_from`] have entered a namespace in
/// this process (a creation is not counted): what a command looked at, for
/// tests that prove it looked at nothing else.
static ENTRIES: AtomicU64 = AtomicU64::new(0);

/// The number of namespace entries so far by [`run_in`] and [`visit_from`],
/// on any thread of this process.
pub fn entries() -> u64 {
    ENTRIES.load(Ordering::Relaxed)
}

/// `setns(ns, CLONE_NEWNET)` on the calling thread, counted in [`entries`].
fn enter(ns: BorrowedFd<'_>) -> Result<(), Error> {
    ENTRIES.fetch_add(1, Ordering::Relaxed);
    setns(ns, CloneFlags::CLONE_NEWNET).map_err(|e| Error::os("setns(CLONE_NEWNET)", e))
}

/// Runs `f` on a new scoped thread that first joined the namespace `ns`
/// (`setns(ns, CLONE_NEWNET)`), and returns what `f` returned. The calling
/// thread is not moved. Sockets (and `/proc/sys/net` or `/dev/net/tun`
/// files) opened inside stay bound to `ns` and may be used from any thread
/// afterwards. A panic in `f` is passed on to the caller.
///
/// One thread per call: about as cheap as a few system calls, fine for
/// thousands of calls.
pub fn run_in<R, F>(ns: BorrowedFd<'_>, f: F) -> Result<R, Error>
where
    R: Send,
    F: FnOnce() -> R + Send,
{
    on_new_thread("nslab-netns", move || -> Result<R, Error> {
        enter(ns)?;
        Ok(f())
    })
    .and_then(|r| r)
}

/// Runs `f` on the calling thread moved into the namespace `ns` for the
/// call, and moves the thread back to `home` — its own namespace, from
/// [`current`] — before returning (or unwinding). What [`run_in`] does
/// without starting a thread: for the many short visits of one run (a
/// socket opened in each of a thousand namespaces); a caller that visits
/// often keeps `home` open, so each visit costs two `setns`. `f` must not
/// spawn threads that expect the caller's namespace, nor change the
/// thread's namespace itself.
pub fn visit_from<R>(
    home: BorrowedFd<'_>,
    ns: BorrowedFd<'_>,
    f: impl FnOnce() -> R,
) -> Result<R, Error> {
    enter(ns)?;
    // Armed only once the thread has moved.
    let home = Home(home);
    let r = f();
    drop(home);
    Ok(r)
}

/// Moves the calling thread back to its namespace when dropped, on return
/// or unwind; made only once the thread has moved.
struct Home<'a>(BorrowedFd<'a>);

impl Drop for Home<'_> {
    fn drop(&mut self) {
        if let Err(e) = setns(self.0, CloneFlags::CLONE_NEWNET) {
            // Going on in another namespace would act on the wrong
            // network: stop here.
            eprintln!("nslab: cannot return to the thread's network namespace: {e}");
            std::process::abort();
        }
    }
}

/// Runs `f` on a fresh scoped thread; re-raises its panic.
fn on_new_thread<R: Send>(name: &str, f: impl FnOnce() -> R + Send) -> Result<R, Error> {
    thread::scope(|scope| {
        let handle = thread::Builder::new()
            .name(name.to_string())
            .spawn_scoped(scope, f)
            .map_err(|e| Error::os("cannot start a thread", e))?;
        match handle.join() {
            Ok(r) => Ok(r),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The path of the namespace file `name` (checked like every other name).
pub fn path(name: &str) -> Result<PathBuf, Error> {
    path_of(name)
}

/// `true` when `name` can be a namespace name (one path component, as
/// `ip netns` requires).
pub fn is_valid_name(name: &str) -> bool {
    check_component("namespace", name).is_ok()
}

#[cfg(test)]
#[path = "netns_tests.rs"]
mod tests;
