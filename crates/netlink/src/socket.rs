//! The route socket: batched requests with ACK matching, dumps, and
//! single get requests.

use std::os::fd::{AsRawFd, BorrowedFd};

use netlink_packet_route::nsid::NsidAttribute;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, SocketAddr};
use nix::sys::socket::{setsockopt, sockopt};

use crate::decode;
use crate::encode::{self, Dump, Message};
use crate::error::{Error, Op};
use crate::mmsg::Datagrams;
use crate::types::{Address, Family, Link, Request, Route};
use crate::wire::{self, Kind};

mod dump;
mod netconf;

/// Bytes of requests packed into one `sendmsg`.
const SEND_CHUNK: usize = 32 * 1024;
/// Requests per `sendmsg`: each ACK is its own skb in our receive queue
/// (~1 KiB of truesize), and an ACK that does not fit is dropped.
const MAX_PER_CHUNK: usize = 256;
/// `SO_RCVBUF(FORCE)` we ask for.
const RCVBUF: libc::c_int = 1 << 20;
/// Initial receive buffer; dump datagrams are at most ~32 KiB
/// (`netlink_recvmsg` caps `max_recvmsg_len`), bigger ones grow it.
const RECV_BUF: usize = 64 * 1024;
const MAX_RECV_BUF: usize = 16 << 20;

/// A `NETLINK_ROUTE` socket, bound to the network namespace of the thread
/// that opened it, for as long as it lives.
pub struct Socket {
    sock: netlink_sys::Socket,
    seq: u32,
    rbuf: Vec<u8>,
    /// Peek at each datagram's size first (after one did not fit).
    peek: bool,
}

impl Socket {
    /// Opens a route socket in the network namespace of the calling
    /// thread. Turns on `NETLINK_EXT_ACK`, `NETLINK_CAP_ACK` and
    /// `NETLINK_GET_STRICT_CHK` where the kernel has them, and a 1 MiB
    /// receive buffer.
    pub fn open() -> Result<Socket, Error> {
        let io = |e: std::io::Error| Error::io(Op::Open, &e);
        let mut sock = netlink_sys::Socket::new(NETLINK_ROUTE).map_err(io)?;
        sock.bind_auto().map_err(io)?;
        sock.connect(&SocketAddr::new(0, 0)).map_err(io)?;
        // Optional features: old kernels lack them, which only costs us
        // the kernel's message text or error payload size.
        let _ = sock.set_ext_ack(true);
        let _ = sock.set_cap_ack(true);
        let _ = sock.set_netlink_get_strict_chk(true);
        set_rcvbuf(&sock);
        Ok(Socket {
            sock,
            seq: 0,
            rbuf: Vec::new(),
            peek: false,
        })
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn send(&self, bytes: &[u8], op: Op) -> Result<(), Error> {
        loop {
            match self.sock.send(bytes, 0) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(op, &e)),
            }
        }
    }

    /// Receives one datagram into `self.rbuf`. Once a datagram of the
    /// socket did not fit (a dump cannot lose one: its `NLMSG_DONE` may be
    /// in it), every later one is peeked at first and the buffer grown.
    /// Dump datagrams are at most ~32 KiB (`netlink_recvmsg` caps
    /// `max_recvmsg_len`) unless one message is bigger, so the peek (a
    /// second system call per datagram) is the exception.
    fn recv(&mut self, op: Op) -> Result<(), Error> {
        loop {
            if self.rbuf.capacity() < RECV_BUF {
                self.rbuf = Vec::with_capacity(RECV_BUF);
            }
            if self.peek {
                let mut probe: &mut [u8] = &mut [];
                match self.sock.recv(&mut probe, libc::MSG_PEEK | libc::MSG_TRUNC) {
                    Ok(n) if n > self.rbuf.capacity() => {
                        if n > MAX_RECV_BUF {
                            return Err(Error::local(op, libc::EMSGSIZE, "reply too large"));
                        }
                        self.rbuf = Vec::with_capacity(n.next_power_of_two());
                    }
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::io(op, &e)),
                }
            }
            self.rbuf.clear();
            let cap = self.rbuf.capacity();
            return match self.sock.recv(&mut self.rbuf, libc::MSG_TRUNC) {
                Ok(n) if n > cap => {
                    self.peek = true;
                    Err(Error::local(op, libc::EMSGSIZE, "reply was cut"))
                }
                Ok(_) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(Error::io(op, &e)),
            };
        }
    }

    /// Gives the receive buffer back between requests: a run holds a
    /// socket per namespace, thousands of them.
    fn release(&mut self) {
        self.rbuf = Vec::new();
    }

    /// Sends all requests, many per `sendmsg`, each with
    /// `NLM_F_REQUEST | NLM_F_ACK`, and returns one result per request,
    /// in order. A failed request does not stop the others. Requests that
    /// cannot be encoded fail with EINVAL without being sent. A new
    /// link's alias is set in a second round, only if the create worked:
    /// a `NewLink` whose error's [`Error::op`] is [`Op::SetLink`] made the
    /// link, and only its alias failed.
    pub fn execute(&mut self, reqs: &[Request]) -> Vec<Result<(), Error>> {
        let mut results: Vec<Result<(), Error>> = vec![Ok(()); reqs.len()];
        let mut primary = Vec::new();
        let mut after = Vec::new();
        for (i, req) in reqs.iter().enumerate() {
            match encode::messages(req) {
                Ok(msgs) => {
                    primary.extend(msgs.primary.into_iter().map(|m| (i, m)));
                    after.extend(msgs.after_success.into_iter().map(|m| (i, m)));
                }
                Err(e) => results[i] = Err(e),
            }
        }
        let ops: Vec<Op> = reqs.iter().map(encode::op_of).collect();
        self.send_all(primary, &ops, &mut results);
        after.retain(|(i, _)| results[*i].is_ok());
        let after_ops = vec![Op::SetLink; reqs.len()];
        self.send_all(after, &after_ops, &mut results);
        results
    }

    fn send_all(
        &mut self,
        msgs: Vec<(usize, Message)>,
        ops: &[Op],
        results: &mut [Result<(), Error>],
    ) {
        if msgs.is_empty() {
            return;
        }
        let mut dgrams = Datagrams::for_up_to(msgs.len());
        let mut msgs = msgs.into_iter().peekable();
        let mut out = Vec::with_capacity(SEND_CHUNK);
        let mut owners = Vec::with_capacity(MAX_PER_CHUNK);
        while msgs.peek().is_some() {
            out.clear();
            owners.clear();
            let base = self.seq.wrapping_add(1);
            while let Some((owner, msg)) = msgs.peek_mut() {
                let fits = out.len() + msg.buffer_len() <= SEND_CHUNK;
                if owners.len() == MAX_PER_CHUNK || (!owners.is_empty() && !fits) {
                    break;
                }
                let seq = self.next_seq();
                encode::serialize(msg, seq, &mut out);
                owners.push(*owner);
                msgs.next();
            }
            if let Err(e) = self.send(&out, Op::Open) {
                for &i in &owners {
                    set_err(results, i, e.clone().with_op(ops[i]));
                }
                continue;
            }
            self.collect_acks(&mut dgrams, base, &owners, ops, results);
        }
    }

    /// Reads until every message numbered `base..base + owners.len()` is
    /// acknowledged; the first error of a request is its result.
    fn collect_acks(
        &mut self,
        dgrams: &mut Datagrams,
        base: u32,
        owners: &[usize],
        ops: &[Op],
        results: &mut [Result<(), Error>],
    ) {
        let mut acked = vec![false; owners.len()];
        let mut pending = owners.len();
        while pending > 0 {
            let failure = match dgrams.recv(self.sock.as_raw_fd()) {
                Err(e) => Some(Error::io(Op::Open, &e)),
                Ok(()) if dgrams.truncated() => {
                    Some(Error::local(Op::Open, libc::EMSGSIZE, "an ACK was cut"))
                }
                Ok(()) => None,
            };
            if let Some(e) = failure {
                // Lost ACKs (ENOBUFS) cannot be recovered: fail the rest.
                for (slot, &i) in owners.iter().enumerate() {
                    if !acked[slot] {
                        set_err(results, i, e.clone().with_op(ops[i]));
                    }
                }
                return;
            }
            for raw in dgrams.iter().flat_map(wire::messages) {
                let slot = raw.seq.wrapping_sub(base) as usize;
                if slot >= owners.len() || acked[slot] {
                    continue; // a stale reply of an earlier call
                }
                let i = owners[slot];
                let result = match raw.kind() {
                    Kind::Ack(ack) => ack.into_result(ops[i]),
                    Kind::Malformed => Err(Error::decode(ops[i], "short NLMSG_ERROR")),
                    _ => continue, // NLM_F_ECHO-style data; the ACK follows
                };
                acked[slot] = true;
                pending -= 1;
                if let Err(e) = result {
                    set_err(results, i, e);
                }
            }
        }
    }

    /// Sends one non-dump request and returns the kernel's reply message
    /// (`None` if it only acknowledged).
    pub(crate) fn request(
        &mut self,
        mut msg: Message,
        op: Op,
    ) -> Result<Option<RouteNetlinkMessage>, Error> {
        let seq = self.next_seq();
        let mut out = Vec::new();
        encode::serialize(&mut msg, seq, &mut out);
        self.exchange(&out, seq, op, |kind| match kind {
            Kind::Ack(ack) | Kind::Done(ack) => Some(ack.into_result(op).map(|()| None)),
            Kind::Data(raw) => Some(raw.decode().map(Some).map_err(|e| Error::decode(op, e))),
            Kind::Ignore => None,
            Kind::Malformed => Some(Err(Error::decode(op, "short NLMSG_ERROR"))),
        })
    }

    /// Sends `bytes`, one request numbered `seq`, and hands each reply of
    /// that number to `answer` until it gives a result (`None`: read on).
    pub(crate) fn exchange<T>(
        &mut self,
        bytes: &[u8],
        seq: u32,
        op: Op,
        mut answer: impl FnMut(Kind<'_>) -> Option<Result<T, Error>>,
    ) -> Result<T, Error> {
        let r = self.send(bytes, op).and_then(|()| loop {
            self.recv(op)?;
            let mut replies = wire::messages(&self.rbuf).filter(|raw| raw.seq == seq);
            if let Some(r) = replies.find_map(|raw| answer(raw.kind())) {
                break r;
            }
        });
        self.release();
        r
    }

    /// All links of the namespace (`RTM_GETLINK` dump).
    pub fn links(&mut self) -> Result<Vec<Link>, Error> {
        let replies = self.dump(Dump::Links, Op::DumpLinks)?;
        Ok(replies
            .iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(decode::link(l)),
                _ => None,
            })
            .collect())
    }

    /// All IPv4 and IPv6 addresses (`RTM_GETADDR` dumps).
    pub fn addresses(&mut self) -> Result<Vec<Address>, Error> {
        let mut out = Vec::new();
        for family in [Family::V4, Family::V6] {
            for m in self.dump(Dump::Addresses(family), Op::DumpAddresses)? {
                if let RouteNetlinkMessage::NewAddress(a) = m {
                    out.extend(decode::address(&a));
                }
            }
        }
        Ok(out)
    }

    /// All IPv4 and IPv6 routes of all tables (`RTM_GETROUTE` dumps).
    pub fn routes(&mut self) -> Result<Vec<Route>, Error> {
        let mut out = Vec::new();
        for family in [Family::V4, Family::V6] {
            for m in self.dump(Dump::Routes(family), Op::DumpRoutes)? {
                if let RouteNetlinkMessage::NewRoute(r) = m {
                    out.extend(decode::route(&r));
                }
            }
        }
        Ok(out)
    }

    /// The link called `name`, if there is one.
    pub fn link_by_name(&mut self, name: &str) -> Result<Option<Link>, Error> {
        match self.request(encode::get_link_request(name), Op::GetLink) {
            Ok(Some(RouteNetlinkMessage::NewLink(l))) => Ok(Some(decode::link(&l))),
            Ok(_) => Ok(None),
            Err(e) if e.errno() == libc::ENODEV => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `RTM_GETNSID`: the id this socket's namespace knows the namespace
    /// `ns` by (what `IFLA_LINK_NETNSID` refers to); `None` if unassigned.
    pub fn nsid_of(&mut self, ns: BorrowedFd) -> Result<Option<i32>, Error> {
        let reply = self.request(encode::get_nsid_request(ns.as_raw_fd()), Op::GetNsid)?;
        let Some(RouteNetlinkMessage::NewNsId(msg)) = reply else {
            return Err(Error::decode(Op::GetNsid, "no RTM_NEWNSID reply"));
        };
        let id = msg.attributes.iter().find_map(|a| match a {
            NsidAttribute::Id(id) => Some(*id),
            _ => None,
        });
        // NETNSA_NSID_NOT_ASSIGNED is -1.
        Ok(id.filter(|id| *id >= 0))
    }
}

fn set_err(results: &mut [Result<(), Error>], i: usize, e: Error) {
    if results[i].is_ok() {
        results[i] = Err(e);
    }
}

/// Asks for a 1 MiB receive buffer: `SO_RCVBUFFORCE` (root) bypasses
/// `net.core.rmem_max`; otherwise `SO_RCVBUF` gets what the limit allows.
fn set_rcvbuf(sock: &netlink_sys::Socket) {
    let value = RCVBUF;
    if setsockopt(sock, sockopt::RcvBufForce, &(value as usize)).is_err() {
        let _ = sock.set_rx_buf_sz(value);
    }
}
