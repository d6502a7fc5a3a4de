//! `serve:` and `run:`: processes that live inside nodes between `up` and
//! `down`. Each runs in a process group of its own (so `down` stops its
//! children too) and is listed in the lab's record.

use crate::cli::Exit;
use crate::record::{self, Process, Record};
use crate::state::State;
use nslab_model::Topology;
use nslab_sys::statedir::StateDir;
use nslab_sys::{exec, netns};
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::os::fd::AsFd;
use std::process::Stdio;
use std::time::Duration;

/// What a node should be running: `serve tcp/80 udp/53` or `run: argv`.
fn wanted(t: &Topology, desired: &State) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (name, node) in &t.nodes {
        if !desired.nodes.contains_key(name.as_str()) {
            continue;
        }
        let services = &node.serve;
        if !services.is_empty() {
            let mut argv = vec!["__serve".to_string(), format!("{}/{}", t.lab, name)];
            argv.extend(services.iter().map(|s| format!("{}/{}", s.proto, s.port)));
            out.push((name.to_string(), argv));
        }
        for cmd in &node.run {
            out.push((name.to_string(), cmd.clone()));
        }
    }
    out
}

fn what(argv: &[String]) -> String {
    argv.join(" ")
}

fn alive(pid: i32) -> bool {
    // Signal 0 checks existence without touching the process.
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

/// Start what the file asks for and is not running; stop what runs but is
/// no longer asked for. Updates the record.
pub fn start(t: &Topology, desired: &State) -> Result<(), String> {
    let dir = StateDir::open(t.lab.as_str()).map_err(|e| e.to_string())?;
    let _lock = dir.lock().map_err(|e| e.to_string())?;
    let mut rec = match dir.read(record::FILE).map_err(|e| e.to_string())? {
        Some(b) => Record::from_json(&b).map_err(|e| e.to_string())?,
        None => Record::new(t.lab.as_str()),
    };
    let want = wanted(t, desired);
    let mut keep = Vec::new();
    for p in std::mem::take(&mut rec.processes) {
        let still = want
            .iter()
            .any(|(n, argv)| *n == p.node && what(argv) == p.what);
        if still && alive(p.pid) {
            keep.push(p);
        } else {
            exec::kill_group(p.pid, Duration::from_secs(2));
        }
    }
    rec.processes = keep;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the nslab binary: {e}"))?;
    for (i, (node, argv)) in want.iter().enumerate() {
        if rec
            .processes
            .iter()
            .any(|p| p.node == *node && p.what == what(argv))
        {
            continue;
        }
        let Some(Some(ns)) = desired.nodes.get(node).map(|n| n.netns.clone()) else {
            return Err(format!(
                "node {node}: `serve`/`run` need a node with a namespace of its own"
            ));
        };
        let fd = netns::open(&ns).map_err(|e| e.to_string())?;
        let is_serve = argv.first().map(String::as_str) == Some("__serve");
        let full: Vec<OsString> = if is_serve {
            std::iter::once(exe.clone().into_os_string())
                .chain(argv.iter().map(OsString::from))
                .collect()
        } else {
            argv.iter().map(OsString::from).collect()
        };
        let log = dir.log_path(node, i);
        let mut cmd = exec::spawn_in(fd.as_fd(), &full, &log).map_err(|e| e.to_string())?;
        if is_serve {
            cmd.stdout(Stdio::piped());
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("node {node}: cannot start `{}`: {e}", what(argv)))?;
        if is_serve {
            // The responder prints one line once its sockets are bound.
            let ready = child.stdout.take().map(|out| {
                let mut line = String::new();
                BufReader::new(out).read_line(&mut line).map(|_| line)
            });
            if !matches!(ready, Some(Ok(ref l)) if l.starts_with("ready")) {
                let _ = child.kill();
                let _ = child.wait();
                let log_text = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!(
                    "node {node}: the responder did not start: {}",
                    log_text.trim()
                ));
            }
        }
        let pid = i32::try_from(child.id()).map_err(|e| e.to_string())?;
        rec.processes.push(Process {
            node: node.clone(),
            pid,
            what: what(argv),
        });
        // The child is reaped by init once nslab exits; `down` stops it.
        std::mem::forget(child);
    }
    dir.write_atomic(record::FILE, &rec.to_json())
        .map_err(|e| e.to_string())
}

/// Stop every process the record lists (and their process groups).
pub fn stop_all(rec: &Record) {
    for p in &rec.processes {
        exec::kill_group(p.pid, Duration::from_secs(2));
    }
}

/// Processes of a node, for `show`.
pub fn show(rec: &Record, node: Option<&str>) {
    for p in &rec.processes {
        if node.is_none_or(|n| n == p.node) {
            let state = if alive(p.pid) { "running" } else { "exited" };
            println!(
                "{}: pid {} {state}: {}",
                p.node,
                p.pid,
                p.what.replacen("__serve", "serve", 1)
            );
        }
    }
}

/// `nslab __serve LABEL tcp/80 ...`: the built-in responder, run inside a
/// node by `up`.
pub fn serve_cli(label: &str, services: &[String]) -> Exit {
    let mut parsed = Vec::new();
    for s in services {
        match s.parse::<nslab_probe::Service>() {
            Ok(svc) => parsed.push((svc.proto, svc.port)),
            Err(e) => return crate::cli::fail(e),
        }
    }
    let responder = match nslab_probe::Responder::bind_current(label, &parsed) {
        Ok(r) => r,
        Err(e) => return crate::cli::fail(e),
    };
    // `up` waits for this line; nothing is written to stdout after it.
    println!("ready");
    match responder.wait() {
        Ok(never) => match never {},
        Err(e) => crate::cli::fail(e),
    }
}
