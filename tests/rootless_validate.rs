//! `nslab validate --rootless`: what a lab without root cannot have is
//! refused at its place with the reason (status 2, as every bad input),
//! `--json` gives the same refusals as problems, and every example is
//! accepted or refused as its text says. The examples it accepts are
//! printed: the rootless CI lane picks its examples with this command.

mod common;
use common::*;
use std::path::PathBuf;

/// A file under the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, text: &str) -> TempFile {
        let p = std::env::temp_dir().join(format!("nslab-rootless-{}-{name}", std::process::id()));
        std::fs::write(&p, text).expect("write test file");
        TempFile(p)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Each refused thing: the file, where its refusal is and a word of the
/// reason. (A `physical` interface is refused too, at its `kind:`; the
/// model's test has it, since here the interface must exist on the
/// machine first.)
const REFUSED: &[(&str, &str, u32, u32, &str)] = &[
    (
        "host",
        "lab: l\nnodes:\n  h: { kind: host }\n",
        3,
        14,
        "kind: host",
    ),
    (
        "global",
        "lab: l\nnodes:\n  a:\n    sysctls: { net.ipv4.tcp_mem: 1 2 3 }\n",
        4,
        16,
        "not per namespace",
    ),
    (
        "readonly",
        "lab: l\nnodes:\n  a:\n    sysctls:\n      net.netfilter.nf_conntrack_max: 1000\n",
        5,
        7,
        "read-only",
    ),
    (
        "hidden",
        "lab: l\nnodes:\n  a:\n    sysctls:\n      net.ipv6.route.mtu_expires: 600\n",
        5,
        7,
        "not shown",
    ),
];

#[test]
fn each_refusal_at_its_place_with_the_reason_plain_and_json() {
    for (name, body, line, col, word) in REFUSED {
        let f = TempFile::new(name, body);
        // Valid as it is with root.
        nslab_ok(&["validate", f.path()], 0);
        let out = nslab_ok(&["validate", "--rootless", f.path()], 2);
        let at = format!("{}:{line}:{col}: ", f.path());
        let refusal = out.lines().find(|l| l.starts_with(&at));
        assert!(
            refusal.is_some_and(|l| l.contains(word)),
            "{name}: no `{at}…{word}` in\n{out}"
        );
        assert!(out.contains("help: "), "{name}: no hint in\n{out}");

        let o = nslab(&["validate", "--rootless", "--json", f.path()]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let problems = v["problems"].as_array().expect("problems");
        assert_eq!(problems.len(), 1, "{name}: {v}");
        let p = &problems[0];
        assert_eq!(p["code"], "nslab::rootless", "{name}: {v}");
        assert_eq!(
            (p["line"].as_u64(), p["column"].as_u64()),
            (Some(u64::from(*line)), Some(u64::from(*col))),
            "{name}: {v}"
        );
        assert!(p["message"].as_str().is_some_and(|m| m.contains(word)));
        assert!(p["hint"].as_str().is_some_and(|h| !h.is_empty()));
    }
}

/// A `physical` interface this machine lacks: refused for needing root,
/// not reported missing (one run says all a lab without root needs).
#[test]
fn a_physical_interface_is_refused_even_where_the_machine_lacks_it() {
    let body =
        "lab: l\nnodes:\n  a:\n    interfaces:\n      eth0: { kind: physical, from: nslabnone0 }\n";
    let f = TempFile::new("physical", body);
    let out = nslab_ok(&["validate", f.path()], 2);
    assert!(out.contains("nslabnone0"), "{out}");
    let o = nslab(&["validate", "--rootless", "--json", f.path()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let p = &v["problems"];
    assert_eq!(p.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(p[0]["code"], "nslab::rootless", "{v}");
    assert_eq!(
        (p[0]["line"].as_u64(), p[0]["column"].as_u64()),
        (Some(5), Some(21)),
        "{v}"
    );
    assert!(
        p[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("CAP_NET_ADMIN")),
        "{v}"
    );
    let out = nslab_ok(&["validate", "--rootless", f.path()], 2);
    assert!(out.contains(&format!("{}:5:21: ", f.path())), "{out}");
}

/// What needs root, as the file's text says it: a host node, a physical
/// interface, an owner other than root. (An image node does not: its
/// image is looked for in the user's store at `up`, tests/rootless_images.rs.)
fn needs_root(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.split('#').next().unwrap_or("");
        let owner = l.split("owner:").nth(1).map(str::trim_start);
        let owned = owner.is_some_and(|o| !o.starts_with("root") && !o.starts_with('0'));
        l.contains("kind: host") || l.contains("kind: physical") || owned
    })
}

/// Whoever runs the test has no subordinate ids here: empty `/etc/subuid`
/// and `/etc/subgid` over the machine's, in the sandbox's mount namespace
/// (with them, an `owner:` inside the map is accepted:
/// tests/rootless_subids.rs).
fn without_subordinate_ids() {
    for f in ["/etc/subuid", "/etc/subgid"] {
        if std::path::Path::new(f).exists() {
            let empty = format!("/run/empty-{}", &f[5..]);
            std::fs::write(&empty, "").expect("an empty file");
            let out = sh(&format!("mount --bind {empty} {f} && echo mounted"));
            assert!(out.contains("mounted"), "{out}");
        }
    }
}

#[test]
fn every_example_accepted_unless_it_needs_root() {
    if !sandbox("every_example_accepted_unless_it_needs_root") {
        return;
    }
    without_subordinate_ids();
    let paths = example_files();
    let (mut accepted, mut refused) = (Vec::new(), Vec::new());
    for p in &paths {
        let text = std::fs::read_to_string(p).expect("example");
        let path = p.to_str().expect("utf-8 path");
        let o = nslab(&["validate", "--rootless", "--json", path]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or(path);
        if needs_root(&text) {
            assert_eq!(o.status.code(), Some(2), "{name}: {v}");
            let codes: Vec<_> = v["problems"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p["code"].clone())
                .collect();
            assert!(
                !codes.is_empty() && codes.iter().all(|c| c == "nslab::rootless"),
                "{name}: {v}"
            );
            refused.push(name.to_string());
        } else {
            assert_eq!(o.status.code(), Some(0), "{name}: {v}");
            assert_eq!(v["ok"], true, "{name}: {v}");
            accepted.push(name.to_string());
        }
    }
    println!("accepted without root: {}", accepted.join(" "));
    println!("refused without root: {}", refused.join(" "));
    assert!(accepted.len() >= 10, "only {accepted:?}");
    assert!(refused.contains(&"ospf.yaml".to_string()), "{refused:?}");
    assert!(
        accepted.contains(&"container-replicas.yaml".to_string()),
        "{accepted:?}"
    );
}
