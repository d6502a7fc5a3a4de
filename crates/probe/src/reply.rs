//! The responder's answer line, `<lab>/<node> <client-address>`, and the
//! [`Reply`] a probe returns.

use std::net::IpAddr;
use std::time::Duration;

/// What a TCP, UDP or HTTP probe got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The answer's first line (for HTTP: the body's first line), without
    /// the line ending. Empty when a TCP peer accepted the connection but
    /// sent nothing.
    pub text: String,
    /// `<lab>/<node>` when the answer came from an nslab responder.
    pub from_label: Option<String>,
    /// The source address the responder saw the probe come from.
    pub seen_as: Option<IpAddr>,
    /// HTTP status code (HTTP probes only).
    pub status: Option<u16>,
    /// TCP: the connect (handshake) time. UDP and HTTP: from sending the
    /// request to receiving the answer.
    pub rtt: Duration,
}

impl Reply {
    /// A reply whose label and address are taken from `text` when it is a
    /// responder line.
    pub(crate) fn from_text(text: String, status: Option<u16>, rtt: Duration) -> Reply {
        let parsed = parse_reply(&text);
        let (from_label, seen_as) = match parsed {
            Some((label, addr)) => (Some(label), Some(addr)),
            None => (None, None),
        };
        Reply {
            text,
            from_label,
            seen_as,
            status,
            rtt,
        }
    }
}

/// The line the responder sends, with its trailing newline. IPv4-mapped
/// IPv6 peers (seen on a dual-stack socket) are shown as plain IPv4.
pub fn format_line(label: &str, client: IpAddr) -> String {
    format!("{label} {}\n", client.to_canonical())
}

/// Splits a responder line into its `<lab>/<node>` label and the client
/// address. `None` for anything else (another server's banner, HTML, ...).
pub fn parse_reply(line: &str) -> Option<(String, IpAddr)> {
    let line = line.trim_end_matches(['\r', '\n']);
    let mut words = line.split(' ');
    let label = words.next()?;
    let addr = words.next()?;
    if words.next().is_some() {
        return None;
    }
    let (lab, node) = label.split_once('/')?;
    let name_ok = |s: &str| !s.is_empty() && !s.contains('/') && !s.contains(char::is_whitespace);
    if !name_ok(lab) || !name_ok(node) {
        return None;
    }
    let addr: IpAddr = addr.parse().ok()?;
    Some((label.to_string(), addr.to_canonical()))
}

/// The first line of `bytes` (lossy UTF-8), without its line ending.
pub(crate) fn first_line(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end])
        .trim_end_matches('\r')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn line_shows_mapped_addresses_as_ipv4() {
        let mapped = IpAddr::V6(Ipv4Addr::new(10, 0, 1, 2).to_ipv6_mapped());
        assert_eq!(format_line("demo/h1", mapped), "demo/h1 10.0.1.2\n");
        let v6: IpAddr = "fd00::2".parse().unwrap();
        assert_eq!(format_line("demo/h1", v6), "demo/h1 fd00::2\n");
    }

    #[test]
    fn parse_reply_reads_back_what_the_responder_sends() {
        let line = format_line("lab/nginx", IpAddr::V4(Ipv4Addr::new(192, 168, 54, 230)));
        assert_eq!(
            parse_reply(&line),
            Some(("lab/nginx".to_string(), "192.168.54.230".parse().unwrap()))
        );
        assert_eq!(
            parse_reply("lab/h2 ::1\r\n"),
            Some(("lab/h2".to_string(), IpAddr::V6(Ipv6Addr::LOCALHOST)))
        );
        // A mapped address written by someone else still compares as IPv4.
        assert_eq!(
            parse_reply("lab/h2 ::ffff:10.0.0.1").map(|r| r.1),
            Some("10.0.0.1".parse().unwrap())
        );
    }

    #[test]
    fn parse_reply_rejects_other_text() {
        for line in [
            "",
            "SSH-2.0-OpenSSH_9.6",
            "<html>",
            "lab/node",
            "lab/node not-an-address",
            "labnode 10.0.0.1",
            "/node 10.0.0.1",
            "lab/ 10.0.0.1",
            "a/b/c 10.0.0.1",
            "lab/node 10.0.0.1 extra",
            "lab/node  10.0.0.1",
        ] {
            assert_eq!(parse_reply(line), None, "{line:?}");
        }
    }

    #[test]
    fn reply_from_text_fills_label_and_address() {
        let r = Reply::from_text("l/n 127.0.0.1".into(), None, Duration::ZERO);
        assert_eq!(r.from_label.as_deref(), Some("l/n"));
        assert_eq!(r.seen_as, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let r = Reply::from_text("hello".into(), Some(200), Duration::ZERO);
        assert_eq!((r.from_label, r.seen_as, r.status), (None, None, Some(200)));
    }

    #[test]
    fn first_line_strips_crlf() {
        assert_eq!(first_line(b"a b\r\nrest"), "a b");
        assert_eq!(first_line(b"no newline"), "no newline");
        assert_eq!(first_line(b""), "");
    }
}
