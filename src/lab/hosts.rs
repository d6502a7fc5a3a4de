//! Nodes as hosts: what a node's processes see beyond its network — its
//! host name (a UTS namespace per node, `nslab_sys::uts`).

use super::{sd_err, LabError};
use crate::host::OpError;
use crate::state::State;

/// Each namespace node's host name, in a UTS namespace the lab keeps for
/// it (made, or renamed, here; one of a node no longer in the file is
/// removed). Apart from the plan: a host name is not a netlink object.
pub(super) fn hostnames(desired: &State) -> Result<(), LabError> {
    let mut keep = Vec::new();
    for (node, n) in &desired.nodes {
        let (Some(ns), Some(h)) = (&n.netns, &n.hostname) else {
            continue;
        };
        nslab_sys::uts::ensure(&desired.lab, ns, h).map_err(|e| {
            LabError::Observe(OpError {
                op: format!("hostname {h} (UTS namespace of netns {ns})"),
                node: node.clone(),
                message: e.to_string(),
            })
        })?;
        keep.push(ns.clone());
    }
    match nslab_sys::uts::remove(&desired.lab, &keep)
        .into_iter()
        .next()
    {
        Some(e) => Err(sd_err(e)),
        None => Ok(()),
    }
}
