//! The kernel side of faults that are not plan operations: a partition's
//! drop rules as an nftables table of the lab's own in a node (marked
//! like the NAT table, so only the lab's table is ever replaced or
//! deleted).

use super::Linux;
use crate::host::{Cause, OpError};
use crate::plan::At;
use crate::state::Cidr;
use nslab_nft as nft;

/// What a node drops while partitioned: packets it sends to `to` and
/// packets it receives from `from` (host addresses, IPv4 and IPv6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drops {
    pub to: Vec<Cidr>,
    pub from: Vec<Cidr>,
}

impl Drops {
    pub fn is_empty(&self) -> bool {
        self.to.is_empty() && self.from.is_empty()
    }
}

/// The name of a lab's partition table in a node (`nslab-<lab>-partition`).
pub use nslab_types::names::partition_table as partition_table_name;

/// The table holding `drops`: a filter chain at `input` dropping by
/// source, one at `output` dropping by destination.
pub fn partition_table(name: &str, mark: &str, drops: &Drops) -> nft::Table {
    let rules = |nets: &[Cidr], m: fn(Cidr) -> nft::Match| -> Vec<nft::Rule> {
        nets.iter()
            .map(|c| nft::Rule {
                matches: vec![m(*c)],
                action: nft::Action::Drop,
            })
            .collect()
    };
    let chain = |name: &str, hook, rules| nft::Chain {
        name: name.to_string(),
        hook,
        kind: nft::ChainType::Filter,
        priority: 0,
        rules,
    };
    nft::Table {
        name: name.to_string(),
        comment: Some(mark.to_string()),
        chains: vec![
            chain(
                "input",
                nft::Hook::Input,
                rules(&drops.from, nft::Match::SrcNet),
            ),
            chain(
                "output",
                nft::Hook::Output,
                rules(&drops.to, nft::Match::DstNet),
            ),
        ],
    }
}

impl Linux {
    fn fault_err(at: &At, op: String, cause: impl Into<Cause>) -> OpError {
        OpError::at(op, &at.node, cause)
    }

    /// The node's nftables socket and its table `name` as the kernel
    /// holds it (`None`: no such table); a failure names `op`.
    fn read_partition(
        &mut self,
        at: &At,
        name: &str,
        op: &str,
    ) -> Result<(&mut nft::Socket, Option<nft::ReadTable>), OpError> {
        let sock = self
            .handle(at)
            .and_then(|h| h.nft())
            .map_err(|e| Self::fault_err(at, op.to_string(), e))?;
        let found = sock
            .read_table(name)
            .map_err(|e| Self::fault_err(at, op.to_string(), e))?;
        Ok((sock, found))
    }

    /// Replace the node's partition table with one holding `drops`, or
    /// delete it (`None`, or nothing to drop). A table of that name that
    /// does not carry the lab's mark is someone else's: refused.
    pub fn set_partition(&mut self, at: &At, drops: Option<&Drops>) -> Result<(), OpError> {
        let name = partition_table_name(self.lab());
        let mark = self.alias().to_string();
        let op = match drops {
            Some(d) if !d.is_empty() => format!("nft replace table inet {name}"),
            _ => format!("nft delete table inet {name}"),
        };
        let (sock, found) = self.read_partition(at, &name, &op)?;
        if let Some(t) = &found {
            if t.comment.as_deref() != Some(mark.as_str()) {
                return Err(Self::fault_err(
                    at,
                    op,
                    Cause::Refused(format!(
                        "table inet {name} is not the lab's (it lacks the mark {mark}); left alone"
                    )),
                ));
            }
        }
        let r = match drops {
            Some(d) if !d.is_empty() => sock.replace(&partition_table(&name, &mark, d)),
            _ if found.is_none() => return Ok(()),
            _ => sock.delete(&name),
        };
        r.map_err(|e| Self::fault_err(at, op, e))
    }

    /// The node's unresolved ARP and NDP entries deleted
    /// ([`nl::Socket::forget_unresolved`]).
    pub fn forget_unresolved(&mut self, at: &At) -> Result<(), OpError> {
        let op = "flush unresolved neighbours";
        self.handle(at)
            .and_then(|h| h.sock.forget_unresolved().map_err(Cause::from))
            .map(|_| ())
            .map_err(|e| Self::fault_err(at, op.to_string(), e))
    }

    /// The drops of the node's partition table as the kernel holds them
    /// (`None`: no table of the lab's), for `show`.
    pub fn partition_of(&mut self, at: &At) -> Result<Option<Drops>, OpError> {
        let name = partition_table_name(self.lab());
        let mark = self.alias().to_string();
        let op = format!("nft list table inet {name}");
        let (_, found) = self.read_partition(at, &name, &op)?;
        let Some(t) = found.filter(|t| t.comment.as_deref() == Some(mark.as_str())) else {
            return Ok(None);
        };
        let mut drops = Drops::default();
        for c in t.to_table().map(|t| t.chains).unwrap_or_default() {
            for r in c.rules {
                match r.matches.as_slice() {
                    [nft::Match::SrcNet(n)] => drops.from.push(*n),
                    [nft::Match::DstNet(n)] => drops.to.push(*n),
                    _ => {}
                }
            }
        }
        Ok(Some(drops))
    }
}
