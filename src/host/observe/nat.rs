//! The lab's NAT table as read back from the kernel.

use crate::state::nat::{
    Action as NatAction, Hook as NatHook, Match as NatMatch, Nat, Rule as NatRule,
};

/// The NAT rules of the lab's table as read back. Anything nslab would not
/// have written for them (a rule or chain added or edited by hand) becomes
/// a rule no file asks for, so the table differs from every desired one
/// and `up` replaces it.
pub(super) fn nat_of(t: &nslab_nft::ReadTable, mark: &str) -> Nat {
    let decoded = t.to_table().and_then(|table| {
        let nat = nat_rules(&table)?;
        (crate::host::nat::table(&t.name, mark, &nat) == table).then_some(nat)
    });
    decoded.unwrap_or_else(Nat::foreign)
}

fn nat_rules(t: &nslab_nft::Table) -> Option<Nat> {
    use nslab_nft as nft;
    let mut rules = Vec::new();
    for c in &t.chains {
        let hook = match c.hook {
            nft::Hook::Prerouting => NatHook::Prerouting,
            nft::Hook::Output => NatHook::Output,
            nft::Hook::Postrouting => NatHook::Postrouting,
            nft::Hook::Forward => NatHook::Forward,
            _ => return None,
        };
        for r in &c.rules {
            let matches = r
                .matches
                .iter()
                .map(|m| {
                    Some(match m {
                        nft::Match::SrcNet(n) => NatMatch::SrcNet(*n),
                        nft::Match::DstNet(n) => NatMatch::DstNet(*n),
                        nft::Match::NotDstNet(n) => NatMatch::NotDstNet(*n),
                        nft::Match::IifName(i) => NatMatch::IifName(i.clone()),
                        nft::Match::NotIifName(i) => NatMatch::NotIifName(i.clone()),
                        nft::Match::OifName(i) => NatMatch::OifName(i.clone()),
                        nft::Match::NotOifName(i) => NatMatch::NotOifName(i.clone()),
                        nft::Match::L4Proto(p) => NatMatch::Proto(*p),
                        nft::Match::DstPort(p) => NatMatch::DstPort(*p),
                        nft::Match::DstLocal => NatMatch::DstLocal,
                        nft::Match::CtStatusDnat => NatMatch::CtDnat,
                        _ => return None,
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            let action = match &r.action {
                nft::Action::Masquerade => NatAction::Masquerade,
                nft::Action::Dnat {
                    addr,
                    port: Some(port),
                } => NatAction::Dnat {
                    addr: *addr,
                    port: *port,
                },
                nft::Action::Drop => NatAction::Drop,
                _ => return None,
            };
            rules.push(NatRule {
                hook,
                matches,
                action,
            });
        }
    }
    Some(Nat { rules })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table edited by hand (here a chain nslab never writes) reads as
    /// rules nslab did not write: it differs from every table a file asks
    /// for, `plan` shows it as it always did, and what was read back
    /// never writes a made-up rule into the kernel.
    #[test]
    fn a_hand_edited_table_is_never_written_back() {
        let read = nslab_nft::ReadTable {
            name: "nslab-x".into(),
            comment: Some("nslab:x".into()),
            chains: vec![nslab_nft::ReadChain {
                name: "mine".into(),
                hook: None,
                kind: None,
                priority: 0,
                rules: vec![None],
            }],
        };
        let seen = nat_of(&read, "nslab:x");
        assert_ne!(seen, Nat::default());
        let shown: Vec<String> = seen.rules.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["iifname \"(rules not written by nslab)\" masquerade"]
        );
        let written = crate::host::nat::table(&read.name, "nslab:x", &seen);
        assert!(written.chains.is_empty(), "written back: {written:?}");
    }
}
