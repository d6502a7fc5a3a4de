//! Tests of `netns`.

use super::*;

#[test]
fn names_that_are_not_one_path_component_are_refused() {
    for bad in ["", ".", "..", "a/b", "/x", "a\0b"] {
        assert!(!is_valid_name(bad), "{bad:?}");
        assert!(
            matches!(create(bad), Err(Error::InvalidName { .. })),
            "{bad:?}"
        );
        assert!(
            matches!(open(bad), Err(Error::InvalidName { .. })),
            "{bad:?}"
        );
        assert!(
            matches!(delete(bad), Err(Error::InvalidName { .. })),
            "{bad:?}"
        );
        assert!(!exists(bad));
    }
    assert!(is_valid_name("demo-h1"));
    assert!(is_valid_name("eth0.100"));
}

#[test]
fn visit_runs_inside_and_returns_the_thread_home() {
    use std::os::unix::fs::MetadataExt;
    let ino = |p: &str| std::fs::metadata(p).map(|m| m.ino()).unwrap();
    let before = ino("/proc/thread-self/ns/net");
    let other = scratch().unwrap();
    let other_ino = std::fs::metadata(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&other)
    ))
    .map(|m| m.ino())
    .unwrap();
    assert_ne!(before, other_ino);
    let inside = visit_from(current().unwrap().as_fd(), other.as_fd(), || {
        ino("/proc/thread-self/ns/net")
    })
    .unwrap();
    assert_eq!(inside, other_ino);
    assert_eq!(ino("/proc/thread-self/ns/net"), before);
    // Also when `f` panics.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        visit_from(current().unwrap().as_fd(), other.as_fd(), || {
            panic!("inside")
        })
        .unwrap()
    }));
    assert!(r.is_err());
    assert_eq!(ino("/proc/thread-self/ns/net"), before);
}

#[test]
fn run_in_leaves_the_calling_thread_where_it_was() {
    use std::os::unix::fs::MetadataExt;
    let ino = |p: &str| std::fs::metadata(p).map(|m| m.ino()).unwrap();
    let before = ino("/proc/thread-self/ns/net");
    let here = current().unwrap();
    let inside = run_in(here.as_fd(), || ino("/proc/thread-self/ns/net")).unwrap();
    assert_eq!(inside, before);
    assert_eq!(ino("/proc/thread-self/ns/net"), before);
}

#[test]
fn run_in_passes_a_panic_on() {
    let here = current().unwrap();
    let r = std::panic::catch_unwind(|| run_in(here.as_fd(), || panic!("boom")));
    assert!(r.is_err());
}

#[test]
fn scratch_is_a_namespace_of_its_own_and_run_in_enters_it() {
    use std::os::unix::fs::MetadataExt;
    let ino = |p: &str| std::fs::metadata(p).map(|m| m.ino()).unwrap();
    let before = ino("/proc/thread-self/ns/net");
    let ns = scratch().unwrap();
    let ns_ino = File::from(ns.try_clone().unwrap())
        .metadata()
        .unwrap()
        .ino();
    let inside = run_in(ns.as_fd(), || ino("/proc/thread-self/ns/net")).unwrap();
    assert_eq!(inside, ns_ino);
    assert_ne!(inside, before);
    assert_eq!(ino("/proc/thread-self/ns/net"), before);
}

#[test]
fn run_in_refuses_an_fd_that_is_not_a_namespace() {
    let f = File::open("/proc/self/status").unwrap();
    assert!(matches!(run_in(f.as_fd(), || ()), Err(Error::Os { .. })));
}

/// A visit that cannot enter (here: an fd that is no namespace) is an
/// error, and the thread stays where it was (no attempt to move back
/// that could fail and abort).
#[test]
fn a_visit_that_cannot_enter_is_an_error_and_moves_nothing() {
    use std::os::unix::fs::MetadataExt;
    let ino = |p: &str| std::fs::metadata(p).map(|m| m.ino()).unwrap();
    let before = ino("/proc/thread-self/ns/net");
    let not_ns = File::open("/proc/self/status").unwrap();
    let r = visit_from(current().unwrap().as_fd(), not_ns.as_fd(), || {
        unreachable!("entered")
    });
    assert!(r.is_err());
    assert_eq!(ino("/proc/thread-self/ns/net"), before);
}

#[test]
fn every_entry_into_a_namespace_is_counted() {
    let other = scratch().unwrap();
    let home = current().unwrap();
    // Other tests enter namespaces at the same time: at least ours count.
    let before = entries();
    visit_from(home.as_fd(), other.as_fd(), || ()).unwrap();
    run_in(other.as_fd(), || ()).unwrap();
    assert!(entries() >= before + 2, "{before} -> {}", entries());
}
