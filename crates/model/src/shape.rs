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
//! The table mirrors `raw.rs`; a test checks that both know the same keys.

use crate::loc::Loc;
use crate::problem::{Problem, ProblemKind};
use serde_saphyr::Spanned;

mod tree;
use tree::Tree;

/// What a value must be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// Anything (a leaf; its value is checked when lowered).
    Any,
    /// A map with these keys (or nothing).
    Struct(&'static [(&'static str, Shape)]),
    /// A map of names to values of this shape (or nothing).
    Entries(&'static Shape),
    /// A list of this shape (or nothing).
    List(&'static Shape),
    /// A string, list or anything else; when a map, one with these keys
    /// (the long form of a route, link or check).
    MapForm(&'static [(&'static str, Shape)]),
}

use Shape::*;

pub(crate) const IMPAIR: &[(&str, Shape)] = &[
    ("delay", Any),
    ("jitter", Any),
    ("loss", Any),
    ("rate", Any),
];

pub(crate) const INTERFACE: &[(&str, Shape)] = &[
    ("kind", Any),
    ("addresses", List(&Any)),
    ("up", Any),
    ("mtu", Any),
    ("mac", Any),
    ("master", Any),
    ("hairpin", Any),
    ("impair", Struct(IMPAIR)),
    ("stp", Any),
    ("ageing", Any),
    ("vlan-filtering", Any),
    ("parent", Any),
    ("id", Any),
    ("mode", Any),
    ("flag", Any),
    ("vni", Any),
    ("remote", Any),
    ("group", Any),
    ("local", Any),
    ("dev", Any),
    ("port", Any),
    ("learning", Any),
    ("from", Any),
    ("owner", Any),
    ("table", Any),
];

pub(crate) const ROUTE: &[(&str, Shape)] = &[
    ("to", Any),
    ("via", Any),
    ("dev", Any),
    ("metric", Any),
    ("src", Any),
    ("table", Any),
];

pub(crate) const MASQUERADE: &[(&str, Shape)] = &[("from", Any), ("out", Any), ("not-out", Any)];

pub(crate) const FORWARD: &[(&str, Shape)] =
    &[("proto", Any), ("port", Any), ("to", Any), ("in", Any)];

pub(crate) const NAT: &[(&str, Shape)] = &[
    ("masquerade", List(&Struct(MASQUERADE))),
    ("forward", List(&Struct(FORWARD))),
];

pub(crate) const NODE: &[(&str, Shape)] = &[
    ("netns", Any),
    ("kind", Any),
    ("lo", Any),
    ("forwarding", Any),
    ("sysctls", Entries(&Any)),
    ("interfaces", Entries(&Struct(INTERFACE))),
    ("routes", List(&MapForm(ROUTE))),
    ("nat", Struct(NAT)),
    ("serve", List(&Any)),
    ("run", List(&Any)),
];

pub(crate) const LINK: &[(&str, Shape)] = &[("endpoints", List(&Any)), ("mtu", Any)];

pub(crate) const MEMBER: &[(&str, Shape)] =
    &[("address", Any), ("ifname", Any), ("publish", List(&Any))];

pub(crate) const NETWORK: &[(&str, Shape)] = &[
    ("node", Any),
    ("subnet", Any),
    ("subnets", List(&Any)),
    ("gateway", Any),
    ("masquerade", Any),
    ("members", Entries(&Struct(MEMBER))),
];

pub(crate) const EXPECT: &[(&str, Shape)] = &[
    ("from", Any),
    ("to", Any),
    ("proto", Any),
    ("reply-from", Any),
    ("seen-as", Any),
    ("expect", Any),
    ("check", Any),
    ("within", Any),
];

pub(crate) const IMPAIR_STEP: &[(&str, Shape)] = &[
    ("interface", Any),
    ("delay", Any),
    ("jitter", Any),
    ("loss", Any),
    ("rate", Any),
    ("clear", Any),
];

pub(crate) const PARTITION: &[(&str, Shape)] = &[("groups", List(&Any)), ("one-way", Any)];

pub(crate) const EXEC: &[(&str, Shape)] =
    &[("node", Any), ("cmd", Any), ("exit", Any), ("timeout", Any)];

pub(crate) const STEP: &[(&str, Shape)] = &[
    ("expect", List(&MapForm(EXPECT))),
    ("link", Any),
    ("impair", Struct(IMPAIR_STEP)),
    ("partition", MapForm(PARTITION)),
    ("stop", Any),
    ("start", Any),
    ("wait", Any),
    ("exec", Struct(EXEC)),
];

/// The whole file.
pub(crate) const TOP: &[(&str, Shape)] = &[
    ("lab", Any),
    ("nodes", Entries(&Struct(NODE))),
    ("links", List(&MapForm(LINK))),
    ("networks", Entries(&Struct(NETWORK))),
    ("expect", List(&MapForm(EXPECT))),
    ("scenarios", Entries(&List(&MapForm(STEP)))),
];

/// Each map of the file, with the section of `docs/topology.md` that
/// documents its keys (one table row per key; a test keeps it so).
const SECTIONS: &[(&str, &[(&str, Shape)])] = &[
    ("Top level", TOP),
    ("Nodes", NODE),
    ("Interfaces", INTERFACE),
    ("Impairments", IMPAIR),
    ("Links", LINK),
    ("Routes", ROUTE),
    ("NAT", NAT),
    ("NAT", MASQUERADE),
    ("NAT", FORWARD),
    ("Networks", NETWORK),
    ("Networks", MEMBER),
    ("Expect", EXPECT),
    ("Scenarios", STEP),
    ("Scenarios", IMPAIR_STEP),
    ("Scenarios", PARTITION),
    ("Scenarios", EXEC),
];

/// Every key the file may have, as (section of `docs/topology.md`, key).
pub fn documented_keys() -> Vec<(&'static str, &'static str)> {
    SECTIONS
        .iter()
        .flat_map(|(section, keys)| keys.iter().map(move |(k, _)| (*section, *k)))
        .collect()
}

/// The same map: the same keys (consts have no fixed address to compare).
fn same(a: &[(&str, Shape)], b: &[(&str, Shape)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0)
}

fn section_of(fields: &[(&'static str, Shape)]) -> &'static str {
    SECTIONS
        .iter()
        .find(|(_, t)| same(t, fields))
        .map_or("Top level", |(s, _)| s)
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
    walk(&tree, Struct(TOP), (file, "Top level"), &mut out);
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
    fields: &[(&'static str, Shape)],
    file: &str,
    out: &mut Vec<Problem>,
) {
    let known: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
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
        match fields.iter().find(|(f, _)| *f == name) {
            Some((_, shape)) => {
                if seen.contains(&name) {
                    twice(out, file, k, name);
                }
                seen.push(name);
                walk(val, *shape, (file, section_of(fields)), out);
            }
            None => {
                let list = known.join(", ");
                let doc = format!("docs/topology.md, section \"{}\"", section_of(fields));
                let hint = match crate::parse::closest(name, &known) {
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
