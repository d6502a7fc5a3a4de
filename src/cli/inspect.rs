//! `show` and `graph`: how a lab is.

use super::labs::{lab_and_node, lab_name, not_up};
use super::load;
use super::{fail, show, Exit};
use crate::host::linux::Linux;
use crate::host::Host;
use crate::lab;
use crate::record;
use nslab_sys::statedir::StateDir;
use std::path::Path;

pub(super) fn show_lab(lab: &str, node: Option<&str>, json: bool) -> Exit {
    let (name, rec) = match lab_and_node(lab, node) {
        Ok(found) => found,
        Err(e) => return e,
    };
    let scope = lab::scope_of_record(&name, &rec);
    let mut host = Linux::new(&name);
    let state = match host.observe(&scope) {
        Ok(s) => s,
        Err(e) => return super::fail_unless_root(e),
    };
    let mut nodes = scope.nodes.clone();
    nodes.retain(|(n, _)| node.is_none_or(|x| x == n));
    let bridges = match crate::host::bridges::bridges(&name, &nodes) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    if json {
        let nodes: serde_json::Map<_, _> = state
            .nodes
            .iter()
            .filter(|(n, _)| node.is_none_or(|x| x == *n))
            .map(|(n, s)| {
                let mut v = serde_json::to_value(s).unwrap_or_default();
                // The files' bytes are not shown; `files` below says how they are.
                if let Some(o) = v.as_object_mut() {
                    o.remove("fs");
                }
                let host = super::show_fs::of(&name, n, s.netns.as_deref());
                if let (Some(o), Ok(serde_json::Value::Object(h))) =
                    (v.as_object_mut(), serde_json::to_value(&host))
                {
                    o.extend(h);
                }
                (n.clone(), v)
            })
            .collect();
        let bridges = serde_json::to_value(&bridges).unwrap_or_default();
        let faults = super::faults::json(&rec);
        let containers: serde_json::Map<_, _> = containers(&rec, node)
            .into_iter()
            .map(|(n, (c, image, state))| {
                let v = serde_json::json!({"name": c, "image": image, "state": state});
                (n, v)
            })
            .collect();
        let mut v = serde_json::json!({"lab": name, "nodes": nodes, "bridges": bridges, "faults": faults, "containers": containers});
        super::json::tidy(&mut v);
        println!("{v}");
    } else {
        let extra = |n: &str, s: &crate::state::NodeState| {
            super::show_fs::render(&super::show_fs::of(&name, n, s.netns.as_deref()))
        };
        print!("{}", show::render_with(&state, node, &extra));
        print!("{}", super::show_bridge::render(&name, &bridges));
        for (p, running) in crate::services::status(&mut host, &rec, node) {
            println!(
                "{}: pid {} {running}: {}",
                p.node,
                p.pid,
                p.what.replacen("__serve", "serve", 1)
            );
        }
        for (n, (c, image, state)) in containers(&rec, node) {
            println!("{n}: image {image}, container {c} {state}");
        }
        super::faults::show(&rec, node);
    }
    Exit::Ok
}

/// The image nodes' containers (of `node` only, when given): node ->
/// (container, image, state).
fn containers(
    rec: &record::Record,
    node: Option<&str>,
) -> std::collections::BTreeMap<String, (String, String, String)> {
    let mut c = crate::services::containers::states(&mut Linux::new(&rec.lab), rec);
    c.retain(|n, _| node.is_none_or(|x| x == n));
    c
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
