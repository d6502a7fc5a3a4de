//! On a terminal, `up` and `down` of a large lab draw a progress bar and
//! `check` colours its marks; through a pipe, with `--json` or with
//! `NO_COLOR` set, neither. The terminal is a pseudo-terminal made by
//! util-linux's `script`.

mod common;
use common::*;
use std::process::Command;

/// Run `nslab ARGS` on a pseudo-terminal, with extra environment; its
/// output as the terminal got it.
fn on_terminal(env: &[(&str, &str)], args: &[&str]) -> (Option<i32>, String) {
    let cmd = std::iter::once(nslab_bin().display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
    let o = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .output()
        .expect("script (util-linux)");
    (o.status.code(), text(&o))
}

/// 60 nodes on one bridge: well over 50 operations.
fn big_lab() -> String {
    let mut y =
        String::from("lab: big\nnodes:\n  sw:\n    interfaces:\n      br0: { kind: bridge }\n");
    for i in 0..60 {
        y.push_str(&format!("      p{i}: {{ master: br0 }}\n"));
    }
    for i in 0..60 {
        y.push_str(&format!(
            "  h{i}:\n    interfaces:\n      eth0: {{ addresses: [10.0.0.{}/24] }}\n",
            i + 1
        ));
    }
    y.push_str("links:\n");
    for i in 0..60 {
        y.push_str(&format!("  - [sw:p{i}, h{i}:eth0]\n"));
    }
    y.push_str("expect:\n  - h0 -> h1\n");
    write("big.yaml", &y)
}

#[test]
fn a_progress_bar_and_colour_only_on_a_terminal() {
    if !sandbox("a_progress_bar_and_colour_only_on_a_terminal") {
        return;
    }
    let f = big_lab();
    let (code, out) = on_terminal(&[], &["up", &f]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("up [") && out.contains(" operations"),
        "a bar: {out}"
    );
    let (code, out) = on_terminal(&[], &["check", "big"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("\x1b[32m✓\x1b[0m"), "a green mark: {out:?}");
    let (_, out) = on_terminal(&[("NO_COLOR", "1")], &["check", "big"]);
    assert!(!out.contains('\x1b'), "NO_COLOR: {out:?}");
    let (_, out) = on_terminal(&[], &["up", &f, "--json"]);
    assert!(
        !out.contains(" operations") && !out.contains('\x1b'),
        "--json: {out:?}"
    );
    // Through pipes: no bar, no colour.
    let piped = nslab_ok(&["check", "big"], 0);
    assert!(!piped.contains('\x1b'), "{piped:?}");
    let (code, out) = on_terminal(&[], &["down", "big"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("down [") && out.contains(" operations"),
        "a bar: {out}"
    );
    let up = nslab_ok(&["up", &f], 0);
    assert!(
        !up.contains(" operations") && !up.contains('\x1b'),
        "{up:?}"
    );
    let down = nslab_ok(&["down", "big"], 0);
    assert!(
        !down.contains(" operations") && !down.contains('\x1b'),
        "{down:?}"
    );
    assert_nothing_left("big");
}
