//! What a lab without root cannot have (`validate --rootless`): each kind
//! of refusal at its token with the reason, everything else accepted; the
//! sysctl rule against what the kernel itself answered
//! (tests/data/rootless-sysctls.txt, made by the script beside it); and
//! every example of the repository judged as its text says.

use nslab_model::rootless::{self, Sysctl};
use nslab_model::{parse_str, AnyHostInterfaces, Loc, NoHostInterfaces, ProblemKind};
use std::path::Path;

/// The refusals of `text`: (line, column, message) each.
fn refused(text: &str) -> Vec<(u32, u32, String)> {
    let topo = match parse_str("lab.yaml", text, &AnyHostInterfaces) {
        Ok(t) => t,
        Err(p) => panic!("not a valid file:\n{}\n{}", text, p.render_plain()),
    };
    rootless::refusals(&topo)
        .into_iter()
        .map(|p| {
            assert_eq!(p.kind, ProblemKind::Rootless, "{p}");
            assert!(!p.hint.is_empty(), "{p}: no hint");
            (p.loc.line, p.loc.col, p.message)
        })
        .collect()
}

/// Each file, where its one refusal is (line, column) and a word of the
/// reason; `None`: accepted.
/// Line, column and a word of the reason.
type Where = (u32, u32, &'static str);

const TABLE: &[(&str, Option<Where>)] = &[
    (
        "lab: l\nnodes:\n  h:\n    kind: host\n",
        Some((4, 11, "machine's own namespace")),
    ),
    (
        "lab: l\nnodes:\n  a:\n    interfaces:\n      eth0: { kind: physical, from: ens41 }\n",
        Some((5, 21, "CAP_NET_ADMIN")),
    ),
    (
        // The user's rootless Podman runs it; `up` checks its store.
        "lab: l\nnodes:\n  c:\n    image: localhost/busybox:1\n",
        None,
    ),
    (
        "lab: l\nnodes:\n  a:\n    sysctls: { net.core.netdev_max_backlog: 5000 }\n",
        Some((4, 16, "not per namespace")),
    ),
    (
        "lab: l\nnodes:\n  a:\n    sysctls:\n      net.core.rmem_max: 1000000\n",
        Some((5, 7, "read-only")),
    ),
    (
        "lab: l\nnodes:\n  a:\n    sysctls:\n      net.ipv6.route.gc_thresh: 1024\n",
        Some((5, 7, "not shown")),
    ),
    (
        "lab: l\nnodes:\n  a:\n    sysctls:\n      net.ipv4.ping_group_range: 0 2147483647\n",
        Some((5, 7, "group ids")),
    ),
    (
        "lab: l\nnodes:\n  a:\n    dirs:\n      - { path: /var/run/frr, owner: frr }\n",
        Some((5, 38, "owned by `frr`")),
    ),
    (
        "lab: l\nnodes:\n  a:\n    dirs: [/etc/x]\n    files:\n      /etc/x/f: { content: hi, owner: \"0:1000\" }\n",
        Some((6, 39, "owned by `0:1000`")),
    ),
    (
        "lab: l\nnodes:\n  a:\n    interfaces:\n      tap0: { kind: tap, owner: 1000 }\n",
        Some((5, 33, "owned by user 1000")),
    ),
    (
        "lab: l\nnodes:\n  a:\n    dirs: [{ path: /etc/x, owner: root }, { path: /srv, owner: \"0:0\" }]\n    files:\n      /etc/x/f: { content: hi, owner: root:root }\n    interfaces:\n      tap0: { kind: tap, owner: 0 }\n",
        None,
    ),
    (
        "lab: l\nnodes:\n  a:\n    sysctls:\n      net.ipv4.ping_group_range: 0 0\n",
        None,
    ),
    (
        "lab: l\nnodes:\n  a:\n    forwarding: true\n    sysctls:\n      net.ipv4.ip_forward: 1\n      net.ipv4.conf.all.rp_filter: 0\n      net.ipv6.neigh.eth0.base_reachable_time_ms: 1000\n      net.core.somaxconn: 512\n    interfaces:\n      eth0: { kind: bridge }\n      mv: { kind: macvlan, parent: eth0 }\n    nat:\n      masquerade: [{ from: 10.0.0.0/8, out: eth0 }]\n",
        None,
    ),
];

#[test]
fn each_kind_of_refusal_at_its_token_and_the_rest_accepted() {
    for (text, want) in TABLE {
        let got = refused(text);
        match want {
            None => assert!(got.is_empty(), "{text}\nrefused: {got:?}"),
            Some((line, col, word)) => {
                assert_eq!(got.len(), 1, "{text}\n{got:?}");
                let (l, c, m) = &got[0];
                assert_eq!((*l, *c), (*line, *col), "{text}\n{m}");
                assert!(m.contains(word), "{text}\n{m} (wanted `{word}`)");
            }
        }
    }
}

#[test]
fn every_refusal_of_a_file_in_file_order() {
    let text = "lab: l\nnodes:\n  h: { kind: host }\n  c: { image: localhost/x:1, sysctls: { net.core.wmem_max: 1, net.ipv4.tcp_mem: 1 2 3 } }\n";
    let topo = parse_str("lab.yaml", text, &AnyHostInterfaces).expect("valid");
    let problems = match rootless::check(&topo) {
        Err(p) => p,
        Ok(()) => panic!("accepted"),
    };
    let locs: Vec<Loc> = problems.iter().map(|p| p.loc).collect();
    assert_eq!(locs, [Loc::new(3, 14), Loc::new(4, 41), Loc::new(4, 63)]);
}

/// A `physical` interface the machine lacks is refused for needing root
/// (not reported missing), with every other refusal of the file; a file
/// with problems of its own keeps them.
#[test]
fn a_missing_physical_interface_gives_way_to_its_refusal() {
    let text = "lab: l\nnodes:\n  a:\n    interfaces:\n      eth0: { kind: physical, from: ens41 }\n  h: { kind: host }\n";
    let Err(problems) = parse_str("lab.yaml", text, &NoHostInterfaces) else {
        panic!("ens41 found on no machine")
    };
    assert_eq!(problems.kinds(), [ProblemKind::PhysicalMissing]);
    let all = rootless::with_refusals(problems);
    let got: Vec<_> = all.iter().map(|p| (p.kind, p.loc)).collect();
    assert_eq!(
        got,
        [
            (ProblemKind::Rootless, Loc::new(5, 21)),
            (ProblemKind::Rootless, Loc::new(6, 14))
        ],
        "{}",
        all.render_plain()
    );
    let bad = "lab: l\nnodes:\n  h: { kind: host, colour: red }\n";
    let Err(problems) = parse_str("lab.yaml", bad, &AnyHostInterfaces) else {
        panic!("an unknown key accepted")
    };
    let kinds = problems.kinds();
    assert_eq!(rootless::with_refusals(problems).kinds(), kinds);
}

fn data(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The kernel's own answer for every key under /proc/sys/net (6.18, as
/// nobody in `unshare -Urn`): the rule says the same of each, and of the
/// same per-interface key under another interface name (one with a dot).
#[test]
fn the_sysctl_rule_agrees_with_the_kernel_on_every_key() {
    let table = data("rootless-sysctls.txt");
    let mut wrong = Vec::new();
    let mut n = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let Some((key, verdict)) = line.split_once(' ') else {
            panic!("bad line `{line}`")
        };
        let want = match verdict {
            "writable" => Sysctl::Writable,
            "readonly" => Sysctl::ReadOnly,
            "hidden" => Sysctl::Hidden,
            "global" => Sysctl::Global,
            "groups" => Sysctl::GroupRange,
            v => panic!("unknown verdict `{v}`"),
        };
        let mut keys = vec![key.to_string()];
        for per_if in ["conf.lo.", "neigh.lo."] {
            if key.contains(per_if) {
                let other = per_if.replace("lo.", "eth0.100.");
                keys.push(key.replace(per_if, &other));
            }
        }
        for k in keys {
            n += 1;
            if rootless::sysctl(&k) != want {
                wrong.push(format!(
                    "{k}: kernel {verdict}, rule {:?}",
                    rootless::sysctl(&k)
                ));
            }
        }
    }
    assert!(n > 500, "only {n} keys in the table");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_group_range_only_of_the_one_mapped_group() {
    let k = "net.ipv4.ping_group_range";
    assert!(rootless::sysctl_allowed(k, "0 0"));
    assert!(rootless::sysctl_allowed(k, "0\t0"));
    for bad in ["1 0", "0 1", "100 100", "0 2147483647"] {
        assert!(!rootless::sysctl_allowed(k, bad), "{bad}");
    }
    assert!(rootless::sysctl_allowed("net.ipv4.ip_forward", "1"));
    assert!(!rootless::sysctl_allowed("net.core.rmem_max", "1"));
}

/// Every example: refused exactly when its text has a host node, a
/// physical interface or an `owner:` but root (none uses a sysctl kept
/// for root; image nodes are run by the user's rootless Podman).
#[test]
fn every_example_refused_only_for_what_its_text_has() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut seen = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("example");
        let needs_root = text.lines().any(|l| {
            let l = l.split('#').next().unwrap_or("");
            let owner = l.split("owner:").nth(1).map(str::trim_start);
            let owned = owner.is_some_and(|o| !o.starts_with("root") && !o.starts_with('0'));
            l.contains("kind: host") || l.contains("kind: physical") || owned
        });
        let name = path.display().to_string();
        let topo = parse_str(&name, &text, &AnyHostInterfaces).expect("examples are valid");
        let got = rootless::refusals(&topo);
        assert_eq!(!got.is_empty(), needs_root, "{name}: {got:?}");
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} examples");
}

/// Owners as a machine with these users and groups has them (the tests'
/// own table, not this machine's): `frr` 103:108, `daemon` 1:1, `far`
/// 70000:70000, numbers as themselves.
fn table_ids(o: &nslab_model::Owner) -> Option<(u32, u32)> {
    let id = |w: &str| match w {
        "root" => Some(0),
        "daemon" => Some(1),
        "frr" => Some(103),
        "far" => Some(70000),
        n => n.parse().ok(),
    };
    let uid = id(&o.user)?;
    let gid = match o.group.as_deref() {
        Some(g) => id(g)?,
        None if o.user == "frr" => 108,
        None => uid,
    };
    Some((uid, gid))
}

/// Every `owner:` (directory, file, tap) and group range against the map
/// the lab gets: with subordinate ids (uids and gids 0-65536 inside) an
/// owner inside the map is accepted and one outside refused at its token;
/// with the one-id map every owner but root is refused, and the hint says
/// how to get subordinate ids.
#[test]
fn an_owner_is_accepted_exactly_when_the_labs_map_has_it() {
    use rootless::Mapped;
    let sub = Mapped {
        uids: 65537,
        gids: 65537,
    };
    // (text, refused with subordinate ids at (line, col)); every one but
    // the root owners is refused with the one-id map.
    type Case = (&'static str, Option<(u32, u32)>, bool);
    let table: &[Case] = &[
        (
            "    dirs: [{ path: /var/run/frr, owner: frr }]\n",
            None,
            true,
        ),
        ("    dirs: [{ path: /d, owner: daemon }]\n", None, true),
        ("    dirs: [{ path: /d, owner: \"frr:0\" }]\n", None, true),
        (
            "    dirs: [{ path: /d, owner: \"65536:65536\" }]\n",
            None,
            true,
        ),
        (
            "    dirs: [{ path: /d, owner: far }]\n",
            Some((4, 31)),
            true,
        ),
        (
            "    dirs: [{ path: /d, owner: \"0:65537\" }]\n",
            Some((4, 31)),
            true,
        ),
        // No such user: the file's own problem, not the rootless check's.
        ("    dirs: [{ path: /d, owner: nosuchuser }]\n", None, false),
        (
            "    dirs: [/d]\n    files:\n      /d/f: { content: hi, owner: daemon }\n",
            None,
            true,
        ),
        (
            "    dirs: [/d]\n    files:\n      /d/f: { content: hi, owner: far }\n",
            Some((6, 35)),
            true,
        ),
        (
            "    interfaces:\n      tap0: { kind: tap, owner: 65536 }\n",
            None,
            true,
        ),
        (
            "    interfaces:\n      tap0: { kind: tap, owner: 65537 }\n",
            Some((5, 33)),
            true,
        ),
        ("    dirs: [{ path: /d, owner: root }]\n", None, false),
        (
            "    sysctls:\n      net.ipv4.ping_group_range: 0 65536\n",
            None,
            true,
        ),
        (
            "    sysctls:\n      net.ipv4.ping_group_range: 0 65537\n",
            Some((5, 7)),
            true,
        ),
    ];
    for (body, with_sub, refused_with_one) in table {
        let text = format!("lab: l\nnodes:\n  a:\n{body}");
        let topo = parse_str("lab.yaml", &text, &AnyHostInterfaces).expect("valid");
        let got: Vec<_> = rootless::refusals_for(&topo, sub, &table_ids)
            .iter()
            .map(|p| (p.loc.line, p.loc.col))
            .collect();
        assert_eq!(got, with_sub.iter().copied().collect::<Vec<_>>(), "{text}");
        let one = rootless::refusals_for(&topo, Mapped::ONE, &table_ids);
        assert_eq!(!one.is_empty(), *refused_with_one, "{text}\n{one:?}");
        for p in one.iter().filter(|p| p.message.contains("owned by")) {
            assert!(
                p.hint.contains("usermod --add-subuids")
                    && p.hint.contains("apt-get install uidmap"),
                "{text}\n{p}"
            );
        }
    }
}
