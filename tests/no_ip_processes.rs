//! nslab talks to the kernel itself (netlink, nftables, ioctls, /proc):
//! it never starts `ip`, `bridge`, `tc`, `nft`, `iptables`, `sysctl`,
//! `ping` or `modprobe`. Checked for every example, through every command
//! that reads or changes a lab — `up` (and `up` again), `plan`, `check`,
//! `show`, `ls`, `ping`, `capture`, `events`, each fault and `heal`, the
//! file's scenarios (`test`), `down` — and the built-in demo.
//!
//! Stand-ins for the tools are put first on PATH and bind-mounted over the
//! real programs (in the sandbox's own mount namespace, so an absolute
//! path is caught too). A stand-in started by nslab itself records the
//! call and fails; started by anything else — a command of the user's, as
//! a scenario's `exec:` step runs through `sh -c` — it runs the real tool.
//! `exec` and `shell` are left out: what they start is the user's.

mod common;

use common::{assert_nothing_left, example_files, nslab_bin, sandbox, sh, text};
use std::path::{Path, PathBuf};
use std::process::Command;

const TOOLS: &[&str] = &[
    "ip",
    "bridge",
    "tc",
    "nft",
    "iptables",
    "ip6tables",
    "sysctl",
    "ping",
    "modprobe",
];

/// The stand-ins in place: the PATH to run nslab with, and the log of the
/// calls nslab made.
struct Trap {
    path: String,
    log: PathBuf,
}

fn trap() -> Trap {
    let base = Path::new("/run/trap");
    let (bin, real) = (base.join("bin"), base.join("real"));
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::create_dir_all(&real).expect("mkdir");
    let log = base.join("spawned.log");
    let nslab = std::fs::canonicalize(nslab_bin()).expect("the nslab binary");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for tool in TOOLS {
        // The real program, copied where the stand-in can still run it.
        let found = sh(&format!("command -v {tool} || true"));
        let found = found.trim();
        let real_tool = real.join(tool);
        if !found.is_empty() {
            std::fs::copy(found, &real_tool).expect("copy the real tool");
        }
        let stand_in = bin.join(tool);
        std::fs::write(
            &stand_in,
            format!(
                "#!/bin/sh\n\
                 if [ \"$(readlink /proc/$PPID/exe)\" = '{nslab}' ]; then\n\
                 \x20 echo \"{tool} $*\" >> '{log}'\n\
                 \x20 exit 1\n\
                 fi\n\
                 [ -x '{real}' ] && exec '{real}' \"$@\"\n\
                 echo '{tool}: not found' >&2\n\
                 exit 127\n",
                nslab = nslab.display(),
                log = log.display(),
                real = real_tool.display(),
            ),
        )
        .expect("write the stand-in");
        sh(&format!("chmod +x {}", stand_in.display()));
        if !found.is_empty() {
            let target = std::fs::canonicalize(found).expect("the real tool's path");
            let out = sh(&format!(
                "mount --bind {} {} && echo mounted",
                stand_in.display(),
                target.display()
            ));
            assert!(out.contains("mounted"), "bind-mount over {found}: {out}");
        }
    }
    Trap { path, log }
}

/// Runs nslab with the stand-ins; its status must be one of `ok`.
fn run(trap: &Trap, args: &[&str], ok: &[i32]) {
    let o = Command::new(nslab_bin())
        .args(args)
        .env("PATH", &trap.path)
        .output()
        .expect("run nslab");
    assert!(
        o.status.code().is_some_and(|c| ok.contains(&c)),
        "nslab {}: {:?}\n{}",
        args.join(" "),
        o.status.code(),
        text(&o)
    );
}

/// What the faults act on: the first namespace node with an interface,
/// and two namespace nodes with an address to partition.
struct Targets {
    interface: Option<(String, String)>,
    pair: Option<(String, String)>,
}

fn targets(t: &nslab_model::Topology) -> Targets {
    let netns: Vec<&nslab_model::NodeName> =
        t.nodes.keys().filter(|n| t.netns_of(n).is_some()).collect();
    let interface = netns.iter().find_map(|n| {
        t.nodes[*n]
            .interfaces
            .keys()
            .next()
            .map(|i| (n.to_string(), i.to_string()))
    });
    let addressed: Vec<String> = netns
        .iter()
        .filter(|n| {
            t.nodes[**n]
                .interfaces
                .values()
                .any(|i| !i.addresses.is_empty())
                || t.networks.values().any(|net| net.members.contains_key(**n))
        })
        .map(|n| n.to_string())
        .collect();
    let pair = (addressed.len() >= 2).then(|| (addressed[0].clone(), addressed[1].clone()));
    Targets { interface, pair }
}

#[test]
fn no_ip_family_process_is_started_for_any_example_or_command() {
    if !sandbox("no_ip_family_process_is_started_for_any_example_or_command") {
        return;
    }
    // The image examples' Podman and image (Podman is no `ip`-family
    // tool: it may run, and what it starts is its own).
    let _podman = common::images::podman();
    let trap = trap();
    // The trap catches what nslab itself starts, by name and by path:
    // `exec` starts the user's command itself.
    let f = common::write("trapcheck.yaml", "lab: trapcheck\nnodes:\n  a: {}\n");
    run(&trap, &["up", &f], &[0]);
    let ip = sh("command -v ip");
    for cmd in ["ip", ip.trim()] {
        run(&trap, &["exec", "trapcheck", "a", "--", cmd, "link"], &[1]);
    }
    run(&trap, &["down", "trapcheck"], &[0]);
    let caught = std::fs::read_to_string(&trap.log).unwrap_or_default();
    assert_eq!(caught.lines().count(), 2, "the trap works: {caught}");
    std::fs::remove_file(&trap.log).expect("reset the log");
    let files = example_files();
    assert!(files.len() >= 10, "the examples: {files:?}");
    let mut ran_up = 0;
    for path in &files {
        let f = path.to_str().expect("utf-8");
        let t = nslab_model::parse_file(path, &nslab_model::AnyHostInterfaces).expect("parses");
        let lab = t.lab.to_string();
        // A module this kernel lacks (item of `validate`): `up` fails on
        // it, and must fail without starting a tool either.
        let validate = Command::new(nslab_bin())
            .args(["validate", f])
            .output()
            .expect("validate");
        let runs_here = !text(&validate).contains("kernel module");
        run(&trap, &["validate", f], &[0]);
        run(&trap, &["plan", "--offline", f], &[0]);
        run(&trap, &["graph", f], &[0]);
        run(&trap, &["up", f], if runs_here { &[0] } else { &[1] });
        if runs_here {
            ran_up += 1;
            let targets = targets(&t);
            run(&trap, &["up", f], &[0]);
            run(&trap, &["plan", "--exit-code", f], &[0]);
            run(&trap, &["ls"], &[0]);
            run(&trap, &["show", &lab], &[0]);
            run(&trap, &["check", &lab], &[0]);
            run(&trap, &["ping", &lab], &[0, 1]);
            if let Some((node, ifname)) = &targets.interface {
                let at = format!("{node}:{ifname}");
                run(&trap, &["capture", &lab, &at, "-s", "1"], &[0]);
                run(&trap, &["events", &lab, node, "--timeout", "1"], &[0]);
                run(&trap, &["link", &lab, &at, "down"], &[0]);
                run(&trap, &["link", &lab, &at, "up"], &[0]);
                // netem may be missing from this kernel: refused, no tool.
                run(&trap, &["impair", &lab, &at, "--delay", "10ms"], &[0, 1]);
                run(&trap, &["stop", &lab, node], &[0]);
                run(&trap, &["start", &lab, node], &[0]);
            }
            if let Some((a, b)) = &targets.pair {
                run(&trap, &["partition", &lab, a, b], &[0]);
            }
            run(&trap, &["heal", &lab], &[0]);
            if !t.scenarios.is_empty() {
                run(&trap, &["test", f], &[0]);
            }
        }
        run(&trap, &["down", &lab], &[0]);
        assert_nothing_left(&lab);
    }
    assert!(ran_up >= 5, "most examples run on this kernel: {ran_up}");
    run(&trap, &["demo"], &[0]);
    assert!(
        !trap.log.exists(),
        "nslab started: {}",
        std::fs::read_to_string(&trap.log).unwrap_or_default()
    );
}
