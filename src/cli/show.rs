//! `nslab show LAB [NODE]`: per node, its interfaces (kind, state, MTU, MAC,
//! addresses, master, and for a veth the `node:interface` of its peer — what
//! the tutorials dig out by hand with `ethtool -S` and `iflink`) and routes,
//! as the kernel has them now.

use crate::state::{fmt_mac, LinkKind, LinkState, NodeState, State};
use std::fmt::Write;

/// One line per interface, one per route, under a heading per node.
#[cfg(test)]
pub fn render(state: &State, only: Option<&str>) -> String {
    render_with(state, only, &|_, _| String::new())
}

/// [`render`], with `extra`'s lines for each node after its own.
pub(super) fn render_with(
    state: &State,
    only: Option<&str>,
    extra: &dyn Fn(&str, &NodeState) -> String,
) -> String {
    let mut out = String::new();
    for (name, n) in &state.nodes {
        if only.is_some_and(|o| o != name) {
            continue;
        }
        render_node(&mut out, state, name, n);
        out.push_str(&extra(name, n));
    }
    out
}

fn render_node(out: &mut String, state: &State, name: &str, n: &NodeState) {
    let lab = state.lab.as_str();
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
    let lo_addrs: Vec<String> = n.lo_addresses.iter().map(|a| a.to_string()).collect();
    let lo = format!(
        "  {:<15} {:<9} {:<5} {:<6} {:<17} {}",
        "lo",
        "loopback",
        if n.lo_up { "up" } else { "down" },
        "",
        "",
        lo_addrs.join(" ")
    );
    let _ = writeln!(out, "{}", lo.trim_end());
    for (ifname, l) in &n.links {
        let _ = writeln!(
            out,
            "  {:<15} {:<9} {:<5} {:<6} {:<17} {}",
            ifname,
            l.kind.name(),
            state_word(state, l),
            l.mtu.map(|m| m.to_string()).unwrap_or_default(),
            l.mac.as_ref().map(fmt_mac).unwrap_or_default(),
            detail(l)
        );
    }
    for r in &n.routes {
        let _ = writeln!(out, "  route {r}");
    }
    if let Some(nat) = &n.nat {
        let _ = writeln!(
            out,
            "  nat (nftables table inet {}):",
            nslab_types::names::nat_table(lab)
        );
        for r in &nat.rules {
            let _ = writeln!(out, "    {:<11} {r}", r.hook.name());
        }
    }
    for (k, v) in &n.sysctls {
        let _ = writeln!(out, "  sysctl {k} = {v}");
    }
}

fn state_word(state: &State, l: &LinkState) -> String {
    if !l.up {
        return "down".into();
    }
    match (peer_up(state, l), &l.oper) {
        // A veth's carrier follows its peer's admin state; the kernel
        // reports the change only after its link-watch delay (about a
        // second), so the peer says what the carrier is, or is about to be.
        (Some(true), _) => "up".into(),
        (Some(false), _) => "no-carrier".into(),
        (None, Some(o)) if o != "up" && o != "unknown" => "no-carrier".into(),
        (None, _) => "up".into(),
    }
}

/// Whether a veth's peer is up; `None` when this is no veth or its peer
/// was not observed.
fn peer_up(state: &State, l: &LinkState) -> Option<bool> {
    let LinkKind::Veth { peer } = &l.kind else {
        return None;
    };
    state
        .nodes
        .get(&peer.node)
        .and_then(|n| n.links.get(&peer.ifname))
        .map(|p| p.up)
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
    fn a_veth_whose_peer_is_up_is_up_before_the_kernel_reports_carrier() {
        let mut s = State {
            lab: "t".into(),
            ..Default::default()
        };
        for (n, peer_up) in [("a", true), ("b", true)] {
            let mut node = NodeState::new(Some(format!("t-{n}")));
            let other = if n == "a" { "b" } else { "a" };
            let mut l = LinkState::new(LinkKind::Veth {
                peer: Endpoint::new(other, "eth0"),
            });
            l.up = peer_up;
            // Right after `up`: admin up, carrier not yet (link watch).
            l.oper = Some("lowerlayerdown".into());
            node.links.insert("eth0".into(), l);
            s.nodes.insert(n.into(), node);
        }
        let word = |s: &State| {
            let out = render(s, Some("a"));
            let line = out
                .lines()
                .find(|l| l.trim_start().starts_with("eth0"))
                .map(str::to_string);
            line.expect("eth0 line")
        };
        assert!(word(&s).contains(" up "), "{}", word(&s));
        // The peer is down: no carrier, and none will come.
        if let Some(l) = s.nodes.get_mut("b").and_then(|n| n.links.get_mut("eth0")) {
            l.up = false;
        }
        assert!(word(&s).contains("no-carrier"), "{}", word(&s));
        // ... even while the kernel still reports the old carrier.
        if let Some(l) = s.nodes.get_mut("a").and_then(|n| n.links.get_mut("eth0")) {
            l.oper = Some("up".into());
        }
        assert!(word(&s).contains("no-carrier"), "{}", word(&s));
    }

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
