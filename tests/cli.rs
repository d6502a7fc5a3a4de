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

/// Every malformed fixture, the code of its (first) problem and where it
/// is: a fixture that fails for another reason than its own is caught.
const CORPUS: &[(&str, &str, u32, u32)] = &[
    ("empty.yaml", "nslab::empty", 1, 1),
    ("syntax-error.yaml", "nslab::syntax", 4, 16),
    ("unknown-key.yaml", "nslab::unknown-key", 5, 29),
    ("wrong-type.yaml", "nslab::wrong-type", 5, 33),
    ("missing-lab.yaml", "nslab::missing-key", 1, 1),
    ("missing-kind.yaml", "nslab::missing-key", 5, 7),
    ("vlan-id-range.yaml", "nslab::out-of-range", 6, 48),
    ("vni-range.yaml", "nslab::out-of-range", 5, 32),
    ("mtu-range.yaml", "nslab::out-of-range", 5, 33),
    ("prefix-length-range.yaml", "nslab::out-of-range", 5, 40),
    ("port-range.yaml", "nslab::out-of-range", 4, 21),
    ("node-name-invalid.yaml", "nslab::invalid-name", 3, 3),
    ("lab-name-too-long.yaml", "nslab::invalid-name", 1, 6),
    ("ifname-too-long.yaml", "nslab::invalid-name", 5, 7),
    ("invalid-cidr.yaml", "nslab::invalid-value", 5, 40),
    ("invalid-route.yaml", "nslab::invalid-value", 7, 17),
    ("duplicate-node.yaml", "nslab::duplicate-name", 5, 3),
    ("duplicate-interface.yaml", "nslab::duplicate-name", 13, 7),
    ("duplicate-netns.yaml", "nslab::duplicate-name", 6, 12),
    (
        "unknown-link-endpoint.yaml",
        "nslab::unknown-reference",
        5,
        15,
    ),
    ("unknown-parent.yaml", "nslab::unknown-reference", 5, 36),
    ("unknown-master.yaml", "nslab::unknown-reference", 5, 32),
    ("unknown-route-dev.yaml", "nslab::unknown-reference", 7, 38),
    ("unknown-reply-from.yaml", "nslab::unknown-reference", 7, 60),
    ("unknown-expect-node.yaml", "nslab::unknown-reference", 8, 5),
    ("master-not-bridge.yaml", "nslab::master-not-bridge", 6, 32),
    ("vrf-table-missing.yaml", "nslab::missing-key", 5, 7),
    ("vrf-table-reserved.yaml", "nslab::invalid-value", 5, 32),
    (
        "master-in-other-node.yaml",
        "nslab::master-not-bridge",
        9,
        32,
    ),
    ("duplicate-address.yaml", "nslab::duplicate-address", 8, 27),
    (
        "member-outside-subnet.yaml",
        "nslab::address-outside-subnet",
        9,
        22,
    ),
    ("member-is-gateway.yaml", "nslab::address-is-gateway", 9, 22),
    ("subnet-overlap.yaml", "nslab::subnet-overlap", 10, 13),
    ("via-unreachable.yaml", "nslab::via-unreachable", 7, 21),
    ("family-mismatch.yaml", "nslab::family-mismatch", 7, 25),
    ("passthru-shared.yaml", "nslab::passthru-shared", 7, 36),
    ("physical-missing.yaml", "nslab::physical-missing", 5, 39),
    ("endpoint-reused.yaml", "nslab::endpoint-reused", 8, 6),
    ("self-link.yaml", "nslab::self-link", 5, 15),
    ("kind-conflict.yaml", "nslab::kind-conflict", 5, 21),
    ("vxlan-destination.yaml", "nslab::vxlan-destination", 5, 63),
    ("bad-parent-bridge-port.yaml", "nslab::bad-parent", 8, 36),
    ("publish-twice.yaml", "nslab::port-conflict", 12, 24),
    (
        "forward-publish-conflict.yaml",
        "nslab::port-conflict",
        13,
        24,
    ),
    ("serve-twice.yaml", "nslab::port-conflict", 4, 29),
    ("two-default-routes.yaml", "nslab::duplicate-route", 10, 9),
    ("ifname-nul.yaml", "nslab::invalid-name", 5, 7),
    ("ifname-reserved.yaml", "nslab::invalid-name", 10, 21),
    ("ifname-default.yaml", "nslab::invalid-name", 6, 6),
    ("ifname-lo.yaml", "nslab::invalid-name", 6, 7),
    ("physical-lo.yaml", "nslab::invalid-name", 5, 39),
    ("vxlan-dev-control.yaml", "nslab::invalid-name", 5, 59),
    ("netns-nul.yaml", "nslab::invalid-name", 4, 12),
    ("run-missing.yaml", "nslab::program-missing", 6, 9),
    ("run-not-on-path.yaml", "nslab::program-missing", 5, 9),
    ("many-typos.yaml", "nslab::unknown-key", 5, 5),
    ("duplicate-key.yaml", "nslab::duplicate-name", 5, 39),
    ("deep-nesting.yaml", "nslab::too-large", 4, 42),
    ("alias-bomb.yaml", "nslab::too-large", 5, 232),
    ("lone-cr.yaml", "nslab::syntax", 2, 7),
    ("not-utf8.yaml", "nslab::syntax", 3, 4),
    ("subnet-exhausted.yaml", "nslab::subnet-exhausted", 11, 7),
    ("list-where-map.yaml", "nslab::wrong-type", 2, 8),
    ("serve-on-host.yaml", "nslab::invalid-value", 5, 13),
    ("expect-within-bad.yaml", "nslab::invalid-value", 7, 30),
    ("expect-check-and-from.yaml", "nslab::invalid-value", 7, 28),
    (
        "scenario-exec-missing-cmd.yaml",
        "nslab::missing-key",
        8,
        13,
    ),
    (
        "scenario-expect-unknown-node.yaml",
        "nslab::unknown-reference",
        8,
        38,
    ),
    (
        "scenario-impair-nothing.yaml",
        "nslab::invalid-value",
        8,
        15,
    ),
    (
        "scenario-link-bad-state.yaml",
        "nslab::invalid-value",
        8,
        20,
    ),
    (
        "scenario-link-unknown-interface.yaml",
        "nslab::unknown-reference",
        8,
        13,
    ),
    (
        "scenario-partition-overlap.yaml",
        "nslab::invalid-value",
        8,
        28,
    ),
    (
        "scenario-start-unknown-node.yaml",
        "nslab::unknown-reference",
        9,
        14,
    ),
    (
        "scenario-stop-unknown-node.yaml",
        "nslab::unknown-reference",
        8,
        13,
    ),
    ("scenario-two-keys.yaml", "nslab::invalid-value", 8, 7),
    ("scenario-unknown-key.yaml", "nslab::unknown-key", 8, 7),
    ("scenario-unknown-step.yaml", "nslab::invalid-value", 8, 7),
    ("scenario-wait-bad.yaml", "nslab::invalid-value", 8, 13),
];

fn expected(f: &std::path::Path) -> (&'static str, u32, u32) {
    let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let (_, code, line, col) = CORPUS
        .iter()
        .find(|(n, ..)| *n == name)
        .unwrap_or_else(|| panic!("{name} is not in CORPUS: give it its expected code and place"));
    (code, *line, *col)
}

/// `validate` on each malformed file exits 2 and points at file:line:col
/// with a hint; `validate --json` gives the fixture's own code there.
#[test]
fn every_malformed_file_is_rejected_with_a_location_and_a_hint() {
    let files = invalid_files();
    assert!(files.len() >= 60, "only {} malformed fixtures", files.len());
    assert_eq!(
        files.len(),
        CORPUS.len(),
        "CORPUS and tests/fixtures/invalid differ"
    );
    for f in files {
        let (code, line, col) = expected(&f);
        let p = f.to_str().expect("utf-8 path");
        let o = nslab(&["validate", p]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{p}:\n{t}");
        assert!(
            t.contains(&format!("{p}:{line}:{col}: ")),
            "{p}: no {line}:{col} in\n{t}"
        );
        assert!(t.contains("help:"), "{p}: no hint in\n{t}");
        let o = nslab(&["validate", "--json", p]);
        assert_eq!(o.status.code(), Some(2), "{p}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let first = &v["problems"][0];
        assert_eq!(first["code"], code, "{p}: {v}");
        assert_eq!(
            (first["line"].as_u64(), first["column"].as_u64()),
            (Some(u64::from(line)), Some(u64::from(col))),
            "{p}: {v}"
        );
        assert!(
            first["hint"].as_str().is_some_and(|h| !h.is_empty()),
            "{p}: {v}"
        );
    }
}

/// What `up` could have changed in the namespace it runs in: links,
/// addresses, routes, namespaces, state.
fn machine() -> String {
    let mut out = String::new();
    for args in [
        &["-o", "link", "show"][..],
        &["-o", "addr", "show"][..],
        &["route", "show", "table", "all"][..],
        &["-6", "route", "show", "table", "all"][..],
    ] {
        let o = std::process::Command::new("ip")
            .args(args)
            .output()
            .expect("ip");
        out.push_str(&String::from_utf8_lossy(&o.stdout));
    }
    for dir in ["/run/netns", "/run/nslab"] {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        out.push_str(&format!("{dir}: {names:?}\n"));
    }
    out
}

/// `up` on each malformed file exits 2 with the problem's place, and
/// changes nothing: no namespace, no state directory, no link, address or
/// route in the namespace it runs in.
#[test]
fn up_on_a_malformed_file_changes_nothing() {
    if !sandbox("up_on_a_malformed_file_changes_nothing") {
        return;
    }
    let before = machine();
    assert!(before.contains("/run/netns: []"), "{before}");
    for f in invalid_files() {
        let (_, line, col) = expected(&f);
        let p = f.to_str().expect("utf-8 path");
        let o = nslab(&["up", p]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(2), "{p}:\n{t}");
        assert!(
            t.contains(&format!("{p}:{line}:{col}: ")),
            "{p}: no {line}:{col} in\n{t}"
        );
        assert_eq!(machine(), before, "{p} changed the machine:\n{t}");
    }
}

#[test]
fn every_example_validates() {
    let mut n = 0;
    for e in std::fs::read_dir(examples()).expect("examples").flatten() {
        let p = e.path();
        // Topology files only (examples/python/ holds the Python examples).
        if p.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
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

/// Four typos and a wrong shape: one `validate` run lists all five, each
/// with its code and place (they used to take five runs).
#[test]
fn validate_lists_every_typo_in_one_run() {
    let f = fixtures().join("invalid").join("many-typos.yaml");
    let o = nslab(&["validate", "--json", f.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let got: Vec<(String, u64, u64)> = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["code"].as_str().unwrap_or("").to_string(),
                p["line"].as_u64().unwrap_or(0),
                p["column"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let want: Vec<(String, u64, u64)> = [
        ("nslab::unknown-key", 5, 5),
        ("nslab::unknown-key", 9, 28),
        ("nslab::wrong-type", 10, 13),
        ("nslab::unknown-key", 12, 7),
        ("nslab::unknown-key", 13, 1),
    ]
    .iter()
    .map(|(c, l, col)| (c.to_string(), *l, *col))
    .collect();
    assert_eq!(got, want, "{v}");
}

/// `nslab man --dir D` writes a page for every command, and every page
/// any page refers to (`nslab-up(1)`) is there; `nslab man` alone is one
/// page with every command's every option, referring to no other page.
#[test]
fn the_man_pages_have_every_option_and_refer_only_to_pages_that_exist() {
    let unroff = |s: &str| s.replace("\\-", "-");
    let dir = std::env::temp_dir().join(format!("nslab-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let d = dir.to_str().expect("utf-8");
    nslab_ok(&["man", "--dir", d], 0);
    let one = unroff(&nslab_ok(&["man"], 0));
    let top = nslab::cli_command();
    let mut wrong = Vec::new();
    let pages: Vec<String> = std::fs::read_dir(&dir)
        .expect("the pages")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    // Every reference `NAME(1)` in a page names a page written.
    for p in &pages {
        let text = unroff(&std::fs::read_to_string(dir.join(p)).expect("read a page"));
        for (i, _) in text.match_indices("(1)") {
            let name: String = text[..i]
                .chars()
                .rev()
                .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if !pages.contains(&format!("{name}.1")) {
                wrong.push(format!("{p} refers to {name}(1), which was not written"));
            }
        }
    }
    if one.contains("(1)") {
        wrong.push("`nslab man` refers to another page".into());
    }
    for cmd in top.get_subcommands().filter(|c| !c.is_hide_set()) {
        let page = format!("nslab-{}.1", cmd.get_name());
        let text = std::fs::read_to_string(dir.join(&page))
            .map(|t| unroff(&t))
            .unwrap_or_default();
        if text.is_empty() {
            wrong.push(format!("no page {page}"));
        }
        if !one.contains(&format!("nslab {}", cmd.get_name())) {
            wrong.push(format!("`nslab man` has no section for {}", cmd.get_name()));
        }
        for flag in cmd.get_arguments().filter_map(|a| a.get_long()) {
            let flag = format!("--{flag}");
            if !text.contains(&flag) {
                wrong.push(format!("{page} lacks {flag}"));
            }
            if !one.contains(&flag) {
                wrong.push(format!("`nslab man` lacks {} {flag}", cmd.get_name()));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every command that takes LAB takes the lab's name and the path of its
/// file alike: the same exit status (the expected one) and, for what only
/// reads, the same output. The commands are found in the command line's
/// definition: one that takes LAB and is not in the table fails the test.
#[test]
fn every_command_that_takes_a_lab_takes_its_name_and_its_file_alike() {
    if !sandbox("every_command_that_takes_a_lab_takes_its_name_and_its_file_alike") {
        return;
    }
    let file = write(
        "alike.yaml",
        "lab: alike
nodes:
  a: { interfaces: { eth0: { addresses: [10.0.0.1/24] } } }
  b: { interfaces: { eth0: { addresses: [10.0.0.2/24] } } }
links: [[a:eth0, b:eth0]]
expect: [a -> b]
scenarios:
  s: [{ expect: [a -> b] }]
",
    );
    // (command, arguments after LAB, exit status, same output both ways,
    // what is run by name before each of the two runs)
    type Row<'a> = (&'a str, &'a [&'a str], i32, bool, &'a [&'a str]);
    let table: &[Row] = &[
        ("plan", &["--exit-code"], 0, true, &[]),
        ("show", &[], 0, true, &[]),
        ("graph", &[], 0, true, &[]),
        ("exec", &["a", "--", "true"], 0, true, &[]),
        ("shell", &["a"], 0, true, &[]),
        ("check", &[], 0, false, &[]),
        ("ping", &["a", "b"], 0, false, &[]),
        ("capture", &["a:eth0", "--seconds", "1"], 0, false, &[]),
        ("events", &["--timeout", "1"], 0, false, &[]),
        ("link", &["a:eth0", "down"], 0, false, &[]),
        ("impair", &["a:eth0", "--clear"], 0, false, &[]),
        ("partition", &["a", "b"], 0, false, &[]),
        ("stop", &["a"], 0, false, &["heal", "alike"]),
        ("start", &["a"], 0, false, &["stop", "alike", "a"]),
        ("heal", &[], 0, false, &[]),
        ("test", &[], 0, false, &[]),
        ("down", &[], 0, false, &["up", "FILE"]),
    ];
    let takes_lab = commands_taking_lab();
    let mut wrong: Vec<String> = takes_lab
        .iter()
        .filter(|c| table.iter().all(|(t, ..)| t != c))
        .map(|c| format!("{c} takes LAB but is not in the table"))
        .collect();
    nslab_ok(&["up", &file], 0);
    for (cmd, rest, code, same, before) in table {
        let mut outs = Vec::new();
        for lab in ["alike", file.as_str()] {
            if !before.is_empty() {
                let before: Vec<&str> = before
                    .iter()
                    .map(|w| if *w == "FILE" { file.as_str() } else { w })
                    .collect();
                nslab(&before);
            }
            let mut args = vec![*cmd, lab];
            args.extend_from_slice(rest);
            let o = nslab(&args);
            if o.status.code() != Some(*code) {
                wrong.push(format!(
                    "nslab {}: exit {:?}, want {code}: {}",
                    args.join(" "),
                    o.status.code(),
                    text(&o)
                ));
            }
            outs.push(String::from_utf8_lossy(&o.stdout).into_owned());
        }
        if *same && outs[0] != outs[1] {
            wrong.push(format!(
                "nslab {cmd}: by name\n{}\nby file\n{}",
                outs[0], outs[1]
            ));
        }
    }
    assert_nothing_left("alike");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
