//! Modes of the stacked device kinds, named as `ip link` names them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// MACVLAN mode (`ip link ... type macvlan mode X`; `MACVLAN_MODE_*`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum MacvlanMode {
    /// Children talk to each other inside the parent (default).
    #[default]
    Bridge,
    /// All traffic goes out through the parent's external port.
    Vepa,
    /// Children cannot talk to each other.
    Private,
    /// One child takes over the parent.
    Passthru,
    /// Filtered by source MAC; the kernel has it, the file cannot ask for
    /// it (such a link is observed as a foreign kind).
    Source,
}

/// IPVLAN mode (`IPVLAN_MODE_*`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum IpvlanMode {
    /// Layer 2 (default).
    #[default]
    L2,
    /// Layer 3.
    L3,
    /// Layer 3 with netfilter (`l3s`).
    L3s,
}

/// IPVLAN flag (`IPVLAN_F_*`; bridge is the absence of both flags).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum IpvlanFlag {
    /// Default.
    #[default]
    Bridge,
    /// Children cannot talk to each other.
    Private,
    /// Traffic goes out through the parent.
    Vepa,
}

/// The names `ip link` uses (and the file's), both ways.
macro_rules! named {
    ($($t:ident { $($v:ident => $n:literal),* })*) => {$(
        impl $t {
            /// Every value, in declaration order.
            pub const ALL: &'static [$t] = &[$($t::$v),*];

            /// The name `ip link` uses.
            pub fn name(self) -> &'static str {
                match self { $(Self::$v => $n),* }
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}

named! {
    MacvlanMode { Bridge => "bridge", Vepa => "vepa", Private => "private", Passthru => "passthru", Source => "source" }
    IpvlanMode { L2 => "l2", L3 => "l3", L3s => "l3s" }
    IpvlanFlag { Bridge => "bridge", Private => "private", Vepa => "vepa" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_serde_use_the_ip_link_names() {
        fn check<T: fmt::Display + Serialize>(all: &[T]) {
            for v in all {
                let j = serde_json::to_string(v).unwrap();
                assert_eq!(j, format!("\"{v}\""));
            }
        }
        check(MacvlanMode::ALL);
        check(IpvlanMode::ALL);
        check(IpvlanFlag::ALL);
        assert_eq!(MacvlanMode::Passthru.to_string(), "passthru");
        assert_eq!(IpvlanMode::L3s.to_string(), "l3s");
    }
}
