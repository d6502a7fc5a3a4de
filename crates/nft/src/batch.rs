//! Transactions: messages framed by `NFNL_MSG_BATCH_BEGIN` and
//! `NFNL_MSG_BATCH_END`, which the kernel applies all or nothing.
//!
//! Replacing a table is `NEWTABLE` (create if missing, so the delete that
//! follows cannot fail), `DELTABLE`, `NEWTABLE`, then its chains and rules:
//! between the old contents and the new one no packet sees an empty or
//! half-built table, and a rejected message leaves the old table as it was.

use std::fmt;

use crate::expr;
use crate::model::{Chain, Rule, Table};
use crate::uapi::*;
use crate::validate::{check, InvalidTable};
use crate::wire::MsgWriter;

/// What one message of a batch does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgKind {
    NewTable,
    DelTable,
    NewChain,
    NewRule,
    /// `NFNL_MSG_BATCH_BEGIN` or `NFNL_MSG_BATCH_END`.
    Framing,
}

/// One message of a batch: its sequence number and what it is about, so
/// that a kernel error (which names only the sequence number) can say
/// which table, chain or rule it refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchMsg {
    pub seq: u32,
    pub kind: MsgKind,
    /// `table inet nslab-demo`, `chain prerouting`,
    /// `rule 2 of chain prerouting: tcp dport 8080 dnat ...`.
    pub what: String,
}

/// An encoded transaction, ready for [`crate::Socket::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    bytes: Vec<u8>,
    msgs: Vec<BatchMsg>,
}

impl Batch {
    /// The datagram to send: begin, messages, end.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The messages between begin and end, each acknowledged by the kernel.
    pub fn messages(&self) -> &[BatchMsg] {
        &self.msgs
    }

    /// The message with sequence number `seq`; the begin and end framing
    /// messages are reported as [`MsgKind::Framing`].
    pub fn message(&self, seq: u32) -> Option<BatchMsg> {
        if let Some(m) = self.msgs.iter().find(|m| m.seq == seq) {
            return Some(m.clone());
        }
        let begin = self.first_seq().wrapping_sub(1);
        (seq == begin || seq == self.next_seq()).then(|| BatchMsg {
            seq,
            kind: MsgKind::Framing,
            what: "the batch framing".to_string(),
        })
    }

    fn new(seq_start: u32) -> Self {
        let mut bytes = Vec::new();
        control(&mut bytes, NFNL_MSG_BATCH_BEGIN, seq_start);
        Batch {
            bytes,
            msgs: Vec::new(),
        }
    }

    fn next_seq(&self) -> u32 {
        // begin took seq_start; messages follow it.
        self.first_seq().wrapping_add(self.msgs.len() as u32)
    }

    fn first_seq(&self) -> u32 {
        crate::wire::u32_at(&self.bytes, 8).wrapping_add(1)
    }

    /// Appends one nf_tables message with `NLM_F_REQUEST | NLM_F_ACK`.
    fn push(
        &mut self,
        kind: MsgKind,
        (msg, extra): (u16, u16),
        what: String,
        body: impl FnOnce(&mut MsgWriter<'_>),
    ) {
        let seq = self.next_seq();
        let mut w = MsgWriter::begin(
            &mut self.bytes,
            nft_type(msg),
            NLM_F_REQUEST | NLM_F_ACK | extra,
            seq,
            NFPROTO_INET,
            0,
        );
        body(&mut w);
        w.finish();
        self.msgs.push(BatchMsg { seq, kind, what });
    }

    fn finish(mut self) -> Self {
        let seq = self.next_seq();
        control(&mut self.bytes, NFNL_MSG_BATCH_END, seq);
        self
    }

    fn table(&mut self, kind: MsgKind, name: &str, comment: Option<&str>) {
        let wire = match kind {
            MsgKind::DelTable => (NFT_MSG_DELTABLE, 0),
            _ => (NFT_MSG_NEWTABLE, NLM_F_CREATE),
        };
        self.push(kind, wire, format!("table inet {name}"), |w| {
            w.put_strz(NFTA_TABLE_NAME, name);
            if let Some(c) = comment {
                w.put(NFTA_TABLE_USERDATA, &comment_udata(c));
            }
        });
    }

    fn chain(&mut self, table: &str, c: &Chain) {
        self.push(
            MsgKind::NewChain,
            (NFT_MSG_NEWCHAIN, NLM_F_CREATE),
            format!("chain {}", c.name),
            |w| {
                w.put_strz(NFTA_CHAIN_TABLE, table);
                w.put_strz(NFTA_CHAIN_NAME, &c.name);
                let hook = w.begin_nest(NFTA_CHAIN_HOOK);
                w.put_be32(NFTA_HOOK_HOOKNUM, crate::model::hook_number(c.hook));
                // The priority is a signed 32-bit number sent as __be32.
                w.put_be32(NFTA_HOOK_PRIORITY, c.priority as u32);
                w.end_nest(hook);
                w.put_strz(NFTA_CHAIN_TYPE, c.kind.name());
            },
        );
    }

    fn rule(&mut self, table: &str, chain: &str, index: usize, r: &Rule) {
        let what = format!("rule {} of chain {chain}: {r}", index + 1);
        // APPEND: without it NEWRULE inserts at the head of the chain.
        let wire = (NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
        self.push(MsgKind::NewRule, wire, what, |w| {
            w.put_strz(NFTA_RULE_TABLE, table);
            w.put_strz(NFTA_RULE_CHAIN, chain);
            let list = w.begin_nest(NFTA_RULE_EXPRESSIONS);
            for e in expr::lower(r) {
                expr::write(w, &e);
            }
            w.end_nest(list);
        });
    }
}

/// A comment as nft stores it in a table's user data: one TLV
/// (`NFTNL_UDATA_TABLE_COMMENT`, length, the text and its NUL).
pub(crate) fn comment_udata(c: &str) -> Vec<u8> {
    let mut b = vec![NFTNL_UDATA_TABLE_COMMENT, (c.len() + 1) as u8];
    b.extend_from_slice(c.as_bytes());
    b.push(0);
    b
}

/// `NFNL_MSG_BATCH_BEGIN`/`END`: no ACK asked (as nft does), family
/// `AF_UNSPEC`, `res_id` = `NFNL_SUBSYS_NFTABLES` (big-endian), which tells
/// nfnetlink which subsystem the batch is for.
fn control(out: &mut Vec<u8>, ty: u16, seq: u32) {
    MsgWriter::begin(
        out,
        ty,
        NLM_F_REQUEST,
        seq,
        NFPROTO_UNSPEC,
        NFNL_SUBSYS_NFTABLES,
    )
    .finish();
}

/// One transaction that makes the kernel's `inet` table `table.name` hold
/// exactly `table`, creating it if missing. Sequence numbers start at
/// `seq_start` (the begin message) and go up by one per message.
pub fn encode_replace_batch(table: &Table, seq_start: u32) -> Result<Batch, InvalidTable> {
    check(table)?;
    let mut b = Batch::new(seq_start);
    b.table(MsgKind::NewTable, &table.name, None);
    b.table(MsgKind::DelTable, &table.name, None);
    b.table(MsgKind::NewTable, &table.name, table.comment.as_deref());
    for c in &table.chains {
        b.chain(&table.name, c);
    }
    for c in &table.chains {
        for (i, r) in c.rules.iter().enumerate() {
            b.rule(&table.name, &c.name, i, r);
        }
    }
    Ok(b.finish())
}

/// One transaction that deletes the `inet` table `name` with everything in
/// it; a missing table is not an error (it is created, then deleted).
pub fn encode_delete_batch(name: &str, seq_start: u32) -> Result<Batch, InvalidTable> {
    check(&Table {
        name: name.to_string(),
        comment: None,
        chains: Vec::new(),
    })?;
    let mut b = Batch::new(seq_start);
    b.table(MsgKind::NewTable, name, None);
    b.table(MsgKind::DelTable, name, None);
    Ok(b.finish())
}

impl fmt::Display for MsgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MsgKind::NewTable => "NFT_MSG_NEWTABLE",
            MsgKind::DelTable => "NFT_MSG_DELTABLE",
            MsgKind::NewChain => "NFT_MSG_NEWCHAIN",
            MsgKind::NewRule => "NFT_MSG_NEWRULE",
            MsgKind::Framing => "NFNL_MSG_BATCH_BEGIN/END",
        })
    }
}
