//! Byte-for-byte checks of encoded messages, with expectations written
//! from the uapi by hand. The netlink header and attribute headers are
//! host order (these tests assume little-endian, as on x86-64 and arm64);
//! nf_tables integers are big-endian (`NLA_BE32`).
#![cfg(target_endian = "little")]

use crate::*;

/// `struct nlattr { u16 nla_len; u16 nla_type; }` + payload + padding.
fn a(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = ((4 + payload.len()) as u16).to_le_bytes().to_vec();
    v.extend(ty.to_le_bytes());
    v.extend(payload);
    while !v.len().is_multiple_of(4) {
        v.push(0);
    }
    v
}

/// A nested attribute: type | NLA_F_NESTED (0x8000).
fn n(ty: u16, inner: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = inner.concat();
    a(ty | 0x8000, &body)
}

fn be(v: u32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

/// The messages of a batch, split by nlmsg_len.
fn split(b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = b;
    while !rest.is_empty() {
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        out.push(&rest[..len]);
        rest = &rest[len..];
    }
    out
}

fn pre_table(rules: Vec<Rule>) -> Table {
    Table {
        name: "t".into(),
        comment: None,
        chains: vec![Chain {
            name: "pre".into(),
            hook: Hook::Prerouting,
            kind: ChainType::Nat,
            priority: -100,
            rules,
        }],
    }
}

#[test]
fn delete_batch_is_begin_newtable_deltable_end() {
    let b = encode_delete_batch("t", 100).unwrap();
    let m = split(b.as_bytes());
    assert_eq!(m.len(), 4);
    #[rustfmt::skip]
    let begin = [
        20, 0, 0, 0,        // nlmsg_len: 16 header + 4 nfgenmsg
        0x10, 0,            // NFNL_MSG_BATCH_BEGIN (NLMSG_MIN_TYPE)
        0x01, 0,            // NLM_F_REQUEST, no ACK asked for the framing
        100, 0, 0, 0,       // seq = seq_start
        0, 0, 0, 0,         // pid 0: the kernel
        0, 0,               // nfgen_family AF_UNSPEC, version NFNETLINK_V0
        0x00, 0x0a,         // res_id = NFNL_SUBSYS_NFTABLES, big-endian
    ];
    assert_eq!(m[0], begin);
    #[rustfmt::skip]
    let newtable = [
        28, 0, 0, 0,        // 16 + 4 + 8 (one attribute)
        0x00, 0x0a,         // NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE (0)
        0x05, 0x04,         // NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE (0x405)
        101, 0, 0, 0,
        0, 0, 0, 0,
        1, 0, 0, 0,         // NFPROTO_INET, version 0, res_id 0
        6, 0, 1, 0,         // NFTA_TABLE_NAME, 4 + "t\0"
        b't', 0, 0, 0,      // NUL-terminated, padded to 4
    ];
    assert_eq!(m[1], newtable);
    #[rustfmt::skip]
    let deltable = [
        28, 0, 0, 0,
        0x02, 0x0a,         // NFT_MSG_DELTABLE (2)
        0x05, 0x00,         // NLM_F_REQUEST | NLM_F_ACK
        102, 0, 0, 0,
        0, 0, 0, 0,
        1, 0, 0, 0,
        6, 0, 1, 0, b't', 0, 0, 0,
    ];
    assert_eq!(m[2], deltable);
    #[rustfmt::skip]
    let end = [
        20, 0, 0, 0, 0x11, 0, 0x01, 0, 103, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0x00, 0x0a,   // NFNL_MSG_BATCH_END, same framing
    ];
    assert_eq!(m[3], end);
    let seqs: Vec<(u32, MsgKind)> = b.messages().iter().map(|x| (x.seq, x.kind)).collect();
    assert_eq!(seqs, [(101, MsgKind::NewTable), (102, MsgKind::DelTable)]);
    assert_eq!(b.message(100).map(|x| x.kind), Some(MsgKind::Framing));
    assert_eq!(b.message(103).map(|x| x.kind), Some(MsgKind::Framing));
    assert_eq!(b.message(104), None);
}

#[test]
fn replace_batch_adds_deletes_adds_then_chains_then_rules() {
    let masq = Rule {
        matches: vec![Match::OifName("eth0".into())],
        action: Action::Masquerade,
    };
    let mut t = pre_table(vec![]);
    t.chains.push(Chain {
        name: "post".into(),
        hook: Hook::Postrouting,
        kind: ChainType::Nat,
        priority: 100,
        rules: vec![masq.clone(), masq],
    });
    let b = encode_replace_batch(&t, 7).unwrap();
    let kinds: Vec<MsgKind> = b.messages().iter().map(|m| m.kind).collect();
    use MsgKind::*;
    assert_eq!(
        kinds,
        [NewTable, DelTable, NewTable, NewChain, NewChain, NewRule, NewRule]
    );
    let m = split(b.as_bytes());
    assert_eq!(m.len(), 9, "begin + 7 + end");
    // seq goes 7 (begin), 8..=14, 15 (end)
    for (i, msg) in m.iter().enumerate() {
        assert_eq!(msg[8..12], (7 + i as u32).to_le_bytes());
    }
    // NEWRULE: NFT_MSG_NEWRULE (6) with REQUEST|ACK|CREATE|APPEND (0xc05):
    // without NLM_F_APPEND the kernel would insert each rule at the head.
    assert_eq!(m[6][4..8], [0x06, 0x0a, 0x05, 0x0c]);
    assert_eq!(
        b.messages()[5].what,
        "rule 1 of chain post: oifname \"eth0\" masquerade"
    );
}

#[test]
fn nat_chain_has_hook_priority_and_type() {
    let b = encode_replace_batch(&pre_table(vec![]), 1).unwrap();
    let chain = split(b.as_bytes())[4];
    #[rustfmt::skip]
    let want = [
        64, 0, 0, 0,
        0x03, 0x0a,         // NFT_MSG_NEWCHAIN (3)
        0x05, 0x04,         // REQUEST | ACK | CREATE
        5, 0, 0, 0,         // seq: begin 1, tables 2..=4
        0, 0, 0, 0,
        1, 0, 0, 0,         // NFPROTO_INET
        6, 0, 1, 0, b't', 0, 0, 0,              // NFTA_CHAIN_TABLE "t"
        8, 0, 3, 0, b'p', b'r', b'e', 0,        // NFTA_CHAIN_NAME "pre"
        20, 0, 4, 0x80,                         // NFTA_CHAIN_HOOK, nested
        8, 0, 1, 0, 0, 0, 0, 0,                 //   HOOKNUM NF_INET_PRE_ROUTING (0)
        8, 0, 2, 0, 0xff, 0xff, 0xff, 0x9c,     //   PRIORITY -100, __be32
        8, 0, 7, 0, b'n', b'a', b't', 0,        // NFTA_CHAIN_TYPE "nat"
    ];
    assert_eq!(chain, want);
}

/// The expression list element: `NFTA_LIST_ELEM { NAME, DATA { .. } }`.
fn expr(name: &str, data: &[Vec<u8>]) -> Vec<u8> {
    let mut z = name.as_bytes().to_vec();
    z.push(0);
    n(1, &[a(1, &z), n(2, data)])
}

fn cmp(op: u32, data: &[u8]) -> Vec<u8> {
    // NFTA_CMP_SREG 1, NFTA_CMP_OP 2, NFTA_CMP_DATA 3 { NFTA_DATA_VALUE 1 }
    expr("cmp", &[a(1, &be(1)), a(2, &be(op)), n(3, &[a(1, data)])])
}

fn meta(key: u32) -> Vec<u8> {
    // NFTA_META_KEY 2, NFTA_META_DREG 1 (register 1)
    expr("meta", &[a(2, &be(key)), a(1, &be(1))])
}

/// The rule message's attributes, after header and nfgenmsg.
fn rule_attrs(t: &Table) -> Vec<u8> {
    let b = encode_replace_batch(t, 1).unwrap();
    let msgs = split(b.as_bytes());
    let rule = msgs[5];
    assert_eq!(rule[4..6], [0x06, 0x0a], "NFT_MSG_NEWRULE");
    rule[20..].to_vec()
}

fn head(chain: &str) -> Vec<u8> {
    let mut c = chain.as_bytes().to_vec();
    c.push(0);
    [a(1, b"t\0"), a(2, &c)].concat() // NFTA_RULE_TABLE, NFTA_RULE_CHAIN
}

#[test]
fn masquerade_rule_bytes() {
    let mut t = pre_table(vec![]);
    t.chains[0].name = "post".into();
    t.chains[0].hook = Hook::Postrouting;
    t.chains[0].rules.push(Rule {
        matches: vec![
            Match::SrcNet("10.1.0.0/16".parse().unwrap()),
            Match::NotOifName("br0".into()),
        ],
        action: Action::Masquerade,
    });
    let exprs = n(
        4, // NFTA_RULE_EXPRESSIONS
        &[
            meta(15),     // NFT_META_NFPROTO: the inet table's family guard
            cmp(0, &[2]), // == NFPROTO_IPV4
            // payload: DREG 1, BASE 1 (network header), OFFSET 12 (saddr), LEN 4
            expr(
                "payload",
                &[a(1, &be(1)), a(2, &be(1)), a(3, &be(12)), a(4, &be(4))],
            ),
            // bitwise: SREG 1, DREG 1, LEN 4, MASK {255.255.0.0}, XOR {0}
            expr(
                "bitwise",
                &[
                    a(1, &be(1)),
                    a(2, &be(1)),
                    a(3, &be(4)),
                    n(4, &[a(1, &[255, 255, 0, 0])]),
                    n(5, &[a(1, &[0, 0, 0, 0])]),
                ],
            ),
            cmp(0, &[10, 1, 0, 0]),
            meta(7),                                  // NFT_META_OIFNAME
            cmp(1, b"br0\0\0\0\0\0\0\0\0\0\0\0\0\0"), // NEQ, IFNAMSIZ bytes
            expr("masq", &[]),
        ],
    );
    assert_eq!(rule_attrs(&t), [head("post"), exprs].concat());
}

#[test]
fn dnat_rule_bytes() {
    let t = pre_table(vec![Rule {
        matches: vec![
            Match::L4Proto(Proto::Tcp),
            Match::DstPort(8080),
            Match::DstLocal,
        ],
        action: Action::Dnat {
            addr: "172.17.10.10".parse().unwrap(),
            port: Some(80),
        },
    }]);
    let exprs = n(
        4,
        &[
            meta(15),
            cmp(0, &[2]),
            meta(16),     // NFT_META_L4PROTO
            cmp(0, &[6]), // IPPROTO_TCP
            // payload: transport header (2), offset 2 (dport), 2 bytes
            expr(
                "payload",
                &[a(1, &be(1)), a(2, &be(2)), a(3, &be(2)), a(4, &be(2))],
            ),
            cmp(0, &[0x1f, 0x90]), // 8080, network order
            // fib: DREG 1, RESULT 3 (ADDRTYPE), FLAGS 2 (DADDR)
            expr("fib", &[a(1, &be(1)), a(2, &be(3)), a(3, &be(2))]),
            cmp(0, &[2, 0, 0, 0]), // RTN_LOCAL, host order
            // immediate: DREG 1, DATA { VALUE 172.17.10.10 }
            expr(
                "immediate",
                &[a(1, &be(1)), n(2, &[a(1, &[172, 17, 10, 10])])],
            ),
            // immediate: DREG 2, DATA { VALUE port 80 big-endian }
            expr("immediate", &[a(1, &be(2)), n(2, &[a(1, &[0, 80])])]),
            // nat: TYPE DNAT (1), FAMILY NFPROTO_IPV4 (2), REG_ADDR_MIN 1,
            // REG_PROTO_MIN 2, FLAGS MAP_IPS | PROTO_SPECIFIED (3)
            expr(
                "nat",
                &[
                    a(1, &be(1)),
                    a(2, &be(2)),
                    a(3, &be(1)),
                    a(5, &be(2)),
                    a(7, &be(3)),
                ],
            ),
        ],
    );
    assert_eq!(rule_attrs(&t), [head("pre"), exprs].concat());
}

#[test]
fn accept_and_ct_status_bytes() {
    let t = pre_table(vec![Rule {
        matches: vec![Match::CtStatusDnat],
        action: Action::Accept,
    }]);
    let exprs = n(
        4,
        &[
            // ct: DREG 1, KEY 2 (NFT_CT_STATUS); no family guard (no address)
            expr("ct", &[a(1, &be(1)), a(2, &be(2))]),
            expr(
                "bitwise",
                &[
                    a(1, &be(1)),
                    a(2, &be(1)),
                    a(3, &be(4)),
                    n(4, &[a(1, &[0x20, 0, 0, 0])]), // IPS_DST_NAT, host order
                    n(5, &[a(1, &[0, 0, 0, 0])]),
                ],
            ),
            cmp(1, &[0, 0, 0, 0]),
            // immediate: DREG 0 (verdict), DATA { VERDICT { CODE NF_ACCEPT } }
            expr("immediate", &[a(1, &be(0)), n(2, &[n(2, &[a(1, &be(1))])])]),
        ],
    );
    assert_eq!(rule_attrs(&t), [head("pre"), exprs].concat());
}
