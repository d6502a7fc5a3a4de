//! The kernel's state as `ip -j` and `nft` print it, one sorted line a
//! fact, for comparing two runs (what the kernel picks at random left
//! out).

use crate::common::text;
use serde_json::Value;
use std::process::Command;

/// The output of a command that must succeed.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {cmd}: {e}"));
    assert!(out.status.success(), "{cmd} {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ip [-n NS] ARGS` as JSON (an empty list when it prints nothing).
fn ip_json(ns: &str, args: &[&str]) -> Vec<Value> {
    let mut all = Vec::new();
    if !ns.is_empty() {
        all.extend(["-n", ns]);
    }
    all.push("-j");
    all.extend(args);
    let out = run("ip", &all);
    match serde_json::from_str::<Value>(&out) {
        Ok(Value::Array(v)) => v,
        _ => Vec::new(),
    }
}

fn s(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::Null => "-".to_string(),
        Value::String(x) => x.clone(),
        other => other.to_string(),
    }
}

/// Links of one namespace, without what the kernel picks (ifindexes,
/// random MACs).
fn links(ns: &str, out: &mut Vec<String>) {
    for l in ip_json(ns, &["-d", "link", "show"]) {
        let up = l["flags"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x == "UP"));
        out.push(format!(
            "{ns} link {} kind={} master={} mtu={} up={up} alias={}",
            s(&l, "ifname"),
            s(&l["linkinfo"], "info_kind"),
            s(&l, "master"),
            s(&l, "mtu"),
            s(&l, "ifalias"),
        ));
    }
}

/// Addresses, without link-local IPv6 (made from a random MAC).
fn addresses(ns: &str, out: &mut Vec<String>) {
    for l in ip_json(ns, &["addr", "show"]) {
        for a in l["addr_info"].as_array().into_iter().flatten() {
            let local = s(a, "local");
            if local.starts_with("fe80:") {
                continue;
            }
            out.push(format!(
                "{ns} addr {} {local}/{} scope={}",
                s(&l, "ifname"),
                s(a, "prefixlen"),
                s(a, "scope")
            ));
        }
    }
}

/// Routes of every table, with protocol and scope (the local routes of
/// link-local addresses left out, as those addresses).
fn routes(ns: &str, out: &mut Vec<String>) {
    for fam in ["-4", "-6"] {
        for r in ip_json(ns, &[fam, "route", "show", "table", "all"]) {
            let dst = s(&r, "dst");
            if dst.starts_with("fe80::") && dst != "fe80::/64" {
                continue;
            }
            out.push(format!(
                "{ns} route {dst} type={} via={} dev={} proto={} scope={} table={} metric={} src={}",
                s(&r, "type"),
                s(&r, "gateway"),
                s(&r, "dev"),
                s(&r, "protocol"),
                s(&r, "scope"),
                s(&r, "table"),
                s(&r, "metric"),
                s(&r, "prefsrc"),
            ));
        }
    }
}

/// What the kernel holds, every namespace and the sandbox's own (`-`),
/// one sorted line a fact.
pub fn dump() -> String {
    let mut names: Vec<String> = ip_json("", &["netns", "list"])
        .iter()
        .map(|n| s(n, "name"))
        .collect();
    names.sort();
    let mut out = vec![format!("namespaces {names:?}")];
    for ns in std::iter::once(String::new()).chain(names) {
        links(&ns, &mut out);
        addresses(&ns, &mut out);
        routes(&ns, &mut out);
        let nft = if ns.is_empty() {
            run("nft", &["list", "ruleset"])
        } else {
            run("ip", &["netns", "exec", &ns, "nft", "list", "ruleset"])
        };
        out.extend(nft.lines().map(|l| format!("{ns} nft {l}")));
    }
    let mut lines: Vec<String> = out
        .into_iter()
        .map(|l| match l.strip_prefix(' ') {
            Some(rest) => format!("-{rest}"),
            None => l,
        })
        .collect();
    lines.sort();
    lines.join("\n") + "\n"
}
