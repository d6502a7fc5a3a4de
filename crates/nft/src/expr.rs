//! Rules lowered to nf_tables expressions, the kernel's instruction set
//! (register loads, compares, NAT), and those expressions as attributes.
//!
//! Each match loads into register 1 and compares it; DNAT puts the address
//! in register 1 and the port in register 2 for `nat` to read. The value
//! byte order follows the kernel: header fields are network order as in the
//! packet, `meta`/`ct`/`fib` results are host order (`NFT_DATA_VALUE`
//! copied as is). This matches `nft --debug=netlink` for the same rules.

use std::fmt;

use crate::model::{addr_bytes, Action, Cidr, Match, Rule};
use crate::uapi::*;
use crate::validate::rule_family;
use crate::wire::MsgWriter;

/// One nf_tables expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    Meta {
        key: u32,
        dreg: u32,
    },
    Payload {
        base: u32,
        offset: u32,
        len: u32,
        dreg: u32,
    },
    Cmp {
        sreg: u32,
        op: u32,
        data: Vec<u8>,
    },
    Bitwise {
        sreg: u32,
        dreg: u32,
        mask: Vec<u8>,
        xor: Vec<u8>,
    },
    Fib {
        dreg: u32,
        result: u32,
        flags: u32,
    },
    Ct {
        key: u32,
        dreg: u32,
    },
    Immediate {
        dreg: u32,
        data: Vec<u8>,
    },
    Verdict {
        code: u32,
    },
    Nat {
        family: u8,
        reg_addr: u32,
        reg_proto: Option<u32>,
    },
    Masq,
}

/// The expressions of `rule`; `rule` must have passed validation (a rule
/// mixing families gets no family guard here).
pub(crate) fn lower(rule: &Rule) -> Vec<Expr> {
    let mut out = Vec::new();
    // In an inet table an address match must first pin the family, or an
    // IPv6 packet's bytes at offset 12 would be compared as IPv4 saddr.
    if let Ok(Some(family)) = rule_family(rule) {
        out.push(meta(NFT_META_NFPROTO));
        out.push(cmp(NFT_CMP_EQ, vec![family]));
    }
    for m in &rule.matches {
        lower_match(m, &mut out);
    }
    match &rule.action {
        Action::Masquerade => out.push(Expr::Masq),
        Action::Accept => out.push(Expr::Verdict { code: NF_ACCEPT }),
        Action::Drop => out.push(Expr::Verdict { code: NF_DROP }),
        Action::Dnat { addr, port } => {
            out.push(Expr::Immediate {
                dreg: NFT_REG_1,
                data: addr_bytes(*addr),
            });
            if let Some(p) = port {
                out.push(Expr::Immediate {
                    dreg: NFT_REG_2,
                    data: p.to_be_bytes().to_vec(),
                });
            }
            out.push(Expr::Nat {
                family: if addr.is_ipv4() {
                    NFPROTO_IPV4
                } else {
                    NFPROTO_IPV6
                },
                reg_addr: NFT_REG_1,
                reg_proto: port.map(|_| NFT_REG_2),
            });
        }
    }
    out
}

fn meta(key: u32) -> Expr {
    Expr::Meta {
        key,
        dreg: NFT_REG_1,
    }
}

fn cmp(op: u32, data: Vec<u8>) -> Expr {
    Expr::Cmp {
        sreg: NFT_REG_1,
        op,
        data,
    }
}

/// An interface name as nft compares it: NUL-padded to IFNAMSIZ.
fn ifname(name: &str) -> Vec<u8> {
    let mut b = name.as_bytes().to_vec();
    b.resize(IFNAMSIZ, 0);
    b
}

fn lower_match(m: &Match, out: &mut Vec<Expr>) {
    match m {
        Match::SrcNet(n) => net(n, 0, NFT_CMP_EQ, out),
        Match::DstNet(n) => net(n, 1, NFT_CMP_EQ, out),
        Match::NotSrcNet(n) => net(n, 0, NFT_CMP_NEQ, out),
        Match::NotDstNet(n) => net(n, 1, NFT_CMP_NEQ, out),
        Match::IifName(i) | Match::NotIifName(i) | Match::OifName(i) | Match::NotOifName(i) => {
            let key = match m {
                Match::IifName(_) | Match::NotIifName(_) => NFT_META_IIFNAME,
                _ => NFT_META_OIFNAME,
            };
            let op = match m {
                Match::IifName(_) | Match::OifName(_) => NFT_CMP_EQ,
                _ => NFT_CMP_NEQ,
            };
            out.push(meta(key));
            out.push(cmp(op, ifname(i)));
        }
        Match::L4Proto(p) => {
            out.push(meta(NFT_META_L4PROTO));
            out.push(cmp(NFT_CMP_EQ, vec![p.number()]));
        }
        Match::DstPort(p) => {
            // tcp and udp both keep the destination port at offset 2.
            out.push(Expr::Payload {
                base: NFT_PAYLOAD_TRANSPORT_HEADER,
                offset: 2,
                len: 2,
                dreg: NFT_REG_1,
            });
            out.push(cmp(NFT_CMP_EQ, p.to_be_bytes().to_vec()));
        }
        Match::DstLocal => {
            out.push(Expr::Fib {
                dreg: NFT_REG_1,
                result: NFT_FIB_RESULT_ADDRTYPE,
                flags: NFTA_FIB_F_DADDR,
            });
            out.push(cmp(NFT_CMP_EQ, RTN_LOCAL.to_ne_bytes().to_vec()));
        }
        Match::CtStatusDnat => {
            out.push(Expr::Ct {
                key: NFT_CT_STATUS,
                dreg: NFT_REG_1,
            });
            out.push(Expr::Bitwise {
                sreg: NFT_REG_1,
                dreg: NFT_REG_1,
                mask: IPS_DST_NAT.to_ne_bytes().to_vec(),
                xor: vec![0; 4],
            });
            out.push(cmp(NFT_CMP_NEQ, vec![0; 4]));
        }
    }
}

/// `ip saddr NET`: load the address (IPv4 saddr/daddr at offsets 12/16 of
/// the network header, IPv6 at 8/24), mask it unless the prefix is full,
/// compare with the network. A /0 needs no load: the family guard is all.
fn net(n: &Cidr, which: usize, op: u32, out: &mut Vec<Expr>) {
    if n.prefix == 0 {
        if op == NFT_CMP_NEQ {
            // "not in ::/0" holds for no packet of that family.
            out.push(meta(NFT_META_NFPROTO));
            out.push(cmp(NFT_CMP_EQ, vec![NFPROTO_UNSPEC]));
        }
        return;
    }
    let (offsets, len) = if n.addr.is_ipv4() {
        ([12, 16], 4)
    } else {
        ([8, 24], 16)
    };
    out.push(Expr::Payload {
        base: NFT_PAYLOAD_NETWORK_HEADER,
        offset: offsets[which],
        len,
        dreg: NFT_REG_1,
    });
    if n.prefix < n.max_prefix() {
        out.push(Expr::Bitwise {
            sreg: NFT_REG_1,
            dreg: NFT_REG_1,
            mask: n.mask_bytes(),
            xor: vec![0; len as usize],
        });
    }
    out.push(cmp(op, n.network_bytes()));
}

/// Appends `NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { ... } }`.
pub(crate) fn write(w: &mut MsgWriter<'_>, e: &Expr) {
    let elem = w.begin_nest(NFTA_LIST_ELEM);
    w.put_strz(NFTA_EXPR_NAME, e.name());
    let data = w.begin_nest(NFTA_EXPR_DATA);
    match e {
        Expr::Meta { key, dreg } => {
            w.put_be32(NFTA_META_KEY, *key);
            w.put_be32(NFTA_META_DREG, *dreg);
        }
        Expr::Payload {
            base,
            offset,
            len,
            dreg,
        } => {
            w.put_be32(NFTA_PAYLOAD_DREG, *dreg);
            w.put_be32(NFTA_PAYLOAD_BASE, *base);
            w.put_be32(NFTA_PAYLOAD_OFFSET, *offset);
            w.put_be32(NFTA_PAYLOAD_LEN, *len);
        }
        Expr::Cmp { sreg, op, data } => {
            w.put_be32(NFTA_CMP_SREG, *sreg);
            w.put_be32(NFTA_CMP_OP, *op);
            value(w, NFTA_CMP_DATA, data);
        }
        Expr::Bitwise {
            sreg,
            dreg,
            mask,
            xor,
        } => {
            w.put_be32(NFTA_BITWISE_SREG, *sreg);
            w.put_be32(NFTA_BITWISE_DREG, *dreg);
            w.put_be32(NFTA_BITWISE_LEN, mask.len() as u32);
            value(w, NFTA_BITWISE_MASK, mask);
            value(w, NFTA_BITWISE_XOR, xor);
        }
        Expr::Fib {
            dreg,
            result,
            flags,
        } => {
            w.put_be32(NFTA_FIB_DREG, *dreg);
            w.put_be32(NFTA_FIB_RESULT, *result);
            w.put_be32(NFTA_FIB_FLAGS, *flags);
        }
        Expr::Ct { key, dreg } => {
            w.put_be32(NFTA_CT_DREG, *dreg);
            w.put_be32(NFTA_CT_KEY, *key);
        }
        Expr::Immediate { dreg, data } => {
            w.put_be32(NFTA_IMMEDIATE_DREG, *dreg);
            value(w, NFTA_IMMEDIATE_DATA, data);
        }
        Expr::Verdict { code } => write_verdict(w, *code),
        Expr::Nat {
            family,
            reg_addr,
            reg_proto,
        } => write_dnat(w, *family, *reg_addr, *reg_proto),
        Expr::Masq => {}
    }
    w.end_nest(data);
    w.end_nest(elem);
}

/// An immediate into the verdict register.
fn write_verdict(w: &mut MsgWriter<'_>, code: u32) {
    w.put_be32(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
    let d = w.begin_nest(NFTA_IMMEDIATE_DATA);
    let v = w.begin_nest(NFTA_DATA_VERDICT);
    w.put_be32(NFTA_VERDICT_CODE, code);
    w.end_nest(v);
    w.end_nest(d);
}

/// DNAT to the address in `reg_addr` (and the port in `reg_proto`).
fn write_dnat(w: &mut MsgWriter<'_>, family: u8, reg_addr: u32, reg_proto: Option<u32>) {
    w.put_be32(NFTA_NAT_TYPE, NFT_NAT_DNAT);
    w.put_be32(NFTA_NAT_FAMILY, u32::from(family));
    w.put_be32(NFTA_NAT_REG_ADDR_MIN, reg_addr);
    let mut flags = NF_NAT_RANGE_MAP_IPS;
    if let Some(r) = reg_proto {
        w.put_be32(NFTA_NAT_REG_PROTO_MIN, r);
        flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
    }
    w.put_be32(NFTA_NAT_FLAGS, flags);
}

/// `ATTR { NFTA_DATA_VALUE bytes }`.
fn value(w: &mut MsgWriter<'_>, ty: u16, bytes: &[u8]) {
    let n = w.begin_nest(ty);
    w.put(NFTA_DATA_VALUE, bytes);
    w.end_nest(n);
}

impl Expr {
    /// The kernel's expression type name (`NFTA_EXPR_NAME`).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Expr::Meta { .. } => "meta",
            Expr::Payload { .. } => "payload",
            Expr::Cmp { .. } => "cmp",
            Expr::Bitwise { .. } => "bitwise",
            Expr::Fib { .. } => "fib",
            Expr::Ct { .. } => "ct",
            Expr::Immediate { .. } | Expr::Verdict { .. } => "immediate",
            Expr::Nat { .. } => "nat",
            Expr::Masq => "masq",
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Roughly `nft --debug=netlink`'s notation, for tests and debugging.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Meta { key, dreg } => write!(f, "[ meta load {key} => reg {dreg} ]"),
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                write!(
                    f,
                    "[ payload load {len}b @ base {base} + {offset} => reg {dreg} ]"
                )
            }
            Expr::Cmp { sreg, op, data } => {
                let op = if *op == NFT_CMP_EQ { "eq" } else { "neq" };
                write!(f, "[ cmp {op} reg {sreg} 0x{} ]", hex(data))
            }
            Expr::Bitwise {
                sreg,
                dreg,
                mask,
                xor,
            } => write!(
                f,
                "[ bitwise reg {dreg} = ( reg {sreg} & 0x{} ) ^ 0x{} ]",
                hex(mask),
                hex(xor)
            ),
            Expr::Fib {
                dreg,
                result,
                flags,
            } => {
                write!(f, "[ fib flags {flags} result {result} => reg {dreg} ]")
            }
            Expr::Ct { key, dreg } => write!(f, "[ ct load {key} => reg {dreg} ]"),
            Expr::Immediate { dreg, data } => write!(f, "[ immediate reg {dreg} 0x{} ]", hex(data)),
            Expr::Verdict { code } => write!(f, "[ immediate reg 0 verdict {code} ]"),
            Expr::Nat {
                family,
                reg_addr,
                reg_proto,
            } => {
                write!(f, "[ nat dnat family {family} addr_min reg {reg_addr}")?;
                if let Some(p) = reg_proto {
                    write!(f, " proto_min reg {p}")?;
                }
                write!(f, " ]")
            }
            Expr::Masq => write!(f, "[ masq ]"),
        }
    }
}
