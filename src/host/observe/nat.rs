//! The lab's NAT table as read back from the kernel.

use crate::state::nat::Nat;

/// The NAT rules of the lab's table as read back. A table that is not
/// exactly one nslab writes (a rule or chain added or edited by hand that
/// does not decode, or sits where nslab puts none) reads as
/// [`Nat::foreign`]: it differs from every desired one, so `up` replaces
/// it, and it is never written back.
pub(super) fn nat_of(t: &nslab_nft::ReadTable, mark: &str) -> Nat {
    let decoded = t.to_table().and_then(|table| {
        let nat = crate::host::nat::nat_of_table(&table)?;
        (crate::host::nat::table(&t.name, mark, &nat) == table).then_some(nat)
    });
    decoded.unwrap_or_else(Nat::foreign)
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
        let shown: Vec<String> = seen.shown().into_iter().map(|(_, r)| r).collect();
        assert_eq!(
            shown,
            ["iifname \"(rules not written by nslab)\" masquerade"]
        );
        let written = crate::host::nat::table(&read.name, "nslab:x", &seen);
        assert!(written.chains.is_empty(), "written back: {written:?}");
    }

    use crate::state::nat::{Action, Hook, Match, Rule, L4};
    use nslab_types::Cidr;
    use proptest::prelude::*;
    use std::net::IpAddr;

    /// A network (no host bits) of the family `v6`, as the model gives
    /// every prefix a rule holds.
    fn net(v6: bool) -> impl Strategy<Value = Cidr> {
        // The ends of the range (any address, one address) as often as
        // the rest: they are where an encoding is most likely lossy.
        let max = if v6 { 128u8 } else { 32 };
        let prefix = prop_oneof![Just(0u8), Just(max), 0..=max];
        (any::<u128>(), prefix).prop_map(move |(bits, prefix)| {
            let addr = if v6 {
                IpAddr::from(bits.to_be_bytes())
            } else {
                IpAddr::from((bits as u32).to_be_bytes())
            };
            Cidr { addr, prefix }.network()
        })
    }

    fn addr(v6: bool) -> impl Strategy<Value = IpAddr> {
        net(v6).prop_map(|c| c.addr)
    }

    fn ifname() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9.-]{0,14}"
    }

    fn one_match(v6: bool) -> impl Strategy<Value = Match> {
        let proto = prop_oneof![Just(L4::Tcp), Just(L4::Udp)];
        prop_oneof![
            net(v6).prop_map(Match::SrcNet),
            net(v6).prop_map(Match::DstNet),
            net(v6).prop_map(Match::NotSrcNet),
            net(v6).prop_map(Match::NotDstNet),
            ifname().prop_map(Match::IifName),
            ifname().prop_map(Match::NotIifName),
            ifname().prop_map(Match::OifName),
            ifname().prop_map(Match::NotOifName),
            proto.prop_map(Match::L4Proto),
            any::<u16>().prop_map(Match::DstPort),
            Just(Match::DstLocal),
            Just(Match::CtStatusDnat),
        ]
    }

    /// A rule at a hook of the table: DNAT where the kernel allows it
    /// (prerouting, output), masquerade at postrouting, verdicts anywhere
    /// (only verdicts in the forward filter chain of the isolation of
    /// networks); a port only with its protocol, as the encoder requires.
    fn rule() -> impl Strategy<Value = Rule> {
        (any::<bool>(), 0usize..4, any::<u8>()).prop_flat_map(|(v6, h, pick)| {
            let hook = [
                Hook::Prerouting,
                Hook::Output,
                Hook::Postrouting,
                Hook::Forward,
            ][h];
            let action = match (hook, pick % 3) {
                (Hook::Forward, 1) => Just(Action::Accept).boxed(),
                (Hook::Forward, _) => Just(Action::Drop).boxed(),
                (Hook::Postrouting, 0) => Just(Action::Masquerade).boxed(),
                (_, 0) => (addr(v6), proptest::option::of(any::<u16>()))
                    .prop_map(|(addr, port)| Action::Dnat { addr, port })
                    .boxed(),
                (_, 1) => Just(Action::Accept).boxed(),
                _ => Just(Action::Drop).boxed(),
            };
            let proto = prop_oneof![Just(L4::Tcp), Just(L4::Udp)];
            (
                proptest::collection::vec(one_match(v6), 0..5),
                action,
                proto,
            )
                .prop_map(move |(mut matches, action, proto)| {
                    let ports = matches.iter().any(|m| matches!(m, Match::DstPort(_)))
                        || matches!(action, Action::Dnat { port: Some(_), .. });
                    if ports && !matches.iter().any(|m| matches!(m, Match::L4Proto(_))) {
                        matches.insert(0, Match::L4Proto(proto));
                    }
                    any_address_only_first(&mut matches, &action);
                    Rule::new(hook, matches, action)
                })
        })
    }

    /// A `/0` prefix matches every address of its family: the encoder
    /// takes it only as the rule's one address match, a source, first
    /// (`ip saddr 0.0.0.0/0`: "IPv4 only"), and refuses it elsewhere.
    fn any_address_only_first(matches: &mut Vec<Match>, action: &Action) {
        let is_addr = |m: &Match| {
            matches!(
                m,
                Match::SrcNet(_) | Match::DstNet(_) | Match::NotSrcNet(_) | Match::NotDstNet(_)
            )
        };
        let addrs = matches.iter().filter(|m| is_addr(m)).count()
            + usize::from(matches!(action, Action::Dnat { .. }));
        let lone_first =
            |i: usize, m: &Match| i == 0 && addrs == 1 && matches!(m, Match::SrcNet(_));
        let keep: Vec<Match> = matches
            .iter()
            .enumerate()
            .filter(|&(i, m)| match m {
                Match::SrcNet(c) | Match::DstNet(c) | Match::NotSrcNet(c) | Match::NotDstNet(c) => {
                    c.prefix > 0 || lone_first(i, m)
                }
                _ => true,
            })
            .map(|(_, m)| m.clone())
            .collect();
        *matches = keep;
    }

    proptest! {
        /// Any NAT state (rules in hook order, as the desired state has
        /// them), put in a table, encoded to nftables and read back with
        /// the reader `plan` uses, is the same value: what the state asks
        /// for and what the kernel is told are one model.
        #[test]
        fn any_nat_state_reads_back_as_itself(
            mut rules in proptest::collection::vec(rule(), 0..8)
        ) {
            rules.sort_by_key(|r| r.hook);
            let nat = Nat { rules, foreign: false };
            let table = crate::host::nat::table("nslab-x", "nslab:x", &nat);
            let batch = nslab_nft::encode_replace_batch(&table, 1)
                .map_err(|e| TestCaseError::fail(format!("not encodable: {e}")))?;
            let read = nslab_nft::ReadTable::from_batch(&batch)
                .ok_or_else(|| TestCaseError::fail("no table read back"))?;
            prop_assert_eq!(nat_of(&read, "nslab:x"), nat);
        }
    }
}
