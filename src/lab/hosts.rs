//! Nodes as hosts: what a node's processes see beyond its network — its
//! host name (a UTS namespace per node, `nslab_sys::uts`) and the lab's
//! names (`/etc/netns/<netns>/hosts`, `nslab_sys::etc_netns`).

use super::{sd_err, LabError};
use crate::host::{Cause, OpError};
use crate::state::{NodeState, State};
use nslab_sys::etc_netns;
use std::fmt::Write as _;
use std::net::IpAddr;

fn op_error(op: String, node: &str, e: impl Into<Cause>) -> LabError {
    LabError::Observe(OpError::at(op, node, e))
}

/// After the kernel is as the file says: host names, names, then the
/// nodes' private directories, files and views (`super::nodefs`).
/// `was`: the namespaces the lab's record listed before (a node no longer
/// in the file loses its file).
pub(super) fn apply(desired: &State, was: &[String]) -> Result<(), LabError> {
    hostnames(desired)?;
    names(desired, was)?;
    super::nodefs::apply(desired)
}

/// Before the kernel is touched (after the namespaces were found to be the
/// lab's, in `up`): a node's `/etc/netns/<netns>/hosts` that
/// is not the lab's stops the run (nslab never writes over it).
pub(super) fn check_names(desired: &State) -> Result<(), LabError> {
    for (node, n) in &desired.nodes {
        if let Some(ns) = &n.netns {
            etc_netns::check_hosts(&desired.lab, ns)
                .map_err(|e| op_error(format!("write /etc/netns/{ns}/hosts"), node, e))?;
        }
    }
    Ok(())
}

/// Every namespace node's `/etc/netns/<netns>/hosts` (the lab's names),
/// and none of a node no longer in the file.
pub(super) fn names(desired: &State, was: &[String]) -> Result<(), LabError> {
    names_in(&etc_netns::dir(), desired, was).map(|_| ())
}

/// The shared file of the nodes with an address, and of those without.
const ALL: &str = "all";
const SELF: &str = "self";
/// Every shared file a lab may have (what `down` looks for by name).
pub(super) const VARIANTS: &[&str] = &[ALL, SELF];

/// [`names`] under `root`; returns the bytes written. Every node's file is
/// a link to one of (at most) two shared files of the lab: the names of
/// every node with an address, and the same plus the nodes without one at
/// `127.0.1.1` (for those nodes, whose own name must resolve). O(N) bytes
/// for N nodes, and none at an `up` that changes no name.
fn names_in(root: &std::path::Path, desired: &State, was: &[String]) -> Result<u64, LabError> {
    let mut keep = Vec::new();
    let mut written = 0;
    let mut variants: Vec<&str> = Vec::new();
    for (node, n) in &desired.nodes {
        let Some(ns) = &n.netns else { continue };
        let variant = if firsts(n) == (None, None) { SELF } else { ALL };
        let err = |e| op_error(format!("write /etc/netns/{ns}/hosts"), node, e);
        if !variants.contains(&variant) {
            let text = hosts_text(desired, variant == SELF);
            written +=
                etc_netns::write_shared_in(root, &desired.lab, variant, &text).map_err(err)?;
            variants.push(variant);
        }
        etc_netns::link_hosts_in(root, &desired.lab, ns, variant).map_err(err)?;
        keep.push(ns.clone());
    }
    // By name only: what a lost record's time left is `down`'s (the record
    // says so), and no other lab's file is looked at.
    let candidates = etc_netns::Candidates {
        named: was,
        variants: VARIANTS,
        by_prefix: false,
    };
    match etc_netns::remove_hosts_in(root, &desired.lab, &candidates, &keep, &variants)
        .into_iter()
        .next()
    {
        Some(e) => Err(sd_err(e)),
        None => Ok(written),
    }
}

/// A node's first IPv4 and first IPv6 address (interface-name order, then
/// its loopback's), as `expect:` takes a node's first address.
fn firsts(n: &NodeState) -> (Option<IpAddr>, Option<IpAddr>) {
    let all: Vec<IpAddr> = n
        .links
        .values()
        .flat_map(|l| l.addresses.iter())
        .chain(&n.lo_addresses)
        .map(|c| c.addr)
        .collect();
    (
        all.iter().copied().find(IpAddr::is_ipv4),
        all.iter().copied().find(IpAddr::is_ipv6),
    )
}

/// The lab's hosts file: localhost as usual, every node of the lab at its
/// first IPv4 and IPv6 address (with its host name when that differs),
/// and, with `addressless`, every node without an address at 127.0.1.1
/// (the file of those nodes: their own name resolves to themselves).
pub(crate) fn hosts_text(desired: &State, addressless: bool) -> String {
    let lab = &desired.lab;
    let mut out = format!(
        "{} (the lab's names): written by `nslab up`, removed by `nslab down {lab}`\n",
        etc_netns::mark(lab)
    );
    out.push_str("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    for (name, n) in &desired.nodes {
        let mut names = name.clone();
        if let Some(h) = n.hostname.as_ref().filter(|h| *h != name) {
            names = format!("{names} {h}");
        }
        match firsts(n) {
            (None, None) if addressless => {
                let _ = writeln!(out, "127.0.1.1\t{names}");
            }
            (v4, v6) => {
                for a in v4.iter().chain(&v6) {
                    let _ = writeln!(out, "{a}\t{names}");
                }
            }
        }
    }
    out
}

/// Each namespace node's host name, in a UTS namespace the lab keeps for
/// it (made, or renamed, here; one of a node no longer in the file is
/// removed). Apart from the plan: a host name is not a netlink object.
pub(super) fn hostnames(desired: &State) -> Result<(), LabError> {
    let mut keep = Vec::new();
    for (node, n) in &desired.nodes {
        let (Some(ns), Some(h)) = (&n.netns, &n.hostname) else {
            continue;
        };
        nslab_sys::uts::ensure(&desired.lab, ns, h).map_err(|e| {
            LabError::Observe(OpError::at(
                format!("hostname {h} (UTS namespace of netns {ns})"),
                node,
                e,
            ))
        })?;
        keep.push(ns.clone());
    }
    match nslab_sys::uts::remove(&desired.lab, &keep)
        .into_iter()
        .next()
    {
        Some(e) => Err(sd_err(e)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Cidr, LinkKind, LinkState};

    fn node(addrs: &[&str], lo: &[&str], hostname: Option<&str>) -> NodeState {
        let mut n = NodeState::new(Some("x".into()));
        let mut l = LinkState::new(LinkKind::Other {
            kind: "veth".into(),
        });
        l.addresses = addrs
            .iter()
            .map(|a| a.parse::<Cidr>().expect("cidr"))
            .collect();
        n.links.insert("eth0".into(), l);
        n.lo_addresses = lo
            .iter()
            .map(|a| a.parse::<Cidr>().expect("cidr"))
            .collect();
        n.hostname = hostname.map(str::to_string);
        n
    }

    /// The lines of each of the lab's two files: every node with an address
    /// at its first ones, and (in the file of the nodes without one) those
    /// at 127.0.1.1.
    #[test]
    fn every_node_at_its_first_addresses_and_itself_without_one() {
        let mut s = State {
            lab: "l".into(),
            nodes: Default::default(),
        };
        s.nodes.insert("a".into(), node(&[], &[], Some("a")));
        s.nodes.insert(
            "b".into(),
            node(
                &["10.0.0.2/24", "10.0.0.9/24", "fd00::2/64"],
                &[],
                Some("bee"),
            ),
        );
        s.nodes
            .insert("c".into(), node(&["fd00::3/64"], &["10.255.0.3/32"], None));
        s.nodes.insert("d".into(), node(&[], &[], None));
        let with = [
            "10.0.0.2\tb bee",
            "fd00::2\tb bee",
            "10.255.0.3\tc",
            "fd00::3\tc",
        ];
        for (addressless, extra) in [
            (false, vec![]),
            (true, vec!["127.0.1.1\ta", "127.0.1.1\td"]),
        ] {
            let text = hosts_text(&s, addressless);
            let lines: Vec<&str> = text.lines().collect();
            assert!(lines[0].starts_with("# nslab:l "), "{text}");
            let mut want = vec![
                "127.0.0.1\tlocalhost",
                "::1\tlocalhost ip6-localhost ip6-loopback",
            ];
            let mut body: Vec<&str> = extra.clone();
            body.extend(with.iter().copied());
            body.sort_by_key(|l| l.split('\t').nth(1).map(str::to_string));
            want.extend(body);
            assert_eq!(lines[1..].to_vec(), want, "addressless {addressless}");
        }
    }

    /// A lab of `n` nodes, each with an address, under its own root.
    fn lab_of(n: usize) -> State {
        let mut s = State {
            lab: "q".into(),
            nodes: Default::default(),
        };
        for i in 0..n {
            let mut nd = node(&[&format!("10.{}.{}.1/24", i / 256, i % 256)], &[], None);
            nd.netns = Some(format!("q-n{i}"));
            s.nodes.insert(format!("n{i}"), nd);
        }
        s
    }

    /// The bytes of the distinct files under `root` (a hard link counts once).
    fn stored_bytes(root: &std::path::Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        let mut seen = std::collections::BTreeSet::new();
        let mut total = 0;
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("readdir").flatten() {
                let m = e.path().symlink_metadata().expect("stat");
                if m.is_dir() {
                    stack.push(e.path());
                } else if seen.insert((m.dev(), m.ino())) {
                    total += m.len();
                }
            }
        }
        total
    }

    /// The class: what `up` writes under /etc/netns grows with the number of
    /// nodes, not its square — for N and 4N nodes both the bytes written and
    /// the bytes stored grow about 4 times (N files of N lines would grow 16
    /// times); an `up` that changes no name writes nothing; `down` leaves
    /// nothing.
    #[test]
    fn hosts_files_grow_linearly_with_the_lab() {
        let base = std::env::temp_dir().join(format!("nslab-hosts-linear-{}", std::process::id()));
        let mut sizes = Vec::new();
        for n in [50, 200] {
            let root = base.join(n.to_string());
            let s = lab_of(n);
            let written = names_in(&root, &s, &[]).expect("names");
            let stored = stored_bytes(&root);
            assert_eq!(
                names_in(&root, &s, &[]).expect("again"),
                0,
                "a second up rewrote"
            );
            for i in [0, n - 1] {
                let t = std::fs::read_to_string(root.join(format!("q-n{i}/hosts"))).expect("read");
                assert!(t.contains(&format!("\tn{}\n", n - 1 - i)), "{t}");
            }
            let named: Vec<String> = s.nodes.values().filter_map(|n| n.netns.clone()).collect();
            let all = etc_netns::Candidates {
                named: &named,
                variants: VARIANTS,
                by_prefix: false,
            };
            assert!(etc_netns::remove_hosts_in(&root, "q", &all, &[], &[]).is_empty());
            assert_eq!(std::fs::read_dir(&root).expect("readdir").count(), 0);
            sizes.push((written, stored));
        }
        std::fs::remove_dir_all(&base).expect("rm");
        let (w1, s1) = sizes[0];
        let (w4, s4) = sizes[1];
        assert!(
            w4 <= 5 * w1 && s4 <= 5 * s1,
            "N: {:?}, 4N: {:?}",
            sizes[0],
            sizes[1]
        );
    }
}
