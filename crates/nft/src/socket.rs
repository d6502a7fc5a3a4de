//! A NETLINK_NETFILTER socket: sends batches and collects their ACKs, and
//! lists tables, chains and rules with dumps.
//!
//! nfnetlink processes a batch inside `sendmsg`, so when `send` returns
//! every ACK and error is already queued on the socket: they are drained
//! without blocking, as nft does. Errors carry the kernel's extended ACK
//! (`NETLINK_EXT_ACK`); requests are not echoed back (`NETLINK_CAP_ACK`).

use std::io;

use netlink_sys::{protocols::NETLINK_NETFILTER, SocketAddr};

use crate::batch::{encode_delete_batch, encode_replace_batch, Batch};
use crate::error::{Error, Rejection};
use crate::model::Table;
use crate::read::{self, ReadChain, ReadTable};
use crate::uapi::*;
use crate::wire::{messages, Msg, MsgWriter};

mod opts;
mod reply;
use opts::{set_buf, set_rcvtimeo, Buf};
use reply::{find_str, parse_error};

/// Receive buffer: room for the ACKs of a large batch (each ACK is its own
/// datagram, about 1 KiB of accounted memory).
const RCVBUF: usize = 4 << 20;
/// Send buffer; grown for batches larger than this.
const SNDBUF: usize = 1 << 20;
const RECV_LEN: usize = 256 << 10;

/// A table as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTable {
    /// `NFPROTO_*`: 1 inet, 2 ip, 10 ip6, 3 arp, 7 bridge, 5 netdev.
    pub family: u8,
    pub name: String,
}

pub struct Socket {
    sock: netlink_sys::Socket,
    seq: u32,
    /// The send buffer size asked for: a batch is one datagram.
    sndbuf: usize,
    buf: Vec<u8>,
}

impl Socket {
    /// A socket in the calling thread's network namespace.
    pub fn open() -> Result<Self, Error> {
        let mut sock = netlink_sys::Socket::new(NETLINK_NETFILTER).map_err(Error::Open)?;
        sock.bind_auto().map_err(Error::Open)?;
        sock.set_ext_ack(true).map_err(Error::Open)?;
        sock.set_cap_ack(true).map_err(Error::Open)?;
        set_buf(&sock, Buf::Rcv, RCVBUF);
        set_buf(&sock, Buf::Snd, SNDBUF);
        set_rcvtimeo(&sock, 10).map_err(Error::Open)?;
        Ok(Socket {
            sock,
            seq: 1,
            sndbuf: SNDBUF,
            buf: Vec::with_capacity(RECV_LEN),
        })
    }

    /// Sequence numbers for a batch of `n` messages, begin and end included.
    fn take_seq(&mut self, n: usize) -> u32 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(n as u32 + 2);
        s
    }

    /// Makes the `inet` table `table.name` hold exactly `table`.
    pub fn replace(&mut self, table: &Table) -> Result<(), Error> {
        let n = 3 + table
            .chains
            .iter()
            .map(|c| 1 + c.rules.len())
            .sum::<usize>();
        let batch = encode_replace_batch(table, self.take_seq(n))?;
        self.apply(&batch)
    }

    /// Deletes the `inet` table `name`; a missing table is not an error.
    pub fn delete(&mut self, name: &str) -> Result<(), Error> {
        let batch = encode_delete_batch(name, self.take_seq(2))?;
        self.apply(&batch)
    }

    /// Sends `batch` and waits for the kernel's answer to each message.
    /// The kernel applies all of it or none; on refusal the error names the
    /// first refused message.
    pub fn apply(&mut self, batch: &Batch) -> Result<(), Error> {
        let kernel = SocketAddr::new(0, 0);
        // A netlink datagram may not exceed the send buffer (EMSGSIZE).
        if batch.as_bytes().len() + 1024 > self.sndbuf {
            self.sndbuf = 2 * batch.as_bytes().len() + 1024;
            set_buf(&self.sock, Buf::Snd, self.sndbuf);
        }
        self.sock
            .send_to(batch.as_bytes(), &kernel, 0)
            .map_err(|source| Error::Io { op: "send", source })?;
        let mut acked = vec![false; batch.messages().len()];
        let mut refused: Vec<Rejection> = Vec::new();
        let first = batch.messages().first().map_or(0, |m| m.seq);
        loop {
            self.buf.clear();
            match self.sock.recv(&mut self.buf, libc::MSG_DONTWAIT) {
                Ok(n) if n > self.buf.len() => return Err(Error::Malformed("reply truncated")),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(source) => {
                    return Err(Error::Io {
                        op: "receive ACKs",
                        source,
                    })
                }
            }
            for m in messages(&self.buf).map_err(Error::Malformed)? {
                if m.ty != NLMSG_ERROR {
                    continue;
                }
                let (errno, message, bad_attr_offset) = parse_error(&m)?;
                // Sequence numbers may wrap past u32::MAX within a batch.
                if let Some(a) = acked.get_mut(m.seq.wrapping_sub(first) as usize) {
                    *a = true;
                }
                if errno != 0 {
                    if let Some(bm) = batch.message(m.seq) {
                        refused.push(Rejection {
                            seq: m.seq,
                            kind: bm.kind,
                            what: bm.what,
                            errno,
                            message,
                            bad_attr_offset,
                            later: Vec::new(),
                        });
                    }
                }
            }
        }
        if !refused.is_empty() {
            refused.sort_by_key(|r| r.seq.wrapping_sub(first));
            let mut first = refused.remove(0);
            first.later = refused.iter().map(|r| (r.seq, r.kind, r.errno)).collect();
            return Err(Error::Rejected(Box::new(first)));
        }
        if let Some(i) = acked.iter().position(|a| !a) {
            let m = &batch.messages()[i];
            return Err(Error::NoAck {
                seq: m.seq,
                what: m.what.clone(),
            });
        }
        Ok(())
    }

    /// Every table of every family in this namespace.
    pub fn list_tables(&mut self) -> Result<Vec<ListedTable>, Error> {
        self.dump("GETTABLE", NFT_MSG_GETTABLE, NFPROTO_UNSPEC, None, |m| {
            let family = m.payload.first().copied().unwrap_or(0);
            find_str(m, NFTA_TABLE_NAME).map(|name| ListedTable { family, name })
        })
    }

    /// Whether the `inet` table `name` exists.
    pub fn table_exists(&mut self, name: &str) -> Result<bool, Error> {
        let tables = self.list_tables()?;
        Ok(tables
            .iter()
            .any(|t| t.family == NFPROTO_INET && t.name == name))
    }

    /// Names of the chains of the `inet` table `table`, in kernel order.
    pub fn list_chains(&mut self, table: &str) -> Result<Vec<String>, Error> {
        let filter = (NFTA_CHAIN_TABLE, table);
        self.dump(
            "GETCHAIN",
            NFT_MSG_GETCHAIN,
            NFPROTO_INET,
            Some(filter),
            |m| {
                (find_str(m, NFTA_CHAIN_TABLE)? == table)
                    .then(|| find_str(m, NFTA_CHAIN_NAME))
                    .flatten()
            },
        )
    }

    /// How many rules the `inet` table `table` holds (0 if it is missing).
    pub fn rule_count(&mut self, table: &str) -> Result<usize, Error> {
        let filter = (NFTA_RULE_TABLE, table);
        let rules = self.dump(
            "GETRULE",
            NFT_MSG_GETRULE,
            NFPROTO_INET,
            Some(filter),
            |m| (find_str(m, NFTA_RULE_TABLE)? == table).then_some(()),
        )?;
        Ok(rules.len())
    }

    /// The `inet` table `name` as the kernel holds it: its comment, its
    /// chains and its rules decoded (`None` when there is no such table).
    pub fn read_table(&mut self, name: &str) -> Result<Option<ReadTable>, Error> {
        let tables = self.dump("GETTABLE", NFT_MSG_GETTABLE, NFPROTO_INET, None, |m| {
            let body = m.payload.get(4..)?;
            (find_str(m, NFTA_TABLE_NAME)? == name).then(|| read::table_udata(body))
        })?;
        let Some(udata) = tables.into_iter().next() else {
            return Ok(None);
        };
        let filter = (NFTA_CHAIN_TABLE, name);
        let mut chains = self.dump(
            "GETCHAIN",
            NFT_MSG_GETCHAIN,
            NFPROTO_INET,
            Some(filter),
            |m| {
                (find_str(m, NFTA_CHAIN_TABLE)? == name)
                    .then(|| read::chain_of(m.payload.get(4..)?))
                    .flatten()
            },
        )?;
        let filter = (NFTA_RULE_TABLE, name);
        let rules = self.dump(
            "GETRULE",
            NFT_MSG_GETRULE,
            NFPROTO_INET,
            Some(filter),
            |m| {
                let body = m.payload.get(4..)?;
                (find_str(m, NFTA_RULE_TABLE)? == name).then(|| read::rule_of(body))
            },
        )?;
        for (chain, rule) in rules {
            // A rule of a chain the chain dump missed (created in between)
            // still counts, as a rule nslab did not write.
            match chains.iter_mut().find(|c| Some(&c.name) == chain.as_ref()) {
                Some(c) => c.rules.push(rule),
                None => chains.push(ReadChain {
                    name: chain.unwrap_or_default(),
                    hook: None,
                    kind: None,
                    priority: 0,
                    rules: vec![None],
                }),
            }
        }
        Ok(Some(ReadTable {
            name: name.to_string(),
            comment: udata.as_deref().and_then(read::comment_of),
            chains,
        }))
    }

    /// One dump request; `pick` turns each reply message into an item.
    /// Retried when the rule set changed during the dump (`NLM_F_DUMP_INTR`).
    fn dump<T>(
        &mut self,
        request: &'static str,
        msg: u16,
        family: u8,
        filter: Option<(u16, &str)>,
        pick: impl Fn(&Msg<'_>) -> Option<T>,
    ) -> Result<Vec<T>, Error> {
        'retry: for _ in 0..5 {
            let seq = self.take_seq(0);
            let mut req = Vec::new();
            let mut w = MsgWriter::begin(
                &mut req,
                nft_type(msg),
                NLM_F_REQUEST | NLM_F_DUMP,
                seq,
                family,
                0,
            );
            if let Some((attr, value)) = filter {
                w.put_strz(attr, value);
            }
            w.finish();
            self.sock
                .send_to(&req, &SocketAddr::new(0, 0), 0)
                .map_err(|source| Error::Io {
                    op: "send dump request",
                    source,
                })?;
            let mut out = Vec::new();
            loop {
                self.buf.clear();
                let n = self
                    .sock
                    .recv(&mut self.buf, 0)
                    .map_err(|source| Error::Io {
                        op: "receive dump",
                        source,
                    })?;
                if n > self.buf.len() {
                    return Err(Error::Malformed("dump reply truncated"));
                }
                for m in messages(&self.buf).map_err(Error::Malformed)? {
                    if m.seq != seq {
                        continue;
                    }
                    if m.flags & NLM_F_DUMP_INTR != 0 {
                        self.drain(seq)?;
                        continue 'retry;
                    }
                    match m.ty {
                        NLMSG_DONE => return Ok(out),
                        NLMSG_ERROR => {
                            let (errno, _, _) = parse_error(&m)?;
                            return Err(Error::Dump { request, errno });
                        }
                        _ => out.extend(pick(&m)),
                    }
                }
            }
        }
        Err(Error::Dump {
            request,
            errno: libc::EINTR,
        })
    }

    /// Reads the rest of an interrupted dump.
    fn drain(&mut self, seq: u32) -> Result<(), Error> {
        loop {
            self.buf.clear();
            self.sock
                .recv(&mut self.buf, 0)
                .map_err(|source| Error::Io {
                    op: "receive dump",
                    source,
                })?;
            let msgs = messages(&self.buf).map_err(Error::Malformed)?;
            if msgs
                .iter()
                .any(|m| m.seq == seq && (m.ty == NLMSG_DONE || m.ty == NLMSG_ERROR))
            {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
#[path = "socket_tests.rs"]
mod tests;
