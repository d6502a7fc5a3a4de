//! Every `--json` report is one JSON value, in the shape docs/json.md
//! documents: no key in the output that the document's example for that
//! command does not show (maps keyed by names, `nodes`, `links`,
//! `sysctls`, `env`, count as one key `*`; the data of an operation, a NAT rule's
//! matches and action and an impairment are not walked into).

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const NAMED: &[&str] = &["nodes", "links", "sysctls", "env"];
const OPAQUE: &[&str] = &["op", "matches", "action", "impair"];

fn paths(v: &Value, prefix: &str, named: bool, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let seg = if named { "*" } else { k.as_str() };
                let p = format!("{prefix}.{seg}");
                out.insert(p.clone());
                if !OPAQUE.contains(&k.as_str()) {
                    paths(child, &p, NAMED.contains(&k.as_str()) && !named, out);
                }
            }
        }
        Value::Array(items) => {
            for i in items {
                paths(i, &format!("{prefix}[]"), false, out);
            }
        }
        _ => {}
    }
}

/// The key paths of the examples in docs/json.md's section for `command`.
fn documented(command: &str) -> BTreeSet<String> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json.md"))
        .expect("docs/json.md");
    let head = format!("## `nslab {command}");
    let start = doc
        .find(&head)
        .unwrap_or_else(|| panic!("no section {head}"));
    let body = &doc[start + head.len()..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    let mut out = BTreeSet::new();
    for block in body.split("```json\n").skip(1) {
        let json = block.split("```").next().expect("block");
        let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{command}: {e}"));
        paths(&v, "", false, &mut out);
    }
    assert!(
        !out.is_empty() || body.contains("```json"),
        "{command}: no example"
    );
    out
}

/// Run `nslab ARGS` and require one JSON value on stdout, in the shape of
/// `command`'s section, and the exit status `code`.
fn report(command: &str, args: &[&str], code: i32) -> Value {
    let o = nslab(args);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(code),
        "nslab {}: {}",
        args.join(" "),
        text(&o)
    );
    let v: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("nslab {}: not one JSON value ({e}):\n{out}", args.join(" ")));
    let mut got = BTreeSet::new();
    paths(&v, "", false, &mut got);
    let doc = documented(command);
    let undocumented: Vec<_> = got.difference(&doc).collect();
    assert!(
        undocumented.is_empty(),
        "nslab {}: keys not in docs/json.md: {undocumented:?}\n{out}",
        args.join(" ")
    );
    // Durations: milliseconds to the microsecond, no float noise.
    for num in out.split(['[', ',', ':', '{']).filter(|w| w.contains('.')) {
        let num = num.trim_end_matches([']', '}']);
        if num.parse::<f64>().is_ok() {
            let decimals = num.split('.').nth(1).map_or(0, str::len);
            assert!(decimals <= 3, "float noise in {num}: {out}");
        }
    }
    v
}

#[test]
fn every_report_is_one_documented_json_value() {
    if !sandbox("every_report_is_one_documented_json_value") {
        return;
    }
    let docker = examples().join("docker-bridge.yaml");
    let file = docker.to_str().expect("utf-8");
    let bad = write("bad.yaml", "lab: bad\nnodes:\n  a: { colour: red }\n");
    report("validate", &["validate", file, "--json"], 0);
    let v = report("validate", &["validate", &bad, "--json"], 2);
    assert_eq!(v["problems"][0]["code"], "nslab::unknown-key", "{v}");
    let v = report("up", &["up", file, "--check", "--json"], 0);
    assert!(
        v["operations"].as_array().is_some_and(|o| !o.is_empty()),
        "{v}"
    );
    assert!(v["checks"].as_array().is_some_and(|c| c.len() >= 5), "{v}");
    report("up", &["up", file, "--json"], 0);
    let v = report("plan", &["plan", file, "--json"], 0);
    assert_eq!(v["operations"], serde_json::json!([]), "{v}");
    let v = report("ls", &["ls", "--json"], 0);
    assert_eq!(v[0]["health"], "ok", "{v}");
    let v = report("show", &["show", "docker", "--json"], 0);
    let link = &v["nodes"]["docker"]["links"]["docker0"];
    let mac = link["mac"].as_str().expect("mac is a string");
    assert!(
        mac.len() == 17 && mac.split(':').all(|b| u8::from_str_radix(b, 16).is_ok()),
        "{mac}"
    );
    assert_eq!(link["addresses"][0], "172.17.0.1/16", "{link}");
    report("check", &["check", "docker", "--json"], 0);
    let v = report("ping", &["ping", "docker", "nginx", "gitlab", "--json"], 0);
    assert_eq!(v[0]["received"], 3, "{v}");
    let v = report("down", &["down", "docker", "--json"], 0);
    assert_eq!(v["was_up"], true, "{v}");
    let v = report("down", &["down", "docker", "--json"], 0);
    assert_eq!(v["was_up"], false, "{v}");
    assert_nothing_left("docker");
}
