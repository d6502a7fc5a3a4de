//! What a ping run found: replies and their round-trip times, failures
//! printed like `ping` prints them.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// The result of [`icmp_echo`](super::ping::icmp_echo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingStats {
    pub dst: IpAddr,
    /// Echo requests handed to the kernel (a send error counts as sent).
    pub sent: u32,
    /// Distinct sequence numbers that got a reply in time.
    pub received: u32,
    /// Round-trip times in the order replies arrived.
    pub rtts: Vec<Duration>,
    /// Send errors and ICMP errors, in the order they happened.
    pub errors: Vec<PingFailure>,
}

/// One request that failed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingFailure {
    pub seq: u16,
    /// The router or host that sent the ICMP error; `None` when the local
    /// kernel refused to send (for example `Network is unreachable`).
    pub from: Option<IpAddr>,
    pub reason: String,
    /// The local send error's errno (`None` for ICMP errors from the
    /// network).
    pub errno: Option<i32>,
}

impl fmt::Display for PingFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.from {
            Some(from) => write!(f, "From {from} icmp_seq={} {}", self.seq, self.reason),
            None => write!(f, "icmp_seq={}: {}", self.seq, self.reason),
        }
    }
}

impl PingStats {
    /// At least one reply came back.
    pub fn success(&self) -> bool {
        self.received > 0
    }

    /// Lost fraction, 0.0 to 1.0 (1.0 when nothing was sent).
    pub fn loss(&self) -> f64 {
        if self.sent == 0 {
            return 1.0;
        }
        1.0 - f64::from(self.received) / f64::from(self.sent)
    }

    pub fn min(&self) -> Option<Duration> {
        self.rtts.iter().min().copied()
    }

    pub fn max(&self) -> Option<Duration> {
        self.rtts.iter().max().copied()
    }

    pub fn avg(&self) -> Option<Duration> {
        let n = u32::try_from(self.rtts.len()).ok().filter(|&n| n > 0)?;
        Some(self.rtts.iter().sum::<Duration>() / n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_summaries() {
        let ms = Duration::from_millis;
        let s = PingStats {
            dst: "10.0.0.1".parse().unwrap(),
            sent: 4,
            received: 3,
            rtts: vec![ms(3), ms(1), ms(2)],
            errors: vec![],
        };
        assert!(s.success());
        assert_eq!(
            (s.min(), s.avg(), s.max()),
            (Some(ms(1)), Some(ms(2)), Some(ms(3)))
        );
        assert!((s.loss() - 0.25).abs() < 1e-9);
        let none = PingStats {
            sent: 0,
            received: 0,
            rtts: vec![],
            ..s
        };
        assert!(!none.success());
        assert_eq!(none.avg(), None);
        assert_eq!(none.loss(), 1.0);
    }

    #[test]
    fn failures_print_like_ping() {
        let f = PingFailure {
            seq: 2,
            from: Some("10.0.0.1".parse().unwrap()),
            reason: "Destination Host Unreachable".into(),
            errno: None,
        };
        assert_eq!(
            f.to_string(),
            "From 10.0.0.1 icmp_seq=2 Destination Host Unreachable"
        );
        let f = PingFailure {
            seq: 1,
            from: None,
            reason: "Network is unreachable".into(),
            errno: Some(libc::ENETUNREACH),
        };
        assert_eq!(f.to_string(), "icmp_seq=1: Network is unreachable");
    }
}
