//! What a new user met in the first hour, each as a kernel test: `check
//! FILE` runs the file's current checks; `ls` notices what was removed by
//! hand; `show` right after `up` shows a working veth as up; `plan`
//! without a file does not speak of a file; errors for a user who is not
//! root say root is needed; reports end their lines without spaces.

mod common;
use common::*;
use std::process::Command;

const LAB: &str = "lab: nu
nodes:
  sw:
    interfaces:
      br0: { kind: bridge }
      p1: { master: br0 }
      p2: { master: br0 }
  a:
    interfaces:
      eth0: { addresses: [10.0.0.1/24] }
  b:
    interfaces:
      eth0: { addresses: [10.0.0.2/24] }
links:
  - [sw:p1, a:eth0]
  - [sw:p2, b:eth0]
expect:
  - a -> b
";

fn no_trailing_spaces(what: &str, out: &str) {
    for l in out.lines() {
        assert_eq!(l, l.trim_end(), "{what}: trailing spaces in {l:?}");
    }
}

fn health() -> String {
    let v: serde_json::Value =
        serde_json::from_str(&nslab_ok(&["ls", "--json"], 0)).expect("ls --json");
    v[0]["health"].as_str().unwrap_or_default().to_string()
}

#[test]
fn ls_notices_what_was_removed_by_hand() {
    if !sandbox("ls_notices_what_was_removed_by_hand") {
        return;
    }
    let f = write("nu.yaml", LAB);
    let up = nslab_ok(&["up", &f], 0);
    no_trailing_spaces("up", &up);
    let ls = nslab_ok(&["ls"], 0);
    no_trailing_spaces("ls", &ls);
    assert_eq!(health(), "ok", "{ls}");
    for (what, cmd) in [
        ("an address", "ip -n nu-a addr flush dev eth0"),
        ("a bridge", "ip -n nu-sw link del br0"),
        ("a link", "ip -n nu-b link del eth0"),
    ] {
        sh(cmd);
        assert_eq!(
            health(),
            "drift",
            "{what} removed by hand: {}",
            nslab_ok(&["ls"], 0)
        );
        let ls = nslab_ok(&["ls"], 0);
        no_trailing_spaces("ls", &ls);
        assert!(ls.contains("nslab up"), "says how to repair: {ls}");
        nslab_ok(&["up", &f], 0);
        assert_eq!(health(), "ok", "after up repaired {what}");
    }
    nslab_ok(&["down", "nu"], 0);
    assert_nothing_left("nu");
}

#[test]
fn check_file_runs_the_file_s_current_checks() {
    if !sandbox("check_file_runs_the_file_s_current_checks") {
        return;
    }
    let f = write("nu.yaml", LAB);
    nslab_ok(&["up", &f], 0);
    // The file changes after `up`: a check that must fail is added.
    write("nu.yaml", &format!("{LAB}  - a -x b\n"));
    let by_file = nslab_ok(&["check", &f], 1);
    assert!(
        by_file.contains("a -x 10.0.0.2") && by_file.contains("1 failed"),
        "{by_file}"
    );
    // By name: the checks the lab was brought up with.
    let by_name = nslab_ok(&["check", "nu"], 0);
    assert!(!by_name.contains(" -x "), "{by_name}");
    nslab_ok(&["down", "nu"], 0);
    assert_nothing_left("nu");
}

#[test]
fn show_right_after_up_shows_working_veths_up() {
    if !sandbox("show_right_after_up_shows_working_veths_up") {
        return;
    }
    let f = write("nu.yaml", LAB);
    for _ in 0..3 {
        nslab_ok(&["up", &f], 0);
        let show = nslab_ok(&["show", "nu"], 0);
        assert!(!show.contains("no-carrier"), "{show}");
        nslab_ok(&["down", "nu"], 0);
    }
    // A veth whose other end is down has no carrier, and says so.
    nslab_ok(&["up", &f], 0);
    sh("ip -n nu-sw link set p1 down");
    let show = nslab_ok(&["show", "nu", "a"], 0);
    assert!(show.contains("no-carrier"), "{show}");
    nslab_ok(&["down", "nu"], 0);
    assert_nothing_left("nu");
}

#[test]
fn plan_without_a_file_names_the_demo() {
    if !sandbox("plan_without_a_file_names_the_demo") {
        return;
    }
    nslab_ok(&["up"], 0);
    let o = nslab(&["plan"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(t.contains("matches the built-in demo"), "{t}");
    assert!(!t.contains("the file"), "{t}");
    nslab_ok(&["down", "docker"], 0);
    assert_nothing_left("docker");
}

#[test]
fn a_user_who_is_not_root_is_told_root_is_needed() {
    if !sandbox("a_user_who_is_not_root_is_told_root_is_needed") {
        return;
    }
    let f = write("nu.yaml", LAB);
    nslab_ok(&["up", &f], 0);
    for args in [
        vec!["show", "nu"],
        vec!["exec", "nu", "a", "--", "true"],
        vec!["check", "nu"],
        vec!["ping", "nu", "a", "b"],
        vec!["capture", "nu", "a:eth0", "-c", "1", "-s", "1"],
        vec!["down", "nu"],
    ] {
        let o = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(nslab_bin())
            .args(&args)
            .output()
            .expect("setpriv (util-linux)");
        let t = text(&o);
        assert_ne!(o.status.code(), Some(0), "{args:?}: {t}");
        assert!(
            t.contains("needs root"),
            "{args:?} says root is needed: {t}"
        );
    }
    nslab_ok(&["down", "nu"], 0);
    assert_nothing_left("nu");
}
