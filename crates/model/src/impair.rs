//! Link impairments (`impair: {delay: 20ms, jitter: 5ms, loss: 1%, rate: 10mbit}`)
//! and their units, as `tc qdisc netem` writes them.

use crate::problem::{ProblemKind, ValueError};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

pub use nslab_types::Impair;

/// Parse `20ms`, `1s`, `500us`, `1.5s` (tc's units: s, ms, us).
pub fn parse_duration(s: &str) -> Result<Duration, ValueError> {
    let bad = || {
        ValueError::new(
            ProblemKind::InvalidValue,
            format!("`{s}` is not a duration"),
            "write a number with a unit: 20ms, 1s, 500us",
        )
    };
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(bad)?;
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().map_err(|_| bad())?;
    let scale = match unit {
        "s" | "sec" => 1.0,
        "ms" | "msec" => 1e-3,
        "us" | "usec" => 1e-6,
        _ => return Err(bad()),
    };
    let secs = num * scale;
    if !(0.0..=3600.0).contains(&secs) {
        return Err(ValueError::new(
            ProblemKind::OutOfRange,
            format!("duration `{s}` is longer than an hour"),
            "use a delay of at most 3600s",
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// A percentage, 0–100, kept in millionths of the whole (`1%` = 10 000)
/// so it compares exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u32);

impl Percent {
    /// Millionths of the whole: 0 to 1 000 000.
    pub fn ppm(self) -> u32 {
        self.0
    }

    /// As a percentage (`1.0` for 1%).
    pub fn as_percent(self) -> f64 {
        f64::from(self.0) / 10_000.0
    }

    /// As netem's 32-bit probability (`u32::MAX` is 100%).
    pub fn as_netem_probability(self) -> u32 {
        let scaled = u64::from(self.0) * u64::from(u32::MAX) / 1_000_000;
        u32::try_from(scaled).unwrap_or(u32::MAX)
    }
}

impl FromStr for Percent {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Percent, ValueError> {
        let hint = "write a percentage from 0% to 100%, like 1% or 0.5%";
        let num = s.strip_suffix('%').ok_or_else(|| {
            ValueError::new(
                ProblemKind::InvalidValue,
                format!("`{s}` is not a percentage"),
                hint,
            )
        })?;
        let v: f64 = num.trim().parse().map_err(|_| {
            ValueError::new(
                ProblemKind::InvalidValue,
                format!("`{s}` is not a percentage"),
                hint,
            )
        })?;
        if !(0.0..=100.0).contains(&v) {
            return Err(ValueError::new(
                ProblemKind::OutOfRange,
                format!("{s} is not between 0% and 100%"),
                hint,
            ));
        }
        // 0..=100 * 10 000 fits in u32.
        Ok(Percent((v * 10_000.0).round() as u32))
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.as_percent())
    }
}

/// A rate in bits per second (`10mbit`, `1gbit`, `500kbit`; tc's decimal
/// units, and `bps`-style byte units: `kbps` is 8000 bit/s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(u64);

impl Rate {
    /// Bits per second.
    pub fn bits_per_sec(self) -> u64 {
        self.0
    }
}

impl FromStr for Rate {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Rate, ValueError> {
        let bad = || {
            ValueError::new(
                ProblemKind::InvalidValue,
                format!("`{s}` is not a rate"),
                "write a number with a unit: 500kbit, 10mbit, 1gbit",
            )
        };
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (num, unit) = s.split_at(split);
        let num: f64 = num.parse().map_err(|_| bad())?;
        let scale: f64 = match unit.to_ascii_lowercase().as_str() {
            "bit" => 1.0,
            "kbit" => 1e3,
            "mbit" => 1e6,
            "gbit" => 1e9,
            "tbit" => 1e12,
            "bps" => 8.0,
            "kbps" => 8e3,
            "mbps" => 8e6,
            "gbps" => 8e9,
            _ => return Err(bad()),
        };
        let bits = num * scale;
        if !(1.0..=1e15).contains(&bits) {
            return Err(ValueError::new(
                ProblemKind::OutOfRange,
                format!("rate `{s}` is out of range"),
                "use a rate from 1bit to 1000tbit",
            ));
        }
        // Bounded above by 1e15, so the cast is exact enough and cannot wrap.
        Ok(Rate(bits.round() as u64))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}bit", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20ms").unwrap(), Duration::from_millis(20));
        assert_eq!(parse_duration("1s").unwrap(), Duration::from_secs(1));
        assert_eq!(parse_duration("500us").unwrap(), Duration::from_micros(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        for bad in ["20", "ms", "20 m", "-1s", "20min"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_duration("4000s").unwrap_err().kind,
            ProblemKind::OutOfRange
        );
    }

    #[test]
    fn percents() {
        assert_eq!("1%".parse::<Percent>().unwrap().ppm(), 10_000);
        assert_eq!("0.5%".parse::<Percent>().unwrap().ppm(), 5_000);
        assert_eq!(
            "100%".parse::<Percent>().unwrap().as_netem_probability(),
            u32::MAX
        );
        assert_eq!(
            "101%".parse::<Percent>().unwrap_err().kind,
            ProblemKind::OutOfRange
        );
        assert!("1".parse::<Percent>().is_err());
    }

    #[test]
    fn rates() {
        assert_eq!("10mbit".parse::<Rate>().unwrap().bits_per_sec(), 10_000_000);
        assert_eq!(
            "1gbit".parse::<Rate>().unwrap().bits_per_sec(),
            1_000_000_000
        );
        assert_eq!("500kbit".parse::<Rate>().unwrap().bits_per_sec(), 500_000);
        assert_eq!("1kbps".parse::<Rate>().unwrap().bits_per_sec(), 8_000);
        assert!("10".parse::<Rate>().is_err());
        assert!("10mb".parse::<Rate>().is_err());
        assert!("0bit".parse::<Rate>().is_err());
    }
}
