//! `nslab up --rootless`: labs of a user who is not root, in a user
//! namespace of the user's, kept under `$XDG_RUNTIME_DIR/nslab`. Each test
//! runs in the sandbox (as root) and drives the nslab binary as an
//! unprivileged uid, whose `XDG_RUNTIME_DIR` is a 0700 directory of its own
//! on the sandbox's private /run.

mod common;

#[path = "rootless/user.rs"]
mod as_user;

use as_user::{
    assert_nothing_left, entries, example, kill_when, processes_of_user, run, run_ok, user, xdg,
    UID,
};
use common::{commands_taking_lab, sandbox, text};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn examples_come_up_checked_and_go_down_without_root() {
    if !sandbox("examples_come_up_checked_and_go_down_without_root") {
        return;
    }
    let x = xdg();
    for (file, lab, node, addr) in [
        ("bridge.yaml", "bridge", "net1", "10.0.1.1/24"),
        ("nat-gateway.yaml", "natgw", "ns01", "192.168.88.11/24"),
    ] {
        let out = run_ok(&["up", "--rootless", "--check", &example(file)], &x, 0);
        assert!(out.contains("passed"), "{out}");
        assert!(
            x.join("nslab").join(lab).join("holder").is_file(),
            "{:?}",
            entries(&x)
        );
        let addrs = run_ok(&["exec", lab, node, "--", "ip", "-br", "addr"], &x, 0);
        assert!(addrs.contains(addr), "{addrs}");
        // Root inside the lab's user namespace, the user outside it.
        let id = run_ok(&["exec", lab, node, "--", "id", "-u"], &x, 0);
        assert_eq!(id.trim(), "0", "{id}");
        let ls = run_ok(&["ls", "--json"], &x, 0);
        assert!(
            ls.contains(&format!("\"lab\":\"{lab}\"")) && ls.contains("\"ok\""),
            "{ls}"
        );
        run_ok(&["check", lab], &x, 0);
        run_ok(&["down", lab], &x, 0);
        assert_nothing_left(&x);
    }
}

#[test]
fn not_root_means_rootless_by_default() {
    if !sandbox("not_root_means_rootless_by_default") {
        return;
    }
    let x = xdg();
    run_ok(&["up", &example("veth-pair.yaml")], &x, 0);
    let ls = run_ok(&["ls"], &x, 0);
    assert!(!ls.contains("no labs are up"), "{ls}");
    assert!(std::fs::read_dir(x.join("nslab")).is_ok_and(|mut d| d.next().is_some()));
    // Root's own directories were not touched.
    assert!(!Path::new("/run/nslab").exists() && !Path::new("/run/netns").exists());
    let lab = std::fs::read_dir(x.join("nslab"))
        .expect("labs")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| !n.starts_with('.'))
        .expect("a lab directory");
    run_ok(&["down", &lab], &x, 0);
    assert_nothing_left(&x);
}

#[test]
fn an_unusable_xdg_runtime_dir_is_bad_input_and_changes_nothing() {
    if !sandbox("an_unusable_xdg_runtime_dir_is_bad_input_and_changes_nothing") {
        return;
    }
    let x = xdg();
    let file = x.join("a-file");
    std::fs::write(&file, "").expect("write");
    std::os::unix::fs::chown(&file, Some(UID), Some(UID)).expect("chown");
    let cases: [(Option<&Path>, &str); 4] = [
        (None, "is not set"),
        (Some(Path::new("/run/user/nowhere")), "No such file"),
        (Some(&file), "is not a directory"),
        (Some(Path::new("/run")), "belongs to uid 0"),
    ];
    for (dir, says) in cases {
        for args in [
            vec!["up", "--rootless", "EX"],
            vec!["down", "bridge"],
            vec!["ls"],
        ] {
            let args: Vec<String> = args
                .iter()
                .map(|a| a.replace("EX", &example("bridge.yaml")))
                .collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = run(&args, dir);
            let t = text(&o);
            assert_eq!(o.status.code(), Some(2), "{args:?} with {dir:?}: {t}");
            assert!(
                t.contains("XDG_RUNTIME_DIR") && t.contains(says),
                "{dir:?}: {t}"
            );
            assert!(t.contains("hint:"), "{t}");
        }
    }
    std::fs::remove_file(&file).expect("rm");
    assert_nothing_left(&x);
}

#[test]
fn what_needs_root_is_refused_before_anything_is_made() {
    if !sandbox("what_needs_root_is_refused_before_anything_is_made") {
        return;
    }
    let x = xdg();
    let f = common::write(
        "needs-root.yaml",
        "lab: nr\nnodes:\n  h:\n    kind: host\n  a:\n    interfaces:\n      eth0: {}\nlinks:\n  - [h:v0, a:eth0]\n",
    );
    let o = run(&["up", "--rootless", &f], Some(&x));
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("kind: host"), "{t}");
    assert_nothing_left(&x);
}

/// A lab with namespaces enough for `up` to be caught half way, and a
/// process in every node.
fn big_lab() -> String {
    let mut y =
        String::from("lab: killed\nnodes:\n  sw:\n    interfaces:\n      br0: { kind: bridge }\n");
    for i in 0..40 {
        y.push_str(&format!("      p{i}: {{ master: br0 }}\n"));
    }
    for i in 0..40 {
        y.push_str(&format!(
            "  h{i}:\n    interfaces:\n      eth0: {{ addresses: [10.1.0.{}/16] }}\n    run: [sleep 1000]\n",
            i + 1
        ));
    }
    y.push_str("links:\n");
    for i in 0..40 {
        y.push_str(&format!("  - [sw:p{i}, h{i}:eth0]\n"));
    }
    common::write("killed.yaml", &y)
}

#[test]
fn a_killed_up_then_down_leaves_nothing() {
    if !sandbox("a_killed_up_then_down_leaves_nothing") {
        return;
    }
    let x = xdg();
    let f = big_lab();
    let lab = x.join("nslab/killed");
    let netns = lab.join("netns");
    type Moment<'a> = (&'static str, Box<dyn Fn() -> bool + 'a>);
    let moments: Vec<Moment> = vec![
        ("before the holder is ready", Box::new(|| lab.is_dir())),
        (
            "once the holder is ready",
            Box::new(|| lab.join("holder").is_file()),
        ),
        (
            "half way through the namespaces",
            Box::new(|| std::fs::read_dir(&netns).map_or(0, |d| d.count()) >= 10),
        ),
        (
            "once processes started",
            Box::new(|| processes_of_user().iter().any(|p| p.contains("sleep 1000"))),
        ),
    ];
    for (when, reached) in moments {
        let status = kill_when(&["up", "--rootless", &f], &x, when, &reached);
        assert!(
            !status.success(),
            "{when}: up finished before it was killed"
        );
        let o = run(&["down", "killed"], Some(&x));
        assert_eq!(o.status.code(), Some(0), "{when}: {}", text(&o));
        assert_nothing_left(&x);
    }
}

#[test]
fn faults_and_a_second_up_work_in_the_labs_user_namespace() {
    if !sandbox("faults_and_a_second_up_work_in_the_labs_user_namespace") {
        return;
    }
    let x = xdg();
    let f = example("failover.yaml");
    run_ok(&["up", "--rootless", &f], &x, 0);
    let holder = std::fs::read_to_string(x.join("nslab/failover/holder")).expect("holder");
    let again = run_ok(&["up", "--rootless", &f], &x, 0);
    assert!(again.contains(" 0 operation(s)"), "{again}");
    let same = std::fs::read_to_string(x.join("nslab/failover/holder")).expect("holder");
    assert_eq!(holder, same, "a second up started another holder");
    run_ok(&["link", "failover", "rb:p1", "down"], &x, 0);
    let shown = run_ok(&["show", "failover", "rb", "--json"], &x, 0);
    assert!(shown.contains("\"p1\""), "{shown}");
    let faulty = run_ok(&["ls", "--json"], &x, 0);
    assert!(faulty.contains("\"faults\""), "{faulty}");
    run_ok(&["heal", "failover"], &x, 0);
    run_ok(&["test", "failover"], &x, 0);
    let host = run_ok(&["exec", "failover", "ra", "--", "hostname"], &x, 0);
    assert_eq!(host.trim(), "ra");
    run_ok(&["down", "failover"], &x, 0);
    assert_nothing_left(&x);
}

#[test]
fn a_dead_holder_is_said_and_cleared() {
    if !sandbox("a_dead_holder_is_said_and_cleared") {
        return;
    }
    let x = xdg();
    let f = example("bridge.yaml");
    for then in ["up", "down"] {
        run_ok(&["up", "--rootless", &f], &x, 0);
        let holder = std::fs::read_to_string(x.join("nslab/bridge/holder")).expect("holder");
        let pid: i32 = holder
            .split(' ')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("pid");
        let killed = Command::new("kill").args(["-9", &pid.to_string()]).status();
        assert!(killed.is_ok_and(|s| s.success()));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Path::new(&format!("/proc/{pid}/ns")).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let o = run(&["show", "bridge"], Some(&x));
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            text(&o).contains("holder of lab bridge is gone"),
            "{}",
            text(&o)
        );
        if then == "up" {
            let up = run_ok(&["up", "--rootless", "--check", &f], &x, 0);
            assert!(up.contains("passed"), "{up}");
            run_ok(&["down", "bridge"], &x, 0);
        } else {
            let o = run(&["down", "bridge", "--json"], Some(&x));
            assert_eq!(o.status.code(), Some(0), "{}", text(&o));
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("down --json");
            assert_eq!(v["was_up"], true, "{v}");
        }
        assert_nothing_left(&x);
    }
}

/// Every command that takes a LAB, run by the user on the user's lab,
/// works on it (it entered the lab's namespaces): a command added later
/// and not entering would fail here, or be missing from the table.
#[test]
fn every_command_on_a_lab_enters_the_users_lab() {
    if !sandbox("every_command_on_a_lab_enters_the_users_lab") {
        return;
    }
    let x = xdg();
    let file = common::write(
        "every.yaml",
        "lab: every\nnodes:\n  a: { interfaces: { eth0: { addresses: [10.0.0.1/24] } } }\n  \
         b: { interfaces: { eth0: { addresses: [10.0.0.2/24] } } }\nlinks: [[a:eth0, b:eth0]]\n\
         expect: [a -> b]\nscenarios:\n  s: [{ expect: [a -> b] }]\n",
    );
    // (command, arguments after LAB); `down` last.
    let table: &[(&str, &[&str])] = &[
        ("plan", &["--exit-code"]),
        ("show", &["a"]),
        ("graph", &[]),
        ("exec", &["a", "--", "true"]),
        ("shell", &["a"]),
        ("check", &[]),
        ("ping", &["a", "b"]),
        ("capture", &["a:eth0", "--seconds", "1"]),
        ("events", &["--timeout", "1"]),
        ("link", &["a:eth0", "down"]),
        ("impair", &["a:eth0", "--clear"]),
        ("partition", &["a", "b"]),
        ("stop", &["a"]),
        ("start", &["a"]),
        ("heal", &[]),
        ("test", &[]),
        ("down", &[]),
    ];
    let takes_lab = commands_taking_lab();
    let mut wrong: Vec<String> = takes_lab
        .iter()
        .filter(|c| table.iter().all(|(t, _)| t != c))
        .map(|c| format!("{c} takes LAB but is not in the table"))
        .collect();
    run_ok(&["up", "--rootless", &file], &x, 0);
    for (cmd, rest) in table {
        let mut args = vec![*cmd, "every"];
        args.extend_from_slice(rest);
        let o = run(&args, Some(&x));
        if o.status.code() != Some(0) {
            wrong.push(format!(
                "nslab {}: {:?}: {}",
                args.join(" "),
                o.status.code(),
                text(&o)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_nothing_left(&x);
}

/// Four `up`s of one lab at once: one holder, every `up` in it.
#[test]
fn concurrent_ups_share_one_holder() {
    if !sandbox("concurrent_ups_share_one_holder") {
        return;
    }
    let x = xdg();
    let f = example("bridge.yaml");
    let ups: Vec<_> = (0..4)
        .map(|_| {
            user(&["up", "--rootless", &f], Some(&x))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn up")
        })
        .collect();
    for up in ups {
        let o = up.wait_with_output().expect("wait for up");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    let holders: Vec<String> = processes_of_user()
        .into_iter()
        .filter(|p| p.contains("__hold"))
        .collect();
    assert_eq!(holders.len(), 1, "{holders:?}");
    run_ok(&["check", "bridge"], &x, 0);
    run_ok(&["down", "bridge"], &x, 0);
    assert_nothing_left(&x);
}

/// `nslab demo` by a user who is not root: up, check, show and down in a
/// holder of its own, which goes with the demo.
#[test]
fn the_demo_without_root_leaves_nothing() {
    if !sandbox("the_demo_without_root_leaves_nothing") {
        return;
    }
    let x = xdg();
    let out = run_ok(&["demo"], &x, 0);
    assert!(out.contains("is down"), "{out}");
    assert_nothing_left(&x);
}
