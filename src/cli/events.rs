//! `nslab events LAB [NODE] [--json] [--count N] [--timeout SECS]`: what
//! changes in a lab as it happens, one line per event — links added,
//! removed, up, down, carrier on and off; addresses and routes added and
//! removed; neighbours and bridge FDB entries learned — from every node
//! at once (`ip monitor` in each namespace, without polling), until
//! Ctrl-C or SIGTERM (status 0), `--count` events or `--timeout` seconds.

use super::labs::lab_and_node;
use super::{fail, Exit};
use crate::host::events::{LabEvent, Next, Watcher};
use crate::lab;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(super) fn run(
    lab: &str,
    node: Option<&str>,
    json: bool,
    count: Option<u64>,
    timeout: Option<u64>,
) -> Exit {
    let (name, rec) = match lab_and_node(lab, node) {
        Ok(found) => found,
        Err(e) => return e,
    };
    let mut nodes = lab::scope_of_record(&name, &rec).nodes;
    nodes.retain(|(n, _)| node.is_none_or(|x| x == n));
    let mut watcher = match Watcher::open(&name, &nodes) {
        Ok(w) => w,
        Err(e) => return fail(e),
    };
    // Not eprintln!: a closed stderr must not end the watch with a panic.
    let _ = writeln!(
        std::io::stderr(),
        "watching {} of {} node(s) of lab {name}; Ctrl-C stops",
        watcher.watched(),
        nodes.len()
    );
    let deadline = timeout.map(|s| Instant::now() + Duration::from_secs(s));
    let mut seen = 0u64;
    let stdout = std::io::stdout();
    while count.is_none_or(|c| seen < c) {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let events = match watcher.next(left) {
            Ok(Next::Events(evs)) => evs,
            Ok(Next::Stopped | Next::TimedOut) => break,
            Ok(Next::Ended) => {
                let why = "every node's namespace is gone";
                let _ = writeln!(std::io::stderr(), "lab {name} is down: {why}");
                break;
            }
            Err(e) => return fail(e),
        };
        let mut out = stdout.lock();
        for e in events
            .iter()
            .take(count.map_or(usize::MAX, |c| (c - seen) as usize))
        {
            seen += 1;
            if writeln!(out, "{}", line(e, SystemTime::now(), json)).is_err() {
                return Exit::Ok; // stdout closed (`| head`): done.
            }
        }
    }
    Exit::Ok
}

/// One event: `12:00:01.123456 net1: address added veth1 10.0.9.1/24`, or
/// its JSON object (the same fields, `unix_us` for the time).
fn line(e: &LabEvent, at: SystemTime, json: bool) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    if json {
        let mut v = serde_json::to_value(e).unwrap_or_default();
        v["unix_us"] = serde_json::json!(since.as_micros() as u64);
        return v.to_string();
    }
    let secs = since.as_secs() % 86400;
    let mut words = vec![e.kind.to_string(), e.action.clone()];
    words.extend(e.interface.clone());
    if !e.detail.is_empty() {
        words.push(e.detail.clone());
    }
    format!(
        "{:02}:{:02}:{:02}.{:06} {}: {}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        since.subsec_micros(),
        e.node,
        words.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::{Args, Command};
    use clap::Parser;

    #[test]
    fn flags_parse_and_a_node_is_optional() {
        let parse = |a: &[&str]| Args::try_parse_from([&["nslab", "events"], a].concat());
        let Ok(Args {
            command:
                Command::Events {
                    lab,
                    node,
                    json,
                    count,
                    timeout,
                },
        }) = parse(&["demo", "h1", "--json", "-c", "3", "--timeout", "5"])
        else {
            panic!("events did not parse");
        };
        assert_eq!((lab.as_str(), node.as_deref()), ("demo", Some("h1")));
        assert_eq!((json, count, timeout), (true, Some(3), Some(5)));
        assert!(matches!(
            parse(&["demo"]),
            Ok(Args {
                command: Command::Events {
                    node: None,
                    json: false,
                    count: None,
                    timeout: None,
                    ..
                }
            })
        ));
        assert!(parse(&[]).is_err(), "a lab is required");
        assert!(parse(&["demo", "-c", "x"]).is_err());
    }

    #[test]
    fn a_line_reads_left_to_right_and_json_has_the_same_fields() {
        let e = LabEvent {
            node: "net1".into(),
            kind: "address",
            action: "added".into(),
            interface: Some("veth1".into()),
            detail: "10.0.9.1/24".into(),
        };
        let at = UNIX_EPOCH + Duration::new(3600 + 62, 5_000);
        assert_eq!(
            line(&e, at, false),
            "01:01:02.000005 net1: address added veth1 10.0.9.1/24"
        );
        let v: serde_json::Value = serde_json::from_str(&line(&e, at, true)).expect("json");
        assert_eq!(v["node"], "net1");
        assert_eq!(v["kind"], "address");
        assert_eq!(v["action"], "added");
        assert_eq!(v["interface"], "veth1");
        assert_eq!(v["detail"], "10.0.9.1/24");
        assert_eq!(v["unix_us"], 3_662_000_005u64);
        let lost = LabEvent {
            interface: None,
            detail: String::new(),
            kind: "lost",
            action: "lost".into(),
            ..e
        };
        assert_eq!(line(&lost, at, false), "01:01:02.000005 net1: lost lost");
    }
}
