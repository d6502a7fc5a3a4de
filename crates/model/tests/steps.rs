//! A scenario step's keys: each mistake reported once — a key no step has
//! by the shape pass alone, a step with no step key or two by the lowering.

use nslab_model::{parse_str, NoHostInterfaces, ProblemKind, ProblemKind::*};

const HEAD: &str = "lab: s
nodes:
  a: { interfaces: { eth0: { addresses: [10.0.0.1/24] } } }
  b: { interfaces: { eth0: { addresses: [10.0.0.2/24] } } }
links: [[a:eth0, b:eth0]]
scenarios:
  cut:
";

/// Each step as written, and the problems it makes, in file order.
const STEPS: &[(&str, &[ProblemKind])] = &[
    ("- reboot: a", &[UnknownKey]),
    ("- { reboot: a }", &[UnknownKey]),
    ("- { reboot: a, halt: b }", &[UnknownKey, UnknownKey]),
    ("- { link: a:eth0 down, reboot: a }", &[UnknownKey]),
    ("- { link: a:eth0 down, stop: a }", &[InvalidValue]),
    ("- {}", &[InvalidValue]),
    ("- link:", &[InvalidValue]),
    ("- { link: a:eth0 down }", &[]),
];

#[test]
fn each_step_mistake_is_reported_once() {
    for (step, want) in STEPS {
        let text = format!("{HEAD}    {step}\n");
        let got = match parse_str("lab.yaml", &text, &NoHostInterfaces) {
            Ok(_) => Vec::new(),
            Err(p) => p.kinds(),
        };
        assert_eq!(got, *want, "{step}");
    }
}
