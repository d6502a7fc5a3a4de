//! `env:`, `dirs:` and `files:` of a node: what its processes see besides
//! its network. Paths are checked here (absolute, normal, each file inside
//! one of the node's directories, so the machine's own files are never
//! written); owners and `from:` files are looked up by the root crate.

use super::Ctx;
use crate::loc::Loc;
use crate::names::NodeName;
use crate::problem::ProblemKind;
use crate::raw::{loc_of, Entries, Leaf, RawDir, RawFile, Scalar};
use crate::topology::{FileContent, Node, NodeDir, NodeFile, NodeKind, Owner};
use serde_saphyr::Spanned;

/// What the node's `env:`, `dirs:` and `files:` say, checked.
pub(crate) struct RawFs {
    pub(crate) env: Option<Entries<Leaf>>,
    pub(crate) dirs: Option<Vec<Spanned<RawDir>>>,
    pub(crate) files: Option<Entries<Spanned<RawFile>>>,
}

pub(crate) fn node_fs(cx: &mut Ctx<'_>, p: &str, name: &NodeName, raw: RawFs, node: &mut Node) {
    let host = node.kind == NodeKind::Host;
    for (k, v) in raw.env.unwrap_or_default().0 {
        if host {
            host_refused(cx, loc_of(&k), name, "env");
            continue;
        }
        let (Some(key), Some(val)) = (cx.text(&k, "a variable name"), env_value(cx, &v)) else {
            continue;
        };
        let bad = key.is_empty() || key.contains('=') || key.chars().any(char::is_control);
        if bad {
            cx.push(
                ProblemKind::InvalidName,
                loc_of(&k),
                format!("`{}` cannot be an environment variable", key.escape_debug()),
                "a variable name is not empty and has no `=` or control characters",
            );
            continue;
        }
        cx.span(format!("{p}.env.{key}"), loc_of(&k));
        node.env.insert(key, val);
    }
    for d in raw.dirs.unwrap_or_default() {
        if host {
            host_refused(cx, loc_of(&d), name, "dirs");
            continue;
        }
        if let Some(dir) = lower_dir(cx, &d) {
            if let Some(prev) = node.dirs.iter().find(|o| nested(&o.path, &dir.path)) {
                let (what, hint) = if prev.path == dir.path {
                    ("is listed twice", "list each directory once")
                } else {
                    (
                        "is inside another of the node's `dirs:`",
                        "list the outer directory only: what is inside it is private already",
                    )
                };
                cx.push(
                    ProblemKind::DuplicateName,
                    dir.loc,
                    format!("`{}` {what} (`{}`)", dir.path, prev.path),
                    hint,
                );
                continue;
            }
            if let RawDir::Map(m) = &d.value {
                if let Some(o) = &m.owner {
                    cx.span(format!("{p}.dirs.{}.owner", dir.path), loc_of(o));
                }
            }
            node.dirs.push(dir);
        }
    }
    for (k, v) in raw.files.unwrap_or_default().0 {
        if host {
            host_refused(cx, loc_of(&k), name, "files");
            continue;
        }
        let Some(path) = abs_path(cx, &k, "file") else {
            continue;
        };
        if !node.dirs.iter().any(|d| inside(&d.path, &path)) {
            cx.push(
                ProblemKind::InvalidValue,
                loc_of(&k),
                format!("`{path}` is not inside one of node `{name}`'s `dirs:`"),
                "nslab writes files only into the node's private directories, never the machine's own: add its directory to `dirs:`",
            );
            continue;
        }
        if let Some(f) = lower_file(cx, loc_of(&k), &v) {
            cx.span(format!("{p}.files.{path}"), loc_of(&k));
            node.files.insert(path, f);
        }
    }
}

/// A value of `env:`: text, a number or a boolean, as written.
fn env_value(cx: &mut Ctx<'_>, v: &Leaf) -> Option<String> {
    match &v.value {
        Scalar::Bool(b) => Some(b.to_string()),
        Scalar::Str(s) if s.contains('\0') => {
            cx.push(
                ProblemKind::InvalidValue,
                loc_of(v),
                "an environment value cannot hold a NUL byte",
                "remove the NUL byte",
            );
            None
        }
        _ => cx.text(v, "a value"),
    }
}

fn host_refused(cx: &mut Ctx<'_>, loc: Loc, name: &NodeName, key: &str) {
    cx.push(
        ProblemKind::InvalidValue,
        loc,
        format!(
            "node `{name}` is the host namespace (the machine itself); it has no private `{key}`"
        ),
        format!("remove `{key}:`, or remove `kind: host`"),
    );
}

/// `a` is `b` or a directory above it.
fn inside(dir: &str, path: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.starts_with('/'))
}

fn nested(a: &str, b: &str) -> bool {
    a == b || inside(a, b) || inside(b, a)
}

/// An absolute, normal path: `/` first, no empty, `.` or `..` component,
/// no control character, not `/` itself.
fn abs_path(cx: &mut Ctx<'_>, leaf: &Leaf, what: &str) -> Option<String> {
    let t = cx.text(leaf, &format!("an absolute {what} path"))?;
    let normal = t.len() > 1
        && t.starts_with('/')
        && t[1..]
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
        && !t.chars().any(char::is_control);
    if !normal {
        cx.push(
            ProblemKind::InvalidValue,
            loc_of(leaf),
            format!("`{}` is not an absolute {what} path", t.escape_debug()),
            "write it from the root as the node's processes see it, like /etc/frr: no `.`, `..`, `//` or trailing `/`",
        );
        return None;
    }
    Some(t)
}

fn lower_dir(cx: &mut Ctx<'_>, d: &Spanned<RawDir>) -> Option<NodeDir> {
    let loc = loc_of(d);
    let leaf = |value: Scalar| Leaf {
        value,
        referenced: d.referenced,
        defined: d.defined,
    };
    match &d.value {
        RawDir::Words(w) => Some(NodeDir {
            path: abs_path(cx, &leaf(Scalar::Str(w.clone())), "directory")?,
            mode: None,
            owner: None,
            loc,
        }),
        RawDir::Other(v) => abs_path(cx, &leaf(v.clone()), "directory").map(|path| NodeDir {
            path,
            mode: None,
            owner: None,
            loc,
        }),
        RawDir::Map(m) => {
            let Some(p) = &m.path else {
                cx.push(
                    ProblemKind::MissingKey,
                    loc,
                    "a directory needs `path:`",
                    "write { path: /var/run/frr, owner: frr }",
                );
                return None;
            };
            let path = abs_path(cx, p, "directory");
            let mode = m.mode.as_ref().map(|l| mode(cx, l));
            let owner = m.owner.as_ref().map(|l| owner(cx, l));
            Some(NodeDir {
                path: path?,
                mode: mode.map_or(Some(None), |m| m.map(Some))?,
                owner: owner.map_or(Some(None), |o| o.map(Some))?,
                loc: loc_of(p),
            })
        }
    }
}

fn lower_file(cx: &mut Ctx<'_>, loc: Loc, v: &Spanned<RawFile>) -> Option<NodeFile> {
    let plain = |content| NodeFile {
        content,
        mode: None,
        owner: None,
        loc,
        from_loc: Loc::default(),
        owner_loc: Loc::default(),
    };
    match &v.value {
        RawFile::Words(w) => Some(plain(FileContent::Inline(w.clone()))),
        RawFile::Other(s) => {
            let l = Leaf {
                value: s.clone(),
                referenced: v.referenced,
                defined: v.defined,
            };
            cx.text(&l, "the file's text, or { content | from, mode, owner }")
                .map(|t| plain(FileContent::Inline(t)))
        }
        RawFile::Map(m) => {
            let content = match (&m.content, &m.from) {
                (Some(c), None) => FileContent::Inline(cx.text(c, "the file's text")?),
                (None, Some(f)) => FileContent::From(from_path(cx, f)?),
                (c, f) => {
                    let at = f.as_ref().or(c.as_ref()).map_or(loc_of(v), loc_of);
                    cx.push(
                        ProblemKind::InvalidValue,
                        at,
                        "a file takes exactly one of `content:` and `from:`",
                        "write the text in `content:`, or name a file (relative to the topology file) in `from:`",
                    );
                    return None;
                }
            };
            let mode = m.mode.as_ref().map(|l| mode(cx, l));
            let owner = m.owner.as_ref().map(|l| owner(cx, l));
            Some(NodeFile {
                content,
                mode: mode.map_or(Some(None), |m| m.map(Some))?,
                owner: owner.map_or(Some(None), |o| o.map(Some))?,
                loc,
                from_loc: m.from.as_ref().map_or(Loc::default(), loc_of),
                owner_loc: m.owner.as_ref().map_or(Loc::default(), loc_of),
            })
        }
    }
}

/// `from:`: a file name, relative to the topology file's directory.
fn from_path(cx: &mut Ctx<'_>, f: &Leaf) -> Option<String> {
    let t = cx.text(f, "a path relative to the topology file")?;
    if t.is_empty() || t.contains('\0') {
        cx.push(
            ProblemKind::InvalidValue,
            loc_of(f),
            "`from:` is empty",
            "name a file, relative to the topology file",
        );
        return None;
    }
    Some(t)
}

/// `mode: "0640"`: octal permission bits, written as a string.
fn mode(cx: &mut Ctx<'_>, l: &Leaf) -> Option<u32> {
    let parsed = match &l.value {
        Scalar::Str(s) if (1..=4).contains(&s.len()) => u32::from_str_radix(s, 8).ok(),
        _ => None,
    };
    if parsed.is_none() {
        cx.push(
            ProblemKind::InvalidValue,
            loc_of(l),
            format!(
                "expected octal permission bits, found {}",
                l.value.describe()
            ),
            "write the mode as a quoted octal string, like mode: \"0640\"",
        );
    }
    parsed
}

/// `owner: user` or `owner: user:group`.
fn owner(cx: &mut Ctx<'_>, l: &Leaf) -> Option<Owner> {
    let t = cx.text(l, "a user, or user:group")?;
    let ok = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_control() || c == ':' || c == '/');
    let (user, group) = match t.split_once(':') {
        Some((u, g)) => (u.to_string(), Some(g.to_string())),
        None => (t.clone(), None),
    };
    if !ok(&user) || group.as_deref().is_some_and(|g| !ok(g)) {
        cx.push(
            ProblemKind::InvalidName,
            loc_of(l),
            format!("`{}` is not a user or user:group", t.escape_debug()),
            "write a user name (or id), or user:group",
        );
        return None;
    }
    Some(Owner { user, group })
}
