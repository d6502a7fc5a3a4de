//! `image:` and `cmd:`: a node that runs as a container of an image
//! (Podman). The reference and the command are checked here; whether
//! Podman and the image are on this machine is asked of the host at
//! validation (`validate/images.rs`).

use super::Ctx;
use crate::names::NodeName;
use crate::problem::ProblemKind;
use crate::raw::{loc_of, Leaf, RawNode};
use crate::topology::{Node, NodeKind};

/// `image:` and `cmd:` of node `name` (`p`: its path, `nodes.<name>`).
pub(crate) fn lower_image(
    cx: &mut Ctx<'_>,
    p: &str,
    name: &NodeName,
    raw: &RawNode,
    node: &mut Node,
) {
    if let Some(leaf) = &raw.image {
        cx.span(format!("{p}.image"), loc_of(leaf));
        node.image = reference(cx, leaf);
        if node.kind == NodeKind::Host {
            cx.push(
                ProblemKind::InvalidValue,
                loc_of(leaf),
                format!("node `{name}` is the host namespace; it cannot be a container"),
                "remove `image:`, or remove `kind: host`",
            );
        }
    }
    let Some(cmd) = &raw.cmd else { return };
    let at = cmd.first().map(loc_of).unwrap_or(node.loc);
    cx.span(format!("{p}.cmd"), at);
    if raw.image.is_none() {
        cx.push(
            ProblemKind::InvalidValue,
            at,
            format!("node `{name}` has `cmd:` but no `image:`; `cmd:` is a container's command"),
            "add `image:`, or write the command under `run:`",
        );
    }
    if cmd.is_empty() {
        cx.push(
            ProblemKind::InvalidValue,
            at,
            format!("node `{name}`: `cmd:` is empty"),
            "write the command as a list (`cmd: [httpd, -f]`), or remove `cmd:` to run the image's own",
        );
        return;
    }
    let mut argv = Vec::new();
    for a in cmd {
        let Some(t) = cx.text(a, "a command-line word") else {
            continue;
        };
        if t.contains('\0') {
            cx.push(
                ProblemKind::InvalidValue,
                loc_of(a),
                "a command-line word cannot hold a NUL character",
                "remove the `\\0`",
            );
            continue;
        }
        argv.push(t);
    }
    if argv.len() == cmd.len() {
        node.cmd = Some(argv);
    }
}

/// An image node's `dirs:` are bound into its container with Podman's
/// `-v SRC:DEST`, which cannot take a path holding `:`.
pub(crate) fn container_dirs(cx: &mut Ctx<'_>, name: &NodeName, node: &Node) {
    if node.image.is_none() {
        return;
    }
    for d in node.dirs.iter().filter(|d| d.path.contains(':')) {
        cx.push(
            ProblemKind::InvalidValue,
            d.loc,
            format!(
                "node `{name}` is a container; its directory `{}` cannot hold `:` (Podman binds it with `-v SRC:DEST`)",
                d.path.escape_debug()
            ),
            "rename the directory without `:`, or remove `image:`",
        );
    }
}

/// An image reference as Podman takes it (`[registry/]name[:tag][@digest]`):
/// letters, digits and `._-/:@`, starting with a letter or digit (so it
/// is never read as an option of `podman run`), at most 255 characters.
fn reference(cx: &mut Ctx<'_>, leaf: &Leaf) -> Option<String> {
    let t = cx.text(leaf, "an image reference")?;
    let ok = t.len() <= 255
        && t.starts_with(|c: char| c.is_ascii_alphanumeric())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c));
    if !ok {
        cx.push(
            ProblemKind::InvalidName,
            loc_of(leaf),
            format!("`{}` cannot be an image reference", t.escape_debug()),
            "an image is named like `localhost/name:tag` or `registry.example/name:tag` (letters, digits and `._-/:@`, starting with a letter or digit)",
        );
        return None;
    }
    Some(t)
}
