//! Docker's isolation between the machine's nslab CNI networks, and an
//! internal network's walls ([`crate::state::isolation::forward_rules`]):
//! forward-hook drops in the network's own table.
//!
//! Each network is a lab with its own table, and one network never
//! rewrites another's (that would need the other's lock). So each table
//! holds the pairs its own network is in: every write of the table (ADD,
//! DEL, GC) reads the other nslab CNI networks' stores, which record each
//! one's bridge and flags ([`NetInfo`], refreshed by each of its own
//! writes), and drops forwarding both ways between this bridge and each
//! other network's when both isolate. Of two networks with containers,
//! the one written last holds the pair, so every pair is dropped once the
//! second network has a container. A network without containers is
//! skipped (it forwards nothing); its flags are read again when it gets
//! one. A changed `isolate` of one network reaches the other's table at
//! that one's next ADD or DEL.

use super::conf::Conf;
use super::ipam::{self, NetInfo, Store};
use crate::state::isolation::{forward_rules, Segment};
use crate::state::nat::{Match, Rule};
use nslab_sys::statedir::StateDir;

/// What the network's store records of it (a chained config makes no
/// bridge: nothing).
pub fn info(conf: &Conf) -> Option<NetInfo> {
    conf.prev.is_none().then(|| NetInfo {
        bridge: conf.bridge.clone(),
        isolate: conf.isolate,
        internal: conf.internal,
    })
}

fn segment(i: &NetInfo) -> Segment {
    Segment {
        bridge: i.bridge.clone(),
        isolate: i.isolate,
        internal: i.internal,
    }
}

/// The other nslab CNI networks of the machine that have containers, as
/// their stores say (one that cannot be read is not one).
fn others(own: &str) -> Vec<Segment> {
    let labs = StateDir::list_labs().unwrap_or_default();
    labs.iter()
        .filter(|l| l.as_str() != own)
        .filter_map(|l| StateDir::find(l).ok().flatten())
        .filter_map(|d| d.read(ipam::FILE).ok().flatten())
        .filter_map(|b| Store::from_json(&b).ok())
        .filter(|s| !s.attachments.is_empty())
        .filter_map(|s| s.net.as_ref().map(segment))
        .collect()
}

/// The network's forward drops: its own walls if it is internal, and the
/// pairs between it and the other networks (`others`) that Docker drops;
/// only rules naming its own bridge.
pub fn rules_with(own: &NetInfo, others: &[Segment]) -> Vec<Rule> {
    let mut nets = vec![segment(own)];
    nets.extend(others.iter().filter(|o| o.bridge != own.bridge).cloned());
    let names_own = |m: &Match| match m {
        Match::IifName(n) | Match::OifName(n) | Match::NotIifName(n) | Match::NotOifName(n) => {
            *n == own.bridge
        }
        _ => false,
    };
    forward_rules(&nets)
        .into_iter()
        .filter(|r| r.rule.matches.iter().any(names_own))
        .collect()
}

/// [`rules_with`] the machine's other networks, for the network's table.
pub fn rules(conf: &Conf) -> Vec<Rule> {
    match info(conf) {
        Some(own) => rules_with(&own, &others(&conf.name)),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(k: usize, kind: usize) -> NetInfo {
        NetInfo {
            bridge: format!("br{k}"),
            isolate: kind & 1 == 1,
            internal: kind & 2 == 2,
        }
    }

    /// Whether any table drops a packet forwarded from `iif` to `oif`.
    fn dropped(tables: &[Vec<Rule>], iif: &str, oif: &str) -> bool {
        crate::state::isolation::tests::dropped(tables.iter().flatten(), iif, oif)
    }

    /// Up to three networks of every kind (isolate × internal), each
    /// table written knowing only the networks made before it (the worst
    /// case: no table rewritten later): together the tables drop exactly
    /// what Docker drops, between two networks and to or from the outside
    /// (`wan`), and each table names only its own bridge.
    #[test]
    fn the_networks_tables_together_drop_what_docker_drops() {
        let (mut cases, mut drops) = (0, 0);
        for len in 1..=3u32 {
            for pick in 0..4usize.pow(len) {
                let nets: Vec<NetInfo> = (0..len as usize)
                    .map(|k| net(k, pick / 4usize.pow(k as u32) % 4))
                    .collect();
                let tables: Vec<Vec<Rule>> = (0..nets.len())
                    .map(|i| {
                        let before: Vec<Segment> = nets[..i].iter().map(segment).collect();
                        rules_with(&nets[i], &before)
                    })
                    .collect();
                for (i, t) in tables.iter().enumerate() {
                    let own = &nets[i].bridge;
                    assert!(t.iter().all(|r| format!("{r}").contains(own.as_str())));
                }
                let ends: Vec<Option<&NetInfo>> = nets.iter().map(Some).chain([None]).collect();
                for a in &ends {
                    for b in &ends {
                        let want = match (a, b) {
                            (Some(a), Some(b)) if a.bridge == b.bridge => false,
                            (Some(a), Some(b)) => {
                                a.internal || b.internal || a.isolate && b.isolate
                            }
                            (Some(n), None) | (None, Some(n)) => n.internal,
                            (None, None) => false,
                        };
                        let name =
                            |s: &Option<&NetInfo>| s.map_or("wan".into(), |s| s.bridge.clone());
                        let (i, o) = (name(a), name(b));
                        assert_eq!(dropped(&tables, &i, &o), want, "{i} -> {o} in {nets:?}");
                        cases += 1;
                        drops += usize::from(want);
                    }
                }
            }
        }
        assert!(drops > 0 && drops < cases, "{drops} of {cases}");
    }
}
