//! The facade against the in-memory kernel (in a sandbox: the record and
//! the nodes' files are the sandbox's).

use super::Lab;
use crate::host::fake::FakeHost;
use crate::launch;
use crate::record;
use nslab_sys::statedir::StateDir;

/// A file `up` accepts with a warning: a NAT rule asked for twice.
const TWICE: &str = "lab: fw
nodes:
  gw:
    interfaces:
      wan: { addresses: [192.168.9.1/24] }
      lan: { kind: bridge, addresses: [10.0.0.1/24] }
    nat:
      masquerade:
        - { from: 10.0.0.0/24, out: wan }
        - { from: 10.0.0.0/24, out: wan }
  out:
    interfaces:
      eth0: { addresses: [192.168.9.2/24] }
links:
  - [gw:wan, out:eth0]
";

/// What `nslab up` prints as warnings reaches the facade's user: the
/// file's (a NAT rule asked for twice) and the run's (an earlier record
/// that cannot be read, set aside).
#[test]
fn up_gives_the_caller_its_warnings() {
    if !nslab_sys::sandbox::Sandbox::new()
        .with_pid_namespace()
        .enter("facade::tests::up_gives_the_caller_its_warnings")
    {
        return;
    }
    let l = launch::parse("(string)", TWICE).expect("valid");
    let dir = StateDir::open("fw").expect("state dir");
    dir.write_atomic(record::FILE, b"{ not a record")
        .expect("write");
    let mut h = FakeHost::new("fw");
    let lab = Lab::bring_up_on(&mut h, l).expect("up").keep();
    let w = lab.warnings();
    assert!(w.iter().any(|w| w.contains("is asked for twice")), "{w:?}");
    assert!(
        w.iter()
            .any(|w| w.contains("cannot be read") && w.contains("set aside")),
        "{w:?}"
    );
    assert!(lab.notes().is_empty(), "{:?}", lab.notes());
    let r = crate::lab::down(&mut h, "fw").expect("down");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}
