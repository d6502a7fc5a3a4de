//! A node's NAT rules ([`crate::state::nat`]) as the nftables table that
//! holds them: chains at the NAT hooks with the standard priorities
//! (dstnat -100 for prerouting and output, srcnat 100 for postrouting).

use crate::state::nat::{Action, Hook, Match, Nat};
use nslab_nft as nft;

fn hook(h: Hook) -> (nft::Hook, i32, nft::ChainType) {
    match h {
        Hook::Prerouting => (nft::Hook::Prerouting, -100, nft::ChainType::Nat),
        Hook::Output => (nft::Hook::Output, -100, nft::ChainType::Nat),
        Hook::Postrouting => (nft::Hook::Postrouting, 100, nft::ChainType::Nat),
        // A filter chain at priority 0, where iptables' FORWARD chain (and
        // Docker's DOCKER-ISOLATION chains in it) sits.
        Hook::Forward => (nft::Hook::Forward, 0, nft::ChainType::Filter),
    }
}

/// The nft match of `x`; none for [`Match::Foreign`], which stands for
/// what nslab did not write and is never encoded.
fn m(x: &Match) -> Option<nft::Match> {
    Some(match x {
        Match::SrcNet(c) => nft::Match::SrcNet(*c),
        Match::DstNet(c) => nft::Match::DstNet(*c),
        Match::NotDstNet(c) => nft::Match::NotDstNet(*c),
        Match::IifName(n) => nft::Match::IifName(n.clone()),
        Match::NotIifName(n) => nft::Match::NotIifName(n.clone()),
        Match::OifName(n) => nft::Match::OifName(n.clone()),
        Match::NotOifName(n) => nft::Match::NotOifName(n.clone()),
        Match::Proto(p) => nft::Match::L4Proto(*p),
        Match::DstPort(p) => nft::Match::DstPort(*p),
        Match::DstLocal => nft::Match::DstLocal,
        Match::CtDnat => nft::Match::CtStatusDnat,
        Match::Foreign => return None,
    })
}

/// The table `name` holding `nat`, marked with `mark` (`nslab:<lab>`) in
/// its comment: the mark is how a table is known to be the lab's.
pub fn table(name: &str, mark: &str, nat: &Nat) -> nft::Table {
    let mut chains: Vec<nft::Chain> = Vec::new();
    for h in [
        Hook::Prerouting,
        Hook::Output,
        Hook::Postrouting,
        Hook::Forward,
    ] {
        let rules: Vec<nft::Rule> = nat
            .rules
            .iter()
            .filter(|r| r.hook == h)
            // A rule standing for what nslab did not write is left out
            // (`set_nat` refuses a table holding one before this).
            .filter_map(|r| {
                Some(nft::Rule {
                    matches: r.matches.iter().map(m).collect::<Option<_>>()?,
                    action: match &r.action {
                        Action::Masquerade => nft::Action::Masquerade,
                        Action::Dnat { addr, port } => nft::Action::Dnat {
                            addr: *addr,
                            port: Some(*port),
                        },
                        Action::Drop => nft::Action::Drop,
                    },
                })
            })
            .collect();
        if rules.is_empty() {
            continue;
        }
        let (hook, priority, kind) = hook(h);
        chains.push(nft::Chain {
            name: h.name().to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::nat::Rule;

    /// What a table held that nslab did not write is a type, not an
    /// interface name: it reads as before in `plan`, is never encoded,
    /// and no rule a file can write is taken for it.
    #[test]
    fn rules_nslab_did_not_write_are_typed_and_never_encoded() {
        let foreign = Nat::foreign();
        assert!(foreign.is_foreign());
        assert_eq!(
            foreign.rules[0].to_string(),
            "iifname \"(rules not written by nslab)\" masquerade"
        );
        let t = table("nslab-x", "nslab:x", &foreign);
        assert!(t.chains.is_empty(), "encoded: {t:?}");
        // A rule naming an interface by any name, that text included, is
        // the file's own and is encoded as it is.
        let named = Nat {
            rules: vec![Rule {
                hook: Hook::Prerouting,
                matches: vec![Match::IifName("(rules not written by nslab)".into())],
                action: Action::Masquerade,
            }],
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
