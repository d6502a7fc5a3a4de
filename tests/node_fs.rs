//! A node's private directories, files and environment (`dirs:`,
//! `files:`, `env:`): what `nslab exec`, `run:` and `Lab::exec` see in one
//! node stays unseen in another and on the machine; files are written by
//! `up` and `down` leaves nothing (not the backing tree, not a mount point
//! it made). Bad inputs are refused at their place before anything is made.

mod common;
use common::*;
use std::path::Path;

const LAB: &str = "nf";

fn file(conf: &str) -> String {
    format!(
        r#"lab: nf
nodes:
  a:
    env: {{ GREETING: hello, TZ: UTC }}
    dirs: [/var/run/frr, {{ path: /run/nf-data, mode: "0750", owner: nobody }}]
    files:
      /var/run/frr/frr.conf: "{conf}\n"
      /run/nf-data/x: {{ content: "secret-a\n", mode: "0600", owner: nobody }}
    run: ["sh -c 'cat /var/run/frr/frr.conf > /run/test-files/a-run; echo $GREETING >> /run/test-files/a-run; ls /run/nf-data >> /run/test-files/a-run; exec sleep 1000'"]
  b:
    dirs: [/run/nf-data]
"#
    )
}

fn exec(node: &str, cmd: &str) -> String {
    let out = nslab(&["exec", LAB, node, "--", "sh", "-c", cmd]);
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn private_dirs_files_and_env_are_the_nodes_own() {
    if !sandbox("private_dirs_files_and_env_are_the_nodes_own") {
        return;
    }
    assert!(!Path::new("/run/nf-data").exists() && !Path::new("/run/frr").exists());
    let f = write("nf.yaml", &file("router ospf"));
    nslab_ok(&["up", &f], 0);
    assert_eq!(exec("a", "cat /var/run/frr/frr.conf"), "router ospf\n");
    assert_eq!(exec("a", "echo $GREETING $TZ"), "hello UTC\n");
    assert_eq!(
        exec("a", "stat -c '%a %U' /run/nf-data/x /run/nf-data"),
        "600 nobody\n750 nobody\n"
    );
    assert_eq!(exec("a", "cat /run/nf-data/x"), "secret-a\n");
    // Another node's directory at the same path is its own (empty), and
    // what a writes there is seen by a alone.
    assert_eq!(
        exec("a", "echo mine > /run/nf-data/new && ls /run/nf-data"),
        "new\nx\n"
    );
    assert_eq!(exec("b", "ls -A /run/nf-data; echo end"), "end\n");
    assert_eq!(
        exec("b", "ls /var/run/frr 2>/dev/null; echo $GREETING; echo end"),
        "\nend\n"
    );
    // The machine's paths: empty mount points nslab made, nothing written.
    assert_eq!(
        std::fs::read_dir("/run/nf-data").map(|d| d.count()).ok(),
        Some(0)
    );
    assert_eq!(
        std::fs::read_dir("/run/frr").map(|d| d.count()).ok(),
        Some(0)
    );
    let mut ran = String::new();
    for _ in 0..50 {
        ran = std::fs::read_to_string("/run/test-files/a-run").unwrap_or_default();
        if ran.lines().count() >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        ran.starts_with("router ospf\nhello\n") && ran.contains("x\n"),
        "run: saw {ran:?}"
    );
    nslab_ok(&["plan", &f, "--exit-code"], 0);
    // A changed file is a difference; `up` writes it; then no difference.
    let f2 = write("nf.yaml", &file("router bgp 65000"));
    let out = nslab_ok(&["plan", &f2, "--exit-code"], 3);
    assert!(
        out.contains("write-file a /var/run/frr/frr.conf (changed"),
        "{out}"
    );
    nslab_ok(&["up", &f2], 0);
    assert_eq!(exec("a", "cat /var/run/frr/frr.conf"), "router bgp 65000\n");
    nslab_ok(&["plan", &f2, "--exit-code"], 0);
    nslab_ok(&["down", LAB], 0);
    assert_nothing_left(LAB);
    assert!(!Path::new("/run/nslab/nf").exists());
    assert!(
        !Path::new("/run/nf-data").exists(),
        "the mount point nslab made"
    );
    assert!(
        !Path::new("/run/frr").exists(),
        "the mount point nslab made"
    );
}

/// The class: each bad input is refused with its place in the file and
/// nothing is made.
#[test]
fn bad_inputs_are_refused_at_their_place() {
    if !sandbox("bad_inputs_are_refused_at_their_place") {
        return;
    }
    let table: &[(&str, &str, &str)] = &[
        ("relative path", "    dirs: [data]\n", ":4:12"),
        (
            "file outside dirs",
            "    dirs: [/d]\n    files: {/etc/passwd: x}\n",
            ":5:13",
        ),
        (
            "unknown owner",
            "    dirs: [/d]\n    files:\n      /d/x: { content: x, owner: nosuchuser }\n",
            ":6:34",
        ),
        (
            "unknown group",
            "    dirs: [/d]\n    files:\n      /d/x: { content: x, owner: \"root:nosuchgroup\" }\n",
            ":6:34",
        ),
        (
            "content and from",
            "    dirs: [/d]\n    files:\n      /d/x: { content: x, from: y }\n",
            ":6:33",
        ),
        (
            "missing from file",
            "    dirs: [/d]\n    files:\n      /d/x: { from: nosuch.txt }\n",
            ":6:21",
        ),
    ];
    for (what, body, at) in table {
        let f = write("bad.yaml", &format!("lab: bad\nnodes:\n  a:\n{body}"));
        for cmd in ["validate", "up"] {
            let out = nslab_ok(&[cmd, &f], 2);
            assert!(
                out.contains(&format!("bad.yaml{at}")),
                "{what} ({cmd}): {out}"
            );
        }
        assert!(!Path::new("/run/nslab/bad").exists(), "{what}: state made");
        assert!(!Path::new("/d").exists(), "{what}: mount point made");
    }
}

/// `show NODE` and `show --json` give the node's host name, env, dirs and
/// files as they are now.
#[test]
fn show_gives_hostname_env_dirs_and_files() {
    if !sandbox("show_gives_hostname_env_dirs_and_files") {
        return;
    }
    let f = write("nf.yaml", &file("router ospf"));
    nslab_ok(&["up", &f], 0);
    let out = nslab_ok(&["show", LAB, "a"], 0);
    for want in [
        "hostname a",
        "env GREETING=hello",
        "dir /run/nf-data (0750 65534:65534) at /run/nslab/nf/fs/a/run/nf-data",
        "file /var/run/frr/frr.conf (0644 0:0 12 bytes)",
        "file /run/nf-data/x (0600 65534:65534 9 bytes)",
    ] {
        assert!(out.contains(want), "{want}:\n{out}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&nslab_ok(&["show", LAB, "--json"], 0)).expect("json");
    let a = &json["nodes"]["a"];
    assert_eq!(a["hostname"], "a");
    assert_eq!(a["env"]["TZ"], "UTC");
    assert_eq!(a["dirs"][0]["path"], "/var/run/frr");
    assert_eq!(a["files"][1]["path"], "/var/run/frr/frr.conf");
    assert_eq!(a["files"][1]["size"], 12);
    assert_eq!(a["files"][0]["mode"], "0600");
    assert_eq!(json["nodes"]["b"]["files"], serde_json::json!([]));
    nslab_ok(&["down", LAB], 0);
    assert_nothing_left(LAB);
}

/// The facade's `Lab::exec` runs in the node's full view: its dirs, files
/// and env.
#[test]
fn the_facades_exec_sees_the_nodes_view() {
    if !sandbox("the_facades_exec_sees_the_nodes_view") {
        return;
    }
    let lab = nslab::Lab::up_str(&file("router ospf")).expect("up");
    let out = lab
        .exec(
            "a",
            &[
                "sh",
                "-c",
                "cat /var/run/frr/frr.conf; echo $GREETING; ls /run/nf-data",
            ],
        )
        .expect("exec");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "router ospf\nhello\nx\n"
    );
    let b = lab
        .exec("b", &["sh", "-c", "ls -A /run/nf-data; echo end"])
        .expect("exec");
    assert_eq!(String::from_utf8_lossy(&b.stdout), "end\n");
    drop(lab);
    assert_nothing_left(LAB);
}
