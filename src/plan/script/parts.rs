//! One part of a link change (`plan::link_change_parts`, the split the
//! host layer sends) as `ip link set` words.

use crate::plan::LinkChange;
use crate::state::fmt_mac;
use std::fmt::Write as _;

/// The words after `link set IFNAME` for `change`.
pub(super) fn words(change: &LinkChange) -> String {
    let mut s = String::new();
    match &change.master {
        Some(Some(m)) => {
            let _ = write!(s, " master {m}");
        }
        Some(None) => s.push_str(" nomaster"),
        None => {}
    }
    if let Some(mtu) = change.mtu {
        let _ = write!(s, " mtu {mtu}");
    }
    if let Some(mac) = &change.mac {
        let _ = write!(s, " address {}", fmt_mac(mac));
    }
    if let Some(ll) = change.ipv6_link_local {
        let _ = write!(s, " addrgenmode {}", if ll { "eui64" } else { "none" });
    }
    if let Some(h) = change.hairpin {
        let _ = write!(
            s,
            " type bridge_slave hairpin {}",
            if h { "on" } else { "off" }
        );
    }
    if let Some(b) = &change.bridge {
        s.push_str(" type bridge");
        if let Some(stp) = b.stp {
            let _ = write!(s, " stp_state {}", u8::from(stp));
        }
        if let Some(a) = b.ageing_secs {
            let _ = write!(s, " ageing_time {}", u64::from(a) * 100);
        }
        if let Some(v) = b.vlan_filtering {
            let _ = write!(s, " vlan_filtering {}", u8::from(v));
        }
    }
    if let Some(up) = change.up {
        s.push_str(if up { " up" } else { " down" });
    }
    s
}
