//! Network values: VLAN id, VNI, MTU, port, CIDR, MAC address, protocols.
//! Each checks its range once, on construction.

use crate::problem::{ProblemKind, ValueError};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

macro_rules! int_newtype {
    ($(#[$m:meta])* $name:ident($int:ty), $min:expr, $max:expr, $what:expr, $hint:expr) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($int);

        impl $name {
            /// Smallest valid value.
            pub const MIN: $int = $min;
            /// Largest valid value.
            pub const MAX: $int = $max;

            /// The value as a number.
            pub fn get(self) -> $int {
                self.0
            }
        }

        impl TryFrom<u64> for $name {
            type Error = ValueError;
            fn try_from(v: u64) -> Result<Self, ValueError> {
                if v < u64::from($min) || v > u64::from($max) {
                    return Err(ValueError::new(
                        ProblemKind::OutOfRange,
                        format!("{} {v} is out of range {}..={}", $what, $min, $max),
                        $hint,
                    ));
                }
                // In range, so it fits.
                Ok($name(v as $int))
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, ValueError> {
                let v: u64 = s.trim().parse().map_err(|_| {
                    ValueError::new(
                        ProblemKind::WrongType,
                        format!("{} `{s}` is not a number", $what),
                        $hint,
                    )
                })?;
                $name::try_from(v)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for $int {
            fn from(v: $name) -> $int {
                v.0
            }
        }
    };
}

int_newtype!(
    /// An 802.1Q VLAN id, 1–4094 (0 and 4095 are reserved).
    VlanId(u16), 1u16, 4094u16, "VLAN id", "VLAN ids are 1 to 4094"
);
int_newtype!(
    /// A VXLAN network identifier, below 2^24.
    Vni(u32), 0u32, 0xff_ffffu32, "VNI", "a VNI is 24 bits: 0 to 16777215"
);
int_newtype!(
    /// An MTU the kernel accepts on Ethernet-like devices: 68–65535.
    Mtu(u32), 68u32, 65535u32, "MTU", "an MTU is 68 to 65535 (1280 or more for IPv6)"
);
int_newtype!(
    /// A TCP or UDP port, 1–65535.
    Port(u16), 1u16, 65535u16, "port", "ports are 1 to 65535"
);

/// An address with its prefix length. Host bits are kept: `10.0.0.1/24`
/// is the address 10.0.0.1 on the subnet 10.0.0.0/24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `addr/prefix`, or an error if the prefix is too long for the family.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Cidr, ValueError> {
        let max = max_prefix(addr);
        if prefix > max {
            return Err(ValueError::new(
                ProblemKind::OutOfRange,
                format!("prefix length /{prefix} is longer than /{max} for {addr}"),
                format!("use a prefix length of 0 to {max}"),
            ));
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

    /// The address, host bits kept.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether this is IPv6.
    pub fn is_ipv6(&self) -> bool {
        self.addr.is_ipv6()
    }

    /// The subnet, host bits cleared (`10.0.0.0/24` for `10.0.0.1/24`).
    pub fn network(&self) -> Cidr {
        Cidr {
            addr: from_bits(self.addr, to_bits(self.addr) & self.mask()),
            prefix: self.prefix,
        }
    }

    /// Whether `ip` lies in this subnet.
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
        let host_bits = u32::from(max_prefix(self.addr) - self.prefix);
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

impl FromStr for Cidr {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Cidr, ValueError> {
        let hint = "write an address with its prefix length, like 10.0.0.1/24 or fd00::1/64";
        let Some((a, p)) = s.split_once('/') else {
            return Err(ValueError::new(
                ProblemKind::InvalidValue,
                format!("`{s}` has no prefix length"),
                hint,
            ));
        };
        let addr: IpAddr = a.parse().map_err(|_| {
            ValueError::new(
                ProblemKind::InvalidValue,
                format!("`{a}` is not an IP address"),
                hint,
            )
        })?;
        let prefix: u8 = match p.parse::<u32>() {
            Ok(v) => u8::try_from(v).unwrap_or(u8::MAX),
            Err(_) => {
                return Err(ValueError::new(
                    ProblemKind::InvalidValue,
                    format!("`{p}` is not a prefix length"),
                    hint,
                ))
            }
        };
        Cidr::new(addr, prefix)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A unicast Ethernet address (the multicast bit of the first byte clear,
/// not all zeros) — the kernel rejects others for a device address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MacAddr([u8; 6]);

impl MacAddr {
    /// The six bytes.
    pub fn octets(&self) -> [u8; 6] {
        self.0
    }
}

impl TryFrom<[u8; 6]> for MacAddr {
    type Error = ValueError;
    fn try_from(b: [u8; 6]) -> Result<MacAddr, ValueError> {
        let hint =
            "use a unicast address: the lowest bit of the first byte clear, like 02:00:00:00:00:01";
        if b[0] & 1 != 0 {
            return Err(ValueError::new(
                ProblemKind::InvalidValue,
                format!("{} is a multicast address", MacAddr(b)),
                hint,
            ));
        }
        if b == [0; 6] {
            return Err(ValueError::new(
                ProblemKind::InvalidValue,
                "00:00:00:00:00:00 is not a valid device address",
                hint,
            ));
        }
        Ok(MacAddr(b))
    }
}

impl FromStr for MacAddr {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<MacAddr, ValueError> {
        let bad = || {
            ValueError::new(
                ProblemKind::InvalidValue,
                format!("`{s}` is not a MAC address"),
                "write six hex bytes separated by `:`, like 02:00:00:00:00:01",
            )
        };
        let mut b = [0u8; 6];
        let mut parts = s.split(':');
        for byte in &mut b {
            let p = parts.next().ok_or_else(bad)?;
            if p.is_empty() || p.len() > 2 {
                return Err(bad());
            }
            *byte = u8::from_str_radix(p, 16).map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        MacAddr::try_from(b)
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// A transport protocol for services, NAT forwards and published ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Proto {
    /// TCP (the default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
}

impl FromStr for Proto {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Proto, ValueError> {
        match s {
            "tcp" => Ok(Proto::Tcp),
            "udp" => Ok(Proto::Udp),
            _ => Err(ValueError::new(
                ProblemKind::InvalidValue,
                format!("`{s}` is not a protocol"),
                "use tcp or udp",
            )),
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn vlan_id_range() {
        assert_eq!("1".parse::<VlanId>().unwrap().get(), 1);
        assert_eq!("4094".parse::<VlanId>().unwrap().get(), 4094);
        assert_eq!(
            "0".parse::<VlanId>().unwrap_err().kind,
            ProblemKind::OutOfRange
        );
        assert_eq!(
            "4095".parse::<VlanId>().unwrap_err().kind,
            ProblemKind::OutOfRange
        );
        assert_eq!(
            "x".parse::<VlanId>().unwrap_err().kind,
            ProblemKind::WrongType
        );
    }

    #[test]
    fn vni_range() {
        assert!(Vni::try_from(0xff_ffff).is_ok());
        assert_eq!(
            Vni::try_from(1 << 24).unwrap_err().kind,
            ProblemKind::OutOfRange
        );
    }

    #[test]
    fn mtu_range() {
        assert!(Mtu::try_from(68).is_ok());
        assert!(Mtu::try_from(9000).is_ok());
        assert!(Mtu::try_from(67).is_err());
        assert!(Mtu::try_from(65536).is_err());
    }

    #[test]
    fn port_range() {
        assert!(Port::try_from(0).is_err());
        assert_eq!(Port::try_from(65535).unwrap().get(), 65535);
        assert!(Port::try_from(65536).is_err());
    }

    #[test]
    fn cidr_keeps_host_bits() {
        let c: Cidr = "10.0.0.1/24".parse().unwrap();
        assert_eq!(c.addr(), ip("10.0.0.1"));
        assert_eq!(c.prefix(), 24);
        assert_eq!(c.network().to_string(), "10.0.0.0/24");
        assert_eq!(c.to_string(), "10.0.0.1/24");
        assert!(c.contains(ip("10.0.0.200")));
        assert!(!c.contains(ip("10.0.1.1")));
        assert!(!c.contains(ip("::1")));
    }

    #[test]
    fn cidr_prefix_limits() {
        assert!("10.0.0.1/32".parse::<Cidr>().is_ok());
        assert_eq!(
            "10.0.0.1/33".parse::<Cidr>().unwrap_err().kind,
            ProblemKind::OutOfRange
        );
        assert!("fd00::1/128".parse::<Cidr>().is_ok());
        assert_eq!(
            "fd00::1/129".parse::<Cidr>().unwrap_err().kind,
            ProblemKind::OutOfRange
        );
        assert_eq!(
            "fd00::1/999".parse::<Cidr>().unwrap_err().kind,
            ProblemKind::OutOfRange
        );
        assert_eq!(
            "10.0.0.1".parse::<Cidr>().unwrap_err().kind,
            ProblemKind::InvalidValue
        );
        assert_eq!(
            "10.0.0/8".parse::<Cidr>().unwrap_err().kind,
            ProblemKind::InvalidValue
        );
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
    fn mac_unicast_only() {
        let m: MacAddr = "02:00:00:aa:bb:0c".parse().unwrap();
        assert_eq!(m.to_string(), "02:00:00:aa:bb:0c");
        assert_eq!(
            "01:00:5e:00:00:01".parse::<MacAddr>().unwrap_err().kind,
            ProblemKind::InvalidValue
        );
        assert!("00:00:00:00:00:00".parse::<MacAddr>().is_err());
        assert!("02:00:00:aa:bb".parse::<MacAddr>().is_err());
        assert!("02:00:00:aa:bb:0c:0d".parse::<MacAddr>().is_err());
        assert!("02:00:00:aa:bb:zz".parse::<MacAddr>().is_err());
    }
}
