//! A failed step is undone whole, on the real kernel: one step that sends
//! several requests (a link's MTU, then its state) and fails on one of
//! them must not leave the others in effect.
//!
//! (Every request of every step, failed in turn, is the in-memory class
//! test: `apply::tests` in the library.)

mod common;
use common::*;

const BEFORE: &str = r#"lab: rb
nodes:
  a:
    interfaces:
      eth0: {}
      br0: { kind: bridge }
  b:
    interfaces:
      mv0: { kind: macvlan, parent: a:br0, mode: bridge, up: false }
  c:
    interfaces:
      eth0: {}
links:
  - [a:eth0, c:eth0]
"#;

/// A macvlan taken down, then asked for an MTU its parent (a bridge
/// without ports: 1500, which the file cannot know, so only the kernel
/// refuses it) cannot carry and to come up, in one step: the kernel
/// refuses the MTU (EINVAL), carries out the `up` of the same send; the run must put `mv0` down
/// again and say so, and the old file must still match.
#[test]
fn a_step_that_fails_in_part_is_undone_whole() {
    if !sandbox("a_step_that_fails_in_part_is_undone_whole") {
        return;
    }
    let before = write("before.yaml", BEFORE);
    let after = write(
        "after.yaml",
        &BEFORE.replace(
            "mode: bridge, up: false",
            "mode: bridge, mtu: 9000, up: true",
        ),
    );
    nslab_ok(&["up", &before], 0);
    let link = || sh("ip -n rb-b -o link show mv0");
    let was = link();
    assert!(was.contains("mtu 1500") && !was.contains(",UP"), "{was}");

    let out = nslab_ok(&["up", &after], 1);
    let now = link();
    assert!(
        now.contains("mtu 1500") && !now.contains(",UP"),
        "mv0 left changed by a failed up:\n{now}\n{out}"
    );
    // The kernel's words, what of the step took effect, and that it was
    // undone.
    assert!(out.contains("Invalid argument"), "{out}");
    assert!(
        out.contains("(of it, `ip -n rb-b link set mv0 up` took effect)"),
        "{out}"
    );
    assert!(out.contains("undid that and the"), "{out}");
    // No drift against the file the lab was up from.
    nslab_ok(&["plan", &before, "--exit-code"], 0);

    nslab_ok(&["down", "rb"], 0);
    assert_nothing_left("rb");
}
