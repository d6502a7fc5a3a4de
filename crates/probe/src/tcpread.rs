//! Reading a TCP stream until a condition, a deadline or the end: shared
//! by the probes (reading an answer) and the responder (reading a request).

use std::io::{self, Read};
use std::net::TcpStream;
use std::time::Instant;

/// Why [`read_until`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadEnd {
    /// `done(buf)` held, or `buf` reached the size limit.
    Done,
    /// The peer closed (or reset the connection after sending something).
    Eof,
    /// The deadline passed first.
    Deadline,
}

/// Reads into `buf` until `done(buf)`, `limit` bytes, EOF or `deadline`.
pub(crate) fn read_until(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    deadline: Instant,
    limit: usize,
    done: impl Fn(&[u8]) -> bool,
) -> io::Result<ReadEnd> {
    let mut chunk = [0u8; 4096];
    while !done(buf) && buf.len() < limit {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(ReadEnd::Deadline);
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(ReadEnd::Eof),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(ReadEnd::Deadline)
            }
            // The answer may already be here when the peer resets.
            Err(_) if !buf.is_empty() => return Ok(ReadEnd::Eof),
            Err(e) => return Err(e),
        }
    }
    Ok(ReadEnd::Done)
}
