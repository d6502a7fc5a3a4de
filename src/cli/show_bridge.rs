//! The bridge part of `nslab show`: per bridge its ageing time and STP,
//! its ports with their STP state (as `bridge link` shows them) and its
//! forwarding database (as `bridge fdb` does): learned MACs, the port
//! each is behind and how long ago it was last seen, then the permanent
//! entries (the ports' own addresses).

use crate::host::bridges::BridgeView;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One block per bridge, headed `LAB/NODE bridge NAME`.
pub fn render(lab: &str, bridges: &BTreeMap<String, Vec<BridgeView>>) -> String {
    let mut out = String::new();
    for (node, list) in bridges {
        for b in list {
            render_one(&mut out, lab, node, b);
        }
    }
    out
}

fn render_one(out: &mut String, lab: &str, node: &str, b: &BridgeView) {
    let stp = if b.stp { "on" } else { "off" };
    let _ = writeln!(
        out,
        "{lab}/{node} bridge {}: ageing {}s, stp {stp}, {} port(s), {} learned MAC(s)",
        b.name,
        b.ageing_secs,
        b.ports.len(),
        b.fdb.iter().filter(|e| e.learned).count()
    );
    let _ = writeln!(out, "  {:<15} state", "port");
    for p in &b.ports {
        let _ = writeln!(out, "  {:<15} {}", p.name, p.state);
    }
    if b.fdb.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {:<17} {:<15} {:<5} age", "mac", "port", "vlan");
    for e in &b.fdb {
        let vlan = e.vlan.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
        let age = match e.age_secs {
            Some(s) if e.learned => format!("{s}s"),
            _ => e.state.clone(),
        };
        let _ = writeln!(out, "  {:<17} {:<15} {:<5} {age}", e.mac, e.port, vlan);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::bridges::{FdbEntry, PortView};

    fn entry(mac: &str, port: &str, learned: bool, age: Option<u32>) -> FdbEntry {
        FdbEntry {
            mac: mac.into(),
            port: port.into(),
            vlan: None,
            learned,
            state: if learned { "reachable" } else { "permanent" }.into(),
            age_secs: age,
        }
    }

    #[test]
    fn ports_states_and_learned_macs_with_their_age() {
        let b = BridgeView {
            name: "js".into(),
            ageing_secs: 300,
            stp: false,
            ports: vec![
                PortView {
                    name: "veth1".into(),
                    state: "forwarding".into(),
                },
                PortView {
                    name: "veth2".into(),
                    state: "blocking".into(),
                },
            ],
            fdb: vec![
                entry("02:00:00:00:00:01", "veth1", true, Some(3)),
                entry("02:00:00:00:00:aa", "veth1", false, None),
            ],
        };
        let out = render("bridge", &BTreeMap::from([("sw".to_string(), vec![b])]));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "bridge/sw bridge js: ageing 300s, stp off, 2 port(s), 1 learned MAC(s)"
        );
        assert!(lines[2].starts_with("  veth1") && lines[2].ends_with("forwarding"));
        assert!(lines[3].starts_with("  veth2") && lines[3].ends_with("blocking"));
        let learned = lines.iter().find(|l| l.contains(":01")).expect("learned");
        assert!(
            learned.contains("veth1") && learned.ends_with(" 3s"),
            "{learned}"
        );
        let own = lines.iter().find(|l| l.contains(":aa")).expect("own");
        assert!(own.ends_with(" permanent"), "{own}");
        assert!(
            out.lines().all(|l| l == l.trim_end()),
            "trailing spaces:\n{out}"
        );
    }
}
