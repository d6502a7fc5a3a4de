//! The README's command table agrees with `--help`: every command is in
//! it, with the same arguments in the same order (optional ones in
//! brackets) and every flag it has. The README's Rust block is compiled
//! here as written (`build.rs` copies it out of README.md) and run in a
//! sandbox.

mod common;

use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md")
}

/// The usage the README gives for `nslab NAME`: the first backticked cell
/// of its table row, `\|` read as `|`.
fn readme_usage(readme: &str, name: &str) -> Option<String> {
    let start = format!("| `nslab {name}");
    let row = readme
        .lines()
        .find(|l| l.starts_with(&start) && l[start.len()..].starts_with([' ', '`']))?;
    let cell = row.strip_prefix("| `")?.split('`').next()?;
    Some(cell.replace("\\|", "|"))
}

#[test]
fn the_readme_command_table_matches_the_help() {
    let readme = readme();
    let mut wrong = Vec::new();
    let top = nslab::cli_command();
    for cmd in top.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = cmd.get_name();
        let Some(usage) = readme_usage(&readme, name) else {
            wrong.push(format!("{name}: no row in the README's command table"));
            continue;
        };
        // The README's positional words, in order, and whether optional.
        let mut in_option = false;
        let words: Vec<(String, bool)> = usage
            .split_whitespace()
            .skip(2)
            .filter(|w| {
                // `[--junit FILE]`: an option and its value, not arguments.
                let opt = w.starts_with("[-") || in_option;
                in_option = opt && !w.ends_with(']');
                !opt && !w.starts_with('-')
            })
            .map(|w| {
                let bare = w.trim_matches(['[', ']']).trim_end_matches(['…', '.']);
                (bare.to_string(), w.starts_with('['))
            })
            .filter(|(w, _)| !w.is_empty() && w.chars().all(|c| !c.is_ascii_lowercase()))
            .collect();
        let args: Vec<(String, bool)> = cmd
            .get_positionals()
            .map(|a| {
                let shown = a
                    .get_value_names()
                    .and_then(|v| v.first())
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| a.get_id().to_string().to_uppercase());
                (shown, !a.is_required_set())
            })
            .collect();
        // `exec ... -- CMD…`: the command after `--` is one of the words.
        let words: Vec<(String, bool)> = words.into_iter().filter(|(w, _)| w != "--").collect();
        if words != args {
            wrong.push(format!("{name}: README {words:?}, --help {args:?}"));
        }
        for flag in cmd.get_arguments().filter_map(|a| a.get_long()) {
            if flag != "json" && !usage.contains(&format!("--{flag}")) {
                wrong.push(format!("{name}: --{flag} is not in the README's `{usage}`"));
            }
        }
        for w in usage
            .split_whitespace()
            .filter(|w| w.trim_start_matches('[').starts_with("--"))
        {
            let flag = w.trim_matches(['[', ']']).trim_start_matches("--");
            let flag = flag.split(['=', ' ']).next().unwrap_or(flag);
            if !flag.is_empty() && cmd.get_arguments().all(|a| a.get_long() != Some(flag)) {
                wrong.push(format!("{name}: the README's --{flag} is no flag of it"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every command that has `--json` is listed where the README says which
/// commands have it.
#[test]
fn the_readme_names_every_command_with_json() {
    let readme = readme();
    let para = readme
        .split("\n\n")
        .find(|p| p.starts_with("`--json`"))
        .expect("a paragraph starting with `--json`");
    let top = nslab::cli_command();
    for cmd in top.get_subcommands() {
        if cmd.get_arguments().any(|a| a.get_long() == Some("json")) {
            assert!(
                para.contains(&format!("`{}`", cmd.get_name())),
                "{} has --json but the README does not say so: {para}",
                cmd.get_name()
            );
        }
    }
}

/// The README's Rust block, word for word, as the body of a function that
/// returns `Result<(), nslab::Error>` (the `?`s in it need one).
fn readme_rust_block() -> Result<(), nslab::Error> {
    include!(concat!(env!("OUT_DIR"), "/readme_rust.rs"));
    Ok(())
}

#[test]
fn the_readme_rust_example_runs_as_written() {
    if !common::sandbox("the_readme_rust_example_runs_as_written") {
        return;
    }
    // `serve:` runs the nslab binary, as the README says.
    std::env::set_var("NSLAB_BIN", env!("CARGO_BIN_EXE_nslab"));
    if let Err(e) = readme_rust_block() {
        panic!("the README's Rust block failed:\n{e}");
    }
    common::assert_nothing_left("failover");
}
