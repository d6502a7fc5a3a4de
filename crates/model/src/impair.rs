//! Link impairments (`impair: {delay: 20ms, jitter: 5ms, loss: 1%, rate: 10mbit}`)
//! and their units, as `tc qdisc netem` writes them.

use crate::problem::{ProblemKind, ValueError};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

pub use nslab_types::Impair;

/// A decimal number written with digits and at most one `.` (`1.5`,
/// `20`, `.5`), read exactly: its digits as an integer and how many of
/// them follow the point. Floats would turn `0.1s` into 99 999 µs.
fn decimal(s: &str) -> Option<(u128, u32)> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !digits(int) || !digits(frac) || frac.len() > 18 {
        return None;
    }
    let all = format!("{int}{frac}");
    let all = all.trim_start_matches('0');
    if all.len() > 30 {
        return None;
    }
    let n = if all.is_empty() { 0 } else { all.parse().ok()? };
    Some((n, u32::try_from(frac.len()).ok()?))
}

/// `number × scale`, exactly, when it is a whole number.
fn scaled(n: u128, frac_digits: u32, scale: u128) -> Option<u128> {
    let div = 10u128.checked_pow(frac_digits)?;
    let v = n.checked_mul(scale)?;
    (v % div == 0).then_some(v / div)
}

/// Split `20ms` into its number and unit, the unit starting at the first
/// character that is neither a digit nor `.`.
fn number_and_unit(s: &str) -> Option<(&str, &str)> {
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    Some(s.split_at(split))
}

/// The longest duration a file may give (a delay, a wait, a timeout).
pub const MAX_DURATION_SECS: u64 = 3600;

/// Parse `20ms`, `1s`, `500us`, `1.5s` (tc's units: s, ms, us), exactly,
/// to the nanosecond; at most an hour.
pub fn parse_duration(s: &str) -> Result<Duration, ValueError> {
    let bad = || {
        ValueError::new(
            ProblemKind::InvalidValue,
            format!("`{s}` is not a duration"),
            "write a number with a unit: 20ms, 1s, 500us",
        )
    };
    let (num, unit) = number_and_unit(s).ok_or_else(bad)?;
    let (n, frac) = decimal(num).ok_or_else(bad)?;
    let scale: u128 = match unit {
        "s" | "sec" => 1_000_000_000,
        "ms" | "msec" => 1_000_000,
        "us" | "usec" => 1_000,
        _ => return Err(bad()),
    };
    let too_long = || {
        ValueError::new(
            ProblemKind::OutOfRange,
            format!("duration `{s}` is out of range 0s..={MAX_DURATION_SECS}s"),
            format!("a duration is 0s to {MAX_DURATION_SECS}s (an hour)"),
        )
    };
    // Past an hour or 30 digits: too long either way.
    let ns = n.checked_mul(scale).ok_or_else(too_long)?;
    let div = 10u128.pow(frac);
    if ns % div != 0 {
        return Err(ValueError::new(
            ProblemKind::InvalidValue,
            format!("`{s}` is finer than a nanosecond"),
            "write at most 9 decimals of a second (3 of a microsecond)",
        ));
    }
    let ns = ns / div;
    if ns > u128::from(MAX_DURATION_SECS) * 1_000_000_000 {
        return Err(too_long());
    }
    // At most 3.6e12 ns: fits in a u64.
    Ok(Duration::from_nanos(
        u64::try_from(ns).map_err(|_| too_long())?,
    ))
}

/// A netem delay or jitter in microseconds, the unit nslab keeps it in
/// (`Impair::delay_us`): a duration finer than that is refused rather
/// than rounded (`0.5us` would become no delay at all).
pub fn parse_micros(s: &str) -> Result<u32, ValueError> {
    let d = parse_duration(s)?;
    if d.subsec_nanos() % 1000 != 0 {
        return Err(ValueError::new(
            ProblemKind::InvalidValue,
            format!("`{s}` is finer than a microsecond"),
            "netem delays are kept in whole microseconds: write at most 3 decimals of a millisecond, like 1.5ms or 250us",
        ));
    }
    // At most an hour: 3.6e9 µs fit in a u32.
    u32::try_from(d.as_micros()).map_err(|_| {
        ValueError::new(
            ProblemKind::OutOfRange,
            format!("duration `{s}` is out of range 0s..={MAX_DURATION_SECS}s"),
            format!("a duration is 0s to {MAX_DURATION_SECS}s (an hour)"),
        )
    })
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
        let bad = || {
            ValueError::new(
                ProblemKind::InvalidValue,
                format!("`{s}` is not a percentage"),
                hint,
            )
        };
        let num = s.strip_suffix('%').ok_or_else(bad)?;
        let (n, frac) = decimal(num).ok_or_else(bad)?;
        // Millionths of the whole are ten-thousandths of a percent.
        let Some(ppm) = scaled(n, frac, 10_000) else {
            return Err(ValueError::new(
                ProblemKind::InvalidValue,
                format!("`{s}` is finer than 0.0001%"),
                "write at most 4 decimals, like 0.0001%",
            ));
        };
        if ppm > 1_000_000 {
            return Err(ValueError::new(
                ProblemKind::OutOfRange,
                format!("{s} is not between 0% and 100%"),
                hint,
            ));
        }
        // At most 1 000 000: fits in a u32.
        Ok(Percent(ppm as u32))
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

/// The fastest rate a file may give, in bits per second (1000 tbit).
pub const MAX_RATE_BITS: u64 = 1_000_000_000_000_000;

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
        let (num, unit) = number_and_unit(s).ok_or_else(bad)?;
        let (n, frac) = decimal(num).ok_or_else(bad)?;
        let scale: u128 = match unit.to_ascii_lowercase().as_str() {
            "bit" => 1,
            "kbit" => 1_000,
            "mbit" => 1_000_000,
            "gbit" => 1_000_000_000,
            "tbit" => 1_000_000_000_000,
            "bps" => 8,
            "kbps" => 8_000,
            "mbps" => 8_000_000,
            "gbps" => 8_000_000_000,
            _ => return Err(bad()),
        };
        let range = || {
            ValueError::new(
                ProblemKind::OutOfRange,
                format!("rate `{s}` is out of range 8bit..=1000tbit"),
                "use a rate from 8bit to 1000tbit (tc_netem_rate counts bytes per second)",
            )
        };
        // netem counts bytes per second (`struct tc_netem_rate`,
        // TCA_NETEM_RATE64): a rate that is not a whole number of bytes
        // would be rounded by the kernel and read back different.
        let bits = match scaled(n, frac, scale) {
            Some(b) if b % 8 == 0 => b,
            Some(b) if b > u128::from(MAX_RATE_BITS) => return Err(range()),
            _ => {
                return Err(ValueError::new(
                    ProblemKind::InvalidValue,
                    format!("`{s}` is not a whole number of bytes per second"),
                    "netem limits in bytes per second: use a multiple of 8bit, like 8bit, 1kbit or 10mbit",
                ))
            }
        };
        if bits == 0 || bits > u128::from(MAX_RATE_BITS) {
            return Err(range());
        }
        // At most 1e15: fits in a u64.
        Ok(Rate(bits as u64))
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
        assert_eq!(parse_duration("0.1s").unwrap(), Duration::from_millis(100));
        assert_eq!(parse_micros("0.1s").unwrap(), 100_000);
        assert!(parse_micros("0.5us").is_err());
        assert!(parse_duration("1.0000000001s").is_err());
        for bad in [
            "20", "ms", "20 m", "-1s", "20min", "1.2.3s", ".s", "+1s", "1e3ms",
        ] {
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
        assert!("10bit".parse::<Rate>().is_err());
        assert!("1.5bit".parse::<Rate>().is_err());
        assert_eq!("1.6kbit".parse::<Rate>().unwrap().bits_per_sec(), 1_600);
        assert!("0.00001%".parse::<Percent>().is_err());
    }
}
