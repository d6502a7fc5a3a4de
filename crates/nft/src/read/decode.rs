//! One expression of a rule read back: its attributes decoded into an
//! [`Expr`], only when they are exactly what [`crate::expr::write`] writes.

use crate::expr::Expr;
use crate::uapi::*;
use crate::wire::{attrs, strz};

pub(super) fn be32(p: &[u8]) -> Option<u32> {
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

/// The attributes of an expression's `NFTA_EXPR_DATA`.
struct Fields<'a>(Vec<(u16, &'a [u8])>);

impl<'a> Fields<'a> {
    fn get(&self, ty: u16) -> Option<&'a [u8]> {
        self.0.iter().find(|(t, _)| *t == ty).map(|(_, p)| *p)
    }
    fn u(&self, ty: u16) -> Option<u32> {
        self.get(ty).and_then(be32)
    }
    /// No attribute but these.
    fn only(&self, allowed: &[u16]) -> bool {
        self.0.iter().all(|(t, _)| allowed.contains(t))
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
    let f = Fields(attrs(data));
    match name?.as_str() {
        "meta" if f.only(&[NFTA_META_KEY, NFTA_META_DREG]) => Some(Expr::Meta {
            key: f.u(NFTA_META_KEY)?,
            dreg: f.u(NFTA_META_DREG)?,
        }),
        "payload" => payload(&f),
        "cmp" if f.only(&[NFTA_CMP_SREG, NFTA_CMP_OP, NFTA_CMP_DATA]) => Some(Expr::Cmp {
            sreg: f.u(NFTA_CMP_SREG)?,
            op: f.u(NFTA_CMP_OP)?,
            data: data_value(f.get(NFTA_CMP_DATA)?)?,
        }),
        "bitwise" => bitwise(&f),
        "fib" if f.only(&[NFTA_FIB_DREG, NFTA_FIB_RESULT, NFTA_FIB_FLAGS]) => Some(Expr::Fib {
            dreg: f.u(NFTA_FIB_DREG)?,
            result: f.u(NFTA_FIB_RESULT)?,
            flags: f.u(NFTA_FIB_FLAGS)?,
        }),
        "ct" if f.only(&[NFTA_CT_DREG, NFTA_CT_KEY]) => Some(Expr::Ct {
            key: f.u(NFTA_CT_KEY)?,
            dreg: f.u(NFTA_CT_DREG)?,
        }),
        "immediate" => immediate(&f),
        "nat" => dnat(&f),
        "masq" if f.0.is_empty() => Some(Expr::Masq),
        _ => None,
    }
}

fn payload(f: &Fields<'_>) -> Option<Expr> {
    f.only(&[
        NFTA_PAYLOAD_DREG,
        NFTA_PAYLOAD_BASE,
        NFTA_PAYLOAD_OFFSET,
        NFTA_PAYLOAD_LEN,
    ])
    .then_some(())?;
    Some(Expr::Payload {
        base: f.u(NFTA_PAYLOAD_BASE)?,
        offset: f.u(NFTA_PAYLOAD_OFFSET)?,
        len: f.u(NFTA_PAYLOAD_LEN)?,
        dreg: f.u(NFTA_PAYLOAD_DREG)?,
    })
}

fn bitwise(f: &Fields<'_>) -> Option<Expr> {
    let ok = f.only(&[
        NFTA_BITWISE_SREG,
        NFTA_BITWISE_DREG,
        NFTA_BITWISE_LEN,
        NFTA_BITWISE_MASK,
        NFTA_BITWISE_XOR,
        NFTA_BITWISE_OP,
    ]) && f.u(NFTA_BITWISE_OP).unwrap_or(NFT_BITWISE_BOOL) == NFT_BITWISE_BOOL;
    ok.then_some(())?;
    let mask = data_value(f.get(NFTA_BITWISE_MASK)?)?;
    (f.u(NFTA_BITWISE_LEN)? as usize == mask.len()).then_some(())?;
    Some(Expr::Bitwise {
        sreg: f.u(NFTA_BITWISE_SREG)?,
        dreg: f.u(NFTA_BITWISE_DREG)?,
        mask,
        xor: data_value(f.get(NFTA_BITWISE_XOR)?)?,
    })
}

/// Data into a register, or a verdict.
fn immediate(f: &Fields<'_>) -> Option<Expr> {
    f.only(&[NFTA_IMMEDIATE_DREG, NFTA_IMMEDIATE_DATA])
        .then_some(())?;
    let dreg = f.u(NFTA_IMMEDIATE_DREG)?;
    let d = f.get(NFTA_IMMEDIATE_DATA)?;
    if dreg == NFT_REG_VERDICT {
        let v = attrs(d);
        let [(NFTA_DATA_VERDICT, v)] = v.as_slice() else {
            return None;
        };
        let v = attrs(v);
        let [(NFTA_VERDICT_CODE, code)] = v.as_slice() else {
            return None;
        };
        Some(Expr::Verdict { code: be32(code)? })
    } else {
        Some(Expr::Immediate {
            dreg,
            data: data_value(d)?,
        })
    }
}

fn dnat(f: &Fields<'_>) -> Option<Expr> {
    let ok = f.only(&[
        NFTA_NAT_TYPE,
        NFTA_NAT_FAMILY,
        NFTA_NAT_REG_ADDR_MIN,
        NFTA_NAT_REG_ADDR_MAX,
        NFTA_NAT_REG_PROTO_MIN,
        NFTA_NAT_REG_PROTO_MAX,
        NFTA_NAT_FLAGS,
    ]) && f.u(NFTA_NAT_TYPE)? == NFT_NAT_DNAT;
    ok.then_some(())?;
    let reg_addr = f.u(NFTA_NAT_REG_ADDR_MIN)?;
    let reg_proto = f.u(NFTA_NAT_REG_PROTO_MIN);
    // The kernel reports the max registers equal to the min ones when none
    // were given, and the flags it derived.
    let same = |max: u16, min: Option<u32>| f.u(max).is_none_or(|m| Some(m) == min);
    let mut flags = NF_NAT_RANGE_MAP_IPS;
    if reg_proto.is_some() {
        flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
    }
    let ok = same(NFTA_NAT_REG_ADDR_MAX, Some(reg_addr))
        && same(NFTA_NAT_REG_PROTO_MAX, reg_proto)
        && f.u(NFTA_NAT_FLAGS).unwrap_or(0) == flags;
    ok.then_some(())?;
    Some(Expr::Nat {
        family: u8::try_from(f.u(NFTA_NAT_FAMILY)?).ok()?,
        reg_addr,
        reg_proto,
    })
}
