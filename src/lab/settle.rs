//! `up` looks at the lab once the kernel has finished destroying what a
//! namespace deleted by hand took along.

use crate::host::{Host, OpError, Scope};
use crate::state::{LinkKind, State};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long `up` waits for the kernel to destroy the links of a deleted
/// namespace before it plans.
const SETTLE: Duration = Duration::from_secs(3);

/// Observes the lab; while some veth's peer lives in none of the lab's
/// namespaces (its namespace was deleted and the kernel has not destroyed
/// it and its links yet), waits for those veths to go, for up to
/// [`SETTLE`], asking only their nodes about only them; then observes the
/// lab once more. A peer held longer (by a process that is not the lab's)
/// is left to the planner: such a veth's kind is unknown, so it is deleted
/// and made again.
pub(super) fn observe_settled(host: &mut dyn Host, scope: &Scope) -> Result<State, OpError> {
    let observed = host.observe(scope)?;
    let dangling = dangling_veths(&observed, scope);
    if dangling.is_empty() {
        return Ok(observed);
    }
    host.wait_links_gone(dangling, SETTLE);
    host.observe(scope)
}

/// The veths whose peer the observer could not find in the lab, by the
/// namespace of their node (`None`: the host node).
fn dangling_veths(observed: &State, scope: &Scope) -> Vec<(Option<String>, Vec<String>)> {
    let netns: BTreeMap<&str, &Option<String>> =
        scope.nodes.iter().map(|(n, ns)| (n.as_str(), ns)).collect();
    observed
        .nodes
        .iter()
        .filter_map(|(node, n)| {
            let veths: Vec<String> = n
                .links
                .iter()
                .filter(|(_, l)| matches!(&l.kind, LinkKind::Other { kind } if kind == "veth"))
                .map(|(name, _)| name.clone())
                .collect();
            let ns = netns.get(node.as_str())?;
            (!veths.is_empty()).then(|| ((*ns).clone(), veths))
        })
        .collect()
}
