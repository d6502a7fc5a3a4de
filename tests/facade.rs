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

/// How `nslab up FILE` ended: its exit status and its stderr.
fn cli_up(file: &str) -> (Option<i32>, String) {
    let o = common::nslab(&["up", file]);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Whether lab `lab` is up: its state directory and its namespace `node`.
fn is_up(lab: &str, node: &str) -> bool {
    std::path::Path::new(&format!("/run/nslab/{lab}")).exists()
        && std::path::Path::new(&format!("/run/netns/{lab}-{node}")).exists()
}

/// One rule `nslab up` applies, as a case: the file, and how the lab is
/// before (`up_before`: the file of the same lab brought up first).
struct Rule {
    name: &'static str,
    file: String,
    up_before: Option<String>,
    /// The CLI's exit status; the facade fails exactly when it is not 0.
    cli_exit: i32,
    /// Whether the lab is up afterwards.
    up_after: bool,
}

/// Every rule `nslab up` applies to a file and to the machine gives the
/// facade the same outcome for the same input: refused or not, the lab
/// up or gone afterwards, and the same words (the CLI prints `error: `
/// before a failure that is not the file's).
#[test]
fn the_facade_brings_a_lab_up_by_the_clis_rules() {
    if !sandbox("the_facade_brings_a_lab_up_by_the_clis_rules") {
        return;
    }
    std::env::set_var("NSLAB_BIN", env!("CARGO_BIN_EXE_nslab"));
    // A `run:` program that exists and is executable, yet cannot start
    // (its interpreter is missing): validation passes, the start fails.
    let bad = common::write("bad-interp.sh", "#!/nonexistent/interpreter\n");
    common::sh(&format!("chmod +x {bad}"));
    // A stand-in for a NIC, in the sandbox's own namespace.
    common::sh("ip link add phy0 type veth peer name phy1");
    let two = |lab: &str, extra: &str| {
        format!(
            "lab: {lab}\nnodes:\n  a: {{ interfaces: {{ eth0: {{ addresses: [10.0.0.1/24] }} }}{extra} }}\n  b: {{ interfaces: {{ eth0: {{ addresses: [10.0.0.2/24] }} }} }}\nlinks: [[a:eth0, b:eth0]]\n"
        )
    };
    let file = |name: &str, text: String| common::write(name, &text);
    let rules = vec![
        Rule {
            name: "a value out of range",
            file: file("r1.yaml", "lab: r1\nnodes:\n  a: { interfaces: { eth0: { mtu: 99999999 } } }\n".into()),
            up_before: None,
            cli_exit: 2,
            up_after: false,
        },
        Rule {
            name: "a `run:` program that does not exist",
            file: file("r2.yaml", two("r2", ", run: [/nonexistent/program]")),
            up_before: None,
            cli_exit: 2,
            up_after: false,
        },
        Rule {
            name: "a physical interface the machine does not have",
            file: file("r3.yaml", "lab: r3\nnodes:\n  a: { interfaces: { wan: { kind: physical, from: nosuch0 } } }\n".into()),
            up_before: None,
            cli_exit: 2,
            up_after: false,
        },
        Rule {
            name: "a physical interface the lab already holds",
            file: file("r4.yaml", "lab: r4\nnodes:\n  a: { interfaces: { wan: { kind: physical, from: phy0, addresses: [10.9.0.1/24] } } }\n".into()),
            up_before: Some(file("r4.yaml", "lab: r4\nnodes:\n  a: { interfaces: { wan: { kind: physical, from: phy0, addresses: [10.9.0.1/24] } } }\n".into())),
            cli_exit: 0,
            up_after: true,
        },
        Rule {
            name: "a process that cannot start, in a lab this call creates",
            file: file("r5.yaml", two("r5", &format!(", run: [{bad}]"))),
            up_before: None,
            cli_exit: 1,
            up_after: false,
        },
        Rule {
            name: "a process that cannot start, in a lab that was up before",
            file: file("r6.yaml", two("r6", &format!(", run: [{bad}]"))),
            up_before: Some(file("r6-before.yaml", two("r6", ""))),
            cli_exit: 1,
            up_after: true,
        },
    ];
    let mut wrong = Vec::new();
    for r in &rules {
        let lab = r
            .file
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".yaml"))
            .expect("file name");
        // Through the CLI.
        if let Some(before) = &r.up_before {
            common::nslab_ok(&["up", before], 0);
        }
        let (code, stderr) = cli_up(&r.file);
        let cli_up_after = is_up(lab, "a");
        common::nslab(&["down", lab]);
        // Through the facade, from the same start.
        if let Some(before) = &r.up_before {
            common::nslab_ok(&["up", before], 0);
        }
        let result = Lab::up_file(&r.file);
        let facade_up_after = is_up(lab, "a");
        let facade_err = result.as_ref().err().map(|e| e.to_string());
        match result {
            Ok(l) => l.down().expect("down"),
            Err(_) => {
                common::nslab(&["down", lab]);
            }
        }
        assert_nothing_left(lab);
        if code != Some(r.cli_exit) {
            wrong.push(format!(
                "{}: the CLI exited {code:?}, expected {}: {stderr}",
                r.name, r.cli_exit
            ));
        }
        if facade_err.is_some() != (r.cli_exit != 0) {
            wrong.push(format!(
                "{}: the CLI exited {code:?}, the facade gave {facade_err:?}",
                r.name
            ));
        }
        if cli_up_after != r.up_after || facade_up_after != r.up_after {
            wrong.push(format!(
                "{}: up afterwards: CLI {cli_up_after}, facade {facade_up_after}, expected {}",
                r.name, r.up_after
            ));
        }
        if let Some(msg) = &facade_err {
            let cli = stderr.trim().trim_start_matches("error: ");
            if !cli.starts_with(msg.trim()) {
                wrong.push(format!(
                    "{}: the CLI said\n{cli}\nthe facade\n{msg}",
                    r.name
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// A lab needs a namespace and a socket per node: the facade raises the
/// open-files limit as `nslab` does, so a lab larger than a low soft limit
/// comes up through both.
#[test]
fn the_facade_raises_the_open_files_limit_as_the_cli_does() {
    if !sandbox("the_facade_raises_the_open_files_limit_as_the_cli_does") {
        return;
    }
    let mut text = String::from("lab: many\nnodes:\n");
    for i in 0..40 {
        text.push_str(&format!("  n{i}: {{ interfaces: {{ eth0: {{}} }} }}\n"));
    }
    text.push_str("links:\n");
    for i in (0..40).step_by(2) {
        text.push_str(&format!("  - [n{i}:eth0, n{}:eth0]\n", i + 1));
    }
    let f = common::write("many.yaml", &text);
    let cli = common::sh(&format!(
        "ulimit -S -n 64 && {} up {f} >/dev/null && echo CLI-OK",
        common::nslab_bin().display()
    ));
    assert!(
        cli.contains("CLI-OK"),
        "the CLI under `ulimit -n 64`: {cli}"
    );
    common::nslab_ok(&["down", "many"], 0);
    let (_, hard) = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .expect("getrlimit");
    nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, 64, hard)
        .expect("setrlimit");
    let lab = Lab::up_file(&f).expect("the facade under a soft limit of 64");
    lab.down().expect("down");
    assert_nothing_left("many");
}

/// A probe that could not be made proves nothing: `ping` and `checks` say
/// so with an error (never `Ok(false)`, which `assert!(!lab.ping(..)?)`
/// would take for a cut network), as `nslab ping` fails.
#[test]
fn a_probe_that_could_not_be_made_is_an_error() {
    if !sandbox("a_probe_that_could_not_be_made_is_an_error") {
        return;
    }
    let lab = Lab::up_str(
        "lab: gone\nnodes:\n  a: { interfaces: { eth0: { addresses: [10.0.0.1/24] } } }\n  b: { interfaces: { eth0: { addresses: [10.0.0.2/24] } } }\nlinks: [[a:eth0, b:eth0]]\nexpect: [a -x b]\n",
    )
    .expect("up");
    assert!(lab.ping("a", "b").expect("ping"), "a reaches b");
    // a's namespace deleted behind the lab's back: nothing can be sent.
    nslab_sys::netns::delete("gone-a").expect("delete a's namespace");
    let cli = common::nslab(&["ping", "gone", "a", "b"]);
    assert_eq!(cli.status.code(), Some(1), "{}", common::text(&cli));
    let pinged = lab.ping("a", "b");
    assert!(pinged.is_err(), "a probe that could not run: {pinged:?}");
    let e = pinged.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("could not probe"), "{e}");
    // `a -x b` would pass on a cut network: it must not pass unasked.
    assert!(lab.checks().is_err(), "checks that could not be made");
    lab.down().expect("down");
    assert_nothing_left("gone");
}

/// A failed `#[test]` returning `Result<_, nslab::Error>` prints the
/// error's `Debug`: the CLI's message, with its lines as lines.
#[test]
fn an_error_prints_as_the_clis_message_in_debug_too() {
    let e = Lab::up_str("lab: dbg\nnodes:\n  a: { interfaces: { eth0: { mtu: huge } } }\n")
        .err()
        .expect("a bad file is refused");
    let debug = format!("{e:?}");
    assert_eq!(debug, e.to_string());
    assert!(
        debug.contains("(string):3:") && debug.contains("\n  help: "),
        "{debug}"
    );
    assert!(
        !debug.contains("\\n") && !debug.starts_with("Error("),
        "{debug}"
    );
}

/// `Lab::up(Topology)` brings up what the topology's text says (the lab's
/// record keeps the text, which `nslab check`, `show` and `plan` read): a
/// topology changed after parsing is refused before anything is touched.
#[test]
fn a_topology_changed_after_parsing_is_refused() {
    let text = "lab: edited\nnodes:\n  a: { interfaces: { eth0: { addresses: [10.0.0.1/24] } } }\n  b: { interfaces: { eth0: { addresses: [10.0.0.2/24] } } }\nlinks: [[a:eth0, b:eth0]]\n";
    let mut t = nslab::model::parse_str("(string)", text, &nslab::model::AnyHostInterfaces)
        .expect("a valid topology");
    t.expect.clear();
    t.links.clear();
    let e = Lab::up(t).err().expect("refused");
    assert!(matches!(e, nslab::Error::Edited { .. }), "{e}");
}

/// The kernel's refusal reaches a facade user as data: the errno of the
/// operation that failed (a macvlan asked for an MTU its parent, a bridge
/// whose MTU the file cannot know, cannot carry: EINVAL), besides its
/// words.
#[test]
fn a_kernel_refusal_keeps_its_errno() {
    if !sandbox("a_kernel_refusal_keeps_its_errno") {
        return;
    }
    let e = Lab::up_str(
        "lab: errno\nnodes:\n  a: { interfaces: { eth0: {}, br0: { kind: bridge } } }\n  b: { interfaces: { mv0: { kind: macvlan, parent: a:br0, mtu: 9000 } } }\n  c: { interfaces: { eth0: {} } }\nlinks: [[a:eth0, c:eth0]]\n",
    )
    .err()
    .expect("an MTU above the parent's is refused by the kernel");
    assert_eq!(e.errno(), Some(22), "EINVAL expected: {e}");
    assert!(e.to_string().contains("Invalid argument"), "{e}");
    assert_nothing_left("errno");
}
