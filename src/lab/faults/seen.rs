//! What a lab's record and the kernel say of its faults: the faults to
//! undo, and the partitions in force.

use super::super::{look, sd_err, Recorded};
use super::target::at;
use super::FaultError;
use crate::host::linux::Drops;
use crate::host::{Host, OpError};
use crate::record::{Fault, Record};
use nslab_sys::statedir::StateDir;

/// The faults of a lab that `up` and `heal` undo: those in force and
/// those a killed command may have left half put in, as its record
/// lists them (none when the lab is not up). A record that cannot be
/// read is an error, not "no faults".
pub fn active(lab: &str) -> Result<Vec<Fault>, FaultError> {
    let Some(dir) = StateDir::find(lab).map_err(sd_err)? else {
        return Ok(Vec::new());
    };
    match look(&dir)? {
        Recorded::Found(r) => {
            let mut all = r.faults;
            for f in r.pending {
                if !all.contains(&f) {
                    all.push(f);
                }
            }
            Ok(all)
        }
        Recorded::Missing => Ok(Vec::new()),
        Recorded::Unreadable(why) => Err(FaultError::BadInput(format!(
            "the faults of lab {lab} cannot be read: the record of lab {lab} cannot be read \
             ({why}); `nslab down {lab}` removes the lab"
        ))),
    }
}

/// What the kernel holds of the lab's partitions: node -> its drops, or
/// why it could not be read.
pub fn partitions_seen(host: &mut dyn Host, rec: &Record) -> Vec<(String, Result<Drops, OpError>)> {
    let mut out = Vec::new();
    for n in rec.nodes.keys() {
        let Some(at) = at(rec, n) else { continue };
        match host.partition_of(&at) {
            Ok(Some(d)) => out.push((n.clone(), Ok(d))),
            Ok(None) => {}
            Err(e) => out.push((n.clone(), Err(e))),
        }
    }
    out
}
