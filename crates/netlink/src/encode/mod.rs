//! Pure message builders: `Request` -> `netlink-packet-route` messages ->
//! bytes. No I/O, so every layout is unit tested without root.

use std::net::IpAddr;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    NLM_F_REPLACE, NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressHeaderFlags, AddressMessage};
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::error::{Error, Op};
use crate::tc;
use crate::types::{Address, Family, Request, Route, RT_SCOPE_NOWHERE};

mod link;
use link::{invalid, new_link, set_link};

/// A netlink message of the route family.
pub type Message = NetlinkMessage<RouteNetlinkMessage>;

/// The messages one request becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Messages {
    /// Sent back to back in one batch; the kernel applies them in order.
    pub primary: Vec<Message>,
    /// Sent only once every primary message succeeded (a new link's
    /// alias: sending it blindly would retag a link that already existed).
    pub after_success: Vec<Message>,
}

/// The operation a request performs (for errors).
pub fn op_of(req: &Request) -> Op {
    match req {
        Request::NewLink(_) => Op::NewLink,
        Request::SetLink(_) => Op::SetLink,
        Request::DelLink { .. } => Op::DelLink,
        Request::AddAddress(_) => Op::AddAddress,
        Request::DelAddress(_) => Op::DelAddress,
        Request::AddRoute(_) => Op::AddRoute,
        Request::DelRoute(_) => Op::DelRoute,
        Request::ReplaceQdisc(_) => Op::ReplaceQdisc,
        Request::DelQdisc { .. } => Op::DelQdisc,
    }
}

/// Builds the messages of a request, or says why it cannot be sent.
pub fn messages(req: &Request) -> Result<Messages, Error> {
    const ACK: u16 = NLM_F_REQUEST | NLM_F_ACK;
    const CREATE: u16 = ACK | NLM_F_CREATE | NLM_F_EXCL;
    let one = |flags, body| Messages {
        primary: vec![message(flags, body)],
        after_success: Vec::new(),
    };
    Ok(match req {
        Request::NewLink(link) => new_link(link)?,
        Request::SetLink(set) => set_link(set)?,
        Request::DelLink { index } => {
            let mut msg = LinkMessage::default();
            msg.header.index = *index;
            one(ACK, RouteNetlinkMessage::DelLink(msg))
        }
        Request::AddAddress(addr) => one(CREATE, RouteNetlinkMessage::NewAddress(address(addr))),
        Request::DelAddress(addr) => one(ACK, RouteNetlinkMessage::DelAddress(address(addr))),
        Request::AddRoute(r) => one(CREATE, RouteNetlinkMessage::NewRoute(route(r, false)?)),
        Request::DelRoute(r) => one(ACK, RouteNetlinkMessage::DelRoute(route(r, true)?)),
        Request::ReplaceQdisc(q) => one(
            ACK | NLM_F_CREATE | NLM_F_REPLACE,
            RouteNetlinkMessage::NewQueueDiscipline(tc::replace_qdisc(q)?),
        ),
        Request::DelQdisc { index } => one(
            ACK,
            RouteNetlinkMessage::DelQueueDiscipline(tc::del_qdisc(*index)?),
        ),
    })
}

/// All messages of a request as bytes, numbered from `seq` (primary ones
/// first, then the ones `Socket::execute` sends after success).
pub fn encode(req: &Request, seq: u32) -> Result<Vec<u8>, Error> {
    let msgs = messages(req)?;
    let mut out = Vec::new();
    for (i, mut msg) in msgs
        .primary
        .into_iter()
        .chain(msgs.after_success)
        .enumerate()
    {
        serialize(&mut msg, seq.wrapping_add(i as u32), &mut out);
    }
    Ok(out)
}

/// Appends `msg` with sequence number `seq` to `out`.
pub fn serialize(msg: &mut Message, seq: u32, out: &mut Vec<u8>) {
    msg.header.sequence_number = seq;
    msg.finalize();
    let start = out.len();
    out.resize(start + msg.buffer_len(), 0);
    msg.serialize(&mut out[start..]);
}

pub(crate) fn message(flags: u16, body: RouteNetlinkMessage) -> Message {
    let mut header = NetlinkHeader::default();
    header.flags = flags;
    NetlinkMessage::new(header, NetlinkPayload::InnerMessage(body))
}

fn family(f: Family) -> AddressFamily {
    match f {
        Family::V4 => AddressFamily::Inet,
        Family::V6 => AddressFamily::Inet6,
    }
}

fn address(addr: &Address) -> AddressMessage {
    let mut msg = AddressMessage::default();
    let a = addr.cidr.addr;
    msg.header.family = family(Family::of(&a));
    msg.header.prefix_len = addr.cidr.prefix;
    msg.header.index = addr.index;
    if a.is_ipv6() {
        // Skip duplicate address detection: usable at once, not "tentative".
        msg.header.flags = AddressHeaderFlags::Nodad;
    }
    msg.attributes = vec![AddressAttribute::Local(a), AddressAttribute::Address(a)];
    msg
}

fn route(r: &Route, delete: bool) -> Result<RouteMessage, Error> {
    let op = if delete { Op::DelRoute } else { Op::AddRoute };
    let fam = |a: &IpAddr| Family::of(a) == r.family;
    let addrs = [r.dst.map(|d| d.addr), r.gateway, r.prefsrc];
    if !addrs.iter().flatten().all(fam) {
        return Err(invalid(
            op,
            "route addresses differ from the route's family",
        ));
    }
    let mut msg = RouteMessage::default();
    let h = &mut msg.header;
    h.address_family = family(r.family);
    h.destination_prefix_length = r.dst.map_or(0, |d| d.prefix);
    h.table = u8::try_from(r.table).unwrap_or(0);
    h.protocol = r.protocol.into();
    h.scope = if delete { RT_SCOPE_NOWHERE } else { r.scope }.into();
    h.kind = r.kind.into();
    let attrs = &mut msg.attributes;
    if let Some(dst) = r.dst {
        attrs.push(RouteAttribute::Destination(RouteAddress::from(dst.addr)));
    }
    if let Some(src) = r.prefsrc {
        attrs.push(RouteAttribute::PrefSource(RouteAddress::from(src)));
    }
    if let Some(gw) = r.gateway {
        attrs.push(RouteAttribute::Gateway(RouteAddress::from(gw)));
    }
    if let Some(oif) = r.oif {
        attrs.push(RouteAttribute::Oif(oif));
    }
    if let Some(metric) = r.metric {
        attrs.push(RouteAttribute::Priority(metric));
    }
    if r.table > 255 {
        attrs.push(RouteAttribute::Table(r.table));
    }
    Ok(msg)
}

/// What a dump asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dump {
    Links,
    Addresses(Family),
    Routes(Family),
    Qdiscs,
}

/// `NLM_F_REQUEST | NLM_F_DUMP` request; headers zeroed as
/// `NETLINK_GET_STRICT_CHK` requires.
pub(crate) fn dump_request(what: Dump) -> Message {
    let body = match what {
        Dump::Links => {
            let mut msg = LinkMessage::default();
            // Counters are large and unused: RTEXT_FILTER_SKIP_STATS.
            msg.attributes
                .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
            RouteNetlinkMessage::GetLink(msg)
        }
        Dump::Addresses(f) => {
            let mut msg = AddressMessage::default();
            msg.header.family = family(f);
            RouteNetlinkMessage::GetAddress(msg)
        }
        Dump::Routes(f) => {
            let mut msg = RouteMessage::default();
            msg.header.address_family = family(f);
            RouteNetlinkMessage::GetRoute(msg)
        }
        Dump::Qdiscs => RouteNetlinkMessage::GetQueueDiscipline(tc::dump_request()),
    };
    message(NLM_F_REQUEST | NLM_F_DUMP, body)
}

/// `RTM_GETLINK` for one name.
pub(crate) fn get_link_request(name: &str) -> Message {
    let mut msg = LinkMessage::default();
    msg.attributes.push(LinkAttribute::IfName(name.to_string()));
    msg.attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
    message(NLM_F_REQUEST, RouteNetlinkMessage::GetLink(msg))
}

/// `RTM_GETNSID` with `NETNSA_FD`.
pub(crate) fn get_nsid_request(fd: i32) -> Message {
    let mut msg = NsidMessage::default();
    msg.attributes.push(NsidAttribute::Fd(fd as u32));
    message(NLM_F_REQUEST, RouteNetlinkMessage::GetNsId(msg))
}
