//! Rules as nftables expressions (include/uapi/linux/netfilter/nf_tables.h).
//! Every match loads a value into register 1 and compares it, the way
//! `nft` compiles `ip saddr 10.0.0.0/8`: payload → bitwise → cmp. In an
//! `inet` table an address match is guarded by `meta nfproto`.

use crate::wire::{Attrs, NFPROTO_IPV4, NFPROTO_IPV6};
use std::net::IpAddr;

// Expression attributes.
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
const NFTA_DATA_VALUE: u16 = 1;
// meta
const NFTA_META_DREG: u16 = 1;
const NFTA_META_KEY: u16 = 2;
const NFT_META_IIFNAME: u32 = 6;
const NFT_META_OIFNAME: u32 = 7;
const NFT_META_NFPROTO: u32 = 15;
const NFT_META_L4PROTO: u32 = 16;
// cmp
const NFTA_CMP_SREG: u16 = 1;
const NFTA_CMP_OP: u16 = 2;
const NFTA_CMP_DATA: u16 = 3;
const NFT_CMP_EQ: u32 = 0;
const NFT_CMP_NEQ: u32 = 1;
// payload
const NFTA_PAYLOAD_DREG: u16 = 1;
const NFTA_PAYLOAD_BASE: u16 = 2;
const NFTA_PAYLOAD_OFFSET: u16 = 3;
const NFTA_PAYLOAD_LEN: u16 = 4;
const NFT_PAYLOAD_NETWORK_HEADER: u32 = 1;
const NFT_PAYLOAD_TRANSPORT_HEADER: u32 = 2;
// bitwise
const NFTA_BITWISE_SREG: u16 = 1;
const NFTA_BITWISE_DREG: u16 = 2;
const NFTA_BITWISE_LEN: u16 = 3;
const NFTA_BITWISE_MASK: u16 = 4;
const NFTA_BITWISE_XOR: u16 = 5;
// immediate
const NFTA_IMMEDIATE_DREG: u16 = 1;
const NFTA_IMMEDIATE_DATA: u16 = 2;
// nat
const NFTA_NAT_TYPE: u16 = 1;
const NFTA_NAT_FAMILY: u16 = 2;
const NFTA_NAT_REG_ADDR_MIN: u16 = 3;
const NFTA_NAT_REG_PROTO_MIN: u16 = 5;
const NFT_NAT_DNAT: u32 = 1;
// fib
const NFTA_FIB_DREG: u16 = 1;
const NFTA_FIB_RESULT: u16 = 2;
const NFTA_FIB_FLAGS: u16 = 3;
const NFT_FIB_RESULT_ADDRTYPE: u32 = 3;
const NFTA_FIB_F_DADDR: u32 = 2;
/// `RTN_LOCAL`; the fib result is a host-order u32.
const RTN_LOCAL: u32 = 2;
// ct
const NFTA_CT_DREG: u16 = 1;
const NFTA_CT_KEY: u16 = 2;
const NFT_CT_STATUS: u32 = 2;
/// `IPS_DST_NAT` (1 << IPS_DST_NAT_BIT); ct status is a host-order u32.
const IPS_DST_NAT: u32 = 1 << 5;

/// `NFT_REG_1`, the first 16-byte register; `NFT_REG_2` the second.
const REG1: u32 = 1;
const REG2: u32 = 2;
const IFNAMSIZ: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

/// What a rule matches. Address matches take a prefix length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    SrcNet(IpAddr, u8),
    DstNet(IpAddr, u8),
    NotDstNet(IpAddr, u8),
    IifName(String),
    OifName(String),
    NotOifName(String),
    L4Proto(Proto),
    /// Destination port of TCP or UDP (needs an `L4Proto` before it).
    DstPort(u16),
    /// `fib daddr type local`.
    DstLocal,
    /// `ct status dnat`.
    CtStatusDnat,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Masquerade,
    Dnat { addr: IpAddr, port: Option<u16> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub matches: Vec<Match>,
    pub action: Action,
}

fn expr(list: &mut Attrs, name: &str, data: Option<&Attrs>) {
    let mut e = Attrs::new();
    e.str(NFTA_EXPR_NAME, name);
    if let Some(d) = data {
        e.nested(NFTA_EXPR_DATA, d);
    }
    list.nested(NFTA_LIST_ELEM, &e);
}

fn value(v: &[u8]) -> Attrs {
    let mut d = Attrs::new();
    d.bytes(NFTA_DATA_VALUE, v);
    d
}

fn meta(list: &mut Attrs, key: u32) {
    let mut d = Attrs::new();
    d.be32(NFTA_META_KEY, key).be32(NFTA_META_DREG, REG1);
    expr(list, "meta", Some(&d));
}

fn cmp(list: &mut Attrs, op: u32, data: &[u8]) {
    let mut d = Attrs::new();
    d.be32(NFTA_CMP_SREG, REG1)
        .be32(NFTA_CMP_OP, op)
        .nested(NFTA_CMP_DATA, &value(data));
    expr(list, "cmp", Some(&d));
}

fn payload(list: &mut Attrs, base: u32, offset: u32, len: u32) {
    let mut d = Attrs::new();
    d.be32(NFTA_PAYLOAD_DREG, REG1)
        .be32(NFTA_PAYLOAD_BASE, base)
        .be32(NFTA_PAYLOAD_OFFSET, offset)
        .be32(NFTA_PAYLOAD_LEN, len);
    expr(list, "payload", Some(&d));
}

fn bitwise(list: &mut Attrs, mask: &[u8]) {
    let mut d = Attrs::new();
    d.be32(NFTA_BITWISE_SREG, REG1)
        .be32(NFTA_BITWISE_DREG, REG1)
        .be32(NFTA_BITWISE_LEN, mask.len() as u32)
        .nested(NFTA_BITWISE_MASK, &value(mask))
        .nested(NFTA_BITWISE_XOR, &value(&vec![0; mask.len()]));
    expr(list, "bitwise", Some(&d));
}

fn ip_bytes(a: &IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    }
}

/// `prefix` leading one bits over `len` bytes.
fn prefix_mask(len: usize, prefix: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            let bits = (usize::from(prefix)).saturating_sub(i * 8).min(8);
            if bits == 0 {
                0
            } else {
                0xffu8 << (8 - bits)
            }
        })
        .collect()
}

fn nfproto(list: &mut Attrs, v6: bool) {
    meta(list, NFT_META_NFPROTO);
    cmp(
        list,
        NFT_CMP_EQ,
        &[if v6 { NFPROTO_IPV6 } else { NFPROTO_IPV4 }],
    );
}

/// `ip saddr|daddr [!=] ADDR/PREFIX`, guarded by the family.
fn addr_match(list: &mut Attrs, src: bool, addr: &IpAddr, prefix: u8, op: u32) {
    let v6 = addr.is_ipv6();
    nfproto(list, v6);
    if prefix == 0 {
        return;
    }
    let (offset, len) = match (v6, src) {
        (false, true) => (12, 4),
        (false, false) => (16, 4),
        (true, true) => (8, 16),
        (true, false) => (24, 16),
    };
    payload(list, NFT_PAYLOAD_NETWORK_HEADER, offset, len);
    let mask = prefix_mask(len as usize, prefix);
    let full = prefix as usize == len as usize * 8;
    if !full {
        bitwise(list, &mask);
    }
    let net: Vec<u8> = ip_bytes(addr)
        .iter()
        .zip(&mask)
        .map(|(a, m)| a & m)
        .collect();
    cmp(list, op, &net);
}

fn ifname(list: &mut Attrs, key: u32, name: &str, op: u32) {
    meta(list, key);
    let mut v = name.as_bytes().to_vec();
    v.resize(IFNAMSIZ, 0);
    cmp(list, op, &v);
}

fn encode_match(list: &mut Attrs, m: &Match) {
    match m {
        Match::SrcNet(a, p) => addr_match(list, true, a, *p, NFT_CMP_EQ),
        Match::DstNet(a, p) => addr_match(list, false, a, *p, NFT_CMP_EQ),
        Match::NotDstNet(a, p) => addr_match(list, false, a, *p, NFT_CMP_NEQ),
        Match::IifName(n) => ifname(list, NFT_META_IIFNAME, n, NFT_CMP_EQ),
        Match::OifName(n) => ifname(list, NFT_META_OIFNAME, n, NFT_CMP_EQ),
        Match::NotOifName(n) => ifname(list, NFT_META_OIFNAME, n, NFT_CMP_NEQ),
        Match::L4Proto(p) => {
            meta(list, NFT_META_L4PROTO);
            cmp(list, NFT_CMP_EQ, &[if *p == Proto::Tcp { 6 } else { 17 }]);
        }
        Match::DstPort(port) => {
            payload(list, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
            cmp(list, NFT_CMP_EQ, &port.to_be_bytes());
        }
        Match::DstLocal => {
            let mut d = Attrs::new();
            d.be32(NFTA_FIB_DREG, REG1)
                .be32(NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE)
                .be32(NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
            expr(list, "fib", Some(&d));
            cmp(list, NFT_CMP_EQ, &RTN_LOCAL.to_ne_bytes());
        }
        Match::CtStatusDnat => {
            let mut d = Attrs::new();
            d.be32(NFTA_CT_KEY, NFT_CT_STATUS).be32(NFTA_CT_DREG, REG1);
            expr(list, "ct", Some(&d));
            bitwise(list, &IPS_DST_NAT.to_ne_bytes());
            cmp(list, NFT_CMP_NEQ, &0u32.to_ne_bytes());
        }
    }
}

/// The `NFTA_RULE_EXPRESSIONS` list of a rule.
pub fn encode_rule(r: &Rule) -> Attrs {
    let mut list = Attrs::new();
    for m in &r.matches {
        encode_match(&mut list, m);
    }
    match &r.action {
        Action::Masquerade => expr(&mut list, "masq", None),
        Action::Dnat { addr, port } => {
            let v6 = addr.is_ipv6();
            // A DNAT applies to one family: match it first, as `nft` does.
            if !r.matches.iter().any(|m| {
                matches!(
                    m,
                    Match::SrcNet(..) | Match::DstNet(..) | Match::NotDstNet(..)
                )
            }) {
                let mut guarded = Attrs::new();
                nfproto(&mut guarded, v6);
                guarded.buf.extend_from_slice(&list.buf);
                list = guarded;
            }
            let mut d = Attrs::new();
            d.be32(NFTA_IMMEDIATE_DREG, REG1)
                .nested(NFTA_IMMEDIATE_DATA, &value(&ip_bytes(addr)));
            expr(&mut list, "immediate", Some(&d));
            if let Some(p) = port {
                let mut d = Attrs::new();
                d.be32(NFTA_IMMEDIATE_DREG, REG2)
                    .nested(NFTA_IMMEDIATE_DATA, &value(&p.to_be_bytes()));
                expr(&mut list, "immediate", Some(&d));
            }
            let mut d = Attrs::new();
            d.be32(NFTA_NAT_TYPE, NFT_NAT_DNAT)
                .be32(
                    NFTA_NAT_FAMILY,
                    u32::from(if v6 { NFPROTO_IPV6 } else { NFPROTO_IPV4 }),
                )
                .be32(NFTA_NAT_REG_ADDR_MIN, REG1);
            if port.is_some() {
                d.be32(NFTA_NAT_REG_PROTO_MIN, REG2);
            }
            expr(&mut list, "nat", Some(&d));
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_attrs;

    fn names(list: &Attrs) -> Vec<String> {
        parse_attrs(&list.buf)
            .into_iter()
            .map(|(_, elem)| {
                let name = parse_attrs(elem)
                    .into_iter()
                    .find(|(k, _)| *k == NFTA_EXPR_NAME)
                    .map(|(_, v)| v)
                    .unwrap_or(&[]);
                String::from_utf8_lossy(name)
                    .trim_end_matches('\0')
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn prefix_masks() {
        assert_eq!(prefix_mask(4, 16), [255, 255, 0, 0]);
        assert_eq!(prefix_mask(4, 20), [255, 255, 0xf0, 0]);
        assert_eq!(prefix_mask(4, 32), [255; 4]);
    }

    #[test]
    fn masquerade_of_a_subnet_not_out_a_bridge_compiles_like_nft() {
        let r = Rule {
            matches: vec![
                Match::SrcNet("172.17.0.0".parse().expect("ip"), 16),
                Match::NotOifName("docker0".into()),
            ],
            action: Action::Masquerade,
        };
        let list = encode_rule(&r);
        assert_eq!(
            names(&list),
            ["meta", "cmp", "payload", "bitwise", "cmp", "meta", "cmp", "masq"]
        );
        // The address compare holds the network, in network order.
        let elems = parse_attrs(&list.buf);
        let cmp_data = parse_attrs(elems[4].1)
            .into_iter()
            .find(|(k, _)| *k == NFTA_EXPR_DATA)
            .map(|(_, v)| v)
            .expect("data");
        let val = parse_attrs(cmp_data)
            .into_iter()
            .find(|(k, _)| *k == NFTA_CMP_DATA)
            .map(|(_, v)| v)
            .expect("cmp data");
        assert_eq!(parse_attrs(val)[0].1, &[172, 17, 0, 0]);
        // oifname != "docker0" is a 16-byte NUL-padded compare, op NEQ.
        let cmp_data = parse_attrs(elems[6].1)
            .into_iter()
            .find(|(k, _)| *k == NFTA_EXPR_DATA)
            .map(|(_, v)| v)
            .expect("data");
        let attrs = parse_attrs(cmp_data);
        assert_eq!(attrs[1], (NFTA_CMP_OP, &1u32.to_be_bytes()[..]));
        let v = parse_attrs(attrs[2].1)[0].1;
        assert_eq!(v.len(), 16);
        assert_eq!(&v[..8], b"docker0\0");
    }

    #[test]
    fn dnat_of_a_published_port() {
        let r = Rule {
            matches: vec![
                Match::DstLocal,
                Match::L4Proto(Proto::Tcp),
                Match::DstPort(8080),
            ],
            action: Action::Dnat {
                addr: "172.17.10.10".parse().expect("ip"),
                port: Some(80),
            },
        };
        assert_eq!(
            names(&encode_rule(&r)),
            [
                "meta",
                "cmp",
                "fib",
                "cmp",
                "meta",
                "cmp",
                "payload",
                "cmp",
                "immediate",
                "immediate",
                "nat"
            ]
        );
    }
}
