//! Image nodes (`image:`): a node that is a Podman container, on a real
//! kernel and a real Podman, private to each test's sandbox (see
//! `common::images`): up, exec'd (host name, a neighbour by name), stopped
//! and started (paused, as Podman says), down; an `up` killed with SIGKILL
//! at moments spread over its run, then `down`: no container, no mount,
//! no file under /etc/netns. Podman or an image missing: exit 2 and
//! nothing made. And `examples/container-replicas.yaml` under `nslab
//! test`.

mod common;
use common::images::{self, IMAGE};
use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

fn lab(name: &str, image: &str) -> String {
    format!(
        "lab: {name}\nnodes:\n  a:\n    image: {image}\n    hostname: alpha.lab\n    cmd: [sleep, \"1000\"]\n    \
         interfaces:\n      eth0: {{ addresses: [10.9.0.1/24] }}\n  b:\n    interfaces:\n      \
         eth0: {{ addresses: [10.9.0.2/24] }}\nlinks:\n  - [a:eth0, b:eth0]\n{INSIDE}"
    )
}

/// A scenario whose `exec` step passes only inside the container: there
/// `/bin/sh` is busybox's (the machine's is not).
const INSIDE: &str = "scenarios:\n  inside:\n    - exec: { node: a, cmd: \"test \\\"$(readlink /bin/sh)\\\" = busybox\" }\n";

#[test]
fn an_image_node_is_exec_d_stopped_started_and_removed() {
    if !sandbox("an_image_node_is_exec_d_stopped_started_and_removed") {
        return;
    }
    let _podman = images::podman();
    let f = write("img.yaml", &lab("img", IMAGE));
    nslab_ok(&["up", &f], 0);
    assert_eq!(images::containers(), ["img-a"]);
    // Inside the container: its host name, its neighbour by name (the
    // lab's hosts file), and the container's own file system (busybox's
    // `/bin/sh`, not the machine's).
    assert_eq!(
        nslab_ok(&["exec", "img", "a", "--", "hostname"], 0).trim(),
        "alpha.lab"
    );
    nslab_ok(&["exec", "img", "a", "--", "ping", "-c1", "-W2", "b"], 0);
    let sh = nslab_ok(&["exec", "img", "a", "--", "readlink", "/bin/sh"], 0);
    assert_eq!(sh.trim(), "busybox");
    let code = nslab(&["exec", "img", "a", "--", "no-such-program"])
        .status
        .code();
    assert_eq!(code, Some(127));
    // `up` again keeps the running container.
    let id = |n: &str| sh_out(&format!("podman inspect -f '{{{{.Id}}}}' {n}"));
    let before = id("img-a");
    nslab_ok(&["up", &f], 0);
    assert_eq!(id("img-a"), before, "up again replaced the container");
    nslab_ok(&["stop", "img", "a"], 0);
    assert_eq!(images::state("img-a"), "paused");
    let show = nslab_ok(&["show", "img", "a"], 0);
    assert!(
        show.contains(&format!("image {IMAGE}, container img-a paused")),
        "{show}"
    );
    nslab_ok(&["start", "img", "a"], 0);
    assert_eq!(images::state("img-a"), "running");
    let json = nslab_ok(&["show", "img", "--json"], 0);
    let v: serde_json::Value = serde_json::from_str(json.trim()).expect("json");
    let c = &v["containers"]["a"];
    assert_eq!(
        (c["name"].as_str(), c["state"].as_str()),
        (Some("img-a"), Some("running")),
        "{v}"
    );
    assert_eq!(c["image"].as_str(), Some(IMAGE), "{v}");
    nslab_ok(
        &["exec", "img", "a", "--", "ping", "-c1", "-W2", "10.9.0.2"],
        0,
    );
    // A changed command replaces the container.
    let edited = lab("img", IMAGE).replace("\"1000\"", "\"2000\"");
    let f2 = write("img2.yaml", &edited);
    nslab_ok(&["up", &f2], 0);
    assert_ne!(id("img-a"), before, "a changed cmd: kept the old container");
    nslab_ok(&["down", "img"], 0);
    assert!(
        images::containers().is_empty(),
        "{:?}",
        images::containers()
    );
    assert_nothing_left("img");
}

/// The facade's `Lab::exec` on an image node runs inside the container.
#[test]
fn the_facade_execs_inside_the_container() {
    if !sandbox("the_facade_execs_inside_the_container") {
        return;
    }
    let _podman = images::podman();
    let lab = nslab::Lab::up_str(&lab("fac", IMAGE)).expect("up");
    let o = lab.exec("a", &["readlink", "/bin/sh"]).expect("exec");
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "busybox");
    let o = lab.exec("a", &["hostname"]).expect("exec");
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "alpha.lab");
    drop(lab);
    assert_no_trace("fac");
}

fn sh_out(cmd: &str) -> String {
    let o = Command::new("sh").args(["-c", cmd]).output().expect("sh");
    assert!(o.status.success(), "{cmd}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Nothing of the lab's is left: no container, no mount of its (nor of
/// a container's), no file under /etc/netns, no namespace, no state.
fn assert_no_trace(lab: &str) {
    assert!(
        images::containers().is_empty(),
        "containers left: {:?}",
        images::containers()
    );
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
    let left: Vec<&str> = mounts
        .lines()
        .filter(|l| {
            l.contains("/run/netns/") || l.contains("/run/nslab") || l.contains("-containers/")
        })
        .collect();
    assert!(left.is_empty(), "mounts left: {left:#?}");
    let etc: Vec<_> = std::fs::read_dir("/etc/netns")
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(etc.is_empty(), "/etc/netns holds {etc:?}");
    assert_nothing_left(lab);
}

/// `up` killed with SIGKILL at moments spread over its run (before,
/// during and after `podman run`), then `down`: nothing is left.
#[test]
fn a_killed_up_leaves_nothing_down_does_not_remove() {
    if !sandbox("a_killed_up_leaves_nothing_down_does_not_remove") {
        return;
    }
    let _podman = images::podman();
    let more = format!(
        "  c:\n    image: {IMAGE}\n    cmd: [sleep, \"1000\"]\n  d:\n    image: {IMAGE}\nlinks:"
    );
    let text3 = lab("kill", IMAGE).replace("links:", &more);
    let f = write("kill.yaml", &text3);
    // How long a whole `up` takes here, to spread the kills over it.
    let t0 = Instant::now();
    nslab_ok(&["up", &f], 0);
    let whole = t0.elapsed();
    assert_eq!(images::containers().len(), 3);
    nslab_ok(&["down", "kill"], 0);
    assert_no_trace("kill");
    let mut killed_mid_run = 0;
    for i in 1..=8u32 {
        let at = whole * i / 8;
        let mut child = Command::new(nslab_bin())
            .args(["up", &f])
            .spawn()
            .expect("up");
        std::thread::sleep(at);
        let _ = child.kill();
        let status = child.wait().expect("wait");
        if status.code().is_none() {
            killed_mid_run += 1;
        }
        nslab_ok(&["down", "kill"], 0);
        assert_no_trace("kill");
    }
    assert!(
        killed_mid_run >= 4,
        "only {killed_mid_run} of 8 runs were killed mid-run"
    );
    // Without the record: the containers are found by their label.
    nslab_ok(&["up", &f], 0);
    std::fs::remove_file("/run/nslab/kill/state.json").expect("rm the record");
    nslab_ok(&["down", "kill"], 0);
    assert_no_trace("kill");
}

/// Podman missing, or an image not in its store: exit 2 with the file's
/// place, and nothing is made (no namespace, no state, no container).
#[test]
fn podman_or_an_image_missing_changes_nothing() {
    if !sandbox("podman_or_an_image_missing_changes_nothing") {
        return;
    }
    let _podman = images::podman();
    let absent = write("absent.yaml", &lab("absent", "localhost/no-such-image:1"));
    for cmd in ["validate", "graph", "plan"] {
        let args = if cmd == "plan" {
            vec![cmd, "--offline", &absent]
        } else {
            vec![cmd, &absent]
        };
        nslab_ok(&args, 0);
    }
    let out = nslab_ok(&["up", &absent], 2);
    assert!(out.contains(&format!("{absent}:4:12: ")), "{out}");
    assert!(out.contains("not in Podman's local store"), "{out}");
    assert_nothing_left("absent");
    assert!(images::containers().is_empty());
    // No podman on PATH: every command reading the file says so.
    let present = write("present.yaml", &lab("present", IMAGE));
    for cmd in ["validate", "up"] {
        let o = Command::new(nslab_bin())
            .args([cmd, &present])
            .env("PATH", "/nonexistent")
            .output()
            .expect("nslab");
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {t}");
        assert!(
            t.contains(&format!("{present}:4:12: ")) && t.contains("needs `podman`"),
            "{t}"
        );
    }
    assert_nothing_left("present");
    // A plain file never asks for podman.
    let plain = write("plain.yaml", "lab: plain\nnodes:\n  a: {}\n");
    let o = Command::new(nslab_bin())
        .args(["up", &plain])
        .env("PATH", "/nonexistent")
        .output()
        .expect("nslab");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = Command::new(nslab_bin())
        .args(["down", "plain"])
        .env("PATH", "/nonexistent")
        .output()
        .expect("nslab");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// `examples/container-replicas.yaml`: `up --check` passes, `nslab test`
/// passes both scenarios (JUnit: one suite each, no failure), nothing is
/// in force after, `down` leaves nothing.
#[test]
fn example_container_replicas() {
    if !sandbox("example_container_replicas") {
        return;
    }
    let _podman = images::podman();
    let path = examples().join("container-replicas.yaml");
    let path = path.to_str().expect("utf-8");
    let up = nslab(&["up", "--check", path]);
    let started = Instant::now();
    let out = nslab(&["test", "creplicas", "--junit", "/run/junit.xml"]);
    let took = started.elapsed();
    let junit = std::fs::read_to_string("/run/junit.xml").unwrap_or_default();
    let show = nslab(&["show", "creplicas"]);
    nslab_ok(&["down", "creplicas"], 0);
    assert_no_trace("creplicas");
    assert_eq!(up.status.code(), Some(0), "{}", text(&up));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    well_formed(&junit).unwrap_or_else(|e| panic!("{e}:\n{junit}"));
    assert_eq!(junit.matches("<testsuite ").count(), 2, "{junit}");
    assert!(
        !junit.contains("<failure") && !junit.contains("<skipped"),
        "{junit}"
    );
    assert!(!text(&show).contains("faults"), "{}", text(&show));
    assert!(took < Duration::from_secs(60), "{took:?}");
}

/// An image node's `env:`, `dirs:` and `files:` are the container's: the
/// variable in its environment, the file `up` wrote in its directory at
/// start, what it writes there in the node's backing directory only (not
/// in another image node's same path); a changed `env:` replaces the
/// container; `down` leaves nothing.
#[test]
fn an_image_node_gets_its_env_dirs_and_files() {
    if !sandbox("an_image_node_gets_its_env_dirs_and_files") {
        return;
    }
    let _podman = images::podman();
    let file = |x: &str| {
        format!(
            "lab: envd\nnodes:\n  a:\n    image: {IMAGE}\n    cmd: [sleep, \"1000\"]\n    \
             env: {{ X: {x} }}\n    dirs: [/data]\n    files: {{ /data/f: hello }}\n  \
             c:\n    image: {IMAGE}\n    cmd: [sleep, \"1000\"]\n    dirs: [/data]\n    \
             files: {{ /data/h: v-{x} }}\n"
        )
    };
    let f = write("envd.yaml", &file("y"));
    nslab_ok(&["up", &f], 0);
    let out = nslab_ok(
        &[
            "exec",
            "envd",
            "a",
            "--",
            "sh",
            "-c",
            "echo $X; cat /data/f",
        ],
        0,
    );
    assert_eq!(out.trim(), "y\nhello", "{out:?}");
    nslab_ok(
        &["exec", "envd", "a", "--", "sh", "-c", "echo mine > /data/g"],
        0,
    );
    let backing = std::fs::read_to_string("/run/nslab/envd/fs/a/data/g");
    assert_eq!(backing.ok().as_deref(), Some("mine\n"));
    let in_c = |cmd: &str| nslab_ok(&["exec", "envd", "c", "--", "sh", "-c", cmd], 0);
    assert_eq!(in_c("ls -A /data").trim(), "h", "c sees another directory");
    // A changed `env:` replaces the container (and its value is seen).
    let id = |n: &str| sh_out(&format!("podman inspect -f '{{{{.Id}}}}' {n}"));
    let (a0, c0) = (id("envd-a"), id("envd-c"));
    let f2 = write("envd2.yaml", &file("z"));
    nslab_ok(&["up", &f2], 0);
    assert_ne!(id("envd-a"), a0, "a changed env: kept the old container");
    // A changed file is rewritten where the running container sees it.
    assert_eq!(
        id("envd-c"),
        c0,
        "c's env and dirs did not change but it was replaced"
    );
    assert_eq!(in_c("cat /data/h").trim(), "v-z");
    let out = nslab_ok(
        &[
            "exec",
            "envd",
            "a",
            "--",
            "sh",
            "-c",
            "echo $X; cat /data/g",
        ],
        0,
    );
    assert_eq!(out.trim(), "z\nmine", "{out:?}");
    nslab_ok(&["down", "envd"], 0);
    assert_no_trace("envd");
    assert!(!std::path::Path::new("/run/nslab/envd").exists());
}
