//! From expressions back to a [`Rule`]: the patterns [`lower`] writes,
//! recognised one match at a time, then the action.

use crate::expr::{lower, Expr};
use crate::model::{Action, Cidr, Match, Proto, Rule};
use crate::uapi::*;
use crate::wire::strz;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The rule whose lowering is exactly `exprs`, if there is one.
pub(crate) fn raise(exprs: &[Expr]) -> Option<Rule> {
    let rule = raise_loose(exprs)?;
    (lower(&rule) == exprs).then_some(rule)
}

fn addr_of(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(b).ok()?))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?))),
        _ => None,
    }
}

/// What comes next in a rule: a match and what follows it, or the action
/// that ends it.
enum Next<'a> {
    Match(Match, &'a [Expr]),
    Action(Action),
}

/// Recognises the patterns `lower` writes, without checking that nothing
/// else was there (`raise` does, by lowering again).
fn raise_loose(exprs: &[Expr]) -> Option<Rule> {
    let (guard, mut rest) = family_guard(exprs);
    let mut matches = Vec::new();
    let action = loop {
        match next(rest)? {
            Next::Match(m, tail) => {
                matches.push(m);
                rest = tail;
            }
            Next::Action(a) => break a,
        }
    };
    // `ip saddr 0.0.0.0/0` lowers to the family guard alone.
    let has_addr = matches.iter().any(|m| {
        matches!(
            m,
            Match::SrcNet(_) | Match::DstNet(_) | Match::NotSrcNet(_) | Match::NotDstNet(_)
        )
    }) || matches!(action, Action::Dnat { .. });
    if let (Some(f), false) = (guard, has_addr) {
        let any = if f == NFPROTO_IPV4 {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        };
        matches.insert(0, Match::SrcNet(Cidr::unspecified(any.is_ipv6())));
    }
    Some(Rule { matches, action })
}

/// The `meta nfproto` guard a rule may start with: its family, and the
/// rest.
fn family_guard(exprs: &[Expr]) -> (Option<u8>, &[Expr]) {
    use Expr::*;
    if let [Meta {
        key: NFT_META_NFPROTO,
        ..
    }, Cmp {
        op: NFT_CMP_EQ,
        data,
        ..
    }, tail @ ..] = exprs
    {
        if let [f @ (NFPROTO_IPV4 | NFPROTO_IPV6)] = data.as_slice() {
            return (Some(*f), tail);
        }
    }
    (None, exprs)
}

/// The match or action `rest` starts with; `None`: none `lower` writes.
fn next(rest: &[Expr]) -> Option<Next<'_>> {
    use Expr::*;
    let (m, tail) = match rest {
        [Meta { key, .. }, Cmp { op, data, .. }, tail @ ..]
            if *key == NFT_META_IIFNAME || *key == NFT_META_OIFNAME =>
        {
            let name = strz(data);
            let eq = *op == NFT_CMP_EQ;
            let m = match (*key == NFT_META_IIFNAME, eq) {
                (true, true) => Match::IifName(name),
                (true, false) => Match::NotIifName(name),
                (false, true) => Match::OifName(name),
                (false, false) => Match::NotOifName(name),
            };
            (m, tail)
        }
        [Meta {
            key: NFT_META_L4PROTO,
            ..
        }, Cmp { data, .. }, tail @ ..] => {
            let proto = match data.as_slice() {
                [6] => Proto::Tcp,
                [17] => Proto::Udp,
                _ => return None,
            };
            (Match::L4Proto(proto), tail)
        }
        [Payload {
            base: NFT_PAYLOAD_TRANSPORT_HEADER,
            ..
        }, Cmp { data, .. }, tail @ ..] => {
            let p: [u8; 2] = data.as_slice().try_into().ok()?;
            (Match::DstPort(u16::from_be_bytes(p)), tail)
        }
        [Payload {
            base: NFT_PAYLOAD_NETWORK_HEADER,
            offset,
            ..
        }, tail @ ..] => net_match(*offset, tail)?,
        [Fib { .. }, Cmp { .. }, tail @ ..] => (Match::DstLocal, tail),
        [Ct { .. }, Bitwise { .. }, Cmp { .. }, tail @ ..] => (Match::CtStatusDnat, tail),
        _ => return action(rest).map(Next::Action),
    };
    Some(Next::Match(m, tail))
}

/// An address match after its network-header payload at `offset`: an
/// optional prefix mask, then the compare.
fn net_match(offset: u32, tail: &[Expr]) -> Option<(Match, &[Expr])> {
    use Expr::*;
    let (prefix, tail) = match tail {
        [Bitwise { mask, .. }, tail @ ..] => {
            let ones: u32 = mask.iter().map(|b| b.count_ones()).sum();
            (u8::try_from(ones).ok()?, tail)
        }
        _ => (0xff, tail),
    };
    let [Cmp { op, data, .. }, tail @ ..] = tail else {
        return None;
    };
    let addr = addr_of(data)?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let net = Cidr {
        addr,
        prefix: prefix.min(max),
    };
    let src = matches!((addr.is_ipv4(), offset), (true, 12) | (false, 8));
    let m = match (src, *op == NFT_CMP_EQ) {
        (true, true) => Match::SrcNet(net),
        (true, false) => Match::NotSrcNet(net),
        (false, true) => Match::DstNet(net),
        (false, false) => Match::NotDstNet(net),
    };
    Some((m, tail))
}

/// The action that ends a rule.
fn action(rest: &[Expr]) -> Option<Action> {
    use Expr::*;
    match rest {
        [Masq] => Some(Action::Masquerade),
        [Verdict { code: NF_ACCEPT }] => Some(Action::Accept),
        [Verdict { code: NF_DROP }] => Some(Action::Drop),
        [Immediate { data: a, .. }, Immediate { data: p, .. }, Nat { .. }] => {
            let p: [u8; 2] = p.as_slice().try_into().ok()?;
            Some(Action::Dnat {
                addr: addr_of(a)?,
                port: Some(u16::from_be_bytes(p)),
            })
        }
        [Immediate { data: a, .. }, Nat { .. }] => Some(Action::Dnat {
            addr: addr_of(a)?,
            port: None,
        }),
        _ => None,
    }
}
