//! Image nodes (`image:`): one Podman container per node, in the node's
//! network namespace, named `<lab>-<node>` and labelled with the lab
//! (see [`nslab_sys::podman`]). Started after the network at `up`,
//! removed first at `down`; `exec` runs in it, `stop`/`start` pause it.
//!
//! Podman is asked only about labs that have image nodes: the record
//! lists the lab's containers ([`Record::containers`]) and the file
//! [`MARKER`] in the lab's state directory says the lab may have some
//! (written before the first `podman run`, kept until `down`), so a lost
//! record still leads `down` to them, by their label alone.

use crate::host::Host;
use crate::record::{self, Record};
use crate::state::fs::NodeFs;
use crate::state::State;
use nslab_model::Topology;
use nslab_sys::nodefs;
use nslab_sys::podman::{self, PodmanError, Spec};
use nslab_sys::statedir::StateDir;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::process::Command;

/// In the lab's state directory: the lab has (or had) containers.
pub const MARKER: &str = "containers";

/// Why a container could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("node {node}: {source}")]
    Podman {
        node: String,
        #[source]
        source: PodmanError,
    },
    #[error("node {node}: a container named {name} is there and is not this lab's (its label {} is {lab:?}); nslab leaves it alone: remove or rename it", podman::LAB_LABEL)]
    Foreign {
        node: String,
        name: String,
        lab: String,
    },
    #[error("{0}")]
    Sys(#[from] nslab_sys::Error),
}

/// The container of node `node` of lab `lab`.
pub fn name_of(lab: &str, node: &str) -> String {
    nslab_types::names::container(lab, node)
}

/// What node `node`'s container runs with: besides its image, command,
/// host name and network namespace, the node's `env:` (`--env K=V`) and
/// each of its `dirs:` bound from its backing directory (`-v`), where
/// `up` wrote its `files:` before the container starts.
fn spec_of(
    t: &Topology,
    node: &nslab_model::NodeName,
    netns: &str,
    fs: &NodeFs,
) -> Result<Option<Spec>, nslab_sys::Error> {
    let Some(n) = t.nodes.get(node) else {
        return Ok(None);
    };
    let Some(image) = n.image.clone() else {
        return Ok(None);
    };
    let lab = t.lab.as_str();
    let mut volumes = Vec::new();
    // Names resolve as in any node (the hosts file `up` wrote).
    let hosts = nslab_sys::etc_netns::dir().join(netns).join("hosts");
    if hosts.is_file() {
        volumes.push(format!("{}:/etc/hosts:ro", hosts.display()));
    }
    for d in &fs.dirs {
        let backing = nodefs::node_dir(lab, node.as_str(), &d.path)?;
        volumes.push(format!("{}:{}", backing.display(), d.path));
    }
    let env = fs.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    Ok(Some(Spec {
        name: name_of(lab, node.as_str()),
        lab: lab.to_string(),
        node: node.to_string(),
        netns: nslab_sys::netns::netns_dir().join(netns),
        hostname: n.hostname_of(node),
        image,
        cmd: n.cmd.clone(),
        env,
        volumes,
    }))
}

/// Makes the lab's containers match the file: starts each image node's
/// container that is not running as the file says (one that exited, or
/// runs with another image, command, hostname... is replaced; a paused
/// one is kept as it is), removes the lab's containers of nodes that are
/// no longer image nodes. The caller holds the lab's lock.
pub(crate) fn start_locked(
    host: &mut dyn Host,
    dir: &StateDir,
    t: &Topology,
    desired: &State,
) -> Result<(), ContainerError> {
    let lab = t.lab.as_str();
    let mut specs = Vec::new();
    for (name, n) in &desired.nodes {
        let Some(node) = t.nodes.keys().find(|k| k.as_str() == name) else {
            continue;
        };
        let Some(ns) = n.netns.as_deref() else {
            continue;
        };
        if let Some(spec) = spec_of(t, node, ns, &n.fs)? {
            specs.push(spec);
        }
    }
    let mut rec = match dir.read(record::FILE)? {
        Some(b) => Record::from_json(&b).unwrap_or_else(|_| Record::new(lab)),
        None => Record::new(lab),
    };
    let had = !rec.containers.is_empty() || dir.read(MARKER)?.is_some();
    if specs.is_empty() && !had {
        return Ok(());
    }
    // Before the first `podman run`: `down` looks for them from now on.
    dir.write_atomic(
        MARKER,
        b"this lab may have Podman containers (label nslab.lab)\n",
    )?;
    rec.containers = specs
        .iter()
        .map(|s| (s.node.clone(), s.name.clone()))
        .collect();
    dir.write_atomic(record::FILE, &rec.to_json())?;
    let podman_err = |node: &str| {
        let node = node.to_string();
        move |source| ContainerError::Podman { node, source }
    };
    // The lab's containers no image node wants any more.
    let c = host.containers();
    let wanted: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    let stale: Vec<String> = c
        .lab_containers(lab)
        .map_err(podman_err("(all)"))?
        .into_iter()
        .filter(|c| !wanted.contains(&c.as_str()))
        .collect();
    c.remove(&stale).map_err(podman_err("(all)"))?;
    for s in &specs {
        match c.inspect(&s.name).map_err(podman_err(&s.node))? {
            Some(c) if c.lab != lab => {
                return Err(ContainerError::Foreign {
                    node: s.node.clone(),
                    name: s.name.clone(),
                    lab: c.lab,
                })
            }
            Some(c)
                if c.digest == s.digest() && matches!(c.state.as_str(), "running" | "paused") =>
            {
                continue
            }
            Some(_) => c
                .remove(std::slice::from_ref(&s.name))
                .map_err(podman_err(&s.node))?,
            None => {}
        }
        c.run(s).map_err(podman_err(&s.node))?;
    }
    Ok(())
}

/// Removes every container of the lab (by its label), if the lab has or
/// may have some (`rec`, or the marker in `dir`). Podman missing: there
/// are none. Returns what failed.
pub(crate) fn remove_all(
    host: &mut dyn Host,
    lab: &str,
    rec: Option<&Record>,
    dir: &StateDir,
) -> Option<PodmanError> {
    let listed = rec.is_some_and(|r| !r.containers.is_empty());
    let marked = matches!(dir.read(MARKER), Ok(Some(_)));
    if !listed && !marked {
        return None;
    }
    let c = host.containers();
    c.wait_starting(lab, std::time::Duration::from_secs(30));
    let names = match c.lab_containers(lab) {
        Ok(n) => n,
        Err(PodmanError::Spawn { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return None
        }
        Err(e) => return Some(e),
    };
    c.remove(&names).err()
}

/// The container of `node`, if the lab's record names one.
pub fn container_of(lab: &str, node: &str) -> Option<String> {
    let dir = StateDir::find(lab).ok()??;
    let rec = Record::from_json(&dir.read(record::FILE).ok()??).ok()?;
    rec.containers.get(node).cloned()
}

/// The one way a command runs in a lab's node: inside its container
/// (`podman exec`) for an image node, else as `ip netns exec` would
/// ([`nslab_sys::exec::command_at`]).
pub fn command_at(
    lab: &str,
    node: &str,
    netns: Option<&str>,
    argv: &[OsString],
) -> Result<Command, nslab_sys::Error> {
    match container_of(lab, node) {
        Some(c) if !argv.is_empty() => Ok(podman::exec_command(&c, argv, false)),
        _ => nslab_sys::exec::command_at(netns, argv),
    }
}

/// Pauses (`true`) or unpauses the node's container, if it has one;
/// whether it did.
pub fn set_paused(
    host: &mut dyn Host,
    rec: &Record,
    node: &str,
    paused: bool,
) -> Result<bool, PodmanError> {
    let Some(name) = rec.containers.get(node) else {
        return Ok(false);
    };
    let c = host.containers();
    let state = c.inspect(name)?.map(|c| c.state).unwrap_or_default();
    match (paused, state.as_str()) {
        (true, "running") | (false, "paused") => c.set_paused(name, paused).map(|()| true),
        _ => Ok(false),
    }
}

/// Each image node's container and how it is (`running`, `paused`,
/// `exited`, `missing`...), for `show`.
pub fn states(host: &mut dyn Host, rec: &Record) -> BTreeMap<String, (String, String, String)> {
    let c = host.containers();
    rec.containers
        .iter()
        .map(|(node, name)| {
            let (state, image) = match c.inspect(name) {
                Ok(Some(c)) => (c.state, c.image),
                Ok(None) => ("missing".to_string(), String::new()),
                Err(e) => (format!("unknown ({e})"), String::new()),
            };
            (node.clone(), (name.clone(), image, state))
        })
        .collect()
}
