//! Egress impairments of one interface, in the units netem takes.

use serde::{Deserialize, Serialize};

/// Egress impairments of one interface (netem, and a rate limit). `None`
/// and `Some(0)` mean the same (no such impairment); compare
/// [`Impair::normalized`] values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Impair {
    /// Added delay, microseconds.
    pub delay_us: Option<u32>,
    /// Random variation of the delay, microseconds.
    pub jitter_us: Option<u32>,
    /// Random loss, parts per million (1% is 10_000); at most 1_000_000.
    pub loss_ppm: Option<u32>,
    /// Rate limit in bits per second (`rate: 10mbit` is 10_000_000). The
    /// kernel counts bytes per second, so it keeps a multiple of 8 (see
    /// [`Impair::as_kernel_keeps`]).
    pub rate_bps: Option<u64>,
}

impl Impair {
    /// The same impairments with every `Some(0)` turned into `None`: what
    /// the kernel reports back for them.
    pub fn normalized(self) -> Impair {
        Impair {
            delay_us: self.delay_us.filter(|v| *v != 0),
            jitter_us: self.jitter_us.filter(|v| *v != 0),
            loss_ppm: self.loss_ppm.filter(|v| *v != 0),
            rate_bps: self.rate_bps.filter(|v| *v != 0),
        }
    }

    /// As the kernel will report it back: normalized, the rate rounded
    /// down to whole bytes per second.
    pub fn as_kernel_keeps(self) -> Impair {
        Impair {
            rate_bps: self.rate_bps.map(|r| r / 8 * 8),
            ..self
        }
        .normalized()
    }

    /// No impairment at all.
    pub fn is_none(&self) -> bool {
        self.normalized() == Impair::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_unset_and_rates_are_whole_bytes() {
        let i = Impair {
            delay_us: Some(0),
            jitter_us: None,
            loss_ppm: Some(10_000),
            rate_bps: Some(1001),
        };
        let k = i.as_kernel_keeps();
        assert_eq!(k.delay_us, None);
        assert_eq!(k.loss_ppm, Some(10_000));
        assert_eq!(k.rate_bps, Some(1000));
        assert!(!i.is_none());
        assert!(Impair {
            rate_bps: Some(7),
            ..Impair::default()
        }
        .as_kernel_keeps()
        .is_none());
    }
}
