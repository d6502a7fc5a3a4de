//! `dirs:` and `files:` against this machine, before anything is made:
//! each `owner:` names a user (and group) the machine has, each `from:`
//! file is read (relative to the topology file) — a problem at its place
//! in the file otherwise.

use crate::state::State;
use nslab_model::{Loc, Owner, Problem, ProblemKind, Topology};
use std::path::Path;

fn problem(t: &Topology, loc: Loc, message: String, hint: &str) -> Problem {
    Problem {
        kind: ProblemKind::InvalidValue,
        message,
        file: t.source.name.clone(),
        loc,
        hint: hint.to_string(),
    }
}

/// An owner this machine does not have.
#[derive(Debug, thiserror::Error)]
pub(crate) enum NoSuch {
    #[error("this machine has no user `{0}`")]
    User(String),
    #[error("this machine has no group `{0}`")]
    Group(String),
}

/// The uid and gid of `owner` on this machine (the user's own group when
/// no group is written), or what is wrong.
pub(crate) fn ids(owner: &Owner) -> Result<(u32, u32), NoSuch> {
    use nix::unistd::{Group, User};
    let user = match owner.user.parse::<u32>() {
        Ok(uid) => User::from_uid(uid.into())
            .ok()
            .flatten()
            .map_or((uid, None), |u| (uid, Some(u.gid.as_raw()))),
        Err(_) => match User::from_name(&owner.user) {
            Ok(Some(u)) => (u.uid.as_raw(), Some(u.gid.as_raw())),
            _ => return Err(NoSuch::User(owner.user.clone())),
        },
    };
    let gid = match &owner.group {
        None => user.1.unwrap_or(user.0),
        Some(g) => match g.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => match Group::from_name(g) {
                Ok(Some(gr)) => gr.gid.as_raw(),
                _ => return Err(NoSuch::Group(g.clone())),
            },
        },
    };
    Ok((user.0, gid))
}

/// Fills in the ids of every owner and the text of every `from:` file in
/// `s`; the problems found.
pub(super) fn resolve(t: &Topology, s: &mut State, base: &Path) -> Vec<Problem> {
    let mut out = Vec::new();
    let hint_owner = "create the user (and group) first, or write another owner";
    for (name, node) in &t.nodes {
        let Some(n) = s.nodes.get_mut(name.as_str()) else {
            continue;
        };
        for (d, ds) in node.dirs.iter().zip(n.fs.dirs.iter_mut()) {
            if let Some(o) = &d.owner {
                match ids(o) {
                    Ok((u, g)) => (ds.uid, ds.gid) = (u, g),
                    Err(e) => out.push(problem(t, d.loc, e.to_string(), hint_owner)),
                }
            }
        }
        for (path, f) in &node.files {
            let Some(fs) = n.fs.files.get_mut(path) else {
                continue;
            };
            if let Some(o) = &f.owner {
                match ids(o) {
                    Ok((u, g)) => (fs.uid, fs.gid) = (u, g),
                    Err(e) => out.push(problem(t, f.owner_loc, e.to_string(), hint_owner)),
                }
            }
            if let nslab_model::FileContent::From(rel) = &f.content {
                let p = base.join(rel);
                match std::fs::read(&p).map(String::from_utf8) {
                    Ok(Ok(text)) => fs.content = text,
                    Ok(Err(_)) => out.push(problem(
                        t,
                        f.from_loc,
                        format!("{} is not UTF-8 text", p.display()),
                        "`from:` takes a text file",
                    )),
                    Err(e) => out.push(problem(
                        t,
                        f.from_loc,
                        format!("cannot read {}: {e}", p.display()),
                        "`from:` is relative to the topology file's directory",
                    )),
                }
            }
        }
    }
    out
}
