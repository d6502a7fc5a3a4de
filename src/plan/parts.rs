//! How one planned operation is split into kernel requests, where it takes
//! more than one: written once, for the Linux host (which sends them), the
//! in-memory host (which fails them one at a time in tests) and
//! `plan --script` (which writes them as `ip link set` lines).

use super::LinkChange;

/// The requests a link change is sent as, in the order the kernel gets
/// them: the IPv6 address generation mode first (it must be set before
/// the link goes up), then master, MTU and MAC together, bridge options,
/// hairpin (the bridge port exists only once the link is enslaved), and
/// up or down last. Each is a change of its own.
pub(crate) fn link_change_parts(change: &LinkChange) -> Vec<LinkChange> {
    let none = LinkChange::default;
    let mut parts = Vec::new();
    if let Some(ll) = change.ipv6_link_local {
        parts.push(LinkChange {
            ipv6_link_local: Some(ll),
            ..none()
        });
    }
    if change.master.is_some() || change.mtu.is_some() || change.mac.is_some() {
        parts.push(LinkChange {
            master: change.master.clone(),
            mtu: change.mtu,
            mac: change.mac,
            ..none()
        });
    }
    if let Some(b) = &change.bridge {
        parts.push(LinkChange {
            bridge: Some(*b),
            ..none()
        });
    }
    if let Some(h) = change.hairpin {
        parts.push(LinkChange {
            hairpin: Some(h),
            ..none()
        });
    }
    if let Some(up) = change.up {
        parts.push(LinkChange {
            up: Some(up),
            ..none()
        });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every attribute of a change is in exactly one part, and the parts
    /// put together are the change.
    #[test]
    fn the_parts_make_up_the_change() {
        let change = LinkChange {
            up: Some(true),
            mtu: Some(9000),
            mac: Some([2, 0, 0, 0, 0, 9]),
            master: Some(Some("br0".into())),
            hairpin: Some(true),
            bridge: None,
            ipv6_link_local: Some(false),
        };
        let parts = link_change_parts(&change);
        assert_eq!(parts.len(), 4);
        let mut back = LinkChange::default();
        for p in &parts {
            assert!(!p.is_empty());
            back.up = back.up.or(p.up);
            back.mtu = back.mtu.or(p.mtu);
            back.mac = back.mac.or(p.mac);
            back.master = back.master.clone().or(p.master.clone());
            back.hairpin = back.hairpin.or(p.hairpin);
            back.ipv6_link_local = back.ipv6_link_local.or(p.ipv6_link_local);
        }
        assert_eq!(back, change);
        assert_eq!(parts.last().and_then(|p| p.up), Some(true));
        assert!(link_change_parts(&LinkChange::default()).is_empty());
    }
}
