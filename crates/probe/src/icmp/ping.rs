//! Sending echo requests and collecting replies and ICMP errors.

use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    recvfrom, sendto, socket, AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType,
    SockaddrStorage,
};

pub use super::stats::{PingFailure, PingStats};
use super::wire::{echo_request, parse_v4, parse_v6, Incoming};
use crate::error::os_text;
use crate::netns::in_netns;
use crate::Error;

/// Sends `count` echo requests to `dst` from namespace `ns`, `interval`
/// apart, and waits up to `timeout` after the last one for the replies
/// still missing. Returns early once every request has an answer.
///
/// Send errors and ICMP errors are part of the result, not an `Err`; `Err`
/// means the namespace or socket could not be set up.
pub fn icmp_echo(
    ns: BorrowedFd<'_>,
    dst: IpAddr,
    count: u32,
    interval: Duration,
    timeout: Duration,
) -> Result<PingStats, Error> {
    let sock = in_netns(ns, || open_socket(dst)).map_err(Error::netns)??;
    run(&sock, dst, count, interval, timeout)
}

/// [`icmp_echo`] in the calling thread's namespace.
pub fn icmp_echo_here(
    dst: IpAddr,
    count: u32,
    interval: Duration,
    timeout: Duration,
) -> Result<PingStats, Error> {
    let sock = open_socket(dst)?;
    run(&sock, dst, count, interval, timeout)
}

fn open_socket(dst: IpAddr) -> Result<OwnedFd, Error> {
    let (family, proto, what) = match dst {
        IpAddr::V4(_) => (AddressFamily::Inet, SockProtocol::Icmp, "raw ICMP socket"),
        IpAddr::V6(_) => (
            AddressFamily::Inet6,
            SockProtocol::IcmpV6,
            "raw ICMPv6 socket",
        ),
    };
    let flags = SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK;
    socket(family, SockType::Raw, flags, proto).map_err(|e| Error::socket(what)(e.into()))
}

/// Identifiers for concurrent pings in one process: a raw socket sees
/// every echo reply in its namespace.
static NEXT_IDENT: AtomicU16 = AtomicU16::new(0);

fn new_ident_and_token() -> (u16, [u8; 8]) {
    let n = NEXT_IDENT.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let ident = (pid as u16) ^ n.wrapping_mul(0x9e37);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let token = nanos ^ (u64::from(pid) << 32) ^ u64::from(n);
    (ident, token.to_be_bytes())
}

/// Payload: the token, then a fixed pattern (like ping's 56 bytes).
fn payload(token: [u8; 8]) -> Vec<u8> {
    let mut p = token.to_vec();
    p.extend((0u8..48).map(|i| i.wrapping_add(0x10)));
    p
}

struct Run {
    dst: IpAddr,
    ident: u16,
    payload: Vec<u8>,
    sent_at: Vec<Instant>,
    answered: Vec<bool>,
    stats: PingStats,
}

impl Run {
    fn index(&self, seq: u16) -> Option<usize> {
        let i = usize::from(seq).checked_sub(1)?;
        (i < self.sent_at.len()).then_some(i)
    }

    fn all_answered(&self) -> bool {
        self.answered.iter().all(|&a| a)
    }

    fn handle(&mut self, msg: Incoming<'_>, now: Instant) {
        match msg {
            Incoming::EchoReply {
                from,
                ident,
                seq,
                payload,
            } if from == self.dst
                && ident == self.ident
                && payload.starts_with(&self.payload[..8]) =>
            {
                let Some(i) = self.index(seq) else { return };
                if self.answered[i] {
                    return; // duplicate
                }
                self.answered[i] = true;
                self.stats.received += 1;
                self.stats
                    .rtts
                    .push(now.saturating_duration_since(self.sent_at[i]));
            }
            Incoming::Error {
                from,
                to,
                ident,
                seq,
                reason,
            } if to == self.dst && ident == self.ident => {
                let Some(i) = self.index(seq) else { return };
                if self.answered[i] {
                    return;
                }
                self.answered[i] = true;
                self.stats.errors.push(PingFailure {
                    seq,
                    from: Some(from),
                    reason,
                    errno: None,
                });
            }
            _ => {}
        }
    }
}

fn run(
    sock: &OwnedFd,
    dst: IpAddr,
    count: u32,
    interval: Duration,
    timeout: Duration,
) -> Result<PingStats, Error> {
    let count = count.min(u32::from(u16::MAX));
    let (ident, token) = new_ident_and_token();
    let mut run = Run {
        dst,
        ident,
        payload: payload(token),
        sent_at: Vec::new(),
        answered: Vec::new(),
        stats: PingStats {
            dst,
            sent: 0,
            received: 0,
            rtts: Vec::new(),
            errors: Vec::new(),
        },
    };
    let target: SockaddrStorage = match dst {
        IpAddr::V4(a) => std::net::SocketAddr::from((a, 0)).into(),
        IpAddr::V6(a) => std::net::SocketAddr::from((a, 0)).into(),
    };
    let mut next_send = Instant::now();
    let mut last_send = next_send;
    let mut buf = vec![0u8; 65536];
    loop {
        let now = Instant::now();
        if run.stats.sent < count && now >= next_send {
            let seq = (run.stats.sent + 1) as u16;
            let pkt = echo_request(dst.is_ipv6(), ident, seq, &run.payload);
            run.sent_at.push(Instant::now());
            run.answered.push(false);
            run.stats.sent += 1;
            if let Err(e) = sendto(sock.as_raw_fd(), &pkt, &target, MsgFlags::empty()) {
                run.answered[usize::from(seq) - 1] = true;
                run.stats.errors.push(PingFailure {
                    seq,
                    from: None,
                    reason: os_text(&e.into()),
                    errno: Some(e as i32),
                });
            }
            last_send = now;
            next_send += interval;
            continue;
        }
        let done_sending = run.stats.sent >= count;
        if done_sending && run.all_answered() {
            break;
        }
        let wake = if done_sending {
            last_send + timeout
        } else {
            next_send
        };
        if done_sending && now >= wake {
            break;
        }
        if wait_readable(sock.as_fd(), wake.saturating_duration_since(now))? {
            receive_all(sock, &mut buf, &mut run)?;
        }
    }
    Ok(run.stats)
}

fn wait_readable(sock: BorrowedFd<'_>, left: Duration) -> Result<bool, Error> {
    // Round up so a sub-millisecond wait does not spin.
    let ms = left.as_millis().saturating_add(1);
    let timeout = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
    let mut fds = [PollFd::new(sock, PollFlags::POLLIN)];
    match poll(&mut fds, timeout) {
        Ok(n) => Ok(n > 0),
        Err(Errno::EINTR) => Ok(false),
        Err(e) => Err(Error::socket("poll on the ICMP socket")(e.into())),
    }
}

fn receive_all(sock: &OwnedFd, buf: &mut [u8], run: &mut Run) -> Result<(), Error> {
    loop {
        match recvfrom::<SockaddrStorage>(sock.as_raw_fd(), buf) {
            Ok((n, from)) => {
                let now = Instant::now();
                let data = &buf[..n];
                let msg = match run.dst {
                    IpAddr::V4(_) => parse_v4(data),
                    IpAddr::V6(_) => match from.as_ref().and_then(|f| f.as_sockaddr_in6()) {
                        Some(f) => parse_v6(f.ip(), data),
                        None => Incoming::Other,
                    },
                };
                run.handle(msg, now);
            }
            Err(Errno::EAGAIN | Errno::EINTR) => return Ok(()),
            // Reported asynchronously by some kernels for raw sockets.
            Err(Errno::ENETUNREACH | Errno::EHOSTUNREACH | Errno::ECONNREFUSED) => {}
            Err(e) => return Err(Error::socket("recvfrom on the ICMP socket")(e.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_match_only_our_ident_token_and_destination() {
        let dst: IpAddr = "10.0.0.2".parse().unwrap();
        let start = Instant::now();
        let payload = payload(*b"12345678");
        let mut run = Run {
            dst,
            ident: 7,
            payload: payload.clone(),
            sent_at: vec![start, start],
            answered: vec![false, false],
            stats: PingStats {
                dst,
                sent: 2,
                received: 0,
                rtts: vec![],
                errors: vec![],
            },
        };
        let reply = |from: &str, ident, seq, p| Incoming::EchoReply {
            from: from.parse().unwrap(),
            ident,
            seq,
            payload: p,
        };
        run.handle(reply("10.0.0.2", 8, 1, &payload), start); // other ident
        run.handle(reply("10.0.0.3", 7, 1, &payload), start); // other host
        run.handle(reply("10.0.0.2", 7, 1, b"00000000"), start); // other token
        run.handle(reply("10.0.0.2", 7, 3, &payload), start); // never sent
        assert_eq!(run.stats.received, 0);
        run.handle(reply("10.0.0.2", 7, 1, &payload), start);
        run.handle(reply("10.0.0.2", 7, 1, &payload), start); // duplicate
        assert_eq!(run.stats.received, 1);
        assert!(!run.all_answered());
        run.handle(
            Incoming::Error {
                from: "10.0.0.1".parse().unwrap(),
                to: dst,
                ident: 7,
                seq: 2,
                reason: "Destination Host Unreachable".into(),
            },
            start,
        );
        assert!(run.all_answered());
        assert_eq!(run.stats.errors.len(), 1);
        assert_eq!(run.stats.received, 1);
    }
}
