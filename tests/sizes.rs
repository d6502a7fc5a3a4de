//! Files that fit in a head: no source file under `src/` or
//! `crates/*/src` is longer than `MAX_FILE_LINES`, and no function in one
//! is longer than `MAX_FN_LINES` (from its `fn` line to its closing brace).
//! Test-only files (`tests.rs`, `*_tests.rs`) are left out: they are lists
//! of cases, read one case at a time. The few files that could not be split
//! yet are listed in `FILE_EXCEPTIONS` / `FN_EXCEPTIONS`, each with its size
//! today and why; an exception that grows, or a new file or function over
//! the limit, fails. Remove an entry once its file is split.
//!
//! The scan relies on `cargo fmt`: a function's closing brace is the first
//! line after its `fn` line that is `}` at the `fn` line's indentation.

mod common;
use common::rust_files;

use std::path::PathBuf;

const MAX_FILE_LINES: usize = 400;
const MAX_FN_LINES: usize = 80;

/// Files over `MAX_FILE_LINES` that may stay so for now, at most as long
/// as the number given (path relative to the workspace root).
#[rustfmt::skip]
const FILE_EXCEPTIONS: &[(&str, usize, &str)] = &[
];

/// Functions over `MAX_FN_LINES` that may stay so for now: file, function
/// name, the most lines it may have, and why.
#[rustfmt::skip]
const FN_EXCEPTIONS: &[(&str, &str, usize, &str)] = &[
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped sources: `src/` and each `crates/*/src`, without the
/// test-only files; paths relative to the workspace root, sorted.
fn sources() -> Vec<String> {
    let root = root();
    let mut all = Vec::new();
    rust_files(&root.join("src"), &mut all);
    if let Ok(crates) = std::fs::read_dir(root.join("crates")) {
        for c in crates.flatten() {
            rust_files(&c.path().join("src"), &mut all);
        }
    }
    let mut out: Vec<String> = all
        .iter()
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name != "tests.rs" && !name.ends_with("_tests.rs")
        })
        .filter_map(|p| p.strip_prefix(&root).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// Each function in `text`: its name and its length in lines.
fn functions(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let indent = &line[..line.len() - line.trim_start().len()];
        // A declaration without a body (in a trait, or `extern`) ends with
        // `;` before any `{`; a one-line body closes on its own line.
        let header_end = lines[i..]
            .iter()
            .position(|l| l.ends_with('{') || l.ends_with(';') || l.ends_with('}'));
        let Some(h) = header_end else { continue };
        let last = lines[i + h];
        if last.ends_with(';') {
            continue;
        }
        if last.ends_with('}') {
            out.push((name, h + 1));
            continue;
        }
        let close = format!("{indent}}}");
        let end = lines[i + h..].iter().position(|l| *l == close);
        if let Some(e) = end {
            out.push((name, h + e + 1));
        }
    }
    out
}

/// The name of the function a line starts, if it starts one.
fn fn_name(line: &str) -> Option<String> {
    let mut rest = line.trim_start();
    if rest.starts_with("//") {
        return None;
    }
    loop {
        let before = rest;
        for q in [
            "pub(crate) ",
            "pub(super) ",
            "pub ",
            "const ",
            "async ",
            "unsafe ",
            "extern \"C\" ",
        ] {
            rest = rest.strip_prefix(q).unwrap_or(rest);
        }
        if rest == before {
            break;
        }
    }
    let rest = rest.strip_prefix("fn ")?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

#[test]
fn functions_are_measured_from_fn_to_closing_brace() {
    let text = "\
fn one() {}
pub(crate) fn three(
    a: u8,
) -> u8 {
    a
}
trait T {
    fn decl(&self);
    fn body(&self) {
        let _ = 1;
    }
}
impl X {
    pub const fn four() -> u8 {
        let x = 1;
        x
    }
}
// fn commented() {
";
    let got = functions(text);
    let want = [("one", 1), ("three", 5), ("body", 3), ("four", 4)];
    let want: Vec<(String, usize)> = want.iter().map(|(n, l)| (n.to_string(), *l)).collect();
    assert_eq!(got, want);
}

/// The files over the limit and not excused, and the excused ones that grew.
fn long_files(exceptions: &[(&str, usize, &str)]) -> Vec<String> {
    let root = root();
    let mut wrong = Vec::new();
    for f in sources() {
        let text = std::fs::read_to_string(root.join(&f)).expect("read a source file");
        let n = text.lines().count();
        let allowed = exceptions
            .iter()
            .find(|(p, _, _)| *p == f)
            .map_or(MAX_FILE_LINES, |(_, max, _)| *max);
        if n > allowed {
            wrong.push(format!("{f}: {n} lines (at most {allowed})"));
        }
    }
    wrong
}

/// The functions over the limit and not excused, and the excused ones that
/// grew.
fn long_functions(exceptions: &[(&str, &str, usize, &str)]) -> Vec<String> {
    let root = root();
    let mut wrong = Vec::new();
    for f in sources() {
        let text = std::fs::read_to_string(root.join(&f)).expect("read a source file");
        for (name, n) in functions(&text) {
            let allowed = exceptions
                .iter()
                .find(|(p, fun, _, _)| *p == f && *fun == name)
                .map_or(MAX_FN_LINES, |(_, _, max, _)| *max);
            if n > allowed {
                wrong.push(format!("{f}: fn {name}: {n} lines (at most {allowed})"));
            }
        }
    }
    wrong
}

#[test]
fn no_source_file_is_over_the_limit() {
    let wrong = long_files(FILE_EXCEPTIONS);
    assert!(
        wrong.is_empty(),
        "split these files into modules of at most {MAX_FILE_LINES} lines:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_function_is_over_the_limit() {
    let wrong = long_functions(FN_EXCEPTIONS);
    assert!(
        wrong.is_empty(),
        "split these functions into named steps of at most {MAX_FN_LINES} lines:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn without_the_exceptions_the_tree_fails() {
    // The scan finds what it excuses: each exception is over the limit
    // today (an entry for a file split since must be removed).
    let files = long_files(&[]);
    for (path, _, _) in FILE_EXCEPTIONS {
        assert!(
            files.iter().any(|w| w.starts_with(&format!("{path}:"))),
            "{path} is within {MAX_FILE_LINES} lines now: remove it from FILE_EXCEPTIONS"
        );
    }
    let fns = long_functions(&[]);
    for (path, name, _, _) in FN_EXCEPTIONS {
        assert!(
            fns.iter()
                .any(|w| w.starts_with(&format!("{path}: fn {name}:"))),
            "{path}: fn {name} is within {MAX_FN_LINES} lines now: remove it from FN_EXCEPTIONS"
        );
    }
}
