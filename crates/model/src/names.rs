//! Names: lab, node, interface, sysctl key. Each newtype checks its rules
//! once, on construction, and cannot hold an invalid name afterwards.

use crate::problem::{ProblemKind, ValueError};
use std::fmt;
use std::str::FromStr;

macro_rules! string_newtype {
    ($(#[$m:meta])* $name:ident, $check:path) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The name as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, ValueError> {
                $check(s)?;
                Ok($name(s.to_string()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValueError;
            fn try_from(s: String) -> Result<Self, ValueError> {
                $check(&s)?;
                Ok($name(s))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = ValueError;
            fn try_from(s: &str) -> Result<Self, ValueError> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::try_from(s).map_err(serde::de::Error::custom)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

/// `[a-z][a-z0-9-]*` of at most `max` bytes.
fn check_label(what: &str, s: &str, max: usize) -> Result<(), ValueError> {
    let bad = |why: String| {
        ValueError::new(
            ProblemKind::InvalidName,
            format!("{what} name `{s}` {why}"),
            format!(
                "use lowercase letters, digits and `-`, starting with a letter, at most {max} characters"
            ),
        )
    };
    let mut chars = s.chars();
    match chars.next() {
        None => return Err(bad("is empty".into())),
        Some(c) if !c.is_ascii_lowercase() => {
            return Err(bad("must start with a lowercase letter".into()))
        }
        _ => {}
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(bad(format!("contains `{c}`")));
    }
    if s.len() > max {
        return Err(bad(format!(
            "is {} characters long, more than {max}",
            s.len()
        )));
    }
    Ok(())
}

fn check_lab(s: &str) -> Result<(), ValueError> {
    check_label("lab", s, LabName::MAX_LEN)
}

fn check_node(s: &str) -> Result<(), ValueError> {
    check_label("node", s, NodeName::MAX_LEN)
}

/// The kernel's `dev_valid_name()` (net/core/dev.c): 1..IFNAMSIZ-1 bytes,
/// not `.` or `..`, no `/`, `:` or whitespace; and no control characters
/// (a NUL would cut the name short in the kernel), and not `all` or
/// `default`, which are the /proc/sys/net/*/conf/{all,default} entries.
/// (`lo` is a valid name to refer to; validation refuses it where the file
/// would make an interface.)
fn check_ifname(s: &str) -> Result<(), ValueError> {
    let hint = "interface names are 1 to 15 bytes, without `/`, `:`, spaces or control characters, and not `.`, `..`, `all` or `default`";
    let bad = |why: String| {
        ValueError::new(
            ProblemKind::InvalidName,
            format!("interface name `{}` {why}", s.escape_debug()),
            hint,
        )
    };
    if s.is_empty() {
        return Err(bad("is empty".into()));
    }
    if s.len() > IfName::MAX_LEN {
        return Err(bad(format!(
            "is {} bytes long, more than the kernel's {}",
            s.len(),
            IfName::MAX_LEN
        )));
    }
    if s == "." || s == ".." {
        return Err(bad("is reserved".into()));
    }
    if IfName::RESERVED.contains(&s) {
        return Err(bad(
            "is reserved by the kernel (/proc/sys/net/ipv4/conf/all and default)".into(),
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| *c == '/' || *c == ':' || c.is_whitespace() || c.is_control())
    {
        return Err(bad(format!("contains {c:?}")));
    }
    Ok(())
}

fn check_sysctl(s: &str) -> Result<(), ValueError> {
    let bad = |why: &str| {
        ValueError::new(
            ProblemKind::InvalidName,
            format!("sysctl `{s}` {why}"),
            "write a dotted key under net., like net.ipv4.conf.all.rp_filter",
        )
    };
    if !s.starts_with("net.") || s.len() <= 4 {
        return Err(bad(
            "is not a net.* sysctl (only those belong to a namespace)",
        ));
    }
    if s.contains("..") || s.ends_with('.') {
        return Err(bad("has an empty component"));
    }
    if s.chars()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        return Err(bad("contains characters a sysctl key cannot have"));
    }
    Ok(())
}

string_newtype!(
    /// A lab's name: `[a-z][a-z0-9-]*`, at most 12 characters (it prefixes
    /// namespace names, `<lab>-<node>`).
    LabName,
    check_lab
);
string_newtype!(
    /// A node's name: `[a-z][a-z0-9-]*`, at most 15 characters.
    NodeName,
    check_node
);
string_newtype!(
    /// An interface name as the kernel accepts it (`dev_valid_name`).
    IfName,
    check_ifname
);
string_newtype!(
    /// A `net.*` sysctl key in dotted form (`net.ipv4.ip_forward`).
    SysctlKey,
    check_sysctl
);

impl LabName {
    /// Longest lab name.
    pub const MAX_LEN: usize = 12;
}

impl NodeName {
    /// Longest node name.
    pub const MAX_LEN: usize = 15;
}

impl IfName {
    /// Longest interface name (IFNAMSIZ - 1).
    pub const MAX_LEN: usize = 15;

    /// Names no interface can have.
    pub const RESERVED: [&'static str; 2] = ["all", "default"];

    /// The loopback interface every namespace has; the file sets it with
    /// a node's `lo:`, never as an interface of its own.
    pub const LOOPBACK: &'static str = "lo";

    /// For names this crate generates and knows to be valid.
    pub(crate) fn new_unchecked(s: String) -> IfName {
        debug_assert!(check_ifname(&s).is_ok());
        IfName(s)
    }
}

impl SysctlKey {
    /// The path under `/proc/sys` (`net/ipv4/ip_forward`).
    pub fn proc_path(&self) -> String {
        self.0.replace('.', "/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_names() {
        assert!("demo".parse::<LabName>().is_ok());
        assert!("a-1".parse::<LabName>().is_ok());
        assert!("abcdefghijkl".parse::<LabName>().is_ok());
        for bad in ["", "abcdefghijklm", "1ab", "Demo", "a_b", "-a", "a.b"] {
            let e = bad.parse::<LabName>().unwrap_err();
            assert_eq!(e.kind, ProblemKind::InvalidName, "{bad}");
        }
    }

    #[test]
    fn node_names() {
        assert!("abcdefghijklmno".parse::<NodeName>().is_ok());
        assert!("abcdefghijklmnop".parse::<NodeName>().is_err());
        assert!("h1".parse::<NodeName>().is_ok());
        assert!("H1".parse::<NodeName>().is_err());
        assert!("h 1".parse::<NodeName>().is_err());
    }

    #[test]
    fn interface_names() {
        for good in ["eth0", "eth0.100", "ABCdefghijklmno", "br-x_y", "é"] {
            assert!(good.parse::<IfName>().is_ok(), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "a:b",
            "a b",
            "abcdefghijklmnop",
            "a\tb",
            "a\0b",
            "\0",
            "e\x7f",
            "e\u{85}",
            "all",
            "default",
        ] {
            let e = bad.parse::<IfName>().unwrap_err();
            assert_eq!(e.kind, ProblemKind::InvalidName, "{bad}");
        }
        // 15 bytes counts bytes, not characters.
        assert!("ééééééé".parse::<IfName>().is_ok());
        assert!("éééééééé".parse::<IfName>().is_err());
    }

    #[test]
    fn sysctl_keys() {
        let k: SysctlKey = "net.ipv4.conf.all.rp_filter".parse().unwrap();
        assert_eq!(k.proc_path(), "net/ipv4/conf/all/rp_filter");
        for bad in ["kernel.pid_max", "net.", "net..x", "net.a b", "net.x."] {
            assert!(bad.parse::<SysctlKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn names_deserialize_with_checks() {
        let n: NodeName = serde_json::from_str("\"h1\"").unwrap();
        assert_eq!(n, "h1");
        assert!(serde_json::from_str::<NodeName>("\"H1\"").is_err());
    }
}
