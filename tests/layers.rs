//! The arrows point down: the layer table in `src/lib.rs` says which
//! module sits above which, and the sources must agree with it. A module
//! may name (`crate::x`) only modules of the rows above its own; only
//! `host` may use the netlink and nftables crates. Test code (`tests.rs`
//! files, and what follows a top-level `#[cfg(test)]`) may reach further
//! up, to drive a layer from above; comments are not code.

mod common;
use common::rust_files;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The table's modules, each with its row (0 = the bottom).
fn layers(lib: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let rows = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//! |"))
        .filter(|l| !l.starts_with("---") && !l.starts_with(" layer "));
    for (rank, row) in rows.enumerate() {
        let place = row.split('|').nth(1).unwrap_or("");
        for link in place.split("[`").skip(1) {
            let name = link.split('`').next().unwrap_or("");
            if !name.contains("::") {
                out.insert(name.to_string(), rank);
            }
        }
    }
    out
}

/// The module a file under `src/` belongs to (`src/cli/load.rs` -> `cli`).
fn module_of(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src()).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let m = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(m, "lib" | "main")).then(|| m.to_string())
}

/// The file's code without comments and, unless `with_tests`, without its
/// test code.
fn code(path: &Path, with_tests: bool) -> String {
    let text = std::fs::read_to_string(path).expect("read a source file");
    if !with_tests && path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if !with_tests && line == "#[cfg(test)]" {
            match lines.peek() {
                // A test module written inline ends the file's code.
                Some(next) if next.ends_with('{') => break,
                // `mod fake;`, a test-only item of one line: skip it.
                Some(_) => {
                    lines.next();
                    continue;
                }
                None => break,
            }
        }
        if !line.trim_start().starts_with("//") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The modules `code` names through `crate::`: `crate::a::b`, and each
/// of `use crate::{a, b::c}`.
fn crate_refs(code: &str) -> Vec<String> {
    refs_after(code, "crate::")
}

/// The first names of the paths that follow `prefix` in `code`:
/// `prefix a::b` gives `a`, and `prefix {a, b::c}` gives `a` and `b`.
fn refs_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in code.split(prefix).skip(1) {
        if let Some(group) = part.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            let mut at_start = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => at_start = true,
                    c if at_start && (c.is_alphanumeric() || c == '_') => item.push(c),
                    _ if at_start && !item.is_empty() => {
                        out.push(std::mem::take(&mut item));
                        at_start = false;
                    }
                    _ => {}
                }
            }
            if !item.is_empty() {
                out.push(item);
            }
        } else {
            let name: String = part
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

#[test]
fn test_code_is_left_out_but_not_what_follows_a_test_only_declaration() {
    let dir = std::env::temp_dir().join(format!("nslab-layers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let f = dir.join("m.rs");
    std::fs::write(
        &f,
        "#[cfg(test)]\nmod fake;\nuse crate::plan::Op;\n// crate::cli in a comment\n#[cfg(test)]\nmod tests {\n    use crate::cli;\n}\n",
    )
    .expect("write");
    let c = code(&f, false);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(crate_refs(&c), ["plan"], "{c}");
}

#[test]
fn crate_refs_reads_paths_and_groups() {
    let refs = crate_refs(
        "use crate::cli::{fail, Exit};\nuse crate::{record::{self, Record}, state};\nlet x = crate::lab::up();",
    );
    assert_eq!(refs, ["cli", "record", "state", "lab"]);
}

#[test]
fn every_module_is_in_the_layer_table() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
    let table = layers(&lib);
    assert!(
        table.len() >= 9,
        "the table in src/lib.rs lost rows: {table:?}"
    );
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| {
            l.strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("mod "))
        })
        .map(|l| l.trim_end_matches(';'))
        .collect();
    for m in declared {
        assert!(
            table.contains_key(m),
            "module {m} is not in the layer table of src/lib.rs: put it in the row it belongs to"
        );
    }
}

#[test]
fn no_module_names_one_at_or_above_its_own_row() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("lib.rs");
    let table = layers(&lib);
    let mut all = Vec::new();
    rust_files(&src(), &mut all);
    let mut wrong = Vec::new();
    for f in &all {
        let Some(m) = module_of(f) else { continue };
        let Some(&rank) = table.get(&m) else {
            wrong.push(format!("{}: module {m} is not in the table", f.display()));
            continue;
        };
        for r in crate_refs(&code(f, false)) {
            match table.get(&r) {
                Some(&to) if r != m && to >= rank => wrong.push(format!(
                    "{}: {m} (row {rank}) names crate::{r} (row {to})",
                    f.display()
                )),
                _ => {}
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows pointing up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn only_host_talks_netlink_or_nftables() {
    let mut all = Vec::new();
    rust_files(&src(), &mut all);
    let host = src().join("host");
    let mut wrong = Vec::new();
    for f in all.iter().filter(|f| !f.starts_with(&host)) {
        let c = code(f, true);
        for krate in ["nslab_netlink", "nslab_nft"] {
            if c.contains(krate) {
                wrong.push(format!("{} uses {krate}", f.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "only src/host may talk to the kernel's network:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn test_doubles_are_built_for_tests_only() {
    let mut all = Vec::new();
    rust_files(&src(), &mut all);
    let mut wrong = Vec::new();
    for f in &all {
        let text = std::fs::read_to_string(f).expect("read a source file");
        let mut before = "";
        for line in text.lines() {
            let decl = line
                .trim_start()
                .trim_start_matches("pub ")
                .trim_start_matches("pub(crate) ");
            let double = decl
                .strip_prefix("mod ")
                .is_some_and(|m| m.contains("fake") || m.contains("mock"));
            if double && !before.trim_start().starts_with("#[cfg(test)]") {
                wrong.push(format!("{}: `{}`", f.display(), line.trim()));
            }
            before = line;
        }
    }
    assert!(
        wrong.is_empty(),
        "a test double in the shipped library (put #[cfg(test)] above it):\n{}",
        wrong.join("\n")
    );
}

/// Whether `code` names a `Result` whose error type is `String`.
fn string_error(code: &str) -> bool {
    code.match_indices("Result<").any(|(at, _)| {
        let mut depth = 0;
        let mut last_comma = None;
        for (i, c) in code[at..].char_indices() {
            match c {
                '<' => depth += 1,
                ',' if depth == 1 => last_comma = Some(at + i),
                '>' if depth == 1 => {
                    return last_comma.is_some_and(|c| code[c + 1..at + i].trim() == "String")
                }
                '>' => depth -= 1,
                _ => {}
            }
        }
        false
    })
}

#[test]
fn string_errors_and_prints_are_recognised() {
    assert!(string_error("fn f() -> Result<Vec<u8>, String> {"));
    assert!(string_error("pub result: Result<PingStats, String>,"));
    assert!(!string_error(
        "fn f() -> Result<BTreeMap<String, String>, OpError> {"
    ));
    assert!(!string_error("fn f() -> Result<(), Cause> {"));
    assert!(prints("    eprintln!(\"warning: {x}\");"));
    assert!(prints("println!(\"ready\");"));
    assert!(!prints("let line = format!(\"{x}\");"));
}

/// Whether `code` writes to the terminal itself.
fn prints(code: &str) -> bool {
    ["println!(", "print!(", "dbg!("]
        .iter()
        .any(|m| code.contains(m))
}

/// The library keeps its errors typed to the top and returns what it has
/// to say: outside the CLI (`src/cli`, `src/main.rs`), no error is a
/// `String` (where the errno and the kind are lost), and nothing is
/// printed (a warning is data the caller shows, or not).
#[test]
fn the_library_neither_stringifies_errors_nor_prints() {
    let mut all = Vec::new();
    rust_files(&src(), &mut all);
    let cli = src().join("cli");
    let mut wrong = Vec::new();
    let mut scanned = 0;
    for f in all
        .iter()
        .filter(|f| !f.starts_with(&cli) && !f.ends_with("main.rs"))
    {
        scanned += 1;
        for (i, line) in code_lines(f) {
            if string_error(&line) {
                wrong.push(format!(
                    "{}:{i}: an error as a String: {}",
                    f.display(),
                    line.trim()
                ));
            }
            if prints(&line) {
                wrong.push(format!("{}:{i}: prints: {}", f.display(), line.trim()));
            }
        }
    }
    assert!(scanned > 40, "scanned only {scanned} files");
    assert!(
        wrong.is_empty(),
        "the library's errors are typed and its warnings returned:\n{}",
        wrong.join("\n")
    );
}

/// The lines of `path`'s code (no comments, no test code), each with its
/// line number.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return Vec::new();
    }
    let text = std::fs::read_to_string(path).expect("read a source file");
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        if line == "#[cfg(test)]" {
            match lines.peek() {
                Some((_, next)) if next.ends_with('{') => break,
                Some(_) => {
                    lines.next();
                    continue;
                }
                None => break,
            }
        }
        let code = line.split("//").next().unwrap_or("");
        if !code.trim().is_empty() {
            out.push((i + 1, code.to_string()));
        }
    }
    out
}

/// A file's part of its module (`src/host/linux/links.rs` and
/// `src/host/linux.rs` are `linux` of `host`); the module's root file
/// (`mod.rs`, or a crate's `lib.rs`) is none.
fn part_of(module: &Path, f: &Path) -> Option<String> {
    let rel = f.strip_prefix(module).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let part = first.strip_suffix(".rs").unwrap_or(first);
    (part != "mod" && part != "lib").then(|| part.to_string())
}

/// The other parts of a module that a file of part `part` names:
/// `super::x` from a file of the module's own directory, `super::super::x`
/// (or `super::x` its parent took in with `use`) from a file one deeper,
/// and `{path}x` from anywhere (`path` is how the crate names the module:
/// `crate::cli::`, or `crate::` for a crate's root).
fn part_refs(
    path: &str,
    parts: &BTreeSet<String>,
    part: &str,
    nested: bool,
    code: &str,
) -> BTreeSet<String> {
    let mut names = refs_after(code, path);
    if nested {
        names.extend(refs_after(code, "super::super::"));
    }
    names.extend(refs_after(code, "super::"));
    names
        .into_iter()
        .filter(|n| n != part && parts.contains(n))
        .collect()
}

/// The arrows between the parts of the module in directory `module` of
/// the root crate (`src/cli`: named `crate::cli::`).
fn part_graph(module: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let name = module
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a module directory");
    part_graph_named(module, &format!("crate::{name}::"))
}

/// The arrows between the parts of the module in directory `module`,
/// which its crate names by `path`.
fn part_graph_named(module: &Path, path: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(module, &mut files);
    let parts: BTreeSet<String> = files.iter().filter_map(|f| part_of(module, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let Some(part) = part_of(module, f) else {
            continue;
        };
        let nested = f.parent() != Some(module);
        // A part's own files (`linux/links.rs` naming `super::physical`
        // of `linux`) are not other parts.
        let own: BTreeSet<String> = if nested {
            let mut inner = Vec::new();
            rust_files(&module.join(&part), &mut inner);
            inner
                .iter()
                .filter_map(|f| f.file_stem()?.to_str().map(str::to_string))
                .collect()
        } else {
            BTreeSet::new()
        };
        let to = part_refs(path, &parts, &part, nested, &code(f, false));
        graph
            .entry(part)
            .or_default()
            .extend(to.into_iter().filter(|t| !own.contains(t)));
    }
    graph
}

/// Each cycle of `graph`, as the path around it (`a -> b -> a`), once.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: BTreeSet<BTreeSet<String>> = BTreeSet::new();
    for start in graph.keys() {
        // Breadth first from `start`'s arrows back to `start`.
        let mut from: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue: std::collections::VecDeque<&str> = std::collections::VecDeque::new();
        queue.push_back(start);
        let mut found = None;
        while let Some(at) = queue.pop_front() {
            for next in graph.get(at).into_iter().flatten() {
                if next == start {
                    found = Some(at);
                    break;
                }
                if !from.contains_key(next.as_str()) {
                    from.insert(next, at);
                    queue.push_back(next);
                }
            }
            if found.is_some() {
                break;
            }
        }
        let Some(mut at) = found else { continue };
        let mut path = vec![start.as_str()];
        while at != start {
            path.push(at);
            at = from[at];
        }
        path.reverse();
        path.insert(0, start);
        let members: BTreeSet<String> = path.iter().map(|p| p.to_string()).collect();
        if seen.insert(members) {
            out.push(path.join(" -> "));
        }
    }
    out
}

#[test]
fn a_cycle_between_parts_of_a_module_is_found() {
    let dir = std::env::temp_dir().join(format!("nslab-parts-{}", std::process::id()));
    let m = dir.join("m");
    std::fs::create_dir_all(m.join("a")).expect("mkdir");
    let write = |p: &str, t: &str| std::fs::write(m.join(p), t).expect("write");
    write("mod.rs", "mod a;\nmod b;\nmod c;\n");
    write("a.rs", "mod inner;\nuse super::{b::x, Exit};\n");
    write("a/inner.rs", "use super::super::c;\nuse super::b;\n");
    write(
        "b.rs",
        "use crate::m::c::y;\n#[cfg(test)]\nmod tests {\n    use super::a;\n}\n",
    );
    write("c.rs", "// super::b in a comment\nfn f() {}\n");
    let acyclic = part_graph(&m);
    write("c.rs", "use super::a::inner;\n");
    let cyclic = part_graph(&m);
    let _ = std::fs::remove_dir_all(&dir);
    let arrows = |g: &BTreeMap<String, BTreeSet<String>>, p: &str| -> Vec<String> {
        g.get(p).into_iter().flatten().cloned().collect()
    };
    assert_eq!(arrows(&acyclic, "a"), ["b", "c"], "{acyclic:?}");
    assert_eq!(arrows(&acyclic, "b"), ["c"], "{acyclic:?}");
    assert!(cycles(&acyclic).is_empty(), "{:?}", cycles(&acyclic));
    assert_eq!(
        cycles(&cyclic),
        ["a -> c -> a", "b -> c -> a -> b"],
        "{cyclic:?}"
    );
}

/// Inside a module, the files import one way: no two parts of `src/cli`,
/// `src/host` or the model crate name each other, directly or around a
/// longer cycle (a part that dispatches does not also serve the parts it
/// dispatches to; the model's `raw` file form does not lean on `lower`,
/// which reads it).
#[test]
fn the_parts_of_a_module_import_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut wrong = Vec::new();
    let modules = [
        (src().join("cli"), "crate::cli::".to_string()),
        (src().join("host"), "crate::host::".to_string()),
        (root.join("crates/model/src"), "crate::".to_string()),
    ];
    for (dir, path) in &modules {
        let graph = part_graph_named(dir, path);
        let shown = dir.strip_prefix(root).unwrap_or(dir).display().to_string();
        assert!(graph.len() > 5, "{shown}: only {} parts", graph.len());
        for c in cycles(&graph) {
            wrong.push(format!("{shown}: {c}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "parts of a module that import each other (move what both use into a part of its own):\n{}",
        wrong.join("\n")
    );
}
