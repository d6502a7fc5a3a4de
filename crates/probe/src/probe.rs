//! TCP, UDP and HTTP probes, each opened inside a node's namespace and
//! bounded by a timeout. Each has an `_here` twin that uses the calling
//! thread's namespace (for callers that already entered it).

use crate::tcpread::{read_until, ReadEnd};
use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use crate::error::classify_io;
use crate::http::{format_http_request, parse_http_response, response_complete};
use crate::netns::in_netns;
use crate::reply::{first_line, Reply};
use crate::responder::FIRST_BYTE_WAIT;
use crate::{Error, ProbeError};

/// What a UDP probe sends. Not a responder line, so a responder answers.
pub const UDP_PROBE_PAYLOAD: &[u8] = b"nslab probe\n";
/// After a TCP connect, how long to wait for a line from a peer that may
/// never send one (not an nslab responder). Always at least long enough
/// for the responder's own wait for a first byte.
const SILENT_PEER_WAIT: Duration = Duration::from_secs(1);
/// Longest answer kept.
const MAX_ANSWER: usize = 64 * 1024;

fn enter<R: Send>(
    ns: BorrowedFd<'_>,
    f: impl FnOnce() -> Result<R, ProbeError> + Send,
) -> Result<R, ProbeError> {
    in_netns(ns, f).map_err(|e| ProbeError::Setup(Error::netns(e)))?
}

/// Connects to `dst` from namespace `ns` and reads the responder's line.
/// A peer that accepts but stays silent gives a [`Reply`] with empty text.
pub fn tcp_probe(
    ns: BorrowedFd<'_>,
    dst: SocketAddr,
    timeout: Duration,
) -> Result<Reply, ProbeError> {
    enter(ns, || tcp_probe_here(dst, timeout))
}

/// [`tcp_probe`] in the calling thread's namespace.
pub fn tcp_probe_here(dst: SocketAddr, timeout: Duration) -> Result<Reply, ProbeError> {
    let start = Instant::now();
    let mut stream = connect(dst, timeout)?;
    let rtt = start.elapsed();
    let wait = (start + timeout)
        .saturating_duration_since(Instant::now())
        .min(SILENT_PEER_WAIT)
        .max(FIRST_BYTE_WAIT + Duration::from_millis(300));
    let mut buf = Vec::new();
    read_until(
        &mut stream,
        &mut buf,
        Instant::now() + wait,
        MAX_ANSWER,
        |b| b.contains(&b'\n'),
    )
    .map_err(|e| classify_io("read", e, timeout))?;
    Ok(Reply::from_text(first_line(&buf), None, rtt))
}

/// Sends one datagram to `dst` from namespace `ns` and waits for the
/// answer. An ICMP port unreachable comes back as [`ProbeError::Refused`];
/// silence as [`ProbeError::Timeout`].
pub fn udp_probe(
    ns: BorrowedFd<'_>,
    dst: SocketAddr,
    timeout: Duration,
) -> Result<Reply, ProbeError> {
    enter(ns, || udp_probe_here(dst, timeout))
}

/// [`udp_probe`] in the calling thread's namespace.
pub fn udp_probe_here(dst: SocketAddr, timeout: Duration) -> Result<Reply, ProbeError> {
    let local: SocketAddr = match dst {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let os = |op| move |source| ProbeError::Os { op, source };
    let sock = UdpSocket::bind(local).map_err(os("bind"))?;
    // Connected, so the kernel reports ICMP errors for dst on this socket.
    sock.connect(dst)
        .map_err(|e| classify_io("connect", e, timeout))?;
    let start = Instant::now();
    sock.send(UDP_PROBE_PAYLOAD)
        .map_err(|e| classify_io("send", e, timeout))?;
    let mut buf = vec![0u8; MAX_ANSWER];
    loop {
        let left = (start + timeout).saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ProbeError::Timeout { after: timeout });
        }
        sock.set_read_timeout(Some(left))
            .map_err(os("setsockopt"))?;
        match sock.recv(&mut buf) {
            Ok(n) => {
                return Ok(Reply::from_text(
                    first_line(&buf[..n]),
                    None,
                    start.elapsed(),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(classify_io("recv", e, timeout)),
        }
    }
}

/// Sends `GET /` to `dst` from namespace `ns`; the reply's text is the
/// first line of the body, its status the HTTP status.
pub fn http_probe(
    ns: BorrowedFd<'_>,
    dst: SocketAddr,
    timeout: Duration,
) -> Result<Reply, ProbeError> {
    enter(ns, || http_probe_here(dst, timeout))
}

/// [`http_probe`] in the calling thread's namespace.
pub fn http_probe_here(dst: SocketAddr, timeout: Duration) -> Result<Reply, ProbeError> {
    let deadline = Instant::now() + timeout;
    let mut stream = connect(dst, timeout)?;
    let start = Instant::now();
    stream
        .write_all(&format_http_request(dst))
        .map_err(|e| classify_io("write", e, timeout))?;
    let mut buf = Vec::new();
    let closed = read_until(
        &mut stream,
        &mut buf,
        deadline,
        MAX_ANSWER,
        response_complete,
    )
    .map_err(|e| classify_io("read", e, timeout))?
        == ReadEnd::Eof;
    let rtt = start.elapsed();
    if buf.is_empty() {
        return Err(match closed {
            true => ProbeError::BadReply("connection closed without a response".into()),
            false => ProbeError::Timeout { after: timeout },
        });
    }
    let response = parse_http_response(&buf).map_err(ProbeError::BadReply)?;
    Ok(Reply::from_text(
        first_line(&response.body),
        Some(response.status),
        rtt,
    ))
}

fn connect(dst: SocketAddr, timeout: Duration) -> Result<TcpStream, ProbeError> {
    if timeout.is_zero() {
        return Err(ProbeError::Timeout { after: timeout });
    }
    TcpStream::connect_timeout(&dst, timeout).map_err(|e| classify_io("connect", e, timeout))
}
