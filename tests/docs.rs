//! docs/topology.md is the complete reference: every key the parser
//! accepts has a row in the section for its map, and every YAML example in
//! it is a file the parser accepts (or one marked `# invalid`, which it
//! refuses). The README's own sample builds no duplicate rule, and a file
//! that does is warned about.

mod common;
use common::*;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn doc() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/topology.md"))
        .expect("docs/topology.md")
}

/// The text of the `## {name}` section, up to the next `## ` heading.
fn section<'a>(doc: &'a str, name: &str) -> Option<&'a str> {
    let head = format!("\n## {name}\n");
    let start = doc.find(&head)? + head.len();
    let end = doc[start..].find("\n## ").map_or(doc.len(), |e| start + e);
    Some(&doc[start..end])
}

#[test]
fn every_key_the_parser_accepts_has_a_row_in_its_section() {
    let doc = doc();
    let mut missing = Vec::new();
    for (sec, key) in nslab_model::documented_keys() {
        let Some(body) = section(&doc, sec) else {
            missing.push(format!("no section `## {sec}`"));
            continue;
        };
        let row = format!("| `{key}` |");
        if !body.lines().any(|l| l.starts_with(&row)) {
            missing.push(format!("{sec}: no row for `{key}`"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// Every ```yaml block: (line of the block, its text).
fn yaml_blocks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, l) in text.lines().enumerate() {
        match (&mut current, l) {
            (None, "```yaml") => current = Some((i + 2, String::new())),
            (Some(_), "```") => out.extend(current.take()),
            (Some((_, body)), l) => {
                body.push_str(l);
                body.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

#[test]
fn every_example_in_the_reference_validates_or_is_marked_invalid() {
    let doc = doc();
    let blocks = yaml_blocks(&doc);
    assert!(blocks.len() >= 10, "only {} examples", blocks.len());
    for (line, text) in blocks {
        // Host interfaces are not asked: a `physical` example names one
        // this machine need not have.
        let parsed = nslab_model::parse_str(
            &format!("docs/topology.md:{line}"),
            &text,
            &nslab_model::AnyHostInterfaces,
        );
        if text.starts_with("# invalid") {
            assert!(parsed.is_err(), "line {line}: marked invalid but accepted");
        } else if let Err(p) = parsed {
            panic!("line {line}: {}\n{text}", p.render_plain());
        }
    }
}

#[test]
fn the_readme_sample_has_no_warning_and_a_duplicate_rule_has_one() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    for (line, text) in yaml_blocks(&readme) {
        let mut child = Command::new(nslab_bin())
            .args(["validate", "-"])
            // Warnings about the file, not about this kernel's modules.
            .env("NSLAB_MODULES_ROOT", "/nonexistent")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nslab");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
        let o = child.wait_with_output().expect("nslab");
        let t = text_of(&o);
        assert_eq!(o.status.code(), Some(0), "README line {line}: {t}");
        assert!(!t.contains("warning"), "README line {line}: {t}");
    }
    let dup = "lab: dup
nodes:
  h1:
    nat:
      masquerade: [{ from: 172.17.0.0/16, not-out: docker0 }]
  web: {}
networks:
  docker0: { node: h1, subnet: 172.17.0.0/16, members: { web: {} } }
";
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dup-nat.yaml");
    std::fs::write(&path, dup).expect("write");
    let p = path.to_str().expect("utf-8");
    let t = nslab_ok(&["validate", p], 0);
    assert!(
        t.contains("warning: node h1: the NAT rule") && t.contains("twice"),
        "{t}"
    );
    let o = nslab(&["validate", "--json", p]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON value");
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(1), "{v}");
}

fn text_of(o: &std::process::Output) -> String {
    text(o)
}
