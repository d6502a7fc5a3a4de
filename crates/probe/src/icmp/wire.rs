//! ICMP and ICMPv6 echo messages as bytes (RFC 792, RFC 4443): building
//! requests, and reading what comes back into [`Incoming`]. Pure; no I/O.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const V4_ECHO_REPLY: u8 = 0;
const V4_DEST_UNREACH: u8 = 3;
const V4_ECHO_REQUEST: u8 = 8;
const V4_TIME_EXCEEDED: u8 = 11;
const V4_PARAM_PROBLEM: u8 = 12;
const V6_DEST_UNREACH: u8 = 1;
const V6_PACKET_TOO_BIG: u8 = 2;
const V6_TIME_EXCEEDED: u8 = 3;
const V6_PARAM_PROBLEM: u8 = 4;
const V6_ECHO_REQUEST: u8 = 128;
const V6_ECHO_REPLY: u8 = 129;
const IPPROTO_ICMP: u8 = 1;
const IPPROTO_ICMPV6: u8 = 58;
const IPV6_HEADER_LEN: usize = 40;

/// The Internet checksum (RFC 1071): one's complement of the one's
/// complement sum of 16-bit big-endian words, odd byte padded with zero.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request. For IPv4 the checksum is filled in; for ICMPv6 it is
/// left zero because it covers a pseudo-header and the kernel computes it
/// on raw ICMPv6 sockets (RFC 3542 section 3.1).
pub fn echo_request(v6: bool, ident: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let kind = if v6 { V6_ECHO_REQUEST } else { V4_ECHO_REQUEST };
    let mut pkt = Vec::with_capacity(8 + payload.len());
    pkt.extend_from_slice(&[kind, 0, 0, 0]);
    pkt.extend_from_slice(&ident.to_be_bytes());
    pkt.extend_from_slice(&seq.to_be_bytes());
    pkt.extend_from_slice(payload);
    if !v6 {
        let sum = checksum(&pkt);
        pkt[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    pkt
}

/// What an incoming ICMP message means to a pinger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming<'a> {
    /// An echo reply from `from`.
    EchoReply {
        from: IpAddr,
        ident: u16,
        seq: u16,
        payload: &'a [u8],
    },
    /// An error from `from` about an echo request we sent to `to`.
    Error {
        from: IpAddr,
        to: IpAddr,
        ident: u16,
        seq: u16,
        reason: String,
    },
    /// Anything else: other ICMP types, other protocols, truncated data.
    Other,
}

/// Reads a packet from a raw IPv4 ICMP socket (which includes the IP
/// header).
pub fn parse_v4(packet: &[u8]) -> Incoming<'_> {
    let Some((src, _dst, icmp)) = split_ipv4(packet) else {
        return Incoming::Other;
    };
    let Some((kind, code, ident, seq, payload)) = split_icmp(icmp) else {
        return Incoming::Other;
    };
    let from = IpAddr::V4(src);
    let reason = match kind {
        V4_ECHO_REPLY => {
            return Incoming::EchoReply {
                from,
                ident,
                seq,
                payload,
            }
        }
        V4_DEST_UNREACH => v4_unreach_reason(code),
        V4_TIME_EXCEEDED if code == 1 => "Frag reassembly time exceeded".to_string(),
        V4_TIME_EXCEEDED => "Time to live exceeded".to_string(),
        V4_PARAM_PROBLEM => "Parameter problem".to_string(),
        _ => return Incoming::Other,
    };
    // The error quotes our datagram: its IP header, then at least 8 bytes.
    let Some((_, to, quoted)) = split_ipv4(&icmp[8..]) else {
        return Incoming::Other;
    };
    match split_icmp(quoted) {
        Some((V4_ECHO_REQUEST, _, ident, seq, _)) => Incoming::Error {
            from,
            to: IpAddr::V4(to),
            ident,
            seq,
            reason,
        },
        _ => Incoming::Other,
    }
}

/// Reads a message from a raw ICMPv6 socket (no IPv6 header; the sender
/// comes from `recvfrom`).
pub fn parse_v6(from: Ipv6Addr, icmp: &[u8]) -> Incoming<'_> {
    let Some((kind, code, ident, seq, payload)) = split_icmp(icmp) else {
        return Incoming::Other;
    };
    let from = IpAddr::V6(from);
    let reason = match kind {
        V6_ECHO_REPLY => {
            return Incoming::EchoReply {
                from,
                ident,
                seq,
                payload,
            }
        }
        V6_DEST_UNREACH => v6_unreach_reason(code),
        V6_PACKET_TOO_BIG => "Packet too big".to_string(),
        V6_TIME_EXCEEDED => "Time exceeded: Hop limit".to_string(),
        V6_PARAM_PROBLEM => "Parameter problem".to_string(),
        _ => return Incoming::Other,
    };
    let quoted = &icmp[8..];
    if quoted.len() < IPV6_HEADER_LEN + 8 || quoted[0] >> 4 != 6 || quoted[6] != IPPROTO_ICMPV6 {
        return Incoming::Other;
    }
    let mut to = [0u8; 16];
    to.copy_from_slice(&quoted[24..40]);
    match split_icmp(&quoted[IPV6_HEADER_LEN..]) {
        Some((V6_ECHO_REQUEST, _, ident, seq, _)) => Incoming::Error {
            from,
            to: IpAddr::V6(Ipv6Addr::from(to)),
            ident,
            seq,
            reason,
        },
        _ => Incoming::Other,
    }
}

/// (source, destination, ICMP bytes) of an IPv4 packet carrying ICMP.
fn split_ipv4(packet: &[u8]) -> Option<(Ipv4Addr, Ipv4Addr, &[u8])> {
    let first = *packet.first()?;
    let ihl = usize::from(first & 0x0f) * 4;
    if first >> 4 != 4 || ihl < 20 || packet.len() < ihl || packet[9] != IPPROTO_ICMP {
        return None;
    }
    let src = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
    let dst = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
    Some((src, dst, &packet[ihl..]))
}

/// (type, code, identifier, sequence, payload) of an ICMP echo-shaped
/// header; for errors the last two fields are unused.
fn split_icmp(icmp: &[u8]) -> Option<(u8, u8, u16, u16, &[u8])> {
    if icmp.len() < 8 {
        return None;
    }
    let ident = u16::from_be_bytes([icmp[4], icmp[5]]);
    let seq = u16::from_be_bytes([icmp[6], icmp[7]]);
    Some((icmp[0], icmp[1], ident, seq, &icmp[8..]))
}

/// The texts `ping` (iputils) prints for ICMP destination unreachable.
pub(crate) fn v4_unreach_reason(code: u8) -> String {
    match code {
        0 => "Destination Net Unreachable",
        1 => "Destination Host Unreachable",
        2 => "Destination Protocol Unreachable",
        3 => "Destination Port Unreachable",
        4 => "Frag needed",
        5 => "Source Route Failed",
        6 => "Destination Net Unknown",
        7 => "Destination Host Unknown",
        9 => "Destination Net Prohibited",
        10 => "Destination Host Prohibited",
        13 => "Communication prohibited by filter",
        other => return format!("Destination Unreachable, code {other}"),
    }
    .to_string()
}

pub(crate) fn v6_unreach_reason(code: u8) -> String {
    let what = match code {
        0 => "No route",
        1 => "Administratively prohibited",
        2 => "Beyond scope of source address",
        3 => "Address unreachable",
        4 => "Unreachable port",
        5 => "Source address failed ingress/egress policy",
        6 => "Reject route to destination",
        other => return format!("Destination unreachable: code {other}"),
    };
    format!("Destination unreachable: {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_rfc1071_example() {
        // RFC 1071 section 3: the sum of these words is 0xddf2.
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            !0xddf2
        );
        // Odd length: the last byte is the high half of a word.
        assert_eq!(checksum(&[0x01]), !0x0100);
        assert_eq!(checksum(&[]), 0xffff);
    }

    #[test]
    fn v4_echo_request_bytes() {
        let pkt = echo_request(false, 0x1234, 1, b"ab");
        assert_eq!(&pkt[..2], &[8, 0]);
        assert_eq!(&pkt[4..8], &[0x12, 0x34, 0x00, 0x01]);
        assert_eq!(&pkt[8..], b"ab");
        // A packet with a correct checksum sums to zero.
        assert_eq!(checksum(&pkt), 0);
        // Known value: words 0x0800 + 0x1234 + 0x0001 + 0x6162 = 0x7b97.
        assert_eq!(u16::from_be_bytes([pkt[2], pkt[3]]), !0x7b97);
    }

    #[test]
    fn v6_echo_request_leaves_checksum_to_kernel() {
        let pkt = echo_request(true, 7, 9, b"x");
        assert_eq!(pkt, [128, 0, 0, 0, 0, 7, 0, 9, b'x']);
    }

    fn ipv4_header(src: [u8; 4], dst: [u8; 4], proto: u8) -> Vec<u8> {
        let mut h = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0];
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        h
    }

    #[test]
    fn v4_echo_reply_is_recognised() {
        let mut pkt = ipv4_header([127, 0, 0, 1], [127, 0, 0, 1], IPPROTO_ICMP);
        let mut reply = echo_request(false, 0xbeef, 3, b"payload");
        reply[0] = V4_ECHO_REPLY;
        pkt.extend_from_slice(&reply);
        assert_eq!(
            parse_v4(&pkt),
            Incoming::EchoReply {
                from: "127.0.0.1".parse().unwrap(),
                ident: 0xbeef,
                seq: 3,
                payload: b"payload"
            }
        );
    }

    #[test]
    fn v4_host_unreachable_names_the_quoted_request() {
        let mut pkt = ipv4_header([10, 0, 0, 1], [10, 0, 0, 1], IPPROTO_ICMP);
        pkt.extend_from_slice(&[V4_DEST_UNREACH, 1, 0, 0, 0, 0, 0, 0]);
        pkt.extend_from_slice(&ipv4_header([10, 0, 0, 1], [10, 0, 0, 9], IPPROTO_ICMP));
        pkt.extend_from_slice(&echo_request(false, 42, 5, b""));
        assert_eq!(
            parse_v4(&pkt),
            Incoming::Error {
                from: "10.0.0.1".parse().unwrap(),
                to: "10.0.0.9".parse().unwrap(),
                ident: 42,
                seq: 5,
                reason: "Destination Host Unreachable".into()
            }
        );
    }

    #[test]
    fn v4_other_packets_are_ignored() {
        // Our own echo request, seen on loopback.
        let mut pkt = ipv4_header([127, 0, 0, 1], [127, 0, 0, 1], IPPROTO_ICMP);
        pkt.extend_from_slice(&echo_request(false, 1, 1, b""));
        assert_eq!(parse_v4(&pkt), Incoming::Other);
        // An error about a UDP datagram, not about an echo request.
        let mut pkt = ipv4_header([10, 0, 0, 1], [10, 0, 0, 2], IPPROTO_ICMP);
        pkt.extend_from_slice(&[V4_DEST_UNREACH, 3, 0, 0, 0, 0, 0, 0]);
        pkt.extend_from_slice(&ipv4_header([10, 0, 0, 2], [10, 0, 0, 1], 17));
        pkt.extend_from_slice(&[0; 8]);
        assert_eq!(parse_v4(&pkt), Incoming::Other);
        // Truncated.
        assert_eq!(parse_v4(&pkt[..22]), Incoming::Other);
        assert_eq!(parse_v4(&[]), Incoming::Other);
    }

    #[test]
    fn v6_echo_reply_and_address_unreachable() {
        let from: Ipv6Addr = "fd00::1".parse().unwrap();
        let mut reply = echo_request(true, 9, 2, b"p");
        reply[0] = V6_ECHO_REPLY;
        assert_eq!(
            parse_v6(from, &reply),
            Incoming::EchoReply {
                from: from.into(),
                ident: 9,
                seq: 2,
                payload: b"p"
            }
        );

        let to: Ipv6Addr = "fd00::9".parse().unwrap();
        let mut err = vec![V6_DEST_UNREACH, 3, 0, 0, 0, 0, 0, 0];
        let mut ip6 = vec![0x60, 0, 0, 0, 0, 8, IPPROTO_ICMPV6, 64];
        ip6.extend_from_slice(&from.octets());
        ip6.extend_from_slice(&to.octets());
        err.extend_from_slice(&ip6);
        err.extend_from_slice(&echo_request(true, 9, 4, b""));
        assert_eq!(
            parse_v6(from, &err),
            Incoming::Error {
                from: from.into(),
                to: to.into(),
                ident: 9,
                seq: 4,
                reason: "Destination unreachable: Address unreachable".into()
            }
        );
        // Neighbour solicitation (135) is not for us.
        assert_eq!(parse_v6(from, &[135, 0, 0, 0, 0, 0, 0, 0]), Incoming::Other);
    }
}
