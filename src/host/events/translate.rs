//! A kernel event -> the [`LabEvent`]s a person reads: which link, what
//! changed on it; which address, route or neighbour came or went. A
//! `RTM_NEWLINK` says only "this link, as it is now": the node's cache of
//! links tells what changed. Routes of the `local` table (one per address,
//! added by the kernel) are left out, as are multicast neighbours.

use super::{LabEvent, LinkSeen, NodeWatch};
use nslab_netlink as nl;

fn mac(m: &[u8; 6]) -> String {
    m.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// What identifies a neighbour: its interface and IP (ARP/NDP) or MAC and
/// VLAN (FDB).
pub(super) fn neigh_key(n: &nl::Neighbour) -> (u32, String) {
    let id = match (n.addr, n.mac) {
        (Some(a), _) if n.family != nl::NeighFamily::Bridge => a.to_string(),
        (_, Some(m)) => format!("{} vlan {:?}", mac(&m), n.vlan),
        _ => String::new(),
    };
    (n.index, id)
}

impl NodeWatch {
    fn event(
        &self,
        kind: &'static str,
        action: &str,
        index: Option<u32>,
        detail: String,
    ) -> LabEvent {
        LabEvent {
            node: self.node.clone(),
            kind,
            action: action.to_string(),
            interface: index.map(|i| self.name_of(i)),
            detail,
        }
    }

    fn name_of(&self, index: u32) -> String {
        self.links
            .get(&index)
            .map_or_else(|| format!("if{index}"), |l| l.name.clone())
    }

    /// In the host node, only the lab's links (and what is on them) count.
    fn counts(&self, index: Option<u32>) -> bool {
        match &self.mark {
            None => true,
            Some(mark) => index
                .and_then(|i| self.links.get(&i))
                .is_some_and(|l| l.alias.as_deref() == Some(mark.as_str())),
        }
    }

    pub(super) fn translate(&mut self, ev: nl::Event) -> Vec<LabEvent> {
        match ev {
            nl::Event::Link { new, link } => self.link(new, &link),
            nl::Event::Address { new, address: a } if self.counts(Some(a.index)) => {
                let action = if new { "added" } else { "removed" };
                let detail = a.cidr.to_string();
                vec![self.event("address", action, Some(a.index), detail)]
            }
            nl::Event::Route { new, route: r }
                if r.table != nl::RT_TABLE_LOCAL && self.counts(r.oif) =>
            {
                let action = if new { "added" } else { "removed" };
                vec![self.event("route", action, r.oif, self.route_text(&r))]
            }
            nl::Event::Neighbour { new, neighbour } if self.counts(Some(neighbour.index)) => {
                self.neighbour(new, &neighbour).into_iter().collect()
            }
            nl::Event::Lost => vec![self.event(
                "lost",
                "lost",
                None,
                "the kernel dropped events (its buffer for this watch was full)".into(),
            )],
            _ => vec![],
        }
    }

    fn link(&mut self, new: bool, l: &nl::Link) -> Vec<LabEvent> {
        let now = LinkSeen::of(l);
        let was = if new {
            self.links.insert(l.index, now.clone())
        } else {
            self.links.remove(&l.index)
        };
        let ours = |s: &LinkSeen| {
            self.mark
                .as_ref()
                .is_none_or(|m| s.alias.as_deref() == Some(m.as_str()))
        };
        let counted = was.as_ref().is_some_and(ours);
        if !(counted || (new && ours(&now))) {
            return vec![];
        }
        let ev = |action: &str, detail: String| LabEvent {
            node: self.node.clone(),
            kind: "link",
            action: action.to_string(),
            interface: Some(now.name.clone()),
            detail,
        };
        let Some(was) = was.filter(|_| new && counted) else {
            let action = if new { "added" } else { "removed" };
            return vec![ev(action, l.kind.clone().unwrap_or_default())];
        };
        let mut out = Vec::new();
        if was.name != now.name {
            out.push(ev("renamed", format!("from {}", was.name)));
        }
        if was.up != now.up {
            out.push(ev(if now.up { "up" } else { "down" }, String::new()));
        } else if now.up && was.carrier() != now.carrier() {
            let action = if now.carrier() {
                "carrier-on"
            } else {
                "carrier-off"
            };
            out.push(ev(action, format!("operstate {}", now.oper)));
        }
        if was.mtu != now.mtu {
            out.push(ev("changed", format!("mtu {}", now.mtu)));
        }
        if was.master != now.master {
            let detail = match now.master {
                Some(m) => format!("master {}", self.name_of(m)),
                None => "nomaster".into(),
            };
            out.push(ev("changed", detail));
        }
        out
    }

    fn route_text(&self, r: &nl::Route) -> String {
        let mut t = match r.dst {
            Some(c) => c.to_string(),
            None => "default".into(),
        };
        if let Some(g) = r.gateway {
            t.push_str(&format!(" via {g}"));
        }
        if let Some(m) = r.metric.filter(|m| *m != 0) {
            t.push_str(&format!(" metric {m}"));
        }
        if r.table != nl::RT_TABLE_MAIN {
            t.push_str(&format!(" table {}", r.table));
        }
        t
    }

    fn neighbour(&mut self, new: bool, n: &nl::Neighbour) -> Option<LabEvent> {
        let bridge = n.family == nl::NeighFamily::Bridge;
        if (bridge && n.self_entry) || n.addr.is_some_and(|a| a.is_multicast()) {
            return None;
        }
        let key = neigh_key(n);
        let seen = (n.mac, n.state.clone());
        let action = if !new {
            self.neighbours.remove(&key);
            "removed"
        } else {
            match self.neighbours.insert(key, seen.clone()) {
                None => "added",
                Some(old) if old == seen => return None,
                Some(_) => "changed",
            }
        };
        let lladdr = n.mac.as_ref().map(mac).unwrap_or_default();
        let detail = if bridge {
            let on = n.master.map(|m| self.name_of(m)).unwrap_or_default();
            let vlan = n.vlan.map(|v| format!(" vlan {v}")).unwrap_or_default();
            format!("{lladdr} on bridge {on}{vlan} {}", n.state)
        } else {
            let ip = n.addr.map(|a| a.to_string()).unwrap_or_default();
            format!("{ip} lladdr {lladdr} {}", n.state)
        };
        let kind = if bridge { "fdb" } else { "neighbour" };
        Some(self.event(kind, action, Some(n.index), detail.trim().to_string()))
    }
}

#[cfg(test)]
#[path = "translate_tests.rs"]
mod tests;
