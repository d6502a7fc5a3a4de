//! How the lab's recorded processes are, for `show`.

use super::{ids_of, lab_namespaces, verified};
use crate::host::Host;
use crate::record::{Process, Record};

/// How a recorded process is, for `show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Running {
    /// The recorded process, in its node's namespace.
    Yes,
    /// As `Yes`, but stopped by a signal (`nslab stop`).
    Frozen,
    Exited,
    /// Left in a namespace that is not its node's (gone, or replaced).
    OutsideItsNode,
}

impl std::fmt::Display for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Running::Yes => "running",
            Running::Frozen => "frozen",
            Running::Exited => "exited",
            Running::OutsideItsNode => "running outside its node's namespace",
        })
    }
}

/// The recorded processes of `node` (every node if `None`), each with how
/// it is now.
pub fn status<'r>(
    host: &mut dyn Host,
    rec: &'r Record,
    node: Option<&str>,
) -> Vec<(&'r Process, Running)> {
    let p = host.processes();
    let mut out = Vec::new();
    let lab_ns = lab_namespaces(p, rec);
    for r in &rec.processes {
        if node.is_none_or(|n| n == r.node) {
            let home = rec
                .nodes
                .get(&r.node)
                .and_then(|ns| ns.as_ref())
                .and_then(|ns| ids_of(p, [ns]).first().copied());
            let state = match verified(p, &rec.lab, r, &lab_ns) {
                None => Running::Exited,
                Some(q) if home.is_some() && q.ns == home => match q.stat.state {
                    'T' => Running::Frozen,
                    _ => Running::Yes,
                },
                Some(_) => Running::OutsideItsNode,
            };
            out.push((r, state));
        }
    }
    out
}
