//! Docker's isolation of bridge networks as data: the forward-hook drop
//! rules of a node that holds networks, in its table `nslab-<lab>` beside
//! the NAT rules.
//!
//! Docker's bridge driver writes them with iptables (libnetwork
//! `drivers/bridge/setup_ip_tables.go`, the `DOCKER-ISOLATION-STAGE-1/2`
//! chains of the filter table's `FORWARD`):
//!
//! - two networks are isolated from each other: `-A STAGE-1 -i brA ! -o
//!   brA -j STAGE-2` and `-A STAGE-2 -o brB -j DROP`, one pair of lines
//!   per network, so every pair of networks is dropped both ways. Here a
//!   network opts out with `isolate: false`; a pair is dropped when both
//!   sides isolate (netavark's `isolate=true`: a network isolated from the
//!   other isolated networks), so one side opting out allows the pair.
//! - an internal network (`docker network create --internal`) forwards
//!   nothing in or out: `-A STAGE-1 -i br ! -d SUBNET -j DROP` and `-A
//!   STAGE-1 -o br ! -s SUBNET -j DROP`. Here by interface rather than by
//!   address (`iifname br oifname != br drop` and the mirror), which is
//!   the same for the node's traffic and holds for any number of subnets
//!   of either family.
//!
//! Traffic between members of one network never matches: bridged or
//! routed between its subnets, it enters and leaves by the same bridge.
//! The node's own traffic (to and from the gateway) is not forwarded and
//! never matches either. Only networks held by the same node are isolated
//! from each other: traffic from a network of another node comes in by
//! one of this node's other interfaces, like any traffic from outside.

use super::nat::{Action, Hook, Match, Rule};
use super::State;
use nslab_model as m;

/// One bridge network of a node as its isolation rules see it: what a
/// `networks:` entry or a CNI network config says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The bridge's interface name in the node.
    pub bridge: String,
    /// Dropped to and from the node's other isolated networks (Docker's
    /// default for user-defined networks; `isolate: false` opts out).
    pub isolate: bool,
    /// Nothing forwarded in or out of the bridge (`--internal`).
    pub internal: bool,
}

impl Segment {
    /// The segment of a `networks:` entry with bridge `bridge`.
    pub fn of_network(bridge: &m::IfName, net: &m::Network) -> Segment {
        Segment {
            bridge: bridge.to_string(),
            isolate: net.isolate,
            internal: net.internal,
        }
    }
}

fn drop(matches: Vec<Match>) -> Rule {
    Rule::new(Hook::Forward, matches, Action::Drop)
}

/// The forward-hook rules for all the bridge networks of one node, in
/// order: each internal network's two drops, then a drop for each ordered
/// pair of distinct isolated networks that are not internal (an internal
/// network's own rules already drop every pair it is in). Empty when no
/// network is internal and fewer than two isolate.
pub fn forward_rules(nets: &[Segment]) -> Vec<Rule> {
    let mut rules = Vec::new();
    for n in nets.iter().filter(|n| n.internal) {
        let br = || n.bridge.clone();
        rules.push(drop(vec![Match::IifName(br()), Match::NotOifName(br())]));
        rules.push(drop(vec![Match::OifName(br()), Match::NotIifName(br())]));
    }
    let walled: Vec<&Segment> = nets.iter().filter(|n| n.isolate && !n.internal).collect();
    for a in &walled {
        for b in &walled {
            if a.bridge != b.bridge {
                rules.push(drop(vec![
                    Match::IifName(a.bridge.clone()),
                    Match::OifName(b.bridge.clone()),
                ]));
            }
        }
    }
    rules
}

/// Adds each holder node's forward rules for the networks it holds.
pub(super) fn add_network_isolation(s: &mut State, t: &m::Topology) {
    for (name, node) in s.nodes.iter_mut() {
        let held: Vec<Segment> = t
            .networks
            .iter()
            .filter(|(_, net)| net.node.as_str() == name)
            .map(|(bridge, net)| Segment::of_network(bridge, net))
            .collect();
        let rules = forward_rules(&held);
        if !rules.is_empty() {
            node.nat
                .get_or_insert_with(Default::default)
                .rules
                .extend(rules);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Whether `rules` drop a packet forwarded from `iif` to `oif`, as
    /// the kernel evaluates the chain (every match of a rule must hold).
    /// Also the CNI plugin's tests' judge.
    pub(crate) fn dropped<'a>(
        rules: impl IntoIterator<Item = &'a Rule>,
        iif: &str,
        oif: &str,
    ) -> bool {
        rules.into_iter().any(|r| {
            r.rule.matches.iter().all(|m| match m {
                Match::IifName(n) => n == iif,
                Match::NotIifName(n) => n != iif,
                Match::OifName(n) => n == oif,
                Match::NotOifName(n) => n != oif,
                other => panic!("an isolation rule matches on {other}"),
            })
        })
    }

    /// Docker's rules for a packet from network `a` (or the outside,
    /// `None`) to network `b` (or the outside).
    fn docker_drops(a: Option<&Segment>, b: Option<&Segment>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) if a.bridge == b.bridge => false,
            (Some(a), Some(b)) => a.internal || b.internal || a.isolate && b.isolate,
            (Some(n), None) | (None, Some(n)) => n.internal,
            (None, None) => false,
        }
    }

    /// The networks `br0`... of the kinds `pick` spells in base 4 (each
    /// kind: isolate × internal).
    fn nets(len: u32, pick: usize) -> Vec<Segment> {
        (0..len)
            .map(|k| {
                let kind = pick / 4usize.pow(k) % 4;
                Segment {
                    bridge: format!("br{k}"),
                    isolate: kind & 1 == 1,
                    internal: kind & 2 == 2,
                }
            })
            .collect()
    }

    fn name(s: Option<&Segment>) -> String {
        s.map_or("wan".to_string(), |s| s.bridge.clone())
    }

    /// Every node of up to three networks of every kind, every packet
    /// between two of them or the outside (`wan`), both ways: dropped
    /// exactly when Docker drops it; every rule at the forward hook.
    #[test]
    fn every_combination_drops_what_docker_drops() {
        let (mut cases, mut drops) = (0, 0);
        for len in 0..=3u32 {
            for pick in 0..4usize.pow(len) {
                let nets = nets(len, pick);
                let rules = forward_rules(&nets);
                assert!(rules
                    .iter()
                    .all(|r| r.hook == Hook::Forward && r.rule.action == Action::Drop));
                let ends: Vec<Option<&Segment>> = nets.iter().map(Some).chain([None]).collect();
                for a in &ends {
                    for b in &ends {
                        let want = docker_drops(*a, *b);
                        let (i, o) = (name(*a), name(*b));
                        let got = dropped(&rules, &i, &o);
                        assert_eq!(got, want, "{i} -> {o} in {nets:?}: {rules:?}");
                        cases += 1;
                        drops += usize::from(want);
                    }
                }
            }
        }
        assert!(drops > 0 && drops < cases, "{drops} of {cases}");
    }

    /// The example's holder: its forward rules as `plan` writes them
    /// (`add rule inet nslab-iso forward ...`), after its NAT rules, and
    /// no masquerade for the internal network.
    #[test]
    fn the_example_gets_dockers_isolation_rules() {
        let yaml = include_str!("../../examples/isolation.yaml");
        let t =
            nslab_model::parse_str("i.yaml", yaml, &nslab_model::AnyHostInterfaces).expect("valid");
        let s = crate::state::desired::desired(&t);
        let nat = s.nodes["docker"].nat.clone().unwrap_or_default();
        let lines: Vec<String> = nat
            .rules
            .iter()
            .map(|r| format!("{} {r}", r.hook.name()))
            .collect();
        let forward: Vec<&str> = lines
            .iter()
            .filter(|l| l.starts_with("forward "))
            .map(String::as_str)
            .collect();
        assert_eq!(
            forward,
            [
                "forward iifname \"vault\" oifname != \"vault\" drop",
                "forward oifname \"vault\" iifname != \"vault\" drop",
                "forward iifname \"back\" oifname \"front\" drop",
                "forward iifname \"front\" oifname \"back\" drop",
            ]
        );
        assert!(
            lines
                .iter()
                .filter(|l| !l.starts_with("forward "))
                .all(|l| l.starts_with("postrouting ")),
            "{lines:#?}"
        );
        assert!(!lines.iter().any(|l| l.contains("10.40.")), "{lines:#?}");
        let db = &s.nodes["db2"];
        assert!(db.routes.iter().all(|r| r.to.is_some()), "{:?}", db.routes);
    }

    /// A node with one isolated network, or whose networks all opt out
    /// but one, has no forward rules (and so no table for them).
    #[test]
    fn one_isolated_network_or_only_open_ones_need_no_rules() {
        let seg = |b: &str, isolate| Segment {
            bridge: b.into(),
            isolate,
            internal: false,
        };
        assert!(forward_rules(&[seg("a", true)]).is_empty());
        assert!(forward_rules(&[seg("a", false), seg("b", false), seg("c", true)]).is_empty());
    }
}
