//! An address with its prefix length.

use crate::{ParseError, ParseErrorKind};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An address with its prefix length. Host bits are kept: `10.0.0.1/24`
/// is the address 10.0.0.1 on the subnet 10.0.0.0/24. [`Cidr::new`] and
/// parsing refuse a prefix longer than the address; the methods treat one
/// built by hand that way as the full length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// `addr/prefix`, or an error if the prefix is too long for the family.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Cidr, ParseError> {
        let max = max_prefix(addr);
        if prefix > max {
            return Err(ParseError {
                kind: ParseErrorKind::OutOfRange,
                message: format!("prefix length /{prefix} is longer than /{max} for {addr}"),
                hint: format!("use a prefix length of 0 to {max}"),
            });
        }
        Ok(Cidr { addr, prefix })
    }

    /// A single address as a host route (`/32` or `/128`).
    pub fn host(addr: IpAddr) -> Cidr {
        Cidr {
            addr,
            prefix: max_prefix(addr),
        }
    }

    /// `0.0.0.0/0` or `::/0`: every address of a family (`default`).
    pub fn unspecified(ipv6: bool) -> Cidr {
        let addr = if ipv6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        };
        Cidr { addr, prefix: 0 }
    }

    /// Whether this is IPv6.
    pub fn is_ipv6(&self) -> bool {
        self.addr.is_ipv6()
    }

    /// Address bits: 32 or 128.
    pub fn max_prefix(&self) -> u8 {
        max_prefix(self.addr)
    }

    /// The subnet, host bits cleared (`10.0.0.0/24` for `10.0.0.1/24`).
    pub fn network(&self) -> Cidr {
        Cidr {
            addr: from_bits(self.addr, to_bits(self.addr) & self.mask()),
            prefix: self.prefix,
        }
    }

    /// Whether `ip` lies in this subnet (different families never do).
    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv6() == self.addr.is_ipv6()
            && to_bits(ip) & self.mask() == to_bits(self.addr) & self.mask()
    }

    /// Whether the two subnets share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        if self.is_ipv6() != other.is_ipv6() {
            return false;
        }
        let p = self.prefix.min(other.prefix);
        let mask = mask(self.addr, p);
        to_bits(self.addr) & mask == to_bits(other.addr) & mask
    }

    /// Number of addresses in the subnet, saturating.
    pub fn size(&self) -> u128 {
        let host_bits = u32::from(self.max_prefix().saturating_sub(self.prefix));
        1u128.checked_shl(host_bits).unwrap_or(u128::MAX)
    }

    /// The `n`th address of the subnet (0 is the network address), if the
    /// subnet has it.
    pub fn nth(&self, n: u128) -> Option<IpAddr> {
        if n >= self.size() {
            return None;
        }
        Some(from_bits(self.addr, (to_bits(self.addr) & self.mask()) | n))
    }

    /// The index of `ip` in the subnet (0 is the network address), if it
    /// lies in it; the inverse of [`Cidr::nth`].
    pub fn index_of(&self, ip: IpAddr) -> Option<u128> {
        self.contains(ip).then(|| to_bits(ip) & !self.mask())
    }

    /// Whether `ip` can be given to a host: in the subnet, and for IPv4
    /// prefixes up to /30, neither the network nor the broadcast address;
    /// for IPv6 not the subnet-router anycast address (all host bits zero).
    pub fn is_host_address(&self, ip: IpAddr) -> bool {
        if !self.contains(ip) {
            return false;
        }
        let host = to_bits(ip) & !self.mask();
        let last = self.size() - 1;
        match ip {
            IpAddr::V4(_) if self.prefix >= 31 => true,
            IpAddr::V4(_) => host != 0 && host != last,
            IpAddr::V6(_) if self.prefix >= 127 => true,
            IpAddr::V6(_) => host != 0,
        }
    }

    /// The first address that [`Cidr::is_host_address`] accepts.
    pub fn first_host(&self) -> Option<IpAddr> {
        (0..self.size().min(2))
            .filter_map(|n| self.nth(n))
            .find(|ip| self.is_host_address(*ip))
    }

    /// `ip` with this subnet's prefix length.
    pub fn with_addr(&self, ip: IpAddr) -> Cidr {
        Cidr {
            addr: ip,
            prefix: self.prefix,
        }
    }

    /// The address with host bits cleared, network byte order (4 or 16
    /// bytes).
    pub fn network_bytes(&self) -> Vec<u8> {
        octets(self.network().addr)
    }

    /// The prefix as a byte mask, network byte order (4 or 16 bytes).
    pub fn mask_bytes(&self) -> Vec<u8> {
        let len = usize::from(self.max_prefix() / 8);
        let mut bits = usize::from(self.prefix.min(self.max_prefix()));
        (0..len)
            .map(|_| {
                let take = bits.min(8);
                bits -= take;
                // take in 0..=8: shift a 16-bit value to avoid overflow at 8.
                (0xff00u16 >> take) as u8
            })
            .collect()
    }

    fn mask(&self) -> u128 {
        mask(self.addr, self.prefix)
    }
}

fn max_prefix(ip: IpAddr) -> u8 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}

fn mask(ip: IpAddr, prefix: u8) -> u128 {
    let bits = u32::from(max_prefix(ip));
    let all = if bits == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    let host = u32::from(max_prefix(ip) - prefix.min(max_prefix(ip)));
    let host_mask = 1u128.checked_shl(host).map(|v| v - 1).unwrap_or(u128::MAX);
    all & !host_mask
}

fn to_bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn from_bits(like: IpAddr, bits: u128) -> IpAddr {
    match like {
        // Masked to 32 bits first, so the cast keeps every bit.
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from((bits & 0xffff_ffff) as u32)),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(bits)),
    }
}

fn octets(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

impl FromStr for Cidr {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Cidr, ParseError> {
        let invalid = |message: String| ParseError {
            kind: ParseErrorKind::Invalid,
            message,
            hint: "write an address with its prefix length, like 10.0.0.1/24 or fd00::1/64".into(),
        };
        let Some((a, p)) = s.split_once('/') else {
            return Err(invalid(format!("`{s}` has no prefix length")));
        };
        let addr: IpAddr = a
            .parse()
            .map_err(|_| invalid(format!("`{a}` is not an IP address")))?;
        let prefix: u8 = match p.parse::<u32>() {
            Ok(v) => u8::try_from(v).unwrap_or(u8::MAX),
            Err(_) => return Err(invalid(format!("`{p}` is not a prefix length"))),
        };
        Cidr::new(addr, prefix)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_keeps_host_bits() {
        let c: Cidr = "10.0.0.1/24".parse().unwrap();
        assert_eq!(c.addr, ip("10.0.0.1"));
        assert_eq!(c.prefix, 24);
        assert_eq!(c.network().to_string(), "10.0.0.0/24");
        assert_eq!(c.to_string(), "10.0.0.1/24");
        assert!(c.contains(ip("10.0.0.200")));
        assert!(!c.contains(ip("10.0.1.1")));
        assert!(!c.contains(ip("::1")));
    }

    #[test]
    fn cidr_prefix_limits() {
        assert!("10.0.0.1/32".parse::<Cidr>().is_ok());
        let too_long = |s: &str| s.parse::<Cidr>().unwrap_err().kind;
        assert_eq!(too_long("10.0.0.1/33"), ParseErrorKind::OutOfRange);
        assert!("fd00::1/128".parse::<Cidr>().is_ok());
        assert_eq!(too_long("fd00::1/129"), ParseErrorKind::OutOfRange);
        assert_eq!(too_long("fd00::1/999"), ParseErrorKind::OutOfRange);
        assert_eq!(too_long("10.0.0.1"), ParseErrorKind::Invalid);
        assert_eq!(too_long("10.0.0/8"), ParseErrorKind::Invalid);
    }

    #[test]
    fn cidr_overlap_and_hosts() {
        let a: Cidr = "172.17.0.0/16".parse().unwrap();
        let b: Cidr = "172.17.5.0/24".parse().unwrap();
        let c: Cidr = "172.18.0.0/16".parse().unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c));
        assert_eq!(a.first_host(), Some(ip("172.17.0.1")));
        assert!(!a.is_host_address(ip("172.17.255.255")));
        assert!(!a.is_host_address(ip("172.17.0.0")));
        let p2p: Cidr = "10.0.0.0/31".parse().unwrap();
        assert_eq!(p2p.first_host(), Some(ip("10.0.0.0")));
        let v6: Cidr = "fd00:17::/64".parse().unwrap();
        assert_eq!(v6.first_host(), Some(ip("fd00:17::1")));
        assert_eq!(v6.nth(5), Some(ip("fd00:17::5")));
    }

    #[test]
    fn bytes_for_the_wire() {
        let c: Cidr = "172.17.3.4/12".parse().unwrap();
        assert_eq!(c.mask_bytes(), [255, 240, 0, 0]);
        assert_eq!(c.network_bytes(), [172, 16, 0, 0]);
        let all: Cidr = "::/0".parse().unwrap();
        assert_eq!(all.mask_bytes(), [0; 16]);
    }

    #[test]
    fn a_prefix_built_too_long_counts_as_full() {
        let c = Cidr {
            addr: ip("10.0.0.1"),
            prefix: 40,
        };
        assert_eq!(c.size(), 1);
        assert!(c.contains(ip("10.0.0.1")));
        assert!(!c.contains(ip("10.0.0.2")));
    }

    #[test]
    fn serde_form_is_addr_and_prefix() {
        // state.json stores addresses this way; records written before the
        // types were shared must still read.
        let c: Cidr = "fd00::1/64".parse().unwrap();
        let j = serde_json::to_string(&c).unwrap();
        assert_eq!(j, r#"{"addr":"fd00::1","prefix":64}"#);
        assert_eq!(serde_json::from_str::<Cidr>(&j).unwrap(), c);
    }
}
