//! Answering TCP connections: the plain line, or an HTTP response when the
//! client opens with an HTTP request line.

use crate::tcpread::{read_until, ReadEnd};
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::{wait_readable, BACKOFF};
use crate::http::{classify_request, format_http_response, head_complete, RequestStart, MAX_HEAD};
use crate::reply::format_line;

/// How long a silent client waits for its line: long enough for a client
/// that writes right after connecting, short enough for a probe that
/// writes nothing.
pub(crate) const FIRST_BYTE_WAIT: Duration = Duration::from_millis(200);
/// How long a client that started writing gets to finish its request.
const REQUEST_WAIT: Duration = Duration::from_secs(1);
/// How long to read what the client still sends after the answer, so that
/// closing does not turn into a RST that could discard the answer.
const DRAIN_WAIT: Duration = Duration::from_millis(200);
/// Connections answered at once; more are closed unanswered.
const MAX_ACTIVE: usize = 256;

pub(super) fn serve(listener: TcpListener, label: Arc<str>, stop: Arc<OwnedFd>) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let active = Arc::new(AtomicUsize::new(0));
    loop {
        if !wait_readable(listener.as_fd(), &stop)? {
            return Ok(());
        }
        let (stream, peer) = match listener.accept() {
            Ok(conn) => conn,
            Err(e) if is_transient(&e) => continue,
            Err(e) if is_resource_limit(&e) => {
                thread::sleep(BACKOFF);
                continue;
            }
            Err(e) => return Err(e),
        };
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_ACTIVE {
            active.fetch_sub(1, Ordering::SeqCst);
            continue; // dropping the stream closes it
        }
        let (label, counter) = (label.clone(), active.clone());
        let spawned = thread::Builder::new()
            .name("nslab-tcp-conn".into())
            .spawn(move || {
                // A client that vanishes mid-answer is its own problem.
                let _ = answer(stream, peer, &label);
                counter.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::SeqCst);
            thread::sleep(BACKOFF);
        }
    }
}

fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
    ) || e.raw_os_error() == Some(libc::EPROTO)
}

fn is_resource_limit(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Answers one connection, then closes it.
fn answer(mut stream: TcpStream, peer: SocketAddr, label: &str) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    let line = format_line(label, peer.ip());
    let start = Instant::now();
    let mut buf = Vec::new();
    // Wait briefly for a first byte, then give a started request more time.
    let mut open = read_until(
        &mut stream,
        &mut buf,
        start + FIRST_BYTE_WAIT,
        MAX_HEAD,
        |b| !b.is_empty(),
    )? != ReadEnd::Eof;
    let mut kind = classify_request(&buf);
    if open && !buf.is_empty() && kind == RequestStart::NeedMore {
        open = read_until(&mut stream, &mut buf, start + REQUEST_WAIT, MAX_HEAD, |b| {
            classify_request(b) != RequestStart::NeedMore
        })? != ReadEnd::Eof;
        kind = classify_request(&buf);
    }
    match kind {
        RequestStart::Http { head } => {
            if open {
                read_until(
                    &mut stream,
                    &mut buf,
                    start + REQUEST_WAIT,
                    MAX_HEAD,
                    head_complete,
                )?;
            }
            stream.write_all(&format_http_response(&line, head))?;
        }
        RequestStart::Plain | RequestStart::NeedMore => stream.write_all(line.as_bytes())?,
    }
    stream.shutdown(Shutdown::Write)?;
    let mut rest = Vec::new();
    read_until(
        &mut stream,
        &mut rest,
        Instant::now() + DRAIN_WAIT,
        MAX_HEAD,
        |_| false,
    )?;
    Ok(())
}
