//! The command line without a kernel: validation of good and bad files,
//! exit statuses, `plan --offline`.

mod common;
use common::*;

fn invalid_files() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(fixtures().join("invalid"))
        .expect("tests/fixtures/invalid")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .collect();
    v.sort();
    v
}

/// `validate` on each malformed file exits 2 and points at file:line:col
/// with a hint.
#[test]
fn every_malformed_file_is_rejected_with_a_location_and_a_hint() {
    let files = invalid_files();
    assert!(files.len() >= 20, "only {} malformed fixtures", files.len());
    for f in files {
        let p = f.to_str().expect("utf-8 path");
        let o = nslab(&["validate", p]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{p}:\n{t}");
        let located = t.lines().any(|l| {
            l.strip_prefix(p)
                .and_then(|rest| rest.strip_prefix(':'))
                .is_some_and(|rest| {
                    let mut it = rest.splitn(3, ':');
                    let line = it.next().and_then(|x| x.parse::<u32>().ok());
                    let col = it.next().and_then(|x| x.parse::<u32>().ok());
                    line.is_some_and(|l| l > 0) && col.is_some_and(|c| c > 0)
                })
        });
        assert!(located, "{p}: no file:line:col in\n{t}");
        assert!(t.contains("help:"), "{p}: no hint in\n{t}");
    }
}

/// `up` on a malformed file exits 2 and creates nothing.
#[test]
fn up_on_a_malformed_file_changes_nothing() {
    if !sandbox("up_on_a_malformed_file_changes_nothing") {
        return;
    }
    for f in invalid_files() {
        let p = f.to_str().expect("utf-8 path");
        let o = nslab(&["up", p]);
        assert_eq!(o.status.code(), Some(2), "{p}:\n{}", text(&o));
        let netns: Vec<_> = std::fs::read_dir("/run/netns")
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        assert!(netns.is_empty(), "{p} created namespaces");
        let state: Vec<_> = std::fs::read_dir("/run/nslab")
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        assert!(state.is_empty(), "{p} wrote state");
    }
}

#[test]
fn every_example_validates() {
    let mut n = 0;
    for e in std::fs::read_dir(examples()).expect("examples").flatten() {
        let p = e.path();
        let p = p.to_str().expect("utf-8 path");
        nslab_ok(&["validate", p], 0);
        n += 1;
    }
    assert!(n >= 9, "only {n} examples");
}

#[test]
fn plan_offline_reads_like_ip_commands() {
    let path = examples().join("bridge.yaml");
    let out = nslab_ok(&["plan", "--offline", path.to_str().expect("utf-8")], 0);
    for line in [
        "ip netns add bridge-net1",
        "ip -n bridge-sw link add name js type bridge",
        "ip -n bridge-net1 addr add 10.0.1.1/24 dev eth1",
        "ip -n bridge-sw link set veth1 master js",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(line)),
            "missing `{line}` in\n{out}"
        );
    }
    let o = nslab(&[
        "plan",
        "--offline",
        "--exit-code",
        path.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(3), "an empty machine needs changes");
}

#[test]
fn unknown_command_and_missing_file_are_bad_input() {
    assert_eq!(
        nslab(&["validate", "/nonexistent/lab.yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(nslab(&["frobnicate"]).status.code(), Some(2));
}

/// `validate --json`: the problems as data, with their codes and places.
#[test]
fn validate_json_lists_problems_with_places() {
    let bad = fixtures().join("invalid").join("master-not-bridge.yaml");
    let o = nslab(&["validate", "--json", bad.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["ok"], false);
    let p = &v["problems"][0];
    assert_eq!(
        (p["line"].as_u64(), p["column"].as_u64()),
        (Some(6), Some(32)),
        "{v}"
    );
    assert_eq!(p["code"], "nslab::master-not-bridge");
    assert!(p["hint"].as_str().is_some_and(|h| !h.is_empty()));
    let good = examples().join("bridge.yaml");
    let o = nslab(&["validate", "--json", good.to_str().expect("utf-8")]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(
        (v["ok"].as_bool(), v["lab"].as_str()),
        (Some(true), Some("bridge"))
    );
}

/// The README's "file, in short" is a valid lab (so it can be copied).
#[test]
fn the_readme_example_validates() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("README");
    let start = readme.find("## The file, in short").expect("section");
    let body = &readme[start..];
    let yaml_start = body.find("```yaml\n").expect("yaml block") + "```yaml\n".len();
    let yaml_end = yaml_start + body[yaml_start..].find("```").expect("end of block");
    let dir = std::env::temp_dir().join(format!("nslab-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let f = dir.join("readme.yaml");
    std::fs::write(&f, &body[yaml_start..yaml_end]).expect("write");
    let o = nslab(&["validate", f.to_str().expect("utf-8")]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// A file past the 4 MiB bound (sparse 100 MB, `/dev/zero`) is refused
/// quickly, naming the file and the limit, by `validate`, `validate --json`
/// and `plan --offline`.
#[test]
fn a_huge_or_endless_file_is_refused_with_the_limit() {
    let dir = std::env::temp_dir().join(format!("nslab-huge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let big = dir.join("big.yaml");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(100 << 20).expect("sparse file");
    drop(f);
    for path in [big.to_str().expect("utf-8"), "/dev/zero"] {
        for args in [vec!["validate", path], vec!["plan", "--offline", path]] {
            let start = std::time::Instant::now();
            let o = nslab(&args);
            let t = text(&o);
            assert!(
                start.elapsed() < std::time::Duration::from_secs(5),
                "{args:?}"
            );
            assert_eq!(o.status.code(), Some(2), "{args:?}: {t}");
            assert!(t.contains(path) && t.contains("4 MiB"), "{args:?}: {t}");
        }
        let o = nslab(&["validate", "--json", path]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        assert_eq!(v["problems"][0]["code"], "nslab::too-large", "{v}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `run:` programs are checked on this machine as `execvp` would find
/// them: a missing path, a name not on PATH, a directory or a file without
/// `x` is bad input (exit 2, at its entry); an installed one passes.
#[test]
fn run_programs_are_checked_on_this_machine() {
    let dir = std::env::temp_dir().join(format!("nslab-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let f = dir.join("lab.yaml");
    let write = |run: &str| {
        std::fs::write(
            &f,
            format!("lab: r\nnodes:\n  h1:\n    run:\n      - {run}\n"),
        )
        .expect("write");
    };
    let p = f.to_str().expect("utf-8");
    let plain = dir.join("not-executable");
    std::fs::write(&plain, "#!/bin/sh\n").expect("write");
    let plain = plain.to_str().expect("utf-8").to_string();
    for bad in [
        "/nonexistent/prog",
        "nslab-no-such-program-here",
        "/etc",
        plain.as_str(),
    ] {
        write(bad);
        let o = nslab(&["validate", p]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{bad}: {t}");
        assert!(t.contains(&format!("{p}:5:9:")), "{bad}: {t}");
        assert!(t.contains("help:"), "{bad}: {t}");
    }
    for good in ["sleep 1", "/bin/sh -c true", "env"] {
        write(good);
        let o = nslab(&["validate", p]);
        assert_eq!(o.status.code(), Some(0), "{good}: {}", text(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
