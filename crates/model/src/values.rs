//! Network values: VLAN id, VNI, MTU, port, CIDR, MAC address, protocols.
//! Each checks its range once, on construction.

use crate::limits;
use crate::problem::{ProblemKind, ValueError};
use std::fmt;
use std::str::FromStr;

pub use nslab_types::{Cidr, Proto};

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

// The ranges are the kernel's, from `crate::limits` (in range of the
// integer types by construction: a test compares them).
int_newtype!(
    /// An 802.1Q VLAN id, 1–4094 (0 and 4095 are reserved).
    VlanId(u16), limits::VLAN_ID.min as u16, limits::VLAN_ID.max as u16, "VLAN id", "VLAN ids are 1 to 4094"
);
int_newtype!(
    /// A VXLAN network identifier, below 2^24.
    Vni(u32), limits::VNI.min as u32, limits::VNI.max as u32, "VNI", "a VNI is 24 bits: 0 to 16777215"
);
int_newtype!(
    /// An MTU the kernel accepts on Ethernet-like devices: 68–65535.
    Mtu(u32), limits::MTU.min as u32, limits::MTU.max as u32, "MTU", "an MTU is 68 to 65535 (1280 or more for IPv6; a tap's at most 65521)"
);
int_newtype!(
    /// A TCP or UDP port, 1–65535.
    Port(u16), limits::NAT_PORT.min as u16, limits::NAT_PORT.max as u16, "port", "ports are 1 to 65535"
);

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

#[cfg(test)]
mod tests {
    use super::*;

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
