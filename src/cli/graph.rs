//! `nslab graph LAB|FILE [--format dot|mermaid]`: the topology as a graph —
//! nodes as boxes, veth pairs as edges, sub-interfaces as edges to their
//! parents. Needs no root.

use crate::state::{LinkKind, State};
use std::collections::BTreeSet;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
}

fn id(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Edges once each: (node a, if a, node b, if b, label).
fn edges(s: &State) -> Vec<(String, String, String, String, String)> {
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for (node, n) in &s.nodes {
        for (ifname, l) in &n.links {
            let (other, label) = match &l.kind {
                LinkKind::Veth { peer } => (peer.clone(), "veth".to_string()),
                LinkKind::Device(d) => match d.parent() {
                    Some(parent) => (parent.clone(), d.label()),
                    None => continue,
                },
                _ => continue,
            };
            let key = if (node.as_str(), ifname.as_str())
                < (other.node.as_str(), other.ifname.as_str())
            {
                (
                    node.clone(),
                    ifname.clone(),
                    other.node.clone(),
                    other.ifname.clone(),
                )
            } else {
                (
                    other.node.clone(),
                    other.ifname.clone(),
                    node.clone(),
                    ifname.clone(),
                )
            };
            if done.insert(key.clone()) {
                out.push((key.0, key.1, key.2, key.3, label));
            }
        }
    }
    out
}

pub fn render(s: &State, format: Format) -> String {
    let mut o = String::new();
    match format {
        Format::Dot => {
            let _ = writeln!(o, "graph \"{}\" {{\n  node [shape=box];", s.lab);
            for (name, n) in &s.nodes {
                let addrs: Vec<String> = n
                    .links
                    .values()
                    .flat_map(|l| l.addresses.iter().map(|a| a.to_string()))
                    .collect();
                let _ = writeln!(
                    o,
                    "  {} [label=\"{}\\n{}\"];",
                    id(name),
                    name,
                    addrs.join("\\n")
                );
            }
            for (a, ai, b, bi, label) in edges(s) {
                let _ = writeln!(
                    o,
                    "  {} -- {} [taillabel=\"{ai}\", headlabel=\"{bi}\", label=\"{label}\"];",
                    id(&a),
                    id(&b)
                );
            }
            o.push_str("}\n");
        }
        Format::Mermaid => {
            o.push_str("graph LR\n");
            for name in s.nodes.keys() {
                let _ = writeln!(o, "  {}[{}]", id(name), name);
            }
            for (a, ai, b, bi, label) in edges(s) {
                let _ = writeln!(o, "  {} ---|\"{ai} {label} {bi}\"| {}", id(&a), id(&b));
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Endpoint, LinkState, NodeState};

    #[test]
    fn a_veth_is_one_edge() {
        let mut s = State {
            lab: "t".into(),
            ..Default::default()
        };
        for (n, i, pn, pi) in [("a", "eth0", "b", "eth1"), ("b", "eth1", "a", "eth0")] {
            let mut node = NodeState::new(None);
            node.links.insert(
                i.into(),
                LinkState::new(LinkKind::Veth {
                    peer: Endpoint::new(pn, pi),
                }),
            );
            s.nodes.insert(n.into(), node);
        }
        let dot = render(&s, Format::Dot);
        assert_eq!(dot.matches(" -- ").count(), 1, "{dot}");
        assert!(
            dot.contains("a -- b [taillabel=\"eth0\", headlabel=\"eth1\""),
            "{dot}"
        );
        let mm = render(&s, Format::Mermaid);
        assert!(mm.contains("a ---|\"eth0 veth eth1\"| b"), "{mm}");
    }
}
