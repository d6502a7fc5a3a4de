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
];

/// The whole file.
pub(crate) const TOP: &[(&str, Shape)] = &[
    ("lab", Any),
    ("nodes", Entries(&Struct(NODE))),
    ("links", List(&MapForm(LINK))),
    ("networks", Entries(&Struct(NETWORK))),
    ("expect", List(&MapForm(EXPECT))),
];

/// Read `text` as a generic tree; the YAML reader's error if it cannot.
pub(crate) fn check(
    text: &str,
    file: &str,
    mut options: serde_saphyr::Options,
) -> Result<Vec<Problem>, serde_saphyr::Error> {
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::PassThrough;
    let tree: Spanned<Tree> = serde_saphyr::from_str_with_options(text, options)?;
    let mut out = Vec::new();
    walk(&tree, Struct(TOP), file, &mut out);
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

fn wrong(out: &mut Vec<Problem>, file: &str, v: &Spanned<Tree>, what: &str, hint: &str) {
    push(
        out,
        file,
        ProblemKind::WrongType,
        loc(v),
        format!("expected {what} here, found {}", v.value.describe()),
        hint.to_string(),
    );
}

fn walk(v: &Spanned<Tree>, shape: Shape, file: &str, out: &mut Vec<Problem>) {
    match (shape, &v.value) {
        (Any, _) | (_, Tree::Null) => {}
        (Struct(fields) | MapForm(fields), Tree::Map(entries)) => {
            fields_of(entries, fields, file, out);
        }
        (MapForm(_), _) => {}
        (Struct(_), _) => wrong(
            out,
            file,
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
                walk(val, *inner, file, out);
            }
        }
        (Entries(_), _) => wrong(
            out,
            file,
            v,
            "a map of names (`name: ...` entries)",
            "write one `name:` per line below this key, indented",
        ),
        (List(inner), Tree::Seq(items)) => {
            for item in items {
                walk(item, *inner, file, out);
            }
        }
        (List(_), _) => wrong(
            out,
            file,
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
                walk(val, *shape, file, out);
            }
            None => {
                let list = known.join(", ");
                let hint = match crate::parse::closest(name, &known) {
                    Some(c) => format!("did you mean `{c}`? Known keys here: {list}"),
                    None => format!("known keys here: {list}"),
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
mod tests {
    use super::*;
    use crate::raw::*;
    use serde::de::{Deserialize, Deserializer, Visitor};

    /// A deserializer that only records the fields a struct asks for.
    struct Grab<'a>(&'a mut Vec<&'static str>);

    impl<'de> Deserializer<'de> for Grab<'_> {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0.extend_from_slice(fields);
            Err(serde::de::Error::custom("fields recorded"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    /// The keys serde's derive reads for `T`.
    fn serde_keys<'de, T: Deserialize<'de>>() -> Vec<String> {
        let mut fields = Vec::new();
        let _ = T::deserialize(Grab(&mut fields));
        assert!(!fields.is_empty());
        fields.iter().map(|s| s.to_string()).collect()
    }

    fn keys(fields: &[(&str, Shape)]) -> Vec<String> {
        fields.iter().map(|(k, _)| k.to_string()).collect()
    }

    #[test]
    fn the_table_knows_the_keys_raw_rs_knows() {
        assert_eq!(keys(TOP), serde_keys::<RawTopology>());
        assert_eq!(keys(NODE), serde_keys::<RawNode>());
        assert_eq!(keys(INTERFACE), serde_keys::<RawInterface>());
        assert_eq!(keys(IMPAIR), serde_keys::<RawImpair>());
        assert_eq!(keys(LINK), serde_keys::<RawLinkLong>());
        assert_eq!(keys(ROUTE), serde_keys::<RawRouteMap>());
        assert_eq!(keys(NAT), serde_keys::<RawNat>());
        assert_eq!(keys(MASQUERADE), serde_keys::<RawMasquerade>());
        assert_eq!(keys(FORWARD), serde_keys::<RawForward>());
        assert_eq!(keys(NETWORK), serde_keys::<RawNetwork>());
        assert_eq!(keys(MEMBER), serde_keys::<RawMember>());
        assert_eq!(keys(EXPECT), serde_keys::<RawExpectMap>());
    }
}
