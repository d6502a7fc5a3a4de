//! Reading a lab's record from its state directory: what it says
//! ([`look`]), the record for a run that changes the lab, and namespace
//! files a killed `up` left behind.

use super::{sd_err, LabError};
use crate::host::Host;
use crate::record::{self, Record};
use nslab_sys::statedir::StateDir;

/// What a lab's state directory says about it.
#[derive(Debug)]
pub enum Recorded {
    /// No record (the lab is not up, or its record was lost).
    Missing,
    Found(Box<Record>),
    /// A record that cannot be used (corrupt, empty, a link, not a file):
    /// why.
    Unreadable(String),
}

/// Reads a lab's record without changing anything.
pub fn look(dir: &StateDir) -> Result<Recorded, LabError> {
    let bytes = match dir.read(record::FILE) {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(Recorded::Missing),
        // A link or something that is not a file: not a record.
        Err(
            e @ nslab_sys::Error::Path {
                op: "refusing to use",
                ..
            },
        ) => return Ok(Recorded::Unreadable(e.to_string())),
        Err(e) => return Err(sd_err(e)),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Recorded::Unreadable(format!(
            "{} is empty",
            dir.path().join(record::FILE).display()
        )));
    }
    match Record::from_json(&bytes) {
        Ok(r) => Ok(Recorded::Found(Box::new(r))),
        Err(e) => Ok(Recorded::Unreadable(format!(
            "{} is not a record: {e}",
            dir.path().join(record::FILE).display()
        ))),
    }
}

/// The record for a run that changes the lab. One that cannot be read does
/// not block it: with `set_aside` it is renamed `state.json.corrupt-<time>`
/// (kept for a post-mortem), and the lab is handled by the marks its
/// namespaces and links carry in the kernel. Either way a warning says so
/// (returned beside the record, for the caller to show).
pub(super) fn read_record(
    dir: &StateDir,
    set_aside: bool,
) -> Result<(Option<Record>, Option<String>), LabError> {
    match look(dir)? {
        Recorded::Found(r) => Ok((Some(*r), None)),
        Recorded::Missing => Ok((None, None)),
        Recorded::Unreadable(why) => {
            let what = if set_aside {
                match dir.set_aside(record::FILE).map_err(sd_err)? {
                    Some(to) => format!("it was set aside as {}", to.display()),
                    None => "it is gone".to_string(),
                }
            } else {
                "it was left as it is".to_string()
            };
            let warning = format!(
                "the record of lab {} cannot be read ({why}); {what}, and the lab is \
                 handled by what carries its mark ({}) in the kernel",
                dir.lab(),
                nslab_types::names::lab_mark(dir.lab())
            );
            Ok((None, Some(warning)))
        }
    }
}

/// A namespace file of the lab's with no namespace mounted on it is what
/// an `up` killed between creating the file and mounting leaves behind:
/// remove it (as `ip netns del` would) so the name can be used again.
pub(super) fn clear_leftover_files(host: &mut dyn Host, record: &Record) {
    for ns in record.nodes.values().flatten() {
        host.clear_leftover_netns(ns);
    }
}
