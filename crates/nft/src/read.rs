//! Tables read back from the kernel: the dump replies of a table, its
//! chains and its rules decoded into the [`crate::model`], so that a rule
//! edited, added or deleted by hand shows as a difference from the table
//! nslab wants.
//!
//! A rule decodes to a [`Rule`] only when its expressions are exactly the
//! ones [`crate::expr::lower`] writes for that rule (checked by lowering
//! the decoded rule again); anything else — another expression, another
//! register, extra attributes — is `None`, a rule no table of nslab's has.

use crate::expr::{lower, Expr};
use crate::model::{Action, Chain, ChainType, Cidr, Hook, Match, Proto, Rule, Table};
use crate::uapi::*;
use crate::wire::{attrs, strz};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A table as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadTable {
    pub name: String,
    /// The comment in the table's user data (nft's `comment`), if any.
    pub comment: Option<String>,
    pub chains: Vec<ReadChain>,
}

/// A chain as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadChain {
    pub name: String,
    /// `None`: not a base chain, or at a hook this crate does not write.
    pub hook: Option<Hook>,
    /// `None`: a chain type other than `nat` and `filter`.
    pub kind: Option<ChainType>,
    pub priority: i32,
    /// In order; `None` for a rule this crate would not have written.
    pub rules: Vec<Option<Rule>>,
}

impl ReadTable {
    /// The table as this crate's model, when every chain is a base chain
    /// of a known hook and type and every rule decoded; `None` otherwise
    /// (it then equals no table nslab writes).
    pub fn to_table(&self) -> Option<Table> {
        let mut chains = Vec::new();
        for c in &self.chains {
            chains.push(Chain {
                name: c.name.clone(),
                hook: c.hook?,
                kind: c.kind?,
                priority: c.priority,
                rules: c.rules.iter().cloned().collect::<Option<Vec<_>>>()?,
            });
        }
        Some(Table {
            name: self.name.clone(),
            comment: self.comment.clone(),
            chains,
        })
    }
}

/// The comment in a table's user data: TLVs of `u8 type, u8 len, value`;
/// the comment is type `NFTNL_UDATA_TABLE_COMMENT`, NUL-terminated.
pub(crate) fn comment_of(udata: &[u8]) -> Option<String> {
    let mut rest = udata;
    while rest.len() >= 2 {
        let (ty, len) = (rest[0], usize::from(rest[1]));
        let value = rest.get(2..2 + len)?;
        if ty == NFTNL_UDATA_TABLE_COMMENT {
            return Some(strz(value));
        }
        rest = &rest[2 + len..];
    }
    None
}

fn be32(p: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(p.get(..4)?.try_into().ok()?))
}

/// `NFTA_DATA_VALUE` inside a data attribute.
fn data_value(p: &[u8]) -> Option<Vec<u8>> {
    let a = attrs(p);
    match a.as_slice() {
        [(NFTA_DATA_VALUE, v)] => Some(v.to_vec()),
        _ => None,
    }
}

/// The expression in one `NFTA_LIST_ELEM`; `None` for any expression,
/// or attribute, that [`crate::expr::write`] does not write.
pub(crate) fn decode_expr(elem: &[u8]) -> Option<Expr> {
    let mut name = None;
    let mut data: &[u8] = &[];
    for (t, p) in attrs(elem) {
        match t {
            NFTA_EXPR_NAME => name = Some(strz(p)),
            NFTA_EXPR_DATA => data = p,
            _ => return None,
        }
    }
    let a = attrs(data);
    let get = |ty: u16| a.iter().find(|(t, _)| *t == ty).map(|(_, p)| *p);
    let u = |ty: u16| get(ty).and_then(be32);
    let only = |allowed: &[u16]| a.iter().all(|(t, _)| allowed.contains(t));
    let e = match name?.as_str() {
        "meta" if only(&[NFTA_META_KEY, NFTA_META_DREG]) => Expr::Meta {
            key: u(NFTA_META_KEY)?,
            dreg: u(NFTA_META_DREG)?,
        },
        "payload"
            if only(&[
                NFTA_PAYLOAD_DREG,
                NFTA_PAYLOAD_BASE,
                NFTA_PAYLOAD_OFFSET,
                NFTA_PAYLOAD_LEN,
            ]) =>
        {
            Expr::Payload {
                base: u(NFTA_PAYLOAD_BASE)?,
                offset: u(NFTA_PAYLOAD_OFFSET)?,
                len: u(NFTA_PAYLOAD_LEN)?,
                dreg: u(NFTA_PAYLOAD_DREG)?,
            }
        }
        "cmp" if only(&[NFTA_CMP_SREG, NFTA_CMP_OP, NFTA_CMP_DATA]) => Expr::Cmp {
            sreg: u(NFTA_CMP_SREG)?,
            op: u(NFTA_CMP_OP)?,
            data: data_value(get(NFTA_CMP_DATA)?)?,
        },
        "bitwise"
            if only(&[
                NFTA_BITWISE_SREG,
                NFTA_BITWISE_DREG,
                NFTA_BITWISE_LEN,
                NFTA_BITWISE_MASK,
                NFTA_BITWISE_XOR,
                NFTA_BITWISE_OP,
            ]) && u(NFTA_BITWISE_OP).unwrap_or(NFT_BITWISE_BOOL) == NFT_BITWISE_BOOL =>
        {
            let mask = data_value(get(NFTA_BITWISE_MASK)?)?;
            (u(NFTA_BITWISE_LEN)? as usize == mask.len()).then_some(())?;
            Expr::Bitwise {
                sreg: u(NFTA_BITWISE_SREG)?,
                dreg: u(NFTA_BITWISE_DREG)?,
                mask,
                xor: data_value(get(NFTA_BITWISE_XOR)?)?,
            }
        }
        "fib" if only(&[NFTA_FIB_DREG, NFTA_FIB_RESULT, NFTA_FIB_FLAGS]) => Expr::Fib {
            dreg: u(NFTA_FIB_DREG)?,
            result: u(NFTA_FIB_RESULT)?,
            flags: u(NFTA_FIB_FLAGS)?,
        },
        "ct" if only(&[NFTA_CT_DREG, NFTA_CT_KEY]) => Expr::Ct {
            key: u(NFTA_CT_KEY)?,
            dreg: u(NFTA_CT_DREG)?,
        },
        "immediate" if only(&[NFTA_IMMEDIATE_DREG, NFTA_IMMEDIATE_DATA]) => {
            let dreg = u(NFTA_IMMEDIATE_DREG)?;
            let d = get(NFTA_IMMEDIATE_DATA)?;
            if dreg == NFT_REG_VERDICT {
                let v = attrs(d);
                let [(NFTA_DATA_VERDICT, v)] = v.as_slice() else {
                    return None;
                };
                let v = attrs(v);
                let [(NFTA_VERDICT_CODE, code)] = v.as_slice() else {
                    return None;
                };
                Expr::Verdict { code: be32(code)? }
            } else {
                Expr::Immediate {
                    dreg,
                    data: data_value(d)?,
                }
            }
        }
        "nat"
            if only(&[
                NFTA_NAT_TYPE,
                NFTA_NAT_FAMILY,
                NFTA_NAT_REG_ADDR_MIN,
                NFTA_NAT_REG_ADDR_MAX,
                NFTA_NAT_REG_PROTO_MIN,
                NFTA_NAT_REG_PROTO_MAX,
                NFTA_NAT_FLAGS,
            ]) && u(NFTA_NAT_TYPE)? == NFT_NAT_DNAT =>
        {
            let reg_addr = u(NFTA_NAT_REG_ADDR_MIN)?;
            let reg_proto = u(NFTA_NAT_REG_PROTO_MIN);
            // The kernel reports the max registers equal to the min ones
            // when none were given, and the flags it derived.
            let same = |max: u16, min: Option<u32>| u(max).is_none_or(|m| Some(m) == min);
            let mut flags = NF_NAT_RANGE_MAP_IPS;
            if reg_proto.is_some() {
                flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
            }
            let ok = same(NFTA_NAT_REG_ADDR_MAX, Some(reg_addr))
                && same(NFTA_NAT_REG_PROTO_MAX, reg_proto)
                && u(NFTA_NAT_FLAGS).unwrap_or(0) == flags;
            ok.then_some(())?;
            Expr::Nat {
                family: u8::try_from(u(NFTA_NAT_FAMILY)?).ok()?,
                reg_addr,
                reg_proto,
            }
        }
        "masq" if a.is_empty() => Expr::Masq,
        _ => return None,
    };
    Some(e)
}

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

/// Recognises the patterns `lower` writes, without checking that nothing
/// else was there (`raise` does, by lowering again).
fn raise_loose(exprs: &[Expr]) -> Option<Rule> {
    use Expr::*;
    let mut rest = exprs;
    let mut matches = Vec::new();
    let mut guard = None;
    if let [Meta {
        key: NFT_META_NFPROTO,
        ..
    }, Cmp {
        op: NFT_CMP_EQ,
        data,
        ..
    }, tail @ ..] = rest
    {
        if let [f @ (NFPROTO_IPV4 | NFPROTO_IPV6)] = data.as_slice() {
            guard = Some(*f);
            rest = tail;
        }
    }
    let action = loop {
        match rest {
            [Meta { key, .. }, Cmp { op, data, .. }, tail @ ..]
                if *key == NFT_META_IIFNAME || *key == NFT_META_OIFNAME =>
            {
                let name = strz(data);
                let eq = *op == NFT_CMP_EQ;
                matches.push(match (*key == NFT_META_IIFNAME, eq) {
                    (true, true) => Match::IifName(name),
                    (true, false) => Match::NotIifName(name),
                    (false, true) => Match::OifName(name),
                    (false, false) => Match::NotOifName(name),
                });
                rest = tail;
            }
            [Meta {
                key: NFT_META_L4PROTO,
                ..
            }, Cmp { data, .. }, tail @ ..] => {
                matches.push(Match::L4Proto(match data.as_slice() {
                    [6] => Proto::Tcp,
                    [17] => Proto::Udp,
                    _ => return None,
                }));
                rest = tail;
            }
            [Payload {
                base: NFT_PAYLOAD_TRANSPORT_HEADER,
                ..
            }, Cmp { data, .. }, tail @ ..] => {
                let p: [u8; 2] = data.as_slice().try_into().ok()?;
                matches.push(Match::DstPort(u16::from_be_bytes(p)));
                rest = tail;
            }
            [Payload {
                base: NFT_PAYLOAD_NETWORK_HEADER,
                offset,
                ..
            }, tail @ ..] => {
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
                matches.push(match (src, *op == NFT_CMP_EQ) {
                    (true, true) => Match::SrcNet(net),
                    (true, false) => Match::NotSrcNet(net),
                    (false, true) => Match::DstNet(net),
                    (false, false) => Match::NotDstNet(net),
                });
                rest = tail;
            }
            [Fib { .. }, Cmp { .. }, tail @ ..] => {
                matches.push(Match::DstLocal);
                rest = tail;
            }
            [Ct { .. }, Bitwise { .. }, Cmp { .. }, tail @ ..] => {
                matches.push(Match::CtStatusDnat);
                rest = tail;
            }
            [Masq] => break Action::Masquerade,
            [Verdict { code: NF_ACCEPT }] => break Action::Accept,
            [Immediate { data: a, .. }, Immediate { data: p, .. }, Nat { .. }] => {
                let p: [u8; 2] = p.as_slice().try_into().ok()?;
                break Action::Dnat {
                    addr: addr_of(a)?,
                    port: Some(u16::from_be_bytes(p)),
                };
            }
            [Immediate { data: a, .. }, Nat { .. }] => {
                break Action::Dnat {
                    addr: addr_of(a)?,
                    port: None,
                }
            }
            _ => return None,
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

/// One `NFT_MSG_NEWRULE` dump reply: (chain, rule or `None`).
pub(crate) fn rule_of(body: &[u8]) -> (Option<String>, Option<Rule>) {
    let mut chain = None;
    let mut exprs = Some(Vec::new());
    let mut seen_exprs = false;
    for (t, p) in attrs(body) {
        match t {
            NFTA_RULE_CHAIN => chain = Some(strz(p)),
            NFTA_RULE_EXPRESSIONS => {
                seen_exprs = true;
                for (et, e) in attrs(p) {
                    let d = (et == NFTA_LIST_ELEM).then(|| decode_expr(e)).flatten();
                    match (d, exprs.as_mut()) {
                        (Some(d), Some(v)) => v.push(d),
                        _ => exprs = None,
                    }
                }
            }
            // A rule's own comment would be lost in a replace: not ours.
            NFTA_RULE_USERDATA => exprs = None,
            _ => {}
        }
    }
    let rule = exprs.filter(|_| seen_exprs).and_then(|e| raise(&e));
    (chain, rule)
}

/// One `NFT_MSG_NEWCHAIN` dump reply.
pub(crate) fn chain_of(body: &[u8]) -> Option<ReadChain> {
    let mut c = ReadChain {
        name: String::new(),
        hook: None,
        kind: None,
        priority: 0,
        rules: Vec::new(),
    };
    let mut name = None;
    for (t, p) in attrs(body) {
        match t {
            NFTA_CHAIN_NAME => name = Some(strz(p)),
            NFTA_CHAIN_TYPE => {
                c.kind = match strz(p).as_str() {
                    "nat" => Some(ChainType::Nat),
                    "filter" => Some(ChainType::Filter),
                    _ => None,
                }
            }
            NFTA_CHAIN_HOOK => {
                for (ht, hp) in attrs(p) {
                    match ht {
                        NFTA_HOOK_HOOKNUM => {
                            c.hook = be32(hp).and_then(|n| {
                                [
                                    Hook::Prerouting,
                                    Hook::Input,
                                    Hook::Forward,
                                    Hook::Output,
                                    Hook::Postrouting,
                                ]
                                .into_iter()
                                .find(|h| h.number() == n)
                            })
                        }
                        NFTA_HOOK_PRIORITY => c.priority = be32(hp).unwrap_or(0) as i32,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    c.name = name?;
    Some(c)
}

/// The user data of one `NFT_MSG_NEWTABLE` dump reply, if any.
pub(crate) fn table_udata(body: &[u8]) -> Option<Vec<u8>> {
    attrs(body)
        .into_iter()
        .find(|(t, _)| *t == NFTA_TABLE_USERDATA)
        .map(|(_, p)| p.to_vec())
}
