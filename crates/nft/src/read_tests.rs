//! Rules read back: every rule this crate writes decodes to itself, from
//! the bytes it writes; anything else decodes to no rule.

use crate::expr::{lower, write, Expr};
use crate::read::{comment_of, decode_expr, raise, rule_of};
use crate::uapi::*;
use crate::wire::MsgWriter;
use crate::*;

fn net(s: &str) -> Cidr {
    s.parse().unwrap()
}

/// One rule of each shape `lower` knows, both families, negations, /0.
fn rules() -> Vec<Rule> {
    let dnat = |a: &str, port| Action::Dnat {
        addr: a.parse().unwrap(),
        port,
    };
    let m = |matches: Vec<Match>, action: Action| Rule { matches, action };
    vec![
        m(
            vec![
                Match::DstLocal,
                Match::L4Proto(Proto::Tcp),
                Match::DstPort(8080),
            ],
            dnat("172.17.10.10", Some(80)),
        ),
        m(
            vec![
                Match::IifName("ens41".into()),
                Match::DstNet(net("10.5.0.1/32")),
                Match::L4Proto(Proto::Udp),
                Match::DstPort(53),
            ],
            dnat("10.9.0.2", Some(5353)),
        ),
        m(
            vec![
                Match::DstLocal,
                Match::NotDstNet(net("127.0.0.0/8")),
                Match::L4Proto(Proto::Tcp),
                Match::DstPort(1),
            ],
            dnat("10.0.0.1", Some(65535)),
        ),
        m(
            vec![Match::DstNet(net("fd00:1::5/128"))],
            dnat("fd00:2::10", None),
        ),
        m(
            vec![
                Match::SrcNet(net("172.17.0.0/16")),
                Match::NotOifName("docker0".into()),
            ],
            Action::Masquerade,
        ),
        m(
            vec![
                Match::CtStatusDnat,
                Match::SrcNet(net("fd00:17::/64")),
                Match::OifName("docker0".into()),
            ],
            Action::Masquerade,
        ),
        m(vec![Match::SrcNet(net("0.0.0.0/0"))], Action::Masquerade),
        m(
            vec![
                Match::NotSrcNet(net("10.0.0.0/9")),
                Match::NotIifName("x".into()),
            ],
            Action::Accept,
        ),
        m(vec![], Action::Masquerade),
        m(vec![Match::DstNet(net("fd00::2/128"))], Action::Drop),
    ]
}

/// The `NFTA_RULE_*` body of a rule as this crate writes it.
fn rule_body(chain: &str, exprs: &[Expr]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = MsgWriter::begin(&mut out, 0, 0, 0, NFPROTO_INET, 0);
    w.put_strz(NFTA_RULE_TABLE, "t");
    w.put_strz(NFTA_RULE_CHAIN, chain);
    let list = w.begin_nest(NFTA_RULE_EXPRESSIONS);
    for e in exprs {
        write(&mut w, e);
    }
    w.end_nest(list);
    w.finish();
    // After nlmsghdr (16) and nfgenmsg (4).
    out[20..].to_vec()
}

#[test]
fn every_rule_reads_back_as_itself() {
    for r in rules() {
        let exprs = lower(&r);
        assert_eq!(raise(&exprs).as_ref(), Some(&r), "{r}");
        let (chain, back) = rule_of(&rule_body("pre", &exprs));
        assert_eq!(chain.as_deref(), Some("pre"));
        assert_eq!(back.as_ref(), Some(&r), "{r}");
    }
}

#[test]
fn a_rule_nslab_would_not_write_reads_as_none() {
    let r = &rules()[0];
    let good = lower(r);
    // Each expression dropped, duplicated, or its register changed.
    for i in 0..good.len() {
        let mut fewer = good.clone();
        fewer.remove(i);
        assert_eq!(raise(&fewer), None, "without {i}");
        let mut more = good.clone();
        more.insert(i, good[i].clone());
        assert_eq!(raise(&more), None, "{i} twice");
        let mut other = good.clone();
        match &mut other[i] {
            Expr::Meta { dreg, .. }
            | Expr::Payload { dreg, .. }
            | Expr::Fib { dreg, .. }
            | Expr::Immediate { dreg, .. } => *dreg = 3,
            Expr::Cmp { sreg, .. } => *sreg = 3,
            Expr::Nat { reg_addr, .. } => *reg_addr = 3,
            _ => continue,
        }
        assert_eq!(raise(&other), None, "{i} changed");
    }
    // An expression this crate never writes (here a `counter`).
    let mut out = Vec::new();
    let mut w = MsgWriter::begin(&mut out, 0, 0, 0, NFPROTO_INET, 0);
    let elem = w.begin_nest(NFTA_LIST_ELEM);
    w.put_strz(NFTA_EXPR_NAME, "counter");
    w.end_nest(elem);
    w.finish();
    let elem_payload = &out[20 + 4..];
    assert_eq!(decode_expr(elem_payload), None);
}

#[test]
fn a_comment_reads_back_from_user_data() {
    let u = crate::batch::comment_udata("nslab:demo");
    assert_eq!(comment_of(&u).as_deref(), Some("nslab:demo"));
    assert_eq!(comment_of(&[]), None);
    // Another TLV first (type 1), then the comment.
    let mut v = vec![1, 2, 9, 9];
    v.extend(&u);
    assert_eq!(comment_of(&v).as_deref(), Some("nslab:demo"));
    assert_eq!(comment_of(&[0, 40, b'x']), None, "a length past the end");
}

/// A `/0` address match is encoded as the family alone, so it reads back
/// as itself in one place only: a lone source match that comes first.
/// Everywhere else the encoder refuses it, rather than write a rule that
/// reads back as another (which `plan` would show as drift forever).
#[test]
fn a_match_of_any_address_is_accepted_only_where_it_reads_back() {
    let any4 = net("0.0.0.0/0");
    let one = net("10.0.0.0/8");
    let dnat = Action::Dnat {
        addr: "10.0.0.1".parse().unwrap(),
        port: None,
    };
    let cases: Vec<(Vec<Match>, Action, bool)> = vec![
        (vec![Match::SrcNet(any4)], Action::Masquerade, true),
        (
            vec![Match::SrcNet(any4), Match::OifName("a".into())],
            Action::Masquerade,
            true,
        ),
        (vec![Match::DstNet(any4)], Action::Masquerade, false),
        (vec![Match::NotSrcNet(any4)], Action::Accept, false),
        (vec![Match::NotDstNet(any4)], Action::Drop, false),
        (
            vec![Match::OifName("a".into()), Match::SrcNet(any4)],
            Action::Masquerade,
            false,
        ),
        (
            vec![Match::SrcNet(any4), Match::DstNet(one)],
            Action::Masquerade,
            false,
        ),
        (vec![Match::SrcNet(any4)], dnat, false),
    ];
    for (matches, action, ok) in cases {
        let rule = Rule { matches, action };
        let table = Table {
            name: "t".into(),
            comment: Some("nslab:t".into()),
            chains: vec![Chain {
                name: "pre".into(),
                hook: Hook::Prerouting,
                kind: ChainType::Nat,
                priority: -100,
                rules: vec![rule.clone()],
            }],
        };
        match encode_replace_batch(&table, 1) {
            Ok(batch) => {
                assert!(ok, "accepted: {rule}");
                let back = ReadTable::from_batch(&batch).and_then(|t| t.to_table());
                assert_eq!(back, Some(table), "{rule}");
            }
            Err(e) => {
                assert!(!ok, "refused: {rule}: {e}");
                assert!(
                    e.problems
                        .iter()
                        .all(|p| matches!(p.kind, ProblemKind::AnyAddress(_))),
                    "{e}"
                );
            }
        }
    }
}
