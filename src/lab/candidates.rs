//! Which names a lab looks at for what it made: those its readable record
//! lists, and, only when the record is or was lost, every name under
//! `<lab>-…` (a read of whole directories, whose cost grows with the other
//! labs on the machine).

use super::{look, Recorded};
use crate::host::Host;
use crate::record::Record;
use crate::state::State;
use nslab_sys::statedir::StateDir;

/// The lab's namespaces under /run/netns (those whose `lo` carries its
/// mark), looked for only among the names its record lists and those
/// starting with `<lab>-` ([`crate::host::query::lab_namespaces`]).
pub fn owned_namespaces(host: &mut dyn Host, lab: &str) -> Vec<String> {
    let record = match StateDir::find(lab) {
        Ok(Some(dir)) => match look(&dir) {
            Ok(Recorded::Found(r)) => Some(r),
            _ => None,
        },
        _ => None,
    };
    match record {
        // Every namespace the lab made is in it: no other name is looked at.
        Some(r) if !r.leftovers => host.lab_namespaces_among(lab, &recorded_namespaces(&r)),
        r => host.lab_namespaces(lab, &r.map(|r| recorded_namespaces(&r)).unwrap_or_default()),
    }
}

/// The record `up` starts from: the readable one, else a new one; marked
/// [`Record::leftovers`] when a lost record's time may have left what it
/// does not list (carried into every record after, until `down`).
pub(super) fn previous(
    dir: &StateDir,
    desired: &State,
    prev: Option<Record>,
    unreadable: bool,
) -> Record {
    let leftovers = lost_before(dir, desired, prev.as_ref(), unreadable);
    let mut r = prev.unwrap_or_else(|| Record::new(&desired.lab));
    r.leftovers = leftovers;
    r
}

/// Whether what the lab made may be listed in no record, when `up` starts
/// from `prev` (`None`: no readable record; `unreadable`: it was there but
/// could not be read, and was set aside): a lost record's time. A missing
/// record in a directory that holds more than its lock (a record set
/// aside, the file's text), or beside namespaces of the file's that exist
/// already, is one too; a new lab's is not.
fn lost_before(dir: &StateDir, desired: &State, prev: Option<&Record>, unreadable: bool) -> bool {
    if let Some(r) = prev {
        return r.leftovers;
    }
    if unreadable {
        return true;
    }
    let more_than_lock = std::fs::read_dir(dir.path())
        .map(|d| d.flatten().any(|e| e.file_name() != "lock"))
        .unwrap_or(false);
    more_than_lock
        || desired
            .nodes
            .values()
            .filter_map(|n| n.netns.as_deref())
            .any(nslab_sys::netns::exists)
}

/// The namespaces a record lists for the lab's nodes.
pub(super) fn recorded_namespaces(rec: &Record) -> Vec<String> {
    rec.nodes.values().flatten().cloned().collect()
}
