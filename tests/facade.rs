//! The Rust facade ([`nslab::Lab`]) on its own, as a project's own test
//! would use it: up from a string, exec, faults, checks, a scenario, and
//! everything gone once the value is dropped. (The sandbox around it is
//! nslab's own test support: the facade itself is all the test calls.)

mod common;
use common::{assert_nothing_left, sandbox};
use nslab::Lab;

const LAB: &str = "lab: fac
nodes:
  a: { interfaces: { eth0: { addresses: [10.0.0.1/24] } } }
  b: { interfaces: { eth0: { addresses: [10.0.0.2/24] } }, serve: [tcp/80] }
links: [[a:eth0, b:eth0]]
expect: [a -> b]
scenarios:
  cut:
    - link: a:eth0 down
    - expect: [a -x b]
";

#[test]
fn a_lab_from_the_facade_breaks_heals_and_goes_on_drop() {
    if !sandbox("a_lab_from_the_facade_breaks_heals_and_goes_on_drop") {
        return;
    }
    // `serve:` runs the nslab binary (see the facade's docs).
    std::env::set_var("NSLAB_BIN", env!("CARGO_BIN_EXE_nslab"));
    let bad = Lab::up_str("lab: fac\nnodes:\n  a: { interfaces: { eth0: { mtu: huge } } }\n");
    {
        let lab = Lab::up_str(LAB).expect("up");
        assert_eq!(lab.name(), "fac");
        assert!(lab.ping("a", "b").expect("ping"), "a reaches b");
        lab.link_both("a:eth0", false).expect("link down");
        assert!(!lab.ping("a", "b").expect("ping"), "cut");
        assert_eq!(lab.faults().expect("faults").len(), 2);
        lab.heal().expect("heal");
        assert!(lab.faults().expect("faults").is_empty());
        assert!(lab.ping("a", "b").expect("ping"), "healed");
        lab.partition(&[&["a"], &["b"]]).expect("partition");
        assert!(!lab.ping("a", "b").expect("ping"), "partitioned");
        lab.heal().expect("heal");
        lab.stop("b").expect("stop");
        assert!(!lab.ping("a", "b").expect("ping"), "b stopped");
        lab.start("b").expect("start");
        assert!(lab.ping("a", "b").expect("ping"), "b started");
        let out = lab.exec("a", &["ip", "-br", "addr"]).expect("exec");
        assert!(String::from_utf8_lossy(&out.stdout).contains("10.0.0.1/24"));
        let checks = lab.checks().expect("checks");
        assert!(checks.iter().all(|(_, o)| o.pass));
        let r = lab.test("cut").expect("scenario");
        assert!(r.passed(), "{r:?}");
        assert!(
            lab.faults().expect("faults").is_empty(),
            "the scenario healed"
        );
    }
    assert_nothing_left("fac");
    let e = bad.err().expect("a bad file is refused");
    assert!(e.to_string().contains("(string):3:"), "{e}");
}
