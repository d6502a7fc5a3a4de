//! What a responder listens on: `tcp/80`, `udp/53`.

use std::fmt;
use std::str::FromStr;

/// Transport of a built-in service. HTTP is served on every TCP port.
pub use nslab_types::Proto;

/// One `PROTO/PORT` entry, as written in `serve:` and passed to
/// `nslab __serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Service {
    pub proto: Proto,
    pub port: u16,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.proto, self.port)
    }
}

impl From<Service> for (Proto, u16) {
    fn from(s: Service) -> Self {
        (s.proto, s.port)
    }
}

/// Why a `PROTO/PORT` string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceParseError {
    #[error("{0:?} is not PROTO/PORT (for example tcp/80)")]
    Shape(String),
    #[error("unknown protocol {0:?}: use tcp or udp")]
    Proto(String),
    #[error("bad port {0:?}: use 1-65535")]
    Port(String),
}

impl FromStr for Service {
    type Err = ServiceParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (proto, port) = s
            .split_once('/')
            .ok_or_else(|| ServiceParseError::Shape(s.to_string()))?;
        let proto = match proto {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            other => return Err(ServiceParseError::Proto(other.to_string())),
        };
        let port = match port.parse::<u16>() {
            Ok(p) if p != 0 => p,
            _ => return Err(ServiceParseError::Port(port.to_string())),
        };
        Ok(Service { proto, port })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_strings_round_trip() {
        let s: Service = "udp/53".parse().unwrap();
        assert_eq!(
            s,
            Service {
                proto: Proto::Udp,
                port: 53
            }
        );
        assert_eq!(s.to_string(), "udp/53");
        assert_eq!("tcp/80".parse::<Service>().unwrap().to_string(), "tcp/80");
    }

    #[test]
    fn bad_service_strings_say_which_part_is_wrong() {
        assert!(matches!(
            "tcp80".parse::<Service>(),
            Err(ServiceParseError::Shape(_))
        ));
        assert!(matches!(
            "sctp/80".parse::<Service>(),
            Err(ServiceParseError::Proto(p)) if p == "sctp"
        ));
        assert!(matches!(
            "tcp/0".parse::<Service>(),
            Err(ServiceParseError::Port(_))
        ));
        assert!(matches!(
            "tcp/65536".parse::<Service>(),
            Err(ServiceParseError::Port(_))
        ));
    }
}
