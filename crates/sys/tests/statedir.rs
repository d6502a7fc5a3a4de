//! The state directory, in a temporary base directory (no root needed).

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
