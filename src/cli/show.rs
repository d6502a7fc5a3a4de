//! `nslab show LAB [NODE]`: per node, its interfaces (kind, state, MTU, MAC,
//! addresses, master, and for a veth the `node:interface` of its peer — what
//! the tutorials dig out by hand with `ethtool -S` and `iflink`) and routes,
//! as the kernel has them now.

use crate::state::{fmt_mac, LinkKind, LinkState, NodeState, State};
use std::fmt::Write;

/// One line per interface, one per route, under a heading per node.
pub fn render(state: &State, only: Option<&str>) -> String {
    let mut out = String::new();
    for (name, n) in &state.nodes {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        render_node(&mut out, &state.lab, name, n);
    }
    out
}

fn render_node(out: &mut String, lab: &str, name: &str, n: &NodeState) {
    let ns = match &n.netns {
        Some(ns) => format!("netns {ns}"),
        None => "host namespace".to_string(),
    };
    let _ = writeln!(out, "{lab}/{name} ({ns})");
    let _ = writeln!(
        out,
        "  {:<15} {:<9} {:<5} {:<6} {:<17} detail",
        "interface", "kind", "state", "mtu", "mac"
    );
    let _ = writeln!(
        out,
        "  {:<15} {:<9} {:<5}",
        "lo",
        "loopback",
        if n.lo_up { "up" } else { "down" }
    );
    for (ifname, l) in &n.links {
        let _ = writeln!(
            out,
            "  {:<15} {:<9} {:<5} {:<6} {:<17} {}",
            ifname,
            l.kind.name(),
            state_word(l),
            l.mtu.map(|m| m.to_string()).unwrap_or_default(),
            l.mac.as_ref().map(fmt_mac).unwrap_or_default(),
            detail(l)
        );
    }
    for r in &n.routes {
        let _ = writeln!(out, "  route {r}");
    }
    if let Some(nat) = &n.nat {
        let _ = writeln!(out, "  nat (nftables table inet nslab-{lab}):");
        for r in &nat.rules {
            let _ = writeln!(out, "    {:<11} {r}", r.hook.name());
        }
    }
    for (k, v) in &n.sysctls {
        let _ = writeln!(out, "  sysctl {k} = {v}");
    }
}

fn state_word(l: &LinkState) -> String {
    match (&l.oper, l.up) {
        (_, false) => "down".into(),
        (Some(o), true) if o == "up" || o == "unknown" => "up".into(),
        // Up, but no carrier: the other end is down (`NO-CARRIER`).
        (Some(_), true) => "no-carrier".into(),
        (None, true) => "up".into(),
    }
}

fn detail(l: &LinkState) -> String {
    let mut parts: Vec<String> = l.addresses.iter().map(|a| a.to_string()).collect();
    match &l.kind {
        LinkKind::Veth { peer } => parts.push(format!("peer {peer}")),
        LinkKind::Device(d) => parts.extend(d.summary()),
        LinkKind::Physical { from } => parts.push(format!("host's {from}")),
        LinkKind::Other { .. } => {}
    }
    if let Some(m) = &l.master {
        parts.push(format!("master {m}"));
    }
    if l.hairpin {
        parts.push("hairpin".into());
    }
    if let Some(i) = &l.impair {
        let mut w = vec!["impair".to_string()];
        if let Some(d) = i.delay_us {
            w.push(format!("delay {}ms", f64::from(d) / 1000.0));
        }
        if let Some(j) = i.jitter_us {
            w.push(format!("jitter {}ms", f64::from(j) / 1000.0));
        }
        if let Some(l) = i.loss_ppm {
            w.push(format!("loss {}%", f64::from(l) / 10_000.0));
        }
        if let Some(r) = i.rate_bps {
            w.push(format!("rate {}kbit", r / 1000));
        }
        parts.push(w.join(" "));
    }
    parts.join("  ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Cidr, Endpoint};

    #[test]
    fn a_veth_names_its_peer_and_master() {
        let mut s = State {
            lab: "demo".into(),
            ..Default::default()
        };
        let mut n = NodeState::new(Some("demo-sw".into()));
        let mut l = LinkState::new(LinkKind::Veth {
            peer: Endpoint::new("h1", "eth0"),
        });
        l.master = Some("br0".into());
        l.mtu = Some(1500);
        l.mac = Some([2, 0, 0, 0, 0, 0xab]);
        l.oper = Some("up".into());
        l.addresses.insert(Cidr {
            addr: "10.0.0.1".parse().expect("ip"),
            prefix: 24,
        });
        n.links.insert("p1".into(), l);
        s.nodes.insert("sw".into(), n);
        let out = render(&s, None);
        assert!(out.contains("demo/sw (netns demo-sw)"), "{out}");
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with("p1"))
            .expect("p1 line");
        for word in [
            "veth",
            "up",
            "1500",
            "02:00:00:00:00:ab",
            "10.0.0.1/24",
            "peer h1:eth0",
            "master br0",
        ] {
            assert!(line.contains(word), "{word} missing in {line}");
        }
        assert!(render(&s, Some("h1")).is_empty());
    }
}
