//! The words of a new link and of a route, as `ip` takes them for what
//! the host layer sends.

use super::ROUTE_PROTOCOL;
use crate::plan::NewEnd;
use crate::state::{fmt_mac, DeviceKind, RouteState};
use std::fmt::Write as _;

pub(super) fn end_opts(e: &NewEnd) -> String {
    let mut s = String::new();
    if let Some(mtu) = e.mtu {
        let _ = write!(s, " mtu {mtu}");
    }
    if let Some(mac) = &e.mac {
        let _ = write!(s, " address {}", fmt_mac(mac));
    }
    s
}

/// The `type ...` words of a new device as the host layer makes it: a
/// VXLAN's underlay by its name, and a bridge's VLAN filtering only when
/// on (a kernel without it refuses the option even as 0).
pub(super) fn kind_words(d: &DeviceKind<crate::state::Endpoint>) -> String {
    match d {
        DeviceKind::Bridge(b) => {
            let mut s = format!(
                "type bridge stp_state {} ageing_time {}",
                u8::from(b.stp),
                u64::from(b.ageing_secs) * 100
            );
            if b.vlan_filtering {
                s.push_str(" vlan_filtering 1");
            }
            s
        }
        DeviceKind::Vxlan(v) => {
            let named = v.clone().try_map(|e| Ok::<_, ()>(e.ifname.clone()));
            match named {
                Ok(v) => v.ip_link_args(),
                Err(()) => d.ip_link_args(),
            }
        }
        _ => d.ip_link_args(),
    }
}

/// A route as `ip route` takes it, with nslab's protocol and scope (`link`
/// for a route without a gateway, as the host layer sends it).
pub(super) fn route_words(r: &RouteState) -> String {
    let mut s = match &r.to {
        Some(to) => to.to_string(),
        None if r.v6 => "::/0".to_string(),
        None => "0.0.0.0/0".to_string(),
    };
    if let Some(via) = &r.via {
        let _ = write!(s, " via {via}");
    }
    if let Some(dev) = &r.dev {
        let _ = write!(s, " dev {dev}");
    }
    if let Some(metric) = &r.metric {
        let _ = write!(s, " metric {metric}");
    }
    if let Some(src) = &r.src {
        let _ = write!(s, " src {src}");
    }
    if let Some(table) = &r.table {
        let _ = write!(s, " table {table}");
    }
    let _ = write!(s, " proto {ROUTE_PROTOCOL}");
    if r.via.is_none() {
        s.push_str(" scope link");
    }
    s
}
