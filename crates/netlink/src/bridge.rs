//! Bridges as `show` presents them: each bridge with its ageing time and
//! STP, and its ports with their STP state (`IFLA_BRPORT_STATE` in
//! `IFLA_INFO_SLAVE_DATA`), read from one `RTM_GETLINK` dump. Their
//! forwarding databases are [`Socket::fdb`].

use netlink_packet_route::link::{
    BridgePortState, BridgeStpState, InfoBridge, InfoBridgePort, InfoData, InfoKind, InfoPortData,
    LinkAttribute, LinkInfo, LinkMessage,
};
use netlink_packet_route::RouteNetlinkMessage;

use crate::encode::Dump;
use crate::error::{Error, Op};
use crate::Socket;

/// A bridge device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeDev {
    pub index: u32,
    pub name: String,
    pub alias: Option<String>,
    /// `IFLA_BR_AGEING_TIME`, in seconds: how long a learned MAC stays.
    pub ageing_secs: u32,
    pub stp: bool,
    pub ports: Vec<BridgePort>,
}

/// A port of a bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgePort {
    pub index: u32,
    pub name: String,
    /// `disabled`, `listening`, `learning`, `forwarding` or `blocking`.
    pub state: String,
}

/// Every link's name, by index.
pub type Names = Vec<(u32, String)>;

impl Socket {
    /// The bridges of the namespace with their ports, and the name of
    /// every link by index (for the ports an FDB entry names).
    pub fn bridges(&mut self) -> Result<(Vec<BridgeDev>, Names), Error> {
        let msgs = self.dump(Dump::Links, Op::DumpLinks)?;
        let links: Vec<&LinkMessage> = msgs
            .iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(l),
                _ => None,
            })
            .collect();
        let names: Vec<(u32, String)> = links.iter().map(|l| (l.header.index, name(l))).collect();
        let mut bridges: Vec<BridgeDev> = links.iter().filter_map(|l| bridge(l)).collect();
        for l in &links {
            if let Some((master, state)) = port(l) {
                if let Some(b) = bridges.iter_mut().find(|b| b.index == master) {
                    b.ports.push(BridgePort {
                        index: l.header.index,
                        name: name(l),
                        state,
                    });
                }
            }
        }
        Ok((bridges, names))
    }
}

fn name(l: &LinkMessage) -> String {
    l.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::IfName(n) => Some(n.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn infos(l: &LinkMessage) -> impl Iterator<Item = &LinkInfo> {
    l.attributes
        .iter()
        .filter_map(|a| match a {
            LinkAttribute::LinkInfo(i) => Some(i),
            _ => None,
        })
        .flatten()
}

/// The bridge `l` is, if it is one.
pub(crate) fn bridge(l: &LinkMessage) -> Option<BridgeDev> {
    if !infos(l).any(|i| matches!(i, LinkInfo::Kind(InfoKind::Bridge))) {
        return None;
    }
    let mut b = BridgeDev {
        index: l.header.index,
        name: name(l),
        alias: l.attributes.iter().find_map(|a| match a {
            LinkAttribute::IfAlias(s) => Some(s.clone()),
            _ => None,
        }),
        ageing_secs: 0,
        stp: false,
        ports: Vec::new(),
    };
    for i in infos(l) {
        let LinkInfo::Data(InfoData::Bridge(attrs)) = i else {
            continue;
        };
        for a in attrs {
            match a {
                InfoBridge::AgeingTime(cs) => b.ageing_secs = cs / 100,
                InfoBridge::StpState(s) => b.stp = *s != BridgeStpState::Disabled,
                _ => {}
            }
        }
    }
    Some(b)
}

/// The bridge (`IFLA_MASTER`) and STP state of a bridge port.
pub(crate) fn port(l: &LinkMessage) -> Option<(u32, String)> {
    let state = infos(l).find_map(|i| match i {
        LinkInfo::PortData(InfoPortData::BridgePort(attrs)) => attrs.iter().find_map(|a| match a {
            InfoBridgePort::State(s) => Some(port_state(*s)),
            _ => None,
        }),
        _ => None,
    })?;
    let master = l.attributes.iter().find_map(|a| match a {
        LinkAttribute::Controller(m) => Some(*m),
        _ => None,
    })?;
    Some((master, state))
}

fn port_state(s: BridgePortState) -> String {
    match s {
        BridgePortState::Disabled => "disabled".into(),
        BridgePortState::Listening => "listening".into(),
        BridgePortState::Learning => "learning".into(),
        BridgePortState::Forwarding => "forwarding".into(),
        BridgePortState::Blocking => "blocking".into(),
        other => format!("state {}", u8::from(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(index: u32, name: &str, info: Vec<LinkInfo>, master: Option<u32>) -> LinkMessage {
        let mut l = LinkMessage::default();
        l.header.index = index;
        l.attributes.push(LinkAttribute::IfName(name.into()));
        l.attributes.push(LinkAttribute::LinkInfo(info));
        l.attributes.extend(master.map(LinkAttribute::Controller));
        l
    }

    #[test]
    fn a_bridge_and_its_ports_are_read_from_link_messages() {
        let br = link(
            3,
            "br0",
            vec![
                LinkInfo::Kind(InfoKind::Bridge),
                LinkInfo::Data(InfoData::Bridge(vec![
                    InfoBridge::AgeingTime(30000),
                    InfoBridge::StpState(BridgeStpState::KernelStp),
                ])),
            ],
            None,
        );
        let b = bridge(&br).expect("a bridge");
        assert_eq!((b.name.as_str(), b.ageing_secs, b.stp), ("br0", 300, true));
        let states = [
            (BridgePortState::Forwarding, "forwarding"),
            (BridgePortState::Blocking, "blocking"),
            (BridgePortState::Listening, "listening"),
            (BridgePortState::Learning, "learning"),
            (BridgePortState::Disabled, "disabled"),
        ];
        for (s, word) in states {
            let p = link(
                5,
                "veth1",
                vec![LinkInfo::PortData(InfoPortData::BridgePort(vec![
                    InfoBridgePort::State(s),
                ]))],
                Some(3),
            );
            assert_eq!(port(&p), Some((3, word.to_string())));
            assert_eq!(bridge(&p), None);
        }
        // Not a port: no port data.
        assert_eq!(port(&link(6, "eth0", vec![], Some(3))), None);
    }
}
