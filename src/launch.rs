//! The one way a lab is brought up, for the CLI (`nslab up`, `demo`) and
//! the facade ([`crate::Lab`]) alike: the file is read and validated
//! against this machine (the `physical` interfaces it has, counting those
//! the lab already holds in its nodes, and the `run:` programs it can
//! start), the kernel is made to match it, the `serve:`/`run:` processes are
//! started, and when they cannot be, a lab this call created is removed
//! again while a lab that was up before is left up. Nothing here prints:
//! warnings and notes are returned.

use crate::lab::{self, LabError};
use crate::plan::Plan;
use crate::services::ServiceError;
use crate::state::{desired::desired, State};
use nslab_model::{Host, Problems, Topology};
use nslab_sys::statedir::StateDir;
use std::fmt;
use std::path::Path;

mod fs;
mod machine;

pub(crate) use fs::ids as owner_ids;

use machine::{host, KernelInterfaces, LocalImages};

/// The built-in demo lab: the Docker bridge setup of the spec.
pub(crate) const DEMO: &str = include_str!("../examples/docker-bridge.yaml");

/// The source recorded for a lab brought up from the built-in demo.
pub(crate) const DEMO_SOURCE: &str = "(built-in demo)";

/// A topology validated against this machine, with its desired state.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub topology: Topology,
    pub desired: State,
    /// The file's text, kept in the state directory for `check` and `plan`.
    pub text: String,
    /// Where it came from (a canonical path, `(string)`, the demo), for `ls`.
    pub source: String,
    /// What is allowed but almost surely a mistake, in words.
    pub warnings: Vec<String>,
}

/// Validate `text` (named `name` in messages) against this machine.
pub(crate) fn parse(name: &str, text: &str) -> Result<Loaded, Problems> {
    parse_at(name, text, Path::new("."))
}

/// [`parse`], `from:` files relative to `base`.
pub(crate) fn parse_at(name: &str, text: &str, base: &Path) -> Result<Loaded, Problems> {
    let interfaces = KernelInterfaces::for_file(text);
    let topology = nslab_model::parse_str_on(name, text, host(&interfaces))?;
    let mut desired = desired(&topology);
    let problems = fs::resolve(&topology, &mut desired, base);
    if !problems.is_empty() {
        return Err(Problems::found(topology.source.clone(), problems));
    }
    Ok(Loaded {
        warnings: warnings(&desired),
        topology,
        desired,
        text: text.to_string(),
        source: name.to_string(),
    })
}

/// Read the file at `path` (`-`: standard input; at most the model's
/// bound) and validate it against this machine. The source recorded is
/// its canonical path.
pub(crate) fn read(path: &Path) -> Result<Loaded, Problems> {
    let text = nslab_model::read_file(path)?;
    let source = if path == Path::new("-") {
        "(standard input)".to_string()
    } else {
        std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string()
    };
    let base = match path.parent() {
        Some(p) if path != Path::new("-") && !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut l = parse_at(&path.display().to_string(), &text, base)?;
    l.source = source;
    Ok(l)
}

/// The plain text of `problems` as `nslab` prints it: one line per
/// problem with its place and hint, and the count (the facade's error
/// says the same).
pub(crate) fn problems_text(problems: &Problems) -> String {
    format!("{}{problems}; nothing was changed", problems.render_plain())
}

/// The built-in demo lab.
pub(crate) fn demo() -> Result<Loaded, Problems> {
    parse(DEMO_SOURCE, DEMO)
}

/// What [`up`] did.
#[derive(Debug)]
pub(crate) struct Started {
    pub plan: Plan,
    /// What the user must know (a physical interface given back under
    /// another name).
    pub notes: Vec<String>,
    /// What went wrong without stopping it (a record that could not be
    /// read).
    pub warnings: Vec<String>,
}

/// Why [`up`] failed.
#[derive(Debug)]
pub(crate) enum UpError {
    /// The network could not be made (what was undone is in the error).
    Lab(LabError),
    /// The file's images are not all in Podman's local store: nothing was
    /// made.
    Invalid(Problems),
    /// The network was made but a process could not start; the processes
    /// this call started were stopped again, and `undone` says what became
    /// of the lab.
    Processes { error: ServiceError, undone: Undone },
}

/// What became of the lab after its processes failed to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Undone {
    /// The lab was up before this call: it keeps the network this call
    /// applied and the processes that ran before.
    KeptUp { lab: String },
    /// This call created the lab, and removed it again.
    Removed,
    /// This call created the lab; removing it again failed (why).
    NotRemoved { lab: String, why: String },
}

impl fmt::Display for Undone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Undone::KeptUp { lab } => write!(
                f,
                "the processes this run started were stopped; the network matches the file, \
                 the processes that were running before still run; fix the entry and bring \
                 lab {lab} up again"
            ),
            Undone::Removed => write!(
                f,
                "the lab was removed again: nothing this run made is left"
            ),
            Undone::NotRemoved { lab, why } => write!(
                f,
                "removing the lab again failed: {why}; run `nslab down {lab}`"
            ),
        }
    }
}

impl UpError {
    /// Whether this call created the lab and removed it again.
    pub fn removed(&self) -> bool {
        matches!(
            self,
            UpError::Processes {
                undone: Undone::Removed,
                ..
            }
        )
    }
}

impl fmt::Display for UpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpError::Lab(e) => write!(f, "{e}"),
            UpError::Invalid(p) => write!(f, "{}", problems_text(p)),
            UpError::Processes { error, undone } => write!(f, "{error}\n  {undone}"),
        }
    }
}

impl std::error::Error for UpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UpError::Lab(e) => e.source(),
            UpError::Invalid(_) => None,
            UpError::Processes { error, .. } => Some(error),
        }
    }
}

/// Make the kernel match `l` and start its processes; on a failure, undo
/// as the CLI promises (see [`UpError`]). Raises the open-files limit
/// first: a lab holds a namespace and a socket per node. `host` is the
/// machine (a `Linux` of the lab's; the fake in tests).
pub(crate) fn up(
    host: &mut dyn crate::host::Host,
    l: &Loaded,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Started, UpError> {
    check_images(host, l).map_err(UpError::Invalid)?;
    nslab_sys::process::raise_open_files_limit();
    let name = l.desired.lab.clone();
    // A lab this call creates is removed again if its processes fail.
    // A lab with no state directory is new unless one of the file's
    // namespaces exists (no read of /run/netns: its cost would grow with
    // the other labs on the machine).
    let fresh = match StateDir::find(&name) {
        Ok(None) => !l
            .desired
            .nodes
            .values()
            .filter_map(|n| n.netns.as_deref())
            .any(nslab_sys::netns::exists),
        _ => lab::owned_namespaces(host, &name).is_empty(),
    };
    // The network and the processes under one hold of the lab's lock: a
    // `down` waiting for it cannot run in between.
    let (report, processes) =
        lab::up_with_processes(host, &l.topology, &l.desired, &l.source, &l.text, progress)
            .map_err(UpError::Lab)?;
    if let Err(error) = processes {
        let undone = if !fresh {
            Undone::KeptUp { lab: name }
        } else {
            match lab::down(host, &name) {
                Ok(r) if r.errors.is_empty() => Undone::Removed,
                Ok(r) => Undone::NotRemoved {
                    why: r
                        .errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                    lab: name,
                },
                Err(e) => Undone::NotRemoved {
                    why: e.to_string(),
                    lab: name,
                },
            }
        };
        return Err(UpError::Processes { error, undone });
    }
    Ok(Started {
        plan: report.plan,
        notes: report.notes,
        warnings: report.warnings,
    })
}

/// For `up`: the file's images are in the host's local store (Podman's;
/// nslab pulls nothing), each problem at its `image:`.
fn check_images(host: &mut dyn crate::host::Host, l: &Loaded) -> Result<(), Problems> {
    if l.topology.nodes.values().all(|n| n.image.is_none()) {
        return Ok(());
    }
    let interfaces = KernelInterfaces::for_file(&l.topology.source.text);
    let host = Host {
        interfaces: &interfaces,
        programs: &LocalImages(std::cell::RefCell::new(host.containers())),
    };
    nslab_model::parse_str_on(&l.topology.source.name, &l.topology.source.text, host).map(|_| ())
}

/// What is allowed but almost surely a mistake: a NAT rule the file asks
/// for twice in one node (`nat.masquerade` and a network's own
/// `masquerade`, say). The kernel would evaluate both; the first decides.
pub(crate) fn warnings(desired: &State) -> Vec<String> {
    let mut out = Vec::new();
    for (node, n) in &desired.nodes {
        let Some(nat) = &n.nat else { continue };
        let mut seen = std::collections::BTreeMap::new();
        for r in &nat.rules {
            let count = seen.entry(r).or_insert(0u32);
            *count += 1;
            // Once per rule: at its second occurrence.
            if *count == 2 {
                out.push(format!(
                    "node {node}: the NAT rule `{r}` is asked for twice (a `nat:` entry and a network's \
                     `masquerade`/`publish` may say the same); drop one — the second never matches a packet"
                ));
            }
        }
    }
    out
}
