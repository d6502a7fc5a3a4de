//! `nslab graph` writes DOT that Graphviz renders and Mermaid that a
//! Mermaid parser accepts, for every example and for node names that are
//! keywords of either language. Needs no root and no kernel: `graph FILE`
//! reads only the file. Graphviz's `dot` must be installed (`.ci/run`
//! installs it); without it the test fails, it is not skipped.

mod common;
use common::*;
use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

/// Node names that are keywords of DOT (`node`, `edge`, `graph`,
/// `digraph`, `subgraph`, `strict`) or of Mermaid (`end`, `graph`,
/// `subgraph`, `style`, `class`, `click`, `default`), or that Mermaid reads
/// as an edge shape (`o`, `x`), or DOT as an expression (`a-b`, `1x`).
const KEYWORDS: &str = "lab: kw
nodes:
  edge: { interfaces: { e0: { addresses: [10.0.0.1/24] } } }
  node: { interfaces: { e0: { addresses: [10.0.0.2/24] } } }
  graph: {}
  subgraph: {}
  end: {}
  strict: {}
  digraph: {}
  style: {}
  click: {}
  o: {}
  x: {}
  a-b: {}
links:
  - [edge:e0, node:e0]
  - [graph:e0, subgraph:e0]
  - [end:e0, strict:e0]
  - [digraph:e0, style:e0]
  - [click:e0, o:e0]
  - [x:e0, a-b:e0]
";

fn files() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(examples())
        .expect("examples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.display().to_string())
        .collect();
    v.sort();
    // Cargo's scratch directory for integration tests, under target/.
    let kw = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("graph-keywords.yaml");
    std::fs::write(&kw, KEYWORDS).expect("write");
    v.push(kw.display().to_string());
    v
}

fn graph(file: &str, format: &str) -> String {
    let o = nslab(&["graph", file, "--format", format]);
    assert_eq!(o.status.code(), Some(0), "graph {file}: {}", text(&o));
    String::from_utf8(o.stdout).expect("utf-8")
}

/// Node names of a file, as `validate --json` does not list them: every
/// key under `nodes:` two spaces in.
fn node_names(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect("read");
    text.lines()
        .skip_while(|l| *l != "nodes:")
        .skip(1)
        .take_while(|l| l.starts_with(' ') || l.is_empty())
        .filter(|l| l.starts_with("  ") && l[2..].starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| l.trim().split(':').next().map(str::to_string))
        .collect()
}

#[test]
fn dot_renders_with_graphviz_for_every_example_and_keyword_names() {
    for file in files() {
        let dot = graph(&file, "dot");
        let child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = child.expect("Graphviz's `dot` is needed: apt-get install graphviz");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(dot.as_bytes())
            .expect("write dot");
        let o = child.wait_with_output().expect("dot");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() && err.trim().is_empty(),
            "{file}: dot says {err}\n{dot}"
        );
        let svg = String::from_utf8_lossy(&o.stdout);
        for n in node_names(&file) {
            // SVG writes `-` as `&#45;`.
            let drawn = format!(">{}</text>", n.replace('-', "&#45;"));
            assert!(svg.contains(&drawn), "{file}: node {n} not drawn");
        }
    }
}

/// The grammar of the Mermaid nslab writes, checked line by line: the
/// header `flowchart LR`; node lines `  ID["TEXT"]`; edge lines
/// `  ID ---|"TEXT"| ID` between declared nodes. An ID is `n` and digits
/// (never a keyword, never read as an edge shape); TEXT has no `"`, no
/// `|`, no `<`/`>` except the `<br/>` line break, and every `#` starts an
/// entity (`#quot;`, `#35;`, ...). This is the subset of Mermaid's
/// flowchart grammar whose meaning is fixed (mermaid-js flowchart docs:
/// "Entity codes to escape characters", quoted labels).
fn check_mermaid(m: &str) -> Result<(), String> {
    let mut lines = m.lines();
    if lines.next() != Some("flowchart LR") {
        return Err("first line is not `flowchart LR`".into());
    }
    let is_id =
        |s: &str| s.len() > 1 && s.starts_with('n') && s[1..].bytes().all(|b| b.is_ascii_digit());
    let text_ok = |t: &str| {
        let t = t.replace("<br/>", "\n");
        !t.contains(['"', '|', '<', '>'])
            && t.split('#').skip(1).all(|e| {
                e.split_once(';').is_some_and(|(name, _)| {
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric())
                })
            })
    };
    let mut declared = BTreeSet::new();
    for l in lines {
        let Some(body) = l.strip_prefix("  ") else {
            return Err(format!("not indented: {l}"));
        };
        if let Some((id, rest)) = body.split_once("[\"") {
            let Some(label) = rest.strip_suffix("\"]") else {
                return Err(format!("node line not closed: {l}"));
            };
            if !is_id(id) || !text_ok(label) || !declared.insert(id.to_string()) {
                return Err(format!("bad node line: {l}"));
            }
        } else if let Some((a, rest)) = body.split_once(" ---|\"") {
            let Some((label, b)) = rest.split_once("\"| ") else {
                return Err(format!("edge label not closed: {l}"));
            };
            if !declared.contains(a) || !declared.contains(b) || !text_ok(label) {
                return Err(format!("bad edge line: {l}"));
            }
        } else {
            return Err(format!("neither node nor edge: {l}"));
        }
    }
    Ok(())
}

#[test]
fn mermaid_follows_the_grammar_and_shows_names_and_addresses() {
    for file in files() {
        let m = graph(&file, "mermaid");
        if let Err(e) = check_mermaid(&m) {
            panic!("{file}: {e}\n{m}");
        }
        for n in node_names(&file) {
            assert!(
                m.contains(&format!("[\"{n}")),
                "{file}: node {n} missing\n{m}"
            );
        }
    }
    let m = graph(&files().pop().expect("keywords"), "mermaid");
    assert!(
        m.contains("edge<br/>e0 10.0.0.1/24"),
        "addresses shown: {m}"
    );
}

#[test]
fn the_mermaid_check_rejects_what_mermaid_would_misread() {
    for bad in [
        "graph LR\n  n0[\"a\"]\n",
        "flowchart LR\n  end[\"end\"]\n",
        "flowchart LR\n  n0[\"say \"hi\"\"]\n",
        "flowchart LR\n  n0[\"a|b\"]\n",
        "flowchart LR\n  n0[\"a\"]\n  n0 ---|\"x\"| n1\n",
        "flowchart LR\n  n0[\"a#b\"]\n",
    ] {
        assert!(check_mermaid(bad).is_err(), "accepted: {bad}");
    }
    assert!(check_mermaid(
        "flowchart LR\n  n0[\"a#quot;\"]\n  n1[\"b\"]\n  n0 ---|\"e – f\"| n1\n"
    )
    .is_ok());
}

/// The picture the README shows is of the Docker example as it is now:
/// every node of the file is in it (regenerate it with the command the
/// README gives).
#[test]
fn the_readme_picture_shows_the_docker_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let svg = std::fs::read_to_string(root.join("docs/docker-bridge.svg"))
        .expect("docs/docker-bridge.svg");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    assert!(
        readme.contains(
            "nslab graph examples/docker-bridge.yaml | dot -Tsvg > docs/docker-bridge.svg"
        ),
        "the README gives the command that makes the picture"
    );
    assert!(
        readme.contains("](docs/docker-bridge.svg)"),
        "the README shows it"
    );
    let file = examples().join("docker-bridge.yaml");
    for n in node_names(&file.display().to_string()) {
        assert!(
            svg.contains(&format!(">{n}</text>")),
            "node {n} missing from the picture"
        );
    }
}
