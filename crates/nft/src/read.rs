//! Tables read back from the kernel: the dump replies of a table, its
//! chains and its rules decoded into the [`crate::model`], so that a rule
//! edited, added or deleted by hand shows as a difference from the table
//! nslab wants.
//!
//! A rule decodes to a [`Rule`] only when its expressions are exactly the
//! ones [`crate::expr::lower`] writes for that rule (checked by lowering
//! the decoded rule again); anything else — another expression, another
//! register, extra attributes — is `None`, a rule no table of nslab's has.

mod decode;
mod raise;

use decode::be32;
pub(crate) use decode::decode_expr;
pub(crate) use raise::raise;

use crate::model::{Chain, ChainType, Hook, Rule, Table};
use crate::uapi::*;
use crate::wire::{attrs, strz};

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
                                Hook::ALL
                                    .into_iter()
                                    .find(|h| crate::model::hook_number(*h) == n)
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

impl ReadTable {
    /// The table `batch` leaves in a kernel that held none, read back as
    /// [`crate::Socket::read_table`] reads it: the same decoders over the
    /// messages the kernel would store. A fake kernel for tests that hold
    /// the encoder and the reader to each other without one; `None` when
    /// the batch leaves no table.
    pub fn from_batch(batch: &crate::Batch) -> Option<ReadTable> {
        let mut table: Option<ReadTable> = None;
        for m in crate::wire::messages(batch.as_bytes()).ok()? {
            let (subsys, ty) = (m.ty >> 8, m.ty & 0xff);
            let Some(body) = m.payload.get(4..) else {
                continue;
            };
            if subsys != NFNL_SUBSYS_NFTABLES {
                continue;
            }
            match ty {
                NFT_MSG_NEWTABLE => {
                    let name = attrs(body)
                        .into_iter()
                        .find(|(t, _)| *t == NFTA_TABLE_NAME)
                        .map(|(_, p)| strz(p))?;
                    let comment = table_udata(body).as_deref().and_then(comment_of);
                    let t = table.get_or_insert_with(|| ReadTable {
                        name,
                        comment: None,
                        chains: Vec::new(),
                    });
                    t.comment = comment.or(t.comment.take());
                }
                NFT_MSG_DELTABLE => table = None,
                NFT_MSG_NEWCHAIN => table.as_mut()?.chains.push(chain_of(body)?),
                NFT_MSG_NEWRULE => {
                    let (chain, rule) = rule_of(body);
                    let t = table.as_mut()?;
                    let c = t
                        .chains
                        .iter_mut()
                        .find(|c| Some(&c.name) == chain.as_ref())?;
                    c.rules.push(rule);
                }
                _ => {}
            }
        }
        table
    }
}
