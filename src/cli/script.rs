//! `nslab plan --script`: the lab as a shell script, from its file alone
//! (planned against an empty machine, so it needs no root and reads no
//! kernel): `up` makes the whole lab, `down` removes it.

use super::load;
use super::Exit;
use crate::plan;
use crate::state::State;

pub(super) fn script_cmd(lab: Option<&str>) -> Exit {
    let loaded = match super::lifecycle::plan_loaded(lab) {
        Ok(l) => l,
        Err(e) => return e,
    };
    let desired = &loaded.desired;
    let empty = State {
        lab: desired.lab.clone(),
        ..Default::default()
    };
    let up = plan::plan(desired, &empty);
    let down = plan::plan(&empty, desired);
    let notes = left_out(&loaded);
    print!(
        "{}",
        plan::script(&desired.lab, &loaded.source.to_string(), &up, &down, &notes)
    );
    Exit::Ok
}

/// What of this lab the script leaves to nslab, one comment line each.
fn left_out(loaded: &load::Loaded) -> Vec<String> {
    let t = &loaded.topology;
    let mut out = Vec::new();
    for (name, node) in &t.nodes {
        let netns = t.netns_of(name);
        if !node.serve.is_empty() {
            let ports: Vec<String> = node
                .serve
                .iter()
                .map(|s| format!("{}/{}", s.proto, s.port))
                .collect();
            out.push(format!(
                "node {name}: `serve: [{}]` (nslab's responder)",
                ports.join(", ")
            ));
        }
        for argv in &node.run {
            let at = match &netns {
                Some(ns) => format!("ip netns exec {ns} "),
                None => String::new(),
            };
            out.push(format!("node {name}: `run:` {at}{} &", argv.join(" ")));
        }
        // A host name the file gives (every node has its own name
        // otherwise, which nslab sets too).
        if let (Some(h), Some(_)) = (&node.hostname, &netns) {
            out.push(format!("node {name}: `hostname: {h}`"));
        }
    }
    if !t.expect.is_empty() {
        out.push(format!(
            "{} `expect:` check(s) (`nslab check`)",
            t.expect.len()
        ));
    }
    if !t.scenarios.is_empty() {
        out.push(format!("{} scenario(s) (`nslab test`)", t.scenarios.len()));
    }
    out
}
