//! The string forms of services: `tcp/80`, `8080:80/udp`, a NAT
//! forward's `addr:port`, and `run:` command lines.

use super::{invalid, port};
use crate::problem::{ProblemKind, ValueError};
use crate::topology::{Publish, Service};
use crate::values::Proto;
use std::net::{IpAddr, SocketAddr};

/// `tcp/80` or `udp/53`.
pub(crate) fn service(s: &str) -> Result<Service, ValueError> {
    let Some((proto, p)) = s.split_once('/') else {
        return Err(invalid(
            format!("`{s}` is not a service"),
            "write proto/port, like tcp/80 or udp/53",
        ));
    };
    Ok(Service {
        proto: proto.parse()?,
        port: port(p)?,
    })
}

/// `[host-ip:]host-port:port[/tcp|udp]`, as `docker run -p` takes it.
pub(crate) fn publish(s: &str) -> Result<Publish, ValueError> {
    let hint = "write [host-ip:]host-port:port[/tcp|udp], like 8080:80, 127.0.0.1:53:53/udp or [::1]:80:80";
    let (ports, proto) = match s.rsplit_once('/') {
        Some((p, proto)) => (p, proto.parse()?),
        None => (s, Proto::Tcp),
    };
    let Some((rest, inner)) = ports.rsplit_once(':') else {
        return Err(invalid(format!("`{s}` has no host port"), hint));
    };
    let (host_ip, host_port) = match rest.rsplit_once(':') {
        // An IPv6 address in brackets, as docker writes it: without them
        // `fd00::1:80:80` could be fd00::1 port 80 or fd00::1:80.
        Some((ip, hp)) => {
            let (text, bracketed) = match ip.strip_prefix('[').and_then(|i| i.strip_suffix(']')) {
                Some(inner) => (inner, true),
                None => (ip, false),
            };
            let ip: IpAddr = text
                .parse()
                .map_err(|_| invalid(format!("`{ip}` is not an IP address"), hint))?;
            if ip.is_ipv6() != bracketed {
                return Err(invalid(
                    format!(
                        "`{s}`: an IPv6 host address is written in brackets, an IPv4 one without"
                    ),
                    hint,
                ));
            }
            (Some(ip), hp)
        }
        None => (None, rest),
    };
    Ok(Publish {
        host_ip,
        host_port: port(host_port)?,
        port: port(inner)?,
        proto,
    })
}

/// `addr:port` or `[v6]:port` (a NAT forward's `to`).
pub(crate) fn socket(s: &str) -> Result<SocketAddr, ValueError> {
    let sa: SocketAddr = s.parse().map_err(|_| {
        invalid(
            format!("`{s}` is not address:port"),
            "write the target as 172.17.10.10:80 or [fd00::10]:80",
        )
    })?;
    if sa.port() == 0 {
        return Err(ValueError::new(
            ProblemKind::OutOfRange,
            "port 0 is out of range 1..=65535",
            "ports are 1 to 65535",
        ));
    }
    Ok(sa)
}

/// Split a command line into argv: whitespace separates words; '…' and "…"
/// group (no expansion), `\` escapes the next character outside '…'.
pub(crate) fn argv(s: &str) -> Result<Vec<String>, ValueError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err(unclosed(s)),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x) => cur.push(x),
                            None => return Err(unclosed(s)),
                        },
                        Some(x) => cur.push(x),
                        None => return Err(unclosed(s)),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    cur.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    if out.is_empty() {
        return Err(invalid(
            "the command is empty".into(),
            "write the command and its arguments",
        ));
    }
    Ok(out)
}

fn unclosed(s: &str) -> ValueError {
    invalid(
        format!("command `{s}` has an unclosed quote"),
        "close the quote, or use `sh -c '…'`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn services_and_publish() {
        let s = service("udp/53").unwrap();
        assert_eq!((s.proto, s.port.get()), (Proto::Udp, 53));
        assert!(service("tcp80").is_err());
        assert!(service("sctp/80").is_err());
        assert_eq!(service("tcp/0").unwrap_err().kind, ProblemKind::OutOfRange);
        let p = publish("8080:80").unwrap();
        assert_eq!(
            (p.host_ip, p.host_port.get(), p.port.get(), p.proto),
            (None, 8080, 80, Proto::Tcp)
        );
        let p = publish("127.0.0.1:5353:53/udp").unwrap();
        assert_eq!((p.host_ip, p.proto), (Some(ip("127.0.0.1")), Proto::Udp));
        let p = publish("[::1]:80:80").unwrap();
        assert_eq!(p.host_ip, Some(ip("::1")));
        assert!(publish("::1:80:80").is_err());
        assert!(publish("[[::1]]:80:80").is_err());
        assert!(publish("[127.0.0.1]:80:80").is_err());
        assert!(publish("80").is_err());
        assert_eq!(
            publish("70000:80").unwrap_err().kind,
            ProblemKind::OutOfRange
        );
    }

    #[test]
    fn command_lines() {
        assert_eq!(
            argv("python3 -m http.server 80").unwrap(),
            ["python3", "-m", "http.server", "80"]
        );
        assert_eq!(
            argv("sh -c 'echo hi; sleep 1'").unwrap(),
            ["sh", "-c", "echo hi; sleep 1"]
        );
        assert_eq!(
            argv(r#"echo "a \"b\"" c\ d"#).unwrap(),
            ["echo", "a \"b\"", "c d"]
        );
        assert_eq!(argv("x ''").unwrap(), ["x", ""]);
        assert!(argv("echo 'oops").is_err());
        assert!(argv("   ").is_err());
    }
}
