//! Crash tests: `up`, `down` and a reconcile `up` of a 40-node lab (a
//! Docker-style network with published ports, `serve:` and `run:`) killed
//! with SIGKILL at moments spread over the whole run, then `down`: nothing
//! may be left — namespaces, links, routes and nft tables in the sandbox's
//! own namespace, processes, state — and a fresh `up` must work.
//!
//! The CI form kills each phase a few times. Soak mode: set
//! `NSLAB_CRASH_KILLS=N` for N kills per phase, e.g.
//! `NSLAB_CRASH_KILLS=40 NSLAB_CRASH_REPORT=/tmp/crash.txt cargo test
//! --test crash`; each phase appends its figures (runs, runs killed
//! mid-run, leaks found, and every leak it saw) to that file.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LAB: &str = "crash";
const NODES: usize = 40;

/// The lab: `hst` (the sandbox's own namespace) — `out` — `gw` (holds the
/// bridge `br0`), and 37 members on the
/// network, every third one serving tcp/80 (some published on gw), every
/// fourth one running a `run:` command with a child. `edited` changes the
/// subnet's members, addresses, services and commands (a reconcile).
fn topology(edited: bool) -> String {
    let mut t = format!("lab: {LAB}\nnodes:\n");
    t.push_str("  out:\n    interfaces:\n      wan: { addresses: [192.168.77.1/24] }\n");
    t.push_str("      hv1: { addresses: [192.168.78.2/24] }\n");
    // The sandbox's own namespace: a veth end, an address, a route.
    t.push_str("  hst:\n    kind: host\n    interfaces:\n");
    t.push_str("      hv0: { addresses: [192.168.78.1/24] }\n");
    t.push_str("    routes: [10.99.0.0/16 via 192.168.78.2]\n");
    t.push_str("  gw:\n    interfaces:\n      ens41: { addresses: [192.168.77.2/24] }\n");
    t.push_str("    routes: [default via 192.168.77.1]\n");
    let members = NODES - 3 - usize::from(edited) * 3;
    for i in 0..members {
        let mut line = format!("  m{i}: {{");
        let mut parts = Vec::new();
        if i % 3 == usize::from(edited) {
            parts.push(" serve: [tcp/80, udp/53]".to_string());
        }
        if i % 4 == 0 {
            let secs = if edited { 2000 + i } else { 1000 + i };
            parts.push(format!(" run: [\"sh -c 'sleep {secs} & sleep {secs}'\"]"));
        }
        if i % 4 == 1 {
            // Private directories (mount points nslab makes under
            // /run/crash-data), a file in each, an environment.
            parts.push(format!(
                " dirs: [/run/crash-data/m{i}], files: {{ /run/crash-data/m{i}/conf: \"v{edited}\" }}, env: {{ X: y }}"
            ));
        }
        line.push_str(&parts.join(","));
        line.push_str(" }\n");
        t.push_str(&line);
    }
    t.push_str("links:\n  - [out:wan, gw:ens41]\n  - [hst:hv0, out:hv1]\n");
    t.push_str("networks:\n  br0:\n    node: gw\n");
    let subnet = if edited { "172.21" } else { "172.20" };
    t.push_str(&format!("    subnet: {subnet}.0.0/16\n    members:\n"));
    for i in 0..members {
        if i % 6 == usize::from(edited) {
            t.push_str(&format!(
                "      m{i}: {{ address: {subnet}.1.{}, publish: [\"{}:80\"] }}\n",
                i + 10,
                8000 + i
            ));
        } else {
            t.push_str(&format!("      m{i}: {{}}\n"));
        }
    }
    t
}

/// Kills per phase: `NSLAB_CRASH_KILLS` or the CI default.
fn kills(default: usize) -> usize {
    std::env::var("NSLAB_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Live processes in the sandbox (its own PID namespace), but this test.
fn live_processes() -> BTreeSet<String> {
    let me = std::process::id().to_string();
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.bytes().all(|b| b.is_ascii_digit()) || name == me {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().next().map(str::to_string));
        if matches!(state.as_deref(), Some("Z" | "X") | None) {
            continue;
        }
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        out.insert(format!(
            "{name}: {}",
            String::from_utf8_lossy(&cmd).replace('\0', " ")
        ));
    }
    out
}

/// What the machine (the sandbox) looks like, for before/after.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    netns: Vec<String>,
    links: String,
    routes: String,
    nft: String,
    processes: BTreeSet<String>,
    state: bool,
    /// The nodes' UTS namespaces (host names): files and mounts; the
    /// nodes' files under /etc/netns and the mount points of their
    /// `dirs:` (the backing tree /run/nslab/<lab>/fs is in `state`).
    uts: Vec<String>,
}

/// The lab's UTS namespace files, every mount on one, and what is under
/// /etc/netns.
fn uts_left() -> Vec<String> {
    let dir = Path::new("/run/nslab/.uts").join(LAB);
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.path().display().to_string())
                .collect()
        })
        .unwrap_or_default();
    if dir.exists() {
        out.push(dir.display().to_string());
    }
    // The nodes' names under /etc/netns (the sandbox's own).
    if let Ok(d) = std::fs::read_dir("/etc/netns") {
        out.extend(d.flatten().map(|e| e.path().display().to_string()));
    }
    // The mount points the nodes' `dirs:` needed, made by nslab.
    if Path::new("/run/crash-data").exists() {
        out.push("/run/crash-data".to_string());
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    out.extend(
        mounts
            .lines()
            .filter(|l| l.contains("/.uts/"))
            .map(str::to_string),
    );
    out.sort();
    out
}

fn snapshot() -> Snapshot {
    let mut netns: Vec<String> = std::fs::read_dir("/run/netns")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    netns.sort();
    Snapshot {
        netns,
        links: sh("ip -o link show | cut -d: -f2 | sort"),
        routes: sh("ip route show table all; ip -6 route show table all"),
        nft: sh("nft list tables"),
        processes: live_processes(),
        state: Path::new(&format!("/run/nslab/{LAB}")).exists(),
        uts: uts_left(),
    }
}

/// What differs from the baseline, in words.
fn leftovers(base: &Snapshot) -> Vec<String> {
    let now = snapshot();
    let mut out = Vec::new();
    if now.netns != base.netns {
        out.push(format!("namespaces: {:?}", now.netns));
    }
    if now.links != base.links {
        out.push(format!("links: {}", now.links.replace('\n', " ")));
    }
    if now.routes != base.routes {
        out.push(format!("routes: {}", now.routes));
    }
    if now.nft != base.nft {
        out.push(format!("nft tables: {}", now.nft));
    }
    let procs: Vec<_> = now.processes.difference(&base.processes).collect();
    if !procs.is_empty() {
        out.push(format!("processes: {procs:?}"));
    }
    if now.state {
        out.push(format!("state: /run/nslab/{LAB} exists"));
    }
    if now.uts != base.uts {
        out.push(format!("UTS namespaces: {:?}", now.uts));
    }
    out
}

/// Everything left, removed by hand so the next round starts clean.
fn scrub(base: &Snapshot) {
    for ns in snapshot().netns {
        sh(&format!("ip netns del {ns}"));
    }
    for p in live_processes().difference(&base.processes) {
        if let Some(pid) = p.split(':').next() {
            sh(&format!("kill -9 {pid}"));
        }
    }
    let _ = std::fs::remove_dir_all(format!("/run/nslab/{LAB}"));
    for f in uts_left() {
        if !f.contains(' ') {
            sh(&format!("umount -l {f}; rm -f {f}"));
        }
    }
    let _ = std::fs::remove_dir(format!("/run/nslab/.uts/{LAB}"));
    sh("rm -rf /etc/netns/* /etc/netns/.[!.]* /run/crash-data");
    std::thread::sleep(Duration::from_millis(100));
}

/// Responders of the lab running now.
fn responders() -> usize {
    live_processes()
        .iter()
        .filter(|p| p.contains(&format!("__serve {LAB}/")))
        .count()
}

/// When to kill a run.
#[derive(Debug, Clone, Copy)]
enum When {
    /// This long after it started.
    After(Duration),
    /// Once this many responders run (while `up` starts processes).
    Responders(usize),
}

/// Runs `nslab args` and kills it with SIGKILL at `when` (if it has not
/// finished by then). Returns whether it was killed.
fn killed_at(args: &[&str], when: When) -> bool {
    let mut child = Command::new(nslab_bin())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nslab");
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        let now = match when {
            When::After(d) => start.elapsed() >= d,
            When::Responders(n) => responders() >= n || start.elapsed() > Duration::from_secs(30),
        };
        if now {
            let _ = child.kill();
            let _ = child.wait();
            return true;
        }
        if matches!(when, When::After(_)) {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
}

/// `down` after a crash: succeeds, or says the lab is not up (the run was
/// killed before it made anything).
fn down_after_crash() -> Result<(), String> {
    let o = nslab(&["down", LAB]);
    let t = text(&o);
    if o.status.success() || t.contains("is not up") {
        Ok(())
    } else {
        Err(format!("down failed: {t}"))
    }
}

/// How long `args` takes when not killed (the faster of two runs, each
/// followed by `undo`).
fn measure(args: &[&str], undo: &[&str], before: &[&str]) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..2 {
        if !before.is_empty() {
            nslab_ok(before, 0);
        }
        let t = Instant::now();
        nslab_ok(args, 0);
        best = best.min(t.elapsed());
        if !undo.is_empty() {
            nslab_ok(undo, 0);
        }
    }
    best
}

/// The moment of kill `k` of `n`: spread evenly over 1.2 × the run (a run may be slower than measured), with
/// a deterministic jitter inside each slot.
fn moment(k: usize, n: usize, run: Duration) -> Duration {
    let slot = run.mul_f64(1.2) / u32::try_from(n.max(1)).unwrap_or(1);
    let jitter = ((k * 7919 + 13) % 100) as f64 / 100.0;
    slot * u32::try_from(k).unwrap_or(0) + slot.mul_f64(jitter)
}

/// One phase: `n` times, `prepare`, then `args` killed at its moment, then
/// `down` and the check. Ends with a fresh `up` + `down` that must work.
///
/// `serves`: for an `up`, how many responders its file asks for.
/// With `by_responders`, every fourth kill instead comes once a given
/// number of responders run: `up` is then starting processes for sure.
fn phase(
    name: &str,
    args: &[&str],
    prepare: &[&[&str]],
    n: usize,
    run: Duration,
    by_responders: bool,
    serves: Option<usize>,
) {
    let fresh = write("fresh.yaml", &topology(false));
    let base = snapshot();
    let mut leaks = Vec::new();
    let mut killed = 0;
    let mut while_starting = 0;
    let started = Instant::now();
    for k in 0..n {
        for p in prepare {
            nslab_ok(p, 0);
        }
        let at = if by_responders && k % 4 == 3 {
            When::Responders(1 + (k / 4) % 12)
        } else {
            When::After(moment(k, n, run))
        };
        if killed_at(args, at) {
            killed += 1;
            if responders() > 0 {
                while_starting += 1;
            }
        }
        let mut found = Vec::new();
        // Every third kill of an `up`: the same `up` again, without a
        // `down` first, must finish the job — every responder once.
        if let (Some(want), 1) = (serves, k % 3) {
            let o = nslab(args);
            let running = responders();
            if !o.status.success() || running != want {
                found.push(format!(
                    "the same up again: {running} of {want} responder(s): {}",
                    text(&o)
                ));
            }
        }
        if let Err(e) = down_after_crash() {
            found.push(e);
        }
        found.extend(leftovers(&base));
        if !found.is_empty() {
            leaks.push(format!("kill {k} at {at:?}: {}", found.join("; ")));
            scrub(&base);
        }
        // Every few kills (and after the last), a fresh `up` must work.
        if k % 5 == 4 || k + 1 == n {
            let o = nslab(&["up", &fresh]);
            if !o.status.success() {
                leaks.push(format!("kill {k}: the next up failed: {}", text(&o)));
            }
            // The check can see what the lab makes: a lab that is up
            // differs from the baseline in every respect checked.
            let up = snapshot();
            assert!(
                up.netns.len() == NODES - 1
                    && up.links != base.links
                    && up.routes != base.routes
                    && up.processes.len() > base.processes.len() + 20
                    && up.state,
                "the lab is not up as expected: {up:?}"
            );
            if let Err(e) = down_after_crash() {
                leaks.push(format!("kill {k}: down after the fresh up: {e}"));
            }
            let left = leftovers(&base);
            if !left.is_empty() {
                leaks.push(format!(
                    "kill {k}: after fresh up+down: {}",
                    left.join("; ")
                ));
                scrub(&base);
            }
        }
    }
    let mut report = format!(
        "crash phase {name}: {n} runs, {killed} killed mid-run ({while_starting} with responders running; run {run:?}), {} leak(s), {:.1}s\n",
        leaks.len(),
        started.elapsed().as_secs_f64()
    );
    for l in &leaks {
        report.push_str(&format!("  LEAK {l}\n"));
    }
    print!("{report}");
    // The sandbox's output is shown only on failure: a soak run names a
    // file (outside the sandbox's /run) to collect the figures in.
    if let Some(path) = std::env::var_os("NSLAB_CRASH_REPORT") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = f.write_all(report.as_bytes());
        }
    }
    assert!(
        leaks.is_empty(),
        "{name}: {} leak(s):\n{}",
        leaks.len(),
        leaks.join("\n")
    );
    assert!(
        killed * 2 >= n,
        "{name}: only {killed} of {n} runs were killed mid-run"
    );
}

#[test]
fn up_killed_at_any_moment_then_down_leaves_nothing() {
    if !sandbox("up_killed_at_any_moment_then_down_leaves_nothing") {
        return;
    }
    let f = write("a.yaml", &topology(false));
    let run = measure(&["up", &f], &["down", LAB], &[]);
    let serves = topology(false).matches("serve:").count();
    phase("up", &["up", &f], &[], kills(20), run, true, Some(serves));
}

#[test]
fn down_killed_at_any_moment_then_down_leaves_nothing() {
    if !sandbox("down_killed_at_any_moment_then_down_leaves_nothing") {
        return;
    }
    let f = write("a.yaml", &topology(false));
    let run = measure(&["down", LAB], &[], &["up", &f]);
    phase(
        "down",
        &["down", LAB],
        &[&["up", &f]],
        kills(10),
        run,
        false,
        None,
    );
}

#[test]
fn reconcile_up_killed_at_any_moment_then_down_leaves_nothing() {
    if !sandbox("reconcile_up_killed_at_any_moment_then_down_leaves_nothing") {
        return;
    }
    let a = write("a.yaml", &topology(false));
    let b = write("b.yaml", &topology(true));
    let run = measure(&["up", &b], &["down", LAB], &["up", &a]);
    let serves = topology(true).matches("serve:").count();
    phase(
        "reconcile",
        &["up", &b],
        &[&["up", &a]],
        kills(10),
        run,
        false,
        Some(serves),
    );
}
