//! `check` and `ping`: run the probes of [`crate::check`] and print what
//! they saw, one line each (or JSON, or a JUnit file).

use super::labs::loaded_lab;
use super::load::Loaded;
use super::{bad_input, fail, Exit};
use crate::check::{self, junit, Check, Outcome, Pinged};
use std::path::Path;
use std::time::Duration;

fn print_results(results: &[(Check, Outcome)]) {
    let colour = super::term::colour_stdout();
    for (c, o) in results {
        let mark = if o.pass {
            super::term::paint(colour, "32", "✓")
        } else {
            super::term::paint(colour, "31", "✗")
        };
        let ms = o.took.as_secs_f64() * 1000.0;
        if o.pass && c.within.is_none() {
            println!("  {mark} {:<60} {ms:>7.1}ms", c.text);
        } else {
            println!("  {mark} {:<60} {ms:>7.1}ms  {}", c.text, o.seen);
        }
    }
}

/// Run the lab's checks.
pub(crate) fn check_results(l: &Loaded) -> Result<Vec<(Check, Outcome)>, Exit> {
    check::run(&l.topology, &l.desired).map_err(fail)
}

/// Run the lab's checks and print them; `Exit::Failed` when any fails.
pub(crate) fn run_checks(l: &Loaded, junit_path: Option<&Path>, json: bool) -> Exit {
    let results = match check_results(l) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let failed = results.iter().filter(|(_, o)| !o.pass).count();
    if json {
        println!("{}", super::json::checks(&results));
    } else {
        print_results(&results);
        println!("{} passed, {} failed", results.len() - failed, failed);
    }
    if failed > 0 && !nslab_sys::sandbox::is_root() {
        eprintln!("{}", super::ROOT_HINT);
    }
    if let Some(p) = junit_path {
        if let Err(e) = std::fs::write(p, junit::render(&l.desired.lab, &results)) {
            return fail(format!("cannot write {}: {e}", p.display()));
        }
    }
    if failed > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    }
}

/// `nslab check LAB`.
pub(crate) fn check_cmd(lab: &str, junit_path: Option<&Path>, json: bool) -> Exit {
    match loaded_lab(lab) {
        Ok(l) => run_checks(&l, junit_path, json),
        Err(e) => e,
    }
}

/// One line (or JSON row) for a pinged pair.
fn ping_row(p: &Pinged, json: bool) -> Option<serde_json::Value> {
    let (s, t, ip) = (&p.from, &p.to, &p.address);
    match &p.result {
        Ok(st) => {
            let ms = |d: Option<Duration>| {
                d.map(|d| format!("{:.3}", d.as_secs_f64() * 1000.0))
                    .unwrap_or_else(|| "-".into())
            };
            if json {
                return Some(
                    serde_json::json!({"from": s, "to": t, "address": ip, "sent": st.sent, "received": st.received, "loss": st.loss(), "rtt_avg_ms": st.avg().map(super::json::ms)}),
                );
            }
            println!(
                "  {} {s} -> {t} ({ip}): {}/{} received, {:.0}% loss, rtt min/avg/max {}/{}/{} ms",
                if st.success() { "✓" } else { "✗" },
                st.received,
                st.sent,
                st.loss() * 100.0,
                ms(st.min()),
                ms(st.avg()),
                ms(st.max())
            );
        }
        Err(e) => {
            if json {
                return Some(
                    serde_json::json!({"from": s, "to": t, "address": ip, "error": e.to_string()}),
                );
            }
            println!("  ✗ {s} -> {t} ({ip}): {e}");
        }
    }
    None
}

/// `nslab ping LAB [FROM [TO]]`: ICMP echo between nodes' first addresses.
pub(crate) fn ping_cmd(lab: &str, from: Option<&str>, to: Option<&str>, json: bool) -> Exit {
    let l = match loaded_lab(lab) {
        Ok(l) => l,
        Err(e) => return e,
    };
    let pinged = match check::ping(&l.desired, from, to) {
        Ok(p) => p,
        Err(e @ check::CheckError::NoNode { .. }) => return bad_input(e),
        Err(e) => return fail(e),
    };
    if pinged.is_empty() {
        return fail(format!(
            "nothing to ping: no node of lab {} that was asked for has an address (give an interface `addresses:`)",
            l.desired.lab
        ));
    }
    let rows: Vec<_> = pinged.iter().filter_map(|p| ping_row(p, json)).collect();
    if json {
        println!("{}", serde_json::Value::Array(rows));
    }
    let any_fail = pinged
        .iter()
        .any(|p| p.result.as_ref().map_or(true, |st| !st.success()));
    if any_fail {
        if !nslab_sys::sandbox::is_root() {
            eprintln!("{}", super::ROOT_HINT);
        }
        Exit::Failed
    } else {
        Exit::Ok
    }
}
