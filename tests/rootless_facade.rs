//! `nslab::Lab` without root: a multi-threaded program (this test
//! harness) run as an unprivileged uid brings a lab up, probes it, breaks
//! and heals it, and takes it down, through the `nslab` binary. The test
//! runs in the sandbox as root and re-runs itself (the same test, with
//! [`AS_USER`] set) as the tests' unprivileged uid, whose
//! `XDG_RUNTIME_DIR` is a 0700 directory of its own on the sandbox's /run;
//! then nothing of that uid may be left.

mod common;

#[path = "rootless/user.rs"]
#[allow(dead_code)]
mod as_user;

use as_user::{assert_nothing_left, xdg, UID};
use common::{nslab_bin, sandbox};
use nslab::{Error, Lab};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Set in the re-run as the user: run the facade's part.
const AS_USER: &str = "NSLAB_TEST_FACADE_AS_USER";

/// a — b — c, two links; the file's check and a scenario's.
const LAB: &str = "lab: rlf
nodes:
  a: { interfaces: { eth0: { addresses: [10.0.0.1/24] } } }
  b:
    interfaces:
      eth0: { addresses: [10.0.0.2/24] }
      eth1: { addresses: [10.0.1.2/24] }
  c: { interfaces: { eth0: { addresses: [10.0.1.3/24] } } }
links: [[a:eth0, b:eth0], [b:eth1, c:eth0]]
expect: [a -> b, b -> c, a -x 10.0.1.3]
scenarios:
  cut: [{ link: b:eth0 down }, { expect: [a -x b, b -> c] }]
";

/// Re-runs `test` of this binary as [`UID`], with `XDG_RUNTIME_DIR` set:
/// whether it passed, and what it printed.
fn as_user(test: &str, xdg: &std::path::Path) -> (bool, String) {
    let exe = std::env::current_exe().expect("the test binary");
    let out = Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .uid(UID)
        .gid(UID)
        .env(AS_USER, "1")
        .env("XDG_RUNTIME_DIR", xdg)
        .env("NSLAB_BIN", nslab_bin())
        .env_remove("NSLAB_ROOTLESS")
        .current_dir("/")
        .output()
        .expect("re-run the test as the user");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.contains("1 passed"), text)
}

#[test]
fn a_lab_of_the_facade_without_root() {
    const NAME: &str = "a_lab_of_the_facade_without_root";
    if std::env::var_os(AS_USER).is_some() {
        return facade_as_user().expect("the facade as the user");
    }
    if !sandbox(NAME) {
        return;
    }
    let x = xdg();
    let (passed, text) = as_user(NAME, &x);
    assert!(passed, "as uid {UID}:\n{text}");
    assert_nothing_left(&x);
}

/// The facade's part, as the user (a multi-threaded program).
fn facade_as_user() -> Result<(), Error> {
    assert!(!nix::unistd::geteuid().is_root(), "runs as the user");
    let lab = Lab::up_str(LAB)?;
    assert_eq!(lab.name(), "rlf");
    assert!(lab.ping("a", "b")?, "a -> b");
    assert!(lab.ping("b", "c")?, "b -> c");
    for (c, o) in lab.checks()? {
        assert!(o.pass && o.asked, "{}: {}", c.text, o.seen);
    }

    let out = lab.exec("a", &["ip", "-br", "addr"])?;
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("10.0.0.1/24"));
    // Root of the lab's user namespace inside, the user outside.
    let id = lab.exec("a", &["id", "-u"])?;
    assert_eq!(String::from_utf8_lossy(&id.stdout).trim(), "0");
    let code = lab.exec("a", &["sh", "-c", "echo out; echo err >&2; exit 3"])?;
    assert_eq!(code.status.code(), Some(3));
    assert_eq!(code.stdout, b"out\n");
    assert_eq!(code.stderr, b"err\n");
    match lab.exec("a", &["/no/such/program"]) {
        Err(e @ Error::Exec { .. }) => assert_eq!(e.errno(), Some(libc::ENOENT), "{e}"),
        other => panic!("a missing program: {other:?}"),
    }

    lab.link("b:eth0", false)?;
    assert!(!lab.ping("a", "b")?, "a link downed by `link`");
    assert!(lab.ping("b", "c")?, "the other link");
    assert_eq!(lab.faults()?.len(), 1, "{:?}", lab.faults()?);
    let (c, o) = lab.check("a -> b", None)?;
    assert!(!o.pass && o.asked, "{}: {}", c.text, o.seen);
    assert_eq!(c.to.to_string(), "10.0.0.2");
    let (_, o) = lab.check("{ from: b, to: c }", None)?;
    assert!(o.pass, "{}", o.seen);
    lab.heal()?;
    assert!(lab.faults()?.is_empty());
    assert!(lab.ping("a", "b")?, "healed");

    let r = lab.test("cut")?;
    assert!(r.passed(), "{r:?}");
    assert_eq!(r.steps.len(), 2);
    assert_eq!(r.steps[1].checks.len(), 2, "{r:?}");
    assert!(lab.ping("a", "b")?, "the scenario healed its fault");

    // Errors read as the CLI's, and are the facade's own where it knows.
    assert!(matches!(lab.ping("nobody", "b"), Err(Error::NoNode { .. })));
    let e = lab.link("b:nosuch", false).expect_err("no such interface");
    assert!(
        matches!(e, Error::Fault { .. }) && e.to_string().contains("nosuch"),
        "{e}"
    );
    assert!(!e.to_string().starts_with("error:"), "{e}");

    // A lab dropped is taken down too.
    let other = Lab::up_str(&LAB.replace("lab: rlf", "lab: rlf2"))?;
    assert!(other.ping("a", "b")?);
    drop(other);
    lab.down()
}
