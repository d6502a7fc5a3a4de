//! Tables, chains and the batches that install them: one transaction
//! (`NFNL_MSG_BATCH_BEGIN` … `END`) that replaces a table's contents
//! atomically, and one that deletes it whether or not it exists.

use crate::expr::{encode_rule, Rule};
use crate::wire::*;

const NFTA_TABLE_NAME: u16 = 1;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_HOOK: u16 = 4;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_CHAIN_TYPE: u16 = 7;
const NFTA_HOOK_HOOKNUM: u16 = 1;
const NFTA_HOOK_PRIORITY: u16 = 2;
const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
/// `NF_ACCEPT`.
const NF_ACCEPT: u32 = 1;

/// Netfilter hooks (`NF_INET_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    Prerouting = 0,
    Input = 1,
    Forward = 2,
    Output = 3,
    Postrouting = 4,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainType {
    Nat,
    Filter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub name: String,
    pub hook: Hook,
    pub kind: ChainType,
    /// `dstnat` is -100, `srcnat` 100.
    pub priority: i32,
    pub rules: Vec<Rule>,
}

/// An `inet` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub chains: Vec<Chain>,
}

impl Table {
    pub fn rule_count(&self) -> usize {
        self.chains.iter().map(|c| c.rules.len()).sum()
    }
}

/// What each message of a batch was, by sequence number (for errors).
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub bytes: Vec<u8>,
    pub parts: Vec<(u32, String)>,
}

impl Batch {
    fn push(&mut self, what: String, msg: Vec<u8>, seq: u32) {
        self.bytes.extend_from_slice(&msg);
        self.parts.push((seq, what));
    }
}

fn table_attrs(name: &str) -> Attrs {
    let mut a = Attrs::new();
    a.str(NFTA_TABLE_NAME, name);
    a
}

fn begin_end(kind: u16, seq: u32) -> Vec<u8> {
    message(
        kind,
        NLM_F_REQUEST,
        seq,
        NFPROTO_UNSPEC,
        NFNL_SUBSYS_NFTABLES,
        &Attrs::new(),
    )
}

fn add_table(b: &mut Batch, name: &str, seq: &mut u32) {
    let m = message(
        nft_type(NFT_MSG_NEWTABLE),
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
        *seq,
        NFPROTO_INET,
        0,
        &table_attrs(name),
    );
    b.push(format!("add table inet {name}"), m, *seq);
    *seq += 1;
}

fn del_table(b: &mut Batch, name: &str, seq: &mut u32) {
    let m = message(
        nft_type(NFT_MSG_DELTABLE),
        NLM_F_REQUEST | NLM_F_ACK,
        *seq,
        NFPROTO_INET,
        0,
        &table_attrs(name),
    );
    b.push(format!("delete table inet {name}"), m, *seq);
    *seq += 1;
}

/// Replace `table` whole: add it (so the delete cannot fail), delete it
/// with everything in it, and build it anew — one transaction, so the
/// kernel never runs with half a rule set.
pub fn replace_batch(table: &Table, seq_start: u32) -> Batch {
    let mut b = Batch::default();
    let mut seq = seq_start;
    b.bytes
        .extend_from_slice(&begin_end(NFNL_MSG_BATCH_BEGIN, seq));
    seq += 1;
    add_table(&mut b, &table.name, &mut seq);
    del_table(&mut b, &table.name, &mut seq);
    add_table(&mut b, &table.name, &mut seq);
    for c in &table.chains {
        let mut hook = Attrs::new();
        hook.be32(NFTA_HOOK_HOOKNUM, c.hook as u32)
            .be32(NFTA_HOOK_PRIORITY, c.priority as u32);
        let mut a = Attrs::new();
        a.str(NFTA_CHAIN_TABLE, &table.name)
            .str(NFTA_CHAIN_NAME, &c.name)
            .nested(NFTA_CHAIN_HOOK, &hook)
            .be32(NFTA_CHAIN_POLICY, NF_ACCEPT)
            .str(
                NFTA_CHAIN_TYPE,
                if c.kind == ChainType::Nat {
                    "nat"
                } else {
                    "filter"
                },
            );
        let m = message(
            nft_type(NFT_MSG_NEWCHAIN),
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE,
            seq,
            NFPROTO_INET,
            0,
            &a,
        );
        b.push(format!("add chain inet {} {}", table.name, c.name), m, seq);
        seq += 1;
        for (i, r) in c.rules.iter().enumerate() {
            let mut a = Attrs::new();
            a.str(NFTA_RULE_TABLE, &table.name)
                .str(NFTA_RULE_CHAIN, &c.name)
                .nested(NFTA_RULE_EXPRESSIONS, &encode_rule(r));
            let m = message(
                nft_type(NFT_MSG_NEWRULE),
                NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_APPEND,
                seq,
                NFPROTO_INET,
                0,
                &a,
            );
            b.push(
                format!("add rule inet {} {} (rule {})", table.name, c.name, i + 1),
                m,
                seq,
            );
            seq += 1;
        }
    }
    b.bytes
        .extend_from_slice(&begin_end(NFNL_MSG_BATCH_END, seq));
    b
}

/// Delete `name` if it exists (adding it first makes a missing table no
/// error), in one transaction.
pub fn delete_batch(name: &str, seq_start: u32) -> Batch {
    let mut b = Batch::default();
    let mut seq = seq_start;
    b.bytes
        .extend_from_slice(&begin_end(NFNL_MSG_BATCH_BEGIN, seq));
    seq += 1;
    add_table(&mut b, name, &mut seq);
    del_table(&mut b, name, &mut seq);
    b.bytes
        .extend_from_slice(&begin_end(NFNL_MSG_BATCH_END, seq));
    b
}

/// A dump request: all tables, or the rules of one `inet` table.
pub fn dump_tables(seq: u32) -> Vec<u8> {
    message(
        nft_type(NFT_MSG_GETTABLE),
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
        NFPROTO_UNSPEC,
        0,
        &Attrs::new(),
    )
}

pub fn dump_rules(table: &str, seq: u32) -> Vec<u8> {
    let mut a = Attrs::new();
    a.str(NFTA_RULE_TABLE, table);
    message(
        nft_type(NFT_MSG_GETRULE),
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
        NFPROTO_INET,
        0,
        &a,
    )
}

/// The name in a NEWTABLE message payload (after `nfgenmsg`).
pub fn table_name(payload: &[u8]) -> Option<(u8, String)> {
    let family = *payload.first()?;
    let attrs = parse_attrs(payload.get(4..)?);
    let name = attrs.into_iter().find(|(k, _)| *k == NFTA_TABLE_NAME)?.1;
    Some((
        family,
        String::from_utf8_lossy(name)
            .trim_end_matches('\0')
            .to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replace_is_one_batch_framed_by_begin_and_end() {
        let t = Table {
            name: "nslab-t".into(),
            chains: vec![Chain {
                name: "postrouting".into(),
                hook: Hook::Postrouting,
                kind: ChainType::Nat,
                priority: 100,
                rules: vec![],
            }],
        };
        let b = replace_batch(&t, 100);
        let msgs = parse_messages(&b.bytes);
        let kinds: Vec<u16> = msgs.iter().map(|m| m.0).collect();
        assert_eq!(kinds, [0x10, 0x0a00, 0x0a02, 0x0a00, 0x0a03, 0x11]);
        // BATCH_BEGIN: AF_UNSPEC, res_id = NFNL_SUBSYS_NFTABLES (big-endian).
        assert_eq!(msgs[0].3, &[0, 0, 0, 10]);
        // Sequence numbers count up; every command asks for an ACK.
        assert_eq!(
            msgs.iter().map(|m| m.2).collect::<Vec<_>>(),
            [100, 101, 102, 103, 104, 105]
        );
        assert!(msgs[1..5].iter().all(|m| m.1 & NLM_F_ACK != 0));
        assert_eq!(b.parts.len(), 4);
        // The chain: hook 4 (postrouting), priority 100, both big-endian.
        let chain = parse_attrs(&msgs[4].3[4..]);
        let hook = chain
            .iter()
            .find(|(k, _)| *k == NFTA_CHAIN_HOOK)
            .expect("hook")
            .1;
        assert_eq!(
            parse_attrs(hook),
            [(1, &[0, 0, 0, 4][..]), (2, &[0, 0, 0, 100][..])]
        );
        let ty = chain
            .iter()
            .find(|(k, _)| *k == NFTA_CHAIN_TYPE)
            .expect("type")
            .1;
        assert_eq!(ty, b"nat\0");
    }

    #[test]
    fn a_negative_priority_is_twos_complement_big_endian() {
        let t = Table {
            name: "x".into(),
            chains: vec![Chain {
                name: "prerouting".into(),
                hook: Hook::Prerouting,
                kind: ChainType::Nat,
                priority: -100,
                rules: vec![],
            }],
        };
        let b = replace_batch(&t, 1);
        let msgs = parse_messages(&b.bytes);
        let chain = parse_attrs(&msgs[4].3[4..]);
        let hook = chain
            .iter()
            .find(|(k, _)| *k == NFTA_CHAIN_HOOK)
            .expect("hook")
            .1;
        assert_eq!(parse_attrs(hook)[1].1, &(-100i32).to_be_bytes());
    }
}
