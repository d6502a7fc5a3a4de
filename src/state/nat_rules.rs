//! The NAT rules a topology asks for, as Docker's bridge driver writes
//! them: MASQUERADE for what leaves a subnet, DNAT of published ports from
//! outside and from the node itself, and SNAT of hairpin traffic.

use super::nat::{Action, Hook, Match, Rule, L4};
use super::Cidr;
use nslab_model as m;

/// DNAT of `dst` (local, or `host_ip`) port `port` to `to`: from outside
/// (prerouting, optionally only from `iif`) and from the node itself
/// (output; never for loopback destinations, which cannot be routed out).
pub(crate) fn publish_rules(
    rules: &mut Vec<Rule>,
    proto: L4,
    port: u16,
    to: std::net::SocketAddr,
    host_ip: Option<std::net::IpAddr>,
    iif: Option<String>,
) {
    let dst = match host_ip {
        Some(ip) => Match::DstNet(Cidr::host(ip)),
        None => Match::DstLocal,
    };
    let action = Action::Dnat {
        addr: to.ip(),
        port: Some(to.port()),
    };
    let mut pre = Vec::new();
    if let Some(i) = &iif {
        pre.push(Match::IifName(i.clone()));
    }
    pre.extend([dst.clone(), Match::L4Proto(proto), Match::DstPort(port)]);
    rules.push(Rule::new(Hook::Prerouting, pre, action.clone()));
    if iif.is_none() {
        let lo = if to.is_ipv6() {
            "::1/128"
        } else {
            "127.0.0.0/8"
        };
        let lo = lo.parse::<Cidr>().ok();
        let mut out = vec![dst];
        out.extend(lo.map(Match::NotDstNet));
        out.extend([Match::L4Proto(proto), Match::DstPort(port)]);
        rules.push(Rule::new(Hook::Output, out, action));
    }
}

/// Traffic DNATed back out of the bridge it came in on (a member reaching
/// a published port of its own network) is masqueraded to the gateway, so
/// the answer comes back through the node and is un-NATed there.
pub(crate) fn hairpin_rule(subnet: Cidr, bridge: &str) -> Rule {
    Rule::new(
        Hook::Postrouting,
        vec![
            Match::CtStatusDnat,
            Match::SrcNet(subnet),
            Match::OifName(bridge.to_string()),
        ],
        Action::Masquerade,
    )
}

/// A node's own `nat:` rules.
pub(super) fn node_nat(nat: &m::Nat, node: &m::Node) -> Vec<Rule> {
    let mut rules = Vec::new();
    for mq in &nat.masquerade {
        let mut matches = Vec::new();
        if let Some(f) = &mq.from {
            matches.push(Match::SrcNet(f.network()));
        }
        if let Some(o) = &mq.out {
            matches.push(Match::OifName(o.to_string()));
        }
        if let Some(o) = &mq.not_out {
            matches.push(Match::NotOifName(o.to_string()));
        }
        rules.push(Rule::new(Hook::Postrouting, matches, Action::Masquerade));
    }
    let mut hairpins = Vec::new();
    for fw in &nat.forward {
        publish_rules(
            &mut rules,
            fw.proto,
            fw.port.get(),
            fw.to,
            None,
            fw.in_.as_ref().map(|i| i.to_string()),
        );
        // The target behind a bridge of this node: hairpin back through it.
        for (ifname, i) in &node.interfaces {
            if !i.kind.is_bridge() {
                continue;
            }
            for a in &i.addresses {
                if a.contains(fw.to.ip()) {
                    let r = hairpin_rule(a.network(), ifname.as_str());
                    if !hairpins.contains(&r) {
                        hairpins.push(r);
                    }
                }
            }
        }
    }
    rules.extend(hairpins);
    rules
}

#[cfg(test)]
mod tests {
    use crate::state::desired::desired;

    fn nat_lines(yaml: &str, node: &str) -> Vec<String> {
        let t =
            nslab_model::parse_str("t.yaml", yaml, &nslab_model::AnyHostInterfaces).expect("valid");
        let s = desired(&t);
        let nat = s
            .nodes
            .get(node)
            .and_then(|n| n.nat.clone())
            .unwrap_or_default();
        nat.rules
            .iter()
            .map(|r| format!("{} {r}", r.hook.name()))
            .collect()
    }

    #[test]
    fn a_docker_network_gets_dockers_rules() {
        let l = nat_lines(include_str!("../../examples/docker-bridge.yaml"), "docker");
        let want = [
            "postrouting ip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade",
            "prerouting fib daddr type local meta l4proto tcp th dport 8080 dnat ip to 172.17.10.10:80",
            "output fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto tcp th dport 8080 dnat ip to 172.17.10.10:80",
            "prerouting fib daddr type local meta l4proto tcp th dport 9090 dnat ip to 172.17.10.20:80",
            "postrouting ct status dnat ip saddr 172.17.0.0/16 oifname \"docker0\" masquerade",
        ];
        for w in want {
            assert!(l.iter().any(|x| x == w), "missing `{w}` in {l:#?}");
        }
        assert_eq!(l.len(), 6, "{l:#?}");
    }

    #[test]
    fn a_forward_with_in_is_not_applied_to_local_traffic_and_masquerade_false_has_none() {
        let y = "lab: t\nnodes:\n  gw:\n    interfaces:\n      ens41: { addresses: [10.5.0.1/24] }\n    nat:\n      forward:\n        - { proto: udp, port: 5353, to: 10.6.0.10:53, in: ens41 }\n  m: {}\n  out: {}\nlinks:\n  - [gw:ens41, out:wan]\nnetworks:\n  br9:\n    node: gw\n    subnet: 10.9.0.0/24\n    masquerade: false\n    members:\n      m: {}\n";
        let l = nat_lines(y, "gw");
        assert_eq!(
            l,
            ["prerouting iifname \"ens41\" fib daddr type local meta l4proto udp th dport 5353 dnat ip to 10.6.0.10:53"],
            "{l:#?}"
        );
    }

    #[test]
    fn a_published_host_ip_matches_that_address_only() {
        let y = "lab: t\nnodes:\n  gw:\n    interfaces:\n      ens41: { addresses: [10.5.0.1/24] }\n  m: {}\n  out: {}\nlinks:\n  - [gw:ens41, out:wan]\nnetworks:\n  br9:\n    node: gw\n    subnet: 10.9.0.0/24\n    members:\n      m: { publish: [\"10.5.0.1:8080:80/udp\"] }\n";
        let l = nat_lines(y, "gw");
        assert!(
            l.iter().any(|x| x == "prerouting ip daddr 10.5.0.1/32 meta l4proto udp th dport 8080 dnat ip to 10.9.0.2:80"),
            "{l:#?}"
        );
    }
}
