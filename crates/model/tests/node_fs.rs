//! `env:`, `dirs:` and `files:`: each bad input refused at its own token
//! (line and column), everything else read as written.

use nslab_model::{parse_str, FileContent, Loc, NoHostInterfaces};

/// The file with `body` as node `a`'s keys (each line indented 4).
fn text(body: &str) -> String {
    format!("lab: l\nnodes:\n  a:\n{body}")
}

/// The (line, column) of each problem, or the topology.
fn places(body: &str) -> Result<nslab_model::Topology, Vec<(u32, u32)>> {
    parse_str("lab.yaml", &text(body), &NoHostInterfaces)
        .map_err(|p| p.iter().map(|q| (q.loc.line, q.loc.col)).collect())
}

/// The class: each kind of bad path, bad mode, bad owner and bad file
/// value, alone in an otherwise good file, is refused with the place of
/// the token that is wrong — and nothing else is reported.
#[test]
fn each_bad_input_is_refused_at_its_token() {
    let table: &[(&str, &str, (u32, u32))] = &[
        ("relative dir", "    dirs: [etc/frr]\n", (4, 12)),
        ("dot-dot dir", "    dirs: [/etc/../x]\n", (4, 12)),
        ("root dir", "    dirs: [/]\n", (4, 12)),
        ("trailing slash", "    dirs: [/etc/frr/]\n", (4, 12)),
        (
            "map without path",
            "    dirs: [{ mode: \"0755\" }]\n",
            (4, 12),
        ),
        (
            "relative path in map",
            "    dirs: [{ path: data }]\n",
            (4, 20),
        ),
        ("twice", "    dirs: [/data, /data]\n", (4, 19)),
        ("nested", "    dirs: [/data, /data/x]\n", (4, 19)),
        (
            "octal as a number",
            "    dirs: [{ path: /d, mode: 755 }]\n",
            (4, 30),
        ),
        (
            "not octal",
            "    dirs: [{ path: /d, mode: \"0789\" }]\n",
            (4, 30),
        ),
        (
            "empty owner",
            "    dirs: [{ path: /d, owner: \":g\" }]\n",
            (4, 31),
        ),
        (
            "relative file",
            "    dirs: [/d]\n    files:\n      d/x: hi\n",
            (6, 7),
        ),
        (
            "file outside dirs",
            "    dirs: [/d]\n    files:\n      /etc/passwd: hi\n",
            (6, 7),
        ),
        (
            "file is the dir",
            "    dirs: [/d]\n    files:\n      /d: hi\n",
            (6, 7),
        ),
        (
            "prefix is not a dir",
            "    dirs: [/d]\n    files:\n      /dx/y: hi\n",
            (6, 7),
        ),
        (
            "content and from",
            "    dirs: [/d]\n    files:\n      /d/x: { content: hi, from: x.txt }\n",
            (6, 34),
        ),
        (
            "neither",
            "    dirs: [/d]\n    files:\n      /d/x: { mode: \"0600\" }\n",
            (6, 13),
        ),
        (
            "list as file",
            "    dirs: [/d]\n    files:\n      /d/x: [a]\n",
            (6, 13),
        ),
        ("env name with =", "    env: { \"A=B\": x }\n", (4, 12)),
        ("host dirs", "    kind: host\n    dirs: [/d]\n", (5, 12)),
        (
            "host files",
            "    kind: host\n    files:\n      /d/x: hi\n",
            (6, 7),
        ),
    ];
    for (what, body, at) in table {
        assert_eq!(
            places(body).err(),
            Some(vec![*at]),
            "{what}:\n{}",
            text(body)
        );
    }
}

#[test]
fn good_keys_are_read_as_written() {
    let t = places(
        "    env: { TZ: UTC, PORT: 8080, DEBUG: true }\n    dirs: [/etc/frr, { path: /var/run/frr, mode: \"0750\", owner: \"frr:frr\" }]\n    files:\n      /etc/frr/frr.conf: |\n        router ospf\n      /etc/frr/daemons: { from: frr/daemons, mode: \"0640\", owner: frr }\n",
    )
    .expect("valid");
    let a = &t.nodes["a"];
    assert_eq!(a.env["TZ"], "UTC");
    assert_eq!(a.env["PORT"], "8080");
    assert_eq!(a.env["DEBUG"], "true");
    assert_eq!(a.dirs.len(), 2);
    assert_eq!(a.dirs[1].mode, Some(0o750));
    assert_eq!(
        a.dirs[1].owner.as_ref().map(ToString::to_string),
        Some("frr:frr".into())
    );
    let conf = &a.files["/etc/frr/frr.conf"];
    assert_eq!(conf.content, FileContent::Inline("router ospf\n".into()));
    let daemons = &a.files["/etc/frr/daemons"];
    assert_eq!(daemons.content, FileContent::From("frr/daemons".into()));
    assert_eq!(daemons.mode, Some(0o640));
    assert_ne!(daemons.from_loc, Loc::default());
}
