//! What the commands share: naming a lab (by name or file), finding its
//! state and record, loading the file it was brought up from, printing a
//! plan, explaining an error. A helper here imports no command file: the
//! commands import it, one way.

use super::load::{self, Loaded};
use super::{fail, Exit};
use crate::lab::{self, LabError};
use crate::plan::Plan;
use crate::record::{self, Record};
use nslab_sys::statedir::StateDir;
use std::path::{Path, PathBuf};

/// A plan as the equivalent commands, or as `{"lab", "operations"}`.
pub(super) fn print_plan(lab: &str, p: &Plan, json: bool) {
    if json {
        println!("{}", super::json::plan_report(lab, p));
    } else {
        for s in &p.steps {
            println!("{}", s.op);
        }
    }
}

pub(super) fn lab_error(e: LabError) -> Exit {
    if nix_is_root() {
        fail(e)
    } else {
        fail(format!(
            "{e}\n  hint: changing the kernel needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN)"
        ))
    }
}

pub(super) fn nix_is_root() -> bool {
    nslab_sys::sandbox::is_root()
}

/// LAB names a topology file (a path, or a name ending in .yaml, .yml or
/// .json) that exists, rather than a lab.
pub(super) fn looks_like_file(lab: &str) -> bool {
    (lab.contains('/') || [".yaml", ".yml", ".json"].iter().any(|e| lab.ends_with(e)))
        && Path::new(lab).exists()
}

/// A lab's name, from a name or the path of its topology file.
pub(super) fn lab_name(lab: &str) -> Result<String, Exit> {
    let p = Path::new(lab);
    if looks_like_file(lab) {
        return load::from_file(p).map(|l| l.desired.lab.clone());
    }
    Ok(lab.to_string())
}

/// A lab name that no lab is up under: bad input (status 2).
pub(super) fn not_up(lab: &str) -> Exit {
    eprintln!("error: lab {lab} is not up (`nslab ls` lists the labs that are; `nslab up FILE` brings one up)");
    Exit::BadInput
}

/// The state directory of a lab that is up, or "not up" (status 2). Only
/// `up` makes a lab's directory: looking never does.
pub(super) fn state_dir_of(lab: &str) -> Result<StateDir, Exit> {
    match StateDir::find(lab) {
        Ok(Some(d)) => Ok(d),
        Ok(None) => Err(not_up(lab)),
        Err(e @ nslab_sys::Error::InvalidName { .. }) => {
            eprintln!("error: {e}");
            Err(Exit::BadInput)
        }
        Err(e) => Err(fail(e)),
    }
}

/// The record of a lab that is up, or an error naming it.
pub(super) fn record_of(lab: &str) -> Result<Record, Exit> {
    let dir = state_dir_of(lab)?;
    match lab::look(&dir) {
        Ok(lab::Recorded::Found(r)) => Ok(*r),
        Ok(lab::Recorded::Missing) => Err(not_up(lab)),
        Ok(lab::Recorded::Unreadable(why)) => Err(fail(format!(
            "the record of lab {lab} cannot be read ({why}); `nslab down {lab}` removes the lab by the marks it left in the kernel"
        ))),
        Err(e) => Err(fail(e)),
    }
}

/// The name and record of a lab that is up (by name or file), and the
/// node asked for, if any, checked against it (bad input if it has none).
pub(super) fn lab_and_node(lab: &str, node: Option<&str>) -> Result<(String, Record), Exit> {
    let name = lab_name(lab)?;
    let rec = record_of(&name)?;
    if let Some(n) = node.filter(|n| !rec.nodes.contains_key(*n)) {
        return Err(super::bad_input(format!(
            "lab {name} has no node {n}; its nodes: {}",
            rec.nodes.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    Ok((name, rec))
}

/// The topology to check: LAB given as a file is that file as it is now
/// (its current `expect:`), for a lab that is up; LAB given as a name is
/// the file the lab was brought up from (kept in its state directory).
pub(super) fn loaded_lab(lab: &str) -> Result<Loaded, Exit> {
    if looks_like_file(lab) {
        let l = load::from_file(Path::new(lab))?;
        state_dir_of(&l.desired.lab)?;
        return Ok(l);
    }
    let name = lab_name(lab)?;
    let dir = state_dir_of(&name)?;
    let text = match dir.read(record::TOPOLOGY).map_err(fail)? {
        Some(b) => String::from_utf8_lossy(&b).into_owned(),
        None => return Err(not_up(&name)),
    };
    // Its `from:` files are where they were: beside the file it came from.
    let base = match lab::look(&dir) {
        Ok(lab::Recorded::Found(r)) => Path::new(&r.source)
            .parent()
            .filter(|p| p.is_absolute())
            .map(Path::to_path_buf),
        _ => None,
    };
    let base = base.unwrap_or_else(|| PathBuf::from("."));
    load::parse_at(&format!("{name} (as brought up)"), &text, &base)
}
