//! Which lab and nodes a fault aims at: the lab's record (locked or read
//! only), where a node lives, and the file the lab was brought up from.

use super::super::{look, sd_err, Recorded};
use super::FaultError;
use crate::plan::At;
use crate::record::{self, Record};
use crate::state::State;
use nslab_sys::statedir::StateDir;

/// The lab's state directory, locked, and its record. A lab that is not
/// up (or went away while this waited for its lock) is `NotUp`, and
/// nothing is made for it.
pub(super) fn open(
    lab: &str,
) -> Result<(StateDir, nslab_sys::statedir::LockGuard, Record), FaultError> {
    let dir = StateDir::find(lab)
        .map_err(sd_err)?
        .ok_or_else(|| FaultError::NotUp(lab.to_string()))?;
    let lock = dir
        .lock_existing()
        .map_err(sd_err)?
        .ok_or_else(|| FaultError::NotUp(lab.to_string()))?;
    match look(&dir)? {
        Recorded::Found(r) => Ok((dir, lock, *r)),
        Recorded::Missing => Err(FaultError::NotUp(lab.to_string())),
        Recorded::Unreadable(why) => Err(FaultError::BadInput(format!(
            "the record of lab {lab} cannot be read ({why}); `nslab down {lab}` removes the lab"
        ))),
    }
}

/// Where `node` lives, from the lab's record only (`None` namespace: the
/// lab's host node). A node the record does not list is not the lab's:
/// `None`, never the host node in its place.
pub(super) fn at(rec: &Record, node: &str) -> Option<At> {
    Some(At {
        node: node.to_string(),
        netns: rec.nodes.get(node)?.clone(),
    })
}

/// Refuses nodes the lab's record does not list (a file that names more
/// nodes than the lab was brought up with, a node an `up` removed).
pub(super) fn check_recorded<'a>(
    rec: &Record,
    nodes: impl IntoIterator<Item = &'a str>,
) -> Result<(), FaultError> {
    for n in nodes {
        if !rec.nodes.contains_key(n) {
            let known: Vec<&str> = rec.nodes.keys().map(String::as_str).collect();
            return Err(FaultError::BadInput(format!(
                "node {n} is not a node of lab {} as it is up (its nodes: {}); \
                 `nslab up` the file that has it first",
                rec.lab,
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// The lab's record, read without its lock (for a step that only looks).
fn read_only(lab: &str) -> Result<Record, FaultError> {
    let dir = StateDir::find(lab)
        .map_err(sd_err)?
        .ok_or_else(|| FaultError::NotUp(lab.to_string()))?;
    match look(&dir)? {
        Recorded::Found(r) => Ok(*r),
        Recorded::Missing => Err(FaultError::NotUp(lab.to_string())),
        Recorded::Unreadable(why) => Err(FaultError::BadInput(format!(
            "the record of lab {lab} cannot be read ({why}); `nslab down {lab}` removes the lab"
        ))),
    }
}

/// Refuses nodes that are not the lab's as it is up (for scenario steps
/// that probe or run commands in nodes).
pub fn check_nodes(lab: &str, nodes: Vec<&str>) -> Result<(), FaultError> {
    if nodes.is_empty() {
        return Ok(());
    }
    check_recorded(&read_only(lab)?, nodes)
}

/// The namespace of `node` as the lab's record says (`None`: the lab's
/// host node); a node the record does not list is refused.
pub fn node_netns(lab: &str, node: &str) -> Result<Option<String>, FaultError> {
    let rec = read_only(lab)?;
    check_recorded(&rec, [node])?;
    Ok(at(&rec, node).and_then(|a| a.netns))
}
/// The text the lab was brought up from, if `desired` is that lab;
/// a file that differs from it is refused with a hint to `up` it.
pub(super) fn brought_up_from(dir: &StateDir, desired: &State) -> Result<String, FaultError> {
    let lab = &desired.lab;
    let bytes = dir.read(record::TOPOLOGY).map_err(sd_err)?.ok_or_else(|| {
        FaultError::BadInput(format!(
            "lab {lab} has no copy of the file it was brought up from; \
             `nslab up FILE` brings it up from a file again"
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        FaultError::BadInput(format!(
            "the copy of the file lab {lab} was brought up from is not UTF-8 ({e}); \
             `nslab up FILE` brings it up from a file again"
        ))
    })?;
    let t = nslab_model::parse_str("", &text, &nslab_model::AnyHostInterfaces).map_err(|e| {
        FaultError::BadInput(format!(
            "the copy of the file lab {lab} was brought up from cannot be read ({e}); \
             `nslab up FILE` brings it up from a file again"
        ))
    })?;
    if as_written(crate::state::desired::desired(&t)) != as_written(desired.clone()) {
        return Err(FaultError::BadInput(format!(
            "lab {lab} was brought up from another version of this file; healing puts \
             the lab back as it was brought up: `nslab heal {lab}` does that, \
             `nslab up FILE` makes the lab match this file"
        )));
    }
    Ok(text)
}

/// `s` as its file alone says it, without what `up` read from the machine
/// (each `owner:`'s ids, each `from:` file's bytes): two loads of one
/// version of a file compare equal, whether or not they were resolved.
fn as_written(mut s: State) -> State {
    for n in s.nodes.values_mut() {
        for d in &mut n.fs.dirs {
            (d.uid, d.gid) = (0, 0);
        }
        for f in n.fs.files.values_mut() {
            (f.uid, f.gid) = (0, 0);
            if f.from.is_some() {
                f.content.clear();
            }
        }
    }
    s
}

/// For `nslab test FILE`: refuses a file that differs from the one the
/// lab was brought up from (its scenarios would run against another lab
/// than the one up).
pub fn check_brought_up_from(desired: &State) -> Result<(), FaultError> {
    let (dir, _lock, _) = open(&desired.lab)?;
    brought_up_from(&dir, desired).map(|_| ())
}
