//! `RTM_GETNETCONF`: a namespace's `all` forwarding switches over netlink
//! (uapi/linux/netconf.h), so that reading `net.ipv4.ip_forward` or
//! `net.ipv6.conf.all.forwarding` costs no path lookup under /proc/sys —
//! where every component walks one dentry per namespace on the machine.

use super::Socket;
use crate::error::{Error, Op};
use crate::types::Family;
use crate::wire::Kind;

const RTM_NEWNETCONF: u16 = 80;
const RTM_GETNETCONF: u16 = 82;
const NETCONFA_IFINDEX: u16 = 1;
const NETCONFA_FORWARDING: u16 = 2;
/// `NETCONFA_IFINDEX_ALL`: the namespace's `all` settings.
const IFINDEX_ALL: i32 = -1;
/// `NETCONFA_IFINDEX_DEFAULT`: what new interfaces start with.
const IFINDEX_DEFAULT: i32 = -2;
const NLM_F_REQUEST: u16 = 1;

/// The request's bytes: header, `struct netconfmsg` (one byte, padded to
/// four) and `NETCONFA_IFINDEX`.
pub(crate) fn request(family: Family, ifindex: i32, seq: u32) -> Vec<u8> {
    let af = match family {
        Family::V4 => libc::AF_INET,
        Family::V6 => libc::AF_INET6,
    };
    let mut b = Vec::with_capacity(28);
    b.extend_from_slice(&28u32.to_ne_bytes());
    b.extend_from_slice(&RTM_GETNETCONF.to_ne_bytes());
    b.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes());
    b.extend_from_slice(&[af as u8, 0, 0, 0]);
    b.extend_from_slice(&8u16.to_ne_bytes());
    b.extend_from_slice(&NETCONFA_IFINDEX.to_ne_bytes());
    b.extend_from_slice(&ifindex.to_ne_bytes());
    b
}

/// `NETCONFA_FORWARDING` of an `RTM_NEWNETCONF` payload (after the
/// netlink header).
pub(crate) fn forwarding_of(payload: &[u8]) -> Option<u32> {
    let mut rest = payload.get(4..)?;
    while rest.len() >= 4 {
        let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
        let ty = u16::from_ne_bytes([rest[2], rest[3]]) & 0x3fff;
        if len < 4 || len > rest.len() {
            return None;
        }
        if ty == NETCONFA_FORWARDING && len >= 8 {
            return Some(u32::from_ne_bytes([rest[4], rest[5], rest[6], rest[7]]));
        }
        rest = rest.get((len + 3) & !3..).unwrap_or(&[]);
    }
    None
}

impl Socket {
    /// The namespace's `all` forwarding switch for `family` (for IPv4
    /// the same as `net.ipv4.ip_forward`), as the sysctl reads.
    pub fn forwarding(&mut self, family: Family) -> Result<u32, Error> {
        self.netconf_forwarding(family, IFINDEX_ALL)
    }

    /// The `default` forwarding switch for `family` (what interfaces made
    /// from now on start with).
    pub fn default_forwarding(&mut self, family: Family) -> Result<u32, Error> {
        self.netconf_forwarding(family, IFINDEX_DEFAULT)
    }

    fn netconf_forwarding(&mut self, family: Family, ifindex: i32) -> Result<u32, Error> {
        let op = Op::GetNetconf;
        let seq = self.next_seq();
        self.exchange(&request(family, ifindex, seq), seq, op, |kind| match kind {
            Kind::Data(m) if m.ty == RTM_NEWNETCONF => Some(
                forwarding_of(m.payload())
                    .ok_or_else(|| Error::decode(op, "no NETCONFA_FORWARDING")),
            ),
            Kind::Ack(ack) | Kind::Done(ack) => Some(match ack.into_result(op) {
                Ok(()) => Err(Error::decode(op, "no RTM_NEWNETCONF reply")),
                Err(e) => Err(e),
            }),
            Kind::Ignore => None,
            Kind::Data(_) | Kind::Malformed => Some(Err(Error::decode(op, "unexpected reply"))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_a_netconfmsg_with_ifindex_all() {
        let b = request(Family::V6, IFINDEX_ALL, 7);
        assert_eq!(b.len(), 28);
        assert_eq!(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]), 28);
        assert_eq!(u16::from_ne_bytes([b[4], b[5]]), RTM_GETNETCONF);
        assert_eq!(u32::from_ne_bytes([b[8], b[9], b[10], b[11]]), 7);
        assert_eq!(b[16], libc::AF_INET6 as u8);
        assert_eq!(&b[20..24], &[8, 0, 1, 0]);
        assert_eq!(i32::from_ne_bytes([b[24], b[25], b[26], b[27]]), -1);
    }

    #[test]
    fn forwarding_is_found_among_the_attributes() {
        // family, then IFINDEX -1, FORWARDING 1, RP_FILTER 2.
        let mut p = vec![2, 0, 0, 0];
        for (ty, v) in [(1u16, u32::MAX), (2, 1), (3, 2)] {
            p.extend_from_slice(&8u16.to_ne_bytes());
            p.extend_from_slice(&ty.to_ne_bytes());
            p.extend_from_slice(&v.to_ne_bytes());
        }
        assert_eq!(forwarding_of(&p), Some(1));
        assert_eq!(forwarding_of(&p[..12]), None);
        assert_eq!(forwarding_of(&[2, 0, 0, 0, 3, 0]), None);
    }
}
