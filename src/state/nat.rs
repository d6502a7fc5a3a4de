//! NAT of one node as data: the rules of its nftables table
//! `nslab-<lab>`, the way Docker's bridge driver writes them with
//! iptables (MASQUERADE for what leaves a subnet, DNAT for published ports
//! from outside and from the node itself, and SNAT of hairpin traffic).
//!
//! A rule's matches and action are `nslab_types::rules`, the values the
//! nftables encoder (`nslab-nft`) writes and reads back: one model of a
//! rule, so what the state asks for and what the kernel is told cannot
//! drift apart. What is the state's own is where a rule sits (its hook)
//! and the mark of a table nslab did not write.

use serde::{Deserialize, Serialize};
use std::fmt;

pub use nslab_types::rules::{Action, Hook, Match};

/// `meta l4proto`: the one transport protocol type (its serde form is
/// `tcp`/`udp`, as records have it).
pub use nslab_types::Proto as L4;

/// A rule at a hook: the chain it goes in is the hook's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rule {
    pub hook: Hook,
    #[serde(flatten)]
    pub rule: nslab_types::rules::Rule,
}

impl Rule {
    pub fn new(hook: Hook, matches: Vec<Match>, action: Action) -> Rule {
        Rule {
            hook,
            rule: nslab_types::rules::Rule { matches, action },
        }
    }
}

/// All NAT rules of a node, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nat {
    pub rules: Vec<Rule>,
    /// The kernel's table held rules nslab did not write (a rule or chain
    /// added or edited by hand): it differs from every table a file asks
    /// for, so `up` replaces it, and it is never written back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub foreign: bool,
}

/// How `plan` shows what a table held that nslab did not write.
pub const FOREIGN_TEXT: &str = "iifname \"(rules not written by nslab)\" masquerade";

impl Nat {
    /// What the kernel's table held that nslab did not write.
    pub fn foreign() -> Nat {
        Nat {
            rules: Vec::new(),
            foreign: true,
        }
    }

    /// Whether the table held rules nslab did not write (it cannot be
    /// written back).
    pub fn is_foreign(&self) -> bool {
        self.foreign
    }

    /// Each rule as `plan` shows it: its hook and its text.
    pub fn shown(&self) -> Vec<(Hook, String)> {
        let mut v: Vec<(Hook, String)> =
            self.rules.iter().map(|r| (r.hook, r.to_string())).collect();
        if self.foreign {
            v.push((Hook::Prerouting, FOREIGN_TEXT.to_string()));
        }
        v
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.rule.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The serde form is the one `plan --json` and records had when the
    /// state had rule types of its own: the hook beside the matches and
    /// the action, no `foreign` unless set.
    #[test]
    fn the_serde_form_is_unchanged() {
        let nat = Nat {
            rules: vec![Rule::new(
                Hook::Prerouting,
                vec![Match::DstLocal, Match::L4Proto(L4::Tcp), Match::DstPort(80)],
                Action::Dnat {
                    addr: "10.0.0.2".parse().expect("address"),
                    port: Some(8080),
                },
            )],
            foreign: false,
        };
        let j = serde_json::to_string(&nat).expect("json");
        assert_eq!(
            j,
            r#"{"rules":[{"hook":"prerouting","matches":["dst-local",{"proto":"tcp"},{"dst-port":80}],"action":{"dnat":{"addr":"10.0.0.2","port":8080}}}]}"#
        );
        assert_eq!(serde_json::from_str::<Nat>(&j).expect("read back"), nat);
        let f = serde_json::to_string(&Nat::foreign()).expect("json");
        assert_eq!(
            serde_json::from_str::<Nat>(&f).expect("read back"),
            Nat::foreign()
        );
    }
}
