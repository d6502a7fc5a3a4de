//! What a fault that cut traffic leaves in the kernel once it is undone:
//! ARP and NDP entries that were being resolved while the interface was
//! down (or its packets lost). Such an entry holds packets back for up to
//! a second, until its next probe, and drops them when its last probe was
//! sent into the cut; healed, the lab answers at once, as a fresh one does.

use super::Action;
use crate::host::{Host, OpError};
use crate::plan::{LinkChange, Op};
use crate::record::{Fault, Record};

/// Whether carrying out `a` can give traffic back: an interface set up,
/// an impairment changed or removed.
pub(super) fn restores(a: &Action) -> bool {
    match a {
        Action::Op(op) => matches!(
            **op,
            Op::SetLink {
                change: LinkChange { up: Some(true), .. },
                ..
            } | Op::SetImpair { .. }
        ),
        _ => false,
    }
}

/// For `up` over a lab that had faults (`prev`): interfaces they had down
/// or impaired are as the file says again, so what they left unresolved
/// goes from every node of the lab now (`rec`). A failure is a note: the
/// lab is up.
pub(in crate::lab) fn forget_after_up(
    host: &mut dyn Host,
    prev: &Record,
    rec: &Record,
) -> Vec<String> {
    if !(cut(&prev.faults) || cut(&prev.pending)) {
        return Vec::new();
    }
    forget(host, rec)
        .into_iter()
        .map(|e| format!("after the faults: {e}"))
        .collect()
}

/// Whether `faults` held something that cut traffic (what `up` undoes
/// with its plan: an interface down, an impairment, a stopped node).
fn cut(faults: &[Fault]) -> bool {
    faults.iter().any(|f| {
        matches!(
            f,
            Fault::LinkDown { .. } | Fault::Impair { .. } | Fault::Stopped { .. }
        )
    })
}

/// Every node of the lab with a namespace of its own forgets its
/// unresolved neighbours (the host node, the machine's own namespace, is
/// left alone); what could not be done.
pub(super) fn forget(host: &mut dyn Host, rec: &Record) -> Vec<OpError> {
    rec.nodes
        .iter()
        .filter(|(_, netns)| netns.is_some())
        .filter_map(|(node, _)| super::at(rec, node))
        .filter_map(|at| host.forget_unresolved(&at).err())
        .collect()
}
