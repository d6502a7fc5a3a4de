//! Dumps (`NLM_F_DUMP`): a request answered by many datagrams, run to
//! its end and retried when the kernel says it was interrupted.

use netlink_packet_core::NLM_F_DUMP_INTR;
use netlink_packet_route::RouteNetlinkMessage;

use super::Socket;
use crate::encode::{self, Dump, Message};
use crate::error::{Error, Op};
use crate::wire::{self, Kind};

/// Dumps interrupted by concurrent changes are retried this often.
const DUMP_ATTEMPTS: usize = 16;

impl Socket {
    /// Runs a dump to its end, retrying when the kernel flags it
    /// `NLM_F_DUMP_INTR` (the tables changed while dumping).
    pub(crate) fn dump(&mut self, what: Dump, op: Op) -> Result<Vec<RouteNetlinkMessage>, Error> {
        self.dump_message(&encode::dump_request(what), op)
    }

    /// [`Socket::dump`] of a request built elsewhere (`neigh`).
    pub(crate) fn dump_message(
        &mut self,
        req: &Message,
        op: Op,
    ) -> Result<Vec<RouteNetlinkMessage>, Error> {
        let r = self.dump_attempts(req, op);
        self.release();
        r
    }

    fn dump_attempts(&mut self, req: &Message, op: Op) -> Result<Vec<RouteNetlinkMessage>, Error> {
        for _ in 0..DUMP_ATTEMPTS {
            let seq = self.next_seq();
            let mut out = Vec::new();
            encode::serialize(&mut req.clone(), seq, &mut out);
            self.send(&out, op)?;
            let mut replies = Vec::new();
            let mut redo = false;
            let mut failed = None;
            'dump: loop {
                self.recv(op)?;
                for raw in wire::messages(&self.rbuf) {
                    if raw.seq != seq {
                        continue;
                    }
                    redo |= raw.flags & NLM_F_DUMP_INTR != 0;
                    match raw.kind() {
                        Kind::Done(status) => {
                            if let Err(e) = status.into_result(op) {
                                failed.get_or_insert(e);
                            }
                            break 'dump;
                        }
                        Kind::Ack(ack) => {
                            ack.into_result(op)?;
                            break 'dump;
                        }
                        Kind::Data(raw) if failed.is_none() && !redo => match raw.decode() {
                            Ok(msg) => replies.push(msg),
                            Err(e) => failed = Some(Error::decode(op, e)),
                        },
                        _ => {}
                    }
                }
            }
            if let Some(e) = failed {
                return Err(e);
            }
            if !redo {
                return Ok(replies);
            }
        }
        Err(Error::local(
            op,
            libc::EINTR,
            "dump kept being interrupted by changes",
        ))
    }
}
