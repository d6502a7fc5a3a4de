//! `image:` against the host: Podman must be there (only a file with
//! `image:` needs it), and each image must be in the local store already
//! — nslab pulls nothing, so a missing image stops the run before
//! anything is made.

use crate::ctx::Ctx;
use crate::problem::ProblemKind;
use crate::topology::{Host, ImageLookup, ProgramLookup, Topology};
use std::collections::BTreeMap;

/// The program that runs image nodes.
pub(crate) const PODMAN: &str = "podman";

pub(super) fn check_images(cx: &mut Ctx<'_>, t: &Topology, host: Host<'_>) {
    let nodes: Vec<_> = t
        .nodes
        .iter()
        .filter_map(|(name, n)| n.image.as_ref().map(|i| (name, i, n.loc)))
        .collect();
    let Some((first, _, first_loc)) = nodes.first() else {
        return;
    };
    let loc_of = |cx: &Ctx<'_>, name: &crate::names::NodeName, loc| {
        cx.spans.get_or(&format!("nodes.{name}.image"), loc)
    };
    match host.programs.lookup(PODMAN) {
        ProgramLookup::Found => {}
        why => {
            let why = match why {
                ProgramLookup::NotExecutable => "is not an executable file",
                _ => "is not found on PATH",
            };
            let loc = loc_of(cx, first, *first_loc);
            cx.push(
                ProblemKind::ProgramMissing,
                loc,
                format!("node `{first}` has `image:`, which needs `{PODMAN}`; `{PODMAN}` {why}"),
                "install Podman (Debian: `apt-get install podman`), or remove `image:`",
            );
            return;
        }
    }
    // Asked once per image.
    let mut seen: BTreeMap<&str, ImageLookup> = BTreeMap::new();
    for (name, image, loc) in nodes {
        let found = seen
            .entry(image.as_str())
            .or_insert_with(|| host.programs.image(image))
            .clone();
        let (why, hint) = match found {
            ImageLookup::Present => continue,
            ImageLookup::Absent => (
                "is not in Podman's local store (nslab pulls nothing)".to_string(),
                format!("make it present first: `podman pull {image}`, `podman build` or `podman import`; for a lab without root, into your image store of such labs: `podman --root ${{XDG_DATA_HOME:-~/.local/share}}/nslab/images --storage-driver vfs pull {image}` (or `load`; docs/rootless.md)"),
            ),
            ImageLookup::Unknown(words) => (
                format!("cannot be looked up: {words}"),
                "check that `podman image exists IMAGE` works on this machine".to_string(),
            ),
        };
        let loc = loc_of(cx, name, loc);
        cx.push(
            ProblemKind::ProgramMissing,
            loc,
            format!("node `{name}`: image `{image}` {why}"),
            hint,
        );
    }
}
