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

/// After the kernel is as the file says: host names, then names.
/// `was`: the namespaces the lab's record listed before (a node no longer
/// in the file loses its file).
pub(super) fn apply(desired: &State, was: &[String]) -> Result<(), LabError> {
    hostnames(desired)?;
    names(desired, was)
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
    let mut keep = Vec::new();
    for (node, n) in &desired.nodes {
        let Some(ns) = &n.netns else { continue };
        etc_netns::write_hosts(&desired.lab, ns, &hosts_text(desired, node))
            .map_err(|e| op_error(format!("write /etc/netns/{ns}/hosts"), node, e))?;
        keep.push(ns.clone());
    }
    match etc_netns::remove_hosts_of(&desired.lab, was, &keep)
        .into_iter()
        .next()
    {
        Some(e) => Err(sd_err(e)),
        None => Ok(()),
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

/// The hosts file of `node`: localhost as usual, every node of the lab at
/// its first IPv4 and IPv6 address (with its host name when that differs),
/// and the node itself at 127.0.1.1 when it has no address.
pub(crate) fn hosts_text(desired: &State, node: &str) -> String {
    let lab = &desired.lab;
    let mut out = format!(
        "{} node {node}: written by `nslab up`, removed by `nslab down {lab}`\n",
        etc_netns::mark(lab)
    );
    out.push_str("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    for (name, n) in &desired.nodes {
        let mut names = name.clone();
        if let Some(h) = n.hostname.as_ref().filter(|h| *h != name) {
            names = format!("{names} {h}");
        }
        match firsts(n) {
            (None, None) if name == node => {
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

    /// Each node's lines in `a`'s file: address, names.
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
        let text = hosts_text(&s, "a");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("# nslab:l node a"), "{text}");
        assert_eq!(
            lines[1..].to_vec(),
            vec![
                "127.0.0.1\tlocalhost",
                "::1\tlocalhost ip6-localhost ip6-loopback",
                "127.0.1.1\ta",
                "10.0.0.2\tb bee",
                "fd00::2\tb bee",
                "10.255.0.3\tc",
                "fd00::3\tc",
            ],
            "d has no address and is not a: not listed"
        );
    }
}
