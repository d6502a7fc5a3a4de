//! One lab's cost does not grow with the other labs and namespaces on the
//! machine: `up`, `up` again and `down` of a small lab do exactly the same
//! file-system and namespace work beside hundreds of other namespaces
//! (plain ones, and another lab's with their hosts files under
//! /etc/netns) as alone. Counted with strace, not timed: the directory
//! entries each command reads (per directory), its `openat`, `stat` and
//! `setns` calls, all but those under /proc and /sys (the processes on the
//! machine, which are not namespaces). And what makes that possible (`down`
//! trusting a readable record) must not lose what a lost record's time
//! left behind.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::process::Command;

/// What one command did, as strace saw it.
#[derive(Debug, PartialEq, Eq)]
struct Work {
    /// Directory -> entries read from it (getdents64).
    entries: BTreeMap<String, u64>,
    /// `openat`, `stat` (statx, newfstatat) and `setns` calls, by call and
    /// path (setns: the namespace's).
    calls: BTreeMap<String, u64>,
}

/// The path a traced call is about: its first quoted argument, else the
/// path strace prints in `<...>` after its first fd (`-y`).
fn path_of(line: &str) -> &str {
    let between = |open: char, close: char| {
        let i = line.find(open)?;
        let rest = &line[i + 1..];
        rest.find(close).map(|j| &rest[..j])
    };
    between('"', '"')
        .filter(|p| !p.is_empty())
        .or_else(|| between('<', '>'))
        .unwrap_or("")
}

/// The work of `nslab args`, which must exit 0.
fn work_of(args: &[&str]) -> Work {
    let trace = write("trace", "");
    let o = Command::new("strace")
        .args(["-f", "-qq", "-y", "-o", &trace])
        .args(["-e", "trace=getdents64,openat,statx,newfstatat,setns"])
        .arg(nslab_bin())
        .args(args)
        .output()
        .expect("strace is needed for this test: apt-get install strace");
    assert!(o.status.success(), "nslab {args:?}: {}", text(&o));
    let text = std::fs::read_to_string(&trace).expect("read the trace");
    let mut w = Work {
        entries: BTreeMap::new(),
        calls: BTreeMap::new(),
    };
    for line in text.lines() {
        let path = path_of(line);
        if path.starts_with("/proc") || path.starts_with("/sys") {
            continue;
        }
        if line.contains("getdents64(") {
            let n = line
                .split("/* ")
                .nth(1)
                .and_then(|r| r.split(' ').next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
            *w.entries.entry(path.to_string()).or_default() += n;
        } else {
            let call = ["openat", "statx", "newfstatat", "setns"]
                .into_iter()
                .find(|c| line.contains(&format!("{c}(")));
            // A node's namespace is a new one each run: setns by count.
            // A temporary file's name ends in the writer's pid.
            let path = path.split(".tmp.").next().unwrap_or(path);
            let key = match call {
                Some("setns") => "setns".to_string(),
                Some(c) => format!("{c} {path}"),
                None => continue,
            };
            *w.calls.entry(key).or_default() += 1;
        }
    }
    w
}

/// What differs from `a` to `b`: `what: a -> b`.
fn differences(a: &Work, b: &Work) -> String {
    let mut out = Vec::new();
    for (x, y) in [(&a.entries, &b.entries), (&a.calls, &b.calls)] {
        let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for k in keys {
            let (m, n) = (
                x.get(k).copied().unwrap_or(0),
                y.get(k).copied().unwrap_or(0),
            );
            if m != n {
                out.push(format!("{k}: {m} -> {n}"));
            }
        }
    }
    out.join(", ")
}

/// `up`, `up` again (nothing to do) and `down` of examples/bridge.yaml.
fn work_of_bridge() -> Vec<(&'static str, Work)> {
    let file = examples().join("bridge.yaml");
    let file = file.to_str().expect("utf-8");
    let w = vec![
        ("up", work_of(&["up", file])),
        ("up again", work_of(&["up", file])),
        ("down", work_of(&["down", "bridge"])),
    ];
    let left = sh("ls /run/netns /run/nslab 2>/dev/null | grep '^bridge' || true");
    assert!(left.trim().is_empty(), "the lab is down: {left}");
    w
}

/// A lab named `lab` of `pairs` pairs of nodes, each pair joined by a
/// veth.
fn pairs(lab: &str, pairs: usize) -> String {
    let mut t = format!("lab: {lab}\nnodes:\n");
    for i in 0..pairs {
        for (end, host) in [("a", 1), ("b", 2)] {
            t.push_str(&format!(
                "  p{i}{end}: {{ interfaces: {{ eth0: {{ addresses: [10.9.{i}.{host}/24] }} }} }}\n"
            ));
        }
    }
    t.push_str("links:\n");
    for i in 0..pairs {
        t.push_str(&format!("  - [p{i}a:eth0, p{i}b:eth0]\n"));
    }
    t
}

/// `count` more plain namespaces, `other{from}`...
fn add_namespaces(from: usize, count: usize) {
    let batch: String = (from..from + count)
        .map(|i| format!("netns add other{i}\n"))
        .collect();
    let b = write("others.batch", &batch);
    let o = sh(&format!("ip -batch {b} && echo made"));
    assert!(o.contains("made"), "ip -batch: {o}");
}

/// A small lab's `up`, `up` again and `down` read the same directory
/// entries and make the same calls beside 300 plain namespaces and two
/// other labs (41 namespaces, their hosts files and records) as beside one
/// namespace and one other lab of two (the machine's shared directories
/// exist in both cases).
#[test]
fn a_small_labs_work_does_not_grow_with_the_others() {
    if !sandbox("a_small_labs_work_does_not_grow_with_the_others") {
        return;
    }
    add_namespaces(0, 1);
    nslab_ok(&["up", &write("few.yaml", &pairs("few", 1))], 0);
    let few = work_of_bridge();
    add_namespaces(1, 299);
    nslab_ok(&["up", &write("big.yaml", &pairs("big", 20))], 0);
    let many = work_of_bridge();
    let grew: Vec<String> = few
        .iter()
        .zip(&many)
        .filter(|((_, a), (_, b))| a != b)
        .map(|((cmd, a), (_, b))| format!("{cmd}: {}", differences(a, b)))
        .collect();
    assert!(
        grew.is_empty(),
        "bridge.yaml's work beside 343 namespaces differs from beside 3:\n{}",
        grew.join("\n")
    );
    for lab in ["big", "few"] {
        nslab_ok(&["down", lab], 0);
    }
    sh("ip -all netns delete");
    assert_nothing_left("big");
}

/// What a lost record's time made is still found by `down` once the lab
/// has a readable record again: with the record corrupt, set aside (a
/// killed `down`) or removed by hand, an `up` of a file without node
/// `p0b` leaves `lost-p0b` (its namespace and hosts file, made when the
/// record was whole), and `down` removes it.
#[test]
fn down_finds_what_a_lost_records_time_left() {
    if !sandbox("down_finds_what_a_lost_records_time_left") {
        return;
    }
    let two = write("lost.yaml", &pairs("lost", 1));
    let one = write(
        "lost1.yaml",
        "lab: lost\nnodes:\n  p0a: { interfaces: { eth0: { kind: bridge } } }\n",
    );
    let record = "/run/nslab/lost/state.json";
    for how in ["corrupt", "set aside", "removed"] {
        nslab_ok(&["up", &two], 0);
        match how {
            "corrupt" => std::fs::write(record, "{").expect("corrupt"),
            "set aside" => std::fs::rename(record, format!("{record}.corrupt-1")).expect("mv"),
            _ => std::fs::remove_file(record).expect("rm"),
        }
        nslab_ok(&["up", &one], 0);
        assert!(
            std::path::Path::new("/run/netns/lost-p0b").exists(),
            "{how}: the node the file no longer has is left by up"
        );
        nslab_ok(&["down", "lost"], 0);
        assert_nothing_left("lost");
        // Gone, or (when someone else's keeps it) empty.
        let etc: Vec<_> = std::fs::read_dir("/etc/netns")
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        assert!(etc.is_empty(), "{how}: /etc/netns after down: {etc:?}");
    }
}
