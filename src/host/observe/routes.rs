//! Routes as read back: which are the lab's, and their state.

use super::{Seen, RTPROT_KERNEL, RTPROT_NSLAB, RT_TABLE_MAIN};
use crate::host::Scope;
use crate::plan::route_matches;
use crate::state::RouteState;
use nslab_netlink as nl;

/// Whether a route of a node is the lab's: made by nslab (in the host
/// namespace, only those the lab claims), or wanted and already there.
pub(super) fn is_lab_route(s: &Seen, scope: &Scope, r: &nl::Route, rs: &RouteState) -> bool {
    let host = s.at.netns.is_none();
    let claimed = || scope.host_routes.iter().any(|c| route_matches(c, rs));
    let ours = r.protocol == RTPROT_NSLAB && (!host || claimed());
    // A route the lab wants that someone else made (`proto static`,
    // `boot`, ...) already serves: it is taken as present, so `up`
    // does not try to add it twice, and it is never deleted (a delete
    // asks for nslab's protocol only).
    let wanted = || {
        scope
            .wanted_routes
            .get(&s.at.node)
            .is_some_and(|w| w.iter().any(|d| route_matches(d, rs)))
    };
    let served =
        !scope.skip_foreign && r.protocol != RTPROT_KERNEL && r.kind == nl::RTN_UNICAST && wanted();
    ours || served
}

pub(super) fn route_state(r: &nl::Route, name_of: impl Fn(u32) -> Option<String>) -> RouteState {
    let v6 = matches!(r.family, nl::Family::V6);
    let default_metric = if v6 { 1024 } else { 0 };
    RouteState {
        to: r.dst.filter(|c| c.prefix != 0),
        v6,
        via: r.gateway,
        dev: r.oif.and_then(name_of),
        metric: r.metric.filter(|m| *m != default_metric),
        src: r.prefsrc,
        table: Some(r.table).filter(|t| *t != RT_TABLE_MAIN),
    }
}
