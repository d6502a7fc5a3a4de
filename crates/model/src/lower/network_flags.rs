//! A network's booleans: `masquerade`, `isolate` (Docker's isolation of
//! user-defined networks from each other) and `internal` (`docker network
//! create --internal`), and what they rule out together.

use super::Ctx;
use crate::names::{IfName, NodeName};
use crate::problem::ProblemKind;
use crate::raw::{loc_of, Leaf, RawNetwork};
use crate::topology::Member;
use std::collections::BTreeMap;

/// `masquerade`, `isolate` and `internal` of a network.
pub(super) struct Flags {
    pub(super) masquerade: bool,
    pub(super) isolate: bool,
    pub(super) internal: bool,
}

/// The network's booleans: `isolate` defaults to true (Docker isolates
/// user-defined networks from each other), `internal` to false, and
/// `masquerade` to true unless the network is internal, which has no way
/// out to masquerade on (`docker network create --internal`); writing
/// `masquerade: true` beside `internal: true` is refused.
pub(super) fn network_flags(cx: &mut Ctx<'_>, rn: &RawNetwork, bridge: &IfName) -> Flags {
    let mut flag = |l: &Option<Leaf>, key: &str| l.as_ref().and_then(|l| cx.bool(l, key));
    let internal = flag(&rn.internal, "internal").unwrap_or(false);
    let isolate = flag(&rn.isolate, "isolate").unwrap_or(true);
    let masquerade = flag(&rn.masquerade, "masquerade");
    if let (true, Some(true), Some(l)) = (internal, masquerade, &rn.masquerade) {
        cx.push(
            ProblemKind::InvalidValue,
            loc_of(l),
            format!("network `{bridge}` is internal and has `masquerade: true`"),
            "an internal network has no way out to masquerade on: drop `masquerade`, or `internal`",
        );
    }
    Flags {
        masquerade: masquerade.unwrap_or(!internal),
        isolate,
        internal,
    }
}

/// Docker ignores `-p` on an internal network (nothing reaches it from
/// outside); here a published port there is refused rather than ignored.
pub(super) fn refuse_publish_on_internal(
    cx: &mut Ctx<'_>,
    bridge: &IfName,
    members: &BTreeMap<NodeName, Member>,
) {
    for (name, m) in members {
        if !m.publish.is_empty() {
            cx.push(
                ProblemKind::InvalidValue,
                m.loc,
                format!("member `{name}` publishes ports on internal network `{bridge}`"),
                "nothing outside reaches an internal network: drop `publish`, or `internal: true`",
            );
        }
    }
}
