//! Neighbours: ARP/NDP entries and a bridge's forwarding database (FDB),
//! both `RTM_NEWNEIGH` messages (uapi/linux/neighbour.h). [`Socket::fdb`]
//! dumps the FDB (`RTM_GETNEIGH` with `AF_BRIDGE`, what `bridge fdb show`
//! sends), [`Socket::neighbours`] all neighbours; [`neighbour`] decodes one message, for the dump and for
//! [`crate::events`].

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::encode::message;
use crate::error::{Error, Op};
use crate::Socket;

/// `USER_HZ`: `NDA_CACHEINFO` counts in clock ticks of 1/100 s.
const CLOCK_TICKS_PER_SEC: u32 = 100;

/// Which table a neighbour is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighFamily {
    /// ARP.
    V4,
    /// NDP.
    V6,
    /// A bridge's forwarding database.
    Bridge,
}

/// One neighbour entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    pub family: NeighFamily,
    /// The interface (for an FDB entry: the bridge port, or the bridge).
    pub index: u32,
    /// `NDA_DST`: the IP address (ARP/NDP; VXLAN FDB: the remote).
    pub addr: Option<IpAddr>,
    /// `NDA_LLADDR`: the MAC address.
    pub mac: Option<[u8; 6]>,
    /// `NUD_*` as `ip neigh`/`bridge fdb` name it: `reachable`, `stale`,
    /// `permanent`, `noarp` (static), ...
    pub state: String,
    /// `NTF_SELF`: an entry of the device's own table (a port's multicast
    /// addresses), not of the bridge it belongs to (those carry
    /// `NDA_MASTER` instead).
    pub self_entry: bool,
    /// `NDA_MASTER`: the bridge.
    pub master: Option<u32>,
    /// `NDA_VLAN`.
    pub vlan: Option<u16>,
    /// Seconds since the entry was last updated (a learned MAC: last seen
    /// as a source), from `NDA_CACHEINFO`.
    pub updated_secs: Option<u32>,
}

impl Neighbour {
    /// Learned by the bridge (not the port's own address, not added by
    /// hand): what ages out.
    pub fn is_learned(&self) -> bool {
        !matches!(self.state.as_str(), "permanent" | "noarp")
    }
}

/// The neighbour a `RTM_NEWNEIGH`/`RTM_DELNEIGH` message describes;
/// `None` for a family other than IPv4, IPv6 and bridge.
pub fn neighbour(msg: &NeighbourMessage) -> Option<Neighbour> {
    let h = &msg.header;
    let family = match h.family {
        AddressFamily::Inet => NeighFamily::V4,
        AddressFamily::Inet6 => NeighFamily::V6,
        AddressFamily::Bridge => NeighFamily::Bridge,
        _ => return None,
    };
    let mut n = Neighbour {
        family,
        index: h.ifindex,
        addr: None,
        mac: None,
        state: state_name(h.state),
        self_entry: h.flags.contains(NeighbourFlags::Own),
        master: None,
        vlan: None,
        updated_secs: None,
    };
    for attr in &msg.attributes {
        match attr {
            NeighbourAttribute::Destination(NeighbourAddress::Inet(a)) => {
                n.addr = Some((*a).into())
            }
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(a)) => {
                n.addr = Some((*a).into())
            }
            NeighbourAttribute::LinkLayerAddress(mac) => n.mac = mac.as_slice().try_into().ok(),
            NeighbourAttribute::Controller(m) => n.master = Some(*m),
            NeighbourAttribute::Vlan(v) => n.vlan = Some(*v),
            NeighbourAttribute::CacheInfo(ci) => {
                n.updated_secs = Some(ci.updated / CLOCK_TICKS_PER_SEC)
            }
            _ => {}
        }
    }
    Some(n)
}

/// What deletes `n` when it is an ARP or NDP entry still being resolved
/// or that failed to be: its family, interface and address.
fn unresolved(n: NeighbourMessage) -> Option<NeighbourMessage> {
    let h = &n.header;
    let ip = matches!(h.family, AddressFamily::Inet | AddressFamily::Inet6);
    let state = matches!(h.state, NeighbourState::Incomplete | NeighbourState::Failed);
    if !(ip && state) {
        return None;
    }
    let mut del = NeighbourMessage::default();
    del.header.family = h.family;
    del.header.ifindex = h.ifindex;
    del.attributes = n
        .attributes
        .into_iter()
        .filter(|a| matches!(a, NeighbourAttribute::Destination(_)))
        .collect();
    (!del.attributes.is_empty()).then_some(del)
}

fn state_name(s: NeighbourState) -> String {
    match s {
        NeighbourState::Other(bits) => format!("state 0x{bits:x}"),
        s => s.to_string(),
    }
}

impl Socket {
    /// Every forwarding-database entry of every bridge (and bridge-like
    /// device: VXLAN) in the namespace, as `bridge fdb show` lists them.
    pub fn fdb(&mut self) -> Result<Vec<Neighbour>, Error> {
        self.neighbours_of(AddressFamily::Bridge)
    }

    /// Every neighbour of the namespace: ARP, NDP and FDB entries.
    pub fn neighbours(&mut self) -> Result<Vec<Neighbour>, Error> {
        self.neighbours_of(AddressFamily::Unspec)
    }

    /// Deletes every ARP and NDP entry of the namespace that is still
    /// being resolved or whose resolution failed (`NUD_INCOMPLETE`,
    /// `NUD_FAILED`; `ip neigh flush nud incomplete` and `nud failed`).
    /// Such an entry outlives a link that was down: packets to it wait for
    /// its next probe (a second) or are dropped when its last probe, sent
    /// while the link was down, goes unanswered; without it the next packet
    /// resolves the neighbour at once. Returns how many were deleted (one
    /// gone meanwhile is not an error).
    pub fn forget_unresolved(&mut self) -> Result<usize, Error> {
        let mut req = NeighbourMessage::default();
        req.header.family = AddressFamily::Unspec;
        let msg = message(
            NLM_F_REQUEST | NLM_F_DUMP,
            RouteNetlinkMessage::GetNeighbour(req),
        );
        let stale: Vec<NeighbourMessage> = self
            .dump_message(&msg, Op::DumpFdb)?
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewNeighbour(n) => unresolved(n),
                _ => None,
            })
            .collect();
        let mut deleted = 0;
        for n in stale {
            let del = message(
                NLM_F_REQUEST | NLM_F_ACK,
                RouteNetlinkMessage::DelNeighbour(n),
            );
            match self.request(del, Op::DelNeighbour) {
                Ok(_) => deleted += 1,
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(deleted)
    }

    fn neighbours_of(&mut self, family: AddressFamily) -> Result<Vec<Neighbour>, Error> {
        let mut req = NeighbourMessage::default();
        req.header.family = family;
        let msg = message(
            NLM_F_REQUEST | NLM_F_DUMP,
            RouteNetlinkMessage::GetNeighbour(req),
        );
        let replies = self.dump_message(&msg, Op::DumpFdb)?;
        Ok(replies
            .iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewNeighbour(n) => neighbour(n),
                _ => None,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::neighbour::NeighbourCacheInfo;

    fn cache_info(updated: u32) -> NeighbourCacheInfo {
        // struct nda_cacheinfo: confirmed, used, updated, refcnt (host order).
        let mut b = [0u8; 16];
        b[8..12].copy_from_slice(&updated.to_ne_bytes());
        NeighbourCacheInfo::parse(&b).expect("16 bytes")
    }

    /// What the bridge sends for a MAC it learned on port 5 of bridge 3,
    /// last seen 12.34 s ago (`fdb_fill_info`: no flags, `NDA_MASTER`).
    #[test]
    fn a_learned_fdb_entry_names_its_port_bridge_and_age() {
        let mut msg = NeighbourMessage::default();
        msg.header.family = AddressFamily::Bridge;
        msg.header.ifindex = 5;
        msg.header.state = NeighbourState::Reachable;
        msg.attributes = vec![
            NeighbourAttribute::LinkLayerAddress(vec![2, 0, 0, 0, 0, 0xab]),
            NeighbourAttribute::Controller(3),
            NeighbourAttribute::CacheInfo(cache_info(1234)),
        ];
        let n = neighbour(&msg).expect("bridge neighbour");
        assert_eq!(n.family, NeighFamily::Bridge);
        assert_eq!((n.index, n.master), (5, Some(3)));
        assert_eq!(n.mac, Some([2, 0, 0, 0, 0, 0xab]));
        assert_eq!(n.updated_secs, Some(12));
        assert!(!n.self_entry && n.is_learned());
        assert_eq!(n.state, "reachable");
        msg.header.state = NeighbourState::Permanent;
        assert!(!neighbour(&msg).expect("permanent").is_learned());
    }

    #[test]
    fn an_arp_entry_has_its_address() {
        let mut msg = NeighbourMessage::default();
        msg.header.family = AddressFamily::Inet;
        msg.header.ifindex = 2;
        msg.header.state = NeighbourState::Stale;
        msg.attributes = vec![
            NeighbourAttribute::Destination(NeighbourAddress::Inet("10.0.0.2".parse().unwrap())),
            NeighbourAttribute::LinkLayerAddress(vec![2, 0, 0, 0, 0, 2]),
        ];
        let n = neighbour(&msg).expect("arp");
        assert_eq!(n.addr, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(n.state, "stale");
        msg.header.flags = NeighbourFlags::Own;
        assert!(neighbour(&msg).expect("arp").self_entry);
        msg.header.family = AddressFamily::Packet;
        assert_eq!(neighbour(&msg), None);
    }

    /// Only ARP and NDP entries being resolved, or that failed to be, are
    /// deleted; the delete names the family, interface and address only.
    #[test]
    fn only_unresolved_arp_and_ndp_entries_are_forgotten() {
        use NeighbourState as S;
        let states = [
            (S::Incomplete, true),
            (S::Failed, true),
            (S::Reachable, false),
            (S::Stale, false),
            (S::Delay, false),
            (S::Probe, false),
            (S::Permanent, false),
            (S::Noarp, false),
            (S::None, false),
        ];
        let dst = |f: AddressFamily| match f {
            AddressFamily::Inet6 => NeighbourAddress::Inet6("fd00::2".parse().unwrap()),
            _ => NeighbourAddress::Inet("10.0.0.2".parse().unwrap()),
        };
        for family in [
            AddressFamily::Inet,
            AddressFamily::Inet6,
            AddressFamily::Bridge,
        ] {
            for (state, forgotten) in states {
                let mut msg = NeighbourMessage::default();
                msg.header.family = family;
                msg.header.ifindex = 7;
                msg.header.state = state;
                msg.attributes = vec![
                    NeighbourAttribute::Destination(dst(family)),
                    NeighbourAttribute::LinkLayerAddress(vec![2, 0, 0, 0, 0, 2]),
                ];
                let del = unresolved(msg);
                let want = forgotten && family != AddressFamily::Bridge;
                assert_eq!(del.is_some(), want, "{family:?} {state:?}");
                if let Some(d) = del {
                    assert_eq!((d.header.family, d.header.ifindex), (family, 7));
                    assert_eq!(
                        d.attributes,
                        vec![NeighbourAttribute::Destination(dst(family))]
                    );
                }
            }
        }
    }
}
