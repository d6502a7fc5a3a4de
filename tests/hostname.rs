//! Every process of a node sees the node's host name (`hostname:`, else
//! the node's name): `nslab exec`, `run:`, and scenario `exec` steps; the
//! machine's stays as it was; `down` leaves no UTS namespace file or mount,
//! also after an `up` killed half-way.

mod common;
use common::*;
use std::path::Path;

const LAB: &str = "hn";

fn file(b_hostname: &str) -> String {
    format!(
        r#"lab: {LAB}
nodes:
  a:
    run: ["sh -c 'hostname > /run/test-files/a-run; exec sleep 1000'"]
  b:
    hostname: {b_hostname}
links:
  - [a:eth0, b:eth0]
scenarios:
  names:
    - exec: {{ node: b, cmd: "sh -c 'test $(hostname) = {b_hostname}'" }}
"#
    )
}

fn exec_hostname(node: &str) -> String {
    nslab_ok(&["exec", LAB, node, "--", "hostname"], 0)
        .trim()
        .to_string()
}

/// Nothing of the lab's UTS namespaces: no file, no mount.
fn assert_no_uts_left() {
    let dir = Path::new("/run/nslab/.uts");
    assert!(!dir.exists(), "{} left", dir.display());
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    assert!(!mounts.contains("/.uts/"), "mounts left:\n{mounts}");
}

#[test]
fn every_process_of_a_node_sees_its_hostname() {
    if !sandbox("every_process_of_a_node_sees_its_hostname") {
        return;
    }
    let machine = sh("hostname");
    let f = write("names.yaml", &file("bee.example"));
    nslab_ok(&["up", &f], 0);
    assert_eq!(exec_hostname("a"), "a");
    assert_eq!(exec_hostname("b"), "bee.example");
    // `run:` wrote its host name when it started.
    let mut ran = String::new();
    for _ in 0..50 {
        ran = std::fs::read_to_string("/run/test-files/a-run").unwrap_or_default();
        if !ran.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(ran.trim(), "a");
    nslab_ok(&["test", &f], 0);
    assert_eq!(sh("hostname"), machine, "the machine's host name changed");

    // A changed `hostname:` applies at the next `up`.
    let g = write("renamed.yaml", &file("b2"));
    nslab_ok(&["up", &g], 0);
    assert_eq!(exec_hostname("b"), "b2");

    nslab_ok(&["down", LAB], 0);
    assert_nothing_left(LAB);
    assert_no_uts_left();
}

#[test]
fn a_host_name_that_is_not_one_is_refused() {
    if !sandbox("a_host_name_that_is_not_one_is_refused") {
        return;
    }
    for bad in ["-b", "b_c", "a..b", &"x".repeat(65)] {
        let f = write("bad.yaml", &file(bad));
        let out = nslab_ok(&["validate", &f], 2);
        assert!(out.contains("cannot be a host name"), "{bad}: {out}");
    }
}
