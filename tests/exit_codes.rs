//! The exit status of every command for what a user gets wrong, as one
//! table: 0 success, 1 a check or command failed, 2 bad input (nothing was
//! changed). `down` of a lab that is not up says so and exits 0, so a
//! script can run it twice.

mod common;
use common::*;

const LAB: &str = "lab: codes
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.0.0.1/24] }
  b:
    interfaces:
      eth0: { addresses: [10.0.0.2/24] }
  bare: {}
links:
  - [a:eth0, b:eth0]
";

/// (arguments, exit status, words the output must contain). `FILE` is
/// replaced by the lab's file, `BAD` by a file with an unknown key.
const TABLE: &[(&[&str], i32, &str)] = &[
    // Bad input: 2, whatever the command.
    (&["capture", "codes", "a"], 2, "NODE:INTERFACE"),
    (&["capture", "codes", "a:"], 2, "NODE:INTERFACE"),
    (
        &["capture", "codes", "nope:eth0", "-c", "1"],
        2,
        "no node nope",
    ),
    (&["capture", "nolab", "a:eth0", "-c", "1"], 2, "not up"),
    (&["show", "codes", "nope"], 2, "no node nope"),
    (&["show", "nolab"], 2, "not up"),
    (&["exec", "codes", "nope", "--", "true"], 2, "no node nope"),
    (&["shell", "codes", "nope"], 2, "no node nope"),
    (&["ping", "codes", "nope"], 2, "no node nope"),
    (&["ping", "codes", "a", "nope"], 2, "no node nope"),
    (&["check", "nolab"], 2, "not up"),
    (&["graph", "nolab"], 2, "not up"),
    (&["validate", "BAD"], 2, "unknown"),
    (&["validate", "/nonexistent.yaml"], 2, "cannot read"),
    (&["up", "BAD"], 2, "nothing was changed"),
    (&["plan", "BAD", "--offline"], 2, "nothing was changed"),
    (&["nosuchcommand"], 2, "unrecognized"),
    (&["up", "--nosuchflag"], 2, "unexpected argument"),
    (
        &["capture", "codes", "a:eth0", "-c", "x"],
        2,
        "invalid value",
    ),
    (&["graph", "FILE", "--format", "png"], 2, "invalid value"),
    // A command that ran and failed: 1.
    (&["ping", "codes", "a", "bare"], 1, "no address"),
    (&["exec", "codes", "a", "--", "false"], 1, ""),
    // Success, and `down` of a lab that is not up.
    (&["ping", "codes", "a", "b"], 0, "3/3 received"),
    (&["show", "codes", "a"], 0, "eth0"),
    (&["validate", "FILE"], 0, "ok"),
    (&["down", "nolab"], 0, "not up"),
];

#[test]
fn every_command_exits_with_the_documented_status() {
    if !sandbox("every_command_exits_with_the_documented_status") {
        return;
    }
    let file = write("codes.yaml", LAB);
    let bad = write("bad.yaml", "lab: bad\nnodes:\n  a: { colour: red }\n");
    nslab_ok(&["up", &file], 0);
    let mut wrong = Vec::new();
    for (args, code, words) in TABLE {
        let args: Vec<&str> = args
            .iter()
            .map(|a| match *a {
                "FILE" => file.as_str(),
                "BAD" => bad.as_str(),
                a => a,
            })
            .collect();
        let o = nslab(&args);
        let t = text(&o);
        if o.status.code() != Some(*code) || !t.contains(words) {
            wrong.push(format!(
                "nslab {}: exit {:?} (want {code}, output with {words:?}):\n{t}",
                args.join(" "),
                o.status.code()
            ));
        }
    }
    nslab_ok(&["down", "codes"], 0);
    let again = nslab_ok(&["down", "codes"], 0);
    assert!(again.contains("lab codes is not up"), "{again}");
    assert_nothing_left("codes");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `nslab exec` gives a command that cannot be started the status a shell
/// gives it (as `docker exec` does): 127 when there is no such program,
/// 126 when it cannot be executed; otherwise the command's own status.
/// Each case is run both ways, `sh -c` on the same file system as the
/// reference.
#[test]
fn exec_exits_as_a_shell_does_when_the_command_cannot_start() {
    if !sandbox("exec_exits_as_a_shell_does_when_the_command_cannot_start") {
        return;
    }
    let file = write("codes.yaml", LAB);
    let not_executable = write("not-executable", "echo hi\n");
    let dir = "/run/test-files";
    nslab_ok(&["up", &file], 0);
    let cases: &[(&str, i32)] = &[
        ("nosuchcmd", 127),
        ("/nonexistent/program", 127),
        (not_executable.as_str(), 126),
        (dir, 126),
        ("true", 0),
        ("false", 1),
    ];
    let mut wrong = Vec::new();
    for (cmd, want) in cases {
        let o = nslab(&["exec", "codes", "a", "--", cmd]);
        let shell = std::process::Command::new("sh")
            .args(["-c", cmd])
            .output()
            .expect("sh");
        if o.status.code() != Some(*want) || shell.status.code() != Some(*want) {
            wrong.push(format!(
                "{cmd}: nslab exec exited {:?}, sh -c {:?}, want {want}: {}",
                o.status.code(),
                shell.status.code(),
                text(&o)
            ));
        }
    }
    nslab_ok(&["down", "codes"], 0);
    assert_nothing_left("codes");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
