//! Just enough HTTP/1.1 for the responder and `http_probe`: recognising a
//! request line, writing the one response the responder gives, writing the
//! probe's request and reading a response (RFC 9112 message syntax, no
//! chunked bodies: the responder never sends them and a probe only needs
//! the status and the first body line).

use std::net::SocketAddr;

/// Longest request head the responder waits for.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// Longest method token accepted in a request line.
const MAX_METHOD: usize = 16;

/// What the first bytes of a TCP stream say about the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestStart {
    /// Could still become an HTTP request line.
    NeedMore,
    /// Not HTTP: answer with the plain line.
    Plain,
    /// An HTTP/1.x request line; `head` for `HEAD` (no body in the answer).
    Http { head: bool },
}

/// Classifies the bytes a client sent so far.
pub(crate) fn classify_request(buf: &[u8]) -> RequestStart {
    let line_end = buf.iter().position(|&b| b == b'\n');
    let line = &buf[..line_end.unwrap_or(buf.len())];
    let method_len = line.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if method_len > MAX_METHOD {
        return RequestStart::Plain;
    }
    let Some(_) = line_end else {
        if method_len == line.len() {
            return RequestStart::NeedMore;
        }
        if method_len == 0 || line[method_len] != b' ' || line.len() > MAX_HEAD {
            return RequestStart::Plain;
        }
        return RequestStart::NeedMore;
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Ok(line) = std::str::from_utf8(line) else {
        return RequestStart::Plain;
    };
    let parts: Vec<&str> = line.split(' ').collect();
    match parts.as_slice() {
        [method, target, version]
            if method.len() == method_len
                && method_len > 0
                && !target.is_empty()
                && is_http1(version) =>
        {
            RequestStart::Http {
                head: *method == "HEAD",
            }
        }
        _ => RequestStart::Plain,
    }
}

fn is_http1(version: &str) -> bool {
    version
        .strip_prefix("HTTP/1.")
        .is_some_and(|minor| minor.len() == 1 && minor.as_bytes()[0].is_ascii_digit())
}

/// True once the request head (request line and headers) is complete.
pub(crate) fn head_complete(buf: &[u8]) -> bool {
    buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n")
}

/// The responder's HTTP answer carrying `line` (which ends in `\n`).
pub fn format_http_response(line: &str, head: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        line.len()
    )
    .into_bytes();
    if !head {
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// The request `http_probe` sends to `dst`.
pub(crate) fn format_http_request(dst: SocketAddr) -> Vec<u8> {
    let host = match (dst, dst.port()) {
        (SocketAddr::V4(a), 80) => a.ip().to_string(),
        (SocketAddr::V6(a), 80) => format!("[{}]", a.ip()),
        (other, _) => other.to_string(),
    };
    format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: nslab-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// A parsed HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Where the head ends and how long the body is, once the head is in.
fn split_head(bytes: &[u8]) -> Option<(usize, usize)> {
    if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        return Some((i, i + 4));
    }
    bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| (i, i + 2))
}

fn content_length(head: &str) -> Option<usize> {
    head.lines().skip(1).find_map(|h| {
        let (name, value) = h.split_once(':')?;
        if name.trim().eq_ignore_ascii_case("content-length") {
            value.trim().parse().ok()
        } else {
            None
        }
    })
}

/// True when `bytes` hold a whole response (head plus `Content-Length`
/// bytes of body), so the reader can stop before the peer closes.
pub(crate) fn response_complete(bytes: &[u8]) -> bool {
    let Some((head_end, body_start)) = split_head(bytes) else {
        return false;
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]);
    content_length(&head).is_some_and(|len| bytes.len() - body_start >= len)
}

/// Parses a response read until the peer closed (or until
/// [`response_complete`]). The error text says what was wrong.
pub(crate) fn parse_http_response(bytes: &[u8]) -> Result<HttpResponse, String> {
    let Some((head_end, body_start)) = split_head(bytes) else {
        return Err(if bytes.starts_with(b"HTTP/") {
            "incomplete HTTP response head".to_string()
        } else {
            format!("not HTTP: {:?}", crate::reply::first_line(bytes))
        });
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]);
    let status_line = head.lines().next().unwrap_or_default();
    let mut words = status_line.split(' ');
    let version = words.next().unwrap_or_default();
    let status = words.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(format!("not HTTP: {status_line:?}"));
    }
    let status: u16 = match status.parse() {
        Ok(s) if (100..=999).contains(&s) => s,
        _ => return Err(format!("bad status line {status_line:?}")),
    };
    let mut body = bytes[body_start..].to_vec();
    if let Some(len) = content_length(&head) {
        body.truncate(len);
    }
    Ok(HttpResponse { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_are_recognised() {
        use RequestStart::*;
        assert_eq!(
            classify_request(b"GET / HTTP/1.1\r\n"),
            Http { head: false }
        );
        assert_eq!(
            classify_request(b"GET /x?y HTTP/1.0\n"),
            Http { head: false }
        );
        assert_eq!(
            classify_request(b"HEAD / HTTP/1.1\r\nHost: a\r\n"),
            Http { head: true }
        );
        assert_eq!(
            classify_request(b"POST /api HTTP/1.1\r\n"),
            Http { head: false }
        );
    }

    #[test]
    fn partial_request_lines_wait_for_more() {
        use RequestStart::*;
        assert_eq!(classify_request(b""), NeedMore);
        assert_eq!(classify_request(b"GE"), NeedMore);
        assert_eq!(classify_request(b"GET "), NeedMore);
        assert_eq!(classify_request(b"GET /index.html HTTP/1."), NeedMore);
    }

    #[test]
    fn other_first_bytes_get_the_plain_line() {
        use RequestStart::*;
        assert_eq!(classify_request(b"hello"), Plain);
        assert_eq!(classify_request(b"\n"), Plain);
        assert_eq!(classify_request(b"GET/ HTTP/1.1\r\n"), Plain);
        assert_eq!(classify_request(b"GET / HTTP/2.0\r\n"), Plain);
        assert_eq!(classify_request(b"GET /\r\n"), Plain);
        assert_eq!(classify_request(b"HELLO WORLD\n"), Plain);
        assert_eq!(classify_request(b"\x16\x03\x01"), Plain); // TLS hello
        assert_eq!(classify_request(&[b'A'; 17]), Plain);
    }

    #[test]
    fn response_carries_the_line_as_body() {
        let r = format_http_response("lab/web 10.0.0.1\n", false);
        assert_eq!(
            String::from_utf8(r.clone()).unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 17\r\n\
             Connection: close\r\n\r\nlab/web 10.0.0.1\n"
        );
        let parsed = parse_http_response(&r).unwrap();
        assert_eq!(parsed.status, 200);
        assert_eq!(parsed.body, b"lab/web 10.0.0.1\n");
        assert!(response_complete(&r));
        assert!(!response_complete(&r[..r.len() - 1]));
    }

    #[test]
    fn head_response_has_length_but_no_body() {
        let r = String::from_utf8(format_http_response("l/n ::1\n", true)).unwrap();
        assert!(
            r.ends_with("Content-Length: 8\r\nConnection: close\r\n\r\n"),
            "{r}"
        );
    }

    #[test]
    fn request_names_the_host_with_port_unless_80() {
        let r = format_http_request("10.0.0.1:8080".parse().unwrap());
        let r = String::from_utf8(r).unwrap();
        assert!(
            r.starts_with("GET / HTTP/1.1\r\nHost: 10.0.0.1:8080\r\n"),
            "{r}"
        );
        assert!(r.ends_with("Connection: close\r\n\r\n"));
        let r = String::from_utf8(format_http_request("[fd00::1]:80".parse().unwrap())).unwrap();
        assert!(r.contains("Host: [fd00::1]\r\n"), "{r}");
        assert_eq!(
            classify_request(r.as_bytes()),
            RequestStart::Http { head: false }
        );
        assert!(head_complete(r.as_bytes()));
    }

    #[test]
    fn responses_from_other_servers_parse() {
        let r = parse_http_response(b"HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n<html>").unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(r.body, b"<html>");
    }

    #[test]
    fn non_http_answers_are_errors_that_quote_them() {
        let e = parse_http_response(b"lab/h1 10.0.0.1\n").unwrap_err();
        assert!(e.contains("lab/h1 10.0.0.1"), "{e}");
        assert!(parse_http_response(b"HTTP/1.1 OK\r\n\r\n").is_err());
        assert!(parse_http_response(b"HTTP/1.1 200 OK\r\nContent-").is_err());
    }
}
