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

/// A DOT string: every identifier is written quoted, so a node called
/// `edge`, `node`, `graph`, `subgraph` or `a-b` is a name, not a keyword
/// or an expression.
fn dot_quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Text inside a DOT HTML-like label.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Text inside a quoted Mermaid label: Mermaid has no backslash escapes,
/// only its `#name;` entity codes.
fn mermaid_text(s: &str) -> String {
    s.replace('#', "#35;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
        .replace('|', "#124;")
}

/// Each node's interfaces, in order, with their addresses (and bridge).
fn interfaces(n: &crate::state::NodeState) -> Vec<(String, Vec<String>)> {
    n.links
        .iter()
        .map(|(i, l)| {
            let mut words: Vec<String> = l.addresses.iter().map(|a| a.to_string()).collect();
            if let Some(m) = &l.master {
                words.push(format!("master {m}"));
            }
            (i.clone(), words)
        })
        .collect()
}

/// Graphviz: each node a table whose rows are its interfaces (name and
/// addresses); an edge joins the two interfaces' rows, so no label sits on
/// an edge end. Only a sub-interface's edge carries a label (its kind).
fn dot(s: &State) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "graph {} {{\n  rankdir=LR;\n  node [shape=plaintext];",
        dot_quoted(&s.lab)
    );
    for (name, n) in &s.nodes {
        let mut rows = format!(
            "<TR><TD BGCOLOR=\"lightgrey\"><B>{}</B></TD></TR>",
            html(name)
        );
        for (i, (ifname, addrs)) in interfaces(n).iter().enumerate() {
            let mut cell = html(ifname);
            for a in addrs {
                let _ = write!(cell, "<BR/>{}", html(a));
            }
            let _ = write!(rows, "<TR><TD PORT=\"p{i}\">{cell}</TD></TR>");
        }
        let _ = writeln!(
            o,
            "  {} [label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\">{rows}</TABLE>>];",
            dot_quoted(name)
        );
    }
    let port = |node: &str, ifname: &str| {
        let i = s
            .nodes
            .get(node)
            .and_then(|n| n.links.keys().position(|k| k == ifname));
        match i {
            Some(i) => format!("{}:\"p{i}\"", dot_quoted(node)),
            None => dot_quoted(node),
        }
    };
    for (a, ai, b, bi, label) in edges(s) {
        let attrs = if label == "veth" {
            String::new()
        } else {
            format!(" [label={}]", dot_quoted(&label))
        };
        let _ = writeln!(o, "  {} -- {}{attrs};", port(&a, &ai), port(&b, &bi));
    }
    o.push_str("}\n");
    o
}

/// Mermaid: nodes get generated ids (`n0`, `n1`, ...), their names and
/// addresses are quoted labels, so no name can be read as a keyword
/// (`end`, `graph`, `subgraph`) or an edge shape (`o`, `x`).
fn mermaid(s: &State) -> String {
    let mut o = String::from("flowchart LR\n");
    let ids: std::collections::BTreeMap<&str, String> = s
        .nodes
        .keys()
        .enumerate()
        .map(|(i, n)| (n.as_str(), format!("n{i}")))
        .collect();
    for (name, n) in &s.nodes {
        let mut label = mermaid_text(name);
        for (ifname, addrs) in interfaces(n) {
            if !addrs.is_empty() {
                let _ = write!(
                    label,
                    "<br/>{} {}",
                    mermaid_text(&ifname),
                    mermaid_text(&addrs.join(" "))
                );
            }
        }
        let _ = writeln!(o, "  {}[\"{label}\"]", ids[name.as_str()]);
    }
    for (a, ai, b, bi, label) in edges(s) {
        let (Some(x), Some(y)) = (ids.get(a.as_str()), ids.get(b.as_str())) else {
            continue;
        };
        let text = if label == "veth" {
            format!("{ai} – {bi}")
        } else {
            format!("{ai} – {bi} ({label})")
        };
        let _ = writeln!(o, "  {x} ---|\"{}\"| {y}", mermaid_text(&text));
    }
    o
}

pub fn render(s: &State, format: Format) -> String {
    match format {
        Format::Dot => dot(s),
        Format::Mermaid => mermaid(s),
    }
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
        assert!(dot.contains("\"a\":\"p0\" -- \"b\":\"p0\";"), "{dot}");
        let mm = render(&s, Format::Mermaid);
        assert!(mm.contains("n0 ---|\"eth0 – eth1\"| n1"), "{mm}");
    }
}
