//! `ls`, `show` and `graph`: what is up, and how it is.

use super::commands::{lab_name, not_up, record_of};
use super::load;
use super::{fail, show, Exit};
use crate::host::linux::Linux;
use crate::host::Host;
use crate::lab;
use crate::record;
use nslab_sys::netns;
use nslab_sys::statedir::StateDir;
use std::path::Path;

/// One lab as `ls` lists it: name, nodes, nodes present, health, source.
type Row = (String, usize, usize, String, String);

/// Every lab that is up: by its state directory, or by the marks on its
/// namespaces when it has no record.
fn rows() -> Vec<Row> {
    let labs = StateDir::list_labs().unwrap_or_default();
    let marked = lab::marked_namespaces();
    let mut rows = Vec::new();
    for lab in &labs {
        let looked = StateDir::find(lab)
            .map_err(|e| e.to_string())
            .and_then(|d| {
                d.map(|d| lab::look(&d).map_err(|e| e.to_string()))
                    .transpose()
            });
        let rec = match looked {
            Ok(Some(lab::Recorded::Found(r))) => r,
            // No record: listed below if its namespaces carry its mark.
            Ok(None | Some(lab::Recorded::Missing)) => continue,
            Ok(Some(lab::Recorded::Unreadable(why))) | Err(why) => {
                let n = marked.get(lab).map_or(0, Vec::len);
                rows.push((
                    lab.clone(),
                    n,
                    n,
                    format!("record unreadable ({why}); `nslab down {lab}` removes the lab by its marks"),
                    String::new(),
                ));
                continue;
            }
        };
        let total = rec.nodes.len();
        let present = rec
            .nodes
            .values()
            .filter(|ns| ns.as_deref().is_none_or(netns::exists))
            .count();
        let health = if rec.incomplete {
            "incomplete (an up was interrupted: run up again or down)"
        } else if present == total {
            "ok"
        } else {
            "degraded (namespaces missing)"
        };
        rows.push((lab.clone(), total, present, health.to_string(), rec.source));
    }
    // Labs whose namespaces carry their mark but whose record is gone.
    for (lab, namespaces) in marked {
        if !rows.iter().any(|r| r.0 == lab) {
            let n = namespaces.len();
            rows.push((
                lab,
                n,
                n,
                "no record (remove it with `nslab down`)".to_string(),
                String::new(),
            ));
        }
    }
    rows
}

pub(super) fn ls(json: bool) -> Exit {
    let rows = rows();
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|(lab, total, present, health, source)| {
                serde_json::json!({"lab": lab, "nodes": total, "present": present, "health": health, "source": source})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else if rows.is_empty() {
        println!("no labs are up");
    } else {
        println!("{:<13} {:>5}  {:<10} source", "lab", "nodes", "health");
        for (lab, total, _, health, source) in rows {
            println!("{lab:<13} {total:>5}  {health:<10} {source}");
        }
    }
    Exit::Ok
}

pub(super) fn show_lab(lab: &str, node: Option<&str>, json: bool) -> Exit {
    let name = match lab_name(lab) {
        Ok(n) => n,
        Err(e) => return e,
    };
    let rec = match record_of(&name) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if let Some(n) = node {
        if !rec.nodes.contains_key(n) {
            return fail(format!(
                "lab {name} has no node {n}; its nodes: {}",
                rec.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let scope = lab::scope_of_record(&name, &rec);
    let mut host = Linux::new(&name);
    let state = match host.observe(&scope) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if json {
        let nodes: serde_json::Map<_, _> = state
            .nodes
            .iter()
            .filter(|(n, _)| node.is_none_or(|x| x == *n))
            .map(|(n, s)| (n.clone(), serde_json::to_value(s).unwrap_or_default()))
            .collect();
        let faults = super::faults::json(&rec);
        println!(
            "{}",
            serde_json::json!({"lab": name, "nodes": nodes, "faults": faults})
        );
    } else {
        print!("{}", show::render(&state, node));
        for (p, running) in crate::services::status(&rec, node) {
            println!(
                "{}: pid {} {running}: {}",
                p.node,
                p.pid,
                p.what.replacen("__serve", "serve", 1)
            );
        }
        super::faults::show(&rec, node);
    }
    Exit::Ok
}

/// `graph`: from a file (no root, no kernel) or a lab that is up.
pub(super) fn graph(lab: &str, format: super::graph::Format) -> Exit {
    let p = Path::new(lab);
    let loaded = if p.is_file() {
        load::from_file(p)
    } else {
        let name = match lab_name(lab) {
            Ok(n) => n,
            Err(e) => return e,
        };
        let dir = match StateDir::find(&name) {
            Ok(Some(d)) => d,
            Ok(None) => return not_up(&name),
            Err(e) => return fail(e),
        };
        match dir.read(record::TOPOLOGY) {
            Ok(Some(b)) => load::parse(&name, &String::from_utf8_lossy(&b)),
            Ok(None) => return not_up(&name),
            Err(e) => return fail(e),
        }
    };
    match loaded {
        Ok(l) => {
            print!("{}", super::graph::render(&l.desired, format));
            Exit::Ok
        }
        Err(e) => e,
    }
}
