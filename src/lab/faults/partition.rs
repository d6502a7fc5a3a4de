//! A partition as drop rules: for each node, which addresses it must not
//! send to and which it must not accept from, from every partition in
//! force (partitions add up).

use super::FaultError;
use crate::host::linux::Drops;
use crate::record::Fault;
use crate::state::{Cidr, State};
use std::collections::BTreeMap;

/// Every address of `node` in the file, as a host address.
fn addresses(desired: &State, node: &str) -> Vec<Cidr> {
    let mut out: Vec<Cidr> = desired
        .nodes
        .get(node)
        .map(|n| {
            n.links
                .values()
                .flat_map(|l| l.addresses.iter().map(|c| Cidr::host(c.addr)))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// Node -> what it drops, for every partition among `faults`. Both ways:
/// each node drops to and from the nodes of the other groups. One way
/// (from the first group to the others): the first group's nodes drop to
/// the others, the others drop from the first group.
pub fn drops(desired: &State, faults: &[Fault]) -> BTreeMap<String, Drops> {
    let mut out: BTreeMap<String, Drops> = BTreeMap::new();
    for f in faults {
        let Fault::Partition { groups, one_way } = f else {
            continue;
        };
        for (i, g) in groups.iter().enumerate() {
            let others: Vec<Cidr> = groups
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, o)| o.iter().flat_map(|n| addresses(desired, n)))
                .collect();
            let first: Vec<Cidr> = groups
                .first()
                .map(|g| g.iter().flat_map(|n| addresses(desired, n)).collect())
                .unwrap_or_default();
            for node in g {
                let d = out.entry(node.clone()).or_default();
                match (*one_way, i) {
                    (false, _) => {
                        d.to.extend(others.iter().copied());
                        d.from.extend(others.iter().copied());
                    }
                    (true, 0) => d.to.extend(others.iter().copied()),
                    (true, _) => d.from.extend(first.iter().copied()),
                }
            }
        }
    }
    for d in out.values_mut() {
        for v in [&mut d.to, &mut d.from] {
            v.sort();
            v.dedup();
        }
    }
    out
}

/// Problems with the groups of `nslab partition`, each with a fix.
pub fn check_groups(desired: &State, groups: &[Vec<String>]) -> Result<(), FaultError> {
    if groups.len() < 2 {
        return Err(FaultError::BadInput(
            "a partition needs at least two groups (`nslab partition LAB a,b c`)".to_string(),
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for g in groups {
        if g.is_empty() || g.iter().any(String::is_empty) {
            return Err(FaultError::BadInput(
                "a group is empty; write groups as node names joined by commas (`a,b`)".into(),
            ));
        }
        for n in g {
            if !desired.nodes.contains_key(n) {
                let nodes: Vec<&str> = desired.nodes.keys().map(String::as_str).collect();
                return Err(FaultError::BadInput(format!(
                    "lab {} has no node {n}; its nodes: {}",
                    desired.lab,
                    nodes.join(", ")
                )));
            }
            if seen.contains(&n.as_str()) {
                return Err(FaultError::BadInput(format!(
                    "node {n} is in two groups; a node belongs to one side of a partition"
                )));
            }
            if addresses(desired, n).is_empty() {
                return Err(FaultError::BadInput(format!(
                    "node {n} has no address, so nothing can be dropped by it; leave it out"
                )));
            }
            seen.push(n);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{LinkKind, LinkState, NodeState};

    fn lab() -> State {
        let mut s = State {
            lab: "t".into(),
            ..State::default()
        };
        for (n, a) in [
            ("a", "10.0.0.1/24"),
            ("b", "10.0.0.2/24"),
            ("c", "fd00::3/64"),
        ] {
            let mut node = NodeState::new(Some(format!("t-{n}")));
            let mut l = LinkState::new(LinkKind::Other { kind: "x".into() });
            l.addresses.insert(a.parse().expect("cidr"));
            node.links.insert("eth0".into(), l);
            s.nodes.insert(n.into(), node);
        }
        s
    }

    fn host(a: &str) -> Cidr {
        Cidr::host(a.parse().expect("ip"))
    }

    fn part(groups: &[&[&str]], one_way: bool) -> Fault {
        Fault::Partition {
            groups: groups
                .iter()
                .map(|g| g.iter().map(|n| n.to_string()).collect())
                .collect(),
            one_way,
        }
    }

    #[test]
    fn both_ways_each_side_drops_the_other_by_host_address() {
        let d = drops(&lab(), &[part(&[&["a", "b"], &["c"]], false)]);
        assert_eq!(d["a"].to, vec![host("fd00::3")]);
        assert_eq!(d["a"].from, vec![host("fd00::3")]);
        assert_eq!(d["c"].to, vec![host("10.0.0.1"), host("10.0.0.2")]);
        assert_eq!(d["c"].from, d["c"].to);
    }

    #[test]
    fn one_way_drops_only_from_the_first_group() {
        let d = drops(&lab(), &[part(&[&["a"], &["c"]], true)]);
        assert_eq!(
            d["a"],
            Drops {
                to: vec![host("fd00::3")],
                from: vec![]
            }
        );
        assert_eq!(
            d["c"],
            Drops {
                to: vec![],
                from: vec![host("10.0.0.1")]
            }
        );
        assert!(!d.contains_key("b"), "a node in no group is untouched");
    }

    #[test]
    fn partitions_add_up() {
        let d = drops(
            &lab(),
            &[
                part(&[&["a"], &["b"]], false),
                part(&[&["a"], &["c"]], false),
            ],
        );
        assert_eq!(d["a"].to, vec![host("10.0.0.2"), host("fd00::3")]);
        assert_eq!(d["b"].to, vec![host("10.0.0.1")]);
    }

    #[test]
    fn bad_groups_are_refused_with_a_reason() {
        let g = |v: &[&[&str]]| -> Vec<Vec<String>> {
            v.iter()
                .map(|g| g.iter().map(|n| n.to_string()).collect())
                .collect()
        };
        let cases: [(&[&[&str]], &str); 4] = [
            (&[&["a", "b"]], "at least two groups"),
            (&[&["a"], &["z"]], "no node z"),
            (&[&["a"], &["a", "b"]], "two groups"),
            (&[&["a"], &[""]], "empty"),
        ];
        for (groups, why) in cases {
            let e = check_groups(&lab(), &g(groups)).expect_err(why);
            assert!(e.to_string().contains(why), "{groups:?}: {e}");
        }
        assert!(check_groups(&lab(), &g(&[&["a"], &["b", "c"]])).is_ok());
    }
}
