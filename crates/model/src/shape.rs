//! The first pass over the file: its shape, every problem at once.
//!
//! The typed structs of [`crate::raw`] stop at the first unknown key or the
//! first list where a map belongs (serde cannot go on after an error), so a
//! file with four typos would take four runs. This pass reads the YAML as a
//! generic tree, every node with its place, and walks it against [`TOP`], a
//! table of the keys each map takes and what each value must be, collecting
//! every unknown key, wrong shape and duplicate key. Only a file whose
//! shape is right goes on to the typed pass.
//!
//! The table is not written here: [`raw_map!`] derives it from the field
//! lists of `raw.rs`, so each key is declared once.

use crate::loc::Loc;
use crate::problem::{Problem, ProblemKind};
use serde_saphyr::Spanned;

mod tree;
use tree::Tree;

use crate::key_table::{Map, Shape, Shaped};
use Shape::*;

/// The whole file.
const TOP: Shape = <crate::raw::RawTopology as Shaped>::SHAPE;

/// Every map of the file, each once, from the top down.
fn maps() -> Vec<&'static Map> {
    fn visit(shape: Shape, out: &mut Vec<&'static Map>) {
        match shape {
            Any => {}
            Entries(inner) | List(inner) => visit(*inner, out),
            Struct(map) | MapForm(map) => {
                // A map reached twice (`expect:` at the top and in a step).
                if !out.iter().any(|m| same(m, map)) {
                    out.push(map);
                    for (_, s) in map.keys {
                        visit(*s, out);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    visit(TOP, &mut out);
    out
}

/// The same map (consts have no fixed address to compare).
fn same(a: &Map, b: &Map) -> bool {
    a.section == b.section
        && a.keys.len() == b.keys.len()
        && a.keys.iter().zip(b.keys).all(|(x, y)| x.0 == y.0)
}

/// Every key the file may have, as (section of `docs/topology.md`, key).
pub fn documented_keys() -> Vec<(&'static str, &'static str)> {
    maps()
        .into_iter()
        .flat_map(|m| m.keys.iter().map(|(k, _)| (m.section, *k)))
        .collect()
}

/// Read `text` as a generic tree; the YAML reader's error if it cannot.
pub(crate) fn check(
    text: &str,
    file: &str,
    mut options: serde_saphyr::Options,
) -> Result<Vec<Problem>, serde_saphyr::Error> {
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    let tree: Spanned<Tree> = serde_saphyr::from_str_with_options(text, options)?;
    let mut out = Vec::new();
    walk(&tree, TOP, (file, "Top level"), &mut out);
    Ok(out)
}

fn loc<T>(s: &Spanned<T>) -> Loc {
    let l = Loc::from(s.referenced);
    if l.is_known() {
        l
    } else {
        Loc::new(1, 1)
    }
}

fn push(
    out: &mut Vec<Problem>,
    file: &str,
    kind: ProblemKind,
    loc: Loc,
    message: String,
    hint: String,
) {
    out.push(Problem {
        kind,
        message,
        file: file.to_string(),
        loc,
        hint,
    });
}

/// Where a value is: its file, and the section of `docs/topology.md` that
/// documents the map it belongs to.
type At<'a> = (&'a str, &'static str);

fn wrong(
    out: &mut Vec<Problem>,
    (file, section): At<'_>,
    v: &Spanned<Tree>,
    what: &str,
    hint: &str,
) {
    push(
        out,
        file,
        ProblemKind::WrongType,
        loc(v),
        format!("expected {what} here, found {}", v.value.describe()),
        format!("{hint} (docs/topology.md, section \"{section}\")"),
    );
}

fn walk(v: &Spanned<Tree>, shape: Shape, at: At<'_>, out: &mut Vec<Problem>) {
    let file = at.0;
    match (shape, &v.value) {
        (Any, _) | (_, Tree::Null) => {}
        (Struct(fields) | MapForm(fields), Tree::Map(entries)) => {
            fields_of(entries, fields, file, out);
        }
        (MapForm(_), _) => {}
        (Struct(_), _) => wrong(
            out,
            at,
            v,
            "a map (`key: value` entries)",
            "check the indentation: the keys of this value go on the lines below it, indented",
        ),
        (Entries(inner), Tree::Map(entries)) => {
            let mut seen: Vec<&str> = Vec::new();
            for (k, val) in entries {
                if let Tree::Str(name) = &k.value {
                    if seen.contains(&name.as_str()) {
                        twice(out, file, k, name);
                    }
                    seen.push(name);
                }
                walk(val, *inner, at, out);
            }
        }
        (Entries(_), _) => wrong(
            out,
            at,
            v,
            "a map of names (`name: ...` entries)",
            "write one `name:` per line below this key, indented",
        ),
        (List(inner), Tree::Seq(items)) => {
            for item in items {
                walk(item, *inner, at, out);
            }
        }
        (List(_), _) => wrong(
            out,
            at,
            v,
            "a list (`- item` lines or `[a, b]`)",
            "write the value as a list, even with one item: `[x]`",
        ),
    }
}

fn twice(out: &mut Vec<Problem>, file: &str, k: &Spanned<Tree>, name: &str) {
    push(
        out,
        file,
        ProblemKind::DuplicateName,
        loc(k),
        format!("`{name}` is written twice in this map"),
        "each name may appear once; rename or merge the two entries".into(),
    );
}

fn fields_of(
    entries: &[(Spanned<Tree>, Spanned<Tree>)],
    map: &Map,
    file: &str,
    out: &mut Vec<Problem>,
) {
    let known: Vec<&str> = map.keys.iter().map(|(k, _)| *k).collect();
    let mut seen: Vec<&str> = Vec::new();
    for (k, val) in entries {
        let name = match &k.value {
            Tree::Str(s) => s.as_str(),
            other => {
                push(
                    out,
                    file,
                    ProblemKind::UnknownKey,
                    loc(k),
                    format!("a key must be a name, not {}", other.describe()),
                    format!("known keys here: {}", known.join(", ")),
                );
                continue;
            }
        };
        match map.keys.iter().find(|(f, _)| *f == name) {
            Some((_, shape)) => {
                if seen.contains(&name) {
                    twice(out, file, k, name);
                }
                seen.push(name);
                walk(val, *shape, (file, map.section), out);
            }
            None => {
                let list = known.join(", ");
                let doc = format!("docs/topology.md, section \"{}\"", map.section);
                let hint = match crate::suggest::closest(name, &known) {
                    Some(c) => format!("did you mean `{c}`? Known keys here: {list} ({doc})"),
                    None => format!("known keys here: {list} ({doc})"),
                };
                push(
                    out,
                    file,
                    ProblemKind::UnknownKey,
                    loc(k),
                    format!("unknown key `{}`", name.escape_debug()),
                    hint,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests;
