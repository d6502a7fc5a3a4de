//! A node's NAT rules ([`crate::state::nat`]) as the nftables table that
//! holds them: chains at the NAT hooks with the standard priorities
//! (dstnat -100 for prerouting and output, srcnat 100 for postrouting),
//! and a filter chain at the forward hook, priority 0, for the isolation
//! of networks ([`crate::state::isolation`]).
//! The rules are the encoder's own values (`nslab_types::rules`); only
//! their placement in chains is decided here.

use crate::state::nat::{Hook, Nat};
use nslab_nft as nft;

/// The hooks the table has chains at, in order, with each one's priority
/// and chain type. The forward chain is a filter chain at priority 0, where
/// iptables' FORWARD chain (and Docker's DOCKER-ISOLATION chains in it)
/// sits.
const HOOKS: [(Hook, i32, nft::ChainType); 4] = [
    (Hook::Prerouting, -100, nft::ChainType::Nat),
    (Hook::Output, -100, nft::ChainType::Nat),
    (Hook::Postrouting, 100, nft::ChainType::Nat),
    (Hook::Forward, 0, nft::ChainType::Filter),
];

/// The table `name` holding `nat`, marked with `mark` (`nslab:<lab>`) in
/// its comment: the mark is how a table is known to be the lab's. Rules
/// nslab did not write ([`Nat::foreign`]) are not in it (`set_nat`
/// refuses such a table before this).
pub fn table(name: &str, mark: &str, nat: &Nat) -> nft::Table {
    let mut chains: Vec<nft::Chain> = Vec::new();
    for (hook, priority, kind) in HOOKS {
        let rules: Vec<nft::Rule> = nat
            .rules
            .iter()
            .filter(|r| r.hook == hook && !nat.foreign)
            .map(|r| r.rule.clone())
            .collect();
        if rules.is_empty() {
            continue;
        }
        chains.push(nft::Chain {
            name: hook.name().to_string(),
            hook,
            kind,
            priority,
            rules,
        });
    }
    nft::Table {
        name: name.to_string(),
        comment: Some(mark.to_string()),
        chains,
    }
}

/// The NAT rules of `table` as the state has them, when it is a table
/// [`table`] writes (chains at [`HOOKS`] with their priorities and types); `None`
/// otherwise.
pub fn nat_of_table(t: &nft::Table) -> Option<Nat> {
    let mut rules = Vec::new();
    for c in &t.chains {
        if !HOOKS.contains(&(c.hook, c.priority, c.kind)) {
            return None;
        }
        rules.extend(c.rules.iter().map(|r| crate::state::nat::Rule {
            hook: c.hook,
            rule: r.clone(),
        }));
    }
    // In hook order, as the desired state has them (chains may be listed
    // in any order; within a chain the order is the rules').
    rules.sort_by_key(|r| r.hook);
    Some(Nat {
        rules,
        foreign: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::nat::{Action, Match, Rule};

    /// What a table held that nslab did not write is a type, not an
    /// interface name: it reads as before in `plan`, is never encoded,
    /// and no rule a file can write is taken for it.
    #[test]
    fn rules_nslab_did_not_write_are_typed_and_never_encoded() {
        let foreign = Nat::foreign();
        assert!(foreign.is_foreign());
        assert_eq!(
            foreign.shown(),
            [(
                Hook::Prerouting,
                "iifname \"(rules not written by nslab)\" masquerade".to_string()
            )]
        );
        let t = table("nslab-x", "nslab:x", &foreign);
        assert!(t.chains.is_empty(), "encoded: {t:?}");
        // A rule naming an interface by any name, that text included, is
        // the file's own and is encoded as it is.
        let named = Nat {
            rules: vec![Rule::new(
                Hook::Prerouting,
                vec![Match::IifName("(rules not written by nslab)".into())],
                Action::Masquerade,
            )],
            foreign: false,
        };
        assert!(!named.is_foreign());
        let t = table("nslab-x", "nslab:x", &named);
        assert_eq!(t.chains.len(), 1);
        assert_eq!(
            t.chains[0].rules[0].matches,
            [nft::Match::IifName("(rules not written by nslab)".into())]
        );
    }
}
