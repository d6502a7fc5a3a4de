//! Walking the netlink messages packed in one received datagram
//! (uapi/linux/netlink.h: `struct nlmsghdr`, `NLMSG_ALIGN`).

use netlink_packet_core::{NetlinkMessage, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN};
use netlink_packet_route::RouteNetlinkMessage;

use crate::error::{parse_ack, parse_done, Ack};

const NLMSG_HDRLEN: usize = 16;

/// One message of a datagram, header decoded, payload raw.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Raw<'a> {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    /// The whole message, header included.
    pub bytes: &'a [u8],
}

impl<'a> Raw<'a> {
    pub fn payload(&self) -> &'a [u8] {
        &self.bytes[NLMSG_HDRLEN..]
    }

    /// What the message says, as far as the caller cares.
    pub fn kind(&self) -> Kind<'a> {
        match self.ty {
            NLMSG_ERROR => match parse_ack(self.flags, self.payload()) {
                Some(ack) => Kind::Ack(ack),
                None => Kind::Malformed,
            },
            NLMSG_DONE => Kind::Done(parse_done(self.flags, self.payload())),
            NLMSG_NOOP | NLMSG_OVERRUN => Kind::Ignore,
            _ => Kind::Data(*self),
        }
    }

    /// Decodes a route-family message.
    pub fn decode(&self) -> Result<RouteNetlinkMessage, String> {
        let msg = NetlinkMessage::<RouteNetlinkMessage>::deserialize(self.bytes)
            .map_err(|e| e.to_string())?;
        match msg.payload {
            netlink_packet_core::NetlinkPayload::InnerMessage(inner) => Ok(inner),
            other => Err(format!("unexpected payload {other:?}")),
        }
    }
}

/// Classification of a received message.
#[derive(Debug)]
pub(crate) enum Kind<'a> {
    /// `NLMSG_ERROR`: an ACK (errno 0) or an error.
    Ack(Ack),
    /// `NLMSG_DONE`: end of a dump, with its final status.
    Done(Ack),
    Data(Raw<'a>),
    Ignore,
    Malformed,
}

/// Iterates over the messages of a datagram; stops at the first header
/// that does not fit.
pub(crate) fn messages(buf: &[u8]) -> impl Iterator<Item = Raw<'_>> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.len() < NLMSG_HDRLEN {
            return None;
        }
        let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            rest = &[];
            return None;
        }
        let raw = Raw {
            ty: u16::from_ne_bytes([rest[4], rest[5]]),
            flags: u16::from_ne_bytes([rest[6], rest[7]]),
            seq: u32::from_ne_bytes([rest[8], rest[9], rest[10], rest[11]]),
            bytes: &rest[..len],
        };
        rest = rest.get((len + 3) & !3..).unwrap_or(&[]);
        Some(raw)
    })
}
