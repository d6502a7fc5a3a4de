//! Kernel-test support: every test body runs in a sandbox of its own — a
//! child process in fresh network and mount namespaces with a private
//! tmpfs on /run (so /run/netns and /run/nslab are the test's own), a
//! private /etc/netns (an overlay on /etc, written to that tmpfs), and a
//! PID namespace with its own /proc — and
//! drives the real `nslab` binary there.
//!
//! A test calls [`sandbox`] first: in the parent it re-runs the test binary
//! for just this test under `unshare --net --mount --propagation private
//! --pid --fork --mount-proc` and asserts that it passed; in the child it
//! checks that it is in namespaces of its own, mounts the tmpfs on /run and
//! returns `true` so the body runs. That is `nslab_sys::sandbox`, the one
//! test sandbox of nslab.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub mod images;

pub fn nslab_bin() -> PathBuf {
    std::env::var_os("NSLAB_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_nslab")))
}

pub fn examples() -> PathBuf {
    std::env::var_os("NSLAB_EXAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
}

/// Every `examples/*.yaml`, sorted.
pub fn example_files() -> Vec<PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(examples())
        .expect("examples")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    paths
}

/// The subcommands that take a LAB, as clap has them.
pub fn commands_taking_lab() -> Vec<String> {
    nslab::cli_command()
        .get_subcommands()
        .filter(|c| c.get_positionals().any(|a| a.get_id() == "lab"))
        .map(|c| c.get_name().to_string())
        .collect()
}

pub fn fixtures() -> PathBuf {
    std::env::var_os("NSLAB_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
}

/// `true` inside the sandbox (run the body); `false` in the parent after
/// the sandboxed run passed. Panics (the test fails) when it did not, when
/// the tests are not run as root, or when the child cannot prove it is in
/// namespaces of its own (it mounts nothing then).
pub fn sandbox(test: &str) -> bool {
    let inside = nslab_sys::sandbox::Sandbox::new()
        .with_pid_namespace()
        .with_empty_run()
        .enter(test);
    if !inside {
        images::remove_made_cgroups();
    }
    inside
}

/// Every `.rs` file under `dir`, recursively (for the source scans).
pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Write a test file under /run/test-files (the sandbox's own tmpfs) and
/// return its path.
pub fn write(name: &str, text: &str) -> String {
    let d = Path::new("/run/test-files");
    std::fs::create_dir_all(d).expect("mkdir /run/test-files");
    let p = d.join(name);
    std::fs::write(&p, text).expect("write test file");
    p.to_str().expect("utf-8").to_string()
}

/// Run nslab with arguments; returns the output.
pub fn nslab(args: &[&str]) -> Output {
    Command::new(nslab_bin())
        .args(args)
        .output()
        .expect("run nslab")
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Run nslab and require an exit status.
pub fn nslab_ok(args: &[&str], code: i32) -> String {
    let o = nslab(args);
    let t = text(&o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "nslab {} exited {:?}:\n{t}",
        args.join(" "),
        o.status.code()
    );
    t
}

/// Start nslab with arguments, its output piped (for [`finish`]).
pub fn spawn(args: &[&str]) -> Child {
    Command::new(nslab_bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nslab")
}

/// Wait for a started nslab: its exit status, stdout and stderr.
pub fn finish(c: Child) -> (Option<i32>, String, String) {
    let o = c.wait_with_output().expect("wait");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Average round-trip time `from` -> `to` in ms, from `nslab ping --json`.
pub fn rtt_ms(lab: &str, from: &str, to: &str) -> f64 {
    let out = nslab_ok(&["ping", lab, from, to, "--json"], 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    v[0]["rtt_avg_ms"]
        .as_f64()
        .unwrap_or_else(|| panic!("no rtt in {out}"))
}

/// Run a command (tests may use `ip` to cross-check).
pub fn sh(cmd: &str) -> String {
    let o = Command::new("sh").args(["-c", cmd]).output().expect("sh");
    text(&o)
}

/// Nothing the lab owned is left: no namespace, no link with its alias and
/// no nft table in this (the sandbox's) namespace, no responder process,
/// no state.
pub fn assert_nothing_left(lab: &str) {
    let netns: Vec<_> = std::fs::read_dir("/run/netns")
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(netns.is_empty(), "namespaces left: {netns:?}");
    let mut sock = nslab_netlink::Socket::open().expect("route socket");
    let alias = nslab_types::names::lab_mark(lab);
    let left: Vec<String> = sock
        .links()
        .expect("link dump")
        .into_iter()
        .filter(|l| l.alias.as_deref() == Some(alias.as_str()))
        .map(|l| l.name)
        .collect();
    assert!(left.is_empty(), "links of lab {lab} left: {left:?}");
    let mut nft = nslab_nft::Socket::open().expect("netfilter socket");
    let table = nslab_types::names::nat_table(lab);
    assert!(
        !nft.table_exists(&table).expect("list tables"),
        "nft table {table} left"
    );
    // The sandbox has a PID namespace of its own: every process here is
    // the test's.
    let label = format!("__serve {lab}/");
    let procs: Vec<String> = std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
                .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
                .filter(|c| c.contains(&label))
                .collect()
        })
        .unwrap_or_default();
    assert!(procs.is_empty(), "processes of lab {lab} left: {procs:?}");
    if images::configured() {
        let left = images::containers();
        let prefix = nslab_types::names::netns_prefix(lab);
        let left: Vec<_> = left.iter().filter(|c| c.starts_with(&prefix)).collect();
        assert!(left.is_empty(), "containers of lab {lab} left: {left:?}");
    }
    assert!(
        !Path::new(&format!("/run/nslab/{lab}")).exists(),
        "state left in /run/nslab/{lab}"
    );
}

/// Tags open and close in order (a small well-formedness check of the
/// JUnit files; no XML library is a dependency).
pub fn well_formed(xml: &str) -> Result<usize, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut elements = 0;
    let body = xml
        .trim_start()
        .strip_prefix("<?xml")
        .and_then(|r| r.split_once("?>"))
        .map_or(xml, |(_, r)| r);
    let mut rest = body;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').ok_or("an unclosed tag")? + start;
        let tag = &rest[start + 1..end];
        if tag.contains('<') {
            return Err(format!("`<` inside a tag: {tag}"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        } else {
            elements += 1;
            let name = tag
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches('/');
            if !tag.ends_with('/') {
                stack.push(name.to_string());
            }
        }
        rest = &rest[end + 1..];
    }
    if stack.is_empty() {
        Ok(elements)
    } else {
        Err(format!("left open: {stack:?}"))
    }
}

/// A started nslab that said it is ready (see [`spawn_ready`]).
pub struct Ready {
    pub child: Child,
    err: std::thread::JoinHandle<String>,
}

/// Start nslab with its output piped and return once the first line of
/// its stderr starts with `ready` — what a command that listens says when
/// it does (`capture`: "listening on", `events`: "watching"), so a test
/// makes its traffic then, not after a guessed sleep. The rest of stderr
/// is kept for [`finish_ready`].
pub fn spawn_ready(args: &[&str], ready: &str) -> Ready {
    use std::io::{BufRead, Read};
    let mut child = spawn(args);
    let mut err = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    err.read_line(&mut first).expect("read stderr");
    assert!(
        first.starts_with(ready),
        "nslab {} said {first:?}, not {ready:?}",
        args.join(" ")
    );
    let err = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = err.read_to_string(&mut rest);
        rest
    });
    Ready { child, err }
}

/// Wait for a [`spawn_ready`] nslab: its exit status, stdout and the rest
/// of its stderr.
pub fn finish_ready(r: Ready) -> (Option<i32>, String, String) {
    let (code, out, _) = finish(r.child);
    (code, out, r.err.join().unwrap_or_default())
}
