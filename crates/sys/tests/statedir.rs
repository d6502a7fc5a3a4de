//! The state directory, in a temporary base directory (no root needed).

#![deny(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nslab_sys::statedir::StateDir;
use nslab_sys::Error;

/// A fresh base directory, removed on drop.
struct Base(PathBuf);

impl Base {
    fn new(test: &str) -> Base {
        let p = std::env::temp_dir().join(format!("nslab-statedir-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Base(p)
    }
}

impl Drop for Base {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn write_atomic_then_read_round_trips_and_leaves_no_temporary_file() {
    let base = Base::new("rw");
    let dir = StateDir::open_in(&base.0, "lab1").unwrap();
    assert_eq!(dir.path(), base.0.join("lab1"));
    assert_eq!(dir.read("state.json").unwrap(), None);
    dir.write_atomic("state.json", b"one").unwrap();
    dir.write_atomic("state.json", b"two, longer").unwrap();
    assert_eq!(
        dir.read("state.json").unwrap().as_deref(),
        Some(&b"two, longer"[..])
    );
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(files, ["state.json"]);
    assert!(matches!(
        dir.write_atomic("../escape", b"x"),
        Err(Error::InvalidName { .. })
    ));
    assert!(matches!(dir.read("a/b"), Err(Error::InvalidName { .. })));
}

#[test]
fn labs_are_listed_and_removed_whole() {
    let base = Base::new("list");
    assert!(StateDir::list_labs_in(&base.0).unwrap().is_empty());
    let b = StateDir::open_in(&base.0, "b").unwrap();
    let a = StateDir::open_in(&base.0, "a").unwrap();
    std::fs::write(base.0.join("not-a-lab"), "").unwrap();
    assert_eq!(StateDir::list_labs_in(&base.0).unwrap(), ["a", "b"]);
    std::fs::write(a.log_path("h1", 0), "log").unwrap();
    assert_eq!(a.log_path("h1", 2), base.0.join("a/h1.2.log"));
    let _lock = a.lock().unwrap();
    a.clone().remove().unwrap();
    a.remove().unwrap(); // already gone: fine
    assert_eq!(StateDir::list_labs_in(&base.0).unwrap(), ["b"]);
    drop(b);
    for bad in ["", ".", "..", "x/y"] {
        assert!(
            matches!(
                StateDir::open_in(&base.0, bad),
                Err(Error::InvalidName { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn a_second_locker_waits_then_fails_naming_the_holder() {
    let base = Base::new("lock");
    let dir = StateDir::open_in(&base.0, "lab").unwrap();
    let held = dir.lock().unwrap();
    let start = Instant::now();
    let err = dir.lock_within(Duration::from_millis(200)).unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(200));
    match &err {
        Error::Locked { lab, holder, .. } => {
            assert_eq!(lab, "lab");
            assert_eq!(*holder, Some(std::process::id()));
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("locked by another nslab"), "{err}");
    drop(held);
    let _again = dir.lock_within(Duration::ZERO).unwrap();
}

#[test]
fn a_waiter_gets_a_working_directory_after_the_holder_removed_it() {
    let base = Base::new("down");
    let dir = StateDir::open_in(&base.0, "lab").unwrap();
    let held = dir.lock().unwrap();
    let (tx, rx) = mpsc::channel();
    let waiter = {
        let dir = dir.clone();
        std::thread::spawn(move || {
            let guard = dir.lock_within(Duration::from_secs(10)).unwrap();
            tx.send(()).unwrap();
            dir.write_atomic("state.json", b"new").unwrap();
            drop(guard);
        })
    };
    std::thread::sleep(Duration::from_millis(150));
    assert!(
        rx.try_recv().is_err(),
        "the waiter must not get the lock while it is held"
    );
    // What `down` does: remove the directory, then release the lock.
    dir.clone().remove().unwrap();
    drop(held);
    waiter.join().unwrap();
    assert_eq!(
        dir.read("state.json").unwrap().as_deref(),
        Some(&b"new"[..])
    );
}

/// A target outside the state directory that a planted link points at.
fn victim(base: &Base, name: &str) -> PathBuf {
    let outside = base.0.with_extension(format!("outside-{name}"));
    std::fs::write(&outside, "precious").unwrap();
    outside
}

fn untouched(outside: &PathBuf) {
    assert_eq!(
        std::fs::read_to_string(outside).unwrap(),
        "precious",
        "{} was written through a link",
        outside.display()
    );
    std::fs::remove_file(outside).unwrap();
}

fn says_link(e: &Error) {
    let m = e.to_string();
    assert!(
        m.contains("symbolic link") && m.contains("remove it"),
        "{m}"
    );
}

#[test]
fn no_file_of_the_directory_is_followed_when_it_is_a_link() {
    let base = Base::new("links");
    let dir = StateDir::open_in(&base.0, "lab").unwrap();
    let link = |name: &str| {
        let outside = victim(&base, name);
        std::os::unix::fs::symlink(&outside, dir.path().join(name)).unwrap();
        outside
    };
    // The lock: an error naming it, the target unchanged.
    let outside = link("lock");
    says_link(&dir.lock_within(Duration::ZERO).unwrap_err());
    untouched(&outside);
    std::fs::remove_file(dir.path().join("lock")).unwrap();
    // Reading the record or the topology: an error naming it.
    for name in ["state.json", "topology.yaml"] {
        let outside = link(name);
        says_link(&dir.read(name).unwrap_err());
        // Writing replaces the link itself; the target is not written.
        dir.write_atomic(name, b"new").unwrap();
        assert_eq!(dir.read(name).unwrap().as_deref(), Some(&b"new"[..]));
        untouched(&outside);
    }
    // The temporary file of an atomic write.
    let tmp = format!(".state.json.tmp.{}", std::process::id());
    let outside = link(&tmp);
    dir.write_atomic("state.json", b"newer").unwrap();
    assert_eq!(
        dir.read("state.json").unwrap().as_deref(),
        Some(&b"newer"[..])
    );
    assert!(std::fs::symlink_metadata(dir.path().join(&tmp)).is_err());
    untouched(&outside);
    // A process's log.
    let outside = link("h1.0.log");
    let log = dir.log_path("h1", 0);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b"log line")
        .unwrap();
    untouched(&outside);
    // A fifo as the record is refused, not waited on.
    assert!(std::process::Command::new("mkfifo")
        .arg(dir.path().join("fifo"))
        .status()
        .unwrap()
        .success());
    let e = dir.read("fifo").unwrap_err().to_string();
    assert!(e.contains("fifo"), "{e}");
}

#[test]
fn the_directories_must_be_real_private_and_ours() {
    use std::os::unix::fs::PermissionsExt;
    let base = Base::new("dirs");
    std::fs::create_dir_all(&base.0).unwrap();
    // A lab directory that is a link to another directory.
    let elsewhere = base.0.with_extension("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, base.0.join("lab")).unwrap();
    for e in [
        StateDir::open_in(&base.0, "lab").unwrap_err(),
        StateDir::find_in(&base.0, "lab").unwrap_err(),
    ] {
        says_link(&e);
    }
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    std::fs::remove_dir(&elsewhere).unwrap();
    // A file, not a directory.
    std::fs::remove_file(base.0.join("lab")).unwrap();
    std::fs::write(base.0.join("lab"), "").unwrap();
    let e = StateDir::open_in(&base.0, "lab").unwrap_err().to_string();
    assert!(e.contains("not a directory"), "{e}");
    std::fs::remove_file(base.0.join("lab")).unwrap();
    // Writable by others: the lab's directory, then the base.
    let dir = StateDir::open_in(&base.0, "lab").unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let e = StateDir::find_in(&base.0, "lab").unwrap_err().to_string();
    assert!(e.contains("chmod go-w") && e.contains("777"), "{e}");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&base.0, std::fs::Permissions::from_mode(0o775)).unwrap();
    let e = StateDir::open_in(&base.0, "lab").unwrap_err().to_string();
    assert!(e.contains("chmod go-w"), "{e}");
    std::fs::set_permissions(&base.0, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The base itself as a link.
    let link = base.0.with_extension("link");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&base.0, &link).unwrap();
    says_link(&StateDir::open_in(&link, "lab").unwrap_err());
    std::fs::remove_file(&link).unwrap();
    // Owned by someone else (only root can make one).
    if nix_euid_is_root() {
        let other = StateDir::open_in(&base.0, "other").unwrap();
        std::os::unix::fs::chown(other.path(), Some(65534), None).unwrap();
        let e = StateDir::find_in(&base.0, "other").unwrap_err().to_string();
        assert!(e.contains("owned by uid 65534"), "{e}");
    }
}

fn nix_euid_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .is_some_and(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn find_creates_nothing_and_set_aside_keeps_the_bytes() {
    let base = Base::new("find");
    assert!(StateDir::find_in(&base.0, "nope").unwrap().is_none());
    assert!(!base.0.exists(), "find created the base directory");
    let dir = StateDir::open_in(&base.0, "lab").unwrap();
    assert!(StateDir::find_in(&base.0, "nope").unwrap().is_none());
    assert!(!base.0.join("nope").exists());
    assert!(StateDir::find_in(&base.0, "lab").unwrap().is_some());
    assert!(dir.set_aside("state.json").unwrap().is_none());
    dir.write_atomic("state.json", b"{corrupt").unwrap();
    let aside = dir.set_aside("state.json").unwrap().unwrap();
    assert!(aside
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("state.json.corrupt-"));
    assert_eq!(std::fs::read(&aside).unwrap(), b"{corrupt");
    assert_eq!(dir.read("state.json").unwrap(), None);
    // A second one in the same second gets a name of its own.
    dir.write_atomic("state.json", b"").unwrap();
    let again = dir.set_aside("state.json").unwrap().unwrap();
    assert_ne!(again, aside);
}
