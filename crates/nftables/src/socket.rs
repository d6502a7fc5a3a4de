//! A netfilter netlink socket in the namespace of the thread that opens
//! it: sends batches and collects one ACK (or error) per message.

use crate::table::{
    delete_batch, dump_rules, dump_tables, replace_batch, table_name, Batch, Table,
};
use crate::wire::*;
use netlink_sys::{protocols::NETLINK_NETFILTER, Socket as NlSocket, SocketAddr};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::collections::BTreeMap;
use std::os::fd::{AsFd, BorrowedFd};

/// A failed transaction, in the kernel's words.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("netfilter socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("`{what}` failed: {text}")]
    Kernel {
        what: String,
        errno: i32,
        text: String,
    },
    #[error("no answer from the kernel to `{0}`")]
    NoAnswer(String),
}

/// How long to wait for the kernel before giving up on an answer.
const WAIT_MS: u16 = 5000;

pub struct Socket {
    sock: NlSocket,
    seq: u32,
}

fn errno_text(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno).to_string()
}

/// The errno and extended-ack text of an `NLMSG_ERROR` payload.
fn parse_error(flags: u16, payload: &[u8]) -> Option<(i32, Option<String>)> {
    let err = i32::from_ne_bytes(payload.get(0..4)?.try_into().ok()?);
    let mut rest = payload.get(4..)?;
    if flags & NLM_F_ACK_TLVS == 0 {
        return Some((-err, None));
    }
    // The echoed request: its header only when capped, else all of it.
    let orig_len = u32::from_ne_bytes(rest.get(0..4)?.try_into().ok()?) as usize;
    let skip = if flags & NLM_F_CAPPED != 0 {
        16
    } else {
        (orig_len + 3) & !3
    };
    rest = rest.get(skip.min(rest.len())..)?;
    let msg = parse_attrs(rest)
        .into_iter()
        .find(|(k, _)| *k == NLMSGERR_ATTR_MSG)
        .map(|(_, v)| {
            String::from_utf8_lossy(v)
                .trim_end_matches('\0')
                .to_string()
        });
    Some((-err, msg))
}

impl Socket {
    pub fn open() -> Result<Socket, Error> {
        let mut sock = NlSocket::new(NETLINK_NETFILTER)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        // Older kernels lack these; errors then carry only the errno.
        let _ = sock.set_ext_ack(true);
        let _ = sock.set_cap_ack(true);
        Ok(Socket { sock, seq: 1 })
    }

    fn wait(&self) -> Result<bool, Error> {
        let fd: BorrowedFd<'_> = self.sock.as_fd();
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        let n = poll(&mut fds, PollTimeout::from(WAIT_MS)).map_err(std::io::Error::from)?;
        Ok(n > 0)
    }

    fn recv(&self) -> Result<Vec<u8>, Error> {
        let mut buf = vec![0u8; 256 * 1024];
        let n = self.sock.recv(&mut &mut buf[..], 0)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Send a batch; every message's ACK must come back as success.
    pub fn apply(&mut self, batch: &Batch) -> Result<(), Error> {
        self.sock.send(&batch.bytes, 0)?;
        let mut pending: BTreeMap<u32, &str> =
            batch.parts.iter().map(|(s, w)| (*s, w.as_str())).collect();
        let mut first_error: Option<Error> = None;
        while !pending.is_empty() {
            if !self.wait()? {
                let what = pending
                    .values()
                    .next()
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                return Err(first_error.unwrap_or(Error::NoAnswer(what)));
            }
            for (kind, flags, seq, payload) in parse_messages(&self.recv()?) {
                if kind != NLMSG_ERROR {
                    continue;
                }
                let Some(what) = pending.remove(&seq) else {
                    continue;
                };
                if let Some((errno, text)) = parse_error(flags, payload) {
                    if errno != 0 && first_error.is_none() {
                        let text = match text {
                            Some(t) => format!("{} (kernel: \"{t}\")", errno_text(errno)),
                            None => errno_text(errno),
                        };
                        first_error = Some(Error::Kernel {
                            what: what.to_string(),
                            errno,
                            text,
                        });
                    }
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn next_seq(&mut self, n: u32) -> u32 {
        let s = self.seq;
        self.seq = self.seq.wrapping_add(n);
        s
    }

    /// Replace the table's contents in one transaction.
    pub fn replace(&mut self, table: &Table) -> Result<(), Error> {
        let seq = self.next_seq(4 + table.chains.len() as u32 + table.rule_count() as u32 + 2);
        self.apply(&replace_batch(table, seq))
    }

    /// Delete the table if it exists.
    pub fn delete(&mut self, name: &str) -> Result<(), Error> {
        let seq = self.next_seq(4);
        self.apply(&delete_batch(name, seq))
    }

    fn dump(&mut self, req: Vec<u8>, what: &str) -> Result<Vec<Vec<u8>>, Error> {
        self.sock.send(&req, 0)?;
        let mut out = Vec::new();
        loop {
            if !self.wait()? {
                return Err(Error::NoAnswer(what.to_string()));
            }
            for (kind, flags, _, payload) in parse_messages(&self.recv()?) {
                match kind {
                    NLMSG_DONE => return Ok(out),
                    NLMSG_ERROR => {
                        let (errno, text) = parse_error(flags, payload).unwrap_or((0, None));
                        if errno == 0 {
                            return Ok(out);
                        }
                        let text = text
                            .map(|t| format!("{} ({t})", errno_text(errno)))
                            .unwrap_or_else(|| errno_text(errno));
                        return Err(Error::Kernel {
                            what: what.to_string(),
                            errno,
                            text,
                        });
                    }
                    _ => out.push(payload.to_vec()),
                }
            }
        }
    }

    /// `(family, name)` of every table of this namespace.
    pub fn tables(&mut self) -> Result<Vec<(u8, String)>, Error> {
        let seq = self.next_seq(1);
        let msgs = self.dump(dump_tables(seq), "list tables")?;
        Ok(msgs.iter().filter_map(|p| table_name(p)).collect())
    }

    pub fn table_exists(&mut self, name: &str) -> Result<bool, Error> {
        Ok(self
            .tables()?
            .iter()
            .any(|(f, n)| *f == NFPROTO_INET && n == name))
    }

    /// How many rules the `inet` table holds.
    pub fn rule_count(&mut self, table: &str) -> Result<usize, Error> {
        let seq = self.next_seq(1);
        Ok(self.dump(dump_rules(table, seq), "list rules")?.len())
    }
}
