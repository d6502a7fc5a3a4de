//! The key table, declared once: [`raw_map!`] writes a serde struct of
//! `raw.rs` and, from the same field list, the keys that map takes and what
//! each value must be ([`Shape`], read off the field's type by [`Shaped`]).
//! A key added to a raw struct is a key the shape pass knows. Below both
//! `raw` (whose structs it declares) and `shape` (which walks the file by
//! it).

use serde_saphyr::Spanned;

/// What a value must be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// Anything (a leaf; its value is checked when lowered).
    Any,
    /// A map with these keys (or nothing).
    Struct(&'static Map),
    /// A map of names to values of this shape (or nothing).
    Entries(&'static Shape),
    /// A list of this shape (or nothing).
    List(&'static Shape),
    /// A string, list or anything else; when a map, one with these keys
    /// (the long form of a route, link or check).
    MapForm(&'static Map),
}

/// The keys of one map, in file order, and the section of
/// `docs/topology.md` that documents them.
#[derive(Debug)]
pub(crate) struct Map {
    pub(crate) section: &'static str,
    pub(crate) keys: &'static [(&'static str, Shape)],
}

/// The shape a raw type takes in the file.
pub(crate) trait Shaped {
    const SHAPE: Shape;
}

impl<T: Shaped> Shaped for Option<T> {
    const SHAPE: Shape = T::SHAPE;
}
impl<T: Shaped> Shaped for Spanned<T> {
    const SHAPE: Shape = T::SHAPE;
}
impl<T: Shaped> Shaped for Vec<T> {
    const SHAPE: Shape = Shape::List(&T::SHAPE);
}

/// `vlan_filtering` → `vlan-filtering`, at compile time (serde's
/// `rename_all = "kebab-case"` does the same; a test compares the two).
pub(crate) const fn kebab<const N: usize>(field: &str) -> [u8; N] {
    let b = field.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = if b[i] == b'_' { b'-' } else { b[i] };
        i += 1;
    }
    out
}

/// The key of a field: its name in kebab case, or the one given with `as`.
macro_rules! key {
    ($f:ident) => {{
        const B: [u8; stringify!($f).len()] = $crate::key_table::kebab(stringify!($f));
        match ::core::str::from_utf8(&B) {
            Ok(s) => s,
            Err(_) => panic!("a field name is ASCII"),
        }
    }};
    ($f:ident $key:literal) => {
        $key
    };
}
pub(crate) use key;

/// Declares a raw struct (serde, kebab-case keys, every field optional)
/// and its entry in the key table, `Type::MAP`, from one field list:
///
/// ```ignore
/// raw_map! {
///     /// One member of a network.
///     pub struct RawMember in "Networks" {
///         address: Option<Leaf>,
///         in_ as "in": Option<Leaf>,
///     }
/// }
/// ```
macro_rules! raw_map {
    ($(#[$m:meta])* pub struct $name:ident in $section:literal {
        $($(#[$fm:meta])* $f:ident $(as $key:literal)? : $t:ty),* $(,)?
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub struct $name {
            $($(#[$fm])* $(#[serde(rename = $key)])? pub $f: $t,)*
        }

        impl $name {
            /// Its keys, what each value must be, and its section of the
            /// reference.
            pub(crate) const MAP: $crate::key_table::Map = $crate::key_table::Map {
                section: $section,
                keys: &[$(
                    (
                        $crate::key_table::key!($f $($key)?),
                        <$t as $crate::key_table::Shaped>::SHAPE,
                    ),
                )*],
            };
        }

        impl $crate::key_table::Shaped for $name {
            const SHAPE: $crate::key_table::Shape = $crate::key_table::Shape::Struct(&$name::MAP);
        }
    };
}
pub(crate) use raw_map;
