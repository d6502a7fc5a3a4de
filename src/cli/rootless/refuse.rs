//! What a lab without root cannot have, refused before anything is made.
//!
//! TODO(issue 19): a stand-in until `validate --rootless`'s refusals (in
//! `nslab_model`, by the other half of the issue) land; then this calls
//! them instead, with their file:line:column.

use crate::cli::load::Loaded;
use crate::cli::Exit;
use nslab_model::{IfKind, NodeKind};

/// Why each part of the file cannot be made without root, in file order
/// of nodes.
pub(super) fn reasons(loaded: &Loaded) -> Vec<String> {
    let mut out = Vec::new();
    for (name, node) in &loaded.topology.nodes {
        if node.kind == NodeKind::Host {
            out.push(format!(
                "node {name} is `kind: host`: the machine's own network namespace is root's"
            ));
        }
        if node.image.is_some() {
            out.push(format!(
                "node {name} has `image:`: containers need root (rootless Podman is not supported)"
            ));
        }
        let owners = node.dirs.iter().map(|d| (&d.path, &d.owner));
        let owners = owners.chain(node.files.iter().map(|(p, f)| (p, &f.owner)));
        for (path, owner) in owners {
            if let Some(o) = owner.as_ref().filter(|o| !is_root(o)) {
                out.push(format!(
                    "node {name}: {path} is to be owned by {o}: without root, only uid 0 of \
                     the lab's user namespace (the user) can own files"
                ));
            }
        }
        for (ifname, i) in &node.interfaces {
            if matches!(i.kind, IfKind::Physical { .. }) {
                out.push(format!(
                    "interface {name}:{ifname} is `physical:`: the machine's interfaces are root's"
                ));
            }
        }
    }
    out
}

fn is_root(o: &nslab_model::Owner) -> bool {
    let root = |w: &str| w == "root" || w == "0";
    root(&o.user) && o.group.as_deref().is_none_or(root)
}

/// Bad input (status 2) when the lab needs root.
pub(super) fn refuse(loaded: &Loaded) -> Result<(), Exit> {
    let why = reasons(loaded);
    if why.is_empty() {
        return Ok(());
    }
    for w in &why {
        eprintln!("error: {w}");
    }
    Err(crate::cli::bad_input(format!(
        "lab {} cannot be brought up without root ({} problem(s) above); nothing was changed\n  \
         hint: run it as root (sudo nslab up FILE)",
        loaded.desired.lab,
        why.len()
    )))
}
