//! A node's NAT rules ([`crate::state::nat`]) as the nftables table that
//! holds them: chains at the NAT hooks with the standard priorities
//! (dstnat -100 for prerouting and output, srcnat 100 for postrouting).

use crate::state::nat::{Action, Hook, Match, Nat};
use nslab_nft as nft;

fn hook(h: Hook) -> (nft::Hook, i32) {
    match h {
        Hook::Prerouting => (nft::Hook::Prerouting, -100),
        Hook::Output => (nft::Hook::Output, -100),
        Hook::Postrouting => (nft::Hook::Postrouting, 100),
    }
}

fn m(x: &Match) -> nft::Match {
    match x {
        Match::SrcNet(c) => nft::Match::SrcNet(*c),
        Match::DstNet(c) => nft::Match::DstNet(*c),
        Match::NotDstNet(c) => nft::Match::NotDstNet(*c),
        Match::IifName(n) => nft::Match::IifName(n.clone()),
        Match::OifName(n) => nft::Match::OifName(n.clone()),
        Match::NotOifName(n) => nft::Match::NotOifName(n.clone()),
        Match::Proto(p) => nft::Match::L4Proto(*p),
        Match::DstPort(p) => nft::Match::DstPort(*p),
        Match::DstLocal => nft::Match::DstLocal,
        Match::CtDnat => nft::Match::CtStatusDnat,
    }
}

/// The table `name` holding `nat`, marked with `mark` (`nslab:<lab>`) in
/// its comment: the mark is how a table is known to be the lab's.
pub fn table(name: &str, mark: &str, nat: &Nat) -> nft::Table {
    let mut chains: Vec<nft::Chain> = Vec::new();
    for h in [Hook::Prerouting, Hook::Output, Hook::Postrouting] {
        let rules: Vec<nft::Rule> = nat
            .rules
            .iter()
            .filter(|r| r.hook == h)
            .map(|r| nft::Rule {
                matches: r.matches.iter().map(m).collect(),
                action: match &r.action {
                    Action::Masquerade => nft::Action::Masquerade,
                    Action::Dnat { addr, port } => nft::Action::Dnat {
                        addr: *addr,
                        port: Some(*port),
                    },
                },
            })
            .collect();
        if rules.is_empty() {
            continue;
        }
        let (hook, priority) = hook(h);
        chains.push(nft::Chain {
            name: h.name().to_string(),
            hook,
            kind: nft::ChainType::Nat,
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

/// Stands for rules nslab did not write (shown in `plan` as
/// `iifname "(rules not written by nslab)"`); never encoded, as the plan
/// replaces the whole table.
pub const FOREIGN_RULE: &str = "(rules not written by nslab)";
