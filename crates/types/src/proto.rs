//! Protocols: the transport of a service, forward or NAT match, and what
//! an `expect:` check sends.

use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A transport protocol for services, NAT forwards, published ports and
/// nftables `meta l4proto` matches.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP (the default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
}

impl Proto {
    /// `tcp` or `udp`.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }

    /// `IPPROTO_TCP` / `IPPROTO_UDP`.
    pub fn number(self) -> u8 {
        match self {
            Proto::Tcp => 6,
            Proto::Udp => 17,
        }
    }
}

impl FromStr for Proto {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Proto, ParseError> {
        match s {
            "tcp" => Ok(Proto::Tcp),
            "udp" => Ok(Proto::Udp),
            _ => Err(ParseError::invalid(
                format!("`{s}` is not a protocol"),
                "use tcp or udp",
            )),
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an `expect:` check sends.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ProbeProto {
    /// ICMP echo (default).
    #[default]
    Icmp,
    /// TCP connect and read the responder's line.
    Tcp,
    /// UDP datagram and read the responder's line.
    Udp,
    /// HTTP GET.
    Http,
}

impl fmt::Display for ProbeProto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProbeProto::Icmp => "icmp",
            ProbeProto::Tcp => "tcp",
            ProbeProto::Udp => "udp",
            ProbeProto::Http => "http",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in [Proto::Tcp, Proto::Udp] {
            assert_eq!(p.to_string().parse::<Proto>().unwrap(), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert!("sctp".parse::<Proto>().is_err());
        assert_eq!(Proto::default(), Proto::Tcp);
        assert_eq!(ProbeProto::default().to_string(), "icmp");
    }
}
