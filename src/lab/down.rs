//! `down`: remove everything a lab owns, by its record and by the marks
//! it left in the kernel.

use super::{clear_leftover_files, read_record, recorded_namespaces, scope_of_record, sd_err};
use super::{LabError, HOST};
use crate::host::{Host, OpError, Scope};
use crate::plan::{teardown, Plan};
use crate::record::Record;
use nslab_sys::statedir::StateDir;
use std::collections::{BTreeMap, BTreeSet};

/// What `down` removed.
#[derive(Debug, Default)]
pub struct DownReport {
    pub plan: Plan,
    pub errors: Vec<OpError>,
    /// What the user must know (a physical interface given back under
    /// another name).
    pub notes: Vec<String>,
    /// What went wrong without stopping the run (a record that could not
    /// be read), for the caller to show.
    pub warnings: Vec<String>,
}

/// Remove everything the lab owns, even if an `up` was killed half-way:
/// what carries its mark where the record says to look (namespaces, host
/// links, routes with nslab's protocol that the record lists for the host,
/// the marked nft table); when the record is lost (or was, see
/// [`Record::leftovers`]), also every namespace under /run/netns named
/// `<lab>-...` marked as the lab's. What is there but unmarked is left
/// alone, and no other namespace is looked at. Host sysctls go back to the
/// values recorded before the lab changed them. Without the record, host
/// routes and sysctls cannot be attributed and stay, and a namespace the
/// file named itself (`netns:`) is not found.
pub fn down(host: &mut dyn Host, lab: &str) -> Result<DownReport, LabError> {
    down_with(host, lab, &mut |_, _| {})
}

/// [`down`], telling `progress` how many of how many operations are done.
pub fn down_with(
    host: &mut dyn Host,
    lab: &str,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<DownReport, LabError> {
    host.release();
    let Some(dir) = dir_of(host, lab)? else {
        return Ok(DownReport::default());
    };
    let Some(lock) = dir.lock_existing().map_err(sd_err)? else {
        // Another `down` removed the lab while this one waited: look
        // again (nothing is made for a lab that is gone).
        return down_with(host, lab, progress);
    };
    let (rec, warning) = read_record(&dir, true)?;
    // A readable record lists every namespace and hosts file the lab made
    // (each is recorded before it is made): only those names are looked
    // at. A record that is, or once was, lost also has `<lab>-…` to look
    // through (a read of whole directories).
    let by_prefix = rec.as_ref().is_none_or(|r| r.leftovers);
    let recorded = rec.as_ref().map(recorded_namespaces).unwrap_or_default();
    let found = if by_prefix {
        host.lab_namespaces(lab, &recorded)
    } else {
        host.lab_namespaces_among(lab, &recorded)
    };
    // Without a record, the marks alone say what was moved in.
    let lost = rec.is_none();
    // Containers first (their processes live in the lab's namespaces).
    let container_error = crate::services::containers::remove_all(host, lab, rec.as_ref(), &dir);
    // Processes next, while their namespaces still have names.
    let stopped = crate::services::stop_all(host, lab, rec.as_ref(), &found);
    let Some(rec) = rec.or_else(|| (!found.is_empty() || stopped > 0).then(|| Record::new(lab)))
    else {
        // The directory was there (an `up` killed before it recorded or
        // made anything): nothing is left but the directory.
        dir.remove().map_err(sd_err)?;
        drop(lock);
        return Ok(DownReport {
            warnings: warning.into_iter().collect(),
            ..DownReport::default()
        });
    };
    clear_leftover_files(host, &rec);
    let mut errors = remove_names(lab, &rec, &found, by_prefix, container_error);
    let scope = scope_of_down(host, lab, &rec, found, lost);
    host.give_back_as(rec.physical_was.clone());
    let observed = host.observe(&scope).map_err(LabError::Observe)?;
    let p = teardown(&observed);
    // Teardown keeps going past errors and reports them all.
    for (i, s) in p.steps.iter().enumerate() {
        if let Err(e) = host.apply(&s.op) {
            errors.push(e);
        }
        progress(i + 1, p.len());
    }
    let notes = host.take_notes();
    // Every namespace let go of, so the kernel destroys those deleted.
    host.release();
    errors.extend(after_teardown(host, lab, &rec));
    if errors.is_empty() {
        dir.remove().map_err(sd_err)?;
    }
    drop(lock);
    Ok(DownReport {
        plan: p,
        errors,
        notes,
        warnings: warning.into_iter().collect(),
    })
}

/// What `down` removes beside the kernel's objects, each found without the
/// record too: the nodes' host names (owned by their directory), their
/// names under /etc/netns (owned by the mark in each file; those named
/// `<lab>-…` too `by_prefix`), and the containers' removal error, as the
/// operations that failed.
fn remove_names(
    lab: &str,
    rec: &Record,
    found: &[String],
    by_prefix: bool,
    container_error: Option<impl std::fmt::Display>,
) -> Vec<OpError> {
    let mut errors: Vec<OpError> = nslab_sys::uts::remove(lab, &[])
        .into_iter()
        .map(|e| OpError::at("remove the nodes' UTS namespaces", HOST, e))
        .collect();
    let named: Vec<String> = recorded_namespaces(rec)
        .into_iter()
        .chain(found.iter().cloned())
        .collect();
    let candidates = nslab_sys::etc_netns::Candidates {
        named: &named,
        variants: super::hosts::VARIANTS,
        by_prefix,
    };
    errors.extend(
        nslab_sys::etc_netns::remove_hosts(lab, &candidates, &[])
            .into_iter()
            .map(|e| OpError::at("remove the nodes' hosts files under /etc/netns", HOST, e)),
    );
    // Its nodes' private directories and files, and the mount points it
    // made (recorded before they were made).
    errors.extend(
        nslab_sys::nodefs::remove(lab)
            .into_iter()
            .map(|e| OpError::at("remove the nodes' private directories", HOST, e)),
    );
    errors.extend(container_error.map(|e| {
        OpError::at(
            "remove the lab's containers (podman rm -f)",
            HOST,
            crate::host::Cause::Refused(e.to_string()),
        )
    }));
    errors
}

/// The lab's state directory for `down`. A lab with neither a directory
/// nor a namespace is not up: say so without making a directory for it
/// (after stopping any process that still carries its mark in a namespace
/// that lost its name; `None` when some were stopped).
fn dir_of(host: &mut dyn Host, lab: &str) -> Result<Option<StateDir>, LabError> {
    if let Some(d) = StateDir::find(lab).map_err(sd_err)? {
        return Ok(Some(d));
    }
    let found = host.lab_namespaces(lab, &[]);
    if found.is_empty() {
        if crate::services::stop_all(host, lab, None, &found) > 0 {
            return Ok(None);
        }
        return Err(LabError::NotFound(lab.to_string()));
    }
    StateDir::open(lab).map_err(sd_err).map(Some)
}

/// What `down` removes after its plan: the partition table in the host
/// node, late processes, the host links' going, the host's sysctls.
fn after_teardown(host: &mut dyn Host, lab: &str, rec: &Record) -> Vec<OpError> {
    // A partition's table in the host node (the namespaces took theirs).
    let mut errors: Vec<OpError> = super::faults::remove_host_table(host).into_iter().collect();
    // A process that entered a namespace after the first look.
    crate::services::stop_all(host, lab, None, &[]);
    if let Err(e) = host.wait_host_links_gone(lab) {
        errors.push(e);
    }
    // The host node's sysctls as they were before the lab.
    errors.extend(
        rec.host_sysctls
            .iter()
            .filter_map(|(key, value)| host.restore_host_sysctl(key, value).err()),
    );
    errors
}

/// What `down` looks at: the nodes of the record, the lab's namespaces
/// `found` (its candidates carrying its mark), the host node, and the
/// physical interfaces marked as the lab's in them (asked of each of its
/// namespaces only when the record is lost or lists some: the record names
/// each before it is moved in).
fn scope_of_down(
    host: &mut dyn Host,
    lab: &str,
    rec: &Record,
    found: Vec<String>,
    lost: bool,
) -> Scope {
    let mut nodes: BTreeMap<String, Option<String>> = rec.nodes.clone();
    let known: BTreeSet<String> = nodes.values().flatten().cloned().collect();
    for ns in found {
        if !known.contains(&ns) {
            nodes.insert(format!("(netns {ns})"), Some(ns));
        }
    }
    if !nodes.values().any(|n| n.is_none()) {
        nodes.insert(HOST.to_string(), None);
    }
    let mut scope = scope_of_record(lab, rec);
    scope.nodes = nodes.into_iter().collect();
    // A namespace node's table goes with its namespace.
    scope.nat_nodes = Some(Default::default());
    if lost || !rec.physical.is_empty() {
        for (k, from) in host.physical_marks(lab, &scope.nodes) {
            scope.physical.entry(k).or_insert(from);
        }
    }
    scope
}

#[cfg(test)]
mod tests {
    use crate::host::linux::Linux;
    use nslab_sys::netns;
    use std::process::Command;

    const LAB: &str = "bridge";

    fn ip(args: &[&str]) {
        let o = Command::new("ip").args(args).output().expect("run ip");
        assert!(o.status.success(), "ip {args:?}: {o:?}");
    }

    /// A namespace named `name` whose `lo` carries `alias`, holding a link
    /// of its own.
    fn stranger(name: &str, alias: Option<&str>) {
        ip(&["netns", "add", name]);
        ip(&["-n", name, "link", "add", "keep", "type", "bridge"]);
        if let Some(a) = alias {
            ip(&["-n", name, "link", "set", "lo", "alias", a]);
        }
    }

    /// How many namespace entries `up` (as the CLI runs it: the look for
    /// namespaces the lab already has, then `up`), `up` again (nothing to
    /// do) and `down` of examples/bridge.yaml take.
    fn entries_of_up_and_down() -> [u64; 3] {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/bridge.yaml");
        let text = std::fs::read_to_string(path).expect("read the example");
        let t = nslab_model::parse_str(path, &text, &nslab_model::AnyHostInterfaces)
            .expect("the example parses");
        let desired = crate::state::desired::desired(&t);
        let mut counts = [0; 3];
        for count in &mut counts[..2] {
            let start = netns::entries();
            let mut host = Linux::new(LAB);
            super::super::owned_namespaces(&mut host, LAB);
            super::super::up_with_processes(&mut host, &t, &desired, path, &text, &mut |_, _| {})
                .expect("up")
                .1
                .expect("no process to start");
            *count = netns::entries() - start;
        }
        let start = netns::entries();
        let report = super::down(&mut Linux::new(LAB), LAB).expect("down");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        counts[2] = netns::entries() - start;
        assert!(!netns::exists("bridge-sw"), "the lab is down");
        counts
    }

    /// `up` and `down` of one lab enter its own namespaces and no other:
    /// with other labs' namespaces on the machine (one carrying this lab's
    /// mark under a name that is not this lab's, one unmarked, others of
    /// another lab), they enter exactly as many namespaces as alone, and
    /// every other namespace is left as it was.
    #[test]
    fn up_and_down_enter_only_the_labs_namespaces() {
        if !nslab_sys::sandbox::Sandbox::new()
            .with_pid_namespace()
            .enter("lab::down::tests::up_and_down_enter_only_the_labs_namespaces")
        {
            return;
        }
        let alone = entries_of_up_and_down();
        assert!(
            alone[1] > 0 && alone[2] > 0,
            "entries are counted: {alone:?}"
        );
        let mut others: Vec<String> = (0..20).map(|i| format!("other-n{i}")).collect();
        for ns in &others {
            stranger(ns, Some("nslab:other"));
        }
        stranger("zz", Some(&nslab_types::names::lab_mark(LAB)));
        stranger("plain", None);
        // Hosts files under /etc/netns: the lab's mark under a name that is
        // not one of its candidates is not looked at either.
        let etc = nslab_sys::etc_netns::dir();
        let marked = format!("{} node x\n", nslab_sys::etc_netns::mark(LAB));
        for ns in ["zz", "other-n0"] {
            std::fs::create_dir_all(etc.join(ns)).expect("mkdir");
            std::fs::write(etc.join(ns).join("hosts"), &marked).expect("write");
        }
        others.extend(["zz".to_string(), "plain".to_string()]);
        let beside = entries_of_up_and_down();
        assert_eq!(
            beside,
            alone,
            "entries of (up, up again, down) with {} other namespaces vs alone",
            others.len()
        );
        for ns in &others {
            assert!(netns::exists(ns), "{ns} was removed");
            let o = Command::new("ip")
                .args(["-n", ns, "link", "show", "keep"])
                .output()
                .expect("run ip");
            assert!(o.status.success(), "{ns} lost its link");
        }
        for ns in ["zz", "other-n0"] {
            let kept = std::fs::read_to_string(etc.join(ns).join("hosts"));
            assert_eq!(kept.ok(), Some(marked.clone()), "/etc/netns/{ns}/hosts");
        }
    }
}
