//! `nslab completions SHELL` and `nslab man`, made from the same clap
//! definition as `--help`: each names every command.

mod common;
use common::*;

const COMMANDS: &[&str] = &[
    "up",
    "down",
    "plan",
    "validate",
    "ls",
    "show",
    "exec",
    "shell",
    "check",
    "ping",
    "capture",
    "graph",
    "demo",
    "completions",
    "man",
];

#[test]
fn completions_for_each_shell_know_every_command() {
    for (shell, marker) in [
        ("bash", "complete -F _nslab"),
        ("zsh", "#compdef nslab"),
        ("fish", "complete -c nslab"),
    ] {
        let out = nslab_ok(&["completions", shell], 0);
        assert!(out.contains(marker), "{shell}: {marker} missing");
        for c in COMMANDS {
            assert!(out.contains(c), "{shell}: no {c}");
        }
    }
    assert_eq!(nslab(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_and_lists_every_command() {
    let out = nslab_ok(&["man"], 0);
    assert!(out.contains(".TH nslab 1"), "{out}");
    // One page: every command is a section of it (`nslab man --dir`
    // writes a page per command; tests/cli.rs holds both to every option).
    for c in COMMANDS {
        assert!(out.contains(&format!(".SS \"nslab {c}\"")), "no {c}");
    }
}
