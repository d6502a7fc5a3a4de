//! Labs without root and subordinate ids (docs/rootless.md): a user with
//! ranges in /etc/subuid and /etc/subgid gets them mapped into the lab's
//! user namespace (0 → the user, 1.. → the range), so an `owner:` other
//! than root works, and processes may switch user (`initgroups`); a user
//! without them has an `owner:` refused, with how to get them.
//!
//! Each test runs in the sandbox (its own mount namespace): the
//! /etc/subuid and /etc/subgid it gives the user are private copies
//! bind-mounted over the machine's, which are never changed.
//! `newuidmap`/`newgidmap` (Debian's `uidmap`) missing makes the test FAIL,
//! naming the package: `.ci/run` installs it.

mod common;

#[path = "rootless/user.rs"]
#[allow(dead_code)] // shared with tests/rootless.rs
mod as_user;

use as_user::{assert_none_left, kill_when, processes_where, run, run_ok, xdg, UID};
use common::{sandbox, text};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The subordinate range the tests give [`UID`] (`nobody`).
const SUB_START: u32 = 200000;
const SUB_COUNT: u32 = 65536;

fn require_uidmap() {
    for p in ["/usr/bin/newuidmap", "/usr/bin/newgidmap"] {
        assert!(
            Path::new(p).exists(),
            "{p} is missing: apt-get install uidmap (.ci/run installs it)"
        );
    }
}

/// Private /etc/subuid and /etc/subgid for this sandbox: [`UID`] has
/// [`SUB_START`]..+[`SUB_COUNT`] when `with`, no range otherwise.
fn subids(with: bool) {
    let line = if with {
        format!("# the tests' user\nnobody:{SUB_START}:{SUB_COUNT}\n")
    } else {
        "someone-else:100000:65536\n".to_string()
    };
    for f in ["subuid", "subgid"] {
        let private = common::write(f, &line);
        let target = format!("/etc/{f}");
        assert!(
            Path::new(&target).exists(),
            "{target} is missing (the passwd package makes it)"
        );
        let ok = Command::new("mount")
            .args(["--bind", &private, &target])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mount --bind {private} {target}");
    }
}

/// A lab whose node `a` has a directory owned by `daemon` (uid and gid 1
/// inside), where a process that switches to `daemon` (with its groups:
/// `setgroups`) writes a file; more nodes like it, so that `up` takes a
/// while.
fn owned_lab() -> String {
    let mut y = String::from("lab: owned\nnodes:\n");
    for n in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        y.push_str(&format!(
            "  {n}:\n    dirs:\n      - {{ path: /mnt, owner: daemon }}\n    run:\n      - \
             setpriv --reuid daemon --regid daemon --init-groups sh -c 'echo hi > /mnt/f; exec sleep 1000'\n"
        ));
    }
    common::write("owned.yaml", &y)
}

/// Live processes of [`UID`] or of its subordinate ids: `pid command`.
fn processes() -> Vec<String> {
    processes_where(|u| u == UID || (SUB_START..SUB_START + SUB_COUNT).contains(&u))
}

/// Nothing left: no process of the user or its subordinate ids, nothing
/// in its XDG_RUNTIME_DIR.
fn assert_nothing_left(x: &Path, when: &str) {
    assert_none_left(x, &processes, when);
}

fn holder_pid(x: &Path) -> i32 {
    let h = std::fs::read_to_string(x.join("nslab/owned/holder")).expect("holder file");
    h.split(' ')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("pid")
}

fn kill_holder(x: &Path) {
    let pid = holder_pid(x);
    let killed = Command::new("kill").args(["-9", &pid.to_string()]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill the holder");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Path::new(&format!("/proc/{pid}/ns")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// With subordinate ids: the lab comes up, the directory is `daemon`'s
/// inside (uid 1) and the range's first id outside, a process that
/// switched to `daemon` wrote in it; `down` leaves nothing, also after the
/// holder was killed (the files owned by `daemon` are then removed
/// through a fresh user namespace with the same map), and so does an `up`
/// over a killed holder's lab, then `down`.
#[test]
fn an_owner_in_the_subordinate_ids_comes_up_and_goes_down() {
    if !sandbox("an_owner_in_the_subordinate_ids_comes_up_and_goes_down") {
        return;
    }
    require_uidmap();
    subids(true);
    let x = xdg();
    let f = owned_lab();
    run_ok(&["validate", "--rootless", &f], &x, 0);
    for (holder_killed, up_again) in [(false, false), (true, false), (true, true)] {
        run_ok(&["up", "--rootless", &f], &x, 0);
        let inside = run_ok(
            &["exec", "owned", "a", "--", "stat", "-c", "%u:%g", "/mnt"],
            &x,
            0,
        );
        assert_eq!(inside.trim(), "1:1", "{inside}");
        let back = x.join("nslab/owned/fs/a/mnt");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !back.join("f").exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let m = std::fs::metadata(&back).expect("the node's directory");
        assert_eq!((m.uid(), m.gid()), (SUB_START, SUB_START), "outside");
        let f_meta = std::fs::metadata(back.join("f")).expect("written by daemon");
        assert_eq!(
            f_meta.uid(),
            SUB_START,
            "the file of the process that switched user"
        );
        if holder_killed {
            kill_holder(&x);
        }
        if up_again {
            // It clears what the dead holder's lab left, `daemon`'s files too.
            run_ok(&["up", "--rootless", &f], &x, 0);
        }
        let o = run(&["down", "owned"], Some(&x));
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert_nothing_left(
            &x,
            &format!("holder killed: {holder_killed}, up again: {up_again}"),
        );
    }
}

/// A kill -9 of `up` once the directories exist, or once the processes
/// wrote in them (and then of the holder too), then `down`: nothing left.
#[test]
fn a_killed_up_with_owned_dirs_then_down_leaves_nothing() {
    if !sandbox("a_killed_up_with_owned_dirs_then_down_leaves_nothing") {
        return;
    }
    require_uidmap();
    subids(true);
    let x = xdg();
    let f = owned_lab();
    let dir = x.join("nslab/owned/fs/a/mnt");
    type Moment<'a> = (&'static str, Box<dyn Fn() -> bool + 'a>, bool);
    let moments: Vec<Moment> = vec![
        ("once a directory exists", Box::new(|| dir.is_dir()), false),
        (
            "once a process wrote in it, the holder killed too",
            Box::new(|| dir.join("f").exists()),
            true,
        ),
    ];
    for (when, reached, kill_too) in moments {
        kill_when(&["up", "--rootless", &f], &x, when, &reached);
        if kill_too {
            kill_holder(&x);
        }
        let o = run(&["down", "owned"], Some(&x));
        assert_eq!(o.status.code(), Some(0), "{when}: {}", text(&o));
        assert_nothing_left(&x, when);
    }
}

/// Without subordinate ids the same file is refused before anything is
/// made, at its `owner:`, saying how to get them; a lab without `owner:`
/// still works.
#[test]
fn without_subordinate_ids_an_owner_is_refused_with_how_to_get_them() {
    if !sandbox("without_subordinate_ids_an_owner_is_refused_with_how_to_get_them") {
        return;
    }
    subids(false);
    let x = xdg();
    let f = owned_lab();
    for cmd in ["validate", "up"] {
        let o = run(&[cmd, "--rootless", &f], Some(&x));
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {t}");
        assert!(
            t.contains(&format!("{f}:5:30")),
            "{cmd}: not at the owner: {t}"
        );
        assert!(
            t.contains("usermod --add-subuids") && t.contains("apt-get install uidmap"),
            "{cmd}: {t}"
        );
        assert_nothing_left(&x, cmd);
    }
    let plain = common::write(
        "plain.yaml",
        "lab: plain\nnodes:\n  a:\n    dirs: [/mnt]\n    run: [sh -c 'echo hi > /mnt/f; exec sleep 1000']\n",
    );
    run_ok(&["up", "--rootless", &plain], &x, 0);
    let id = run_ok(
        &["exec", "plain", "a", "--", "cat", "/proc/self/uid_map"],
        &x,
        0,
    );
    assert_eq!(
        id.split_whitespace().collect::<Vec<_>>(),
        ["0", &UID.to_string(), "1"]
    );
    run_ok(&["down", "plain"], &x, 0);
    assert_nothing_left(&x, "a lab without owner:");
}
