//! `up` looks at the lab once the kernel has finished destroying what a
//! namespace deleted by hand took along.

use crate::host::linux::Linux;
use crate::host::{Host, OpError, Scope};
use crate::state::{LinkKind, State};
use std::time::{Duration, Instant};

/// How long `up` waits for the kernel to destroy the links of a deleted
/// namespace before it plans.
const SETTLE: Duration = Duration::from_secs(3);

/// Observes the lab; while some veth's peer lives in none of the lab's
/// namespaces (its namespace was deleted and the kernel has not destroyed
/// it and its links yet), looks again, for up to [`SETTLE`]. A peer held
/// longer (by a process that is not the lab's) is left to the planner:
/// such a veth's kind is unknown, so it is deleted and made again.
pub(super) fn observe_settled(host: &mut Linux, scope: &Scope) -> Result<State, OpError> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let observed = host.observe(scope)?;
        if !has_dangling_veth(&observed) || Instant::now() >= deadline {
            return Ok(observed);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A veth whose peer the observer could not find in the lab.
fn has_dangling_veth(observed: &State) -> bool {
    observed
        .nodes
        .values()
        .flat_map(|n| n.links.values())
        .any(|l| matches!(&l.kind, LinkKind::Other { kind } if kind == "veth"))
}
